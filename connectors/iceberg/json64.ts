/**
 * JSON with 64-bit integers: Iceberg's metadata.json holds snapshot ids and sequence
 * numbers past 2^53, which `JSON.parse` on Node 20 rounds. This parser keeps every
 * integer that a double cannot hold exactly as a BigInt (the rest as numbers).
 *
 * @example
 * const meta = parseJson64('{"current-snapshot-id": 3051729675574597004}') as { 'current-snapshot-id': bigint }
 */

export type Json64 = null | boolean | number | bigint | string | Json64[] | { [key: string]: Json64 }

export function parseJson64(text: string): Json64 {
  let i = 0
  const fail = (what: string): never => {
    throw new SyntaxError(`JSON: ${what} at position ${i}`)
  }
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i)
      if (c === 32 || c === 10 || c === 13 || c === 9) i++
      else break
    }
  }
  const value = (): Json64 => {
    ws()
    const c = text[i]
    if (c === '{') {
      i++
      const out: { [key: string]: Json64 } = {}
      ws()
      if (text[i] === '}') return (i++, out)
      for (;;) {
        ws()
        if (text[i] !== '"') fail('expected a key')
        const key = str()
        ws()
        if (text[i++] !== ':') fail('expected ":"')
        out[key] = value()
        ws()
        const d = text[i++]
        if (d === '}') return out
        if (d !== ',') fail('expected "," or "}"')
      }
    }
    if (c === '[') {
      i++
      const out: Json64[] = []
      ws()
      if (text[i] === ']') return (i++, out)
      for (;;) {
        out.push(value())
        ws()
        const d = text[i++]
        if (d === ']') return out
        if (d !== ',') fail('expected "," or "]"')
      }
    }
    if (c === '"') return str()
    if (text.startsWith('true', i)) return ((i += 4), true)
    if (text.startsWith('false', i)) return ((i += 5), false)
    if (text.startsWith('null', i)) return ((i += 4), null)
    const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400))
    if (!m) return fail('unexpected character')
    i += m[0].length
    if (m[1] === undefined && m[2] === undefined) {
      const n = Number(m[0])
      return Number.isSafeInteger(n) ? n : BigInt(m[0])
    }
    return Number(m[0])
  }
  const str = (): string => {
    const start = i
    i++
    let simple = true
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        simple = false
        i++
      }
      i++
    }
    if (i >= text.length) fail('unterminated string')
    i++
    const raw = text.slice(start, i)
    return simple ? raw.slice(1, -1) : (JSON.parse(raw) as string)
  }
  const out = value()
  ws()
  if (i !== text.length) fail('trailing characters')
  return out
}

/** A 64-bit id (number or BigInt in parsed JSON, BigInt from Avro) as its exact decimal string. */
export function idString(v: unknown): string | null {
  if (v === null || v === undefined) return null
  if (typeof v === 'bigint' || typeof v === 'number') return String(v)
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return v
  return null
}

/** A count or sequence number that fits a double. */
export function num(v: unknown, fallback = 0): number {
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') return Number(v)
  return fallback
}

/**
 * Decoders from raw source values to a job's events, per value format:
 * Avro binary (no header) resolved with the job's schema, Avro-schema-checked JSON
 * text, or already-decoded objects. Every failure is an Error with a reason that names
 * the field, which the engine puts in the dead letter.
 *
 * @example
 * const decode = createDecoder(playbackJob.value, 'avro')
 * decode(buffer) // PlaybackEvent, or throws "field ts: expected long, got "yesterday""
 */
import avro from 'avsc'
import type { ValueFormat } from '../../graph/job-definition.ts'
import type { Decoder } from '../../engine/connector.ts'
import { internedStrings } from './interned-strings.ts'
import { projectedReader } from './reader-projection.ts'

export type RawEncoding = 'avro' | 'json' | 'object'

/**
 * `fields` (readFieldsOf(job)) asks Avro decoding for just those fields; the decoder's
 * own `fields` says whether it could. JSON is parsed whole either way.
 */
export function createDecoder<E>(format: ValueFormat<E>, encoding: RawEncoding, fields?: readonly string[] | null): Decoder<E> {
  const type = format.format === 'avro' ? avro.Type.forSchema(format.schema as avro.Schema) : null
  const check = (value: unknown): E => {
    if (value === null || typeof value !== 'object') throw new Error(`expected a record, got ${JSON.stringify(value)?.slice(0, 40)}`)
    if (type) {
      let problem: string | null = null
      type.isValid(value, {
        errorHook: (path: string[], v: unknown, t: avro.Type) => {
          problem ??= `field ${path.join('.') || '(record)'}: expected ${t.typeName ?? t.toString()}, got ${JSON.stringify(v) ?? 'nothing'}`
        },
      })
      if (problem) throw new Error(problem)
    }
    return value as E
  }
  switch (encoding) {
    case 'avro': {
      if (!type || format.format !== 'avro') throw new Error('avro encoding needs an avro value format')
      const projected = projectedReader(format.schema, fields)
      const reader = projected?.type ?? avro.Type.forSchema(format.schema as avro.Schema, { typeHook: internedStrings })
      const resolver = projected ? projected.type.createResolver(type) : undefined
      const decode = (raw: unknown): E => {
        if (!(raw instanceof Uint8Array)) throw new Error('expected Avro bytes')
        return reader.fromBuffer(Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), resolver, false) as E
      }
      return projected ? Object.assign(decode, { fields: projected.fields }) : decode
    }
    case 'json':
      return (raw) => {
        const text = typeof raw === 'string' ? raw : raw instanceof Uint8Array ? Buffer.from(raw).toString('utf8') : null
        if (text === null) throw new Error('expected JSON text')
        let parsed: unknown
        try {
          parsed = JSON.parse(text)
        } catch (err) {
          throw new Error(`invalid JSON: ${(err as Error).message}`)
        }
        return check(parsed)
      }
    case 'object':
      return check
  }
}

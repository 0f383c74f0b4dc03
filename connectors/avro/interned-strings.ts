/**
 * An Avro string reader that returns the same JS string for the same bytes.
 *
 * Event streams repeat their ids endlessly (a member's account, profile, device and
 * title ids in every heartbeat). avsc decodes each occurrence with a native UTF-8 slice
 * into a fresh string; here short strings are looked up by their bytes in a fixed-size,
 * direct-mapped cache first. A hit costs a hash and a compare of the bytes in JS, no
 * allocation, and hands out a string whose hash V8 has already computed, so every later
 * Map lookup and comparison of that id (grouping, state keys, side-input lookups) is
 * cheaper too. A miss decodes as avsc does and takes the slot. Memory is bounded by the
 * table (4 096 slots of at most 48 bytes).
 *
 * @example
 * const type = avro.Type.forSchema(schema, { typeHook: internedStrings })
 */
import avro from 'avsc'

const SLOTS = 4_096
const MAX_BYTES = 48
const slotBytes = new Uint8Array(SLOTS * MAX_BYTES)
const slotLength = new Int32Array(SLOTS).fill(-1)
const slotString: string[] = new Array<string>(SLOTS).fill('')

/** The part of avsc's Tap this reader uses. */
interface Tap {
  /** Node's Buffer has the native utf8Slice that avsc itself uses (toString minus argument checks). */
  buf: Buffer & { utf8Slice(start: number, end: number): string }
  pos: number
  readLong(): number
}

function readInterned(tap: Tap): string | undefined {
  const len = tap.readLong()
  const buf = tap.buf
  const pos = tap.pos
  if (len < 0) {
    tap.pos = buf.length + 1 // invalid, as avsc marks it
    return ''
  }
  tap.pos = pos + len
  if (tap.pos > buf.length) return undefined // truncated: avsc reports it
  if (len > MAX_BYTES) return buf.utf8Slice(pos, pos + len)
  // hash four bytes per step (the ids are short ASCII; this is the hot loop of decoding)
  let h = 0x811c9dc5 ^ len
  let i = 0
  for (; i + 4 <= len; i += 4)
    h = Math.imul(h ^ (buf[pos + i]! | (buf[pos + i + 1]! << 8) | (buf[pos + i + 2]! << 16) | (buf[pos + i + 3]! << 24)), 0x01000193)
  for (; i < len; i++) h = Math.imul(h ^ buf[pos + i]!, 0x01000193)
  const slot = (h ^ (h >>> 15)) & (SLOTS - 1)
  const base = slot * MAX_BYTES
  if (slotLength[slot] === len) {
    let j = 0
    while (j < len && slotBytes[base + j] === buf[pos + j]) j++
    if (j === len) return slotString[slot]
  }
  const s = buf.utf8Slice(pos, pos + len)
  for (let i = 0; i < len; i++) slotBytes[base + i] = buf[pos + i]!
  slotLength[slot] = len
  slotString[slot] = s
  return s
}

const StringType = (avro.types as unknown as { StringType: new () => avro.Type }).StringType

/** avsc's string type with the interning reader (resolvers copy `_read`, so it works under schema resolution too). */
class InternedStringType extends StringType {}
;(InternedStringType.prototype as unknown as { _read: typeof readInterned })._read = readInterned

/** avsc `typeHook`: every plain `string` in the schema reads through the intern cache. */
export function internedStrings(schema: avro.Schema): avro.Type | undefined {
  if (
    schema === 'string' ||
    (typeof schema === 'object' &&
      schema !== null &&
      (schema as { type?: unknown }).type === 'string' &&
      !(schema as { logicalType?: unknown }).logicalType)
  ) {
    return new InternedStringType()
  }
  return undefined
}

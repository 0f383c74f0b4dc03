/**
 * The Confluent wire format of a Kafka key or value: magic byte 0, the writer schema's
 * registry id as a 4-byte big-endian integer, then the Avro binary encoding.
 *
 * @example
 * const framed = frame(7, type.toBuffer(value))
 * schemaIdOf(framed) // 7
 * bodyOf(framed)     // the Avro bytes
 */

export const MAGIC_BYTE = 0
export const HEADER_BYTES = 5

/** A value that cannot be turned into an event; the message becomes the dead letter's reason. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError'
}

/** Prefixes Avro bytes with the magic byte and the schema id. */
export function frame(schemaId: number, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length)
  out[0] = MAGIC_BYTE
  out.writeInt32BE(schemaId, 1)
  out.set(body, HEADER_BYTES)
  return out
}

/**
 * The schema id of a framed value, or throws a DecodeError saying what is wrong with it
 * (empty, too short, wrong magic byte).
 */
export function schemaIdOf(raw: Uint8Array): number {
  if (raw.length === 0) throw new DecodeError('empty value (a tombstone?); expected Confluent wire format Avro')
  if (raw[0] !== MAGIC_BYTE) {
    const hint = raw[0] === 0x7b ? " (it looks like JSON: is the job's value format right?)" : ''
    throw new DecodeError(`wrong magic byte 0x${raw[0]!.toString(16).padStart(2, '0')}, expected 0x00 of the Confluent wire format${hint}`)
  }
  if (raw.length < HEADER_BYTES)
    throw new DecodeError(`value of ${raw.length} bytes is too short for the Confluent wire format (magic byte + 4-byte schema id + Avro)`)
  return ((raw[1]! << 24) | (raw[2]! << 16) | (raw[3]! << 8) | raw[4]!) >>> 0
}

/** The Avro bytes after the header (no copy). */
export function bodyOf(raw: Uint8Array): Buffer {
  return Buffer.isBuffer(raw)
    ? raw.subarray(HEADER_BYTES)
    : Buffer.from(raw.buffer, raw.byteOffset + HEADER_BYTES, raw.byteLength - HEADER_BYTES)
}

/** Schema id of a value if it is framed, else null; never throws (for pre-scanning a batch). */
export function peekSchemaId(raw: unknown): number | null {
  if (!(raw instanceof Uint8Array) || raw.length < HEADER_BYTES || raw[0] !== MAGIC_BYTE) return null
  return ((raw[1]! << 24) | (raw[2]! << 16) | (raw[3]! << 8) | raw[4]!) >>> 0
}

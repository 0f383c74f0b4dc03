/**
 * Codecs for state values: JSON (any plain data), strings, numbers, and Avro records
 * (avsc, compact and fast for a known schema).
 *
 * @example
 * const c = codecs.json<{ n: number }>()
 * c.decode(c.encode({ n: 1 })) // { n: 1 }
 */
import avro from 'avsc'
import type { Codec } from './types.ts'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export const codecs = {
  json<T>(): Codec<T> {
    return {
      encode: (v) => encoder.encode(JSON.stringify(v)),
      decode: (b) => JSON.parse(decoder.decode(b)) as T,
    }
  },
  string(): Codec<string> {
    return { encode: (v) => encoder.encode(v), decode: (b) => decoder.decode(b) }
  },
  number(): Codec<number> {
    return {
      encode: (v) => {
        const b = new Uint8Array(8)
        new DataView(b.buffer).setFloat64(0, v)
        return b
      },
      decode: (b) => new DataView(b.buffer, b.byteOffset, b.byteLength).getFloat64(0),
    }
  },
  /** Avro binary for values of a known record schema (avsc JSON form). */
  avro<T>(schema: object): Codec<T> {
    const type = avro.Type.forSchema(schema as avro.Schema)
    return {
      encode: (v) => type.toBuffer(v),
      decode: (b) => type.fromBuffer(Buffer.from(b.buffer, b.byteOffset, b.byteLength)) as T,
    }
  },
}

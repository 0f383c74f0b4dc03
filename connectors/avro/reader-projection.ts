/**
 * Projection pushdown for Avro: a reader schema of just the fields a job keeps (its
 * strings read through the intern cache, see interned-strings.ts). Avro's
 * schema resolution then skips every other field of the writer's record without
 * decoding it (a skipped string costs a length read instead of a UTF-8 decode and an
 * allocation), which is how a columnar or Avro reader in Flink or Iceberg reads a
 * projection.
 *
 * @example
 * const reader = projectedReader(playbackSchema, ['accountId', 'ts']) // null: cannot project
 * reader?.type.fromBuffer(bytes, reader.type.createResolver(writerType))
 */
import avro from 'avsc'
import { internedStrings } from './interned-strings.ts'

export interface ProjectedReader {
  readonly type: avro.Type
  /** The fields the reader yields, in the writer's order. */
  readonly fields: readonly string[]
}

/**
 * The record schema restricted to `fields`, or null when it cannot be (not a record, a
 * field it does not have, or a kept field naming a type that only a dropped field
 * defines): the caller then decodes whole records, which is slower but never wrong.
 */
export function projectedReader(schema: object, fields: readonly string[] | null | undefined): ProjectedReader | null {
  if (!fields) return null
  const record = schema as { type?: unknown; fields?: Array<{ name: string }> }
  if (record.type !== 'record' || !Array.isArray(record.fields)) return null
  const keep = new Set(fields)
  const kept = record.fields.filter((f) => keep.has(f.name))
  if (kept.length !== keep.size || kept.length === record.fields.length) return null
  try {
    return {
      type: avro.Type.forSchema({ ...record, fields: kept } as avro.Schema, { typeHook: internedStrings }),
      fields: kept.map((f) => f.name),
    }
  } catch {
    return null
  }
}

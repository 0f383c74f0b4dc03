/**
 * Reads whole columns of a Parquet file by Iceberg field id with hyparquet (only those
 * columns are decoded; zstd/snappy/gzip/brotli/lz4 through hyparquet-compressors).
 * Timestamps come back as exact BigInt µs (or ns/ms as stored), 64-bit ints as BigInt.
 *
 * @example
 * const { columns, rows } = await readColumnsById('data/00000-0.parquet', [1, 9])
 * columns.get(9)?.[0] // 1767225610942123n (µs)
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, type FileMetaData } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { localPath } from './metadata.ts'

export interface FileColumns {
  /** Columns by field id; a field id the file lacks is absent. */
  readonly columns: ReadonlyMap<number, ArrayLike<unknown>>
  readonly rows: number
}

const parsers = {
  timestampFromMicroseconds: (v: bigint) => v,
  timestampFromMilliseconds: (v: bigint) => v * 1000n,
  timestampFromNanoseconds: (v: bigint) => v / 1000n,
}

/** Top-level field id → column name of a file's Parquet schema. */
export function fieldIdsOf(metadata: FileMetaData): Map<number, string> {
  const out = new Map<number, string>()
  const schema = metadata.schema
  let i = 1
  const children = schema[0]?.num_children ?? 0
  const skip = (at: number): number => {
    let next = at + 1
    for (let c = 0; c < (schema[at]?.num_children ?? 0); c++) next = skip(next)
    return next
  }
  for (let c = 0; c < children; c++) {
    const el = schema[i]!
    if (el.field_id !== undefined && el.field_id !== null && !el.num_children) out.set(el.field_id, el.name)
    i = skip(i)
  }
  return out
}

export async function readColumnsById(uri: string, fieldIds: readonly number[]): Promise<FileColumns> {
  const file = await asyncBufferFromFile(localPath(uri))
  const metadata = await parquetMetadataAsync(file)
  const names = fieldIdsOf(metadata)
  const wanted = fieldIds.filter((id) => names.has(id))
  const rows = Number(metadata.num_rows)
  const columns = new Map<number, unknown[]>()
  if (wanted.length === 0) return { columns, rows }
  const colNames = wanted.map((id) => names.get(id)!)
  for (const id of wanted) columns.set(id, new Array(rows))
  let rowStart = 0
  for (const rg of metadata.row_groups) {
    const n = Number(rg.num_rows)
    const at = rowStart
    await parquetRead({
      file,
      metadata,
      columns: colNames,
      rowStart: at,
      rowEnd: at + n,
      compressors,
      parsers,
      onComplete: (data: unknown[][]) => {
        for (let c = 0; c < wanted.length; c++) {
          const col = columns.get(wanted[c]!)!
          for (let r = 0; r < data.length; r++) col[at + r] = data[r]![c]
        }
      },
    })
    rowStart += n
  }
  return { columns, rows }
}

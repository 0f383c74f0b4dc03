/**
 * Manifest lists and manifests (Avro object container files, read with avsc, longs as
 * BigInt): the snapshot's manifests, then their live entries (status EXISTING or ADDED)
 * with the sequence numbers the spec assigns: an ADDED entry with a null sequence number
 * inherits its manifest's; format v1 has none, so everything is 0.
 *
 * @example
 * const files = await readSnapshotFiles(snapshot, table.formatVersion)
 * files.filter((f) => f.content === 'data').map((f) => f.path)
 */
import { readFile } from 'node:fs/promises'
import avro from 'avsc'
import { idString, num } from './json64.ts'
import { localPath, type SnapshotInfo } from './metadata.ts'

export type FileContent = 'data' | 'position-deletes' | 'equality-deletes'

export interface ContentFile {
  readonly content: FileContent
  readonly path: string
  readonly format: string
  readonly specId: number
  /** Partition tuple, by partition field name. */
  readonly partition: Readonly<Record<string, unknown>>
  readonly recordCount: number
  readonly sequenceNumber: number
  /** Column bounds by field id (Iceberg single-value serialisation). */
  readonly lowerBounds: ReadonlyMap<number, Uint8Array>
  readonly upperBounds: ReadonlyMap<number, Uint8Array>
  readonly equalityIds: readonly number[]
  /** Order of the entry in the snapshot's manifests, for a stable plan. */
  readonly ordinal: number
}

const bigLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8)
    buf.writeBigInt64LE(n)
    return buf
  },
  fromJSON: BigInt,
  toJSON: Number,
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
})

/** All records of an Avro object container file. */
export async function readAvroFile(uri: string): Promise<Record<string, unknown>[]> {
  const buf = await readFile(localPath(uri))
  return new Promise((resolve, reject) => {
    const records: Record<string, unknown>[] = []
    const registry: Record<string, avro.Type> = { long: bigLong }
    const decoder = new avro.streams.BlockDecoder({
      parseHook: (schema: avro.Schema) => avro.Type.forSchema(schema, { registry, wrapUnions: false }),
    })
    decoder.on('data', (r: Record<string, unknown>) => records.push(r))
    decoder.on('error', reject)
    decoder.on('end', () => resolve(records))
    decoder.end(buf)
  })
}

export interface ManifestInfo {
  readonly path: string
  readonly specId: number
  readonly content: 'data' | 'deletes'
  readonly sequenceNumber: number
  readonly addedSnapshotId: string | null
}

export async function readManifestList(snapshot: SnapshotInfo): Promise<ManifestInfo[]> {
  const rows = await readAvroFile(snapshot.manifestList)
  return rows.map((r) => ({
    path: String(r['manifest_path']),
    specId: num(r['partition_spec_id']),
    content: num(r['content']) === 1 ? 'deletes' : 'data',
    sequenceNumber: num(r['sequence_number']),
    addedSnapshotId: idString(r['added_snapshot_id']),
  }))
}

function boundsMap(v: unknown): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>()
  if (Array.isArray(v)) for (const kv of v as { key: unknown; value: Uint8Array }[]) out.set(num(kv.key), kv.value)
  return out
}

const CONTENT: readonly FileContent[] = ['data', 'position-deletes', 'equality-deletes']

/** Live entries of one manifest (DELETED entries dropped). */
export async function readManifest(manifest: ManifestInfo, formatVersion: number, ordinalBase = 0): Promise<ContentFile[]> {
  const rows = await readAvroFile(manifest.path)
  const out: ContentFile[] = []
  for (const [i, r] of rows.entries()) {
    if (num(r['status']) === 2) continue
    const f = r['data_file'] as Record<string, unknown>
    const seq =
      formatVersion < 2
        ? 0
        : r['sequence_number'] === null || r['sequence_number'] === undefined
          ? manifest.sequenceNumber
          : num(r['sequence_number'])
    out.push({
      content: CONTENT[num(f['content'])] ?? 'data',
      path: String(f['file_path']),
      format: String(f['file_format']).toLowerCase(),
      specId: manifest.specId,
      partition: (f['partition'] as Record<string, unknown> | null) ?? {},
      recordCount: num(f['record_count']),
      sequenceNumber: seq,
      lowerBounds: boundsMap(f['lower_bounds']),
      upperBounds: boundsMap(f['upper_bounds']),
      equalityIds: Array.isArray(f['equality_ids']) ? (f['equality_ids'] as unknown[]).map((x) => num(x)) : [],
      ordinal: ordinalBase + i,
    })
  }
  return out
}

/** Every live data and delete file of a snapshot. */
export async function readSnapshotFiles(snapshot: SnapshotInfo, formatVersion: number): Promise<ContentFile[]> {
  const manifests = await readManifestList(snapshot)
  const out: ContentFile[] = []
  for (const [i, m] of manifests.entries()) out.push(...(await readManifest(m, formatVersion, i * 1_000_000)))
  return out
}

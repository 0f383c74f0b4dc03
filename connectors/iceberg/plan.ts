/**
 * Planning: which data files of a snapshot to read, with which delete files, in which
 * order. Prunes by an event-time range with partition values (identity, hour, day,
 * month, year of the time column) and column bounds. Assigns deletes by the spec's rules:
 * a position delete applies to data files with a sequence number <= its own, an equality
 * delete to data files with a sequence number < its own, and both only within the same
 * spec and partition unless the delete's spec is unpartitioned. Orders files by their
 * lower time bound and merges overlapping ones into groups that are read together.
 *
 * @example
 * const plan = planScan(files, table.specs, { timeFieldId: 9, fromUs: 0n, toUs: null })
 * for (const group of plan.groups) group.files // read and merge by event time
 */
import type { ContentFile } from './manifests.ts'
import type { PartitionSpecInfo } from './metadata.ts'

export interface PlannedFile {
  readonly file: ContentFile
  readonly positionDeletes: readonly ContentFile[]
  readonly equalityDeletes: readonly ContentFile[]
  /** Event-time bounds in µs from the file's column bounds, when known. */
  readonly minUs: bigint | null
  readonly maxUs: bigint | null
}

export interface FileGroup {
  readonly files: readonly PlannedFile[]
  readonly rows: number
}

export interface ScanPlan {
  readonly groups: readonly FileGroup[]
  /** Rows in the planned data files, before deletes. */
  readonly rows: number
  readonly dataFiles: number
  readonly deleteFiles: number
  readonly prunedFiles: number
}

export interface PlanOptions {
  /** Field id of the event-time column (timestamp/timestamptz in µs, or long epoch ms), for pruning and ordering. */
  readonly timeFieldId: number | null
  /** Type of that column: µs timestamps, or a long/int holding epoch ms. */
  readonly timeUnit?: 'us' | 'ms'
  /** Inclusive lower and exclusive upper bound of event time, µs. */
  readonly fromUs?: bigint | null
  readonly toUs?: bigint | null
}

/** An 8-byte (long, timestamp) or 4-byte (int, date) little-endian bound. */
export function decodeIntBound(b: Uint8Array | undefined): bigint | null {
  if (!b) return null
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  if (b.byteLength === 8) return view.getBigInt64(0, true)
  if (b.byteLength === 4) return BigInt(view.getInt32(0, true))
  return null
}

const HOUR_US = 3_600_000_000n
const DAY_US = 24n * HOUR_US

/** The µs range [lo, hi) a partition value of a time transform covers, or null when the transform says nothing about time. */
function partitionRange(transform: string, value: unknown, unit: 'us' | 'ms'): [bigint, bigint] | null {
  if (value === null || value === undefined) return null
  const v = BigInt(value as number | bigint)
  if (transform === 'hour') return [v * HOUR_US, (v + 1n) * HOUR_US]
  if (transform === 'day') return [v * DAY_US, (v + 1n) * DAY_US]
  if (transform === 'identity') return unit === 'us' ? [v, v + 1n] : [v * 1000n, (v + 1n) * 1000n]
  if (transform === 'month' || transform === 'year') {
    const months = transform === 'year' ? Number(v) * 12 : Number(v)
    const lo = Date.UTC(1970 + Math.floor(months / 12), ((months % 12) + 12) % 12, 1)
    const step = transform === 'year' ? 12 : 1
    const hi = Date.UTC(1970 + Math.floor((months + step) / 12), (((months + step) % 12) + 12) % 12, 1)
    return [BigInt(lo) * 1000n, BigInt(hi) * 1000n]
  }
  return null
}

function samePartition(a: ContentFile, b: ContentFile): boolean {
  if (a.specId !== b.specId) return false
  const ka = Object.keys(a.partition)
  if (ka.length !== Object.keys(b.partition).length) return false
  return ka.every((k) => String(a.partition[k]) === String(b.partition[k]))
}

export function planScan(files: readonly ContentFile[], specs: ReadonlyMap<number, PartitionSpecInfo>, options: PlanOptions): ScanPlan {
  const unit = options.timeUnit ?? 'us'
  const from = options.fromUs ?? null
  const to = options.toUs ?? null
  const posDeletes = files.filter((f) => f.content === 'position-deletes')
  const eqDeletes = files.filter((f) => f.content === 'equality-deletes')
  const unpartitioned = (f: ContentFile) => (specs.get(f.specId)?.fields.length ?? 0) === 0
  const planned: PlannedFile[] = []
  let pruned = 0
  for (const file of files) {
    if (file.content !== 'data') continue
    let minUs: bigint | null = null
    let maxUs: bigint | null = null
    if (options.timeFieldId !== null) {
      const lo = decodeIntBound(file.lowerBounds.get(options.timeFieldId))
      const hi = decodeIntBound(file.upperBounds.get(options.timeFieldId))
      minUs = lo === null ? null : unit === 'us' ? lo : lo * 1000n
      maxUs = hi === null ? null : unit === 'us' ? hi : hi * 1000n + 999n
      for (const pf of specs.get(file.specId)?.fields ?? []) {
        if (pf.sourceId !== options.timeFieldId) continue
        const r = partitionRange(pf.transform, file.partition[pf.name], unit)
        if (!r) continue
        if (minUs === null || minUs < r[0]) minUs = r[0]
        if (maxUs === null || maxUs > r[1] - 1n) maxUs = r[1] - 1n
      }
    }
    if ((from !== null && maxUs !== null && maxUs < from) || (to !== null && minUs !== null && minUs >= to)) {
      pruned++
      continue
    }
    planned.push({
      file,
      minUs,
      maxUs,
      positionDeletes: posDeletes.filter((d) => d.sequenceNumber >= file.sequenceNumber && (unpartitioned(d) || samePartition(d, file))),
      equalityDeletes: eqDeletes.filter((d) => d.sequenceNumber > file.sequenceNumber && (unpartitioned(d) || samePartition(d, file))),
    })
  }
  planned.sort((a, b) => cmpNullable(a.minUs, b.minUs) || a.file.ordinal - b.file.ordinal)
  const groups: FileGroup[] = []
  let current: PlannedFile[] = []
  let currentMax: bigint | null = null
  for (const p of planned) {
    const overlaps = current.length > 0 && (currentMax === null || p.minUs === null || p.minUs <= currentMax)
    if (!overlaps && current.length > 0) {
      groups.push({ files: current, rows: current.reduce((n, f) => n + f.file.recordCount, 0) })
      current = []
      currentMax = null
    }
    current.push(p)
    currentMax =
      current.length === 1 ? p.maxUs : currentMax === null || p.maxUs === null ? null : currentMax > p.maxUs ? currentMax : p.maxUs
  }
  if (current.length > 0) groups.push({ files: current, rows: current.reduce((n, f) => n + f.file.recordCount, 0) })
  return {
    groups,
    rows: planned.reduce((n, p) => n + p.file.recordCount, 0),
    dataFiles: planned.length,
    deleteFiles: posDeletes.length + eqDeletes.length,
    prunedFiles: pruned,
  }
}

function cmpNullable(a: bigint | null, b: bigint | null): number {
  if (a === b) return 0
  if (a === null) return -1
  if (b === null) return 1
  return a < b ? -1 : 1
}

/**
 * The Iceberg source: a bounded Source over one snapshot of a table (current, `--snapshot`
 * or `--as-of`), read as the spec says (manifests, field ids, deletes), delivering the
 * job's fields as decoded events in event-time order. Its position is the snapshot, the
 * file group and the row within it, so a restore pins the snapshot it started on and
 * resumes at the same row. When the table carries Kafka partition and offset columns it
 * also reports, per Kafka partition, the offset after the last row (for a hand-over).
 *
 * @example
 * const source = new IcebergSource({ table: { metadata: 'wh/rdg/playback/metadata/v8.metadata.json' }, fields: ['accountId', 'ts'], eventTime: 'ts' })
 * const info = await source.prepare() // plans, and throws a ConfigError for a missing table, snapshot or field
 */
import { ConfigError } from '../../base/errors.ts'
import { operatorId, type OperatorId } from '../../base/ids.ts'
import type { Source, SourceBatch, SourceContext, SourcePositions, SourceRecord } from '../../engine/connector.ts'
import { DeleteIndex } from './deletes.ts'
import { readSnapshotFiles } from './manifests.ts'
import {
  loadTable,
  schemaOf,
  selectSnapshot,
  type SnapshotChoice,
  type SnapshotInfo,
  type TableMetadata,
  type TableRef,
} from './metadata.ts'
import { planScan, type ScanPlan } from './plan.ts'
import { projectFields, type Projection } from './projection.ts'
import { readGroup, type GroupRow } from './rows.ts'

export interface IcebergSourceOptions {
  readonly id?: string
  readonly table: TableRef
  readonly snapshot?: SnapshotChoice
  /** The job's fields (its projection, event time included); null: every column under its own name. */
  readonly fields: readonly string[] | null
  readonly eventTime: string
  /** Job field → table column, for exports whose names differ. */
  readonly columns?: Readonly<Record<string, string>>
  /** Event-time range, epoch ms: [from, to). */
  readonly fromMs?: number
  readonly toMs?: number
  /** Columns holding the Kafka partition and offset of each row, for `kafkaOffsets()`. */
  readonly kafkaColumns?: { readonly partition: string; readonly offset: string }
}

export interface IcebergScanInfo {
  readonly table: TableMetadata
  readonly snapshot: SnapshotInfo
  readonly plan: ScanPlan
  readonly projection: Projection
}

export interface IcebergProgress {
  /** Planned rows (from the manifests, before deletes). */
  readonly totalRows: number
  /** Planned rows passed so far (delivered, deleted or out of range). */
  readonly doneRows: number
  readonly delivered: number
  readonly deleted: number
}

interface Position {
  readonly snapshot: string
  readonly group: number
  readonly row: number
}

const KAFKA_PARTITION = ['kafka_partition', 'kafkaPartition', '_partition', 'partition']
const KAFKA_OFFSET = ['kafka_offset', 'kafkaOffset', '_offset', 'offset']

export class IcebergSource implements Source<unknown> {
  readonly id: OperatorId
  private info: IcebergScanInfo | null = null
  private pinned: string | null = null
  private group = 0
  private row = 0
  private buffer: GroupRow[] | null = null
  private readonly deletes = new DeleteIndex()
  private doneRows = 0
  private delivered = 0
  private deleted = 0
  private kafka: { partition: string; offset: string } | null = null
  private readonly nextOffsets = new Map<number, bigint>()
  private extra: Projection | null = null

  constructor(private readonly options: IcebergSourceOptions) {
    this.id = operatorId(options.id ?? 'iceberg')
  }

  /** Loads the table, picks the snapshot, resolves the job's fields and plans the files. Idempotent. */
  async prepare(snapshotId?: string): Promise<IcebergScanInfo> {
    if (this.info && (snapshotId === undefined || snapshotId === this.info.snapshot.id)) return this.info
    const table = await loadTable(this.options.table)
    const snapshot = selectSnapshot(table, snapshotId !== undefined ? { snapshotId } : (this.options.snapshot ?? {}))
    const schema = schemaOf(table, snapshot)
    const wanted = this.options.fields ?? schema.fields.map((f) => f.name)
    const fields = wanted.includes(this.options.eventTime) ? [...wanted] : [...wanted, this.options.eventTime]
    const byName = new Set(schema.fields.map((f) => f.name))
    const kp = this.options.kafkaColumns?.partition ?? KAFKA_PARTITION.find((n) => byName.has(n))
    const ko = this.options.kafkaColumns?.offset ?? KAFKA_OFFSET.find((n) => byName.has(n))
    this.kafka = kp !== undefined && ko !== undefined && byName.has(kp) && byName.has(ko) ? { partition: kp, offset: ko } : null
    const projection = projectFields(schema, fields, this.options.columns ?? {})
    const extra = this.kafka
      ? projectFields(schema, ['partition', 'offset'], { partition: this.kafka.partition, offset: this.kafka.offset })
      : null
    const time = projection.columns.find((c) => c.jobField === this.options.eventTime)!.field
    const timeUnit = time.type.startsWith('timestamp') ? 'us' : 'ms'
    if (!time.type.startsWith('timestamp') && time.type !== 'long' && time.type !== 'int') {
      throw new ConfigError(
        `the event-time column ${time.name} is a ${time.type}`,
        'it must be a timestamp, timestamptz or a long of epoch ms',
      )
    }
    const files = await readSnapshotFiles(snapshot, table.formatVersion)
    const plan = planScan(files, table.specs, { timeFieldId: time.id, timeUnit, ...this.rangeUs() })
    this.info = { table, snapshot, plan, projection }
    this.extra = extra
    return this.info
  }

  private rangeUs(): { fromUs: bigint | null; toUs: bigint | null } {
    return {
      fromUs: this.options.fromMs === undefined ? null : BigInt(this.options.fromMs) * 1000n,
      toUs: this.options.toMs === undefined ? null : BigInt(this.options.toMs) * 1000n,
    }
  }

  async open(ctx: SourceContext): Promise<void> {
    const restored = ctx.restoredPositions?.['0']
    if (restored !== undefined) {
      const p = JSON.parse(restored) as Position
      this.pinned = p.snapshot
      await this.prepare(p.snapshot)
      this.group = p.group
      this.row = p.row
      for (let g = 0; g < Math.min(this.group, this.info!.plan.groups.length); g++) this.doneRows += this.info!.plan.groups[g]!.rows
      for (const [k, v] of Object.entries(ctx.restoredPositions ?? {}))
        if (k.startsWith('kafka:')) this.nextOffsets.set(Number(k.slice(6)), BigInt(v))
    } else {
      await this.prepare()
      this.pinned = this.info!.snapshot.id
    }
  }

  async poll(maxRecords: number): Promise<SourceBatch<unknown>> {
    const info = this.info!
    const records: SourceRecord<unknown>[] = []
    while (records.length < maxRecords && this.group < info.plan.groups.length) {
      if (this.buffer === null) {
        const g = info.plan.groups[this.group]!
        const result = await readGroup(g, {
          projection: info.projection,
          timeFieldId: info.projection.columns.find((c) => c.jobField === this.options.eventTime)!.field.id,
          timeUnit: this.timeUnit(),
          deletes: this.deletes,
          ...(this.extra ? { extra: this.extra } : {}),
          ...this.rangeUs(),
        })
        this.buffer = result.rows
        this.deleted += result.deleted
        if (this.row > 0) this.doneRows += Math.min(this.row, this.buffer.length)
        if (records.length > 0) break
      }
      const buf = this.buffer
      while (records.length < maxRecords && this.row < buf.length) {
        const r = buf[this.row]!
        records.push({ partition: 0, offset: `${this.group}:${this.row}`, value: r.event })
        if (this.extra) this.noteOffset(r.extra)
        this.row++
      }
      if (this.row >= buf.length) {
        this.doneRows += info.plan.groups[this.group]!.rows - buf.length + 0
        this.buffer = null
        this.group++
        this.row = 0
      }
    }
    this.delivered += records.length
    this.doneRows += records.length
    return { records, end: this.group >= info.plan.groups.length, partitions: [0] }
  }

  private timeUnit(): 'us' | 'ms' {
    const t = this.info!.projection.columns.find((c) => c.jobField === this.options.eventTime)!.field.type
    return t.startsWith('timestamp') ? 'us' : 'ms'
  }

  /** Notes the offset after a row's Kafka offset, per Kafka partition. */
  private noteOffset([p, o]: readonly unknown[]): void {
    if ((typeof p !== 'number' && typeof p !== 'bigint') || (typeof o !== 'number' && typeof o !== 'bigint')) return
    const next = BigInt(o) + 1n
    const part = Number(p)
    const prev = this.nextOffsets.get(part)
    if (prev === undefined || next > prev) this.nextOffsets.set(part, next)
  }

  positions(): SourcePositions {
    const out: Record<string, string> = {
      '0': JSON.stringify({ snapshot: this.pinned ?? '', group: this.group, row: this.row } satisfies Position),
    }
    for (const [p, o] of this.nextOffsets) out[`kafka:${p}`] = String(o)
    return out
  }

  /** Per Kafka partition, the offset after the last row read so far (when the table has the columns). */
  kafkaOffsets(): ReadonlyMap<number, bigint> {
    return this.nextOffsets
  }

  progress(): IcebergProgress {
    return {
      totalRows: this.info?.plan.rows ?? 0,
      doneRows: Math.min(this.doneRows, this.info?.plan.rows ?? 0),
      delivered: this.delivered,
      deleted: this.deleted,
    }
  }

  async close(): Promise<void> {
    this.buffer = null
  }
}

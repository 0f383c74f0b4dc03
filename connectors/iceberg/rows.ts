/**
 * Reads a group of overlapping data files into job events in event-time order: the
 * projected columns by field id (missing ones as `initial-default` or null), converted
 * for the job, with position and equality deletes applied, rows outside the event-time
 * range dropped, then sorted by event time (ties by file, then row: a stable order, so a
 * restore resumes at the same row).
 *
 * @example
 * const rows = await readGroup(plan.groups[0], { projection, timeFieldId: 9, deletes: new DeleteIndex() })
 * rows[0].event // { accountId: 'acct-00001', ts: 1767225610942, … }
 */
import type { DeleteIndex } from './deletes.ts'
import { keyPart } from './deletes.ts'
import { readColumnsById } from './parquet-columns.ts'
import type { FileGroup } from './plan.ts'
import type { Projection } from './projection.ts'

const NO_EXTRA: readonly unknown[] = Object.freeze([])

export interface GroupRow {
  readonly event: Record<string, unknown>
  /** Values of the `extra` columns (not part of the event), in their order. */
  readonly extra: readonly unknown[]
  /** Event time in µs (for ordering). */
  readonly timeUs: number
  readonly file: number
  readonly pos: number
}

export interface ReadGroupOptions {
  readonly projection: Projection
  /** Columns read besides the event's (e.g. Kafka partition and offset). */
  readonly extra?: Projection
  readonly timeFieldId: number | null
  readonly timeUnit?: 'us' | 'ms'
  readonly deletes: DeleteIndex
  readonly fromUs?: bigint | null
  readonly toUs?: bigint | null
}

export interface GroupResult {
  readonly rows: GroupRow[]
  /** Rows removed by deletes. */
  readonly deleted: number
  /** Rows outside the event-time range. */
  readonly outOfRange: number
}

export async function readGroup(group: FileGroup, options: ReadGroupOptions): Promise<GroupResult> {
  const { projection, timeFieldId } = options
  const toUs = (v: unknown): number =>
    v === null || v === undefined ? Number.NaN : options.timeUnit === 'ms' ? Number(v) * 1000 : Number(v)
  const from = options.fromUs === null || options.fromUs === undefined ? -Infinity : Number(options.fromUs)
  const to = options.toUs === null || options.toUs === undefined ? Infinity : Number(options.toUs)
  const rows: GroupRow[] = []
  let deleted = 0
  let outOfRange = 0
  for (const [fi, planned] of group.files.entries()) {
    const equality = await Promise.all(planned.equalityDeletes.map((d) => options.deletes.equality(d)))
    const extraColumns = options.extra?.columns ?? []
    const ids = new Set<number>([...projection.columns, ...extraColumns].map((c) => c.field.id))
    if (timeFieldId !== null) ids.add(timeFieldId)
    for (const e of equality) for (const id of e.fieldIds) ids.add(id)
    const { columns, rows: n } = await readColumnsById(planned.file.path, [...ids])
    const dead = await options.deletes.positionsFor(planned.positionDeletes, planned.file.path)
    const cols = projection.columns.map((c) => ({
      name: c.jobField,
      data: columns.get(c.field.id) ?? null,
      fallback: c.convert(c.field.initialDefault ?? null),
      convert: c.convert,
    }))
    const extras = extraColumns.map((c) => ({
      data: columns.get(c.field.id) ?? null,
      fallback: c.convert(c.field.initialDefault ?? null),
      convert: c.convert,
    }))
    const time = timeFieldId === null ? null : (columns.get(timeFieldId) ?? null)
    const eqCols = equality.map((e) => ({ keys: e.keys, data: e.fieldIds.map((id) => columns.get(id) ?? null) }))
    for (let r = 0; r < n; r++) {
      if (dead.has(r)) {
        deleted++
        continue
      }
      let gone = false
      for (const e of eqCols) {
        let key = ''
        for (let k = 0; k < e.data.length; k++) key += (k > 0 ? '\u0001' : '') + keyPart(e.data[k] === null ? null : e.data[k]![r])
        if (e.keys.has(key)) {
          gone = true
          break
        }
      }
      if (gone) {
        deleted++
        continue
      }
      const timeUs = time === null ? 0 : toUs(time[r])
      if (timeUs < from || timeUs >= to) {
        outOfRange++
        continue
      }
      const event: Record<string, unknown> = {}
      for (const c of cols) event[c.name] = c.data === null ? c.fallback : c.convert(c.data[r])
      const extra = extras.length === 0 ? NO_EXTRA : extras.map((c) => (c.data === null ? c.fallback : c.convert(c.data[r])))
      rows.push({ event, extra, timeUs, file: fi, pos: r })
    }
  }
  rows.sort((a, b) => a.timeUs - b.timeUs || a.file - b.file || a.pos - b.pos)
  return { rows, deleted, outOfRange }
}

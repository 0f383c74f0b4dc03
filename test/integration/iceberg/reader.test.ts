/**
 * The Iceberg reader over real tables written by pyiceberg (test/infra/iceberg-setup.ts):
 * every snapshot reads as the rows the writer's own bookkeeping says, across schema
 * evolution (rename, int → long, drop, add), partition evolution (day → hour), a
 * copy-on-write delete, position deletes and an equality delete that must spare rows of
 * the same key in another partition and rows added after it; a v1 table; time travel by
 * id and by time; µs timestamps and 64-bit ids exact; event-time pruning; one clear
 * error for a missing table, snapshot or field.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, inject, it } from 'vitest'
import { parseJson64 } from '../../../connectors/iceberg/json64.ts'
import { readSnapshotFiles } from '../../../connectors/iceberg/manifests.ts'
import { loadTable, selectSnapshot } from '../../../connectors/iceberg/metadata.ts'
import { readColumnsById } from '../../../connectors/iceberg/parquet-columns.ts'
import { IcebergSource, type IcebergSourceOptions } from '../../../connectors/iceberg/source.ts'
import type { SourceContext } from '../../../engine/connector.ts'
import { ConfigError } from '../../../base/errors.ts'

const fx = inject('iceberg')
const playback = fx.tables['rdg.playback']!
const v1 = fx.tables['rdg.playback_v1']!
const FIELDS = ['eventId', 'accountId', 'profileId', 'deviceId', 'deviceType', 'titleId', 'action', 'positionSec', 'appVersion', 'ts']

type Row = Record<string, unknown>

const ctx = (restoredPositions: Record<string, string> | null = null) => ({ restoredPositions, jobName: 't' }) as unknown as SourceContext

async function readAll(
  options: Partial<IcebergSourceOptions> & Pick<IcebergSourceOptions, 'table'>,
): Promise<{ rows: Row[]; source: IcebergSource }> {
  const source = new IcebergSource({ fields: FIELDS, eventTime: 'ts', ...options })
  await source.open(ctx())
  const rows: Row[] = []
  for (;;) {
    const batch = await source.poll(500)
    for (const r of batch.records) rows.push(r.value as Row)
    if (batch.end) break
  }
  await source.close()
  return { rows, source }
}

function expected(path: string, fields = FIELDS): Row[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row)
    .map((o) => Object.fromEntries(fields.map((f) => [f, o[f] ?? null])))
}

const sortKey = (r: Row) => JSON.stringify(FIELDS.map((f) => r[f]))
const asSet = (rows: Row[]) => rows.map(sortKey).sort()

describe('Iceberg reader on pyiceberg tables', () => {
  it.each(playback.snapshots.map((s) => [s.label, s] as const))(
    'snapshot %s of the v2 table reads as the writer says, in event-time order',
    async (_label, snap) => {
      const { rows } = await readAll({ table: { metadata: playback.metadata }, snapshot: { snapshotId: snap.id } })
      const want = expected(snap.expected)
      expect(rows.length).toBe(snap.rows)
      expect(asSet(rows)).toEqual(asSet(want))
      for (let i = 1; i < rows.length; i++) expect(rows[i]!.ts as number).toBeGreaterThanOrEqual(rows[i - 1]!.ts as number)
    },
  )

  it('the v1 table reads as the writer says', async () => {
    const snap = v1.snapshots.at(-1)!
    const { rows } = await readAll({ table: { metadata: v1.metadata } })
    expect(asSet(rows)).toEqual(asSet(expected(snap.expected)))
  })

  it('an equality delete removes its key only in its own partition and only from older data files', async () => {
    const victim = playback.victimProfile!
    const { rows } = await readAll({ table: { metadata: playback.metadata } })
    const mine = rows.filter((r) => r.profileId === victim)
    const day = (r: Row) => Math.floor((r.ts as number) / 86_400_000)
    const days = new Set(mine.map(day))
    const first = Math.min(...rows.map(day))
    // rows of the same profile in day 1 (another partition) survive
    expect([...days].some((d) => d > first)).toBe(true)
    // in day 0 only the rows appended after the delete (higher sequence number) remain
    expect(
      mine
        .filter((r) => day(r) === first)
        .map((r) => r.eventId as string)
        .every((id) => id.endsWith('-late')),
    ).toBe(true)
    expect(mine.filter((r) => day(r) === first).length).toBe(3)
  })

  it('maps columns by field id across a rename, a promotion, a drop and an add', async () => {
    // titleId was renamed title_id after the first snapshot: day-0 files still carry the old name
    const { rows } = await readAll({
      table: { metadata: playback.metadata },
      fields: ['titleId', 'positionSec', 'region', 'ts'],
      columns: { titleId: 'title_id' },
    })
    expect(rows.every((r) => typeof r.titleId === 'string' && r.titleId !== '')).toBe(true)
    expect(rows.every((r) => typeof r.positionSec === 'number')).toBe(true)
    const first = expected(playback.snapshots[0]!.expected)
    const firstTs = new Set(first.map((r) => r.ts))
    // region was added later: null in the old files, set in the new ones
    expect(rows.filter((r) => firstTs.has(r.ts)).every((r) => r.region === null)).toBe(true)
    expect(rows.some((r) => r.region === 'eu')).toBe(true)
    // the dropped traceId is not a column any more
    await expect(readAll({ table: { metadata: playback.metadata }, fields: ['traceId', 'ts'] })).rejects.toThrow(
      /lacks the job's field traceId/,
    )
    // ... but the first snapshot (its schema) still has it
    const old = await readAll({
      table: { metadata: playback.metadata },
      fields: ['traceId', 'ts'],
      snapshot: { snapshotId: playback.snapshots[0]!.id },
    })
    expect(old.rows.every((r) => typeof r.traceId === 'string')).toBe(true)
  })

  it('time travel: --as-of picks the snapshot current then; ids stay exact 64-bit', async () => {
    const table = await loadTable({ metadata: playback.metadata })
    for (const s of playback.snapshots) {
      expect(table.snapshots.some((t) => t.id === s.id)).toBe(true)
      expect(selectSnapshot(table, { asOf: s.timestampMs }).id).toBe(s.id)
    }
    expect(playback.snapshots.some((s) => BigInt(s.id) > BigInt(Number.MAX_SAFE_INTEGER))).toBe(true)
    expect(() => selectSnapshot(table, { snapshotId: '123' })).toThrow(ConfigError)
    expect(() => selectSnapshot(table, { asOf: 0 })).toThrow(/no snapshot as of/)
  })

  it('timestamps are exact µs (BigInt) in the files and floor to the job’s epoch ms', async () => {
    const table = await loadTable({ metadata: playback.metadata })
    const snap = selectSnapshot(table, { snapshotId: playback.snapshots[0]!.id })
    const files = await readSnapshotFiles(snap, table.formatVersion)
    const { columns } = await readColumnsById(files[0]!.path, [1, 9])
    const micros = new Map(
      readFileSync(playback.snapshots[0]!.expected, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { eventId: string; tsMicros: string })
        .map((o) => [o.eventId, o.tsMicros]),
    )
    const ids = columns.get(1)!
    const ts = columns.get(9)!
    expect(typeof ts[0]).toBe('bigint')
    for (let i = 0; i < ids.length; i++) expect(String(ts[i])).toBe(micros.get(ids[i] as string))
  })

  it('--from/--to prune files by partition and bounds and keep exactly the rows in range', async () => {
    const all = expected(playback.snapshots.at(-1)!.expected)
    const day1 = Math.floor((all[0]!.ts as number) / 86_400_000) + 1
    const fromMs = day1 * 86_400_000
    const toMs = fromMs + 86_400_000
    const { rows, source } = await readAll({ table: { metadata: playback.metadata }, fromMs, toMs })
    expect(asSet(rows)).toEqual(asSet(all.filter((r) => (r.ts as number) >= fromMs && (r.ts as number) < toMs)))
    expect(source.progress().totalRows).toBeLessThan(
      (await readAll({ table: { metadata: playback.metadata } })).source.progress().totalRows,
    )
  })

  it('resumes at the same row from its positions, pinned to the snapshot it started on', async () => {
    const first = new IcebergSource({
      table: { metadata: playback.metadata },
      fields: FIELDS,
      eventTime: 'ts',
      snapshot: { snapshotId: playback.snapshots[2]!.id },
    })
    await first.open(ctx())
    const head: Row[] = []
    while (head.length < 700) head.push(...(await first.poll(350)).records.map((r) => r.value as Row))
    const positions = first.positions()
    // restored without a snapshot choice: the checkpoint's snapshot wins over the current one
    const second = new IcebergSource({ table: { metadata: playback.metadata }, fields: FIELDS, eventTime: 'ts' })
    await second.open(ctx(positions))
    const tail: Row[] = []
    for (;;) {
      const b = await second.poll(500)
      tail.push(...b.records.map((r) => r.value as Row))
      if (b.end) break
    }
    const whole = await readAll({ table: { metadata: playback.metadata }, snapshot: { snapshotId: playback.snapshots[2]!.id } })
    expect([...head, ...tail].map(sortKey)).toEqual(whole.rows.map(sortKey))
  })

  it('says in one line what is missing: the table, a snapshot, a field', async () => {
    await expect(readAll({ table: { metadata: '/nonexistent/v1.metadata.json' } })).rejects.toThrow(ConfigError)
    await expect(readAll({ table: { metadata: playback.metadata }, snapshot: { snapshotId: '42' } })).rejects.toThrow(
      /snapshot 42 is not in table/,
    )
    await expect(readAll({ table: { metadata: playback.metadata }, fields: ['accountId', 'nope', 'ts'] })).rejects.toThrow(
      /lacks the job's field nope/,
    )
  })

  it('parses 64-bit integers in JSON exactly', () => {
    expect(parseJson64('{"a": 9223372036854775807, "b": [1, -2.5e3, "x\\"y"], "c": null}')).toEqual({
      a: 9223372036854775807n,
      b: [1, -2500, 'x"y'],
      c: null,
    })
  })
})

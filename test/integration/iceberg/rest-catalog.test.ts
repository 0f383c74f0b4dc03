/**
 * The Iceberg source through a real REST catalog (Apache Iceberg's REST adapter on a
 * JDBC/SQLite catalog, test/infra/iceberg-rest-server.ts) serving the pyiceberg table:
 * the same rows as from its metadata.json, 64-bit snapshot ids intact through the
 * catalog's JSON, and one line for a table the catalog does not have.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { loadTable, selectSnapshot } from '../../../connectors/iceberg/metadata.ts'
import { IcebergSource } from '../../../connectors/iceberg/source.ts'
import type { SourceContext } from '../../../engine/connector.ts'
import { startIcebergRest, type IcebergRest } from '../../infra/iceberg-rest-server.ts'

const fx = inject('iceberg')
const playback = fx.tables['rdg.playback']!
const dir = mkdtempSync(join(tmpdir(), 'rdg-iceberg-rest-'))
const BIN = join(import.meta.dirname, '..', '..', '..', 'bin', 'rdg-job.js')
let rest: IcebergRest

beforeAll(async () => {
  rest = await startIcebergRest(dir)
  await rest.register('rdg.playback', playback.metadata)
})
afterAll(async () => {
  await rest?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('Iceberg REST catalog (real server)', () => {
  it('serves the table: same snapshots, exact ids, same rows as its metadata.json', async () => {
    const table = await loadTable({ catalog: rest.uri, table: 'rdg.playback' })
    expect(table.snapshots.map((s) => s.id)).toEqual((await loadTable({ metadata: playback.metadata })).snapshots.map((s) => s.id))
    expect(selectSnapshot(table).id).toBe(playback.snapshots.at(-1)!.id)
    const source = new IcebergSource({
      table: { catalog: rest.uri, table: 'rdg.playback' },
      fields: ['eventId', 'ts'],
      eventTime: 'ts',
      snapshot: { snapshotId: playback.snapshots[1]!.id },
    })
    await source.open({ restoredPositions: null } as unknown as SourceContext)
    const ids: string[] = []
    for (;;) {
      const b = await source.poll(1_000)
      for (const r of b.records) ids.push((r.value as { eventId: string }).eventId)
      if (b.end) break
    }
    const want = readFileSync(playback.snapshots[1]!.expected, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { eventId: string }).eventId)
    expect(ids.sort()).toEqual(want.sort())
  })

  it('rdg-job backfill --catalog --table runs; a table the catalog lacks is one line, exit 2', () => {
    const ok = spawnSync(
      process.execPath,
      [
        BIN,
        'backfill',
        'playback-events',
        '--catalog',
        rest.uri,
        '--table',
        'rdg.playback',
        '--store',
        'memory',
        '--data-dir',
        join(dir, 'jobs'),
      ],
      { encoding: 'utf8' },
    )
    expect(ok.status, ok.stderr).toBe(0)
    expect(ok.stdout).toContain(`snapshot          ${playback.snapshots.at(-1)!.id}`)
    const missing = spawnSync(
      process.execPath,
      [
        BIN,
        'backfill',
        'playback-events',
        '--catalog',
        rest.uri,
        '--table',
        'rdg.nope',
        '--store',
        'memory',
        '--data-dir',
        join(dir, 'jobs2'),
      ],
      { encoding: 'utf8' },
    )
    expect(missing.status).toBe(2)
    expect(missing.stderr.trim()).toMatch(/^rdg-job: Iceberg table rdg.nope does not exist in the catalog/)
  })
})

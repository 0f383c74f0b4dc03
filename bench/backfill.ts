/**
 * Backfill throughput: the playback job over an Iceberg table (written by pyiceberg in
 * the project's .venv, day partitions, one position delete file) into the embedded
 * RocksDB graph store with RocksDB state, next to hyparquet decode-only of the same 7
 * columns of the same files in the same run, and the Iceberg source alone (planning,
 * reading by field id, deletes, ordering, events). Prints rows per wall second and per
 * CPU second for each, and backfill as a share of decode-only (the target: at least 50 %).
 *
 *   node --import tsx bench/backfill.ts [rows]        (default 1 000 000)
 *   node --import tsx bench/backfill.ts --table <metadata.json>   (an existing table)
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { runBackfill } from '../cli/commands/backfill.ts'
import { icebergJobSource } from '../connectors/iceberg/job-source.ts'
import { readSnapshotFiles } from '../connectors/iceberg/manifests.ts'
import { loadTable, localPath, selectSnapshot } from '../connectors/iceberg/metadata.ts'
import { fieldIdsOf } from '../connectors/iceberg/parquet-columns.ts'
import playbackJob from '../jobs/playback-events.ts'
import { RocksDbKvStore } from '../store/kv/rocksdb-kv.ts'
import { untypedJob } from '../graph/job-definition.ts'
import { writePlaybackEvents } from '../test/infra/iceberg-fixtures.ts'

const playback = untypedJob(playbackJob)
const ROOT = join(import.meta.dirname, '..')
const tableFlag = process.argv.indexOf('--table')
const ROWS = tableFlag < 0 ? Number(process.argv[2] ?? 1_000_000) : 0
const dir = mkdtempSync(join(tmpdir(), 'rdg-bench-backfill-'))

function cpuSeconds(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

async function main(): Promise<void> {
  let metadata: string
  if (tableFlag >= 0) metadata = process.argv[tableFlag + 1]!
  else {
    execFileSync('bash', [join(ROOT, 'scripts', 'setup-python.sh')], { stdio: 'inherit' })
    const events = join(dir, 'events.jsonl')
    const t0 = performance.now()
    writePlaybackEvents(events, ROWS, 7, 2_000)
    execFileSync(
      join(ROOT, '.venv', 'bin', 'python'),
      [join(ROOT, 'scripts', 'iceberg', 'write_tables.py'), '--big', events, join(dir, 'wh'), '12'],
      { stdio: 'inherit' },
    )
    metadata = (JSON.parse(readFileSync(join(dir, 'wh', 'fixtures.json'), 'utf8')) as { metadata: string }).metadata
    console.log(`table of ${ROWS.toLocaleString('en-US')} rows written in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  }

  // decode-only: hyparquet over the same columns of the same data files
  const table = await loadTable({ metadata })
  const files = (await readSnapshotFiles(selectSnapshot(table), table.formatVersion)).filter((f) => f.content === 'data')
  const fields = ['accountId', 'profileId', 'deviceId', 'deviceType', 'titleId', 'positionSec', 'ts']
  const decode = async () => {
    let rows = 0
    const c0 = cpuSeconds()
    const w0 = performance.now()
    for (const f of files) {
      const file = await asyncBufferFromFile(localPath(f.path))
      const md = await parquetMetadataAsync(file)
      const byId = fieldIdsOf(md)
      const columns = [...byId.values()].filter((n) => fields.includes(n))
      await parquetRead({
        file,
        metadata: md,
        columns,
        compressors,
        parsers: { timestampFromMicroseconds: (v: bigint) => v },
        onComplete: (data: unknown[]) => (rows += data.length),
      })
    }
    return { rows, cpu: cpuSeconds() - c0, wall: (performance.now() - w0) / 1000 }
  }
  await decode() // warm-up
  const d = await decode()

  // the Iceberg source alone: plan, read by field id, deletes, order, events for the job
  const sourceOnly = async () => {
    const { source: only } = icebergJobSource(playback, { table: { metadata } })
    const c = cpuSeconds()
    const w = performance.now()
    await only.open({ restoredPositions: null } as never)
    let rows = 0
    for (;;) {
      const batch = await only.poll(4_096)
      rows += batch.records.length
      if (batch.end) break
    }
    return { rows, cpu: cpuSeconds() - c, wall: (performance.now() - w) / 1000 }
  }
  await sourceOnly()
  const s = await sourceOnly()

  // backfill: the playback job, RocksDB state, into the embedded RocksDB graph store
  const storeDir = join(dir, 'graph')
  const store = await RocksDbKvStore.open(storeDir)
  const { source, decode: pass } = icebergJobSource(playback, { table: { metadata } })
  await source.prepare()
  const c0 = cpuSeconds()
  const w0 = performance.now()
  const summary = await runBackfill({
    job: playback,
    source,
    decode: pass,
    store,
    dir: join(dir, 'job'),
    stateBackend: 'rocksdb',
    checkpointIntervalMs: 10_000,
  })
  const b = { rows: summary.metrics.recordsIn, cpu: cpuSeconds() - c0, wall: (performance.now() - w0) / 1000 }
  await store.close()

  const rate = (x: { rows: number; cpu: number; wall: number }) =>
    `${Math.round(x.rows / x.wall).toLocaleString('en-US')} rows/s wall, ${Math.round(x.rows / x.cpu).toLocaleString('en-US')} rows/CPU-s`
  console.log(`files: ${files.length}, rows: ${d.rows.toLocaleString('en-US')}`)
  console.log(`hyparquet decode-only (${fields.length} columns): ${rate(d)}`)
  console.log(`Iceberg source only (events for the job):    ${rate(s)}`)
  console.log(
    `backfill, playback job → RocksDB store:      ${rate(b)} (${summary.written.toLocaleString('en-US')} KV items, ${summary.metrics.checkpoints} checkpoints)`,
  )
  console.log(
    `backfill / decode-only: ${((100 * (b.rows / b.wall)) / (d.rows / d.wall)).toFixed(0)} % by wall time, ${((100 * (b.rows / b.cpu)) / (d.rows / d.cpu)).toFixed(0)} % by CPU time`,
  )
}

try {
  await main()
} finally {
  rmSync(dir, { recursive: true, force: true })
}

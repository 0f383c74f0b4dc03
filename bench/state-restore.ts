/**
 * How long a RocksDB state backend takes to come back after a restart, with N keys of
 * state: the fast path (the live database already holds the checkpoint), a rebuild from
 * the checkpoint files into an empty database, and the first batch read afterwards.
 *
 *   node --import tsx bench/state-restore.ts [keys=300000]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ManualClock } from '../base/clock.ts'
import { checkpointId, operatorId } from '../base/ids.ts'
import { codecs } from '../state/codecs.ts'
import { valueState } from '../state/descriptors.ts'
import { RocksDbStateBackend } from '../state/rocksdb-backend.ts'
import type { StateSnapshotHandle } from '../state/types.ts'

const N = Number(process.argv[2] ?? 300_000)
const BATCH = 1_000
const op = operatorId('bench')
const desc = valueState('pending', codecs.json<{ n: number; label: string }>())
const key = (i: number) => `n|account|a${i}`
const ms = (t: number) => `${Math.round(performance.now() - t).toLocaleString('en-US')} ms`.padStart(10)

const dirs: string[] = []
const dir = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p))
  dirs.push(d)
  return d
}
const root = dir('rdg-restore-ckpt-')
const live = dir('rdg-restore-db-')

async function firstBatch(b: RocksDbStateBackend): Promise<string> {
  const t = performance.now()
  const keys = Array.from({ length: BATCH }, (_, j) => key((j * 7919) % N))
  const p = b.prefetch(keys)
  if (p) await p
  const table = b.table(op, desc)
  for (const k of keys) if (table.get(k) === undefined) throw new Error(`lost ${k}`)
  return ms(t)
}

// Build the state through the backend, checkpointing whenever its dirty budget asks.
let t = performance.now()
const a = new RocksDbStateBackend({ clock: new ManualClock(0), path: live })
await a.clear()
const table = a.table(op, desc)
let id = 0
let handle: StateSnapshotHandle | undefined
for (let i = 0; i < N; i += BATCH) {
  const keys = Array.from({ length: BATCH }, (_, j) => key(i + j))
  const p = a.prefetch(keys)
  if (p) await p
  for (const k of keys) table.put(k, { n: 1, label: 'x'.repeat(40) })
  if (a.wantsCheckpoint || i + BATCH >= N) {
    handle = await a.snapshot(checkpointId(++id), root)
    await a.notifyCheckpointComplete(checkpointId(id))
  }
}
await a.close()
console.log(`RocksDB state, ${N.toLocaleString('en-US')} keys (${id} checkpoints): built in ${ms(t)}`)

t = performance.now()
const b = new RocksDbStateBackend({ clock: new ManualClock(0), path: live })
b.table(op, desc)
await b.restore(handle!, root)
console.log(`restore, live database already at the checkpoint  ${ms(t)}   first batch of ${BATCH} ${await firstBatch(b)}`)
await b.close()

t = performance.now()
const c = new RocksDbStateBackend({ clock: new ManualClock(0), path: dir('rdg-restore-db-') })
c.table(op, desc)
await c.restore(handle!, root)
console.log(`restore, rebuilt from checkpoint files           ${ms(t)}   first batch of ${BATCH} ${await firstBatch(c)}`)
await c.close()
console.log(`RSS ${Math.round(process.memoryUsage.rss() / 2 ** 20)} MiB`)
for (const d of dirs) rmSync(d, { recursive: true, force: true })

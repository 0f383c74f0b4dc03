/**
 * RocksDB (@nxtedition/rocksdb RocksLevel) next to LevelDB (classic-level ClassicLevel)
 * through the same database adapter (base/rocksdb.ts, buffer keys and values): awaited
 * single gets, batched getMany, RocksDB's synchronous getMany, and batched writes; then
 * our RocksDB state backend with a working set 10x smaller than the state.
 *
 *   node --import tsx bench/state-backends.ts
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ManualClock } from '../base/clock.ts'
import { checkpointId, operatorId } from '../base/ids.ts'
import { rocksDb, type Database } from '../base/rocksdb.ts'
import { codecs } from '../state/codecs.ts'
import { valueState } from '../state/descriptors.ts'
import { HeapStateBackend } from '../state/heap-backend.ts'
import { RocksDbStateBackend } from '../state/rocksdb-backend.ts'
import type { KeyedStateBackend } from '../state/types.ts'
import { levelDb } from '../test/state/leveldb.ts'

const N = 200_000
const BATCH = 1_000
const key = (i: number) => `key-${(i * 7919) % N}`
const keyBytes = (i: number) => Buffer.from(key(i))
const rate = (n: number, ms: number) =>
  Math.round((n / ms) * 1000)
    .toLocaleString('en-US')
    .padStart(10)

async function raw(name: string, db: Database): Promise<void> {
  await db.open()
  let t = performance.now()
  for (let i = 0; i < N; i += BATCH) {
    const b = db.batch()
    for (let j = i; j < i + BATCH; j++) b.put(keyBytes(j), Buffer.from(JSON.stringify({ n: j, pad: 'x'.repeat(100) })))
    await b.write()
  }
  const write = performance.now() - t
  t = performance.now()
  for (let i = 0; i < 30_000; i++) await db.get(keyBytes(i * 3))
  const single = performance.now() - t
  t = performance.now()
  for (let i = 0; i < N; i += BATCH) await db.getMany(Array.from({ length: BATCH }, (_, j) => keyBytes(i + j)))
  const many = performance.now() - t
  let sync = 'n/a'
  if (db.readsSync) {
    t = performance.now()
    for (let i = 0; i < N; i += BATCH) db.getManySync(Array.from({ length: BATCH }, (_, j) => keyBytes(i + j)))
    sync = rate(N, performance.now() - t)
  }
  console.log(
    `${name.padEnd(22)} batched writes ${rate(N, write)}/s   awaited get ${rate(30_000, single)}/s   getMany(1000) ${rate(N, many)}/s   sync getMany ${sync}${sync === 'n/a' ? '' : '/s'}`,
  )
  await db.close()
}

async function backend(name: string, make: () => KeyedStateBackend): Promise<void> {
  const b = make()
  const table = b.table(operatorId('bench'), valueState('n', codecs.number()))
  const root = mkdtempSync(join(tmpdir(), 'rdg-bench-ckpt-'))
  let id = 0
  const t = performance.now()
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < N; i += BATCH) {
      const keys = Array.from({ length: BATCH }, (_, j) => key(i + j))
      const p = b.prefetch(keys)
      if (p) await p
      for (const k of keys) table.put(k, (table.get(k) ?? 0) + 1)
      if (b.wantsCheckpoint) {
        await b.snapshot(checkpointId(++id), root)
        await b.notifyCheckpointComplete(checkpointId(id))
      }
    }
  }
  const ms = performance.now() - t
  console.log(
    `${name.padEnd(44)} ${rate(3 * N, ms)} get+put/s  (${id} checkpoints forced by the dirty budget, RSS ${Math.round(process.memoryUsage.rss() / 2 ** 20)} MiB)`,
  )
  await b.close()
  rmSync(root, { recursive: true, force: true })
}

console.log(`abstract-level engines, ${N.toLocaleString('en-US')} keys of ~120 bytes`)
const dirs: string[] = []
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), 'rdg-bench-db-'))
  dirs.push(d)
  return d
}
await raw('RocksDB (RocksLevel)', rocksDb(dir()))
await raw('LevelDB (ClassicLevel)', levelDb(dir()))
console.log(`\nstate backends, ${N.toLocaleString('en-US')} keys × 3 rounds, batches of ${BATCH}`)
await backend('heap', () => new HeapStateBackend({ clock: new ManualClock() }))
await backend(
  'RocksDB backend, working set 20 000 (10x smaller)',
  () => new RocksDbStateBackend({ clock: new ManualClock(), path: dir(), cacheEntries: 20_000 }),
)
await backend(
  'LevelDB backend, working set 20 000 (10x smaller)',
  () => new RocksDbStateBackend({ clock: new ManualClock(), path: dir(), cacheEntries: 20_000, engine: levelDb }),
)
for (const d of dirs) rmSync(d, { recursive: true, force: true })

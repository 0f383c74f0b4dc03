import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../base/clock.ts'
import { checkpointId, operatorId } from '../../base/ids.ts'
import { codecs } from '../../state/codecs.ts'
import { valueState } from '../../state/descriptors.ts'
import { RocksDbStateBackend } from '../../state/rocksdb-backend.ts'
import { describeBackendContract } from './backend-contract.ts'
import { levelDb } from './leveldb.ts'

describeBackendContract(
  'rocksdb',
  ({ clock, keyGroups }) =>
    new RocksDbStateBackend({
      clock,
      path: mkdtempSync(join(tmpdir(), 'rdg-rocks-')),
      cacheEntries: 16,
      ...(keyGroups ? { keyGroups } : {}),
    }),
)

describeBackendContract(
  'leveldb (classic-level)',
  ({ clock, keyGroups }) =>
    new RocksDbStateBackend({
      clock,
      engine: levelDb,
      path: mkdtempSync(join(tmpdir(), 'rdg-level-')),
      cacheEntries: 16,
      ...(keyGroups ? { keyGroups } : {}),
    }),
)

const op = operatorId('op')
const count = valueState('count', codecs.number())

async function load(b: RocksDbStateBackend, keys: string[]) {
  const p = b.prefetch(keys)
  if (p) await p
}

describe('RocksDB state backend', () => {
  it('works with state 10x larger than its working set', async () => {
    const clock = new ManualClock(0)
    const root = mkdtempSync(join(tmpdir(), 'rdg-rocks-root-'))
    const b = new RocksDbStateBackend({
      clock,
      path: mkdtempSync(join(tmpdir(), 'rdg-rocks-')),
      cacheEntries: 100,
      dirtyBudgetEntries: 150,
    })
    const t = b.table(op, count)
    let id = 0
    for (let round = 0; round < 3; round++) {
      for (let start = 0; start < 1_000; start += 50) {
        const keys = Array.from({ length: 50 }, (_, i) => `k${start + i}`)
        await load(b, keys)
        for (const k of keys) t.put(k, (t.get(k) ?? 0) + 1)
        if (b.wantsCheckpoint) {
          await b.snapshot(checkpointId(++id), root)
          await b.notifyCheckpointComplete(checkpointId(id))
        }
      }
    }
    expect(id).toBeGreaterThan(5)
    for (let start = 0; start < 1_000; start += 50) {
      const keys = Array.from({ length: 50 }, (_, i) => `k${start + i}`)
      await load(b, keys)
      for (const k of keys) expect(t.get(k), k).toBe(3)
    }
    await b.close()
  })

  it('throws a clear error when a key was not prefetched', async () => {
    const b = new RocksDbStateBackend({ clock: new ManualClock(0), path: mkdtempSync(join(tmpdir(), 'rdg-rocks-')) })
    const t = b.table(op, count)
    expect(() => t.get('nope')).toThrow(/was not prefetched/)
    await b.close()
  })

  it('after a crash, never shows writes of an unfinished epoch and recovers a completed-but-unapplied one', async () => {
    const clock = new ManualClock(0)
    const root = mkdtempSync(join(tmpdir(), 'rdg-rocks-root-'))
    const path = mkdtempSync(join(tmpdir(), 'rdg-rocks-'))
    const a = new RocksDbStateBackend({ clock, path })
    const ta = a.table(op, count)
    await load(a, ['x', 'y'])
    ta.put('x', 1)
    const h1 = await a.snapshot(checkpointId(1), root)
    await a.notifyCheckpointComplete(checkpointId(1))
    ta.put('x', 2)
    ta.put('y', 2)
    // checkpoint 2 is snapshotted and (say) marked complete, but the process dies before applying it
    const h2 = await a.snapshot(checkpointId(2), root)
    ta.put('x', 3) // epoch 3: never checkpointed
    await a.close()

    const b = new RocksDbStateBackend({ clock, path })
    await b.restore(h2, root)
    const tb = b.table(op, count)
    await load(b, ['x', 'y'])
    expect([tb.get('x'), tb.get('y')]).toEqual([2, 2])
    await b.close()

    // and restoring the older checkpoint rebuilds it from files
    const c = new RocksDbStateBackend({ clock, path })
    await c.restore(h1, root)
    const tc = c.table(op, count)
    await load(c, ['x', 'y'])
    expect([tc.get('x'), tc.get('y')]).toEqual([1, undefined])
    await c.close()
  })
})

describe('RocksDB state backend, fresh starts', () => {
  it('clear() forgets a live database left by an earlier run', async () => {
    const clock = new ManualClock(0)
    const root = mkdtempSync(join(tmpdir(), 'rdg-rocks-root-'))
    const path = mkdtempSync(join(tmpdir(), 'rdg-rocks-'))
    const a = new RocksDbStateBackend({ clock, path })
    const ta = a.table(op, count)
    await load(a, ['x'])
    ta.put('x', 1)
    await a.snapshot(checkpointId(1), root)
    await a.notifyCheckpointComplete(checkpointId(1))
    await a.close()
    const b = new RocksDbStateBackend({ clock, path })
    await b.clear()
    const tb = b.table(op, count)
    await load(b, ['x'])
    expect(tb.get('x')).toBeUndefined()
    await b.close()
  })
})

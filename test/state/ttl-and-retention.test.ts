/**
 * Two contract checks beyond backend-contract.ts, run on heap, RocksDB and LevelDB:
 * TTL write times survive a restore (and expired entries stay gone), and a checkpoint
 * restores from only the files `referencedFiles` names once the rest is deleted.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../base/clock.ts'
import { checkpointId, operatorId } from '../../base/ids.ts'
import { codecs } from '../../state/codecs.ts'
import { valueState } from '../../state/descriptors.ts'
import { HeapStateBackend } from '../../state/heap-backend.ts'
import { RocksDbStateBackend } from '../../state/rocksdb-backend.ts'
import type { KeyedStateBackend, StateSnapshotHandle } from '../../state/types.ts'
import { levelDb } from './leveldb.ts'

const op = operatorId('op')
const count = valueState('count', codecs.number())
const session = valueState('session', codecs.string(), { ttlMs: 1_000 })

const dirs: string[] = []
const open: KeyedStateBackend[] = []
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(d)
  return d
}
afterEach(async () => {
  for (const b of open.splice(0)) await b.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const factories: Record<string, (clock: ManualClock) => KeyedStateBackend> = {
  heap: (clock) => new HeapStateBackend({ clock }),
  rocksdb: (clock) => new RocksDbStateBackend({ clock, path: tempDir('rdg-ttl-rocks-'), cacheEntries: 16 }),
  leveldb: (clock) => new RocksDbStateBackend({ clock, path: tempDir('rdg-ttl-level-'), cacheEntries: 16, engine: levelDb }),
}

async function load(backend: KeyedStateBackend, keys: string[]): Promise<void> {
  const p = backend.prefetch(keys)
  if (p) await p
}

for (const [name, factory] of Object.entries(factories)) {
  const make = (clock: ManualClock) => {
    const b = factory(clock)
    open.push(b)
    return b
  }

  describe(`${name} state backend: TTL across restore, retention`, () => {
    it('keeps write times across a restore; expired entries stay gone', async () => {
      const clock = new ManualClock(0)
      const root = tempDir('rdg-ttl-root-')
      const a = make(clock)
      const ta = a.table(op, session)
      await load(a, ['ann', 'bob'])
      ta.put('ann', 's-ann')
      clock.advance(600)
      ta.put('bob', 's-bob')
      clock.advance(500) // ann is 1100 ms old (expired), bob has 500 ms left
      const handle = await a.snapshot(checkpointId(1), root)
      await a.notifyCheckpointComplete(checkpointId(1))

      const b = make(clock)
      await b.restore(handle, root)
      const tb = b.table(op, session)
      await load(b, ['ann', 'bob'])
      const listed: string[] = []
      for await (const k of tb.keys()) listed.push(k)
      expect(listed).toEqual(['bob'])
      expect(tb.get('ann')).toBeUndefined()
      clock.advance(499)
      expect(tb.get('bob')).toBe('s-bob')
      clock.advance(1)
      expect(tb.get('bob')).toBeUndefined()
    })

    it('restores from only the files referencedFiles names for the retained checkpoint', async () => {
      const clock = new ManualClock(0)
      const root = tempDir('rdg-retain-root-')
      const a = make(clock)
      const ta = a.table(op, count)
      const expected = new Map<string, number>()
      let handle: StateSnapshotHandle | undefined
      // Enough checkpoints that the RocksDB chain is rewritten as a full snapshot (every 50).
      for (let epoch = 1; epoch <= 55; epoch++) {
        const keys = [`k${epoch}`, `k${epoch % 3}`]
        await load(a, keys)
        for (const k of keys) {
          ta.put(k, epoch)
          expected.set(k, epoch)
        }
        if (epoch % 7 === 0) {
          ta.delete(`k${epoch - 1}`)
          expected.delete(`k${epoch - 1}`)
        }
        handle = await a.snapshot(checkpointId(epoch), root)
        await a.notifyCheckpointComplete(checkpointId(epoch))
      }
      // The coordinator keeps only the last checkpoint and deletes every file it does not reference.
      const keep = new Set(a.referencedFiles([handle!]))
      const files = readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => relative(root, join(d.parentPath, d.name)))
      const garbage = files.filter((f) => !keep.has(f))
      expect(garbage.length).toBeGreaterThan(0)
      for (const f of garbage) rmSync(join(root, f))

      const b = make(clock)
      await b.restore(handle!, root)
      const tb = b.table(op, count)
      const all = Array.from({ length: 56 }, (_, i) => `k${i}`)
      await load(b, all)
      for (const k of all) expect(tb.get(k), k).toBe(expected.get(k))
    })
  })
}

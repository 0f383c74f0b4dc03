import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ManualClock } from '../../base/clock.ts'
import { ConfigError } from '../../base/errors.ts'
import { rocksDb } from '../../base/rocksdb.ts'
import { InMemoryKvStore } from '../../store/kv/memory-kv.ts'
import { RocksDbKvStore } from '../../store/kv/rocksdb-kv.ts'
import { kvContract } from './kv-contract.ts'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

kvContract('in-memory', { time: 'manual', open: async (o) => new InMemoryKvStore(o) })

kvContract('embedded RocksDB', {
  time: 'manual',
  open: async (o) => {
    const dir = mkdtempSync(join(tmpdir(), 'rdg-kv-contract-'))
    dirs.push(dir)
    return RocksDbKvStore.open(dir, o)
  },
})

describe('embedded RocksDB store', () => {
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'rdg-kv-rocks-'))
    dirs.push(d)
    return d
  }

  it('keeps items, tombstones and TTLs across a reopen', async () => {
    const path = dir()
    const clock = new ManualClock(1_000)
    let store = await RocksDbKvStore.open(path, { clock })
    await store.putItems([
      { namespace: 'edge.w', recordId: 'p1', item: { key: 'a', value: 1, eventTime: 100 } },
      { namespace: 'edge.w', recordId: 'p1', item: { key: 'b', value: 1, eventTime: 500 } },
      { namespace: 'edge.w', recordId: 'p2', item: { key: 'a', value: 1, eventTime: 100 } },
      { namespace: 'edge.w', recordId: 'p3', item: { key: 'x', value: 1, eventTime: 100, ttlMs: 60_000 } },
    ])
    await store.deleteRecord('edge.w', 'p1', 300)
    await store.deleteItems('edge.w', 'p2', ['a'], 200)
    await store.close()
    store = await RocksDbKvStore.open(path, { clock })
    // replays of older writes stay invisible after the restart
    await store.putItems([
      { namespace: 'edge.w', recordId: 'p1', item: { key: 'a', value: 2, eventTime: 250 } },
      { namespace: 'edge.w', recordId: 'p2', item: { key: 'a', value: 2, eventTime: 150 } },
    ])
    expect((await store.getRecord('edge.w', 'p1')).map((i) => i.key)).toEqual(['b'])
    expect(await store.getRecord('edge.w', 'p2')).toEqual([])
    expect(await store.getRecord('edge.w', 'p3')).toEqual([{ key: 'x', value: 1, eventTime: 100, expiresAt: 61_000 }])
    clock.advance(60_000)
    expect(await store.getRecord('edge.w', 'p3')).toEqual([])
    await store.close()
  })

  it('refuses a directory written in another layout, and one already open, with a clear line', async () => {
    const path = dir()
    const old = rocksDb(path)
    await old.open()
    await old.put(Buffer.from('node.account\u0000a1\u0000props'), Buffer.from('{"v":{},"t":1}'))
    await old.close()
    await expect(RocksDbKvStore.open(path)).rejects.toThrow(/older layout; delete the directory/)
    const fresh = dir()
    const first = await RocksDbKvStore.open(fresh)
    await expect(RocksDbKvStore.open(fresh)).rejects.toBeInstanceOf(ConfigError)
    await first.close()
  })
})

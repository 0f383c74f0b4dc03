/**
 * The read-aside cache: hits within the TTL, a fresh read after it (the staleness bound),
 * invalidation by writes through it, LRU bounds, and misses of a batch read together.
 */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../base/clock.ts'
import type { RecordRequest } from '../../store/kv/api.ts'
import { InMemoryKvStore } from '../../store/kv/memory-kv.ts'
import { CachedKvStore } from '../../store/read-cache.ts'

const put = (recordId: string, key: string, value: unknown, eventTime: number) => ({
  namespace: 'edge.e',
  recordId,
  item: { key, value, eventTime },
})

describe('CachedKvStore', () => {
  it('serves a cached page for at most ttlMs, then reads the store again', async () => {
    const clock = new ManualClock(1_000)
    const inner = new InMemoryKvStore({ clock })
    const cache = new CachedKvStore(inner, { ttlMs: 500, clock })
    await inner.putItems([put('r', 'a', 1, 10)])
    expect((await cache.readRecord('edge.e', 'r')).items).toHaveLength(1)
    await inner.putItems([put('r', 'b', 2, 10)]) // written behind the cache's back (another process)
    clock.advance(499)
    expect((await cache.readRecord('edge.e', 'r')).items).toHaveLength(1)
    clock.advance(1)
    expect((await cache.readRecord('edge.e', 'r')).items).toHaveLength(2)
    expect(cache.stats).toMatchObject({ hits: 1, misses: 2 })
  })

  it('drops the records written through it at once', async () => {
    const clock = new ManualClock(1_000)
    const cache = new CachedKvStore(new InMemoryKvStore({ clock }), { ttlMs: 60_000, clock })
    await cache.putItems([put('r', 'a', 1, 10)])
    await cache.readRecord('edge.e', 'r', { limit: 10 })
    await cache.putItems([put('r', 'b', 2, 10)])
    expect((await cache.readRecord('edge.e', 'r', { limit: 10 })).items.map((i) => i.key)).toEqual(['a', 'b'])
    await cache.deleteItems('edge.e', 'r', ['a'], 20)
    expect((await cache.readRecord('edge.e', 'r', { limit: 10 })).items.map((i) => i.key)).toEqual(['b'])
  })

  it('keeps at most maxEntries pages, least recently used out first', async () => {
    const clock = new ManualClock(1_000)
    const cache = new CachedKvStore(new InMemoryKvStore({ clock }), { ttlMs: 60_000, maxEntries: 2, clock })
    for (const r of ['x', 'y']) await cache.readRecord('edge.e', r)
    await cache.readRecord('edge.e', 'x') // x is now the most recent
    await cache.readRecord('edge.e', 'z') // evicts y
    expect(cache.stats).toMatchObject({ entries: 2, evictions: 1 })
    const before = cache.stats.misses
    await cache.readRecord('edge.e', 'x')
    expect(cache.stats.misses).toBe(before)
    await cache.readRecord('edge.e', 'y')
    expect(cache.stats.misses).toBe(before + 1)
  })

  it('with minItems, keeps only pages that large', async () => {
    const clock = new ManualClock(1_000)
    const inner = new InMemoryKvStore({ clock })
    await inner.putItems([put('small', 'a', 1, 10), ...['a', 'b', 'c'].map((k) => put('wide', k, 1, 10))])
    const cache = new CachedKvStore(inner, { ttlMs: 60_000, minItems: 3, clock })
    for (let i = 0; i < 2; i++) for (const r of ['small', 'wide']) await cache.readRecord('edge.e', r)
    expect(cache.stats).toMatchObject({ hits: 1, misses: 3, entries: 1 })
  })

  it('sends the misses of a batch to the store as one readRecords', async () => {
    const clock = new ManualClock(1_000)
    const inner = new InMemoryKvStore({ clock })
    const batches: number[] = []
    const spy = Object.assign(Object.create(inner) as InMemoryKvStore, {
      readRecords: (rs: readonly RecordRequest[]) => (batches.push(rs.length), inner.readRecords(rs)),
    })
    const cache = new CachedKvStore(spy, { clock })
    await cache.readRecords([{ namespace: 'edge.e', recordId: 'a' }])
    await cache.readRecords(['a', 'b', 'c'].map((recordId) => ({ namespace: 'edge.e', recordId })))
    expect(batches).toEqual([1, 2])
  })
})

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ManualClock } from '../../base/clock.ts'
import type { GraphPrimitive, NodeRef } from '../../graph/model.ts'
import type { GraphSchema } from '../../graph/schema.ts'
import { playbackGraph } from '../../jobs/playback-events.ts'
import { edgeNamespace, parseRecentItemKey, recentItemKey } from '../../store/graph-layout.ts'
import { GraphQuery, type Neighbor, type NeighborOptions } from '../../store/graph-query.ts'
import { KvGraphSink } from '../../store/graph-sink.ts'
import type { KvDataStore } from '../../store/kv/api.ts'
import { InMemoryKvStore } from '../../store/kv/memory-kv.ts'
import { RocksDbKvStore } from '../../store/kv/rocksdb-kv.ts'
import { hasRecentIndex } from '../../store/recent-index.ts'
import { seededRandom } from '../../connectors/generator/prng.ts'
import { watchEdge } from '../infra/playback-primitives.ts'

const DAY = 86_400_000
/** The playback graph with both directions of started_watching indexed. */
const graph: GraphSchema = {
  ...playbackGraph,
  edges: { ...playbackGraph.edges, started_watching: { ...playbackGraph.edges.started_watching, latestIndex: 'both' } },
}
const NOW = 1_000 * DAY

const rng = seededRandom

const watch = watchEdge

/** Watches with rewrites: newer and older versions of the same edge, equal times, coarse times so ties happen. */
function watches(seed: number, n: number): GraphPrimitive[] {
  const r = rng(seed)
  const out: GraphPrimitive[] = []
  for (let i = 0; i < n; i++) {
    const profile = `p${Math.floor(r() * 12)}`
    const title = `t${Math.floor(r() * 40)}`
    const t = NOW - Math.floor(r() * 60) * 3_600_000 // hours: many equal times
    out.push(watch(profile, title, t, Math.floor(r() * 4)))
  }
  return out
}

async function fill(
  store: KvDataStore,
  items: readonly GraphPrimitive[],
  recentIndex: boolean,
  clock: ManualClock,
  schema: GraphSchema = graph,
): Promise<KvGraphSink> {
  const sink = new KvGraphSink({
    store,
    schema,
    clock,
    recentIndex,
    batchSize: 37,
    onReject: (l) => {
      throw new Error(l.reason)
    },
  })
  await sink.open({} as never)
  for (const p of items) sink.write(p)
  await sink.flush()
  return sink
}

async function allPages(g: GraphQuery, node: NodeRef, edge: string, options: NeighborOptions): Promise<Neighbor[]> {
  const out: Neighbor[] = []
  let token: string | null = null
  let pages = 0
  do {
    const page = await g.neighbors(node, edge, { ...options, pageToken: token })
    out.push(...page.neighbors)
    token = page.next
  } while (token && ++pages < 1_000)
  return out
}

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const backends: Record<string, (clock: ManualClock) => Promise<KvDataStore>> = {
  memory: async (clock) => new InMemoryKvStore({ clock }),
  rocksdb: async (clock) => {
    const dir = mkdtempSync(join(tmpdir(), 'rdg-recent-index-'))
    dirs.push(dir)
    return RocksDbKvStore.open(dir, { clock })
  },
}

describe('recent-edge index keys', () => {
  it('sort newest first for every double, and parse back exactly', () => {
    const r = rng(3)
    const times = [0, -0, 1, -1, 0.5, -0.5, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 1.7e12, 1.7e12 + 1]
    for (let i = 0; i < 2_000; i++) times.push((r() - 0.5) * 10 ** Math.floor(r() * 16), Math.floor(r() * 2e12))
    const keys = times.map((t) => recentItemKey(t, 'title:x'))
    for (const [i, k] of keys.entries()) expect(Object.is(parseRecentItemKey(k).eventTime, times[i])).toBe(true)
    for (const k of keys) expect(parseRecentItemKey(k).neighborKey).toBe('title:x')
    const byKey = [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((k) => parseRecentItemKey(k).eventTime)
    const byTime = [...times].sort((a, b) => b - a || (Object.is(a, -0) ? 1 : Object.is(b, -0) ? -1 : 0))
    expect(byKey).toEqual(byTime)
  })
})

describe.each(Object.keys(backends))('LATEST through the recent-edge index (%s)', (backend) => {
  it('gives the pages of a full sort of the adjacency lists, after rewrites, older replays, ties and deletes', async () => {
    const clock = new ManualClock(NOW)
    const items = watches(17, 1_500)
    const indexed = await backends[backend]!(clock)
    const plain = await backends[backend]!(clock)
    const sink = await fill(indexed, items, true, clock)
    expect([...sink.recentIndexes]).toEqual(['edge.started_watching.latest', 'edge.started_watching.in.latest'])
    expect((await fill(plain, items, false, clock)).recentIndexes.size).toBe(0)
    // an older replay of the first 300 after the fact (last-writer-wins keeps the newer ones), and some deletes
    const replay = items.slice(0, 300).map((p) => ({ ...p, eventTime: p.eventTime - DAY }))
    await fill(indexed, replay, true, clock)
    await fill(plain, replay, false, clock)
    for (const store of [indexed, plain]) {
      await store.deleteItems(edgeNamespace('started_watching'), 'p3', ['title:t1', 'title:t2', 'title:t3'], NOW)
      await store.deleteItems(edgeNamespace('started_watching', 'in'), 't5', ['profile:p1', 'profile:p2'], NOW)
    }
    for (const direction of ['out', 'in'] as const) {
      expect(await hasRecentIndex(indexed, 'started_watching', direction)).toBe(true)
      expect(await hasRecentIndex(plain, 'started_watching', direction)).toBe(false)
    }

    const viaIndex = new GraphQuery(indexed, graph, { clock })
    const viaSort = new GraphQuery(plain, graph, { clock })
    const cases: NeighborOptions[] = [
      { limit: 5 },
      { limit: 1 },
      { limit: 100 },
      { limit: 3, lookbackMs: 20 * 3_600_000 },
      { limit: 7, select: ['positionSec'] },
    ]
    let compared = 0
    for (const options of cases) {
      for (let p = 0; p < 12; p++) {
        const node = { type: 'profile', id: `p${p}` }
        const want = await allPages(viaSort, node, 'started_watching', options)
        expect(await allPages(viaIndex, node, 'started_watching', options)).toEqual(want)
        compared += want.length
      }
      for (let t = 0; t < 40; t++) {
        const node = { type: 'title', id: `t${t}` }
        const opts = { ...options, direction: 'in' as const }
        expect(await allPages(viaIndex, node, 'started_watching', opts)).toEqual(await allPages(viaSort, node, 'started_watching', opts))
      }
    }
    expect(compared).toBeGreaterThan(500)
    // a small scan bound cuts pages short but loses nothing: following the tokens gives the same order
    const node = { type: 'title', id: 't7' }
    const full = await allPages(viaSort, node, 'started_watching', { direction: 'in', limit: 4 })
    expect(await allPages(viaIndex, node, 'started_watching', { direction: 'in', limit: 4, maxScan: 3 })).toEqual(full)
    // traversals too (both hops LATEST)
    const hops = [
      { edge: 'started_watching', limit: 4 },
      { edge: 'started_watching', direction: 'in' as const, limit: 3 },
    ]
    expect(await viaIndex.traverse({ type: 'profile', id: 'p1' }, hops, { excludeVisited: true })).toEqual(
      await viaSort.traverse({ type: 'profile', id: 'p1' }, hops, { excludeVisited: true }),
    )
    await indexed.close()
    await plain.close()
  })

  it('writes index entries without a read, and a record deleted later still shadows them', async () => {
    const clock = new ManualClock(NOW)
    const store = await backends[backend]!(clock)
    const ns = 'edge.started_watching.in.latest'
    const entry = (t: number, profile: string) => ({
      namespace: ns,
      recordId: 't1',
      item: { key: recentItemKey(t, `profile:${profile}`), value: null, eventTime: t },
      immutable: true,
    })
    await store.putItems([entry(NOW - 5, 'p0')])
    await store.deleteRecord(ns, 't1', NOW)
    await store.putItems([entry(NOW - 1, 'p1'), entry(NOW + 1, 'p2'), entry(NOW + 1, 'p2')])
    expect((await store.readRecord(ns, 't1')).items.map((i) => i.key)).toEqual([recentItemKey(NOW + 1, 'profile:p2')])
    await store.close()
  })

  it('is kept only for adjacency lists that had it from their first edge', async () => {
    const clock = new ManualClock(NOW)
    const old = await backends[backend]!(clock)
    await fill(old, watches(5, 50), false, clock)
    // lists written without the index: a later sink does not start one halfway (LATEST would miss the older edges)
    const later = await fill(old, watches(6, 50), true, clock)
    expect(later.recentIndexes.size).toBe(0)
    expect(later.incompleteIndexes).toEqual(['started_watching (out)', 'started_watching (in)'])
    expect(await hasRecentIndex(old, 'started_watching', 'in')).toBe(false)
    // a store built with the playback job's index ('in'); a schema that adds 'out' later gets 'in' only
    const fresh = await backends[backend]!(clock)
    expect([...(await fill(fresh, [], true, clock, playbackGraph)).recentIndexes]).toEqual(['edge.started_watching.in.latest'])
    expect([...(await fill(fresh, watches(7, 50), true, clock, playbackGraph)).recentIndexes]).toEqual(['edge.started_watching.in.latest'])
    const widened = await fill(fresh, watches(8, 50), true, clock)
    expect([...widened.recentIndexes]).toEqual(['edge.started_watching.in.latest'])
    expect(widened.incompleteIndexes).toEqual(['started_watching (out)'])
    await old.close()
    await fresh.close()
  })
})

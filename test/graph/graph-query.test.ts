import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../base/clock.ts'
import { ConfigError } from '../../base/errors.ts'
import { GraphQuery, type Neighbor, type NeighborOptions } from '../../store/graph-query.ts'
import type { GraphPrimitive, NodeRef } from '../../graph/model.ts'
import type { RecordRequest } from '../../store/kv/api.ts'
import { InMemoryKvStore } from '../../store/kv/memory-kv.ts'
import { playbackGraph } from '../../jobs/playback-events.ts'
import { KvGraphSink } from '../../store/graph-sink.ts'
import { watchEdge } from '../infra/playback-primitives.ts'

const DAY = 86_400_000
const NOW = 100 * DAY

const watch = (profile: string, title: string, t: number): GraphPrimitive => watchEdge(profile, title, t, 60)
const profile = (id: string): NodeRef => ({ type: 'profile', id })
const title = (id: string): NodeRef => ({ type: 'title', id })
const ids = (list: readonly Neighbor[]) => list.map((n) => n.node.id)

/** Counts batched reads, to check that a hop's lookups go out together. */
class CountingStore extends InMemoryKvStore {
  batches: number[] = []
  override async readRecords(requests: readonly RecordRequest[]) {
    this.batches.push(requests.length)
    return super.readRecords(requests)
  }
}

async function graph(): Promise<{ g: GraphQuery; store: CountingStore; clock: ManualClock }> {
  const clock = new ManualClock(NOW)
  const store = new CountingStore({ clock })
  const sink = new KvGraphSink({
    store,
    schema: playbackGraph,
    clock,
    onReject: (l) => {
      throw new Error(l.reason)
    },
  })
  const items: GraphPrimitive[] = [
    { kind: 'node', type: 'title', id: 't1', properties: { name: 'Dark', genre: 'sci-fi' }, eventTime: 1 },
    { kind: 'node', type: 'title', id: 't2', properties: { name: 'Narcos', genre: 'crime' }, eventTime: 1 },
    watch('p1', 't1', NOW - 10 * DAY),
    watch('p1', 't2', NOW - 1 * DAY),
    watch('p1', 't3', NOW - 3 * DAY),
    watch('p2', 't1', NOW - 2 * DAY),
    watch('p3', 't1', NOW - 5 * DAY),
    watch('p3', 't9', NOW - 4 * DAY),
    watch('p4', 't2', NOW - 6 * DAY),
  ]
  for (let i = 0; i < 30; i++) items.push(watch('heavy', `x${String(i).padStart(2, '0')}`, NOW - i * 1000))
  for (const p of items) sink.write(p)
  await sink.flush()
  store.batches = []
  return { g: new GraphQuery(store, playbackGraph, { clock }), store, clock }
}

async function allPages(g: GraphQuery, node: NodeRef, edge: string, options: NeighborOptions): Promise<Neighbor[][]> {
  const pages: Neighbor[][] = []
  let token: string | null = null
  do {
    const page = await g.neighbors(node, edge, { ...options, pageToken: token })
    pages.push(page.neighbors)
    token = page.next
  } while (token && pages.length < 50)
  return pages
}

describe('graph queries', () => {
  it('reads a node, with property selection; a missing node is null', async () => {
    const { g } = await graph()
    expect(await g.getNode(title('t1'))).toEqual({ ref: title('t1'), properties: { name: 'Dark', genre: 'sci-fi' }, eventTime: 1 })
    expect((await g.getNode(title('t1'), ['name']))!.properties).toEqual({ name: 'Dark' })
    expect(await g.getNode(title('nope'))).toBeNull()
  })

  it('lists neighbours newest first or in key order, with limit, lookback and the reverse direction', async () => {
    const { g } = await graph()
    expect(ids((await g.neighbors(profile('p1'), 'started_watching')).neighbors)).toEqual(['t2', 't3', 't1'])
    expect(ids((await g.neighbors(profile('p1'), 'started_watching', { order: 'any' })).neighbors)).toEqual(['t1', 't2', 't3'])
    expect(ids((await g.neighbors(profile('p1'), 'started_watching', { limit: 2 })).neighbors)).toEqual(['t2', 't3'])
    expect(ids((await g.neighbors(profile('p1'), 'started_watching', { lookbackMs: 7 * DAY })).neighbors)).toEqual(['t2', 't3'])
    expect(ids((await g.neighbors(profile('p1'), 'started_watching', { lookbackMs: 7 * DAY, order: 'any' })).neighbors)).toEqual([
      't2',
      't3',
    ])
    expect(ids((await g.neighbors(title('t1'), 'started_watching', { direction: 'in' })).neighbors)).toEqual(['p2', 'p3', 'p1'])
    const selected = await g.neighbors(profile('p1'), 'started_watching', { limit: 1, select: ['positionSec'] })
    expect(selected.neighbors).toEqual([{ node: title('t2'), properties: { positionSec: 60 }, eventTime: NOW - DAY }])
  })

  it('filters neighbours by id prefix or range', async () => {
    const { g } = await graph()
    expect(ids((await g.neighbors(profile('heavy'), 'started_watching', { order: 'any', keyFilter: { prefix: 'x2' } })).neighbors)).toEqual(
      ['x20', 'x21', 'x22', 'x23', 'x24', 'x25', 'x26', 'x27', 'x28', 'x29'],
    )
    expect(
      ids((await g.neighbors(profile('heavy'), 'started_watching', { order: 'any', keyFilter: { from: 'x05', to: 'x08' } })).neighbors),
    ).toEqual(['x05', 'x06', 'x07'])
    expect(ids((await g.neighbors(profile('heavy'), 'started_watching', { keyFilter: { from: 'x27' } })).neighbors)).toEqual([
      'x27',
      'x28',
      'x29',
    ])
  })

  it('pages through neighbours in both orders without gaps or repeats', async () => {
    const { g } = await graph()
    const any = await allPages(g, profile('heavy'), 'started_watching', { order: 'any', limit: 7 })
    expect(any.map((p) => p.length)).toEqual([7, 7, 7, 7, 2])
    expect(any.flat().map((n) => n.node.id)).toEqual(Array.from({ length: 30 }, (_, i) => `x${String(i).padStart(2, '0')}`))
    const latest = await allPages(g, profile('heavy'), 'started_watching', { limit: 8 })
    expect(latest.map((p) => p.length)).toEqual([8, 8, 8, 6])
    const times = latest.flat().map((n) => n.eventTime)
    expect(times).toEqual([...times].sort((a, b) => b - a))
    expect(new Set(latest.flat().map((n) => n.node.id)).size).toBe(30)
    const lookback = await allPages(g, profile('heavy'), 'started_watching', { order: 'any', limit: 4, lookbackMs: 9_500 })
    expect(lookback.flat().map((n) => n.node.id)).toEqual(['x00', 'x01', 'x02', 'x03', 'x04', 'x05', 'x06', 'x07', 'x08', 'x09'])
    const page = await g.neighbors(profile('heavy'), 'started_watching', { limit: 3 })
    await expect(g.neighbors(profile('heavy'), 'started_watching', { order: 'any', pageToken: page.next })).rejects.toThrow(
      /belongs to order latest/,
    )
  })

  it('traverses breadth-first, one batch per hop: who else watched what I watched', async () => {
    const { g, store } = await graph()
    const steps = await g.traverse(
      profile('p1'),
      [
        { edge: 'started_watching', nodeProperties: ['name'] },
        { edge: 'started_watching', direction: 'in' },
      ],
      { excludeVisited: true },
    )
    expect(store.batches).toEqual([1, 3, 3]) // hop 1: p1; node properties of t1..t3; hop 2: t1, t2, t3 together
    expect(steps[0]!.reached.map((r) => [r.node.id, r.nodeProperties])).toEqual([
      ['t2', { name: 'Narcos' }],
      ['t3', null],
      ['t1', { name: 'Dark' }],
    ])
    expect(steps[1]!.reached.map((r) => `${r.from.id}←${r.node.id}`).sort()).toEqual(['t1←p2', 't1←p3', 't2←p4'])
    // per-hop limit and lookback
    const recent = await g.traverse(
      profile('p1'),
      [
        { edge: 'started_watching', lookbackMs: 7 * DAY },
        { edge: 'started_watching', direction: 'in', limit: 2 },
      ],
      { excludeVisited: true },
    )
    expect(recent[1]!.reached.map((r) => r.node.id)).toEqual(['p4'])
  })

  it('carries at most maxFrontier distinct nodes to the next hop, and reports every edge reached', async () => {
    const { g, store } = await graph()
    const hops = [{ edge: 'started_watching' }, { edge: 'started_watching', direction: 'in' as const }]
    const all = await g.traverse(profile('p1'), hops)
    store.batches = []
    const narrow = await g.traverse(profile('p1'), hops, { maxFrontier: 1 })
    expect(narrow[0]!.reached).toEqual(all[0]!.reached) // hop 1 reports t2, t3, t1
    expect(store.batches).toEqual([1, 1]) // hop 2 starts from one title only: the newest, t2
    expect(narrow[1]!.reached.map((r) => `${r.from.id}←${r.node.id}`).sort()).toEqual(['t2←p1', 't2←p4'])
    // without excludeVisited the start node comes back; with it, it does not
    const visited = await g.traverse(profile('p1'), hops, { maxFrontier: 1, excludeVisited: true })
    expect(visited[1]!.reached.map((r) => r.node.id)).toEqual(['p4'])
  })

  it('says clearly when a query does not fit the schema', async () => {
    const { g } = await graph()
    await expect(g.neighbors(profile('p1'), 'watched')).rejects.toThrow(/unknown edge type "watched"; known: /)
    await expect(g.neighbors(title('t1'), 'started_watching')).rejects.toThrow(/leaves profile nodes, not title/)
    await expect(g.neighbors(profile('p1'), 'started_watching', { limit: 0 })).rejects.toBeInstanceOf(ConfigError)
  })
})

import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/engine/clock.ts'
import type { GraphPrimitive } from '../../src/graph/model.ts'
import { GraphReader } from '../../src/graph/query.ts'
import { MemoryKvStore } from '../../src/kv/memory-store.ts'
import { KvGraphSink } from '../../src/operators/kv-sink.ts'
import { playbackGraph } from '../../src/jobs/playback-events.ts'

const watch = (profile: string, title: string, t: number): GraphPrimitive => ({
  kind: 'edge',
  type: 'started_watching',
  src: { type: 'profile', id: profile },
  dst: { type: 'title', id: title },
  properties: { lastWatchTime: t, positionSec: t / 10, deviceType: 'tv' },
  eventTime: t,
})

async function graph(): Promise<GraphReader> {
  const store = new MemoryKvStore()
  const sink = new KvGraphSink({ store, schema: playbackGraph, onReject: (l) => { throw new Error(l.reason) }, clock: new ManualClock() })
  const items: GraphPrimitive[] = [
    { kind: 'node', type: 'title', id: 't1', properties: { name: 'Dark', genre: 'sci-fi' }, eventTime: 1 },
    watch('p1', 't1', 100),
    watch('p1', 't2', 300),
    watch('p1', 't3', 200),
    watch('p2', 't1', 150),
    watch('p3', 't1', 120),
    watch('p3', 't9', 130),
  ]
  for (const p of items) sink.write(p)
  await sink.flush()
  return new GraphReader(store, playbackGraph)
}

describe('graph queries', () => {
  it('reads a node', async () => {
    const g = await graph()
    expect(await g.node({ type: 'title', id: 't1' })).toEqual({ ref: { type: 'title', id: 't1' }, properties: { name: 'Dark', genre: 'sci-fi' }, eventTime: 1 })
    expect(await g.node({ type: 'title', id: 'nope' })).toBeNull()
  })

  it('lists neighbours newest first, with limit, lookback and the reverse direction', async () => {
    const g = await graph()
    const out = await g.neighbors({ type: 'profile', id: 'p1' }, 'started_watching')
    expect(out.map((n) => n.node.id)).toEqual(['t2', 't3', 't1'])
    expect((await g.neighbors({ type: 'profile', id: 'p1' }, 'started_watching', { limit: 2 })).map((n) => n.node.id)).toEqual(['t2', 't3'])
    expect((await g.neighbors({ type: 'profile', id: 'p1' }, 'started_watching', { lookbackMs: 150, now: 350 })).map((n) => n.node.id)).toEqual(['t2', 't3'])
    expect((await g.neighbors({ type: 'title', id: 't1' }, 'started_watching', { direction: 'in' })).map((n) => n.node.id)).toEqual(['p2', 'p3', 'p1'])
  })

  it('traverses breadth-first: who else watched what I watched', async () => {
    const g = await graph()
    const steps = await g.traverse({ type: 'profile', id: 'p1' }, [{ edge: 'started_watching' }, { edge: 'started_watching', direction: 'in' }])
    expect(steps[0]!.reached.map((r) => r.node.id)).toEqual(['t2', 't3', 't1'])
    expect(new Set(steps[1]!.reached.map((r) => r.node.id).filter((id) => id !== 'p1'))).toEqual(new Set(['p2', 'p3']))
  })
})

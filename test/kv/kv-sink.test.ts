import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/engine/clock.ts'
import type { DeadLetter } from '../../src/engine/connector.ts'
import type { GraphEdge, GraphNode } from '../../src/graph/model.ts'
import { defineGraphSchema } from '../../src/graph/schema.ts'
import { MemoryKvStore } from '../../src/kv/memory-store.ts'
import type { KvWrite } from '../../src/kv/types.ts'
import { KvGraphSink } from '../../src/operators/kv-sink.ts'

const schema = defineGraphSchema({
  nodes: { account: { properties: { plan: 'string?' } }, profile: { properties: {} } },
  edges: { has_profile: { from: 'account', to: 'profile', direction: 'both', properties: { since: 'timestamp' } } },
})

const account = (id: string, t: number, plan?: string): GraphNode => ({ kind: 'node', type: 'account', id, properties: plan ? { plan } : {}, eventTime: t })
const hasProfile = (a: string, p: string, t: number): GraphEdge => ({ kind: 'edge', type: 'has_profile', src: { type: 'account', id: a }, dst: { type: 'profile', id: p }, properties: { since: t }, eventTime: t })

/** A store that fails while `down` is set: our own seam for the retry logic. */
class FlakyStore extends MemoryKvStore {
  down = false
  attempts = 0
  override async putItems(writes: readonly KvWrite[]): Promise<void> {
    this.attempts++
    if (this.down) throw new Error('store unavailable')
    return super.putItems(writes)
  }
}

describe('KV graph sink', () => {
  it('writes nodes and both adjacency lists of a two-directional edge', async () => {
    const store = new MemoryKvStore()
    const sink = new KvGraphSink({ store, schema, onReject: () => {}, clock: new ManualClock() })
    sink.write(account('a1', 5, 'premium'))
    sink.write(hasProfile('a1', 'p1', 6))
    expect(store.dump()).toEqual({})
    await sink.flush()
    expect(store.dump()).toEqual({
      'node.account': { a1: { props: { key: 'props', value: { plan: 'premium' }, eventTime: 5 } } },
      'edge.has_profile': { a1: { 'profile:p1': { key: 'profile:p1', value: { since: 6 }, eventTime: 6 } } },
      'edge.has_profile.in': { p1: { 'account:a1': { key: 'account:a1', value: { since: 6 }, eventTime: 6 } } },
    })
  })

  it('rejects primitives that do not fit the schema to the dead letters with the reason', () => {
    const letters: DeadLetter[] = []
    const sink = new KvGraphSink({ store: new MemoryKvStore(), schema, onReject: (l) => letters.push(l), clock: new ManualClock() })
    sink.write({ kind: 'node', type: 'acount', id: 'x', properties: {}, eventTime: 1 })
    sink.write(account('a1', 1, 42 as unknown as string))
    sink.write({ ...hasProfile('a1', 'p1', 1), src: { type: 'profile', id: 'p9' } })
    sink.write({ ...hasProfile('a1', 'p1', 1), properties: {} })
    expect(letters.map((l) => l.reason)).toEqual([
      'rejected by graph schema: node type "acount" is not in the graph schema',
      'rejected by graph schema: node account: property "plan" must be string, got 42',
      'rejected by graph schema: edge has_profile goes account → profile, not profile → profile',
      'rejected by graph schema: edge has_profile: property "since" is required',
    ])
  })

  it('applies backpressure over its bound and retries a failing store with backoff, losing nothing', async () => {
    const clock = new ManualClock(0)
    const store = new FlakyStore()
    const sink = new KvGraphSink({ store, schema, onReject: () => {}, clock, batchSize: 2, maxBuffered: 4, retry: { initialMs: 100, maxMs: 400 } })
    for (let i = 0; i < 5; i++) sink.write(account(`a${i}`, i))
    expect(sink.backpressured).toBe(true)
    store.down = true
    const flushed = sink.flush()
    // let the first attempts fail, moving time by hand through the backoff (100, 200, 400, 400 ms)
    for (const step of [100, 200, 400, 400]) {
      await Promise.resolve()
      await Promise.resolve()
      clock.advance(step)
    }
    expect(store.attempts).toBeGreaterThanOrEqual(4)
    store.down = false
    for (let i = 0; i < 10; i++) {
      await Promise.resolve()
      clock.advance(400)
    }
    await flushed
    expect(sink.backpressured).toBe(false)
    expect(Object.keys(store.dump()['node.account']!).sort()).toEqual(['a0', 'a1', 'a2', 'a3', 'a4'])
    expect(sink.retries).toBeGreaterThanOrEqual(4)
  })
})

import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../base/clock.ts'
import type { DeadLetter } from '../../engine/connector.ts'
import { RdgError, TransientError } from '../../base/errors.ts'
import type { GraphEdge, GraphNode } from '../../graph/model.ts'
import { defineGraphSchema } from '../../graph/schema.ts'
import type { KvPut } from '../../store/kv/api.ts'
import { InMemoryKvStore } from '../../store/kv/memory-kv.ts'
import { KvGraphSink } from '../../store/graph-sink.ts'

const schema = defineGraphSchema({
  nodes: { account: { properties: { plan: 'string?' } }, profile: { properties: {} }, title: { properties: {} } },
  edges: {
    has_profile: { from: 'account', to: 'profile', direction: 'both', properties: { since: 'timestamp' } },
    watched: { from: 'profile', to: 'title', direction: 'out', properties: {} },
  },
})

const account = (id: string, t: number, plan?: string): GraphNode => ({
  kind: 'node',
  type: 'account',
  id,
  properties: plan ? { plan } : {},
  eventTime: t,
})
const hasProfile = (a: string, p: string, t: number): GraphEdge => ({
  kind: 'edge',
  type: 'has_profile',
  src: { type: 'account', id: a },
  dst: { type: 'profile', id: p },
  properties: { since: t },
  eventTime: t,
})

/** Lets pending promise callbacks run (no timers involved). */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r))
}

/** Our own seam: a store whose writes the test completes, fails or holds by hand. */
class ControlledStore extends InMemoryKvStore {
  calls: Array<{ size: number; at: number }> = []
  inFlight = 0
  maxSeenInFlight = 0
  failNext = 0
  failWith: () => Error = () => new TransientError('store unavailable')
  hold = false
  private held: Array<() => void> = []

  constructor(private readonly time: ManualClock) {
    super({ clock: time })
  }

  override async putItems(writes: readonly KvPut[]): Promise<void> {
    this.calls.push({ size: writes.length, at: this.time.now() })
    this.inFlight++
    this.maxSeenInFlight = Math.max(this.maxSeenInFlight, this.inFlight)
    try {
      if (this.hold) await new Promise<void>((r) => this.held.push(r))
      if (this.failNext > 0) {
        this.failNext--
        throw this.failWith()
      }
      await super.putItems(writes)
    } finally {
      this.inFlight--
    }
  }

  release(): void {
    this.hold = false
    for (const r of this.held.splice(0)) r()
  }
}

describe('KvGraphSink', () => {
  it('writes nodes and both adjacency lists of a two-directional edge, one list of a one-directional one', async () => {
    const clock = new ManualClock(0)
    const store = new InMemoryKvStore({ clock })
    const sink = new KvGraphSink({ store, schema, clock, onReject: () => {} })
    sink.write(account('a1', 5, 'premium'))
    sink.write(hasProfile('a1', 'p1', 6))
    sink.write({
      kind: 'edge',
      type: 'watched',
      src: { type: 'profile', id: 'p1' },
      dst: { type: 'title', id: 't1' },
      properties: {},
      eventTime: 7,
    })
    await sink.flush()
    expect(store.dump()).toEqual({
      'node.account': { a1: { props: { key: 'props', value: { plan: 'premium' }, eventTime: 5 } } },
      'edge.has_profile': { a1: { 'profile:p1': { key: 'profile:p1', value: { since: 6 }, eventTime: 6 } } },
      'edge.has_profile.in': { p1: { 'account:a1': { key: 'account:a1', value: { since: 6 }, eventTime: 6 } } },
      'edge.watched': { p1: { 'title:t1': { key: 'title:t1', value: {}, eventTime: 7 } } },
    })
    expect(sink.written).toBe(4)
  })

  it('sends what does not fit the schema to the dead letters with the reason, and writes the rest', async () => {
    const letters: DeadLetter[] = []
    const clock = new ManualClock(0)
    const store = new InMemoryKvStore({ clock })
    const sink = new KvGraphSink({ id: 'graph', store, schema, clock, onReject: (l) => letters.push(l) })
    sink.write({ kind: 'node', type: 'acount', id: 'x', properties: {}, eventTime: 1 })
    sink.write(account('a1', 1, 42 as unknown as string))
    sink.write({ ...hasProfile('a1', 'p1', 1), src: { type: 'profile', id: 'p9' } })
    sink.write({ ...hasProfile('a1', 'p1', 1), properties: {} })
    sink.write(account('ok', 2))
    await sink.flush()
    expect(letters.map((l) => l.reason)).toEqual([
      'rejected by graph schema: node type "acount" is not in the graph schema',
      'rejected by graph schema: node account: property "plan" must be string, got 42',
      'rejected by graph schema: edge has_profile goes account → profile, not profile → profile',
      'rejected by graph schema: edge has_profile: property "since" is required',
    ])
    expect(letters[0]).toMatchObject({ operator: 'graph', eventTime: 1, value: { type: 'acount' } })
    expect(sink.rejected).toBe(4)
    expect(Object.keys(store.dump()['node.account']!)).toEqual(['ok'])
  })

  it('sends full batches at once with bounded writes in flight, and backpressures while pending is over the bound', async () => {
    const clock = new ManualClock(0)
    const store = new ControlledStore(clock)
    store.hold = true
    const sink = new KvGraphSink({ store, schema, clock, onReject: () => {}, batchSize: 3, maxInFlight: 2, maxBuffered: 10, lingerMs: 0 })
    for (let i = 0; i < 12; i++) sink.write(account(`a${i}`, i))
    await settle()
    expect(store.calls.map((c) => c.size)).toEqual([3, 3]) // two in flight, the rest waits
    expect(sink.pending).toBe(12)
    expect(sink.backpressured).toBe(true)
    const drained = sink.drain()
    let drainedYet = false
    void drained.then(() => (drainedYet = true))
    await settle()
    expect(drainedYet).toBe(false)
    store.release()
    await drained
    expect(sink.pending).toBeLessThan(10)
    expect(sink.backpressured).toBe(false)
    await sink.flush()
    expect(store.maxSeenInFlight).toBeLessThanOrEqual(2)
    expect(store.calls.every((c) => c.size <= 3)).toBe(true)
    expect(Object.keys(store.dump()['node.account']!)).toHaveLength(12)
  })

  it('retries a failing store with exponential backoff on the clock and loses nothing', async () => {
    const clock = new ManualClock(0)
    const store = new ControlledStore(clock)
    store.failNext = 5
    const retries: number[] = []
    const sink = new KvGraphSink({
      store,
      schema,
      clock,
      onReject: () => {},
      batchSize: 100,
      lingerMs: 0,
      retry: { initialMs: 100, maxMs: 400 },
      onRetry: (_e, _a, d) => retries.push(d),
    })
    for (let i = 0; i < 5; i++) sink.write(account(`a${i}`, i))
    let flushed = false
    const flushing = sink.flush().then(() => (flushed = true))
    for (let step = 0; step < 20 && !flushed; step++) {
      await settle()
      clock.advance(100)
    }
    await flushing
    expect(retries).toEqual([100, 200, 400, 400, 400])
    expect(store.calls.map((c) => c.at)).toEqual([0, 100, 300, 700, 1100, 1500])
    expect(sink.retries).toBe(5)
    expect(Object.keys(store.dump()['node.account']!).sort()).toEqual(['a0', 'a1', 'a2', 'a3', 'a4'])
  })

  it('flush resolves only once everything written so far is durable', async () => {
    const clock = new ManualClock(0)
    const store = new ControlledStore(clock)
    const sink = new KvGraphSink({ store, schema, clock, onReject: () => {}, lingerMs: 0 })
    sink.write(account('a1', 1))
    store.hold = true
    let done = false
    const flushing = sink.flush().then(() => (done = true))
    await settle()
    expect(done).toBe(false)
    expect(store.dump()).toEqual({})
    store.release()
    await flushing
    expect(Object.keys(store.dump()['node.account']!)).toEqual(['a1'])
  })

  it('sends a partial batch after the linger time without waiting for a flush', async () => {
    const clock = new ManualClock(0)
    const store = new ControlledStore(clock)
    const sink = new KvGraphSink({ store, schema, clock, onReject: () => {}, batchSize: 100, lingerMs: 50 })
    sink.write(account('a1', 1))
    await settle()
    expect(store.calls).toHaveLength(0)
    clock.advance(50)
    await settle()
    expect(store.calls).toEqual([{ size: 1, at: 50 }])
    expect(sink.pending).toBe(0)
    await sink.close()
  })

  it('stops on an error a retry can not heal: drain and flush reject, the items stay pending', async () => {
    const clock = new ManualClock(0)
    const store = new ControlledStore(clock)
    store.failNext = 1
    store.failWith = () => new RdgError('Cassandra write on namespace node.account failed: Batch too large', false)
    const sink = new KvGraphSink({ store, schema, clock, onReject: () => {}, lingerMs: 0 })
    sink.write(account('a1', 1))
    await expect(sink.flush()).rejects.toThrow(/Batch too large/)
    expect(sink.backpressured).toBe(true)
    expect(sink.pending).toBe(1)
    await expect(sink.drain()).rejects.toThrow(/Batch too large/)
  })

  it('gives up on a full or read-only disk after a few attempts, with one line that says what to do', async () => {
    const clock = new ManualClock(0)
    const store = new ControlledStore(clock)
    store.failNext = 1_000
    store.failWith = () =>
      Object.assign(new Error('IO error: No space left on device: While appending to file: 000012.log'), { code: 'LEVEL_IO_ERROR' })
    const sink = new KvGraphSink({ store, schema, clock, onReject: () => {}, lingerMs: 0, retry: { initialMs: 100, maxMs: 400 } })
    sink.write(account('a1', 1))
    let outcome: unknown = null
    const flushing = sink.flush().catch((err: unknown) => (outcome = err))
    for (let step = 0; step < 20 && outcome === null; step++) {
      await settle()
      clock.advance(100)
    }
    await flushing
    expect(store.calls).toHaveLength(4)
    expect(outcome).toBeInstanceOf(RdgError)
    expect((outcome as RdgError).retriable).toBe(false)
    expect((outcome as RdgError).message).toBe(
      'the graph store cannot write: no space left on the device (IO error: No space left on device: While appending to file: 000012.log); free space on its disk or make it writable, or use another --store; the job resumes from its last checkpoint',
    )
    expect(sink.pending).toBe(1)
  })

  it('keeps retrying a store that is down (it may come back) instead of giving up', async () => {
    const clock = new ManualClock(0)
    const store = new ControlledStore(clock)
    store.failNext = 30
    const sink = new KvGraphSink({ store, schema, clock, onReject: () => {}, lingerMs: 0, retry: { initialMs: 100, maxMs: 100 } })
    sink.write(account('a1', 1))
    let flushed = false
    const flushing = sink.flush().then(() => (flushed = true))
    for (let step = 0; step < 40 && !flushed; step++) {
      await settle()
      clock.advance(100)
    }
    await flushing
    expect(store.calls).toHaveLength(31)
  })
})

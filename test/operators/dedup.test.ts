import { afterEach, describe, expect, it } from 'vitest'
import { OperatorTestHarness, type HarnessSnapshot } from '../../testing/harness.ts'
import { dedupOperator, graphDedupOperator } from '../../graph/dedup/dedup-operator.ts'
import { mergePrimitive } from '../../graph/dedup/merge.ts'
import { dedupFunction } from '../../graph/dedup/reference-function.ts'
import { toGraphOperator } from '../../graph/to-graph-operator.ts'
import type { GraphBuilder } from '../../graph/job-definition.ts'
import type { StreamOperator } from '../../engine/operator.ts'
import { chain } from '../infra/chain-operators.ts'
import { KeyedProcessOperator } from '../../operators/process.ts'
import { processFunction } from '../../engine/process-function.ts'
import { codecs } from '../../state/codecs.ts'
import { valueState } from '../../state/descriptors.ts'
import { identityOf } from '../../graph/model.ts'
import { operatorId } from '../../base/ids.ts'
import type { GraphEdge, GraphNode, GraphPrimitive } from '../../graph/model.ts'
import { RocksDbStateBackend } from '../../state/rocksdb-backend.ts'
import { mkdtempSync } from 'node:fs'
import type { ManualClock } from '../../base/clock.ts'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const node = (id: string, eventTime: number, properties: Record<string, string | number> = {}): GraphNode => ({
  kind: 'node',
  type: 'account',
  id,
  properties,
  eventTime,
})
const edge = (src: string, dst: string, eventTime: number, properties: Record<string, string | number> = {}): GraphEdge => ({
  kind: 'edge',
  type: 'started_watching',
  src: { type: 'profile', id: src },
  dst: { type: 'title', id: dst },
  properties,
  eventTime,
})

let open: OperatorTestHarness[] = []
afterEach(async () => {
  for (const h of open) await h.close()
  open = []
})

const backends = {
  heap: undefined,
  rocksdb: (clock: ManualClock) => new RocksDbStateBackend({ clock, path: mkdtempSync(join(tmpdir(), 'rdg-dedup-')), cacheEntries: 2 }),
}

for (const [name, backend] of Object.entries(backends)) {
  describe(`dedup operator (${name} state)`, () => {
    async function harness(restoreFrom?: Awaited<ReturnType<OperatorTestHarness['snapshot']>>) {
      const h = await OperatorTestHarness.forOperator<GraphPrimitive>(dedupOperator(operatorId('dedup'), 5_000), {
        ...(backend ? { backend } : {}),
        ...(restoreFrom ? { restoreFrom } : {}),
      })
      open.push(h)
      return h
    }

    /**
     * Drives an operator through `inputs` in segments of `segment` elements: within a
     * segment, batches of `batchSize(at)` elements; after it, the watermark at the
     * segment's last time minus `lag`; after segment `restoreAfter`, a snapshot restored
     * into a fresh operator. Returns all output and every dead letter, in order.
     */
    async function drive(
      make: () => StreamOperator,
      inputs: ReadonlyArray<[unknown, number]>,
      o: { segment: number; batchSize: (at: number) => number; lag: number; restoreAfter: number },
    ) {
      const used: OperatorTestHarness[] = []
      const start = async (restoreFrom?: HarnessSnapshot) => {
        const h = await OperatorTestHarness.forOperator<GraphPrimitive>(make(), {
          ...(backend ? { backend } : {}),
          ...(restoreFrom ? { restoreFrom } : {}),
        })
        open.push(h)
        used.push(h)
        return h
      }
      let h = await start()
      const out: unknown[] = []
      for (let segment = 0; segment * o.segment < inputs.length; segment++) {
        const end = Math.min(inputs.length, (segment + 1) * o.segment)
        for (let at = segment * o.segment; at < end;) {
          const size = o.batchSize(at)
          await h.processElements(inputs.slice(at, Math.min(end, at + size)))
          at += size
        }
        await h.processWatermark(inputs[end - 1]![1] - o.lag)
        if (segment === o.restoreAfter) {
          const snap = await h.snapshot()
          out.push(...h.records())
          h = await start(snap)
        }
      }
      await h.processWatermark(Number.MAX_SAFE_INTEGER - 1)
      return { out: [...out, ...h.records()], letters: used.flatMap((x) => x.deadLetters().map((l) => [l.reason, l.value])) }
    }

    it('emits one merged primitive per identity when the window closes', async () => {
      const h = await harness()
      await h.processElements([
        [node('a1', 1_000, { plan: 'basic' }), 1_000],
        [node('a1', 2_000, { plan: 'premium' }), 2_000],
        [node('a1', 3_000, { country: 'NL' }), 3_000],
      ])
      expect(h.records()).toEqual([])
      expect(h.pendingTimers().event).toEqual([{ key: 'n|account|a1', timestamp: 6_000 }])
      await h.processWatermark(5_999)
      expect(h.records()).toEqual([])
      await h.processWatermark(6_000)
      expect(h.records()).toEqual([node('a1', 3_000, { plan: 'premium', country: 'NL' })])
    })

    it('lets the latest event time win per property, whatever the arrival order', async () => {
      const h = await harness()
      await h.processElements([
        [edge('p1', 't1', 2_000, { position: 20 }), 2_000],
        [edge('p1', 't1', 1_000, { position: 10, device: 'tv' }), 1_000],
      ])
      await h.processWatermark(10_000)
      expect(h.records()).toEqual([edge('p1', 't1', 2_000, { position: 20, device: 'tv' })])
    })

    it('keeps identities apart (key isolation) and opens a new window after emitting', async () => {
      const h = await harness()
      await h.processElements([
        [node('a1', 1_000), 1_000],
        [node('a2', 1_500), 1_500],
        [edge('p1', 't1', 1_200), 1_200],
      ])
      await h.processWatermark(7_000)
      expect(h.records()).toHaveLength(3)
      h.clearOutput()
      await h.processElement(node('a1', 8_000, { plan: 'x' }), 8_000)
      await h.processWatermark(13_000)
      expect(h.records()).toEqual([node('a1', 8_000, { plan: 'x' })])
    })

    it('merging a batch per identity gives what updates one at a time give, across a snapshot and restore', async () => {
      // seeded stream: few identities, heavy repeats, out-of-order times, partial properties
      let seed = 42
      const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
      const updates: Array<[GraphPrimitive, number]> = []
      for (let i = 0; i < 600; i++) {
        const t = 1_000 + i * 40 - Math.floor(random() * 300)
        const props: Record<string, number | string> = random() < 0.5 ? { position: i } : { device: `d${i % 3}` }
        updates.push([
          random() < 0.4
            ? node(`a${Math.floor(random() * 4)}`, t, props)
            : edge(`p${Math.floor(random() * 3)}`, `t${Math.floor(random() * 2)}`, t, props),
          t,
        ])
      }
      // the watermark moves after every 25 updates in both runs; within those, the batched
      // run takes batches of 1 to 25 updates, the other one update at a time; snapshot and
      // restore into a fresh operator after segment 11
      const run = async (batched: boolean): Promise<unknown[]> =>
        (
          await drive(
            () =>
              batched
                ? dedupOperator(operatorId('dedup'), 500)
                : new KeyedProcessOperator(operatorId('dedup'), identityOf, dedupFunction(500)),
            updates,
            {
              segment: 25,
              batchSize: (at) => (batched ? 1 + ((at * 7919) % 25) : 1),
              lag: 400,
              restoreAfter: 11,
            },
          )
        ).out
      const merged = await run(true)
      expect(merged.length).toBeGreaterThan(50)
      expect(merged).toEqual(await run(false))
    })

    it('lets the later of two updates with the same event time win, also across batches', async () => {
      const h = await harness()
      await h.processElements([[node('a1', 1_000, { x: 1 }), 1_000]])
      // a partial update then one with x at the same time: merged in the batch, then with state
      await h.processElements([
        [node('a1', 1_000, { y: 1 }), 1_000],
        [node('a1', 1_000, { x: 2 }), 1_000],
      ])
      await h.processWatermark(10_000)
      expect(h.records()).toEqual([node('a1', 1_000, { x: 2, y: 1 })])
    })

    it('chained after toGraph, gives what toGraph then dedup update by update give, dead letters included', async () => {
      interface Ev {
        profile: string
        title: string
        device: string
        pos: number
        ts: number
      }
      let seed = 7
      const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
      const events: Array<[Ev, number]> = []
      for (let i = 0; i < 800; i++) {
        // coarse times: many updates of an identity share an event time (ties: the later one wins)
        const ts = 1_000 + Math.floor((i * 30 - random() * 250) / 300) * 300
        events.push([
          {
            profile: `p${Math.floor(random() * 2)}`,
            title: random() < 0.05 ? '' : `t${Math.floor(random() * 3)}`,
            device: `d${Math.floor(random() * 2)}`,
            pos: i,
            ts,
          },
          ts,
        ])
      }
      // several primitives per event, partial properties, one explicit event time, and a
      // bad id (empty title) that fails the record after it emitted two primitives
      const toGraph = (e: Ev, g: GraphBuilder) => {
        const profile = { type: 'profile', id: e.profile }
        g.node('profile', e.profile, e.pos % 2 === 0 ? { even: e.pos } : { odd: e.pos })
        g.edge('streamed_from', profile, { type: 'device', id: e.device }, { lastSeen: e.ts }, e.ts - (e.pos % 5))
        g.edge('started_watching', profile, { type: 'title', id: e.title }, { position: e.pos })
        g.node('title', e.title, {})
      }
      const run = (chained: boolean) =>
        drive(
          () =>
            chained
              ? graphDedupOperator(operatorId('to-graph'), toGraph, operatorId('dedup'), 400)
              : chain(
                  toGraphOperator(operatorId('to-graph'), toGraph),
                  new KeyedProcessOperator(operatorId('dedup'), identityOf, dedupFunction(400)),
                ),
          events,
          { segment: 20, batchSize: (at) => (chained ? 1 + ((at * 7919) % 20) : 1), lag: 300, restoreAfter: 17 },
        )
      const chained = await run(true)
      const reference = await run(false)
      expect(chained.out.length).toBeGreaterThan(100)
      expect(chained.letters.length).toBeGreaterThan(10)
      expect(chained.out).toEqual(reference.out)
      expect(chained.letters).toEqual(reference.letters)
    })

    it('closes windows restored from state written before window ends were stored', async () => {
      // the earlier layout: { primitive, propertyTimes } without fireAt (its timer lived in __timers)
      const writeOld = processFunction({
        state: { pending: valueState('pending', codecs.json<unknown>()) },
        processElement(p: GraphPrimitive, ctx) {
          ctx.state.pending.update({ primitive: p, propertyTimes: null })
        },
      })
      const old = await OperatorTestHarness.forProcessFunction(writeOld, identityOf, { ...(backend ? { backend } : {}), id: 'dedup' })
      open.push(old)
      await old.processElement(node('a1', 1_000, { plan: 'basic' }), 1_000)
      const restored = await harness(await old.snapshot())
      expect(restored.pendingTimers().event).toEqual([{ key: 'n|account|a1', timestamp: 6_000 }])
      await restored.processWatermark(6_000)
      expect(restored.records()).toEqual([node('a1', 1_000, { plan: 'basic' })])
    })

    it('restores buffered primitives and their timers from a snapshot', async () => {
      const h = await harness()
      await h.processElements([
        [node('a1', 1_000, { plan: 'basic' }), 1_000],
        [node('a2', 1_000), 1_000],
        [node('a3', 1_000), 1_000],
      ])
      const snap = await h.snapshot()
      await h.processElement(node('a1', 2_000, { plan: 'after-snapshot' }), 2_000)

      const restored = await harness(snap)
      expect(restored.pendingTimers().event.map((t) => t.key)).toEqual(
        expect.arrayContaining(['n|account|a1', 'n|account|a2', 'n|account|a3']),
      )
      await restored.processElement(node('a1', 1_500, { country: 'SE' }), 1_500)
      await restored.processWatermark(6_000)
      const out = restored.records()
      expect(out).toHaveLength(3)
      expect(out.find((p) => p.kind === 'node' && p.id === 'a1')).toEqual(node('a1', 1_500, { plan: 'basic', country: 'SE' }))
    })
  })
}

describe('mergePrimitive', () => {
  it('keeps the newer structure and the newest value of each property', () => {
    const a = { primitive: node('x', 5, { a: 1, b: 1 }), propertyTimes: null, fireAt: 5_005 }
    const merged = mergePrimitive(a, node('x', 3, { a: 2, c: 3 }))
    expect(merged.primitive).toEqual(node('x', 5, { a: 1, b: 1, c: 3 }))
    expect(merged.propertyTimes).toEqual({ a: 5, b: 5, c: 3 })
    // a newer update that sets a subset keeps the others with their times
    const again = mergePrimitive(merged, node('x', 7, { a: 9 }))
    expect(again.primitive).toEqual(node('x', 7, { a: 9, b: 1, c: 3 }))
    expect(again.propertyTimes).toEqual({ a: 7, b: 5, c: 3 })
    // a newer update with every property replaces the buffer without copying
    const full = node('x', 8, { a: 0, b: 0, c: 0 })
    expect(mergePrimitive(again, full)).toEqual({ primitive: full, propertyTimes: null, fireAt: 5_005 })
  })
})

describe('dedup: what it holds back (pendingEventTimeFloor)', () => {
  it('is the earliest event time merged into a window still open, Infinity once they all fired', async () => {
    const op = dedupOperator(operatorId('dedup'), 5_000)
    const h = await OperatorTestHarness.forOperator<GraphPrimitive>(op, {})
    open.push(h)
    expect(op.pendingEventTimeFloor()).toBe(Infinity)
    // out of order inside the batch: a1's window opens at 1 000, its older update (700) merges in
    await h.processElements([
      [node('a1', 1_000), 1_000],
      [node('a2', 800), 800],
      [node('a1', 700), 700],
    ])
    await h.processElements([[node('a3', 4_000), 4_000]])
    expect(op.pendingEventTimeFloor()).toBe(700)
    await h.processWatermark(5_800) // a2's window (800 + 5 000) fired, a1's is open
    expect(op.pendingEventTimeFloor()).toBe(700)
    await h.processWatermark(6_000) // a1's fired
    expect(op.pendingEventTimeFloor()).toBe(4_000)
    await h.processWatermark(9_000)
    expect(op.pendingEventTimeFloor()).toBe(Infinity)
  })

  it('after a restore, holds everything back until the restored windows fired', async () => {
    const first = await OperatorTestHarness.forOperator<GraphPrimitive>(dedupOperator(operatorId('dedup'), 5_000), {})
    open.push(first)
    await first.processElements([[node('a1', 1_000), 1_000]])
    const snap = await first.snapshot()
    const op = dedupOperator(operatorId('dedup'), 5_000)
    const h = await OperatorTestHarness.forOperator<GraphPrimitive>(op, { restoreFrom: snap })
    open.push(h)
    expect(op.pendingEventTimeFloor()).toBe(-Infinity)
    await h.processWatermark(6_000)
    expect(op.pendingEventTimeFloor()).toBe(Infinity)
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import { OperatorTestHarness } from '../../testing/harness.ts'
import { processFunction, type Collector } from '../../engine/process-function.ts'
import { outputTag } from '../../engine/elements.ts'
import { codecs } from '../../state/codecs.ts'
import { valueState, listState } from '../../state/descriptors.ts'

interface Click {
  user: string
  page: string
}

const late = outputTag<Click>('suspicious')

/** Counts clicks per user; reports the count 1 s (event time) after the first click and 10 s of processing time after it. */
const counter = processFunction({
  state: {
    count: valueState('count', codecs.json<number>()),
    pages: listState('pages', codecs.string()),
  },
  processElement(click: Click, ctx, out: Collector<string>) {
    const n = (ctx.state.count.value() ?? 0) + 1
    ctx.state.count.update(n)
    ctx.state.pages.add(click.page)
    if (n === 1) {
      ctx.timers.registerEventTimeTimer(ctx.timestamp + 1_000)
      ctx.timers.registerProcessingTimeTimer(ctx.timers.currentProcessingTime() + 10_000)
    }
    if (click.page === 'admin') ctx.output(late, click)
    out.collect(`${ctx.key}:${n}`)
  },
  onTimer(ts, ctx, out) {
    out.collect(`${ctx.timeDomain}-timer ${ctx.key}@${ts} count=${ctx.state.count.value()} pages=${ctx.state.pages.get().join(',')}`)
  },
})

const byUser = (c: Click) => c.user

let harnesses: OperatorTestHarness[] = []
async function harness(...args: Parameters<typeof OperatorTestHarness.forProcessFunction<Click, string, typeof counter.state>>) {
  const h = await OperatorTestHarness.forProcessFunction(...args)
  harnesses.push(h)
  return h
}
afterEach(async () => {
  for (const h of harnesses) await h.close()
  harnesses = []
})

describe('keyed process operator', () => {
  it('keeps state per key (key isolation)', async () => {
    const h = await harness(counter, byUser)
    await h.processElements([
      [{ user: 'ann', page: 'a' }, 100],
      [{ user: 'bob', page: 'b' }, 110],
      [{ user: 'ann', page: 'c' }, 120],
    ])
    expect(h.records()).toEqual(['ann:1', 'bob:1', 'ann:2'])
  })

  it('fires event-time timers only when the watermark passes them, in timestamp order', async () => {
    const h = await harness(counter, byUser)
    await h.processElement({ user: 'bob', page: 'x' }, 500)
    await h.processElement({ user: 'ann', page: 'y' }, 100)
    expect(h.pendingTimers().event).toEqual([
      { key: 'ann', timestamp: 1_100 },
      { key: 'bob', timestamp: 1_500 },
    ])
    h.clearOutput()
    await h.processWatermark(1_099)
    expect(h.records()).toEqual([])
    await h.processWatermark(2_000)
    expect(h.output()).toEqual([
      { kind: 'watermark', timestamp: 1_099 },
      { kind: 'record', value: 'event-timer ann@1100 count=1 pages=y', timestamp: 1_100 },
      { kind: 'record', value: 'event-timer bob@1500 count=1 pages=x', timestamp: 1_500 },
      { kind: 'watermark', timestamp: 2_000 },
    ])
    expect(h.pendingTimers().event).toEqual([])
  })

  it('fires processing-time timers when the clock passes them', async () => {
    const h = await harness(counter, byUser, { processingTime: 50_000 })
    await h.processElement({ user: 'ann', page: 'a' }, 100)
    h.clearOutput()
    await h.advanceProcessingTime(9_999)
    expect(h.records()).toEqual([])
    await h.advanceProcessingTime(1)
    expect(h.records()).toEqual(['processing-timer ann@60000 count=1 pages=a'])
  })

  it('routes side outputs by tag', async () => {
    const h = await harness(counter, byUser)
    await h.processElement({ user: 'eve', page: 'admin' }, 100)
    expect(h.sideOutput(late)).toEqual([{ value: { user: 'eve', page: 'admin' }, timestamp: 100 }])
  })

  it('restores state and timers from a snapshot into a fresh instance', async () => {
    const h = await harness(counter, byUser)
    await h.processElement({ user: 'ann', page: 'a' }, 100)
    await h.processElement({ user: 'ann', page: 'b' }, 200)
    const snap = await h.snapshot()
    // changes after the snapshot must not leak into the restored instance
    await h.processElement({ user: 'ann', page: 'c' }, 300)

    const restored = await harness(counter, byUser, { restoreFrom: snap })
    expect(restored.pendingTimers().event).toEqual([{ key: 'ann', timestamp: 1_100 }])
    await restored.processWatermark(5_000)
    expect(restored.records()).toEqual(['event-timer ann@1100 count=2 pages=a,b'])
  })

  it('deduplicates timers per (key, timestamp) and supports several per key', async () => {
    const fn = processFunction({
      state: {},
      processElement(ts: number, ctx, _out: Collector<number>) {
        ctx.timers.registerEventTimeTimer(ts)
        ctx.timers.registerEventTimeTimer(ts)
        ctx.timers.registerEventTimeTimer(ts + 10)
      },
      onTimer(ts, _ctx, out) {
        out.collect(ts)
      },
    })
    const h = await OperatorTestHarness.forProcessFunction(fn, () => 'k')
    harnesses.push(h)
    await h.processElements([
      [100, 100],
      [100, 100],
    ])
    expect(h.pendingTimers().event.map((t) => t.timestamp)).toEqual([100, 110])
    await h.processWatermark(200)
    expect(h.records()).toEqual([100, 110])
  })

  it('lets onTimer register a timer that is already due, and deleted timers never fire', async () => {
    const fn = processFunction({
      state: { hops: valueState('hops', codecs.json<number>()) },
      processElement(ts: number, ctx, _out: Collector<string>) {
        ctx.timers.registerEventTimeTimer(ts + 1)
        ctx.timers.registerEventTimeTimer(ts + 5)
        ctx.timers.deleteEventTimeTimer(ts + 5)
      },
      onTimer(ts, ctx, out) {
        const hops = (ctx.state.hops.value() ?? 0) + 1
        ctx.state.hops.update(hops)
        out.collect(`t${ts}`)
        if (hops < 3) ctx.timers.registerEventTimeTimer(ts + 1)
      },
    })
    const h = await OperatorTestHarness.forProcessFunction(fn, () => 'k')
    harnesses.push(h)
    await h.processElement(10, 10)
    await h.processWatermark(100)
    expect(h.records()).toEqual(['t11', 't12', 't13'])
  })
})

import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../base/clock.ts'
import type { DeadLetter } from '../../engine/connector.ts'
import type { DeadLetterPolicyOptions } from '../../engine/dead-letter-policy.ts'
import { defineJob, json } from '../../graph/job-definition.ts'
import { identityOf, type GraphPrimitive } from '../../graph/model.ts'
import { runJob } from '../../graph/run-job.ts'
import { CollectingSink } from '../../testing/collecting-sink.ts'
import { TestSource } from '../../testing/test-source.ts'

interface View {
  account: string
  title: string
  ts: number
}

const NOW = Date.UTC(2026, 11, 1)

const viewJob = defineJob({
  topic: 'views',
  value: json<View>(),
  eventTime: 'ts',
  watermark: { maxOutOfOrdernessMs: 100, idleTimeoutMs: 60_000, maxAheadMs: 10 * 60_000 },
  graph: { nodes: { account: { properties: {} } }, edges: { watched: { from: 'account', to: 'title', direction: 'out', properties: {} } } },
  toGraph: (e, g) => {
    if (e.title === 'explode') throw new Error('no such title')
    g.node('account', e.account, {})
    g.edge('watched', { type: 'account', id: e.account }, { type: 'title', id: e.title }, {})
  },
  dedup: { windowMs: 1_000 },
})

const views = (n: number): View[] =>
  Array.from({ length: n }, (_, i) => ({ account: `a${i % 11}`, title: `t${i % 5}`, ts: NOW - 3_600_000 + i * 100 }))

async function run(input: unknown[], deadLetterPolicy?: DeadLetterPolicyOptions) {
  const sink = new CollectingSink<GraphPrimitive>('graph')
  const dlq = new CollectingSink<DeadLetter>('dlq')
  const handle = runJob(viewJob, {
    source: new TestSource('views', input),
    decode: (raw) => raw as View,
    graphSinks: [sink],
    deadLetterSink: dlq,
    dataDir: mkdtempSync(join(tmpdir(), 'rdg-bad-records-')),
    state: { backend: 'heap' },
    batchSize: 10,
    clock: new ManualClock(NOW),
    ...(deadLetterPolicy ? { deadLetterPolicy } : {}),
  })
  return { done: handle.done, sink, dlq }
}

function contents(sink: CollectingSink<GraphPrimitive>): Record<string, GraphPrimitive> {
  const out: Record<string, GraphPrimitive> = {}
  for (const { value } of sink.received) {
    const prev = out[identityOf(value)]
    if (!prev || value.eventTime >= prev.eventTime) out[identityOf(value)] = value
  }
  return out
}

describe('bad records', () => {
  it('an event time far ahead of the clock, at the epoch or before it is a dead letter and never moves the watermark', async () => {
    const good = views(600)
    const clean = await run(good)
    const cleanResult = await clean.done

    const bad = [
      { account: 'x', title: 'y', ts: Date.UTC(3000, 0, 1) },
      { account: 'z', title: 'y', ts: 0 },
      { account: 'w', title: 'y', ts: -1 },
    ]
    const mixed = [...good.slice(0, 300), bad[0], ...good.slice(300, 310), bad[1], bad[2], ...good.slice(310)]
    const dirty = await run(mixed)
    const result = await dirty.done

    expect(contents(dirty.sink)).toEqual(contents(clean.sink))
    expect(result.metrics.lateRecords).toBe(0)
    expect(result.metrics.deadLetters).toBe(3)
    expect(result.metrics.deadLettersByReason).toEqual({ 'event time out of bounds': 3 })
    expect(dirty.dlq.received.map((r) => r.value.reason)).toEqual([
      `event time out of bounds: ${Date.UTC(3000, 0, 1)} is more than 600000 ms ahead of processing time 2026-12-01T00:00:00.000Z (watermark.maxAheadMs)`,
      'event time out of bounds: 0 is at or before the epoch',
      'event time out of bounds: -1 is at or before the epoch',
    ])
    expect(dirty.dlq.received[0]!.value.source).toEqual({ id: 'views', partition: 0, offset: '300' })
    // (the last watermark taken depends on batch boundaries; it stays within the good records' times)
    expect(result.metrics.watermark).toBeLessThanOrEqual(good[good.length - 1]!.ts)
    expect(result.metrics.watermark).toBeGreaterThan(cleanResult.metrics.watermark - 1_000)
  })

  it('a run whose records are all dead letters stops with one line saying why, instead of exiting as if it worked', async () => {
    const wrongJob = Array.from({ length: 50 }, (_, i) => ({ user: `u${i}`, page: '/', ts: NOW - i }))
    const { done } = await run(wrongJob)
    await expect(done).rejects.toThrow(
      /^100 % of the first 50 records were dead letters \(50 × "to-graph failed", e\.g\. to-graph failed: node account id must be a non-empty string, got undefined \(views partition 0 offset 0\)\); is this input meant for this job\?/,
    )
  })

  it('a toGraph that throws on every record stops the run after the first records; a few failures do not', async () => {
    const exploding = views(2_000).map((v) => ({ ...v, title: 'explode' }))
    await expect((await run(exploding)).done).rejects.toThrow(
      /^100 % of the first 1000 records were dead letters \(1000 × "to-graph failed"/,
    )
    const someBad = views(2_000).map((v, i) => (i % 10 === 0 ? { ...v, title: 'explode' } : v))
    const result = await (await run(someBad)).done
    expect(result.metrics.deadLettersByReason).toEqual({ 'to-graph failed': 200 })
  })

  it('the guard can be turned off, and fail mode stops at the first dead letter', async () => {
    const exploding = views(200).map((v) => ({ ...v, title: 'explode' }))
    const result = await (await run(exploding, { checkAfterRecords: 0 })).done
    expect(result.metrics.deadLetters).toBe(200)
    const oneBad = [...views(100), { account: 'x', title: 'y', ts: 0 }, ...views(100)]
    await expect((await run(oneBad, { mode: 'fail' })).done).rejects.toThrow(
      /^stopped at the first dead letter \(on dead letter: fail\): event time out of bounds: 0 is at or before the epoch \(views partition 0 offset 100\)/,
    )
  })
})

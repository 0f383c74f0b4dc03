import { mkdtempSync, readdirSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../base/clock.ts'
import type { DeadLetter, Sink } from '../../engine/connector.ts'
import { defineJob, json } from '../../graph/job-definition.ts'
import { runJob } from '../../graph/run-job.ts'
import { ABORT, TestSource, type TestElement } from '../../testing/test-source.ts'
import { CollectingSink } from '../../testing/collecting-sink.ts'
import { identityOf, type GraphPrimitive } from '../../graph/model.ts'

interface View {
  account: string
  title: string
  ts: number
  position: number
  noise?: string
}

const viewJob = defineJob({
  topic: 'views',
  value: json<View>(),
  eventTime: 'ts',
  watermark: { maxOutOfOrdernessMs: 100, idleTimeoutMs: 60_000 },
  filter: (e) => e.account !== 'bot',
  project: (e) => ({ account: e.account, title: e.title, ts: e.ts, position: e.position }),
  graph: {
    nodes: { account: { properties: {} }, title: { properties: {} } },
    edges: { watched: { from: 'account', to: 'title', direction: 'out', properties: { position: 'number' } } },
  },
  toGraph: (e, g) => {
    if (e.title === 'explode') throw new Error('no such title')
    g.node('account', e.account, {})
    g.node('title', e.title, {})
    g.edge('watched', { type: 'account', id: e.account }, { type: 'title', id: e.title }, { position: e.position })
  },
  dedup: { windowMs: 1_000 },
})

const dataDir = () => mkdtempSync(join(tmpdir(), 'rdg-exec-'))

function finalContents(sink: CollectingSink<GraphPrimitive>): Record<string, GraphPrimitive> {
  // what an idempotent last-writer-wins store ends up holding
  const out: Record<string, GraphPrimitive> = {}
  for (const { value } of sink.received) {
    const id = identityOf(value)
    const prev = out[id]
    if (!prev || value.eventTime >= prev.eventTime) out[id] = value
  }
  return out
}

function views(n: number): View[] {
  const out: View[] = []
  for (let i = 0; i < n; i++)
    out.push({ account: `a${i % 7}`, title: `t${i % 3}`, ts: 1_000 + i * 50 - (i % 4) * 30, position: i, noise: 'x' })
  return out
}

async function run(
  elements: TestElement<unknown>[],
  options: {
    dir?: string
    backend?: 'heap' | 'rocksdb'
    sink?: CollectingSink<GraphPrimitive>
    dlq?: CollectingSink<DeadLetter>
    batchSize?: number
  } = {},
) {
  const sink = options.sink ?? new CollectingSink<GraphPrimitive>('graph')
  const dlq = options.dlq ?? new CollectingSink<DeadLetter>('dlq')
  const dir = options.dir ?? dataDir()
  const handle = runJob(viewJob, {
    source: new TestSource('views', elements),
    decode: (raw) => (typeof raw === 'string' ? (JSON.parse(raw) as View) : (raw as View)),
    graphSinks: [sink],
    deadLetterSink: dlq,
    dataDir: dir,
    state: { backend: options.backend ?? 'heap' },
    checkpoint: { intervalMs: 1_000 },
    batchSize: options.batchSize ?? 10,
    clock: new ManualClock(0),
  })
  return { handle, sink, dlq, dir }
}

describe('executor', () => {
  it('runs source → filter → project → toGraph → dedup → sink and flushes everything at end of input', async () => {
    const input = [...views(40), { account: 'bot', title: 't1', ts: 3_000, position: 0 }]
    const { handle, sink } = await run(input)
    const result = await handle.done
    expect(result.reason).toBe('end-of-input')
    expect(result.metrics.recordsIn).toBe(41)
    expect(result.metrics.filtered).toBe(1)
    expect(result.metrics.primitivesBeforeDedup).toBe(120)
    expect(result.metrics.primitivesAfterDedup).toBe(sink.received.length)
    expect(result.metrics.primitivesAfterDedup).toBeLessThan(120)
    const contents = finalContents(sink)
    expect(Object.keys(contents).sort()).toEqual(
      [
        'n|account|a0',
        'n|account|a1',
        'n|account|a2',
        'n|account|a3',
        'n|account|a4',
        'n|account|a5',
        'n|account|a6',
        'n|title|t0',
        'n|title|t1',
        'n|title|t2',
      ]
        .concat(Array.from({ length: 21 }, (_, i) => `e|watched|account|a${i % 7}|title|t${i % 3}`))
        .filter((v, i, a) => a.indexOf(v) === i)
        .sort(),
    )
    expect(sink.flushes).toBeGreaterThan(0)
  })

  it('sends undecodable records, missing event times, failing user code and late records to the dead letters and keeps going', async () => {
    const input: unknown[] = [
      '{"account":"a1","title":"t1","ts":10000,"position":1}',
      '{not json',
      { account: 'a2', title: 't1', position: 2 },
      { account: 'a3', title: 'explode', ts: 10_050, position: 3 },
      ...Array.from({ length: 10 }, (_, i) => ({ account: 'a4', title: 't2', ts: 20_000 + i, position: i })),
      { account: 'a5', title: 't1', ts: 1_000, position: 5 }, // far behind the watermark: late
    ]
    const { handle, dlq, sink } = await run(input, { batchSize: 5 })
    const result = await handle.done
    const reasons = dlq.values().map((d) => d.reason)
    expect(reasons[0]).toMatch(/^cannot decode: /)
    expect(dlq.values()[0]!.source).toEqual({ id: 'views', partition: 0, offset: '1' })
    expect(reasons[1]).toMatch(/missing or invalid event time field "ts"/)
    expect(reasons[2]).toMatch(/to-graph failed: no such title/)
    expect(dlq.values()[2]!.source).toEqual({ id: 'views', partition: 0, offset: '3' }) // toGraph's letters carry their position too
    expect(reasons[3]).toMatch(/^late: /)
    expect(result.metrics.deadLetters).toBe(4)
    expect(result.metrics.lateRecords).toBe(1)
    expect(finalContents(sink)['e|watched|account|a4|title|t2']).toBeDefined()
  })

  it('admits records within the allowed lateness and sends later ones to the dead letters', async () => {
    const lenient = defineJob({ ...viewJob, watermark: { maxOutOfOrdernessMs: 100, idleTimeoutMs: 60_000, allowedLatenessMs: 5_000 } })
    const sink = new CollectingSink<GraphPrimitive>('graph')
    const dlq = new CollectingSink<DeadLetter>('dlq')
    const input = [
      ...Array.from({ length: 5 }, (_, i) => ({ account: 'a1', title: 't1', ts: 20_000 + i, position: i })),
      { account: 'a2', title: 't1', ts: 16_000, position: 1 }, // 4 s behind the watermark: admitted
      { account: 'a3', title: 't1', ts: 10_000, position: 1 }, // 10 s behind: late
    ]
    const result = await runJob(lenient, {
      source: new TestSource('views', input),
      decode: (raw) => raw as View,
      graphSinks: [sink],
      deadLetterSink: dlq,
      dataDir: dataDir(),
      state: { backend: 'heap' },
      batchSize: 5,
      clock: new ManualClock(0),
    }).done
    expect(result.metrics.lateRecords).toBe(1)
    expect(dlq.values().map((d) => (d.value as View).account)).toEqual(['a3'])
    expect(finalContents(sink)['n|account|a2']).toBeDefined()
    expect(finalContents(sink)['n|account|a3']).toBeUndefined()
  })

  it('restores a named checkpoint instead of the latest', async () => {
    const dir = dataDir()
    const input = views(60)
    const clock = new ManualClock(0)
    const first = runJob(viewJob, {
      source: new TestSource('views', input, { onPoll: () => clock.advance(5) }),
      decode: (raw) => raw as View,
      graphSinks: [new CollectingSink<GraphPrimitive>('graph')],
      deadLetterSink: new CollectingSink<DeadLetter>('dlq'),
      dataDir: dir,
      state: { backend: 'rocksdb' },
      checkpoint: { intervalMs: 5, retain: 10 },
      batchSize: 10,
      clock,
    })
    expect((await first.done).metrics.checkpoints).toBeGreaterThan(3)
    const again = await runJob(viewJob, {
      source: new TestSource('views', input),
      decode: (raw) => raw as View,
      graphSinks: [new CollectingSink<GraphPrimitive>('graph')],
      deadLetterSink: new CollectingSink<DeadLetter>('dlq'),
      dataDir: dir,
      state: { backend: 'rocksdb' },
      checkpoint: { restoreFrom: 2 },
      batchSize: 10,
      clock: new ManualClock(0),
    }).done
    expect(again.metrics.restoredFrom).toBe(2)
    expect(again.metrics.recordsIn).toBeGreaterThan(0)
    await expect(
      runJob(viewJob, {
        source: new TestSource('views', input),
        decode: (raw) => raw as View,
        graphSinks: [],
        deadLetterSink: new CollectingSink<DeadLetter>('dlq'),
        dataDir: dir,
        checkpoint: { restoreFrom: 999 },
        clock: new ManualClock(0),
      }).done,
    ).rejects.toThrow(/checkpoint 999 does not exist/)
  })

  it('waits for a backpressured sink before polling again', async () => {
    const sink = new CollectingSink<GraphPrimitive>('graph')
    const pressured: Sink<GraphPrimitive> = sink // a CollectingSink is a Sink (checked at compile time)
    sink.pressure = true
    const { handle } = await run(views(30), { sink })
    await handle.done
    expect(sink.drains).toBeGreaterThan(0)
    expect(pressured).toBe(sink)
  })

  for (const backend of ['heap', 'rocksdb'] as const) {
    it(`recovers from a crash with the same final contents as an uninterrupted run (${backend} state)`, async () => {
      const input = views(200)
      const straight = await run(input, { backend })
      await straight.handle.done

      const withCrash: TestElement<unknown>[] = [...input]
      withCrash.splice(77, 0, ABORT)
      withCrash.splice(150, 0, ABORT)
      const dir = dataDir()
      const sink = new CollectingSink<GraphPrimitive>('graph')
      let attempts = 0
      for (;;) {
        attempts++
        const clock = new ManualClock(0)
        const source = new TestSource('views', withCrash, { onPoll: () => clock.advance(1) })
        const handle = runJob(viewJob, {
          source,
          decode: (raw) => raw as View,
          graphSinks: [sink],
          deadLetterSink: new CollectingSink<DeadLetter>('dlq'),
          dataDir: dir,
          state: { backend },
          checkpoint: { intervalMs: 3 },
          batchSize: 10,
          clock,
        })
        try {
          await handle.done
          break
        } catch (err) {
          expect(String(err)).toMatch(/test source aborted/)
          // a crash loses what was not flushed: keep only what the last checkpoint made durable
          sink.received.splice(0, sink.received.length, ...sink.flushed)
        }
      }
      expect(attempts).toBe(3)
      expect(sink.flushes).toBeGreaterThan(3)
      expect(finalContents(sink)).toEqual(finalContents(straight.sink))
      expect(existsSync(join(dir, 'checkpoints'))).toBe(true)
      expect(readdirSync(join(dir, 'checkpoints')).filter((n) => n.startsWith('chk-')).length).toBeLessThanOrEqual(3)
    })
  }
})

describe('stopping during a slow start', () => {
  it('lets timers, I/O and signal handlers run between batches while the source is always ready', async () => {
    // A source whose polls resolve at once (generator, memory) must not starve the event
    // loop: checkpoint ticks and Ctrl-C arrive as macrotasks.
    let polls = 0
    let pollsWhenMacrotaskRan = -1
    const source = new TestSource<unknown>('views', views(60), {
      batchSize: 5,
      onPoll: () => {
        if (++polls === 1) setImmediate(() => (pollsWhenMacrotaskRan = polls))
      },
    })
    const handle = runJob(viewJob, {
      source,
      decode: (raw) => raw as View,
      graphSinks: [new CollectingSink<GraphPrimitive>('graph')],
      deadLetterSink: new CollectingSink<DeadLetter>('dlq'),
      dataDir: dataDir(),
      state: { backend: 'heap' },
      clock: new ManualClock(0),
    })
    await handle.done
    expect(polls).toBeGreaterThan(10)
    expect(pollsWhenMacrotaskRan).toBeGreaterThan(0)
    expect(pollsWhenMacrotaskRan).toBeLessThan(3)
  })

  it('a SIGINT that arrives while the source is still opening ends the run with a final checkpoint', async () => {
    const slow = new TestSource<unknown>('views', views(10))
    const open = slow.open.bind(slow)
    slow.open = async (ctx) => {
      // Ctrl-C while the source is still opening (e.g. joining its Kafka group); emitted to
      // the job's listeners only, no real signal reaches the test process
      process.emit('SIGINT')
      await open(ctx)
    }
    const dir = dataDir()
    const handle = runJob(viewJob, {
      source: slow,
      decode: (raw) => raw as View,
      graphSinks: [new CollectingSink<GraphPrimitive>('graph')],
      deadLetterSink: new CollectingSink<DeadLetter>('dlq'),
      dataDir: dir,
      state: { backend: 'heap' },
      clock: new ManualClock(0),
      handleSignals: true,
    })
    const result = await handle.done
    expect(result.reason).toBe('signal')
    expect(result.metrics.checkpoints).toBe(1)
    expect(readdirSync(join(dir, 'checkpoints')).some((d) => d.startsWith('chk-'))).toBe(true)
  })
})

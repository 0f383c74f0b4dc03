import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../base/clock.ts'
import { operatorId } from '../../base/ids.ts'
import type { DeadLetter, Sink } from '../../engine/connector.ts'
import { defineJob, json } from '../../graph/job-definition.ts'
import type { GraphPrimitive } from '../../graph/model.ts'
import { runJob } from '../../graph/run-job.ts'
import { CollectingSink } from '../../testing/collecting-sink.ts'
import { TestSource } from '../../testing/test-source.ts'

interface Login {
  account: string
  ts: number
}

const job = defineJob({
  topic: 'logins',
  value: json<Login>(),
  eventTime: 'ts',
  graph: { nodes: { account: { properties: {} } }, edges: {} },
  toGraph: (e, g) => g.node('account', e.account, {}),
})

/** Our own seam: a sink whose store never answers (a flush that never resolves); `stuck` resolves at the first flush. */
function stuckSink(): { sink: Sink<GraphPrimitive>; stuck: Promise<void> } {
  let reached = () => {}
  const stuck = new Promise<void>((resolve) => (reached = resolve))
  const sink: Sink<GraphPrimitive> = {
    id: operatorId('stuck-store'),
    async open() {},
    write() {},
    backpressured: false,
    async drain() {},
    flush: () => {
      reached()
      return new Promise<void>(() => {})
    },
    async close() {},
  }
  return { sink, stuck }
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r))
}

describe('stopping a run that is stuck', () => {
  it('a stop ends the run within the stop timeout even when the final checkpoint can never flush, naming what it waited for', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1))
    const input = Array.from({ length: 30 }, (_, i): Login => ({ account: `a${i % 3}`, ts: Date.UTC(2026, 0, 1) - 60_000 + i }))
    const { sink, stuck } = stuckSink()
    const handle = runJob(job, {
      source: new TestSource('logins', input),
      decode: (raw) => raw as Login,
      graphSinks: [sink],
      deadLetterSink: new CollectingSink<DeadLetter>('dlq'),
      dataDir: mkdtempSync(join(tmpdir(), 'rdg-stop-timeout-')),
      state: { backend: 'heap' },
      stopTimeoutMs: 20_000,
      clock,
    })
    let outcome: unknown = null
    const done = handle.done.catch((err: unknown) => (outcome = err))
    await stuck // the end-of-input checkpoint is waiting on the sink
    handle.stop().catch(() => undefined) // the same outcome as done
    clock.advance(19_999)
    await settle()
    expect(outcome).toBeNull() // still within the timeout
    clock.advance(1)
    await done
    expect(String(outcome)).toMatch(
      /did not stop within 20 s: still taking a checkpoint \(end of input\): flushing sinks and writing state; ended without a final checkpoint/,
    )
  })
})

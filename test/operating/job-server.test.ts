/**
 * The operating layer without a browser: /metrics in Prometheus format read from live
 * counters at scrape time, /healthz and /readyz, the dashboard's JSON and files, the
 * `--http` flag, and consumer lag from high watermarks and positions.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../base/clock.ts'
import { emptyCheckpointStats } from '../../engine/run-options.ts'
import type { GraphJobMetrics } from '../../graph/run-job.ts'
import { JobServer, parseHttpFlag } from '../../operating/job-server.ts'
import { consumerLag } from '../../operating/kafka-lag.ts'
import type { LagReading, OperatedJob, SinkCounters } from '../../operating/operated-job.ts'

function liveMetrics(): { -readonly [K in keyof GraphJobMetrics]: GraphJobMetrics[K] } {
  return {
    recordsIn: 0,
    deadLetters: 0,
    lateRecords: 0,
    filtered: 0,
    checkpoints: 0,
    lastCheckpointId: null,
    restoredFrom: null,
    watermark: Number.MIN_SAFE_INTEGER,
    operators: { filter: { recordsIn: 0, recordsOut: 0 }, dedup: { recordsIn: 0, recordsOut: 0 } },
    counters: {},
    deadLettersByReason: {},
    checkpointStats: emptyCheckpointStats(),
    primitivesBeforeDedup: 0,
    primitivesAfterDedup: 0,
  }
}

const sink: SinkCounters = {
  id: 'graph-store',
  written: 120,
  rejected: 1,
  retries: 2,
  writeBatches: 3,
  writeMsTotal: 30,
  lastWriteMs: 5,
  backpressureMs: 250,
  pending: 7,
}

describe('job server', () => {
  let server: JobServer | null = null
  afterEach(async () => {
    await server?.close()
    server = null
  })

  async function start(job: OperatedJob, clock = new ManualClock(1_000_000)) {
    server = new JobServer(job, { clock })
    const { url } = await server.listen('127.0.0.1', 0)
    return { url, clock }
  }

  it('/metrics reads the live counters at scrape time', async () => {
    const m = liveMetrics()
    let lag: LagReading | null = null
    const { url, clock } = await start({
      name: 'clicks',
      metrics: () => m,
      operators: [],
      sinks: [sink],
      lag: () => lag,
      checkpointIntervalMs: 10_000,
      startedAt: 1_000_000,
    })
    const scrape = async () => (await fetch(`${url}metrics`)).text()
    expect(await scrape()).toContain('rdg_records_in_total{job="clicks"} 0')
    // the job moves on; nothing is pushed, the next scrape sees it
    m.recordsIn = 5_000
    m.operators.filter!.recordsOut = 4_000
    m.deadLetters = 3
    m.deadLettersByReason['cannot decode'] = 3
    m.primitivesBeforeDedup = 1_000
    m.primitivesAfterDedup = 250
    m.watermark = clock.now() - 4_000
    m.checkpoints = 2
    m.checkpointStats!.lastDurationMs = 120
    m.checkpointStats!.lastBytes = 4_096
    lag = {
      topic: 'clicks',
      byPartition: new Map([
        [0, 12],
        [1, 0],
      ]),
      total: 12,
      at: clock.now(),
    }
    const text = await scrape()
    for (const line of [
      'rdg_records_in_total{job="clicks"} 5000',
      'rdg_operator_records_out_total{operator="filter",job="clicks"} 4000',
      'rdg_dead_letters_total{job="clicks"} 4',
      'rdg_dead_letters_by_reason_total{reason="cannot decode",job="clicks"} 3',
      'rdg_dedup_ratio{job="clicks"} 0.75',
      'rdg_watermark_lag_seconds{job="clicks"} 4',
      'rdg_kafka_consumer_lag{topic="clicks",partition="0",job="clicks"} 12',
      'rdg_checkpoints_total{job="clicks"} 2',
      'rdg_checkpoint_last_duration_seconds{job="clicks"} 0.12',
      'rdg_state_size_bytes{job="clicks"} 4096',
      'rdg_sink_retries_total{sink="graph-store",job="clicks"} 2',
      'rdg_sink_backpressure_seconds_total{sink="graph-store",job="clicks"} 0.25',
    ]) {
      expect(text).toContain(line)
    }
    expect(text).toMatch(/nodejs_eventloop_lag_seconds\{job="clicks"\} [\d.e-]+/)
    expect(text).toContain('# TYPE rdg_records_in_total counter')
  })

  it('/healthz answers; /readyz wants the source assigned and a recent checkpoint', async () => {
    const m = liveMetrics()
    let assigned = false
    const { url, clock } = await start({
      name: 'clicks',
      metrics: () => m,
      operators: [],
      sinks: [],
      sourceReady: () => assigned,
      checkpointIntervalMs: 1_000,
      startedAt: 1_000_000,
    })
    expect((await fetch(`${url}healthz`)).status).toBe(200)
    let ready = await fetch(`${url}readyz`)
    expect(ready.status).toBe(503)
    expect(((await ready.json()) as { checks: { source: { ok: boolean } } }).checks.source.ok).toBe(false)
    assigned = true
    expect((await fetch(`${url}readyz`)).status).toBe(200)
    clock.advance(5_000) // no checkpoint for five intervals
    ready = await fetch(`${url}readyz`)
    expect(ready.status).toBe(503)
    m.checkpointStats!.lastCompletedAt = clock.now() - 500
    expect((await fetch(`${url}readyz`)).status).toBe(200)
  })

  it('serves the dashboard, its job status and per-second samples', async () => {
    const m = liveMetrics()
    const { url, clock } = await start({
      name: 'clicks',
      metrics: () => m,
      operators: [
        { id: 'source', kind: 'source', depth: 0 },
        { id: 'filter', kind: 'filter', depth: 1 },
        { id: 'dedup', kind: 'keyBy → process', depth: 2 },
      ],
      sinks: [sink],
      total: () => 10_000,
      checkpointIntervalMs: 10_000,
      startedAt: 1_000_000,
    })
    const page = await fetch(url)
    expect(page.headers.get('content-type')).toContain('text/html')
    expect(await page.text()).toContain('id="operators"')
    expect((await fetch(`${url}dashboard.js`)).status).toBe(200)
    m.recordsIn = 2_000
    m.operators.filter!.recordsOut = 1_500
    clock.advance(1_000) // the sampler's tick
    const status = (await (await fetch(`${url}api/job`)).json()) as {
      rate: number
      total: number
      done: number
      operators: Array<{ id: string; rate: number; chained: boolean }>
    }
    expect(status.rate).toBe(2_000)
    expect(status.total).toBe(10_000)
    expect(status.done).toBe(2_000)
    expect(status.operators.find((o) => o.id === 'filter')?.rate).toBe(1_500)
    const history = (await (await fetch(`${url}api/history`)).json()) as { samples: unknown[] }
    expect(history.samples).toHaveLength(2)
    expect((await fetch(`${url}api/graph/node?type=x&id=y`)).status).toBe(404) // no store given
    expect((await fetch(`${url}nope`)).status).toBe(404)
  })
})

describe('--http and consumer lag', () => {
  it('parses host:port, defaulting the host to 127.0.0.1', () => {
    expect(parseHttpFlag('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 })
    expect(parseHttpFlag('9464')).toEqual({ host: '127.0.0.1', port: 9464 })
    expect(parseHttpFlag('[::1]:0')).toEqual({ host: '::1', port: 0 })
    expect(() => parseHttpFlag('localhost')).toThrow(/--http localhost is not host:port/)
    expect(() => parseHttpFlag('a:99999')).toThrow(/not host:port/)
  })

  it('lag is the high watermark minus the next offset, per assigned partition', () => {
    const high = new Map([
      [0, 100],
      [1, 50],
      [2, 7],
    ])
    const r = consumerLag(high, { topic: 't', brokers: [], partitions: [0, 1, 3], positions: { '0': '90', '1': '50', '2': '0' } }, 5)
    expect([...r.byPartition]).toEqual([
      [0, 10],
      [1, 0],
    ])
    expect(r.total).toBe(10)
  })
})

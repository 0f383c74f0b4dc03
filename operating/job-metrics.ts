/**
 * A running job's Prometheus metrics (prom-client), read at scrape time: every gauge and
 * counter here is set in a `collect` callback from the job's live counters (JobMetrics,
 * the checkpoint coordinator's stats, the graph sinks' counters, the Kafka lag poller),
 * so the per-record path gains nothing. Default Node metrics (event-loop lag, heap, GC)
 * come from prom-client's `collectDefaultMetrics`.
 *
 * @example
 * const metrics = new JobMetricsRegistry(job)
 * const text = await metrics.text() // Prometheus exposition format
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import { systemClock, type Clock } from '../base/clock.ts'
import { MIN_WATERMARK } from '../base/ids.ts'
import type { OperatedJob } from './operated-job.ts'

export class JobMetricsRegistry {
  readonly registry = new Registry()

  constructor(
    private readonly job: OperatedJob,
    private readonly clock: Clock = systemClock,
  ) {
    const r = this.registry
    r.setDefaultLabels({ job: job.name })
    collectDefaultMetrics({ register: r, eventLoopMonitoringPrecision: 20 })
    const m = () => job.metrics()
    const counter = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers: [r],
        collect() {
          this.reset()
          this.inc(Math.max(0, read()))
        },
      })
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [r],
        collect() {
          this.set(read())
        },
      })
    counter('rdg_records_in_total', 'Records read from the source', () => m().recordsIn)
    counter('rdg_records_filtered_total', 'Records the job filtered out', () => m().filtered)
    counter('rdg_late_records_total', 'Records behind the watermark', () => m().lateRecords)
    new Counter({
      name: 'rdg_operator_records_in_total',
      help: 'Records into each operator',
      labelNames: ['operator'],
      registers: [r],
      collect() {
        this.reset()
        for (const [id, c] of Object.entries(m().operators)) this.inc({ operator: id }, c.recordsIn)
      },
    })
    new Counter({
      name: 'rdg_operator_records_out_total',
      help: 'Records out of each operator',
      labelNames: ['operator'],
      registers: [r],
      collect() {
        this.reset()
        for (const [id, c] of Object.entries(m().operators)) this.inc({ operator: id }, c.recordsOut)
      },
    })
    counter('rdg_dead_letters_total', 'Dead letters (all reasons)', () => m().deadLetters + job.sinks.reduce((n, s) => n + s.rejected, 0))
    new Counter({
      name: 'rdg_dead_letters_by_reason_total',
      help: 'Dead letters by the kind of their reason',
      labelNames: ['reason'],
      registers: [r],
      collect() {
        this.reset()
        for (const [reason, n] of Object.entries(m().deadLettersByReason)) this.inc({ reason }, n)
      },
    })
    counter('rdg_primitives_before_dedup_total', 'Graph primitives into dedup', () => m().primitivesBeforeDedup)
    counter('rdg_primitives_after_dedup_total', 'Graph primitives out of dedup', () => m().primitivesAfterDedup)
    gauge('rdg_dedup_ratio', 'Share of primitives dedup saved (1 - out/in)', () =>
      dedupRatio(m().primitivesBeforeDedup, m().primitivesAfterDedup),
    )
    gauge('rdg_watermark_ms', 'Event-time watermark (epoch ms; 0 before the first)', () =>
      m().watermark === MIN_WATERMARK ? 0 : m().watermark,
    )
    gauge('rdg_watermark_lag_seconds', 'Wall clock minus watermark', () => watermarkLagSeconds(m().watermark, this.clock.now()))
    new Gauge({
      name: 'rdg_kafka_consumer_lag',
      help: 'Kafka consumer lag per partition: high watermark minus the next offset to hand out',
      labelNames: ['topic', 'partition'],
      registers: [r],
      collect() {
        this.reset()
        const lag = job.lag?.()
        if (!lag) return
        for (const [p, n] of lag.byPartition) this.set({ topic: lag.topic, partition: String(p) }, n)
      },
    })
    counter('rdg_checkpoints_total', 'Checkpoints completed', () => m().checkpoints)
    counter('rdg_checkpoint_failures_total', 'Checkpoints that failed', () => m().checkpointStats?.failures ?? 0)
    gauge(
      'rdg_checkpoint_last_duration_seconds',
      'Duration of the last checkpoint',
      () => (m().checkpointStats?.lastDurationMs ?? 0) / 1000,
    )
    counter(
      'rdg_checkpoint_duration_seconds_total',
      'Summed checkpoint durations',
      () => (m().checkpointStats?.totalDurationMs ?? 0) / 1000,
    )
    gauge('rdg_checkpoint_last_size_bytes', 'State files the last checkpoint references', () => m().checkpointStats?.lastBytes ?? 0)
    gauge(
      'rdg_checkpoint_last_completed_seconds',
      'When the last checkpoint completed (epoch s; 0 before the first)',
      () => (m().checkpointStats?.lastCompletedAt ?? 0) / 1000,
    )
    gauge('rdg_state_size_bytes', 'State size on disk (files of the last checkpoint)', () => m().checkpointStats?.lastBytes ?? 0)
    const perSink = (name: string, help: string, read: (s: OperatedJob['sinks'][number]) => number, type: 'counter' | 'gauge') => {
      const Kind = type === 'counter' ? Counter : Gauge
      new Kind({
        name,
        help,
        labelNames: ['sink'],
        registers: [r],
        collect(this: Counter | Gauge) {
          this.reset()
          for (const s of job.sinks) {
            if (this instanceof Counter) this.inc({ sink: s.id }, read(s))
            else this.set({ sink: s.id }, read(s))
          }
        },
      })
    }
    perSink('rdg_sink_items_written_total', 'KV items the store acknowledged', (s) => s.written, 'counter')
    perSink('rdg_sink_retries_total', 'Failed store writes that were retried', (s) => s.retries, 'counter')
    perSink('rdg_sink_write_batches_total', 'Store write batches', (s) => s.writeBatches, 'counter')
    perSink('rdg_sink_write_seconds_total', 'Summed latency of store write batches', (s) => s.writeMsTotal / 1000, 'counter')
    perSink('rdg_sink_write_last_seconds', 'Latency of the last store write batch', (s) => s.lastWriteMs / 1000, 'gauge')
    perSink(
      'rdg_sink_backpressure_seconds_total',
      'Time the job waited for the sink (backpressure)',
      (s) => s.backpressureMs / 1000,
      'counter',
    )
    perSink('rdg_sink_pending_items', 'Items buffered or in flight', (s) => s.pending, 'gauge')
  }

  /** The exposition text for `/metrics`. */
  text(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}

export function dedupRatio(before: number, after: number): number {
  return before > 0 ? 1 - after / before : 0
}

export function watermarkLagSeconds(watermark: number, now: number): number {
  return watermark === MIN_WATERMARK || watermark <= 0 ? 0 : Math.max(0, (now - watermark) / 1000)
}

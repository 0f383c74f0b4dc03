/**
 * What the operating layer (metrics, health, dashboard, status) sees of a running job:
 * live counters and the components that keep their own (sinks, Kafka lag). Everything is
 * read when asked (a scrape, a dashboard poll, a status tick), never pushed per record.
 *
 * @example
 * const job: OperatedJob = { name: 'login-events', metrics: () => handle.metrics, operators: describeJob(def), sinks: [sink], checkpointIntervalMs: 10_000, startedAt: systemClock.now() }
 */
import type { GraphJobMetrics } from '../graph/run-job.ts'
import type { GraphQuery } from '../store/graph-query.ts'
import type { GraphSchema } from '../graph/schema.ts'
import type { KvDataStore } from '../store/kv/api.ts'

export interface OperatorInfo {
  readonly id: string
  readonly kind: string
  readonly depth: number
  readonly description?: string
  readonly sideOutput?: string
}

/** The sink counters the metrics read (KvGraphSink has them). */
export interface SinkCounters {
  readonly id: string
  readonly written: number
  readonly rejected: number
  readonly retries: number
  readonly writeBatches: number
  readonly writeMsTotal: number
  readonly lastWriteMs: number
  readonly backpressureMs: number
  readonly pending: number
}

export interface LagReading {
  readonly topic: string
  /** Partition → messages behind the high watermark. */
  readonly byPartition: ReadonlyMap<number, number>
  readonly total: number
  /** When the high watermarks were last read. */
  readonly at: number
}

export interface OperatedJob {
  readonly name: string
  readonly metrics: () => Readonly<GraphJobMetrics>
  readonly operators: readonly OperatorInfo[]
  readonly sinks: readonly SinkCounters[]
  /** Latest Kafka consumer lag, or null (not Kafka, or not read yet). */
  readonly lag?: () => LagReading | null
  /** Records the input holds when known (generator --count, a backfill snapshot), else null. */
  readonly total?: () => number | null
  /** Records done towards `total` when it is not `recordsIn` (e.g. a file's bytes); default recordsIn. */
  readonly done?: () => number
  /** True once the source has its input (Kafka: partitions assigned). Default true. */
  readonly sourceReady?: () => boolean
  readonly checkpointIntervalMs: number
  readonly startedAt: number
  /** For the dashboard's graph explorer. */
  readonly graph?: { readonly query: GraphQuery; readonly schema: GraphSchema; readonly store: KvDataStore }
}

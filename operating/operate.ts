/**
 * Puts a running job under operation: the Kafka lag poller (for a Kafka source), and,
 * when asked, the job's HTTP server (metrics, health, dashboard). `rdg-job run` and
 * `rdg-job backfill` call it right after starting the job and close it when the job ends.
 *
 * @example
 * const op = await operate({ name: job.topic, handle, graph: job, sinks: [sink], source: io.source, store, checkpointIntervalMs: 10_000, http: { host: '127.0.0.1', port: 9464 } })
 * op.progress() // { total, done, lag }
 * await op.close()
 */
import { systemClock } from '../base/clock.ts'
import type { Sink, Source } from '../engine/connector.ts'
import type { GraphPrimitive } from '../graph/model.ts'
import { describeJob } from '../graph/compile-job.ts'
import type { JobDefinition } from '../graph/job-definition.ts'
import type { GraphJobMetrics } from '../graph/run-job.ts'
import { KafkaSource } from '../connectors/kafka/source.ts'
import { ThreadedKafkaSource } from '../connectors/kafka/threaded-source.ts'
import { GraphQuery } from '../store/graph-query.ts'
import type { KvDataStore } from '../store/kv/api.ts'
import { JobServer } from './job-server.ts'
import { KafkaLagPoller } from './kafka-lag.ts'
import type { OperatedJob, SinkCounters } from './operated-job.ts'

export interface OperateOptions {
  readonly job: JobDefinition
  readonly handle: { readonly metrics: Readonly<GraphJobMetrics>; stop(): Promise<unknown> }
  /** The job's graph sinks (KvGraphSink): their ids name the sink operators, their counters feed the metrics. */
  readonly sinks: ReadonlyArray<SinkCounters & Sink<GraphPrimitive>>
  readonly source: Source<unknown>
  readonly store?: KvDataStore
  readonly checkpointIntervalMs: number
  readonly total?: () => number | null
  readonly done?: () => number
  readonly http?: { readonly host: string; readonly port: number; readonly onListening?: (url: string) => void }
}

export interface LiveProgress {
  readonly total: number | null
  readonly done: number
  /** Kafka consumer lag over the assigned partitions, or null. */
  readonly lag: number | null
}

export interface Operation {
  readonly server: JobServer | null
  readonly url: string | null
  progress(): LiveProgress
  close(): Promise<void>
}

export async function operate(options: OperateOptions): Promise<Operation> {
  const { job, handle, source } = options
  const kafka = source instanceof KafkaSource || source instanceof ThreadedKafkaSource ? source : null
  const lag = kafka ? new KafkaLagPoller(() => kafka.lagView()) : null
  lag?.start()
  const operated: OperatedJob = {
    name: job.topic,
    metrics: () => handle.metrics,
    operators: describeJob(job, { source, graphSinks: options.sinks }),
    sinks: options.sinks,
    lag: () => lag?.reading() ?? null,
    ...(options.total ? { total: options.total } : {}),
    ...(options.done ? { done: options.done } : {}),
    ...(kafka ? { sourceReady: () => kafka.partitions.length > 0 } : {}),
    checkpointIntervalMs: options.checkpointIntervalMs,
    startedAt: systemClock.now(),
    ...(options.store ? { graph: { query: new GraphQuery(options.store, job.graph), schema: job.graph, store: options.store } } : {}),
  }
  let server: JobServer | null = null
  let url: string | null = null
  if (options.http) {
    server = new JobServer(operated)
    try {
      url = (await server.listen(options.http.host, options.http.port)).url
    } catch (err) {
      await lag?.stop()
      await handle.stop().catch(() => undefined)
      throw err
    }
    options.http.onListening?.(url)
  }
  return {
    server,
    url,
    progress: () => {
      const m = handle.metrics
      return { total: options.total?.() ?? null, done: options.done?.() ?? m.recordsIn, lag: lag?.reading()?.total ?? null }
    },
    close: async () => {
      await lag?.stop()
      await server?.close()
    },
  }
}

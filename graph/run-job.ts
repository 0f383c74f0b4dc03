/**
 * Runs a declarative job: compiles it into a job graph (graph/compile-job.ts) and hands
 * that to the engine (engine/run-graph.ts). The caller (CLI, test, benchmark) brings the
 * source, decoder and sinks; the dedup counts the chained operator reports are read back
 * as the job's `primitivesBeforeDedup` / `primitivesAfterDedup`.
 *
 * @example
 * const handle = runJob(loginJob, { source, decode, graphSinks: [sink], deadLetterSink: dlq, dataDir: '.rdg/login' })
 * const { metrics } = await handle.done
 * console.log(metrics.primitivesBeforeDedup, '→', metrics.primitivesAfterDedup)
 */
import type { Decoder, Sink, Source } from '../engine/connector.ts'
import { runGraph } from '../engine/run-graph.ts'
import type { JobHandle, JobMetrics, JobResult, RunGraphOptions } from '../engine/run-options.ts'
import { compileJob } from './compile-job.ts'
import { DEDUP_COUNTER_IN, DEDUP_COUNTER_OUT } from './dedup/dedup-operator.ts'
import type { JobDefinition } from './job-definition.ts'
import type { GraphPrimitive } from './model.ts'

export interface RunOptions<E> extends RunGraphOptions {
  readonly source: Source<unknown>
  readonly decode: Decoder<E>
  /** Where deduplicated nodes and edges go (KV store, Kafka topics, memory). */
  readonly graphSinks: readonly Sink<GraphPrimitive>[]
}

/** The engine's counters plus the graph primitives into and out of dedup. */
export interface GraphJobMetrics extends JobMetrics {
  readonly primitivesBeforeDedup: number
  readonly primitivesAfterDedup: number
}

export function runJob<E, P, R>(job: JobDefinition<E, P, R, any>, options: RunOptions<E>): JobHandle<GraphJobMetrics> {
  const graph = compileJob(job, { source: options.source, decode: options.decode, graphSinks: options.graphSinks })
  const handle = runGraph(graph, options)
  const metrics = graphMetrics(handle.metrics)
  const withGraphMetrics = (result: JobResult): JobResult<GraphJobMetrics> => ({ reason: result.reason, metrics })
  const done = handle.done.then(withGraphMetrics)
  return {
    done,
    metrics,
    async stop() {
      return withGraphMetrics(await handle.stop())
    },
  }
}

/** A live view of a run's metrics with the dedup counts named. */
export function graphMetrics(metrics: Readonly<JobMetrics>): GraphJobMetrics {
  const view = {}
  for (const key of Object.keys(metrics))
    Object.defineProperty(view, key, { get: () => metrics[key as keyof JobMetrics], enumerable: true })
  Object.defineProperty(view, 'primitivesBeforeDedup', { get: () => metrics.counters[DEDUP_COUNTER_IN] ?? 0, enumerable: true })
  Object.defineProperty(view, 'primitivesAfterDedup', { get: () => metrics.counters[DEDUP_COUNTER_OUT] ?? 0, enumerable: true })
  return view as GraphJobMetrics
}

/**
 * Runs one topic's job from a chosen source into a graph store: what both `rdg-job run`
 * and `rdg-job demo` do. The source, decoder and dead-letter sink come from job-io.ts,
 * the KV graph sink from operators/, and the engine runs them.
 *
 * @example
 * const store = await openGraphStore('rocksdb:.rdg/graph')
 * const summary = await runTopic({ job, source: { kind: 'generator', count: 5_000, seed: 1 }, dataDir: '.rdg/jobs', store })
 */
import { join } from 'node:path'
import { systemClock } from '../base/clock.ts'
import type { JobDefinition } from '../graph/job-definition.ts'
import { runJob } from '../graph/run-job.ts'
import type { GraphJobMetrics } from '../graph/run-job.ts'
import type { KvDataStore } from '../store/kv/api.ts'
import { KvGraphSink } from '../store/graph-sink.ts'
import { buildJobIo, sideInputDirFor, type JobSourceChoice } from './job-io.ts'

export interface RunTopicOptions {
  readonly job: JobDefinition
  readonly source: JobSourceChoice
  /** Root data directory; the job's checkpoints, state and dead-letter file go to `<dataDir>/<topic>`. */
  readonly dataDir: string
  readonly store: KvDataStore
  readonly stateBackend?: 'heap' | 'rocksdb'
  readonly checkpointIntervalMs?: number
  /** Restore this checkpoint id instead of the latest complete one. */
  readonly restoreFrom?: number
  readonly handleSignals?: boolean
  /** Called about once a second with live counters. */
  readonly onProgress?: (metrics: Readonly<GraphJobMetrics>) => void
}

export interface TopicSummary {
  readonly topic: string
  readonly metrics: GraphJobMetrics
  readonly seconds: number
  /** KV items written to the store. */
  readonly written: number
  /** Primitives the graph schema rejected (also counted in metrics.deadLetters). */
  readonly rejected: number
  /** Where dead letters went: a file or a Kafka topic. */
  readonly deadLetters: string
  readonly reason: string
}

export async function runTopic(options: RunTopicOptions): Promise<TopicSummary> {
  const { job } = options
  const dir = join(options.dataDir, job.topic)
  const io = await buildJobIo(job, options.source, dir)
  const sink = new KvGraphSink({ id: 'graph-store', store: options.store, schema: job.graph, onReject: (l) => io.deadLetterSink.write(l, l.eventTime ?? 0) })
  const started = systemClock.now()
  const handle = runJob(job, {
    source: io.source,
    decode: io.decode,
    graphSinks: [sink],
    deadLetterSink: io.deadLetterSink,
    dataDir: dir,
    sideInputDir: sideInputDirFor(job),
    state: { backend: options.stateBackend ?? 'rocksdb' },
    checkpoint: { intervalMs: options.checkpointIntervalMs ?? 10_000, ...(options.restoreFrom !== undefined ? { restoreFrom: options.restoreFrom } : {}) },
    handleSignals: options.handleSignals ?? false,
  })
  let cancel = () => {}
  if (options.onProgress) {
    const tick = () => {
      options.onProgress!(handle.metrics)
      cancel = systemClock.schedule(1_000, tick)
    }
    cancel = systemClock.schedule(1_000, tick)
  }
  try {
    const result = await handle.done
    return {
      topic: job.topic,
      metrics: { ...result.metrics, deadLetters: result.metrics.deadLetters + sink.rejected },
      seconds: (systemClock.now() - started) / 1000,
      written: sink.written,
      rejected: sink.rejected,
      deadLetters: io.deadLetters,
      reason: result.reason,
    }
  } finally {
    cancel()
  }
}

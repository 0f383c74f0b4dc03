/**
 * Runs a job graph: picks the state backend and starts the executor. The caller (the
 * graph layer's runJob, a DataStream job, a test) brings the graph with its source and sinks.
 *
 * @example
 * const handle = runGraph(env.build(), { deadLetterSink: dlq, dataDir: '.rdg/words' })
 * const { metrics } = await handle.done
 */
import { join, resolve } from 'node:path'
import { systemClock } from '../base/clock.ts'
import type { JobGraph } from './job-graph.ts'
import { Executor } from './executor.ts'
import type { JobHandle, JobResult, RunGraphOptions } from './run-options.ts'
import { HeapStateBackend } from '../state/heap-backend.ts'
import { RocksDbStateBackend } from '../state/rocksdb-backend.ts'
import type { KeyedStateBackend } from '../state/types.ts'
import { tuneV8ForMicroBatches } from './v8-tuning.ts'

/** Runs an already built job graph (DataStream API). */
export function runGraph(graph: JobGraph, options: RunGraphOptions): JobHandle {
  tuneV8ForMicroBatches()
  const clock = options.clock ?? systemClock
  const backendKind = options.state?.backend ?? 'rocksdb'
  const maxParallelism = options.state?.maxParallelism ?? 128
  const backend: KeyedStateBackend =
    backendKind === 'heap'
      ? new HeapStateBackend({ clock, maxParallelism })
      : new RocksDbStateBackend({
          clock,
          maxParallelism,
          path: join(options.dataDir, 'state', 'rocksdb'),
          ...(options.state?.cacheEntries ? { cacheEntries: options.state.cacheEntries } : {}),
        })
  const executor = new Executor(graph, {
    dataDir: options.dataDir,
    deadLetterSink: options.deadLetterSink,
    backend,
    clock,
    batchSize: options.batchSize ?? 2_000,
    checkpointIntervalMs: options.checkpoint?.intervalMs ?? 10_000,
    retainCheckpoints: options.checkpoint?.retain ?? 3,
    ...(options.checkpoint?.restoreFrom !== undefined ? { restoreFrom: options.checkpoint.restoreFrom } : {}),
    sideInputDir: resolve(options.sideInputDir ?? '.'),
    handleSignals: options.handleSignals ?? false,
    ...(options.deadLetterPolicy ? { deadLetterPolicy: options.deadLetterPolicy } : {}),
    ...(options.stopTimeoutMs !== undefined ? { stopTimeoutMs: options.stopTimeoutMs } : {}),
  })
  const done: Promise<JobResult> = executor.run()
  return {
    done,
    metrics: executor.metrics,
    async stop() {
      executor.requestStop()
      return done
    },
  }
}

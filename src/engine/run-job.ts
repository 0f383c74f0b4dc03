/**
 * Runs a declarative job: compiles it, picks the state backend, and starts the
 * executor. The caller (CLI, test, benchmark) brings the source, decoder and sinks.
 *
 * @example
 * const handle = runJob(loginJob, { source, decode, graphSinks: [sink], deadLetterSink: dlq, dataDir: '.rdg/login' })
 * const { metrics } = await handle.done
 */
import { join, resolve } from 'node:path'
import { systemClock } from './clock.ts'
import { compileJob } from './compile-job.ts'
import type { JobGraph } from './datastream.ts'
import { Executor } from './executor.ts'
import type { JobDefinition } from './job-definition.ts'
import type { JobHandle, JobResult, RunOptions } from './run-options.ts'
import { HeapStateBackend } from '../state/heap-backend.ts'
import { RocksDbStateBackend } from '../state/rocksdb-backend.ts'
import type { KeyedStateBackend } from '../state/types.ts'
import { tuneV8ForMicroBatches } from './v8-tuning.ts'

export function runJob<E, P, R>(job: JobDefinition<E, P, R, any>, options: RunOptions<E>): JobHandle {
  const graph = compileJob(job, { source: options.source, decode: options.decode, graphSinks: options.graphSinks })
  return runGraph(graph, options)
}

/** Runs an already built job graph (DataStream API). */
export function runGraph(graph: JobGraph, options: Omit<RunOptions<unknown>, 'source' | 'decode' | 'graphSinks'>): JobHandle {
  tuneV8ForMicroBatches()
  const clock = options.clock ?? systemClock
  const backendKind = options.state?.backend ?? 'rocksdb'
  const maxParallelism = options.state?.maxParallelism ?? 128
  const backend: KeyedStateBackend =
    backendKind === 'heap'
      ? new HeapStateBackend({ clock, maxParallelism })
      : new RocksDbStateBackend({ clock, maxParallelism, path: join(options.dataDir, 'state', 'rocksdb'), ...(options.state?.cacheEntries ? { cacheEntries: options.state.cacheEntries } : {}) })
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

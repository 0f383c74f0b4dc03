/**
 * Options and result of running a job graph (see engine/run-graph.ts). This is the seam
 * between the engine and whoever starts jobs (the CLI, tests, benchmarks): they build the
 * graph with its source and sinks from connectors/ and store/, the engine runs it.
 *
 * @example
 * const handle = runGraph(graph, { deadLetterSink: dlq, state: { backend: 'rocksdb' }, dataDir: '.rdg/words' })
 * const { metrics } = await handle.done
 */
import type { Clock } from '../base/clock.ts'
import type { DeadLetter, Sink } from './connector.ts'
import type { DeadLetterPolicyOptions } from './dead-letter-policy.ts'

export interface RunGraphOptions {
  /** Where malformed, late and rejected records go, with their reason. */
  readonly deadLetterSink: Sink<DeadLetter>
  /** Working directory of this job: checkpoints and RocksDB state live under it. */
  readonly dataDir: string
  readonly state?: {
    readonly backend?: 'heap' | 'rocksdb'
    /** Number of key groups. Default 128. */
    readonly maxParallelism?: number
    /** RocksDB clean working set, in entries. */
    readonly cacheEntries?: number
  }
  readonly checkpoint?: {
    /** Default 10 000 ms. */
    readonly intervalMs?: number
    /** Completed checkpoints kept. Default 3. */
    readonly retain?: number
    /** Restore this checkpoint instead of the latest complete one. */
    readonly restoreFrom?: number
  }
  /** Directory that relative side-input paths of `enrich` resolve against. */
  readonly sideInputDir?: string
  /** Records per micro-batch. Default 2 000. */
  readonly batchSize?: number
  readonly clock?: Clock
  /** Stop on SIGINT/SIGTERM with a final checkpoint. Default false (the CLI turns it on). */
  readonly handleSignals?: boolean
  /**
   * A stop (signal or stop()) ends the run within this time: a final checkpoint that cannot
   * finish by then (a sink that never takes its writes) is given up, and the run rejects.
   * Default 30 000 ms.
   */
  readonly stopTimeoutMs?: number
  /** Continue past dead letters (default) or fail at the first; when to stop a run that is nearly all dead letters. */
  readonly deadLetterPolicy?: DeadLetterPolicyOptions
}

/** Counters a run keeps; also printed by the CLI. */
export interface JobMetrics {
  recordsIn: number
  deadLetters: number
  lateRecords: number
  filtered: number
  checkpoints: number
  lastCheckpointId: number | null
  /** Checkpoint this run restored on start, or null for a fresh start. */
  restoredFrom: number | null
  watermark: number
  /** Records in and out of each operator, by operator id. */
  readonly operators: Record<string, OperatorCounts>
  /** Named counters the operators report (`StreamOperator.takeCounters`), summed over the job. */
  readonly counters: Record<string, number>
  /** Dead letters by the kind of their reason (e.g. "cannot decode", "late", "to-graph failed"). */
  readonly deadLettersByReason: Record<string, number>
  /** Timings, sizes and failures of this run's checkpoints (kept by the checkpoint coordinator). */
  readonly checkpointStats?: CheckpointStats
}

/** What the checkpoint coordinator measures, once per checkpoint (never per record). */
export interface CheckpointStats {
  /** Checkpoints that threw before completing. */
  failures: number
  /** Wall time of the last completed checkpoint, flush to prune. */
  lastDurationMs: number
  /** Summed over this run's completed checkpoints. */
  totalDurationMs: number
  /** Bytes of the state files the last checkpoint references (its `files` digests): the state's size on disk. */
  lastBytes: number
  /** Wall-clock time the last checkpoint completed, or null before the first. */
  lastCompletedAt: number | null
}

export function emptyCheckpointStats(): CheckpointStats {
  return { failures: 0, lastDurationMs: 0, totalDurationMs: 0, lastBytes: 0, lastCompletedAt: null }
}

export interface OperatorCounts {
  recordsIn: number
  recordsOut: number
}

export interface JobResult<M extends JobMetrics = JobMetrics> {
  readonly metrics: Readonly<M>
  /** Why the run ended: the bounded input ended, stop() was called, or a signal arrived. */
  readonly reason: 'end-of-input' | 'stopped' | 'signal'
}

export interface JobHandle<M extends JobMetrics = JobMetrics> {
  /** Resolves when the job has stopped (after its final checkpoint); rejects on a fatal error. */
  readonly done: Promise<JobResult<M>>
  /** Live counters. */
  readonly metrics: Readonly<M>
  /** Graceful stop: finish the current batch, final checkpoint, close everything. */
  stop(): Promise<JobResult<M>>
}

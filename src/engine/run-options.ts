/**
 * Options and result of running a compiled job (see engine/run-job.ts). This is the
 * seam between the engine and whoever starts jobs (the CLI, tests, benchmarks): they
 * build the source, decoder and sinks from connectors/ and kv/, the engine runs them.
 *
 * @example
 * const handle = runJob(playbackJob, {
 *   source: new GeneratorSource({ id: 'gen', topic: 'playback-events', count: 10_000, seed: 1 }),
 *   decode: (raw) => raw as PlaybackEvent,
 *   graphSinks: [memorySink], deadLetterSink: dlq,
 *   state: { backend: 'rocksdb' }, dataDir: '.rdg/playback-events',
 * })
 * const result = await handle.done
 */
import type { Clock } from './clock.ts'
import type { DeadLetter, Sink, Source } from './connector.ts'
import type { GraphPrimitive } from '../graph/model.ts'

/**
 * Turns a raw source value into the job's event; throws (any Error) when it cannot.
 * `fields` is set when the decoder yields only those fields (a projection pushed into it).
 */
export type Decoder<E> = ((raw: unknown) => E) & { readonly fields?: readonly string[] }

export interface RunOptions<E> {
  readonly source: Source<unknown>
  readonly decode: Decoder<E>
  /** Where deduplicated nodes and edges go (KV store, Kafka topics, memory). */
  readonly graphSinks: readonly Sink<GraphPrimitive>[]
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
}

/** Counters a run keeps; also printed by the CLI. */
export interface JobMetrics {
  recordsIn: number
  deadLetters: number
  lateRecords: number
  filtered: number
  primitivesBeforeDedup: number
  primitivesAfterDedup: number
  checkpoints: number
  lastCheckpointId: number | null
  /** Checkpoint this run restored on start, or null for a fresh start. */
  restoredFrom: number | null
  watermark: number
}

export interface JobResult {
  readonly metrics: Readonly<JobMetrics>
  /** Why the run ended: the bounded input ended, stop() was called, or a signal arrived. */
  readonly reason: 'end-of-input' | 'stopped' | 'signal'
}

export interface JobHandle {
  /** Resolves when the job has stopped (after its final checkpoint); rejects on a fatal error. */
  readonly done: Promise<JobResult>
  /** Live counters. */
  readonly metrics: Readonly<JobMetrics>
  /** Graceful stop: finish the current batch, final checkpoint, close everything. */
  stop(): Promise<JobResult>
}

/**
 * The messages between the job thread's ThreadedKafkaSource (threaded-source.ts) and the
 * fetch worker (fetch-worker.ts) that runs the KafkaSource, and the packed form a batch
 * crosses in: every value copied into one transferred ArrayBuffer, with partitions,
 * offsets and value ends in typed arrays beside it, so no per-message object is cloned.
 *
 * @example
 * const packed = packRecords(records)            // worker
 * const records = unpackRecords(packed)           // job thread: values are views into one buffer
 */
import type { SourcePositions, SourceRecord } from '../../engine/connector.ts'
import { ConfigError, TransientError } from '../../base/errors.ts'
import type { KafkaLogEntry, KafkaLogLevel } from './client.ts'
import type { KafkaSecurityParts } from './security.ts'
import type { KafkaStart } from './partition-positions.ts'

/** KafkaSourceOptions that can cross a thread (no functions, no class instances). */
export interface WorkerSourceOptions {
  readonly id?: string
  readonly brokers: readonly string[]
  readonly topic: string
  readonly groupId: string
  readonly clientId?: string
  readonly start?: KafkaStart
  readonly maxBufferedRecords?: number
  readonly pollTimeoutMs?: number
  readonly sessionTimeoutMs?: number
  readonly rebalanceCheckpointTimeoutMs?: number
  readonly logLevel?: KafkaLogLevel
  readonly security?: KafkaSecurityParts
}

export interface PackedRecords {
  readonly count: number
  readonly values: ArrayBuffer
  /** Value i is values[ends[i-1] .. ends[i]) (ends[-1] = 0). */
  readonly ends: Int32Array
  readonly partitions: Int32Array
  readonly offsets: Float64Array
}

export type ToWorker =
  | {
      readonly t: 'open'
      readonly options: WorkerSourceOptions
      readonly jobName: string
      readonly restored: SourcePositions | null
      /** The job thread's kafkajs log level when its logs are routed, else null (the worker prints as kafkajs would). */
      readonly routedLogLevel: KafkaLogLevel | null
    }
  | { readonly t: 'poll'; readonly id: number; readonly max: number }
  | { readonly t: 'notify'; readonly checkpointId: number; readonly positions: SourcePositions; readonly held: SourcePositions }
  | { readonly t: 'committed'; readonly id: number }
  | { readonly t: 'close'; readonly id: number }
  | { readonly t: 'checkpointDone'; readonly id: number }

export interface SourceState {
  readonly positions: SourcePositions
  readonly assigned: readonly number[] | null
}

export type FromWorker =
  | { readonly t: 'opened'; readonly state: SourceState }
  | { readonly t: 'batch'; readonly id: number; readonly packed: PackedRecords; readonly state: SourceState }
  | { readonly t: 'done'; readonly id: number }
  | { readonly t: 'failed'; readonly id: number | null; readonly error: SerializedError }
  /** The assignment or positions changed between polls (a rebalance, a start offset decided). */
  | { readonly t: 'assignment'; readonly state: SourceState }
  | { readonly t: 'checkpointNow'; readonly id: number; readonly reason: string }
  | { readonly t: 'warn'; readonly message: string }
  | { readonly t: 'log'; readonly entry: KafkaLogEntry }

export interface SerializedError {
  readonly name: string
  readonly message: string
}

/** An error as it can cross a thread; ConfigError and TransientError keep their kind (exit codes, retries depend on it). */
export function serializeError(err: unknown): SerializedError {
  return err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) }
}

export function deserializeError(e: SerializedError): Error {
  // the message already carries the hint (RdgError joins them)
  if (e.name === 'ConfigError') return new ConfigError(e.message)
  if (e.name === 'TransientError') return new TransientError(e.message)
  const err = new Error(e.message)
  err.name = e.name
  return err
}

const EMPTY = Buffer.alloc(0)

/** Copies the records' values into one buffer (to transfer) with their partitions, offsets and ends. */
export function packRecords(records: readonly SourceRecord<Buffer>[]): PackedRecords {
  const n = records.length
  let bytes = 0
  for (let i = 0; i < n; i++) bytes += records[i]!.value.length
  const values = new ArrayBuffer(bytes)
  const into = Buffer.from(values)
  const ends = new Int32Array(n)
  const partitions = new Int32Array(n)
  const offsets = new Float64Array(n)
  let at = 0
  for (let i = 0; i < n; i++) {
    const r = records[i]!
    at += r.value.copy(into, at)
    ends[i] = at
    partitions[i] = r.partition
    offsets[i] = Number(r.offset)
  }
  return { count: n, values, ends, partitions, offsets }
}

/** The records of a packed batch; each value is a view into the one transferred buffer. */
export function unpackRecords(p: PackedRecords): SourceRecord<Buffer>[] {
  const all = Buffer.from(p.values)
  const out = new Array<SourceRecord<Buffer>>(p.count)
  let start = 0
  for (let i = 0; i < p.count; i++) {
    const end = p.ends[i]!
    out[i] = { partition: p.partitions[i]!, offset: String(p.offsets[i]), value: end > start ? all.subarray(start, end) : EMPTY }
    start = end
  }
  return out
}

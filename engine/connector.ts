/**
 * What the engine needs from sources and sinks. Connectors (connectors/, kv/) implement
 * these; the engine never looks inside them.
 *
 * Sources keep their positions as checkpointed state: `positions()` is read at each
 * checkpoint and handed back to `open` on restore. Sinks buffer synchronously in
 * `write`, signal backpressure, and make everything durable in `flush`, which the
 * checkpoint calls first. Sinks must be idempotent (upserts, last-writer-wins by event
 * time) so that records replayed after a restore leave the same final contents.
 *
 * @example
 * const source: Source<string> = new JsonLinesFileSource({ id: 'events', path: 'in.jsonl' })
 */
import type { Clock } from '../base/clock.ts'
import type { CheckpointId, OperatorId } from '../base/ids.ts'

/** Next position to read, per source partition (e.g. Kafka offsets as strings). */
export type SourcePositions = Readonly<Record<string, string>>

/** One raw record as a source delivers it, before decoding. */
export interface SourceRecord<Raw> {
  /** Source partition; watermarks are tracked per partition. */
  readonly partition: number
  /** Position of this record within its partition, for dead letters and debugging. */
  readonly offset: string
  readonly key?: Uint8Array | string | null
  readonly value: Raw
}

export interface SourceBatch<Raw> {
  readonly records: readonly SourceRecord<Raw>[]
  /** True when a bounded source has delivered its last record. */
  readonly end: boolean
  /** Partitions known to the source right now (assigned ones, for Kafka); used for the watermark. */
  readonly partitions?: readonly number[]
}

export interface SourceContext {
  readonly jobName: string
  readonly clock: Clock
  /** Positions from the restored checkpoint, or null on a fresh start. */
  readonly restoredPositions: SourcePositions | null
  /**
   * Asks the engine to flush sinks and checkpoint at the next batch boundary (e.g. before a
   * Kafka rebalance revokes partitions). Resolves when the checkpoint is complete.
   */
  checkpointNow(reason: string): Promise<void>
}

export interface Source<Raw> {
  readonly id: OperatorId
  open(ctx: SourceContext): Promise<void>
  /**
   * Next records, at most `maxRecords`. Resolves soon (within ~100 ms) even when nothing
   * arrived, with an empty batch, so the engine can advance processing time.
   */
  poll(maxRecords: number): Promise<SourceBatch<Raw>>
  /** Positions after the last record returned by `poll`. */
  positions(): SourcePositions
  /**
   * Called after a checkpoint completed with these positions (Kafka commits offsets here).
   * `held` names, per source partition (the records' `partition` as a string), the first
   * position whose record's effect may still be pending inside an operator (an open
   * window) and so is not in the sinks yet; partitions absent hold nothing. A position
   * handed on to anyone else (Kafka: the offset committed to the group, which the
   * partition's next owner starts from) must not pass it.
   */
  notifyCheckpointComplete?(id: CheckpointId, positions: SourcePositions, held: SourcePositions): Promise<void>
  close(): Promise<void>
}

export interface SinkContext {
  readonly jobName: string
  readonly clock: Clock
}

export interface Sink<T> {
  readonly id: OperatorId
  open(ctx: SinkContext): Promise<void>
  /** Buffers one record; never awaits. */
  write(value: T, timestamp: number): void
  /** True while buffered work is over the sink's bound: the engine stops polling until `drain` resolves. */
  readonly backpressured: boolean
  /** Resolves once buffered work is back under the bound (retrying with backoff while the target is down). */
  drain(): Promise<void>
  /** Makes everything written so far durable; called first in every checkpoint. */
  flush(): Promise<void>
  close(): Promise<void>
}

/** A record that could not be processed, with why and where it came from. */
export interface DeadLetter {
  readonly reason: string
  /** Operator that rejected it. */
  readonly operator: string
  readonly source: { readonly id: string; readonly partition: number; readonly offset: string } | null
  /** The offending value: raw text, base64 of raw bytes, or the decoded JSON value. */
  readonly value: unknown
  readonly eventTime: number | null
}

/**
 * Turns a raw source value into the job's event; throws (any Error) when it cannot.
 * `fields` is set when the decoder yields only those fields (a projection pushed into it).
 */
export type Decoder<E> = ((raw: unknown) => E) & { readonly fields?: readonly string[] }

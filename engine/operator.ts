/**
 * The internal operator contract the runtime executes. Operators work on whole
 * micro-batches: `processBatch` reads an input batch and appends to an output batch,
 * synchronously. A keyed operator first gets `prepareBatch`, its one chance per batch to
 * await I/O (loading the batch's keys from RocksDB); it returns null when nothing needs
 * loading, so the runtime skips the await.
 *
 * The set of operator kinds is closed (`OperatorKind`), so a job graph is plain data
 * the CLI can print. Built-in operators live in operators/, one per file.
 *
 * @example
 * const upper: StreamOperator = {
 *   id: operatorId('upper'), kind: 'map', description: 'to upper case',
 *   async open() {},
 *   processBatch(input, out) { for (let i = 0; i < input.length; i++) out.push(String(input.values[i]).toUpperCase(), input.timestamps[i]!) },
 * }
 */
import type { Clock } from '../base/clock.ts'
import type { DeadLetter, Sink } from './connector.ts'
import type { OutputTag } from './elements.ts'
import type { RecordBatch } from './record-batch.ts'
import type { OperatorId } from '../base/ids.ts'
import type { KeyedStateBackend } from '../state/types.ts'

export type OperatorKind = 'source' | 'filter' | 'map' | 'flatMap' | 'enrich' | 'keyBy' | 'process' | 'sink'

/** Where an operator sends side-output records (late data, dead letters, user tags). */
export interface SideOutputs {
  emit<T>(tag: OutputTag<T>, value: T, timestamp: number): void
  /** `origin`: the rejected record's `input.origins[i]`, so the letter gets its source position. */
  deadLetter(letter: DeadLetter, origin?: number): void
}

/** What the runtime hands an operator when it opens. */
export interface OperatorRuntime {
  readonly jobName: string
  readonly clock: Clock
  readonly state: KeyedStateBackend
  /** Directory that relative side-input paths resolve against. */
  readonly sideInputDir: string
  /** The job's current event-time watermark. */
  currentWatermark(): number
}

/** An operator fused into another one (run by it), listed for `rdg-job describe`. */
export interface ChainedOperator {
  readonly id: OperatorId
  readonly kind: OperatorKind
  readonly description: string
}

/** An operator that hands its input to a sink; the runtime flushes every such sink in each checkpoint. */
export interface SinkOperator extends StreamOperator {
  readonly kind: 'sink'
  readonly sink: Sink<unknown>
}

export interface StreamOperator {
  readonly id: OperatorId
  readonly kind: OperatorKind
  /** One line for `rdg-job describe`. */
  readonly description: string
  /** Set for keyed operators: how the key is taken from a record. */
  readonly keyed?: boolean
  /** Operators this one runs before its own step (chained), in order. */
  readonly chained?: readonly ChainedOperator[]

  open(runtime: OperatorRuntime): Promise<void>
  /** Loads what `processBatch` will touch; null when there is nothing to await. */
  prepareBatch?(input: RecordBatch): Promise<void> | null
  processBatch(input: RecordBatch, out: RecordBatch, side: SideOutputs): void
  /**
   * Takes the next bounded chunk of due timers (event time <= watermark, processing time
   * <= processingTime) and loads what firing them touches; null when there is nothing to await.
   */
  prepareTime?(watermark: number, processingTime: number): Promise<void> | null
  /** Fires the chunk taken by `prepareTime`. */
  advanceTime?(watermark: number, processingTime: number, out: RecordBatch, side: SideOutputs): void
  /** True while more timers are due: the runtime repeats prepareTime/advanceTime, one bounded chunk at a time. */
  hasDueTimers?(watermark: number, processingTime: number): boolean
  /** Adds the operator's own counts since the last call to the job's named counters (e.g. dedup's primitives in and out). */
  reportCounters?(counters: Record<string, number>): void
  /**
   * For operators that hold records' effects back (a window): the earliest event time of a
   * record whose effect is still held (Infinity when none is). Asked at checkpoints; the
   * runtime hands on no source position past a record at or after it.
   */
  pendingEventTimeFloor?(): number
  /** Called at each batch boundary (e.g. to reload side inputs that changed). */
  onBatchBoundary?(): void
  close?(): Promise<void>
}

/**
 * Operator test harness, after Flink's: drive one operator (or a keyed process function)
 * by hand — process elements with a timestamp, move the watermark and the processing
 * clock, read the output (records and watermarks in order) and side outputs, list
 * pending timers, snapshot, and restore into a fresh harness. No sleeps: time moves only
 * when the test says so.
 *
 * @example
 * const h = await OperatorTestHarness.forProcessFunction(dedupFunction(5_000), identityOf)
 * await h.processElement(node, 1_000)
 * await h.processWatermark(6_000)   // fires the window's timer
 * expect(h.records()).toEqual([node])
 * const snap = await h.snapshot()
 * const h2 = await OperatorTestHarness.forProcessFunction(dedupFunction(5_000), identityOf, { restoreFrom: snap })
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ManualClock } from '../base/clock.ts'
import type { DeadLetter } from '../engine/connector.ts'
import type { OutputTag, StreamElement } from '../engine/elements.ts'
import type { OperatorRuntime, SideOutputs, StreamOperator } from '../engine/operator.ts'
import type { KeyedProcessFunction, StateDeclarations } from '../engine/process-function.ts'
import { RecordBatch } from '../engine/record-batch.ts'
import { checkpointId, MIN_WATERMARK, operatorId } from '../base/ids.ts'
import { KeyedProcessOperator, type KeySelector } from '../operators/process.ts'
import type { TimerEntry } from '../engine/timer-service.ts'
import { HeapStateBackend } from '../state/heap-backend.ts'
import type { KeyedStateBackend, StateSnapshotHandle } from '../state/types.ts'

/** What `snapshot()` returns: enough to restore the operator's state, timers and time. */
export interface HarnessSnapshot {
  readonly root: string
  readonly handle: StateSnapshotHandle
  readonly watermark: number
  readonly processingTime: number
}

export interface HarnessOptions {
  /** State backend; default a fresh HeapStateBackend on the harness clock. */
  readonly backend?: (clock: ManualClock) => KeyedStateBackend
  /** Start processing time. Default 0. */
  readonly processingTime?: number
  readonly restoreFrom?: HarnessSnapshot
  readonly sideInputDir?: string
}

export interface PendingTimer {
  readonly key: string
  readonly timestamp: number
}

export class OperatorTestHarness<O = unknown> {
  readonly clock: ManualClock
  private readonly elements: StreamElement<O>[] = []
  private readonly sides = new Map<string, Array<{ value: unknown; timestamp: number }>>()
  private readonly letters: DeadLetter[] = []
  private readonly side: SideOutputs
  private readonly input = new RecordBatch()
  private readonly out = new RecordBatch()
  private watermark = MIN_WATERMARK
  private snapshots = 0

  private constructor(
    readonly operator: StreamOperator,
    readonly backend: KeyedStateBackend,
    clock: ManualClock,
  ) {
    this.clock = clock
    this.side = {
      emit: <T>(tag: OutputTag<T>, value: T, timestamp: number) => {
        let list = this.sides.get(tag.id)
        if (!list) this.sides.set(tag.id, (list = []))
        list.push({ value, timestamp })
      },
      deadLetter: (letter) => this.letters.push(letter),
    }
  }

  /** A harness around any operator. */
  static async forOperator<O>(operator: StreamOperator, options: HarnessOptions = {}): Promise<OperatorTestHarness<O>> {
    const clock = new ManualClock(options.restoreFrom?.processingTime ?? options.processingTime ?? 0)
    const backend = options.backend ? options.backend(clock) : new HeapStateBackend({ clock })
    const h = new OperatorTestHarness<O>(operator, backend, clock)
    if (options.restoreFrom) {
      await backend.restore(options.restoreFrom.handle, options.restoreFrom.root)
      h.watermark = options.restoreFrom.watermark
    }
    const runtime: OperatorRuntime = {
      jobName: 'harness',
      clock,
      state: backend,
      sideInputDir: options.sideInputDir ?? process.cwd(),
      currentWatermark: () => h.watermark,
    }
    await operator.open(runtime)
    return h
  }

  /** A harness around a keyed process function. */
  static async forProcessFunction<I, O, D extends StateDeclarations>(
    fn: KeyedProcessFunction<I, O, D>,
    keySelector: KeySelector<I>,
    options: HarnessOptions & { id?: string } = {},
  ): Promise<OperatorTestHarness<O>> {
    return OperatorTestHarness.forOperator<O>(new KeyedProcessOperator(operatorId(options.id ?? 'under-test'), keySelector, fn), options)
  }

  async processElement(value: unknown, timestamp: number): Promise<void> {
    await this.processElements([[value, timestamp]])
  }

  /** Processes several elements as one micro-batch. */
  async processElements(elements: ReadonlyArray<readonly [unknown, number]>): Promise<void> {
    this.input.clear()
    for (const [v, ts] of elements) this.input.push(v, ts)
    const pending = this.operator.prepareBatch?.(this.input)
    if (pending) await pending
    this.out.clear()
    this.operator.processBatch(this.input, this.out, this.side)
    this.collect()
  }

  /** Advances event time; fires due event-time timers, then records the watermark in the output. */
  async processWatermark(watermark: number): Promise<void> {
    if (watermark > this.watermark) this.watermark = watermark
    await this.advance()
    this.elements.push({ kind: 'watermark', timestamp: this.watermark })
  }

  /** Moves processing time forward by `ms`, firing due processing-time timers. */
  async advanceProcessingTime(ms: number): Promise<void> {
    this.clock.advance(ms)
    await this.advance()
  }

  async setProcessingTime(t: number): Promise<void> {
    this.clock.set(t)
    await this.advance()
  }

  private async advance(): Promise<void> {
    const op = this.operator
    if (!op.advanceTime) return
    do {
      const pending = op.prepareTime?.(this.watermark, this.clock.now()) ?? null
      if (pending) await pending
      this.out.clear()
      op.advanceTime(this.watermark, this.clock.now(), this.out, this.side)
      this.collect()
    } while (op.hasDueTimers?.(this.watermark, this.clock.now()))
  }

  private collect(): void {
    for (let i = 0; i < this.out.length; i++)
      this.elements.push({ kind: 'record', value: this.out.values[i] as O, timestamp: this.out.timestamps[i]! })
  }

  /** Everything emitted so far, records and watermarks, in order. */
  output(): readonly StreamElement<O>[] {
    return this.elements
  }

  /** Values of the emitted records, in order. */
  records(): O[] {
    const out: O[] = []
    for (const e of this.elements) if (e.kind === 'record') out.push(e.value)
    return out
  }

  /** Emitted records with their timestamps. */
  timestampedRecords(): Array<{ value: O; timestamp: number }> {
    const out: Array<{ value: O; timestamp: number }> = []
    for (const e of this.elements) if (e.kind === 'record') out.push({ value: e.value, timestamp: e.timestamp })
    return out
  }

  sideOutput<T>(tag: OutputTag<T>): Array<{ value: T; timestamp: number }> {
    return (this.sides.get(tag.id) ?? []) as Array<{ value: T; timestamp: number }>
  }

  deadLetters(): readonly DeadLetter[] {
    return this.letters
  }

  /** Forgets the output collected so far. */
  clearOutput(): void {
    this.elements.length = 0
  }

  /** Pending timers of a keyed operator, in firing order. */
  pendingTimers(): { event: PendingTimer[]; processing: PendingTimer[] } {
    const op = this.operator as Partial<KeyedProcessOperator<unknown, unknown, StateDeclarations>>
    if (typeof op.pendingTimers !== 'function') return { event: [], processing: [] }
    const live = (entries: readonly TimerEntry[]): PendingTimer[] => entries.map((e) => ({ key: e.key, timestamp: e.timestamp }))
    return { event: live(op.pendingTimers('event')), processing: live(op.pendingTimers('processing')) }
  }

  get currentWatermark(): number {
    return this.watermark
  }

  /** Snapshots state and timers (as a checkpoint would) into a temp directory. */
  async snapshot(): Promise<HarnessSnapshot> {
    const root = mkdtempSync(join(tmpdir(), 'rdg-harness-'))
    const id = checkpointId(++this.snapshots)
    const handle = await this.backend.snapshot(id, root)
    await this.backend.notifyCheckpointComplete(id)
    return { root, handle, watermark: this.watermark, processingTime: this.clock.now() }
  }

  async close(): Promise<void> {
    await this.operator.close?.()
    await this.backend.close()
  }
}

/**
 * Runs a user's KeyedProcessFunction as a keyed operator: keys each record, loads the
 * batch's keys from the state backend in one prefetch, then calls `processElement`
 * synchronously per record with a reused context; fires event-time timers when the
 * watermark passes them and processing-time timers when the clock does.
 *
 * @example
 * const op = keyedProcess(operatorId('count'), (word: string) => word, counterFunction)
 */
import type { Collector, KeyedProcessFunction, StateDeclarations, TimerContext } from '../engine/process-function.ts'
import type { OperatorRuntime, SideOutputs, StreamOperator } from '../engine/operator.ts'
import type { RecordBatch } from '../engine/record-batch.ts'
import { TimerService, keyTimersCodec, type KeyTimers, type TimeDomain, type TimerEntry } from '../engine/timer-service.ts'
import type { OperatorId, StateKey } from '../base/ids.ts'
import type { OutputTag } from '../engine/elements.ts'
import type { StateDescriptor } from '../state/types.ts'
import { createStateAccessors, type KeyScope } from '../state/keyed-state.ts'

/** Name of the state table that holds each key's timers. Reserved. */
export const TIMERS_STATE = '__timers'

const timersDescriptor: StateDescriptor<KeyTimers> = { name: TIMERS_STATE, kind: 'value', codec: keyTimersCodec }

export type KeySelector<I> = (value: I) => string | number

/**
 * Makes V8 store a key built by concatenation as one flat string. A key is compared with
 * equal keys in several hash tables per record (batch keys, dirty and cached state,
 * timers); comparing an unflattened concatenation walks its pieces every time, which
 * measured at ~0.5 µs per comparison for identity keys, several times the rest of the work.
 */
export function flatten(key: string): string {
  key.charCodeAt(key.length - 1)
  return key
}

/** Timers fired per step: bounds the keys loaded and the output produced at once (a jump of the watermark can make millions due). */
export const TIMERS_PER_STEP = 4_096

export class KeyedProcessOperator<I, O, D extends StateDeclarations> implements StreamOperator {
  readonly kind = 'process' as const
  readonly keyed = true
  readonly description: string
  protected runtime!: OperatorRuntime
  protected timers!: TimerService
  private readonly scope: KeyScope = { key: '' }
  protected readonly keys: StateKey[] = []
  private dueEvent: TimerEntry[] = []
  private dueProcessing: TimerEntry[] = []
  private out: RecordBatch | null = null
  private side: SideOutputs | null = null
  private readonly ctx: TimerContext<D> & { key: StateKey; timestamp: number; timeDomain: TimeDomain }
  private readonly collector: Collector<O>

  constructor(
    readonly id: OperatorId,
    protected readonly keySelector: KeySelector<I>,
    private readonly fn: KeyedProcessFunction<I, O, D>,
    description?: string,
  ) {
    this.description = description ?? 'keyed process function'
    if (TIMERS_STATE in fn.state) throw new Error(`state name "${TIMERS_STATE}" is reserved (operator ${id})`)
    this.collector = {
      collect: (value: O, timestamp?: number): void => {
        this.out!.push(value, timestamp ?? this.ctx.timestamp)
      },
    }
    const timerControl = {
      registerEventTimeTimer: (ts: number) => this.timers.register('event', this.scope.key, ts),
      registerProcessingTimeTimer: (ts: number) => this.timers.register('processing', this.scope.key, ts),
      deleteEventTimeTimer: (ts: number) => this.timers.delete('event', this.scope.key, ts),
      deleteProcessingTimeTimer: (ts: number) => this.timers.delete('processing', this.scope.key, ts),
      currentWatermark: () => this.runtime.currentWatermark(),
      currentProcessingTime: () => this.runtime.clock.now(),
    }
    this.ctx = {
      key: '',
      timestamp: 0,
      timeDomain: 'event',
      state: undefined as never,
      timers: timerControl,
      output: <T>(tag: OutputTag<T>, value: T) => this.side!.emit(tag, value, this.ctx.timestamp),
    }
  }

  async open(runtime: OperatorRuntime): Promise<void> {
    this.runtime = runtime
    ;(this.ctx as { state: unknown }).state = createStateAccessors(runtime.state, this.id, this.fn.state, this.scope)
    this.timers = new TimerService(runtime.state.table(this.id, timersDescriptor))
    await this.timers.rebuild((keys) => runtime.state.prefetch(keys))
  }

  prepareBatch(input: RecordBatch): Promise<void> | null {
    const keys = this.keys
    keys.length = input.length
    for (let i = 0; i < input.length; i++) keys[i] = flatten(String(this.keySelector(input.values[i] as I)))
    return this.runtime.state.prefetch(keys)
  }

  processBatch(input: RecordBatch, out: RecordBatch, side: SideOutputs): void {
    this.out = out
    this.side = side
    const ctx = this.ctx
    ctx.timeDomain = 'event'
    for (let i = 0; i < input.length; i++) {
      const key = this.keys[i]!
      this.scope.key = key
      ctx.key = key
      ctx.timestamp = input.timestamps[i]!
      this.fn.processElement(input.values[i] as I, ctx, this.collector)
    }
  }

  prepareTime(watermark: number, processingTime: number): Promise<void> | null {
    if (!this.fn.onTimer) return null
    this.dueEvent = this.timers.popDue('event', watermark, TIMERS_PER_STEP)
    this.dueProcessing = this.timers.popDue('processing', processingTime, TIMERS_PER_STEP - this.dueEvent.length)
    if (this.dueEvent.length === 0 && this.dueProcessing.length === 0) return null
    const keys: StateKey[] = []
    for (const e of this.dueEvent) keys.push(e.key)
    for (const e of this.dueProcessing) keys.push(e.key)
    return this.runtime.state.prefetch(keys)
  }

  advanceTime(watermark: number, processingTime: number, out: RecordBatch, side: SideOutputs): void {
    if (!this.fn.onTimer) return
    this.out = out
    this.side = side
    // Timers that firing registers and that are already due come in a later step, after their keys are loaded.
    for (const entry of this.dueEvent) this.fire('event', entry)
    for (const entry of this.dueProcessing) this.fire('processing', entry)
    this.dueEvent = []
    this.dueProcessing = []
  }

  hasDueTimers(watermark: number, processingTime: number): boolean {
    return this.fn.onTimer !== undefined && (this.timers.hasDue('event', watermark) || this.timers.hasDue('processing', processingTime))
  }

  private fire(domain: TimeDomain, entry: TimerEntry): void {
    this.scope.key = entry.key
    if (!this.timers.claim(domain, entry)) return
    const ctx = this.ctx
    ctx.key = entry.key
    ctx.timestamp = entry.timestamp
    ctx.timeDomain = domain
    this.fn.onTimer!(entry.timestamp, ctx, this.collector)
  }

  /** Pending timers, for the test harness. */
  pendingTimers(domain: TimeDomain): readonly TimerEntry[] {
    return this.timers.pending(domain)
  }
}

/** Creates a keyed process operator. */
export function keyedProcess<I, O, D extends StateDeclarations>(
  id: OperatorId,
  keySelector: KeySelector<I>,
  fn: KeyedProcessFunction<I, O, D>,
  description?: string,
): KeyedProcessOperator<I, O, D> {
  return new KeyedProcessOperator(id, keySelector, fn, description)
}

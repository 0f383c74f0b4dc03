/**
 * The user-facing keyed process function, after Flink's KeyedProcessFunction:
 * `processElement(value, ctx, out)` is required, `onTimer` optional. State is declared
 * up front in `state`; `ctx` carries the key, the record's timestamp, the typed state of
 * that key, timers and side outputs, and is valid only during the call (the runtime
 * reuses it, and calls are synchronous, so no await can interleave keys).
 *
 * @example
 * const counter = processFunction({
 *   state: { count: valueState('count', codecs.json<number>()) },
 *   processElement(value: string, ctx, out: Collector<[string, number]>) {
 *     const n = (ctx.state.count.value() ?? 0) + 1
 *     ctx.state.count.update(n)
 *     ctx.timers.registerEventTimeTimer(ctx.timestamp + 1_000)
 *     out.collect([ctx.key, n])
 *   },
 *   onTimer(ts, ctx, out) { out.collect([ctx.key, -1], ts) },
 * })
 */
import type { OutputTag } from './elements.ts'
import type { StateKey } from '../base/ids.ts'
import type { StateDescriptor } from '../state/types.ts'
import type { StateAccessors } from '../state/keyed-state.ts'

export type StateDeclarations = Readonly<Record<string, StateDescriptor<any, any>>>

export interface Collector<O> {
  /** Emits a record; its event time defaults to the current record's (or the timer's) timestamp. */
  collect(value: O, timestamp?: number): void
}

export interface TimerControl {
  registerEventTimeTimer(timestamp: number): void
  registerProcessingTimeTimer(timestamp: number): void
  deleteEventTimeTimer(timestamp: number): void
  deleteProcessingTimeTimer(timestamp: number): void
  currentWatermark(): number
  currentProcessingTime(): number
}

export interface KeyedContext<D extends StateDeclarations> {
  readonly key: StateKey
  /** Event time of the record being processed, or the firing timer's timestamp. */
  readonly timestamp: number
  readonly state: StateAccessors<D>
  readonly timers: TimerControl
  /** Emits to a side output. */
  output<T>(tag: OutputTag<T>, value: T): void
}

export interface TimerContext<D extends StateDeclarations> extends KeyedContext<D> {
  readonly timeDomain: 'event' | 'processing'
}

export interface KeyedProcessFunction<I, O, D extends StateDeclarations = StateDeclarations> {
  readonly state: D
  processElement(value: I, ctx: KeyedContext<D>, out: Collector<O>): void
  onTimer?(timestamp: number, ctx: TimerContext<D>, out: Collector<O>): void
}

/** Identity helper for type inference of a process function literal. */
export function processFunction<I, O, D extends StateDeclarations>(fn: KeyedProcessFunction<I, O, D>): KeyedProcessFunction<I, O, D> {
  return fn
}

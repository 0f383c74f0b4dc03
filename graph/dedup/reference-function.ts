/**
 * Dedup stated update by update, as a KeyedProcessFunction: the reference the batched
 * `DedupOperator` is tested against (the equivalence tests run both on the same input).
 * The first update of an identity opens a window closing at its event time + `windowMs`;
 * later ones merge in (latest event time wins per property); the window's event-time
 * timer emits the merged primitive once and clears it.
 *
 * @example
 * const op = new KeyedProcessOperator(operatorId('dedup'), identityOf, dedupFunction(5_000))
 */
import type { KeyedProcessFunction } from '../../engine/process-function.ts'
import type { GraphPrimitive } from '../model.ts'
import { mergePrimitive, openWindow } from './merge.ts'
import { pendingState } from './pending-state.ts'

export function dedupFunction(windowMs: number): KeyedProcessFunction<GraphPrimitive, GraphPrimitive, { pending: typeof pendingState }> {
  if (!(windowMs > 0)) throw new Error(`dedup window must be > 0 ms, got ${windowMs}`)
  return {
    state: { pending: pendingState },
    processElement(update, ctx) {
      const pending = ctx.state.pending.value()
      if (pending === undefined) {
        const opened = openWindow(update, windowMs)
        ctx.state.pending.update(opened)
        ctx.timers.registerEventTimeTimer(opened.fireAt)
      } else {
        ctx.state.pending.update(mergePrimitive(pending, update))
      }
    },
    onTimer(_ts, ctx, out) {
      const pending = ctx.state.pending.value()
      if (pending === undefined) return
      ctx.state.pending.clear()
      out.collect(pending.primitive, pending.primitive.eventTime)
    },
  }
}

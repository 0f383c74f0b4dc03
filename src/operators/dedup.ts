/**
 * The RDG dedup step, as a keyed process function keyed by the primitive's identity
 * (node type + id, or edge type + source + destination).
 *
 * The first update of an identity opens a window of `windowMs` (an event-time timer at
 * its event time + windowMs); later updates merge into the buffered primitive, the latest
 * event time winning per property; when the timer fires the merged primitive is emitted
 * once and the buffer cleared. Nothing is lost; duplicates collapse.
 *
 * @example
 * const op = dedupOperator(operatorId('dedup'), 5_000)
 */
import type { KeyedProcessFunction } from '../engine/process-function.ts'
import type { OperatorId } from '../engine/types.ts'
import { identityOf, type GraphPrimitive, type PropertyValue } from '../graph/model.ts'
import type { Codec, StateDescriptor } from '../state/types.ts'
import { KeyedProcessOperator } from './process.ts'

/**
 * Buffered primitive plus the event time each property was last set at; `propertyTimes`
 * is null while every property carries the primitive's own event time (the common case
 * of in-order updates, which then cost no copying).
 */
export interface PendingPrimitive {
  readonly primitive: GraphPrimitive
  readonly propertyTimes: Readonly<Record<string, number>> | null
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const pendingCodec: Codec<PendingPrimitive> = {
  encode: (v) => encoder.encode(JSON.stringify(v)),
  decode: (b) => JSON.parse(decoder.decode(b)) as PendingPrimitive,
}

const pendingState: StateDescriptor<PendingPrimitive, 'value'> = { name: 'pending', kind: 'value', codec: pendingCodec }

/** Merges `update` into `pending`: per property, the later event time wins (ties: the later arrival). */
export function mergePrimitive(pending: PendingPrimitive, update: GraphPrimitive): PendingPrimitive {
  const prev = pending.primitive
  // Fast path: a newer update that sets every property the buffer has replaces it whole.
  if (update.eventTime >= prev.eventTime && coversAll(update.properties, prev.properties)) return { primitive: update, propertyTimes: null }
  const props: Record<string, PropertyValue> = { ...prev.properties }
  const times: Record<string, number> = { ...timesOf(pending) }
  for (const [name, value] of Object.entries(update.properties)) {
    const seen = times[name]
    if (seen === undefined || update.eventTime >= seen) {
      props[name] = value
      times[name] = update.eventTime
    }
  }
  const newer = update.eventTime >= pending.primitive.eventTime
  const base = newer ? update : pending.primitive
  return { primitive: { ...base, properties: props, eventTime: Math.max(update.eventTime, pending.primitive.eventTime) }, propertyTimes: times }
}

function open(update: GraphPrimitive): PendingPrimitive {
  return { primitive: update, propertyTimes: null }
}

function timesOf(pending: PendingPrimitive): Record<string, number> {
  if (pending.propertyTimes) return pending.propertyTimes as Record<string, number>
  const times: Record<string, number> = {}
  for (const name in pending.primitive.properties) times[name] = pending.primitive.eventTime
  return times
}

function coversAll(next: Readonly<Record<string, unknown>>, prev: Readonly<Record<string, unknown>>): boolean {
  for (const name in prev) if (!(name in next)) return false
  return true
}

export function dedupFunction(windowMs: number): KeyedProcessFunction<GraphPrimitive, GraphPrimitive, { pending: typeof pendingState }> {
  if (!(windowMs > 0)) throw new Error(`dedup window must be > 0 ms, got ${windowMs}`)
  return {
    state: { pending: pendingState },
    processElement(update, ctx) {
      const pending = ctx.state.pending.value()
      if (pending === undefined) {
        ctx.state.pending.update(open(update))
        ctx.timers.registerEventTimeTimer(update.eventTime + windowMs)
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

export function dedupOperator(id: OperatorId, windowMs: number): KeyedProcessOperator<GraphPrimitive, GraphPrimitive, { pending: typeof pendingState }> {
  return new KeyedProcessOperator(id, identityOf, dedupFunction(windowMs), `dedup: keyBy(identity), ${windowMs} ms window, latest event time wins per property`)
}

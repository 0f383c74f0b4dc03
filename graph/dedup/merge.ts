/**
 * The dedup merge rule: per property, the value set at the latest event time wins (ties:
 * the later arrival). A buffered window is a `PendingPrimitive`; every merge dedup does
 * (an update into the buffer, within a batch, a batch into state) goes through
 * `mergeProperties`.
 *
 * @example
 * const window = openWindow(update, 5_000)
 * const merged = mergePrimitive(window, laterUpdate) // laterUpdate's properties win where it is newer
 */
import type { GraphPrimitive, Properties, PropertyValue } from '../model.ts'

/**
 * Buffered primitive plus the event time each property was last set at; `propertyTimes`
 * is null while every property carries the primitive's own event time (the common case
 * of in-order updates, which then cost no copying).
 */
export interface PendingPrimitive {
  readonly primitive: GraphPrimitive
  readonly propertyTimes: Readonly<Record<string, number>> | null
  /** Event time the window closes at (its first update's event time + the window). */
  readonly fireAt: number
}

/** Merges `update` into `pending`: per property, the later event time wins (ties: the later arrival). */
export function mergePrimitive(pending: PendingPrimitive, update: GraphPrimitive): PendingPrimitive {
  const prev = pending.primitive
  // Fast path: a newer update that sets every property the buffer has replaces it whole.
  if (update.eventTime >= prev.eventTime && coversAll(update.properties, prev.properties))
    return { primitive: update, propertyTimes: null, fireAt: pending.fireAt }
  const [props, times] = mergeProperties(prev.properties, timesOf(pending), update.properties, null, update.eventTime)
  const base = update.eventTime >= prev.eventTime ? update : prev
  return {
    primitive: { ...base, properties: props, eventTime: Math.max(update.eventTime, prev.eventTime) },
    propertyTimes: times,
    fireAt: pending.fireAt,
  }
}

/**
 * The one merge rule, on copies: per property the value set at the later event time wins,
 * ties going to `incoming` (the later arrival). `incomingTimes` null means every incoming
 * property was set at `incomingTime`.
 */
export function mergeProperties(
  base: Properties,
  baseTimes: Readonly<Record<string, number>>,
  incoming: Properties,
  incomingTimes: Readonly<Record<string, number>> | null,
  incomingTime: number,
): [Record<string, PropertyValue>, Record<string, number>] {
  const props: Record<string, PropertyValue> = { ...base }
  const times: Record<string, number> = { ...baseTimes }
  for (const name in incoming) {
    const at = incomingTimes?.[name] ?? incomingTime
    const seen = times[name]
    if (seen === undefined || at >= seen) {
      props[name] = incoming[name]!
      times[name] = at
    }
  }
  return [props, times]
}

/** Every property stamped with one event time (what a null `propertyTimes` stands for). */
export function uniformTimes(properties: Properties, eventTime: number): Record<string, number> {
  const times: Record<string, number> = {}
  for (const name in properties) times[name] = eventTime
  return times
}

/** The window an identity's first update opens: it closes at that update's event time + `windowMs`. */
export function openWindow(update: GraphPrimitive, windowMs: number): PendingPrimitive {
  return { primitive: update, propertyTimes: null, fireAt: update.eventTime + windowMs }
}

/** The event time each of the window's properties was last set at. */
export function timesOf(pending: PendingPrimitive): Readonly<Record<string, number>> {
  return pending.propertyTimes ?? uniformTimes(pending.primitive.properties, pending.primitive.eventTime)
}

/** True if `next` sets every property `prev` has (so a newer `next` replaces `prev` whole). */
export function coversAll(next: Readonly<Record<string, unknown>>, prev: Readonly<Record<string, unknown>>): boolean {
  if (next === prev) return true // a job's shared constant (e.g. no properties)
  for (const name in prev) if (!(name in next)) return false
  return true
}

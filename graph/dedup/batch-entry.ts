/**
 * One identity's updates within a micro-batch, merged in place before state is touched
 * (a repeat costs no allocation), and the merge of that entry into the window state held.
 * The same rule as `mergePrimitive`, which is associative, so merging a batch first gives
 * what merging its updates one by one would.
 *
 * @example
 * if (sameIdentity(e, 'node', 'account', null, null)) mergeInto(e, properties, eventTime)
 * pending.put(e.key, stored === undefined ? { primitive: primitiveOf(e), propertyTimes: e.propertyTimes, fireAt } : mergeBatch(stored, e))
 */
import type { StateKey } from '../../base/ids.ts'
import type { GraphPrimitive, NodeRef, Properties } from '../model.ts'
import { coversAll, mergePrimitive, mergeProperties, timesOf, uniformTimes, type PendingPrimitive } from './merge.ts'

/**
 * One identity's updates within a batch, merged in place before state is touched: the
 * same fields as a buffered primitive, mutable, so a repeat costs no allocation.
 */
export interface BatchEntry {
  readonly kind: 'node' | 'edge'
  readonly type: string
  /** Node id, or the edge's source id (what entries are grouped by). */
  readonly id: string
  readonly src: NodeRef | null
  readonly dst: NodeRef | null
  /** The state key (identityOf), built once per identity and batch. */
  readonly key: StateKey
  /** Event time of the identity's first update in this batch: opens the window if state has none. */
  readonly firstTime: number
  /** Earliest record timestamp of the identity's updates in this batch (what its window holds back). */
  minTime: number
  properties: Properties
  eventTime: number
  /** Per-property event times once they differ (owned by this entry), else null. */
  propertyTimes: Record<string, number> | null
}

/** True if the update is `e`'s identity, given that its id (node id or edge source id) is `e.id`. */
export function sameIdentity(e: BatchEntry, kind: 'node' | 'edge', type: string, src: NodeRef | null, dst: NodeRef | null): boolean {
  if (e.kind !== kind || e.type !== type) return false
  return kind === 'node' || (e.dst!.id === dst!.id && e.dst!.type === dst!.type && e.src!.type === src!.type)
}

/** mergePrimitive on a batch entry, in place: per property the later event time wins (ties: the later update). */
export function mergeInto(e: BatchEntry, properties: Properties, eventTime: number): void {
  if (eventTime >= e.eventTime && coversAll(properties, e.properties)) {
    e.properties = properties
    e.eventTime = eventTime
    e.propertyTimes = null
    return
  }
  const [props, times] = mergeProperties(
    e.properties,
    e.propertyTimes ?? uniformTimes(e.properties, e.eventTime),
    properties,
    null,
    eventTime,
  )
  e.properties = props
  e.propertyTimes = times
  e.eventTime = Math.max(eventTime, e.eventTime)
}

/** The entry as the primitive it stands for (what state holds and the window emits). */
export function primitiveOf(e: BatchEntry): GraphPrimitive {
  return e.kind === 'node'
    ? { kind: 'node', type: e.type, id: e.id, properties: e.properties, eventTime: e.eventTime }
    : { kind: 'edge', type: e.type, src: e.src!, dst: e.dst!, properties: e.properties, eventTime: e.eventTime }
}

/**
 * The window state after a batch: what state held, merged with the batch's merged
 * updates. Per property this is the value of the update with the latest event time (ties:
 * the later update), the same as merging the updates one by one (the rule is associative).
 */
export function mergeBatch(stored: PendingPrimitive, e: BatchEntry): PendingPrimitive {
  if (e.propertyTimes === null) return mergePrimitive(stored, primitiveOf(e))
  const [props, times] = mergeProperties(stored.primitive.properties, timesOf(stored), e.properties, e.propertyTimes, e.eventTime)
  const eventTime = Math.max(e.eventTime, stored.primitive.eventTime)
  const base = e.eventTime >= stored.primitive.eventTime ? primitiveOf(e) : stored.primitive
  return { primitive: { ...base, properties: props, eventTime }, propertyTimes: times, fireAt: stored.fireAt }
}

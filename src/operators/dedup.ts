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
import type { OperatorRuntime, SideOutputs } from '../engine/operator.ts'
import type { KeyedProcessFunction } from '../engine/process-function.ts'
import type { RecordBatch } from '../engine/record-batch.ts'
import type { OperatorId, StateKey } from '../engine/types.ts'
import { identityOf, type GraphPrimitive, type PropertyValue } from '../graph/model.ts'
import type { Codec, StateDescriptor, StateTable } from '../state/types.ts'
import { flatten, KeyedProcessOperator } from './process.ts'

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

/** One identity's updates within a batch, merged in memory before state is touched. */
interface BatchEntry {
  /** The identity's first update in the batch: what later ones are matched against. */
  readonly first: GraphPrimitive
  /** The state key (identityOf), built once per identity and batch. */
  readonly key: StateKey
  pending: PendingPrimitive | undefined
  /** Event time of the update that opened a window in this batch; NaN when the window was open before. */
  opened: number
}

/** Same identity as `b`, compared field by field (no key string needed). */
function sameIdentity(a: GraphPrimitive, b: GraphPrimitive): boolean {
  if (a.kind === 'node') return b.kind === 'node' && a.type === b.type && a.id === b.id
  return b.kind === 'edge' && a.type === b.type && a.src.id === b.src.id && a.dst.id === b.dst.id && a.src.type === b.src.type && a.dst.type === b.dst.type
}

/**
 * Dedup with its updates merged per identity within each micro-batch: state is read and
 * written once per identity and batch instead of once per update (heartbeats repeat an
 * identity many times per batch). The result is the one `dedupFunction` gives update by
 * update: the same merges in the same order, and new windows' timers registered in
 * first-arrival order. Timers fire through `dedupFunction.onTimer`.
 */
export class DedupOperator extends KeyedProcessOperator<GraphPrimitive, GraphPrimitive, { pending: typeof pendingState }> {
  private pending!: StateTable<PendingPrimitive>
  /** This batch's identities by node id or edge source id. */
  private readonly byId = new Map<string, BatchEntry[]>()
  private readonly entries: BatchEntry[] = []
  /** This batch's identities in first-arrival order (the order their windows' timers are registered in). */
  private readonly unique: BatchEntry[] = []
  private readonly uniqueKeys: StateKey[] = []

  constructor(
    id: OperatorId,
    private readonly windowMs: number,
  ) {
    super(id, identityOf, dedupFunction(windowMs), `dedup: keyBy(identity), ${windowMs} ms window, latest event time wins per property`)
  }

  override async open(runtime: OperatorRuntime): Promise<void> {
    await super.open(runtime)
    this.pending = runtime.state.table(this.id, pendingState)
  }

  override prepareBatch(input: RecordBatch): Promise<void> | null {
    // Group by identity without building identity strings for repeats: primitives are
    // found by their (source) id, a string decoded once per event whose hash V8 caches,
    // then matched field by field. Only the first update of an identity builds its key.
    const { byId, entries, unique, keys } = this
    byId.clear()
    unique.length = 0
    keys.length = input.length
    entries.length = input.length
    for (let i = 0; i < input.length; i++) {
      const p = input.values[i] as GraphPrimitive
      const id = p.kind === 'node' ? p.id : p.src.id
      let group = byId.get(id)
      if (group === undefined) byId.set(id, (group = []))
      let entry: BatchEntry | undefined
      for (let g = 0; g < group.length; g++) {
        if (sameIdentity(group[g]!.first, p)) {
          entry = group[g]
          break
        }
      }
      if (entry === undefined) {
        entry = { first: p, key: flatten(identityOf(p)), pending: undefined, opened: Number.NaN }
        group.push(entry)
        unique.push(entry)
      }
      keys[i] = entry.key
      entries[i] = entry
    }
    this.uniqueKeys.length = unique.length
    for (let u = 0; u < unique.length; u++) this.uniqueKeys[u] = unique[u]!.key
    return this.runtime.state.prefetch(this.uniqueKeys, true)
  }

  override processBatch(input: RecordBatch, _out: RecordBatch, _side: SideOutputs): void {
    const { entries, keys, pending } = this
    for (let i = 0; i < input.length; i++) {
      const update = input.values[i] as GraphPrimitive
      const entry = entries[i]!
      if (entry.pending !== undefined) {
        entry.pending = mergePrimitive(entry.pending, update)
        continue
      }
      // first update of this identity in the batch: start from what state holds
      const stored = pending.get(keys[i]!)
      if (stored === undefined) {
        entry.pending = open(update)
        entry.opened = update.eventTime
      } else {
        entry.pending = mergePrimitive(stored, update)
      }
    }
    for (const entry of this.unique) {
      pending.put(entry.key, entry.pending!)
      if (!Number.isNaN(entry.opened)) this.timers.register('event', entry.key, entry.opened + this.windowMs)
    }
    this.byId.clear()
    this.unique.length = 0
    entries.length = 0
  }
}

export function dedupOperator(id: OperatorId, windowMs: number): DedupOperator {
  return new DedupOperator(id, windowMs)
}

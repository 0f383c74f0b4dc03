/**
 * The RDG dedup step, keyed by the primitive's identity (node type + id, or edge type +
 * source + destination).
 *
 * The first update of an identity opens a window of `windowMs` that closes at its event
 * time + windowMs; later updates merge into the buffered primitive, the latest event time
 * winning per property; when the watermark passes the window's end the merged primitive
 * is emitted once and the buffer cleared. Nothing is lost; duplicates collapse.
 *
 * `dedupFunction` states this update by update as a KeyedProcessFunction (the reference);
 * `DedupOperator` is what jobs run: the same result, computed per micro-batch.
 *
 * @example
 * const op = dedupOperator(operatorId('dedup'), 5_000)
 */
import type { DeadLetter } from '../../engine/connector.ts'
import type { GraphBuilder } from '../job-definition.ts'
import type { ChainedOperator, OperatorRuntime, SideOutputs, StreamOperator } from '../../engine/operator.ts'
import type { KeyedProcessFunction } from '../../engine/process-function.ts'
import type { RecordBatch } from '../../engine/record-batch.ts'
import { TimerHeap, type TimeDomain, type TimerEntry } from '../../engine/timer-service.ts'
import type { OperatorId, StateKey } from '../../base/ids.ts'
import { edgeIdentity, identityOf, nodeIdentity, type GraphPrimitive, type NodeRef, type Properties, type PropertyValue } from '../model.ts'
import type { Codec, StateDescriptor, StateTable } from '../../state/types.ts'
import { userFunctionFailed } from '../../operators/dead-letters.ts'
import { flatten, TIMERS_PER_STEP } from '../../operators/process.ts'
import { checkId } from '../to-graph-operator.ts'

/** Counter names under which dedup reports graph primitives taken in and emitted. */
export const DEDUP_COUNTER_IN = 'primitivesBeforeDedup'
export const DEDUP_COUNTER_OUT = 'primitivesAfterDedup'

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
  if (update.eventTime >= prev.eventTime && coversAll(update.properties, prev.properties)) return { primitive: update, propertyTimes: null, fireAt: pending.fireAt }
  const [props, times] = mergeProperties(prev.properties, timesOf(pending), update.properties, null, update.eventTime)
  const base = update.eventTime >= prev.eventTime ? update : prev
  return { primitive: { ...base, properties: props, eventTime: Math.max(update.eventTime, prev.eventTime) }, propertyTimes: times, fireAt: pending.fireAt }
}

/**
 * The one merge rule, on copies: per property the value set at the later event time wins,
 * ties going to `incoming` (the later arrival). `incomingTimes` null means every incoming
 * property was set at `incomingTime`.
 */
function mergeProperties(
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
function uniformTimes(properties: Properties, eventTime: number): Record<string, number> {
  const times: Record<string, number> = {}
  for (const name in properties) times[name] = eventTime
  return times
}

function open(update: GraphPrimitive, windowMs: number): PendingPrimitive {
  return { primitive: update, propertyTimes: null, fireAt: update.eventTime + windowMs }
}

function timesOf(pending: PendingPrimitive): Readonly<Record<string, number>> {
  return pending.propertyTimes ?? uniformTimes(pending.primitive.properties, pending.primitive.eventTime)
}

function coversAll(next: Readonly<Record<string, unknown>>, prev: Readonly<Record<string, unknown>>): boolean {
  if (next === prev) return true // a job's shared constant (e.g. no properties)
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
        const opened = open(update, windowMs)
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

/**
 * One identity's updates within a batch, merged in place before state is touched: the
 * same fields as a buffered primitive, mutable, so a repeat costs no allocation.
 */
interface BatchEntry {
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
  properties: Properties
  eventTime: number
  /** Per-property event times once they differ (owned by this entry), else null. */
  propertyTimes: Record<string, number> | null
}

function sameIdentity(e: BatchEntry, kind: 'node' | 'edge', type: string, src: NodeRef | null, dst: NodeRef | null): boolean {
  if (e.kind !== kind || e.type !== type) return false
  return kind === 'node' || (e.dst!.id === dst!.id && e.dst!.type === dst!.type && e.src!.type === src!.type)
}

/** mergePrimitive on a batch entry, in place: per property the later event time wins (ties: the later update). */
function mergeInto(e: BatchEntry, properties: Properties, eventTime: number): void {
  if (eventTime >= e.eventTime && coversAll(properties, e.properties)) {
    e.properties = properties
    e.eventTime = eventTime
    e.propertyTimes = null
    return
  }
  const [props, times] = mergeProperties(e.properties, e.propertyTimes ?? uniformTimes(e.properties, e.eventTime), properties, null, eventTime)
  e.properties = props
  e.propertyTimes = times
  e.eventTime = Math.max(eventTime, e.eventTime)
}

function primitiveOf(e: BatchEntry): GraphPrimitive {
  return e.kind === 'node'
    ? { kind: 'node', type: e.type, id: e.id, properties: e.properties, eventTime: e.eventTime }
    : { kind: 'edge', type: e.type, src: e.src!, dst: e.dst!, properties: e.properties, eventTime: e.eventTime }
}

/**
 * The window state after a batch: what state held, merged with the batch's merged
 * updates. Per property this is the value of the update with the latest event time (ties:
 * the later update), the same as merging the updates one by one (the rule is associative).
 */
function mergeBatch(stored: PendingPrimitive, e: BatchEntry): PendingPrimitive {
  if (e.propertyTimes === null) return mergePrimitive(stored, primitiveOf(e))
  const [props, times] = mergeProperties(stored.primitive.properties, timesOf(stored), e.properties, e.propertyTimes, e.eventTime)
  const eventTime = Math.max(e.eventTime, stored.primitive.eventTime)
  const base = e.eventTime >= stored.primitive.eventTime ? primitiveOf(e) : stored.primitive
  return { primitive: { ...base, properties: props, eventTime }, propertyTimes: times, fireAt: stored.fireAt }
}

/**
 * Dedup as jobs run it: the output of `dedupFunction` on the generic keyed operator, for
 * less work per update.
 *
 * - Updates are merged per identity within each micro-batch, in place, and state is
 *   read and written once per identity and batch (heartbeats repeat an identity many
 *   times per batch: ~14 000 primitives hold ~900 identities in a playback batch).
 * - A window's end lives in its pending state (`fireAt`), not in a timer table: opening
 *   a window is one state write plus an in-memory queue entry, closing it one read and
 *   one delete. After a restore the queue is rebuilt from the state.
 * - Given the job's `toGraph`, it runs it itself (the two operators chained, as Flink
 *   chains operators): primitives go straight into the batch's merge, so a repeat never
 *   becomes an object. A record whose toGraph throws goes to the dead letters with
 *   nothing of it merged (all or nothing, like the toGraph operator).
 *
 * Windows close in (end time, opening order), like event-time timers.
 */
export class DedupOperator implements StreamOperator {
  readonly kind = 'process' as const
  readonly keyed = true
  readonly description: string
  readonly chained: readonly ChainedOperator[]
  private runtime!: OperatorRuntime
  private pending!: StateTable<PendingPrimitive>
  /** Open windows by end time; one entry per window (windows are never cancelled). */
  private readonly windows = new TimerHeap()
  private seq = 0
  private due: TimerEntry[] = []
  private readonly dueKeys: StateKey[] = []
  /** This batch's identities by node id or edge source id. */
  private readonly byId = new Map<string, BatchEntry[]>()
  /** This batch's identities in first-arrival order (the order their windows open in). */
  private readonly unique: BatchEntry[] = []
  private readonly uniqueKeys: StateKey[] = []
  private readonly failed: DeadLetter[] = []
  private primitivesIn = 0
  private primitivesOut = 0
  private readonly builder: GraphBuilder | null
  private readonly staged = new StagedPrimitives()

  constructor(
    readonly id: OperatorId,
    private readonly windowMs: number,
    private readonly toGraph: { readonly id: OperatorId; readonly fn: (record: any, graph: GraphBuilder) => void } | null = null,
  ) {
    if (!(windowMs > 0)) throw new Error(`dedup window must be > 0 ms, got ${windowMs}`)
    this.description = `dedup: keyBy(identity), ${windowMs} ms window, latest event time wins per property`
    this.chained = toGraph ? [{ id: toGraph.id, kind: 'flatMap', description: 'toGraph: record → nodes and edges (chained into dedup)' }] : []
    this.builder = toGraph ? this.staged.builder() : null
  }

  async open(runtime: OperatorRuntime): Promise<void> {
    this.runtime = runtime
    this.pending = runtime.state.table(this.id, pendingState)
    // After a restore: every buffered primitive is an open window.
    const chunk: StateKey[] = []
    const load = async (): Promise<void> => {
      const loading = runtime.state.prefetch(chunk, true)
      if (loading) await loading
      for (const key of chunk) {
        let window = this.pending.get(key)
        if (window === undefined) continue
        if (typeof window.fireAt !== 'number') {
          // written before window ends were kept in the state: close it one window after its latest update
          window = { ...window, fireAt: window.primitive.eventTime + this.windowMs }
          this.pending.put(key, window)
        }
        this.windows.push({ timestamp: window.fireAt, key, seq: this.seq++ })
      }
      chunk.length = 0
    }
    for await (const key of this.pending.keys()) {
      chunk.push(key)
      if (chunk.length >= 1_000) await load()
    }
    await load()
  }

  prepareBatch(input: RecordBatch): Promise<void> | null {
    this.byId.clear()
    this.unique.length = 0
    if (this.toGraph) this.stageRecords(input)
    else {
      for (let i = 0; i < input.length; i++) {
        const p = input.values[i] as GraphPrimitive
        if (p.kind === 'node') this.add('node', p.type, p.id, null, null, p.properties, p.eventTime)
        else this.add('edge', p.type, p.src.id, p.src, p.dst, p.properties, p.eventTime)
      }
      this.primitivesIn += input.length
    }
    const { unique, uniqueKeys } = this
    uniqueKeys.length = unique.length
    for (let u = 0; u < unique.length; u++) uniqueKeys[u] = unique[u]!.key
    return this.runtime.state.prefetch(uniqueKeys, true)
  }

  /** Runs toGraph per record; a record's primitives are merged only if all of it succeeded. */
  private stageRecords(input: RecordBatch): void {
    const { staged, builder } = this
    const fn = this.toGraph!.fn
    for (let i = 0; i < input.length; i++) {
      staged.start(input.timestamps[i]!)
      try {
        fn(input.values[i], builder!)
      } catch (err) {
        this.failed.push(userFunctionFailed(this.toGraph!.id, err, input.values[i], input.timestamps[i]!))
        continue
      }
      for (let s = 0; s < staged.count; s++) this.add(staged.kinds[s]!, staged.types[s]!, staged.ids[s]!, staged.srcs[s]!, staged.dsts[s]!, staged.properties[s]!, staged.times[s]!)
      this.primitivesIn += staged.count
    }
    staged.release()
  }

  /** Finds the update's identity in this batch (by id, then field by field) and merges it in. */
  private add(kind: 'node' | 'edge', type: string, id: string, src: NodeRef | null, dst: NodeRef | null, properties: Properties, eventTime: number): void {
    let group = this.byId.get(id)
    if (group === undefined) this.byId.set(id, (group = []))
    for (let g = 0; g < group.length; g++) {
      const e = group[g]!
      if (sameIdentity(e, kind, type, src, dst)) {
        mergeInto(e, properties, eventTime)
        return
      }
    }
    const key = flatten(kind === 'node' ? nodeIdentity(type, id) : edgeIdentity(type, src!.type, id, dst!.type, dst!.id))
    const entry: BatchEntry = { kind, type, id, src, dst, key, firstTime: eventTime, properties, eventTime, propertyTimes: null }
    group.push(entry)
    this.unique.push(entry)
  }

  processBatch(_input: RecordBatch, _out: RecordBatch, side: SideOutputs): void {
    const { pending, windowMs } = this
    for (let i = 0; i < this.failed.length; i++) side.deadLetter(this.failed[i]!)
    this.failed.length = 0
    for (const e of this.unique) {
      const stored = pending.get(e.key)
      if (stored === undefined) {
        const fireAt = e.firstTime + windowMs
        pending.put(e.key, { primitive: primitiveOf(e), propertyTimes: e.propertyTimes, fireAt })
        this.windows.push({ timestamp: fireAt, key: e.key, seq: this.seq++ })
      } else {
        pending.put(e.key, mergeBatch(stored, e))
      }
    }
    this.byId.clear()
    this.unique.length = 0
  }

  prepareTime(watermark: number): Promise<void> | null {
    const { windows, dueKeys } = this
    const due: TimerEntry[] = []
    while (due.length < TIMERS_PER_STEP && windows.size > 0 && windows.peek()!.timestamp <= watermark) due.push(windows.pop()!)
    this.due = due
    if (due.length === 0) return null
    dueKeys.length = due.length
    for (let i = 0; i < due.length; i++) dueKeys[i] = due[i]!.key
    return this.runtime.state.prefetch(dueKeys, true)
  }

  advanceTime(_watermark: number, _processingTime: number, out: RecordBatch): void {
    const { pending } = this
    for (const entry of this.due) {
      const window = pending.get(entry.key)
      if (window === undefined || window.fireAt !== entry.timestamp) continue
      pending.delete(entry.key)
      out.push(window.primitive, window.primitive.eventTime)
      this.primitivesOut++
    }
    this.due = []
  }

  hasDueTimers(watermark: number): boolean {
    const next = this.windows.peek()
    return next !== undefined && next.timestamp <= watermark
  }

  reportCounters(counters: Record<string, number>): void {
    counters[DEDUP_COUNTER_IN] = (counters[DEDUP_COUNTER_IN] ?? 0) + this.primitivesIn
    counters[DEDUP_COUNTER_OUT] = (counters[DEDUP_COUNTER_OUT] ?? 0) + this.primitivesOut
    this.primitivesIn = 0
    this.primitivesOut = 0
  }

  /** Open windows as event-time timers, for the test harness. */
  pendingTimers(domain: TimeDomain): readonly TimerEntry[] {
    return domain === 'event' ? this.windows.toArray() : []
  }
}

/**
 * The primitives one record's toGraph emitted, in parallel arrays reused from record to
 * record (no object per primitive); merged into the batch once toGraph returns.
 */
class StagedPrimitives {
  count = 0
  recordTime = 0
  readonly kinds: Array<'node' | 'edge'> = []
  readonly types: string[] = []
  readonly ids: string[] = []
  readonly srcs: Array<NodeRef | null> = []
  readonly dsts: Array<NodeRef | null> = []
  readonly properties: Properties[] = []
  readonly times: number[] = []

  start(recordTime: number): void {
    this.count = 0
    this.recordTime = recordTime
  }

  /** Drops the references to the last record's objects (at the end of a batch). */
  release(): void {
    for (let s = 0; s < this.srcs.length; s++) {
      this.srcs[s] = null
      this.dsts[s] = null
      this.properties[s] = EMPTY
    }
    this.count = 0
  }

  builder(): GraphBuilder {
    const stage = (kind: 'node' | 'edge', type: string, id: string, src: NodeRef | null, dst: NodeRef | null, properties: Properties, eventTime: number | undefined): void => {
      const s = this.count++
      this.kinds[s] = kind
      this.types[s] = type
      this.ids[s] = id
      this.srcs[s] = src
      this.dsts[s] = dst
      this.properties[s] = properties
      this.times[s] = eventTime ?? this.recordTime
    }
    return {
      node(type, nodeId, properties, eventTime) {
        checkId('node', type, nodeId)
        stage('node', type, nodeId, null, null, properties, eventTime)
      },
      edge(type, src, dst, properties, eventTime) {
        checkId('edge source', type, src.id)
        checkId('edge destination', type, dst.id)
        stage('edge', type, src.id, src, dst, properties, eventTime)
      },
    }
  }
}

const EMPTY: Properties = {}

export function dedupOperator(id: OperatorId, windowMs: number): DedupOperator {
  return new DedupOperator(id, windowMs)
}

/** toGraph chained into dedup: one operator, the ids and output of the two. */
export function graphDedupOperator<R>(toGraphId: OperatorId, toGraph: (record: R, graph: GraphBuilder) => void, id: OperatorId, windowMs: number): DedupOperator {
  return new DedupOperator(id, windowMs, { id: toGraphId, fn: toGraph })
}

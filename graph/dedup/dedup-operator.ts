/**
 * The RDG dedup step as jobs run it, keyed by the primitive's identity (node type + id,
 * or edge type + source + destination): the batched, optionally toGraph-chained operator.
 *
 * The first update of an identity opens a window of `windowMs` that closes at its event
 * time + windowMs; later updates merge into the buffered primitive, the latest event time
 * winning per property (merge.ts); when the watermark passes the window's end the merged
 * primitive is emitted once and the buffer cleared. Nothing is lost; duplicates collapse.
 *
 * `dedupFunction` (reference-function.ts) states this update by update; `DedupOperator`
 * computes the same result per micro-batch (batch-entry.ts), running a chained toGraph
 * into a staged builder (staging.ts).
 *
 * @example
 * const op = dedupOperator(operatorId('dedup'), 5_000)
 * const chained = graphDedupOperator(operatorId('to-graph'), job.toGraph, operatorId('dedup'), 5_000)
 */
import type { DeadLetter } from '../../engine/connector.ts'
import type { GraphBuilder } from '../job-definition.ts'
import type { ChainedOperator, OperatorRuntime, SideOutputs, StreamOperator } from '../../engine/operator.ts'
import type { RecordBatch } from '../../engine/record-batch.ts'
import { TimerHeap, type TimeDomain, type TimerEntry } from '../../engine/timer-service.ts'
import type { OperatorId, StateKey } from '../../base/ids.ts'
import { edgeIdentity, nodeIdentity, type GraphPrimitive, type NodeRef, type Properties } from '../model.ts'
import type { StateTable } from '../../state/types.ts'
import { userFunctionFailed } from '../../operators/dead-letters.ts'
import { flatten, TIMERS_PER_STEP } from '../../operators/process.ts'
import { mergeBatch, mergeInto, primitiveOf, sameIdentity, type BatchEntry } from './batch-entry.ts'
import type { PendingPrimitive } from './merge.ts'
import { pendingState } from './pending-state.ts'
import { StagedPrimitives } from './staging.ts'

/** Counter names under which dedup reports graph primitives taken in and emitted. */
export const DEDUP_COUNTER_IN = 'primitivesBeforeDedup'
export const DEDUP_COUNTER_OUT = 'primitivesAfterDedup'

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
 *
 * What it holds back (`pendingEventTimeFloor`): per open window, the earliest record
 * timestamp (the event time the engine took from the record) merged into it (kept in memory, updated once per identity and batch); windows restored
 * from a checkpoint hold everything back (-∞) until they fired, since the event times of
 * their records are not in the state.
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
  /** The failed records' origins (RecordBatch.origins), for their source positions. */
  private readonly failedOrigins: number[] = []
  private primitivesIn = 0
  private primitivesOut = 0
  private readonly builder: GraphBuilder | null
  private readonly staged = new StagedPrimitives()
  /** Per open window (by key): the earliest event time merged into it. */
  private readonly windowMin = new Map<StateKey, number>()

  constructor(
    readonly id: OperatorId,
    private readonly windowMs: number,
    private readonly toGraph: { readonly id: OperatorId; readonly fn: (record: any, graph: GraphBuilder) => void } | null = null,
  ) {
    if (!(windowMs > 0)) throw new Error(`dedup window must be > 0 ms, got ${windowMs}`)
    this.description = `dedup: keyBy(identity), ${windowMs} ms window, latest event time wins per property`
    this.chained = toGraph
      ? [{ id: toGraph.id, kind: 'flatMap', description: 'toGraph: record → nodes and edges (chained into dedup)' }]
      : []
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
        this.windowMin.set(key, -Infinity)
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
        const at = input.timestamps[i]!
        if (p.kind === 'node') this.add('node', p.type, p.id, null, null, p.properties, p.eventTime, at)
        else this.add('edge', p.type, p.src.id, p.src, p.dst, p.properties, p.eventTime, at)
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
        this.failedOrigins.push(input.origins[i]!)
        continue
      }
      const at = input.timestamps[i]!
      for (let s = 0; s < staged.count; s++)
        this.add(
          staged.kinds[s]!,
          staged.types[s]!,
          staged.ids[s]!,
          staged.srcs[s]!,
          staged.dsts[s]!,
          staged.properties[s]!,
          staged.times[s]!,
          at,
        )
      this.primitivesIn += staged.count
    }
    staged.release()
  }

  /** Finds the update's identity in this batch (by id, then field by field) and merges it in; `recordTime` is its record's timestamp (what a window holds back). */
  private add(
    kind: 'node' | 'edge',
    type: string,
    id: string,
    src: NodeRef | null,
    dst: NodeRef | null,
    properties: Properties,
    eventTime: number,
    recordTime: number,
  ): void {
    let group = this.byId.get(id)
    if (group === undefined) this.byId.set(id, (group = []))
    for (let g = 0; g < group.length; g++) {
      const e = group[g]!
      if (sameIdentity(e, kind, type, src, dst)) {
        mergeInto(e, properties, eventTime)
        if (recordTime < e.minTime) e.minTime = recordTime
        return
      }
    }
    const key = flatten(kind === 'node' ? nodeIdentity(type, id) : edgeIdentity(type, src!.type, id, dst!.type, dst!.id))
    const entry: BatchEntry = {
      kind,
      type,
      id,
      src,
      dst,
      key,
      firstTime: eventTime,
      minTime: recordTime,
      properties,
      eventTime,
      propertyTimes: null,
    }
    group.push(entry)
    this.unique.push(entry)
  }

  processBatch(_input: RecordBatch, _out: RecordBatch, side: SideOutputs): void {
    const { pending, windowMs } = this
    for (let i = 0; i < this.failed.length; i++) side.deadLetter(this.failed[i]!, this.failedOrigins[i])
    this.failed.length = 0
    this.failedOrigins.length = 0
    const { windowMin } = this
    for (const e of this.unique) {
      const stored = pending.get(e.key)
      if (stored === undefined) {
        const fireAt = e.firstTime + windowMs
        pending.put(e.key, { primitive: primitiveOf(e), propertyTimes: e.propertyTimes, fireAt })
        this.windows.push({ timestamp: fireAt, key: e.key, seq: this.seq++ })
        windowMin.set(e.key, e.minTime)
      } else {
        pending.put(e.key, mergeBatch(stored, e))
        const held = windowMin.get(e.key)
        if (held === undefined || e.minTime < held) windowMin.set(e.key, e.minTime)
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
      this.windowMin.delete(entry.key)
      out.push(window.primitive, window.primitive.eventTime)
      this.primitivesOut++
    }
    this.due = []
  }

  hasDueTimers(watermark: number): boolean {
    const next = this.windows.peek()
    return next !== undefined && next.timestamp <= watermark
  }

  /** The earliest event time merged into a window still open; Infinity when none is (asked at checkpoints). */
  pendingEventTimeFloor(): number {
    let floor = Infinity
    for (const t of this.windowMin.values()) if (t < floor) floor = t
    return floor
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

export function dedupOperator(id: OperatorId, windowMs: number): DedupOperator {
  return new DedupOperator(id, windowMs)
}

/** toGraph chained into dedup: one operator, the ids and output of the two. */
export function graphDedupOperator<R>(
  toGraphId: OperatorId,
  toGraph: (record: R, graph: GraphBuilder) => void,
  id: OperatorId,
  windowMs: number,
): DedupOperator {
  return new DedupOperator(id, windowMs, { id: toGraphId, fn: toGraph })
}

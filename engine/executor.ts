/**
 * Runs a job graph on one thread in micro-batches.
 *
 * One loop iteration: poll up to `batchSize` raw records → decode, take event time, drop
 * late ones to the dead letters (source stage) → push the batch through the operator
 * tree (each keyed operator may await one prefetch per batch; everything else is
 * synchronous) → advance the watermark and processing time, firing due timers → apply
 * backpressure (await sinks that are over their bound before polling again) → checkpoint
 * when due. Control signals (checkpoint ticks, SIGINT/SIGTERM, stop()) arrive through
 * rxjs on the control plane (control-plane.ts) and are acted on between batches.
 *
 * @example
 * const executor = new Executor(graph, { dataDir, deadLetterSink, clock })
 * const result = await executor.run()
 */
import { join } from 'node:path'
import { EventLoopTurns, type Clock } from '../base/clock.ts'
import type { DeadLetter, Sink, SourceBatch, SourceRecord } from './connector.ts'
import type { OutputTag } from './elements.ts'
import type { GraphVertex, JobGraph } from './job-graph.ts'
import { RecordBatch } from './record-batch.ts'
import type { OperatorRuntime, SideOutputs, SinkOperator } from './operator.ts'
import { emptyCheckpointStats, type JobMetrics, type JobResult, type OperatorCounts } from './run-options.ts'
import { MAX_WATERMARK, MIN_WATERMARK } from '../base/ids.ts'
import { WatermarkTracker } from './watermarks.ts'
import { HeldSegments } from './held-segments.ts'
import { CheckpointStorage } from './checkpoint/storage.ts'
import { CheckpointCoordinator } from './checkpoint/coordinator.ts'
import { DataDirLock } from './checkpoint/data-dir-lock.ts'
import { ControlPlane } from './control-plane.ts'
import { DeadLetterPolicy, type DeadLetterPolicyOptions } from './dead-letter-policy.ts'
import type { KeyedStateBackend } from '../state/types.ts'

/** Event times more than this far ahead of processing time are dead letters, unless the job says otherwise. */
export const DEFAULT_MAX_AHEAD_MS = 60 * 60 * 1_000

export interface ExecutorOptions {
  readonly dataDir: string
  readonly deadLetterSink: Sink<DeadLetter>
  readonly backend: KeyedStateBackend
  readonly clock: Clock
  readonly batchSize: number
  readonly checkpointIntervalMs: number
  readonly retainCheckpoints: number
  readonly restoreFrom?: number
  readonly deadLetterPolicy?: DeadLetterPolicyOptions
  /** How long a stop may take (final checkpoint included) before the run gives up on it. Default 30 000 ms. */
  readonly stopTimeoutMs?: number
  readonly sideInputDir: string
  readonly handleSignals: boolean
}

interface VertexRuntime {
  readonly vertex: GraphVertex
  readonly out: RecordBatch
  readonly timerOut: RecordBatch
  readonly side: SideOutputs
  readonly sideBatches: Map<string, RecordBatch>
  readonly children: VertexRuntime[]
  readonly sideChildren: Map<string, VertexRuntime[]>
  /** This operator's entry in the job's metrics. */
  readonly counts: OperatorCounts
}

export class Executor {
  readonly metrics: JobMetrics = {
    recordsIn: 0,
    deadLetters: 0,
    lateRecords: 0,
    filtered: 0,
    checkpoints: 0,
    lastCheckpointId: null,
    restoredFrom: null,
    watermark: MIN_WATERMARK,
    operators: {},
    counters: {},
    deadLettersByReason: {},
    checkpointStats: emptyCheckpointStats(),
  }
  private readonly control: ControlPlane
  private readonly tracker: WatermarkTracker
  private readonly roots: VertexRuntime[]
  private readonly all: VertexRuntime[] = []
  private readonly sinks: Sink<unknown>[]
  private readonly input = new RecordBatch()
  /** The source records `input` was made of (its origins index them), while it is pushed. */
  private inputRecords: readonly SourceRecord<unknown>[] = []
  private readonly turns = new EventLoopTurns()
  private readonly coordinator: CheckpointCoordinator
  private watermark = MIN_WATERMARK
  /** Per batch and partition: records whose effects may still be pending (what the source must not hand on). */
  private readonly held = new HeldSegments()
  /**
   * Partitions that joined this member mid-run (moved here in a rebalance) and whose own
   * watermark is still behind the job's: the latest event time each has shown. Their
   * records are late only behind their own bounded out-of-orderness, not the job's
   * watermark, so the records a new owner replays from the group's offset are not dropped.
   */
  private readonly catchingUp = new Map<number, { max: number }>()
  private knownPartitions: ReadonlySet<number> | null = null
  private lastPartitions: readonly number[] | undefined = undefined
  private readonly maxOutOfOrderness: number
  private readonly allowedLateness: number
  private readonly maxAhead: number
  private readonly deadLetterPolicy: DeadLetterPolicy
  private checkpointWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void; reason: string }> = []

  constructor(
    private readonly graph: JobGraph,
    private readonly options: ExecutorOptions,
  ) {
    const wm = graph.source.spec.watermark ?? {}
    this.tracker = new WatermarkTracker({ maxOutOfOrdernessMs: wm.maxOutOfOrdernessMs ?? 2_000, idleTimeoutMs: wm.idleTimeoutMs ?? 10_000 })
    this.allowedLateness = wm.allowedLatenessMs ?? 0
    this.maxOutOfOrderness = wm.maxOutOfOrdernessMs ?? 2_000
    this.maxAhead = wm.maxAheadMs ?? DEFAULT_MAX_AHEAD_MS
    this.deadLetterPolicy = new DeadLetterPolicy(options.deadLetterPolicy, this.metrics.deadLettersByReason)
    this.roots = graph.roots.map((v) => this.prepareVertex(v))
    this.sinks = [
      ...new Set([
        ...this.all.filter((v) => v.vertex.operator.kind === 'sink').map((v) => (v.vertex.operator as SinkOperator).sink),
        options.deadLetterSink,
      ]),
    ]
    this.control = new ControlPlane(options.clock, options.checkpointIntervalMs, options.handleSignals, options.stopTimeoutMs)
    this.coordinator = new CheckpointCoordinator({
      job: graph.name,
      storage: new CheckpointStorage(join(options.dataDir, 'checkpoints')),
      backend: options.backend,
      source: graph.source.connector,
      sinks: this.sinks,
      clock: options.clock,
      retain: options.retainCheckpoints,
      stats: this.metrics.checkpointStats,
    })
  }

  /** Asks the loop to stop at the next batch boundary (after a final checkpoint). */
  requestStop(): void {
    this.control.stop('stopped')
  }

  async run(): Promise<JobResult> {
    const { clock, backend } = this.options
    const source = this.graph.source.connector
    let opened = false
    const lock = DataDirLock.acquire(this.options.dataDir)
    try {
      this.control.watchStops()
      const restored = await this.coordinator.restore(this.options.restoreFrom)
      if (restored) {
        this.tracker.restore(restored.watermark, clock.now())
        this.watermark = restored.watermark.emitted ?? MIN_WATERMARK
        this.metrics.lastCheckpointId = restored.id
        this.metrics.restoredFrom = restored.id
        this.held.restore(restored.held)
        this.knownPartitions = new Set(Object.keys(restored.watermark.partitions).map(Number))
      }
      const sinkCtx = { jobName: this.graph.name, clock }
      for (const sink of this.sinks) await sink.open(sinkCtx)
      const runtime: OperatorRuntime = {
        jobName: this.graph.name,
        clock,
        state: backend,
        sideInputDir: this.options.sideInputDir,
        currentWatermark: () => this.watermark,
      }
      for (const v of this.all) await v.vertex.operator.open(runtime)
      await source.open({
        jobName: this.graph.name,
        clock,
        restoredPositions: restored?.positions ?? null,
        checkpointNow: (reason) => new Promise<void>((resolve, reject) => this.checkpointWaiters.push({ resolve, reject, reason })),
      })
      opened = true
      this.control.startTicks()
      // A stop must end the run in bounded time, even while a sink or the source never answers.
      const loop = this.loop()
      loop.catch(() => undefined) // if the stop deadline wins the race, the loop's late failure is moot
      const reason = await Promise.race([loop, this.control.overdue])
      return { metrics: { ...this.metrics }, reason }
    } finally {
      this.control.close()
      // Each close is bounded too: a stuck connector must not keep a stopped run alive.
      const { clock: c } = this.options
      if (opened) await settleWithin(source.close(), CLOSE_TIMEOUT_MS, c)
      for (const v of this.all) await settleWithin(v.vertex.operator.close?.(), CLOSE_TIMEOUT_MS, c)
      for (const sink of this.sinks) await settleWithin(sink.close(), CLOSE_TIMEOUT_MS, c)
      await settleWithin(backend.close(), CLOSE_TIMEOUT_MS, c)
      lock.release()
    }
  }

  /** The data loop: batches until the input ends or a stop is requested; returns why it ended. */
  private async loop(): Promise<JobResult['reason']> {
    const { backend } = this.options
    const source = this.graph.source.connector
    for (;;) {
      const stop = this.control.stopReason
      if (stop) {
        await this.checkpoint(`final (${stop})`)
        return stop
      }
      this.control.activity = 'reading from the source'
      const batch = await source.poll(this.options.batchSize)
      this.control.activity = 'processing a batch'
      this.ingest(batch)
      this.inputRecords = batch.records
      if (this.input.length > 0) await this.push(this.roots, this.input)
      this.input.clear()
      this.inputRecords = []
      this.applyDeadLetterPolicy(false)
      if (batch.end) {
        this.tracker.end()
        await this.advanceTime()
        this.applyDeadLetterPolicy(true)
        await this.checkpoint('end of input')
        return 'end-of-input'
      }
      await this.advanceTime()
      for (const v of this.all) v.vertex.operator.onBatchBoundary?.()
      await this.drainBackpressured()
      const turn = this.turns.ensure()
      if (turn) await turn
      if (this.checkpointWaiters.length > 0 || this.control.takeCheckpointDue() || backend.wantsCheckpoint) {
        await this.checkpoint(this.checkpointWaiters[0]?.reason ?? (backend.wantsCheckpoint ? 'state memory budget' : 'periodic'))
      }
    }
  }

  private async drainBackpressured(): Promise<void> {
    for (const sink of this.sinks) {
      if (!sink.backpressured) continue
      this.control.activity = `waiting for sink ${sink.id} to take writes (backpressure)`
      await sink.drain()
    }
  }

  private async checkpoint(reason: string): Promise<void> {
    const waiters = this.checkpointWaiters
    this.checkpointWaiters = []
    this.control.activity = `taking a checkpoint (${reason}): flushing sinks and writing state`
    try {
      const id = await this.coordinator.checkpoint(reason, this.tracker.snapshot(), () => this.held.settle(this.pendingFloor()))
      this.metrics.checkpoints++
      this.metrics.lastCheckpointId = id
      for (const w of waiters) w.resolve()
    } catch (err) {
      for (const w of waiters) w.reject(err)
      throw err
    }
  }

  /** Source stage: decode, event time, lateness, watermark bookkeeping. */
  private ingest(batch: SourceBatch<unknown>): void {
    const { spec, connector } = this.graph.source
    const now = this.options.clock.now()
    if (batch.partitions && batch.partitions !== this.lastPartitions) this.partitionsChanged(batch.partitions)
    if (batch.partitions) {
      this.held.retain(batch.partitions)
      this.tracker.retain(batch.partitions)
      for (const p of batch.partitions) this.tracker.track(p, now)
    }
    const records = batch.records
    const lateBound = this.watermark - this.allowedLateness
    // An event time far ahead of the clock (a year-3000 typo) would move the watermark there and make every later record late.
    const aheadBound = now + this.maxAhead
    // One held segment per run of a partition's records (its first offset, its latest admitted event time), its last record apart.
    const held = this.held
    held.nextBatch()
    let runPartition = Number.NaN
    let runFirst = 0
    let runMax = -Infinity
    let runBeforeLast = -Infinity
    let lastTs = -Infinity
    let runCatching: { max: number } | undefined
    let runLateBound = lateBound
    const catchingUp = this.catchingUp.size > 0 ? this.catchingUp : null
    const ownLag = this.maxOutOfOrderness + 1 + this.allowedLateness
    for (let i = 0; i < records.length; i++) {
      const rec = records[i]!
      if (rec.partition !== runPartition) {
        if (i > 0) held.record(runPartition, runFirst, runBeforeLast, { offset: Number(records[i - 1]!.offset), eventTime: lastTs })
        runPartition = rec.partition
        runFirst = Number(rec.offset)
        runMax = -Infinity
        runBeforeLast = -Infinity
        runCatching = catchingUp?.get(runPartition)
      }
      runBeforeLast = runMax
      lastTs = -Infinity // set if this record is admitted
      if (runCatching !== undefined) runLateBound = Math.min(lateBound, runCatching.max - ownLag)
      this.metrics.recordsIn++
      let event: unknown
      try {
        event = spec.decode(rec.value)
      } catch (err) {
        this.deadLetter({
          reason: `cannot decode: ${(err as Error).message}`,
          operator: spec.id,
          source: { id: connector.id, partition: rec.partition, offset: rec.offset },
          value: rawForLetter(rec.value),
          eventTime: null,
        })
        continue
      }
      let ts: number
      try {
        ts = spec.eventTime(event)
      } catch {
        ts = Number.NaN
      }
      if (typeof ts !== 'number' || !Number.isFinite(ts)) {
        this.deadLetter({
          reason: `missing or invalid event time${spec.eventTimeField ? ` field "${spec.eventTimeField}"` : ''}`,
          operator: spec.id,
          source: { id: connector.id, partition: rec.partition, offset: rec.offset },
          value: event,
          eventTime: null,
        })
        continue
      }
      if (ts <= 0 || ts > aheadBound) {
        const why =
          ts <= 0
            ? 'is at or before the epoch'
            : `is more than ${this.maxAhead} ms ahead of processing time ${new Date(now).toISOString()} (watermark.maxAheadMs)`
        this.deadLetter({
          reason: `event time out of bounds: ${ts} ${why}`,
          operator: spec.id,
          source: { id: connector.id, partition: rec.partition, offset: rec.offset },
          value: event,
          eventTime: null,
        })
        continue
      }
      if (ts <= (runCatching !== undefined ? runLateBound : lateBound)) {
        this.metrics.lateRecords++
        this.deadLetter({
          reason: `late: event time ${ts} is at or behind the watermark ${this.watermark} (allowed lateness ${this.allowedLateness} ms)`,
          operator: spec.id,
          source: { id: connector.id, partition: rec.partition, offset: rec.offset },
          value: event,
          eventTime: ts,
        })
        continue
      }
      this.tracker.observe(rec.partition, ts, now)
      lastTs = ts
      if (ts > runMax) runMax = ts
      if (runCatching !== undefined && ts > runCatching.max) runCatching.max = ts
      this.input.push(event, ts, i)
    }
    // each run's last record a segment of its own: a far-ahead record before a quiet spell holds back only itself
    const last = records[records.length - 1]
    if (last !== undefined) held.record(runPartition, runFirst, runBeforeLast, { offset: Number(last.offset), eventTime: lastTs })
    if (catchingUp) for (const [p, c] of catchingUp) if (c.max - this.maxOutOfOrderness - 1 >= this.watermark) catchingUp.delete(p)
  }

  /** A new assignment: partitions new to this member while the job's watermark is under way start catching up. */
  private partitionsChanged(partitions: readonly number[]): void {
    const known = this.knownPartitions
    if (known !== null && this.watermark > MIN_WATERMARK) {
      for (const p of partitions) if (!known.has(p) && !this.catchingUp.has(p)) this.catchingUp.set(p, { max: MIN_WATERMARK })
    }
    for (const p of this.catchingUp.keys()) if (!partitions.includes(p)) this.catchingUp.delete(p)
    this.knownPartitions = new Set(partitions)
    this.lastPartitions = partitions
  }

  /** The earliest event time whose effect an operator still holds back (Infinity when none does). */
  private pendingFloor(): number {
    let floor = Infinity
    for (const v of this.all) {
      const f = v.vertex.operator.pendingEventTimeFloor?.()
      if (f !== undefined && f < floor) floor = f
    }
    return floor
  }

  /** An operator's letter with the source position of the record at `origin` of the batch being pushed, when it has none. */
  private withSource(letter: DeadLetter, origin: number | undefined): DeadLetter {
    const rec = origin !== undefined && origin >= 0 && letter.source === null ? this.inputRecords[origin] : undefined
    if (rec === undefined) return letter
    return { ...letter, source: { id: this.graph.source.connector.id, partition: rec.partition, offset: rec.offset } }
  }

  private deadLetter(letter: DeadLetter): void {
    this.metrics.deadLetters++
    this.deadLetterPolicy.count(letter)
    this.options.deadLetterSink.write(letter, letter.eventTime ?? this.options.clock.now())
  }

  /** Ends the run (without a checkpoint, so a rerun with the right job reads the same input) when the policy says so. */
  private applyDeadLetterPolicy(ended: boolean): void {
    if (this.metrics.deadLetters === 0) return
    const stop = this.deadLetterPolicy.verdict(this.metrics.recordsIn, ended)
    if (stop) throw stop
  }

  /** Pushes a batch through vertices and, recursively, everything downstream of them. */
  private async push(vertices: readonly VertexRuntime[], input: RecordBatch): Promise<void> {
    for (const v of vertices) {
      const op = v.vertex.operator
      const pending = op.prepareBatch?.(input)
      if (pending) await pending
      v.out.clear()
      op.processBatch(input, v.out, v.side)
      this.count(v, input.length, v.out.length)
      if (v.out.length > 0 && v.children.length > 0) await this.push(v.children, v.out)
      await this.pushSideOutputs(v)
    }
  }

  private async pushSideOutputs(v: VertexRuntime): Promise<void> {
    for (const [tag, batch] of v.sideBatches) {
      if (batch.length === 0) continue
      const consumers = v.sideChildren.get(tag)
      if (consumers && consumers.length > 0) {
        await this.push(consumers, batch)
      } else {
        // Never drop silently: an unconsumed side output becomes dead letters.
        for (let i = 0; i < batch.length; i++)
          this.deadLetter({
            reason: `side output "${tag}" of ${v.vertex.operator.id} has no consumer`,
            operator: v.vertex.operator.id,
            source: null,
            value: batch.values[i],
            eventTime: batch.timestamps[i]!,
          })
      }
      batch.clear()
    }
  }

  /** Advances event time and processing time through the tree, firing due timers in order. */
  private async advanceTime(): Promise<void> {
    const now = this.options.clock.now()
    const wm = this.tracker.current(now)
    this.watermark = wm
    this.metrics.watermark = wm === MAX_WATERMARK ? this.metrics.watermark : wm
    await this.fireTimers(this.roots, wm, now)
  }

  private async fireTimers(vertices: readonly VertexRuntime[], wm: number, now: number): Promise<void> {
    for (const v of vertices) {
      const op = v.vertex.operator
      if (op.advanceTime) {
        // One bounded chunk of due timers at a time, each pushed downstream before the next.
        do {
          const pending = op.prepareTime?.(wm, now) ?? null
          if (pending) await pending
          v.timerOut.clear()
          op.advanceTime(wm, now, v.timerOut, v.side)
          this.count(v, 0, v.timerOut.length)
          if (v.timerOut.length > 0 && v.children.length > 0) await this.push(v.children, v.timerOut)
          await this.pushSideOutputs(v)
          for (const sink of this.sinks) if (sink.backpressured) await sink.drain()
          // Between chunks every operator is quiescent: a checkpoint here is consistent.
          if (this.options.backend.wantsCheckpoint) await this.checkpoint('state memory budget')
        } while (op.hasDueTimers?.(wm, now))
      }
      await this.fireTimers(v.children, wm, now)
      for (const children of v.sideChildren.values()) await this.fireTimers(children, wm, now)
    }
  }

  private count(v: VertexRuntime, recordsIn: number, recordsOut: number): void {
    v.counts.recordsIn += recordsIn
    v.counts.recordsOut += recordsOut
    const op = v.vertex.operator
    if (op.kind === 'filter') this.metrics.filtered += recordsIn - recordsOut
    op.reportCounters?.(this.metrics.counters)
  }

  private prepareVertex(vertex: GraphVertex): VertexRuntime {
    const sideBatches = new Map<string, RecordBatch>()
    const side: SideOutputs = {
      emit: <T>(tag: OutputTag<T>, value: T, timestamp: number) => {
        let b = sideBatches.get(tag.id)
        if (!b) sideBatches.set(tag.id, (b = new RecordBatch()))
        b.push(value, timestamp)
      },
      deadLetter: (letter, origin) => this.deadLetter(this.withSource(letter, origin)),
    }
    const rt: VertexRuntime = {
      vertex,
      out: new RecordBatch(),
      timerOut: new RecordBatch(),
      side,
      sideBatches,
      children: [],
      sideChildren: new Map(),
      counts: (this.metrics.operators[vertex.operator.id] = { recordsIn: 0, recordsOut: 0 }),
    }
    this.all.push(rt)
    for (const c of vertex.children) rt.children.push(this.prepareVertex(c))
    for (const [tag, list] of vertex.sideChildren)
      rt.sideChildren.set(
        tag,
        list.map((c) => this.prepareVertex(c)),
      )
    return rt
  }
}

const CLOSE_TIMEOUT_MS = 5_000

/** Waits for `work` to settle (either way), at most `ms`. */
async function settleWithin(work: Promise<unknown> | undefined, ms: number, clock: Clock): Promise<void> {
  if (!work) return
  let cancel: (() => void) | null = null
  const timeout = new Promise<void>((resolve) => (cancel = clock.schedule(ms, resolve)))
  await Promise.race([
    work.then(
      () => undefined,
      () => undefined,
    ),
    timeout,
  ])
  ;(cancel as (() => void) | null)?.()
}

/** Raw values in dead letters: text as is, bytes as base64. */
function rawForLetter(raw: unknown): unknown {
  if (raw instanceof Uint8Array) return { base64: Buffer.from(raw).toString('base64') }
  return raw
}

/**
 * Kafka source: a kafkajs consumer in the job's consumer group, feeding a bounded queue
 * that the engine drains with `poll()`.
 *
 * - Positions (partition-positions.ts): the next offset to hand out, per owned partition;
 *   they are the source's checkpointed state. A newly assigned partition starts at (first
 *   that exists) the restored checkpoint position, the group's committed offset (read
 *   when the partition is assigned, so it is the previous owner's latest), or the
 *   configured `start` (earliest, latest, or the first offset at/after a timestamp). It
 *   stays paused until that is decided.
 * - Never blocks the consumer loop on the engine: `eachBatch` only appends to the queue
 *   and heartbeats. When the queue holds `maxBufferedRecords`, the topic is paused
 *   (backpressure) and resumed once the engine has drained it to half.
 * - Rebalance: when the group starts rebalancing, the source asks the engine for a
 *   checkpoint (`checkpointNow('rebalance')`) and, if it notices inside `eachBatch`, waits
 *   for it (bounded) before giving the partitions up. On the new assignment, kept
 *   partitions continue where the queue ended, revoked ones are dropped from the queue
 *   and the positions, and newly assigned ones start as on open.
 * - After each completed checkpoint offsets are committed to the group (in the background,
 *   latest wins: commit-loop.ts): the checkpoint's position, but never past a record whose
 *   effect the engine still holds in an open window (`held`), so whoever owns the
 *   partition next (after a rebalance, a scale-in, a crash) replays those few seconds and
 *   nothing is stranded in a member that left. The member's own checkpoint keeps its exact
 *   positions. Ordinary lag tools see the committed offsets.
 * - A tombstone (null value) arrives as an empty Buffer (the decoder dead-letters it).
 *
 * @example
 * const source = createKafkaSource({ brokers: '127.0.0.1:9092', topic: 'playback-events', groupId: 'rdg-playback-events' })
 * runJob(job, { source, decode, ... })
 */
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs'
import type { Clock } from '../../base/clock.ts'
import { systemClock } from '../../base/clock.ts'
import type { Source, SourceBatch, SourceContext, SourcePositions, SourceRecord } from '../../engine/connector.ts'
import { ConfigError, TransientError } from '../../base/errors.ts'
import { operatorId, type CheckpointId, type OperatorId } from '../../base/ids.ts'
import {
  connectAdmin,
  createKafkaClient,
  isRebalancing,
  parseBrokers,
  requireTopics,
  retryRetriable,
  rootCause,
  type KafkaLogLevel,
} from './client.ts'
import { CommitLoop } from './commit-loop.ts'
import type { KafkaSecurity } from './security.ts'
import { PartitionPositions, startOffset, type KafkaStart } from './partition-positions.ts'

export type { KafkaStart } from './partition-positions.ts'

export interface KafkaSourceOptions {
  /** Stable operator id; default `kafka-<topic>`. Checkpoints are tied to it. */
  readonly id?: string
  readonly brokers: string | readonly string[]
  readonly topic: string
  readonly groupId: string
  readonly clientId?: string
  /** Where partitions without a checkpoint or committed offset start. Default 'earliest'. */
  readonly start?: KafkaStart
  /** Queue bound; fetching pauses above it. Default 20 000. */
  readonly maxBufferedRecords?: number
  /**
   * Runs on each batch before `poll` hands it over, e.g. a decoder's `prepare` that fetches
   * unknown schema ids; returns null (no await) when there is nothing to do.
   */
  // eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- a hook may be a plain function that returns nothing
  readonly prepareBatch?: (records: readonly SourceRecord<Buffer>[]) => Promise<void> | null | void
  /** How long `poll` waits for records before returning an empty batch. Default 100 ms. */
  readonly pollTimeoutMs?: number
  /** Consumer group session timeout. Default 30 000 ms. */
  readonly sessionTimeoutMs?: number
  /** Longest wait for the engine's checkpoint before partitions are given up. Default 10 000 ms. */
  readonly rebalanceCheckpointTimeoutMs?: number
  readonly logLevel?: KafkaLogLevel
  /** TLS and SASL (security.ts); default plaintext. */
  readonly security?: KafkaSecurity | undefined
  /** Called when the assignment or the positions change without a poll (a new assignment, a start offset decided): the fetch worker tells the job thread. */
  readonly onPositionsChanged?: () => void
  /** Reports background problems (failed offset commits). Default: stderr. */
  readonly warn?: (message: string) => void
  /** Clock for waits; default the engine's (from `open`). */
  readonly clock?: Clock
}

/** What consumer-lag metrics read of a Kafka source: its topic, how to reach it, its partitions and the next offset to hand out in each. */
export interface KafkaLagView {
  readonly topic: string
  readonly brokers: readonly string[]
  readonly partitions: readonly number[]
  readonly positions: SourcePositions
  readonly security?: KafkaSecurity | undefined
}

const EMPTY = Buffer.alloc(0)

export function createKafkaSource(options: KafkaSourceOptions): KafkaSource {
  return new KafkaSource(options)
}

export class KafkaSource implements Source<Buffer> {
  readonly id: OperatorId
  private readonly brokers: string[]
  private readonly maxBuffered: number
  private clock: Clock
  private kafka: Kafka | null = null
  private admin: Admin | null = null
  private consumer: Consumer | null = null
  private ctx: SourceContext | null = null

  /** Records fetched but not yet handed out; `head` is the next one. */
  private queue: SourceRecord<Buffer>[] = []
  private head = 0
  private paused = false
  /** Which offsets were delivered per partition, what a checkpoint records and a commit sends; the assignment. */
  private readonly partitionPositions = new PartitionPositions()
  private wake: (() => void) | null = null
  private failure: Error | null = null
  private rebalanceCheckpoint: Promise<void> | null = null
  /** Committing is for lag tools only (positions live in the checkpoint): never holds the engine up. */
  private readonly commits: CommitLoop<ReadonlyMap<number, number>>
  private closed = false
  private readonly warn: (message: string) => void

  constructor(private readonly options: KafkaSourceOptions) {
    if (!options.topic) throw new ConfigError('Kafka source needs a topic')
    if (!options.groupId)
      throw new ConfigError('Kafka source needs a consumer group id', 'pass --group or let the CLI derive it from the topic')
    this.id = operatorId(options.id ?? `kafka-${options.topic}`)
    this.brokers = parseBrokers(options.brokers)
    this.maxBuffered = options.maxBufferedRecords ?? 20_000
    if (!(this.maxBuffered > 0)) throw new ConfigError(`maxBufferedRecords must be positive, got ${this.maxBuffered}`)
    this.clock = options.clock ?? systemClock
    this.warn = options.warn ?? ((m) => process.stderr.write(`rdg: ${m}\n`))
    this.commits = new CommitLoop({
      send: (offsets) =>
        this.consumer!.commitOffsets(
          [...offsets].map(([partition, offset]) => ({ topic: options.topic, partition, offset: String(offset) })),
        ),
      canSend: () => this.consumer !== null,
      failed: (err) =>
        this.warn(
          `could not commit offsets of ${options.topic} to group ${options.groupId} (${rootCause(err)}); the next checkpoint will try again`,
        ),
    })
  }

  /** Partitions assigned to this member right now (empty before the first assignment). */
  get partitions(): readonly number[] {
    return this.partitionPositions.assigned ?? []
  }

  /** For consumer-lag metrics, read off the hot path: the topic, its brokers, the assigned partitions and the next offset to hand out in each. */
  lagView(): KafkaLagView {
    return {
      topic: this.options.topic,
      brokers: this.brokers,
      partitions: this.partitions,
      positions: this.positions(),
      security: this.options.security,
    }
  }

  /** Records waiting in the queue. */
  get buffered(): number {
    return this.queue.length - this.head
  }

  /** True while fetching is paused because the queue is full. */
  get isPaused(): boolean {
    return this.paused
  }

  async open(ctx: SourceContext): Promise<void> {
    try {
      await this.connect(ctx)
    } catch (err) {
      // the engine closes only sources that opened: open connections would keep the process from exiting
      await this.consumer?.disconnect().catch(() => undefined)
      await this.admin?.disconnect().catch(() => undefined)
      this.consumer = null
      this.admin = null
      throw err
    }
  }

  private async connect(ctx: SourceContext): Promise<void> {
    this.ctx = ctx
    if (!this.options.clock) this.clock = ctx.clock
    const { topic, groupId } = this.options
    const client = {
      brokers: this.brokers,
      clientId: this.options.clientId ?? `rdg-${ctx.jobName}`,
      logLevel: this.options.logLevel ?? 'error',
      security: this.options.security,
    } as const
    this.kafka = createKafkaClient(client)
    this.admin = await connectAdmin(this.kafka, client)
    await requireTopics(this.admin, [topic], this.brokers)
    this.partitionPositions.restore(ctx.restoredPositions)

    const consumer = this.kafka.consumer({
      groupId,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.max(500, Math.floor((this.options.sessionTimeoutMs ?? 30_000) / 10)),
      allowAutoTopicCreation: false,
      maxBytesPerPartition: 2 << 20,
      maxWaitTimeInMs: Math.min(500, this.options.pollTimeoutMs ?? 100) * 2,
    })
    this.consumer = consumer
    consumer.on(consumer.events.GROUP_JOIN, (e) => this.onAssignment(e.payload.memberAssignment[topic] ?? []))
    consumer.on(consumer.events.REBALANCING, () => void this.requestRebalanceCheckpoint())
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) this.fail(new TransientError(`Kafka consumer of ${topic} stopped: ${rootCause(e.payload.error)}`))
    })
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: this.options.start === undefined || this.options.start === 'earliest' })
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.onBatch(payload),
    })
  }

  async poll(maxRecords: number): Promise<SourceBatch<Buffer>> {
    if (this.failure) throw this.failure
    if (this.buffered === 0 && !this.closed) {
      await new Promise<void>((resolve) => {
        const cancel = this.clock.schedule(this.options.pollTimeoutMs ?? 100, () => done())
        const done = () => {
          cancel()
          this.wake = null
          resolve()
        }
        this.wake = done
      })
      if (this.failure) throw this.failure as Error
    }
    const n = Math.min(maxRecords, this.buffered)
    const records = this.queue.slice(this.head, this.head + n)
    this.head += n
    if (this.head === this.queue.length) {
      this.queue = []
      this.head = 0
    } else if (this.head > 65_536) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
    this.partitionPositions.handedOut(records)
    if (this.paused && this.buffered <= this.maxBuffered / 2) this.resume()
    if (records.length > 0 && this.options.prepareBatch) {
      const pending = this.options.prepareBatch(records)
      if (pending) await pending
    }
    const assigned = this.partitionPositions.assigned
    return assigned ? { records, end: false, partitions: assigned } : { records, end: false }
  }

  positions(): SourcePositions {
    return this.partitionPositions.checkpoint()
  }

  async notifyCheckpointComplete(_id: CheckpointId, positions: SourcePositions, held: SourcePositions = {}): Promise<void> {
    const offsets = this.partitionPositions.commitOffsets(positions, held)
    if (offsets.size === 0) return
    // In the background: latest positions win; one commit in flight at a time.
    this.commits.request(offsets)
  }

  /** Resolves when the background offset commits have caught up (tests, shutdown). */
  async committed(): Promise<void> {
    await this.commits.settled()
  }

  async close(): Promise<void> {
    this.closed = true
    this.wake?.()
    await Promise.race([this.committed(), this.clock.sleep(5_000)])
    await this.consumer?.disconnect().catch(() => undefined)
    await this.admin?.disconnect().catch(() => undefined)
    this.consumer = null
    this.admin = null
  }

  private onAssignment(partitions: number[]): void {
    const consumer = this.consumer!
    const { topic } = this.options
    const { revoked, seeks, lookUp } = this.partitionPositions.assign(partitions)
    if (revoked.length > 0) {
      const gone = new Set(revoked)
      this.queue = this.queue.slice(this.head).filter((r) => !gone.has(r.partition))
      this.head = 0
    }
    // Kept partitions continue at the end of the queue; kafkajs alone would restart them
    // at the group's committed offset.
    for (const { partition, offset } of seeks) consumer.seek({ topic, partition, offset: String(offset) })
    const waiting = this.partitionPositions.awaitingStart()
    if (waiting.length > 0) consumer.pause([{ topic, partitions: waiting }])
    if (this.paused && this.buffered <= this.maxBuffered / 2) this.resume()
    else if (this.paused) this.pause()
    if (lookUp.length > 0) void this.decideStart(lookUp)
    this.options.onPositionsChanged?.()
  }

  /** Committed group offset, else the configured start, for newly assigned partitions. */
  private async decideStart(partitions: readonly number[]): Promise<void> {
    const { topic, groupId } = this.options
    const admin = this.admin!
    try {
      const committed = new Map<number, number>()
      for (const t of await retryRetriable(this.clock, () => admin.fetchOffsets({ groupId, topics: [topic] }))) {
        for (const p of t.partitions) if (Number(p.offset) >= 0) committed.set(p.partition, Number(p.offset))
      }
      const start = this.options.start ?? 'earliest'
      const open = partitions.filter((p) => !committed.has(p))
      const bounds = open.length > 0 ? await retryRetriable(this.clock, () => admin.fetchTopicOffsets(topic)) : []
      const byTime =
        open.length > 0 && typeof start === 'object'
          ? await retryRetriable(this.clock, () => admin.fetchTopicOffsetsByTimestamp(topic, start.timestamp))
          : []
      const ready: number[] = []
      for (const p of partitions) {
        if (!this.partitionPositions.isAwaitingStart(p) || !this.consumer) continue
        const offset = startOffset(p, start, committed, bounds, byTime)
        if (!Number.isFinite(offset)) throw new Error(`no offsets known for partition ${p}`)
        this.consumer.seek({ topic, partition: p, offset: String(offset) })
        this.partitionPositions.started(p, offset)
        ready.push(p)
      }
      if (ready.length > 0 && !this.paused) this.consumer?.resume([{ topic, partitions: ready }])
      if (ready.length > 0) this.options.onPositionsChanged?.()
    } catch (err) {
      if (this.closed) return
      this.warn(`could not look up start offsets of ${topic} partitions ${partitions.join(',')} (${rootCause(err)}); retrying`)
      await this.clock.sleep(1_000)
      const still = partitions.filter((p) => this.partitionPositions.isAwaitingStart(p))
      if (still.length > 0 && !this.closed) await this.decideStart(still)
    }
  }

  // eslint-disable-next-line @typescript-eslint/unbound-method -- kafkajs hands these out as closures, not methods
  private async onBatch({ batch, resolveOffset, heartbeat, isStale, isRunning }: EachBatchPayload): Promise<void> {
    const p = batch.partition
    if (!isRunning() || isStale() || !this.partitionPositions.canQueue(p)) return
    let expected = this.partitionPositions.fetchFrom(p)
    let first: number | undefined
    for (const m of batch.messages) {
      const offset = Number(m.offset)
      // Already queued or handed out (a refetch after a seek or a pause).
      if (expected !== undefined && offset < expected) continue
      first ??= offset
      this.queue.push({ partition: p, offset: m.offset, key: m.key, value: m.value ?? EMPTY })
      expected = offset + 1
    }
    this.partitionPositions.fetched(p, first, expected, Number(batch.lastOffset()))
    resolveOffset(batch.lastOffset())
    if (this.buffered > 0) this.wake?.()
    if (!this.paused && this.buffered >= this.maxBuffered) this.pause()
    try {
      await heartbeat()
    } catch (err) {
      if (isRebalancing(err)) {
        // Give the engine a bounded chance to checkpoint before the partitions go.
        const checkpoint = this.requestRebalanceCheckpoint()
        if (checkpoint) await Promise.race([checkpoint, this.clock.sleep(this.options.rebalanceCheckpointTimeoutMs ?? 10_000)])
      }
      throw err
    }
  }

  private requestRebalanceCheckpoint(): Promise<void> | null {
    if (!this.ctx || this.closed) return null
    this.rebalanceCheckpoint ??= this.ctx
      .checkpointNow('rebalance')
      .catch((err: unknown) => this.warn(`checkpoint before a rebalance of ${this.options.topic} failed: ${(err as Error).message}`))
      .finally(() => (this.rebalanceCheckpoint = null))
    return this.rebalanceCheckpoint
  }

  private pause(): void {
    this.paused = true
    const assigned = this.partitionPositions.assigned
    if (assigned?.length) this.consumer?.pause([{ topic: this.options.topic, partitions: [...assigned] }])
  }

  /** Resumes every assigned partition except those still waiting for their start offset. */
  private resume(): void {
    this.paused = false
    const ready = this.partitionPositions.ready()
    if (ready.length > 0) this.consumer?.resume([{ topic: this.options.topic, partitions: ready }])
  }

  private fail(err: Error): void {
    this.failure = err
    this.wake?.()
  }
}

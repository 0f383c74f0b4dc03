/**
 * The sending half of the Kafka sinks: an idempotent kafkajs producer behind a
 * synchronous `push`. Messages queue in memory; one batch is in flight at a time (the
 * next takes everything queued meanwhile, up to `batchRecords`), so the idempotent
 * producer's per-partition sequence stays in order. A send is also bounded by bytes
 * (`maxBatchBytes`, the sum of keys and values), so no record batch outgrows the broker's
 * `message.max.bytes`; a batch the broker still calls too large is split in half and
 * retried rather than failing (the part one partition had already taken is then written
 * twice: a rare duplicate, never a loss). A failed batch goes back to the front
 * of the queue and is retried with exponential backoff on the Clock, forever for
 * errors (a broker that is down, a connection refused); nothing is dropped. Only a broker
 * refusing the batch itself (e.g. a single message over its size limit) fails `flush`/`drain`,
 * and so the job.
 *
 * @example
 * const out = new BatchingProducer({ kafka, clock, name: 'graph sink' })
 * await out.connect()
 * out.push({ topic: 'rdg.node.account', key: 'n|account|a1', value })
 * await out.flush()
 */
import type { Kafka, Message, Producer } from 'kafkajs'
import type { Clock } from '../../base/clock.ts'
import { rootCause } from './client.ts'
import { compressionType, type Compression } from './compression.ts'

export interface OutgoingMessage {
  readonly topic: string
  readonly key: string | Buffer | null
  readonly value: Buffer
}

export interface BatchingProducerOptions {
  readonly kafka: Kafka
  readonly clock: Clock
  /** For messages: "graph sink", "dead-letter sink". */
  readonly name: string
  /** Queued + in-flight messages above which `backpressured` is true. Default 50 000. */
  readonly maxBuffered?: number
  /** Messages per send. Default 5 000. */
  readonly batchRecords?: number
  /** Bytes (keys + values + per-record overhead) per send; a larger single message goes alone. Default 1 000 000. */
  readonly maxBatchBytes?: number
  /** Record-batch compression; default none. */
  readonly compression?: Compression
  readonly retry?: { readonly initialMs: number; readonly maxMs: number }
  readonly warn?: (message: string) => void
}

/** Broker answers that no retry can fix: the batch itself is refused. */
const REFUSALS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_REQUIRED_ACKS',
])

/** Errors after which the producer id is stale and a fresh producer is needed. */
const PRODUCER_STATE_ERRORS = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
])

export class BatchingProducer {
  private producer: Producer | null = null
  private connected = false
  private queue: OutgoingMessage[] = []
  private head = 0
  private inFlight = 0
  private scheduled = false
  private retryAt: (() => void) | null = null
  private backoff: number
  private fatal: Error | null = null
  private waiters: Array<() => void> = []
  private readonly maxBuffered: number
  private readonly compression: ReturnType<typeof compressionType> | undefined
  private readonly batchRecords: number
  private maxBatchBytes: number
  /** Messages acknowledged by the broker. */
  sent = 0
  /** Failed send attempts. */
  failures = 0

  constructor(private readonly options: BatchingProducerOptions) {
    this.maxBuffered = options.maxBuffered ?? 50_000
    this.batchRecords = options.batchRecords ?? 5_000
    this.maxBatchBytes = options.maxBatchBytes ?? DEFAULT_BATCH_BYTES
    this.backoff = options.retry?.initialMs ?? 100
    this.compression = options.compression && options.compression !== 'none' ? compressionType(options.compression) : undefined
  }

  async connect(): Promise<void> {
    this.producer = this.createProducer()
    await this.producer.connect()
    this.connected = true
  }

  /** Queued and in-flight messages. */
  get buffered(): number {
    return this.queue.length - this.head + this.inFlight
  }

  get backpressured(): boolean {
    return this.buffered > this.maxBuffered
  }

  /** Queues a message; a send starts once the current synchronous work is done. */
  push(message: OutgoingMessage): void {
    this.queue.push(message)
    if (!this.scheduled && this.inFlight === 0) {
      this.scheduled = true
      queueMicrotask(() => {
        this.scheduled = false
        this.pump()
      })
    }
  }

  /** Resolves once the buffer is back to half its bound. */
  async drain(): Promise<void> {
    while (this.buffered > this.maxBuffered / 2) await this.change()
  }

  /** Resolves once every queued message is acknowledged. */
  async flush(): Promise<void> {
    while (this.buffered > 0) await this.change()
  }

  async close(): Promise<void> {
    this.retryAt?.()
    this.retryAt = null
    await this.producer?.disconnect().catch(() => undefined)
    this.producer = null
  }

  private createProducer(): Producer {
    // kafkajs warns that a bounded retry on an idempotent producer weakens its guarantee;
    // here a failed batch is retried by us with the same producer, and the sinks' records
    // are keyed upserts, so a rare duplicate is harmless.
    return this.options.kafka.producer({
      idempotent: true,
      allowAutoTopicCreation: false,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2_000 },
    })
  }

  private change(): Promise<void> {
    if (this.fatal) return Promise.reject(this.fatal)
    this.pump()
    return new Promise<void>((resolve) => this.waiters.push(resolve))
  }

  private notify(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }

  private pump(): void {
    if (this.inFlight > 0 || this.retryAt || this.fatal || !this.producer) return
    const available = this.queue.length - this.head
    if (available === 0) return
    const most = Math.min(available, this.batchRecords)
    let n = 0
    for (let bytes = 0; n < most; n++) {
      bytes += messageBytes(this.queue[this.head + n]!)
      if (bytes > this.maxBatchBytes && n > 0) break
    }
    const batch = this.queue.slice(this.head, this.head + n)
    this.head += n
    if (this.head === this.queue.length) {
      this.queue = []
      this.head = 0
    }
    this.inFlight = batch.length
    void this.send(batch)
  }

  private async send(batch: OutgoingMessage[]): Promise<void> {
    const byTopic = new Map<string, Message[]>()
    for (const m of batch) {
      let list = byTopic.get(m.topic)
      if (!list) byTopic.set(m.topic, (list = []))
      list.push({ key: m.key, value: m.value })
    }
    try {
      if (!this.connected) {
        await this.producer!.connect()
        this.connected = true
      }
      await this.producer!.sendBatch({
        acks: -1,
        ...(this.compression !== undefined ? { compression: this.compression } : {}),
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      })
      this.inFlight = 0
      this.sent += batch.length
      this.backoff = this.options.retry?.initialMs ?? 100
    } catch (err) {
      this.inFlight = 0
      this.failures++
      // Back to the front of the queue, in order.
      this.queue = batch.concat(this.queue.slice(this.head))
      this.head = 0
      const type = errorType(err)
      if ((type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE') && batch.length > 1) {
        // The broker's limit is below ours (or compression grew the batch): halve and go again.
        const bytes = batch.reduce((sum, m) => sum + messageBytes(m), 0)
        this.maxBatchBytes = Math.max(1, Math.floor(Math.min(bytes, this.maxBatchBytes) / 2))
        this.options.warn?.(
          `${this.options.name}: the broker refused ${batch.length} messages as too large; sending at most ${this.maxBatchBytes} bytes at once`,
        )
      } else if (REFUSALS.has(type)) {
        this.fatal = new Error(`${this.options.name}: Kafka refused a batch: ${rootCause(err)}`)
      } else {
        const delay = this.backoff
        this.backoff = Math.min(this.backoff * 2, this.options.retry?.maxMs ?? 10_000)
        this.options.warn?.(`${this.options.name}: sending ${batch.length} messages failed (${rootCause(err)}); retrying in ${delay} ms`)
        if (PRODUCER_STATE_ERRORS.has(type)) await this.renewProducer()
        this.retryAt = this.options.clock.schedule(delay, () => {
          this.retryAt = null
          this.pump()
        })
      }
    }
    this.notify()
    this.pump()
  }

  private async renewProducer(): Promise<void> {
    const old = this.producer
    this.producer = null
    this.connected = false
    await old?.disconnect().catch(() => undefined)
    // Connects on the next send attempt.
    this.producer = this.createProducer()
  }
}

/** Under the broker's default `message.max.bytes` (1 048 588) with room for batch headers. */
const DEFAULT_BATCH_BYTES = 1_000_000

/** A record's share of a batch: key, value and the record framing (varints, attributes, timestamps). */
export function messageBytes(m: OutgoingMessage): number {
  const key = m.key === null ? 0 : typeof m.key === 'string' ? Buffer.byteLength(m.key) : m.key.length
  return key + m.value.length + RECORD_OVERHEAD
}

/** Upper bound of a record's framing in a v2 record batch without headers. */
export const RECORD_OVERHEAD = 32

/** The broker error type (e.g. 'MESSAGE_TOO_LARGE') anywhere in a kafkajs error chain, or ''. */
function errorType(err: unknown): string {
  let e = err as { type?: string; originalError?: unknown; cause?: unknown } | undefined
  for (let i = 0; i < 5 && e; i++) {
    if (e.type) return e.type
    e = (e.originalError ?? e.cause) as typeof e
  }
  return ''
}

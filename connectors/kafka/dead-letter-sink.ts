/**
 * Dead letters to a Kafka topic (`<topic>.dlq` by default), one JSON message per letter:
 *
 *   { "reason": "cannot decode: wrong magic byte 0x7b …", "operator": "…",
 *     "sourceTopic": "playback-events", "partition": 2, "offset": "1042",
 *     "value": { "base64": "…" }, "eventTime": null, "job": "playback-events" }
 *
 * keyed by `<sourceTopic>:<partition>:<offset>` when the letter has a source position.
 * Same batching, backpressure, retry and flush-at-checkpoint as the graph sink.
 *
 * Never dies on size: at open it learns the largest message the topic takes (its
 * `max.message.bytes`, else the broker's `message.max.bytes`, else Kafka's default
 * 1 048 588). A letter that would not fit keeps its reason and position but its value
 * becomes `{ "truncated": true, "bytes": <the value's JSON size>, "chars": …, "head": "<its
 * first KiB>" }`, and sends are split by bytes under that limit.
 *
 * @example
 * const dlq = createKafkaDeadLetterSink({ brokers: '127.0.0.1:9092', sourceTopic: 'playback-events', createTopic: true })
 * runJob(job, { ..., deadLetterSink: dlq })
 */
import kafkajs, { type Admin } from 'kafkajs'
import type { Clock } from '../../base/clock.ts'
import type { DeadLetter, Sink, SinkContext } from '../../engine/connector.ts'
import { operatorId, type OperatorId } from '../../base/ids.ts'
import { BatchingProducer, RECORD_OVERHEAD } from './batching-producer.ts'
import type { Compression } from './compression.ts'
import { connectAdmin, createKafkaClient, ensureTopics, parseBrokers, type KafkaLogLevel } from './client.ts'
import type { KafkaSecurity } from './security.ts'

export interface KafkaDeadLetterSinkOptions {
  readonly id?: string
  readonly brokers: string | readonly string[]
  /** The topic the job reads; named in every letter. */
  readonly sourceTopic: string
  /** Default `<sourceTopic>.dlq`. */
  readonly topic?: string
  /** Create the dead-letter topic on open if missing (else a missing topic is a ConfigError). */
  readonly createTopic?: boolean
  readonly clientId?: string
  readonly maxBufferedRecords?: number
  readonly retry?: { readonly initialMs: number; readonly maxMs: number }
  readonly logLevel?: KafkaLogLevel
  /** TLS and SASL (security.ts); default plaintext. */
  readonly security?: KafkaSecurity | undefined
  readonly warn?: (message: string) => void
  readonly clock?: Clock
  /** Record-batch compression of the dead-letter topic; default none. */
  readonly compression?: Compression
  /** The largest message to write; default what the topic/broker config says at open. */
  readonly maxMessageBytes?: number
}

/** The JSON a dead letter becomes on the topic. */
export interface DeadLetterMessage {
  readonly reason: string
  readonly operator: string
  readonly sourceTopic: string
  readonly partition: number | null
  readonly offset: string | null
  readonly value: unknown
  readonly eventTime: number | null
  readonly job: string
}

/** Kafka's default `message.max.bytes` (and so a topic's `max.message.bytes`). */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588
/** A record batch's header (v2), the rest of a one-record batch beside the record's own framing. */
const BATCH_HEADER = 61
/** Characters of a truncated value kept as its head. */
const HEAD_CHARS = 1_024

export function createKafkaDeadLetterSink(options: KafkaDeadLetterSinkOptions): KafkaDeadLetterSink {
  return new KafkaDeadLetterSink(options)
}

export class KafkaDeadLetterSink implements Sink<DeadLetter> {
  readonly id: OperatorId
  readonly topic: string
  private out: BatchingProducer | null = null
  private admin: Admin | null = null
  private job = ''
  /** Bytes one letter's key + value may take, learned at open. */
  private letterBytes = KAFKA_DEFAULT_MAX_MESSAGE_BYTES - BATCH_HEADER - RECORD_OVERHEAD
  /** The topic's (or broker's) limit as learned at open. */
  maxMessageBytes = KAFKA_DEFAULT_MAX_MESSAGE_BYTES
  /** Letters whose value was cut to fit. */
  truncated = 0
  /** Letters written so far. */
  count = 0

  constructor(private readonly options: KafkaDeadLetterSinkOptions) {
    this.id = operatorId(options.id ?? 'kafka-dead-letters')
    this.topic = options.topic ?? `${options.sourceTopic}.dlq`
    parseBrokers(options.brokers)
  }

  get backpressured(): boolean {
    return this.out?.backpressured ?? false
  }

  async open(ctx: SinkContext): Promise<void> {
    const o = this.options
    this.job = ctx.jobName
    const client = {
      brokers: o.brokers,
      clientId: o.clientId ?? `rdg-${ctx.jobName}-dlq`,
      logLevel: o.logLevel ?? 'error',
      security: o.security,
    } as const
    const kafka = createKafkaClient(client)
    this.admin = await connectAdmin(kafka, client)
    await ensureTopics(this.admin, [this.topic], parseBrokers(o.brokers), o.createTopic ? {} : false)
    this.maxMessageBytes = o.maxMessageBytes ?? (await maxMessageBytes(this.admin, this.topic))
    // Room for the batch header and the record framing; the same bound keeps each send whole.
    this.letterBytes = Math.max(HEAD_CHARS * 4, this.maxMessageBytes - BATCH_HEADER - RECORD_OVERHEAD - 64)
    this.out = new BatchingProducer({
      kafka,
      clock: o.clock ?? ctx.clock,
      name: 'Kafka dead-letter sink',
      ...(o.maxBufferedRecords !== undefined ? { maxBuffered: o.maxBufferedRecords } : {}),
      ...(o.retry ? { retry: o.retry } : {}),
      ...(o.compression ? { compression: o.compression } : {}),
      maxBatchBytes: this.letterBytes + RECORD_OVERHEAD,
      warn: o.warn ?? ((m) => process.stderr.write(`rdg: ${m}\n`)),
    })
    await this.out.connect()
  }

  write(letter: DeadLetter, _timestamp?: number): void {
    this.count++
    const src = letter.source
    const message: DeadLetterMessage = {
      reason: letter.reason,
      operator: letter.operator,
      sourceTopic: this.options.sourceTopic,
      partition: src?.partition ?? null,
      offset: src?.offset ?? null,
      value: letter.value,
      eventTime: letter.eventTime,
      job: this.job,
    }
    const key = src ? `${this.options.sourceTopic}:${src.partition}:${src.offset}` : null
    const budget = this.letterBytes - (key === null ? 0 : Buffer.byteLength(key))
    let bytes = Buffer.from(JSON.stringify(message), 'utf8')
    if (bytes.length > budget) {
      // a huge record must not make a letter the broker refuses: keep where it came from, its size and its head
      this.truncated++
      const value = JSON.stringify(letter.value) ?? 'undefined'
      const cut = { truncated: true, bytes: Buffer.byteLength(value), chars: value.length, head: value.slice(0, HEAD_CHARS) }
      bytes = Buffer.from(JSON.stringify({ ...message, reason: clip(message.reason, budget / 4), value: cut }), 'utf8')
    }
    this.out!.push({ topic: this.topic, key, value: bytes })
  }

  drain(): Promise<void> {
    return this.out?.drain() ?? Promise.resolve()
  }

  flush(): Promise<void> {
    return this.out?.flush() ?? Promise.resolve()
  }

  async close(): Promise<void> {
    await this.out?.close()
    await this.admin?.disconnect().catch(() => undefined)
    this.out = null
    this.admin = null
  }
}

/** The topic's `max.message.bytes`, else the broker's `message.max.bytes`, else Kafka's default. */
async function maxMessageBytes(admin: Admin, topic: string): Promise<number> {
  // kafkajs is CommonJS and Node's ESM loader cannot see this one as a named export
  const { ConfigResourceTypes } = kafkajs
  const read = async (type: kafkajs.ConfigResourceTypes, name: string, config: string): Promise<number | null> => {
    try {
      const answer = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type, name, configNames: [config] }] })
      const entry = answer.resources[0]?.configEntries.find((e) => e.configName === config)
      const n = Number(entry?.configValue)
      return Number.isInteger(n) && n > 0 ? n : null
    } catch {
      return null // not allowed to describe configs, or an old broker: try the next source
    }
  }
  const fromTopic = await read(ConfigResourceTypes.TOPIC, topic, 'max.message.bytes')
  if (fromTopic !== null) return fromTopic
  try {
    const { brokers } = await admin.describeCluster()
    for (const b of brokers) {
      const n = await read(ConfigResourceTypes.BROKER, String(b.nodeId), 'message.max.bytes')
      if (n !== null) return n
    }
  } catch {
    // fall through to the default
  }
  return KAFKA_DEFAULT_MAX_MESSAGE_BYTES
}

/** A reason is normally short; a pathological one (an error quoting the whole record) is cut too. */
function clip(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, Math.max(0, Math.floor(chars) - 1))}…`
}

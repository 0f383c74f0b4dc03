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
 * @example
 * const dlq = createKafkaDeadLetterSink({ brokers: '127.0.0.1:9092', sourceTopic: 'playback-events', createTopic: true })
 * runJob(job, { ..., deadLetterSink: dlq })
 */
import type { Admin } from 'kafkajs'
import type { Clock } from '../../base/clock.ts'
import type { DeadLetter, Sink, SinkContext } from '../../engine/connector.ts'
import { operatorId, type OperatorId } from '../../base/ids.ts'
import { BatchingProducer } from './batching-producer.ts'
import { connectAdmin, createKafkaClient, ensureTopics, parseBrokers, type KafkaLogLevel } from './client.ts'

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
  readonly warn?: (message: string) => void
  readonly clock?: Clock
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

/** Longest letter JSON written whole; a longer value is cut to its first KiB with its length. */
const MAX_LETTER_CHARS = 65_536

export function createKafkaDeadLetterSink(options: KafkaDeadLetterSinkOptions): KafkaDeadLetterSink {
  return new KafkaDeadLetterSink(options)
}

export class KafkaDeadLetterSink implements Sink<DeadLetter> {
  readonly id: OperatorId
  readonly topic: string
  private out: BatchingProducer | null = null
  private admin: Admin | null = null
  private job = ''
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
    const client = { brokers: o.brokers, clientId: o.clientId ?? `rdg-${ctx.jobName}-dlq`, logLevel: o.logLevel ?? 'error' } as const
    const kafka = createKafkaClient(client)
    this.admin = await connectAdmin(kafka, client)
    await ensureTopics(this.admin, [this.topic], parseBrokers(o.brokers), o.createTopic ? {} : false)
    this.out = new BatchingProducer({
      kafka,
      clock: o.clock ?? ctx.clock,
      name: 'Kafka dead-letter sink',
      ...(o.maxBufferedRecords !== undefined ? { maxBuffered: o.maxBufferedRecords } : {}),
      ...(o.retry ? { retry: o.retry } : {}),
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
    let json = JSON.stringify(message)
    if (json.length > MAX_LETTER_CHARS) {
      // a huge record must not make a letter the broker refuses (its message.max.bytes, 1 MB by default)
      const value = JSON.stringify(letter.value) ?? 'undefined'
      json = JSON.stringify({ ...message, value: { truncated: true, chars: value.length, head: value.slice(0, 1_024) } })
    }
    this.out!.push({
      topic: this.topic,
      key: src ? `${this.options.sourceTopic}:${src.partition}:${src.offset}` : null,
      value: Buffer.from(json, 'utf8'),
    })
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

/**
 * Writes the seeded generator's events for one topic to Kafka in the topic's wire format:
 * Avro in the Confluent framing (writer schema registered under `<topic>-value` in the
 * schema registry or schema directory), or JSON text. Keyed by account id, so one
 * account's events stay in order on one partition. The generator's malformed share is
 * kept (poison for the dead-letter path): garbage bytes go out unframed, truncated Avro
 * goes out framed. What `rdg-job produce` runs.
 *
 * Pacing is on the Clock: `rate` events per second measured from the start, sent in
 * chunks; without a rate, as fast as the broker acknowledges (bounded buffer).
 *
 * @example
 * const summary = await produceEvents({
 *   brokers: '127.0.0.1:9092', topic: 'playback-events', events: 'playback-events',
 *   format: playbackJob.value, count: 10_000, rate: 2_000, schemaDir: 'schemas',
 * })
 * console.log(summary.produced, summary.malformed)
 */
import type { Clock } from '../../base/clock.ts'
import { systemClock } from '../../base/clock.ts'
import { ConfigError } from '../../base/errors.ts'
import type { ValueFormat } from '../../graph/job-definition.ts'
import { topicEvents } from '../generator/generator-source.ts'
import type { Topic } from '../generator/journeys.ts'
import { createValueEncoder } from '../avro/value-encoder.ts'
import { frame } from '../avro/wire-format.ts'
import { BatchingProducer } from './batching-producer.ts'
import type { Compression } from './compression.ts'
import { connectAdmin, createKafkaClient, ensureTopics, parseBrokers, type KafkaLogLevel } from './client.ts'
import type { KafkaSecurity } from './security.ts'

export interface ProduceEventsOptions {
  readonly brokers: string | readonly string[]
  /** Kafka topic written to. */
  readonly topic: string
  /** Which generator stream to write (default: `topic`). */
  readonly events?: Topic
  /** The topic's value format (the job's `value`). */
  readonly format: ValueFormat<unknown>
  readonly count: number
  /** Events per second; default as fast as the broker takes them. */
  readonly rate?: number
  readonly seed?: number
  readonly accounts?: number
  /** Share of deliberately malformed events; default the generator's (0.005). */
  readonly malformedRate?: number
  /** Where the generator finds titles and games (default `data/catalog`). */
  readonly catalogDir?: string
  readonly registryUrl?: string
  readonly schemaDir?: string
  /** Create the topic with this many partitions when it is missing; otherwise a missing topic is an error. */
  readonly createPartitions?: number
  readonly clock?: Clock
  /** Stops after the current chunk; what was pushed is still flushed. */
  readonly signal?: AbortSignal
  /** Called about once a second of clock time, and at the end. */
  readonly onProgress?: (progress: ProduceProgress) => void
  readonly logLevel?: KafkaLogLevel
  /** TLS and SASL (security.ts); default plaintext. */
  readonly security?: KafkaSecurity | undefined
  /** Record-batch compression (what the Java client's `compression.type` sets); default none. */
  readonly compression?: Compression
}

export interface ProduceProgress {
  /** Events handed to the producer. */
  readonly pushed: number
  /** Events the broker acknowledged. */
  readonly acknowledged: number
  readonly malformed: number
}

export interface ProduceSummary extends ProduceProgress {
  readonly topic: string
  /** Registry id the Avro values are framed with; null for JSON. */
  readonly schemaId: number | null
  readonly seconds: number
  /** True when `signal` stopped it before `count`. */
  readonly stopped: boolean
}

/** Events pushed between looks at the clock, the signal and the buffer. */
const CHUNK = 2_000

export async function produceEvents(options: ProduceEventsOptions): Promise<ProduceSummary> {
  const clock = options.clock ?? systemClock
  const brokers = parseBrokers(options.brokers)
  if (!(Number.isInteger(options.count) && options.count > 0))
    throw new ConfigError(`count must be a positive whole number, got ${options.count}`)
  if (options.rate !== undefined && !(options.rate > 0))
    throw new ConfigError(`rate must be a positive number of events per second, got ${options.rate}`)
  const encoding = options.format.format
  if (encoding === 'avro' && !options.registryUrl && !options.schemaDir) {
    throw new ConfigError(
      `topic ${options.topic} carries Avro values and the schema must be registered somewhere`,
      'pass --registry <url> or --schema-dir <dir>',
    )
  }

  const logLevel = options.logLevel ?? 'error'
  const kafka = createKafkaClient({ brokers, clientId: 'rdg-produce', logLevel, security: options.security })
  const admin = await connectAdmin(kafka, { brokers, logLevel, security: options.security })
  try {
    await ensureTopics(admin, [options.topic], brokers, options.createPartitions ? { partitions: options.createPartitions } : false, clock)
  } finally {
    await admin.disconnect()
  }

  const encoder = await createValueEncoder(options.format, {
    topic: options.topic,
    ...(options.registryUrl ? { registryUrl: options.registryUrl } : {}),
    ...(options.schemaDir ? { schemaDir: options.schemaDir } : {}),
  })
  const events = topicEvents({
    topic: options.events ?? (options.topic as Topic),
    encoding,
    ...(encoding === 'avro' ? { schema: (options.format as { schema: object }).schema } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.accounts !== undefined ? { accounts: options.accounts } : {}),
    ...(options.malformedRate !== undefined ? { malformedRate: options.malformedRate } : {}),
    ...(options.catalogDir !== undefined ? { catalogDir: options.catalogDir } : {}),
  })

  const out = new BatchingProducer({
    kafka,
    clock,
    name: `producer of ${options.topic}`,
    maxBuffered: 20_000,
    ...(options.compression ? { compression: options.compression } : {}),
  })
  await out.connect()
  const started = clock.now()
  let pushed = 0
  let malformed = 0
  let exhausted = false
  let lastReport = started
  const progress = (): ProduceProgress => ({ pushed, acknowledged: out.sent, malformed })
  try {
    while (pushed < options.count && !exhausted && !options.signal?.aborted) {
      let allowed = Math.min(CHUNK, options.count - pushed)
      if (options.rate !== undefined) {
        const due = Math.floor(((clock.now() - started) / 1000) * options.rate) - pushed
        if (due <= 0) {
          await clock.sleep(Math.max(1, Math.min(100, Math.ceil((1000 / options.rate) * (1 - due)))))
          continue
        }
        allowed = Math.min(allowed, due)
      }
      for (let i = 0; i < allowed; i++) {
        const next = events.next()
        if (next.done) {
          exhausted = true
          break
        }
        const { value, event } = next.value
        if (event.malformed) malformed++
        out.push({ topic: options.topic, key: keyOf(event.value), value: wire(value, event.malformed, encoder.schemaId) })
        pushed++
      }
      if (out.backpressured) await out.drain()
      if (clock.now() - lastReport >= 1_000) {
        lastReport = clock.now()
        options.onProgress?.(progress())
      }
    }
    await out.flush()
  } finally {
    await out.close()
  }
  options.onProgress?.(progress())
  return {
    ...progress(),
    topic: options.topic,
    schemaId: encoder.schemaId,
    seconds: (clock.now() - started) / 1000,
    stopped: pushed < options.count && !exhausted,
  }
}

/** The generator's bytes in the wire format: Avro framed with the schema id, except garbage (sent as is). */
function wire(value: unknown, malformed: string | undefined, schemaId: number | null): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  const bytes = value as Buffer
  if (schemaId === null || malformed === 'garbage') return bytes
  return frame(schemaId, bytes)
}

function keyOf(value: Record<string, unknown>): string | null {
  return typeof value.accountId === 'string' ? value.accountId : null
}

/**
 * A source of synthetic events for one topic: seeded and reproducible, with positions
 * (events of this topic delivered so far) so a restored job resumes exactly where its
 * checkpoint was. Values are Avro binary (`encoding: 'avro'`, the topic's schema), JSON
 * text, or plain objects. Optional `rate` paces delivery in events per second.
 *
 * @example
 * const source = new GeneratorSource({ topic: 'playback-events', seed: 1, count: 10_000, encoding: 'avro', schema: playbackSchema })
 */
import avro from 'avsc'
import type { Clock } from '../../base/clock.ts'
import { systemClock } from '../../base/clock.ts'
import type { Source, SourceBatch, SourceContext, SourcePositions, SourceRecord } from '../../engine/connector.ts'
import { ConfigError } from '../../base/errors.ts'
import { operatorId, type OperatorId } from '../../base/ids.ts'
import { loadCatalog } from './catalog.ts'
import { generateEvents, TOPICS, type GeneratedEvent, type Topic } from './journeys.ts'
import { Prng } from './prng.ts'

export interface GeneratorOptions {
  readonly topic: Topic
  readonly seed?: number
  /** Events of this topic to deliver; then the source ends. Default: unbounded. */
  readonly count?: number
  /** Events per second; default as fast as the job reads. */
  readonly rate?: number
  readonly accounts?: number
  readonly encoding?: 'avro' | 'json' | 'object'
  /** The topic's Avro schema (required for 'avro'). */
  readonly schema?: object
  readonly catalogDir?: string
  readonly startTime?: number
  readonly malformedRate?: number
  readonly heartbeats?: number
  readonly id?: string
  readonly clock?: Clock
}

/** Deterministic events of one topic, encoded as asked. */
export function* topicEvents(options: GeneratorOptions): Generator<{ value: unknown; event: GeneratedEvent }> {
  // an unknown topic would never yield: fail instead of spinning
  if (!TOPICS.includes(options.topic))
    throw new ConfigError(`the generator has no events for topic "${options.topic}"`, `it generates ${TOPICS.join(', ')}`)
  const rng = new Prng(options.seed ?? 1)
  const breaker = new Prng((options.seed ?? 1) ^ 0x5bd1e995)
  const catalog = loadCatalog(options.catalogDir ?? 'data/catalog')
  const type =
    options.encoding === 'avro' || options.encoding === undefined ? avro.Type.forSchema((options.schema ?? {}) as avro.Schema) : null
  const events = generateEvents(rng, catalog, {
    accounts: options.accounts ?? 200,
    startTime: options.startTime ?? Date.UTC(2026, 0, 1),
    heartbeats: options.heartbeats ?? 8,
    heartbeatMs: 30_000,
    jitterMs: 1_500,
    malformedRate: options.malformedRate ?? 0.005,
  })
  for (const e of events) {
    if (e.topic !== options.topic) continue
    yield { value: encode(e, type, options.encoding ?? 'avro', breaker), event: e }
  }
}

function encode(e: GeneratedEvent, type: avro.Type | null, encoding: 'avro' | 'json' | 'object', rng: Prng): unknown {
  if (encoding === 'object') return e.malformed === 'garbage' ? { garbage: true } : e.value
  if (encoding === 'json') return e.malformed === 'garbage' ? `{"eventId": ${rng.id(6)}` : JSON.stringify(e.value)
  if (e.malformed === 'garbage') return Buffer.from(Array.from({ length: rng.int(1, 12) }, () => rng.int(0, 255)))
  if (e.malformed === 'invalid') {
    // Avro cannot carry a missing field: send a truncated record instead.
    const ok = { ...e.value, ts: 0 }
    const bytes = type!.toBuffer(ok)
    return bytes.subarray(0, Math.max(1, bytes.length - rng.int(3, 10)))
  }
  return type!.toBuffer(e.value)
}

export class GeneratorSource implements Source<unknown> {
  readonly id: OperatorId
  private iterator: Generator<{ value: unknown; event: GeneratedEvent }> | null = null
  private delivered = 0
  private startedAt = 0
  private startedFrom = 0
  private readonly clock: Clock

  constructor(private readonly options: GeneratorOptions) {
    if ((options.encoding ?? 'avro') === 'avro' && !options.schema) throw new Error('GeneratorSource: encoding avro needs the topic schema')
    this.id = operatorId(options.id ?? `generator-${options.topic}`)
    this.clock = options.clock ?? systemClock
  }

  async open(ctx: SourceContext): Promise<void> {
    this.iterator = topicEvents(this.options)
    const resumeAt = Number(ctx.restoredPositions?.['0'] ?? 0)
    // Deterministic: regenerate and skip what the checkpoint already covers.
    while (this.delivered < resumeAt && !this.iterator.next().done) this.delivered++
    this.startedAt = this.clock.now()
    this.startedFrom = this.delivered
  }

  async poll(maxRecords: number): Promise<SourceBatch<unknown>> {
    const limit = this.options.count ?? Number.POSITIVE_INFINITY
    let allowed = Math.min(maxRecords, limit - this.delivered)
    if (this.options.rate) {
      const due = Math.floor(((this.clock.now() - this.startedAt) / 1000) * this.options.rate) - (this.delivered - this.startedFrom)
      if (due <= 0) {
        await this.clock.sleep(Math.min(100, Math.ceil(1000 / this.options.rate)))
        return { records: [], end: false }
      }
      allowed = Math.min(allowed, due)
    }
    const records: SourceRecord<unknown>[] = []
    while (records.length < allowed) {
      const next = this.iterator!.next()
      if (next.done) break
      records.push({ partition: 0, offset: String(this.delivered), value: next.value.value })
      this.delivered++
    }
    return { records, end: this.delivered >= limit }
  }

  positions(): SourcePositions {
    return { '0': String(this.delivered) }
  }

  async close(): Promise<void> {
    this.iterator = null
  }
}

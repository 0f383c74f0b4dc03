/**
 * Writes graph primitives to a KV store in the graph layout: validates each against the
 * graph schema (rejects go to the dead letters with the reason), buffers, writes batches,
 * retries failed batches with exponential backoff (never dropping a write), reports
 * backpressure while the buffer is over its bound, and makes everything durable at flush.
 *
 * @example
 * const sink = new KvGraphSink({ id: 'graph', store, schema, onReject: (l) => dlq.write(l, l.eventTime ?? 0) })
 */
import type { Clock } from '../engine/clock.ts'
import { systemClock } from '../engine/clock.ts'
import type { DeadLetter, Sink, SinkContext } from '../engine/connector.ts'
import { operatorId, type OperatorId } from '../engine/types.ts'
import { writesFor } from '../graph/layout.ts'
import type { GraphPrimitive } from '../graph/model.ts'
import type { GraphSchema } from '../graph/schema.ts'
import { validatePrimitive } from '../graph/validate.ts'
import type { KvStore, KvWrite } from '../kv/types.ts'

export interface KvGraphSinkOptions {
  readonly id?: string
  readonly store: KvStore
  readonly schema: GraphSchema
  readonly onReject: (letter: DeadLetter) => void
  /** Items per store write. Default 2 000. */
  readonly batchSize?: number
  /** Buffered items above which the sink asks for backpressure. Default 20 000. */
  readonly maxBuffered?: number
  readonly retry?: { readonly initialMs: number; readonly maxMs: number }
  readonly clock?: Clock
  /** Called on each failed attempt (logging). */
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void
}

export class KvGraphSink implements Sink<GraphPrimitive> {
  readonly id: OperatorId
  private buffer: KvWrite[] = []
  private readonly batchSize: number
  private readonly maxBuffered: number
  private readonly clock: Clock
  written = 0
  rejected = 0
  retries = 0

  constructor(private readonly options: KvGraphSinkOptions) {
    this.id = operatorId(options.id ?? 'kv-graph')
    this.batchSize = options.batchSize ?? 2_000
    this.maxBuffered = options.maxBuffered ?? 20_000
    this.clock = options.clock ?? systemClock
  }

  async open(_ctx: SinkContext): Promise<void> {}

  write(p: GraphPrimitive): void {
    const reason = validatePrimitive(this.options.schema, p)
    if (reason) {
      this.rejected++
      this.options.onReject({ reason: `rejected by graph schema: ${reason}`, operator: this.id, source: null, value: p, eventTime: p.eventTime })
      return
    }
    for (const w of writesFor(this.options.schema, p)) this.buffer.push(w)
  }

  get backpressured(): boolean {
    return this.buffer.length >= this.maxBuffered
  }

  async drain(): Promise<void> {
    while (this.buffer.length >= this.maxBuffered) await this.writeBatch()
  }

  async flush(): Promise<void> {
    while (this.buffer.length > 0) await this.writeBatch()
  }

  /** Writes the oldest batch, retrying with backoff until the store takes it. */
  private async writeBatch(): Promise<void> {
    const batch = this.buffer.slice(0, this.batchSize)
    const retry = this.options.retry ?? { initialMs: 100, maxMs: 10_000 }
    let delay = retry.initialMs
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.store.putItems(batch)
        break
      } catch (err) {
        this.retries++
        this.options.onRetry?.(err, attempt, delay)
        await this.clock.sleep(delay)
        delay = Math.min(retry.maxMs, delay * 2)
      }
    }
    this.buffer.splice(0, batch.length)
    this.written += batch.length
  }

  async close(): Promise<void> {}
}

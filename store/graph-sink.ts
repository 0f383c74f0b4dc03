/**
 * The KV graph sink: writes graph primitives to a KV store in the graph layout
 * (src/graph/layout.ts).
 *
 * - `write` is synchronous: it validates against the graph schema (a primitive that does
 *   not fit goes to `onReject` as a dead letter with the reason) and buffers the items.
 * - Full batches go out at once, partial ones after `lingerMs`, with at most
 *   `maxInFlight` batches in flight. Concurrent batches are safe because stores are
 *   last-writer-wins by event time.
 * - A failed batch is retried with exponential backoff on the Clock until the store takes
 *   it: nothing is dropped. An error marked not retriable (an invalid statement) stops the
 *   sink at once, and a local disk failure (full, read-only) after `diskAttempts` tries;
 *   `drain`/`flush` then reject so the job ends with one line and restarts from its last
 *   checkpoint instead of hanging or losing data.
 * - `backpressured` is true while pending items (buffered + in flight) are at or over
 *   `maxBuffered`; the engine then stops polling and awaits `drain`.
 * - `flush` resolves when everything written so far is durable (called by checkpoints).
 * - `open` decides which of the schema's recent-edge indexes (`latestIndex`) the sink
 *   keeps (store/recent-index.ts): those of lists that are new or were indexed from their
 *   first edge.
 *
 * @example
 * const sink = new KvGraphSink({ id: 'graph', store, schema, clock, batchSize: 500, maxInFlight: 4, retry: { initialMs: 100, maxMs: 5_000 }, onReject: (l) => dlq.write(l, l.eventTime ?? 0) })
 */
import { systemClock, type Clock } from '../base/clock.ts'
import type { DeadLetter, Sink, SinkContext } from '../engine/connector.ts'
import { diskFailure, RdgError } from '../base/errors.ts'
import { operatorId, type OperatorId } from '../base/ids.ts'
import { indexedListsOf, writesFor, type LayoutOptions } from './graph-layout.ts'
import { openRecentIndexes } from './recent-index.ts'
import type { GraphPrimitive } from '../graph/model.ts'
import type { GraphSchema } from '../graph/schema.ts'
import { validatePrimitive } from '../graph/validate.ts'
import type { KvDataStore, KvWrite } from './kv/api.ts'

export interface KvGraphSinkOptions {
  readonly id?: string
  /** The graph store; only `putItems` is used. */
  readonly store: KvDataStore
  readonly schema: GraphSchema
  readonly onReject: (letter: DeadLetter) => void
  /** Default: the system clock. Backoff and linger run on it. */
  readonly clock?: Clock
  /** Items per store write. Default 1 000. */
  readonly batchSize?: number
  /** Store writes in flight at once. Default 4. */
  readonly maxInFlight?: number
  /** Pending items (buffered + in flight) at which the sink asks for backpressure. Default 20 000. */
  readonly maxBuffered?: number
  /** A partial batch goes out this long after its first item; 0 = only on drain/flush. Default 100 ms. */
  readonly lingerMs?: number
  /** Backoff between attempts of a failed batch: starts at initialMs, doubles up to maxMs. Default 100 ms → 10 s. */
  readonly retry?: { readonly initialMs: number; readonly maxMs: number }
  /** Attempts of a batch that fails on a local disk problem (full, read-only) before the sink gives up. Default 4. */
  readonly diskAttempts?: number
  /** Called on each failed attempt (logging, metrics). */
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void
  /** Keep the recent-edge indexes the schema declares (`latestIndex`), where the store allows. Default true. */
  readonly recentIndex?: boolean
}

export class KvGraphSink implements Sink<GraphPrimitive> {
  readonly id: OperatorId
  private readonly clock: Clock
  private readonly batchSize: number
  private readonly maxInFlight: number
  private readonly maxBuffered: number
  private readonly lingerMs: number
  private readonly retry: { readonly initialMs: number; readonly maxMs: number }
  private buffer: KvWrite[] = []
  private inFlightBatches = 0
  private inFlightItems = 0
  private cancelLinger: (() => void) | null = null
  private waiters: Array<() => void> = []
  private failure: RdgError | null = null
  private closed = false
  /** Items the store has acknowledged. */
  written = 0
  /** Primitives rejected by the schema. */
  rejected = 0
  /** Failed attempts that were retried. */
  retries = 0
  /** Store writes that succeeded (batches), and their summed and last latency: measured per batch, never per item. */
  writeBatches = 0
  writeMsTotal = 0
  lastWriteMs = 0
  /** Time the job spent waiting in `drain()` for this sink to take writes (backpressure). */
  backpressureMs = 0
  /** The recent-edge index namespaces this sink writes (decided by `open`). */
  recentIndexes: ReadonlySet<string> = new Set()
  private layout: LayoutOptions = {}
  /** Declared indexes this store cannot keep, `edge (direction)`: their lists hold edges written without one. */
  incompleteIndexes: readonly string[] = []

  constructor(private readonly options: KvGraphSinkOptions) {
    this.id = operatorId(options.id ?? 'kv-graph')
    this.clock = options.clock ?? systemClock
    this.batchSize = options.batchSize ?? 1_000
    this.maxInFlight = options.maxInFlight ?? 4
    this.maxBuffered = options.maxBuffered ?? 20_000
    this.lingerMs = options.lingerMs ?? 100
    this.retry = options.retry ?? { initialMs: 100, maxMs: 10_000 }
    for (const [name, v] of [
      ['batchSize', this.batchSize],
      ['maxInFlight', this.maxInFlight],
      ['maxBuffered', this.maxBuffered],
    ] as const) {
      if (!(Number.isInteger(v) && v > 0)) throw new RangeError(`KvGraphSink ${name} must be a positive integer, got ${String(v)}`)
    }
  }

  async open(_ctx: SinkContext): Promise<void> {
    if (this.options.recentIndex === false) return
    const opened = await openRecentIndexes(this.options.store, this.options.schema)
    this.recentIndexes = opened.written
    this.incompleteIndexes = opened.incomplete
    this.layout = { recentIndexes: indexedListsOf(this.options.schema, opened.written) }
  }

  write(p: GraphPrimitive, _timestamp?: number): void {
    const reason = validatePrimitive(this.options.schema, p)
    if (reason) {
      this.rejected++
      this.options.onReject({
        reason: `rejected by graph schema: ${reason}`,
        operator: this.id,
        source: null,
        value: p,
        eventTime: p.eventTime,
      })
      return
    }
    for (const w of writesFor(this.options.schema, p, this.layout)) this.buffer.push(w)
    if (this.buffer.length >= this.batchSize) this.pump(false)
    else this.armLinger()
  }

  /** Items buffered or in flight. */
  get pending(): number {
    return this.buffer.length + this.inFlightItems
  }

  get backpressured(): boolean {
    return this.failure !== null || this.pending >= this.maxBuffered
  }

  async drain(): Promise<void> {
    const started = this.clock.now()
    try {
      while (this.pending >= this.maxBuffered) {
        this.throwIfFailed()
        this.pump(true)
        await this.progress()
      }
      this.throwIfFailed()
    } finally {
      this.backpressureMs += this.clock.now() - started
    }
  }

  async flush(): Promise<void> {
    while (this.pending > 0) {
      this.throwIfFailed()
      this.pump(true)
      await this.progress()
    }
    this.throwIfFailed()
  }

  /** Stops retrying and waits for the writes in flight to settle, so the store is never closed under them. */
  async close(): Promise<void> {
    this.closed = true
    this.cancelLinger?.()
    this.cancelLinger = null
    while (this.inFlightBatches > 0) await this.progress()
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure
  }

  /** Resolves at the next batch completion (or failure). */
  private progress(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  private notify(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }

  private armLinger(): void {
    if (this.cancelLinger || this.lingerMs <= 0 || this.buffer.length === 0 || this.closed) return
    this.cancelLinger = this.clock.schedule(this.lingerMs, () => {
      this.cancelLinger = null
      this.pump(true)
    })
  }

  /** Starts batches while there is room in flight: full ones, and with `partial` a last smaller one. */
  private pump(partial: boolean): void {
    if (this.failure) return
    while (this.inFlightBatches < this.maxInFlight && (this.buffer.length >= this.batchSize || (partial && this.buffer.length > 0))) {
      const batch = this.buffer.splice(0, this.batchSize)
      this.inFlightBatches++
      this.inFlightItems += batch.length
      void this.send(batch)
    }
    if (this.buffer.length === 0) {
      this.cancelLinger?.()
      this.cancelLinger = null
    } else this.armLinger()
  }

  /** Writes one batch, retrying with backoff until the store takes it; never rejects. */
  private async send(batch: KvWrite[]): Promise<void> {
    let delay = this.retry.initialMs
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1 && this.closed) {
        this.buffer.unshift(...batch) // closed while backing off: not written, still pending
        break
      }
      try {
        const started = this.clock.now()
        await this.options.store.putItems(batch)
        this.lastWriteMs = this.clock.now() - started
        this.writeMsTotal += this.lastWriteMs
        this.writeBatches++
        this.written += batch.length
        break
      } catch (err) {
        const disk = diskFailure(err)
        const fatal =
          err instanceof RdgError && !err.retriable
            ? err
            : disk && attempt >= (this.options.diskAttempts ?? 4)
              ? new RdgError(
                  `the graph store cannot write: ${disk} (${(err as Error).message.split('\n')[0]})`,
                  false,
                  'free space on its disk or make it writable, or use another --store; the job resumes from its last checkpoint',
                )
              : null
        if (fatal || this.closed || this.failure) {
          // a failed or closed sink stops retrying; the batch stays pending (not written)
          this.failure ??= fatal
          this.buffer.unshift(...batch)
          break
        }
        this.retries++
        this.options.onRetry?.(err, attempt, delay)
        await this.clock.sleep(delay)
        delay = Math.min(this.retry.maxMs, delay * 2)
      }
    }
    this.inFlightBatches--
    this.inFlightItems -= batch.length
    if (!this.closed) this.pump(false)
    this.notify()
  }
}

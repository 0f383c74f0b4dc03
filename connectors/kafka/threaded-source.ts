/**
 * The Kafka source with its fetching off the job thread: a KafkaSource runs in a worker
 * thread (fetch-worker.ts), where kafkajs parses and decompresses record batches and
 * keeps the group membership, and the job thread receives each poll's records packed in
 * one transferred buffer (fetch-protocol.ts), the values views into it. kafkajs costs the
 * job thread ~4 µs per message in-thread; here the job thread pays a message round trip
 * per poll and one small object per record.
 *
 * Semantics are the KafkaSource's. The worker reads one batch ahead (it packs the next
 * while the engine works on this one), so the positions a checkpoint records are kept
 * here: each batch comes with the worker's positions after it, taken when it is handed
 * to the engine; assignment reports between polls drop revoked partitions (also from the
 * batch read ahead) and add newly started ones;
 * checkpoint completions go to the worker to commit; the worker's rebalance hook asks the
 * job thread for a checkpoint and waits for it; `prepareBatch` (the decoder fetching
 * unknown schema ids) runs here on the job thread. kafkajs' logs and the source's warnings
 * are forwarded to this thread's logger.
 *
 * @example
 * const source = createThreadedKafkaSource({ brokers: '127.0.0.1:9092', topic: 'playback-events', groupId: 'rdg-playback-events' })
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { ConfigError } from '../../base/errors.ts'
import { operatorId, type CheckpointId, type OperatorId } from '../../base/ids.ts'
import type { Source, SourceBatch, SourceContext, SourcePositions, SourceRecord } from '../../engine/connector.ts'
import { kafkaLogSinkNow, parseBrokers } from './client.ts'
import {
  deserializeError,
  unpackRecords,
  type FromWorker,
  type SourceState,
  type ToWorker,
  type WorkerSourceOptions,
} from './fetch-protocol.ts'
import type { KafkaLagView, KafkaSourceOptions } from './source.ts'

export type ThreadedKafkaSourceOptions = Omit<KafkaSourceOptions, 'clock' | 'onPositionsChanged'>

export function createThreadedKafkaSource(options: ThreadedKafkaSourceOptions): ThreadedKafkaSource {
  return new ThreadedKafkaSource(options)
}

/** The worker's entry: tsx registered in the worker's own thread, then fetch-worker.ts (workers do not inherit loader hooks). */
function workerScript(): string {
  const tsx = tsxApiUrl()
  const worker = new URL('./fetch-worker.ts', import.meta.url).href
  return `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(worker)}) })`
}

/** tsx's ESM API (its `import` export), from wherever rdg is installed. */
function tsxApiUrl(): string {
  try {
    return import.meta.resolve('tsx/esm/api')
  } catch {
    // a host without import.meta.resolve (vitest's module runner): the same file by tsx's export map
    return pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'esm', 'api', 'index.mjs')).href
  }
}

interface Pending {
  readonly resolve: (m: FromWorker) => void
  readonly reject: (err: Error) => void
}

export class ThreadedKafkaSource implements Source<Buffer> {
  readonly id: OperatorId
  private readonly brokers: string[]
  private worker: Worker | null = null
  private ctx: SourceContext | null = null
  /** What the engine has been handed: the checkpoint positions (kept here, since the worker reads one batch ahead). */
  private handed: Record<string, string> = {}
  private assigned: readonly number[] | null = null
  /** Batches read ahead, not handed to the engine yet, each with the worker's positions after it. */
  private readonly ahead: { records: SourceRecord<Buffer>[]; positions: SourcePositions }[] = []
  private reading: Promise<void> | null = null
  private maxRecords = 2_000
  private nextId = 0
  private readonly pending = new Map<number, Pending>()
  private opening: Pending | null = null
  private failure: Error | null = null

  constructor(private readonly options: ThreadedKafkaSourceOptions) {
    if (!options.topic) throw new ConfigError('Kafka source needs a topic')
    if (!options.groupId)
      throw new ConfigError('Kafka source needs a consumer group id', 'pass --group or let the CLI derive it from the topic')
    this.id = operatorId(options.id ?? `kafka-${options.topic}`)
    this.brokers = parseBrokers(options.brokers)
  }

  /** Partitions assigned to this member (as of the worker's last report). */
  get partitions(): readonly number[] {
    return this.assigned ?? []
  }

  /** For consumer-lag metrics, read off the hot path. */
  lagView(): KafkaLagView {
    return {
      topic: this.options.topic,
      brokers: this.brokers,
      partitions: this.partitions,
      positions: { ...this.handed },
      security: this.options.security,
    }
  }

  async open(ctx: SourceContext): Promise<void> {
    this.ctx = ctx
    const o = this.options
    const options: WorkerSourceOptions = {
      brokers: this.brokers,
      topic: o.topic,
      groupId: o.groupId,
      id: this.id,
      clientId: o.clientId ?? `rdg-${ctx.jobName}`,
      ...(o.start !== undefined ? { start: o.start } : {}),
      ...(o.maxBufferedRecords !== undefined ? { maxBufferedRecords: o.maxBufferedRecords } : {}),
      ...(o.pollTimeoutMs !== undefined ? { pollTimeoutMs: o.pollTimeoutMs } : {}),
      ...(o.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: o.sessionTimeoutMs } : {}),
      ...(o.rebalanceCheckpointTimeoutMs !== undefined ? { rebalanceCheckpointTimeoutMs: o.rebalanceCheckpointTimeoutMs } : {}),
      ...(o.logLevel !== undefined ? { logLevel: o.logLevel } : {}),
      ...(o.security ? { security: o.security.parts() } : {}),
    }
    const worker = new Worker(workerScript(), { eval: true })
    this.worker = worker
    worker.on('message', (m: FromWorker) => this.onMessage(m))
    worker.on('error', (err) => this.fail(err))
    worker.on('exit', (code) => {
      if (this.worker) this.fail(new Error(`the Kafka fetch worker of ${o.topic} exited (code ${code})`))
    })
    const opened = new Promise<FromWorker>((resolve, reject) => (this.opening = { resolve, reject }))
    this.send({
      t: 'open',
      options,
      jobName: ctx.jobName,
      restored: ctx.restoredPositions,
      routedLogLevel: kafkaLogSinkNow()?.level ?? null,
    })
    try {
      const m = await opened
      if (m.t === 'opened') this.takeState(m.state)
    } catch (err) {
      // the engine closes only sources that opened: a live worker would keep the process from exiting
      this.worker = null
      await worker.terminate()
      throw err
    }
  }

  async poll(maxRecords: number): Promise<SourceBatch<Buffer>> {
    this.maxRecords = maxRecords
    if (this.ahead.length === 0) await this.readAhead()
    const batch = this.ahead.shift()
    // while the engine works on this batch, the worker packs the next one
    this.readAhead().catch(() => undefined) // a failure is kept and thrown by the next poll
    if (!batch) return this.assigned ? { records: [], end: false, partitions: this.assigned } : { records: [], end: false }
    // kept partitions advance to where this batch leaves them; ones started since keep theirs
    // (a report of revoked partitions has already taken them out of this batch and of `handed`)
    this.handed = { ...this.handed, ...batch.positions }
    const records = batch.records
    if (records.length > 0 && this.options.prepareBatch) {
      const pending = this.options.prepareBatch(records)
      if (pending) await pending
    }
    return this.assigned ? { records, end: false, partitions: this.assigned } : { records, end: false }
  }

  /** Asks the worker for the next batch unless a request is out; resolves when it is in `ahead`. */
  private readAhead(): Promise<void> {
    this.reading ??= this.request((id) => ({ t: 'poll', id, max: this.maxRecords }))
      .then((m) => {
        if (m.t !== 'batch') throw new Error(`unexpected ${m.t} from the Kafka fetch worker`)
        this.ahead.push({ records: unpackRecords(m.packed), positions: m.state.positions })
      })
      .finally(() => (this.reading = null))
    return this.reading
  }

  /** The worker's assignment (and positions) as of a report: revoked partitions leave the batches read ahead and the positions; newly started ones join. */
  private takeState(state: SourceState): void {
    this.assigned = state.assigned
    for (const [p, o] of Object.entries(state.positions)) if (!(p in this.handed)) this.handed[p] = o
    this.dropUnassigned()
  }

  private dropUnassigned(): void {
    const assigned = this.assigned
    if (!assigned) return
    const owned = new Set(assigned)
    const ownedOnly = (positions: SourcePositions): Record<string, string> =>
      Object.fromEntries(Object.entries(positions).filter(([p]) => owned.has(Number(p))))
    this.handed = ownedOnly(this.handed)
    for (const b of this.ahead) {
      if (b.records.some((r) => !owned.has(r.partition))) b.records = b.records.filter((r) => owned.has(r.partition))
      b.positions = ownedOnly(b.positions)
    }
  }

  positions(): SourcePositions {
    return { ...this.handed } // a checkpoint keeps it; `handed` may change in place on a report
  }

  async notifyCheckpointComplete(id: CheckpointId, positions: SourcePositions, held: SourcePositions = {}): Promise<void> {
    this.send({ t: 'notify', checkpointId: id, positions, held })
  }

  /** Resolves when the worker's background offset commits have caught up (tests, shutdown). */
  async committed(): Promise<void> {
    await this.request((id) => ({ t: 'committed', id }))
  }

  async close(): Promise<void> {
    const worker = this.worker
    if (!worker) return
    if (!this.failure) await this.request((id) => ({ t: 'close', id })).catch(() => undefined)
    this.worker = null
    await worker.terminate()
  }

  private send(m: ToWorker): void {
    if (this.failure) throw this.failure
    this.worker!.postMessage(m)
  }

  private request(make: (id: number) => ToWorker): Promise<FromWorker> {
    if (this.failure) return Promise.reject(this.failure)
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.send(make(id))
    })
  }

  private onMessage(m: FromWorker): void {
    switch (m.t) {
      case 'opened':
        this.opening?.resolve(m)
        this.opening = null
        return
      case 'batch':
      case 'done':
        this.pending.get(m.id)?.resolve(m)
        this.pending.delete(m.id)
        return
      case 'failed': {
        const err = deserializeError(m.error)
        if (m.id === null) {
          this.opening?.reject(err)
          this.opening = null
        } else {
          this.pending.get(m.id)?.reject(err)
          this.pending.delete(m.id)
        }
        return
      }
      case 'assignment':
        this.takeState(m.state)
        return
      case 'checkpointNow':
        void this.ctx!.checkpointNow(m.reason)
          .catch(() => undefined) // the worker's source warns about its own failed rebalance checkpoints
          .finally(() => this.worker?.postMessage({ t: 'checkpointDone', id: m.id } satisfies ToWorker))
        return
      case 'warn':
        ;(this.options.warn ?? ((msg: string) => process.stderr.write(`rdg: ${msg}\n`)))(m.message)
        return
      case 'log':
        kafkaLogSinkNow()?.write(m.entry)
        return
    }
  }

  private fail(err: Error): void {
    this.failure ??= err
    this.opening?.reject(err)
    this.opening = null
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
  }
}

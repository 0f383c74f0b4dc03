/**
 * The Cassandra KV backend (cassandra-driver): one table per namespace (see
 * cassandra-schema.ts). Every write carries `USING TIMESTAMP <event time in µs>`, so
 * Cassandra's own reconciliation gives last-writer-wins across replays and retries, and
 * `USING TTL`; deletes are timed the same way and leave Cassandra's tombstones. Event
 * times are kept to the microsecond, TTLs to the second (rounded up).
 *
 * Writes are grouped per partition (record) into unlogged single-partition batches, which
 * Cassandra applies as one mutation; all statements are prepared, idempotent and run with
 * bounded concurrency at the configured consistency. Item keys sort in UTF-8 byte order,
 * as in the other backends.
 *
 * @example
 * const store = await CassandraKvStore.connect({ contactPoints: ['127.0.0.1:9042'], keyspace: 'rdg_graph' })
 * await store.putItems([{ namespace: 'edge.watched', recordId: 'p1', item: { key: 'title:t1', value: {}, eventTime: 5 } }])
 * await store.close()
 */
import cassandra from 'cassandra-driver'
import { systemClock, type Clock } from '../../base/clock.ts'
import { ConfigError, TransientError } from '../../base/errors.ts'
import {
  DEFAULT_PAGE_ITEMS,
  RecordReads,
  type KvDataStore,
  type KvPut,
  type PageQuery,
  type RecordPage,
  type ScanPage,
  type ScanQuery,
  type ScanRow,
  type StoredItem,
} from './api.ts'
import {
  checkEventTime,
  checkQuery,
  compareKeys,
  decodeToken,
  decodeValue,
  encodeToken,
  encodeValue,
  itemBytes,
  PageBuilder,
  resumeAfter,
  ttlOf,
} from './cells.ts'
import { classifyCassandraError, isMissingTable } from './cassandra-errors.ts'
import { CassandraSchema, type Replication } from './cassandra-schema.ts'
import { Limiter } from './limiter.ts'
import { checkName, NamespacePolicy, type NamespaceSettings } from './namespaces.ts'

const { Long } = cassandra.types
/** Tries of a read that fails transiently, and the first pause between them (doubling): 25 + 50 + 100 ms at most. */
const READ_ATTEMPTS = 4
const READ_RETRY_MS = 25

/** Consistency levels by their CQL names. */
export type ConsistencyName = 'ANY' | 'ONE' | 'TWO' | 'THREE' | 'QUORUM' | 'ALL' | 'LOCAL_QUORUM' | 'EACH_QUORUM' | 'LOCAL_ONE'

const CONSISTENCY: Record<ConsistencyName, number> = {
  ANY: cassandra.types.consistencies.any,
  ONE: cassandra.types.consistencies.one,
  TWO: cassandra.types.consistencies.two,
  THREE: cassandra.types.consistencies.three,
  QUORUM: cassandra.types.consistencies.quorum,
  ALL: cassandra.types.consistencies.all,
  LOCAL_QUORUM: cassandra.types.consistencies.localQuorum,
  EACH_QUORUM: cassandra.types.consistencies.eachQuorum,
  LOCAL_ONE: cassandra.types.consistencies.localOne,
}

export interface CassandraKvStoreOptions {
  /** `host:port` of one or more nodes of the cluster. */
  readonly contactPoints: readonly string[]
  /** Default 'datacenter1' (a single-node cluster's). */
  readonly localDataCenter?: string
  readonly keyspace: string
  /** Replication when rdg creates the keyspace. Default SimpleStrategy, factor 1. */
  readonly replication?: Replication
  /** Default LOCAL_QUORUM. */
  readonly readConsistency?: ConsistencyName
  /** Default LOCAL_QUORUM. */
  readonly writeConsistency?: ConsistencyName
  /** Requests in flight at once. Default 64. */
  readonly maxConcurrency?: number
  /** Statements per single-partition batch. Default 200. */
  readonly maxBatchStatements?: number
  /** Client-side timeout of one request. Default 12 000 ms. */
  readonly requestTimeoutMs?: number
  /** Reconnection backoff after a node went away. Default 200 ms doubling to 2 000 ms. */
  readonly reconnect?: { readonly baseMs: number; readonly maxMs: number }
  /** Namespace pattern → settings (default TTL). */
  readonly namespaces?: Readonly<Record<string, NamespaceSettings>>
  /** Processing time, for reporting expiry times. Default: the system clock. */
  readonly clock?: Clock
  /** Share a connected client between stores of one cluster; the store then leaves it open on close. */
  readonly client?: cassandra.Client
}

/** Where cassandra-driver's own log events go (level: verbose | info | warning | error). */
export type CassandraLogSink = (level: string, className: string, message: string) => void
let cassandraLogSink: CassandraLogSink | null = null

/** Routes the 'log' events of every client created from now on (the CLI passes its structured logger); null stops. */
export function setCassandraLogSink(sink: CassandraLogSink | null): void {
  cassandraLogSink = sink
}

/** Creates a client for a cluster (the stores of several keyspaces may share it). */
export function createCassandraClient(
  options: Pick<CassandraKvStoreOptions, 'contactPoints' | 'localDataCenter' | 'requestTimeoutMs' | 'reconnect'>,
): cassandra.Client {
  const client = newCassandraClient(options)
  const sink = cassandraLogSink
  if (sink) client.on('log', (level: string, className: string, message: string) => sink(level, className, message))
  return client
}

function newCassandraClient(
  options: Pick<CassandraKvStoreOptions, 'contactPoints' | 'localDataCenter' | 'requestTimeoutMs' | 'reconnect'>,
): cassandra.Client {
  if (options.contactPoints.length === 0) throw new ConfigError('no Cassandra contact points', 'pass host:port of at least one node')
  const reconnect = options.reconnect ?? { baseMs: 200, maxMs: 2_000 }
  return new cassandra.Client({
    contactPoints: [...options.contactPoints],
    localDataCenter: options.localDataCenter ?? 'datacenter1',
    socketOptions: { connectTimeout: 5_000, readTimeout: options.requestTimeoutMs ?? 12_000 },
    policies: { reconnection: new cassandra.policies.reconnection.ExponentialReconnectionPolicy(reconnect.baseMs, reconnect.maxMs, true) },
    queryOptions: { prepare: true, isIdempotent: true },
    protocolOptions: { maxSchemaAgreementWaitSeconds: 20 },
  })
}

const micros = (ms: number) => Long.fromNumber(Math.round(ms * 1_000))
const ttlSeconds = (ms: number) => (ms > 0 ? Math.max(1, Math.ceil(ms / 1_000)) : 0)

/** The least string above every string starting with `prefix`, in code point (= UTF-8) order; null if none. */
export function prefixUpperBound(prefix: string): string | null {
  const points = Array.from(prefix, (c) => c.codePointAt(0)!)
  while (points.length > 0) {
    let last = points.pop()! + 1
    if (last === 0xd800) last = 0xe000 // skip the surrogate range, not valid in UTF-8
    if (last <= 0x10ffff) return String.fromCodePoint(...points, last)
  }
  return null
}

/** A read of a namespace whose table does not exist (yet): it is empty. */
class MissingTable extends Error {}

interface Row {
  readonly item_key: string
  readonly value: Buffer
  readonly wt: cassandra.types.Long
  readonly ttl: number | null
  readonly record_id?: string
}

export class CassandraKvStore extends RecordReads implements KvDataStore {
  private readonly schema: CassandraSchema
  private readonly limiter: Limiter
  private readonly policy: NamespacePolicy
  private readonly clock: Clock
  private readonly read: number
  private readonly write: number
  private readonly maxBatch: number

  private constructor(
    private readonly client: cassandra.Client,
    private readonly ownsClient: boolean,
    options: CassandraKvStoreOptions,
  ) {
    super()
    this.schema = new CassandraSchema(client, options.keyspace, options.replication ?? { class: 'SimpleStrategy', replication_factor: 1 })
    this.limiter = new Limiter(options.maxConcurrency ?? 64)
    this.policy = new NamespacePolicy(options.namespaces)
    this.clock = options.clock ?? systemClock
    this.read = CONSISTENCY[options.readConsistency ?? 'LOCAL_QUORUM']
    this.write = CONSISTENCY[options.writeConsistency ?? 'LOCAL_QUORUM']
    this.maxBatch = options.maxBatchStatements ?? 200
    for (const [name, c] of [
      ['readConsistency', options.readConsistency],
      ['writeConsistency', options.writeConsistency],
    ] as const) {
      if (c !== undefined && CONSISTENCY[c] === undefined)
        throw new ConfigError(`unknown Cassandra ${name} "${c}"`, `use one of ${Object.keys(CONSISTENCY).join(', ')}`)
    }
  }

  /** Connects (or takes `options.client`) and returns the store; the keyspace is created on the first write. */
  static async connect(options: CassandraKvStoreOptions): Promise<CassandraKvStore> {
    const client = options.client ?? createCassandraClient(options)
    const store = new CassandraKvStore(client, !options.client, options)
    try {
      await client.connect()
    } catch (err) {
      if (!options.client) await client.shutdown().catch(() => {})
      if (err instanceof cassandra.errors.NoHostAvailableError) throw unreachable(options.contactPoints, err)
      throw classifyCassandraError(err, 'connect', '-')
    }
    return store
  }

  get keyspace(): string {
    return this.schema.keyspace
  }

  /** Runs one request under the concurrency bound, turning driver errors into rdg errors. */
  private async request<T>(operation: string, namespace: string, work: () => Promise<T>): Promise<T> {
    try {
      return await this.limiter.run(work)
    } catch (err) {
      if (isMissingTable(err)) throw new MissingTable(namespace)
      throw classifyCassandraError(err, operation, namespace)
    }
  }

  /**
   * One driver page of a SELECT; a namespace never written reads as empty. A transient
   * failure is tried again a few times (reads are idempotent): a table another process has
   * just created answers "Unknown CF" for a moment on the node that reads it.
   */
  private async fetch(
    namespace: string,
    cql: string,
    params: unknown[],
    fetchSize: number,
    pageState: string | undefined,
  ): Promise<{ rows: Row[]; pageState: string | null }> {
    for (let attempt = 1; ; attempt++) {
      try {
        const rs = await this.request('read', namespace, () =>
          this.client.execute(cql, params, {
            prepare: true,
            isIdempotent: true,
            consistency: this.read,
            fetchSize,
            ...(pageState ? { pageState } : {}),
          }),
        )
        return { rows: rs.rows as unknown as Row[], pageState: rs.pageState ?? null }
      } catch (err) {
        if (err instanceof MissingTable) return { rows: [], pageState: null }
        if (!(err instanceof TransientError) || attempt >= READ_ATTEMPTS) throw err
        await this.clock.sleep(READ_RETRY_MS * 2 ** (attempt - 1))
      }
    }
  }

  /** Statements of one partition go out as one unlogged batch (one mutation); partitions run concurrently. */
  private async writePartitions(namespace: string, groups: Map<string, Array<{ query: string; params: unknown[] }>>): Promise<void> {
    await this.request('schema', namespace, () => this.schema.ensureTable(namespace))
    const jobs: Promise<unknown>[] = []
    for (const statements of groups.values()) {
      for (let i = 0; i < statements.length; i += this.maxBatch) {
        const chunk = statements.slice(i, i + this.maxBatch)
        jobs.push(
          this.request('write', namespace, () =>
            chunk.length === 1
              ? this.client.execute(chunk[0]!.query, chunk[0]!.params, { prepare: true, isIdempotent: true, consistency: this.write })
              : this.client.batch(chunk, { prepare: true, logged: false, isIdempotent: true, consistency: this.write }),
          ),
        )
      }
    }
    const results = await Promise.allSettled(jobs)
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  }

  async putItems(writes: readonly KvPut[]): Promise<void> {
    const byNamespace = new Map<string, Map<string, Array<{ query: string; params: unknown[] }>>>()
    for (const w of writes) {
      checkName('namespace', w.namespace)
      checkName('record id', w.recordId)
      checkEventTime(w.item.eventTime)
      const query = `UPDATE ${this.schema.qualified(w.namespace)} USING TIMESTAMP ? AND TTL ? SET value = ? WHERE record_id = ? AND item_key = ?`
      const params = [micros(w.item.eventTime), ttlSeconds(ttlOf(w, this.policy)), encodeValue(w.item.value), w.recordId, w.item.key]
      let groups = byNamespace.get(w.namespace)
      if (!groups) byNamespace.set(w.namespace, (groups = new Map<string, Array<{ query: string; params: unknown[] }>>()))
      let statements = groups.get(w.recordId)
      if (!statements) groups.set(w.recordId, (statements = []))
      statements.push({ query, params })
    }
    await Promise.all([...byNamespace].map(([ns, groups]) => this.writePartitions(ns, groups)))
  }

  async deleteItems(namespace: string, recordId: string, itemKeys: readonly string[], eventTime: number): Promise<void> {
    checkName('namespace', namespace)
    checkName('record id', recordId)
    checkEventTime(eventTime)
    if (itemKeys.length === 0) return
    const query = `DELETE FROM ${this.schema.qualified(namespace)} USING TIMESTAMP ? WHERE record_id = ? AND item_key = ?`
    await this.writePartitions(namespace, new Map([[recordId, itemKeys.map((k) => ({ query, params: [micros(eventTime), recordId, k] }))]]))
  }

  async deleteRecord(namespace: string, recordId: string, eventTime: number): Promise<void> {
    checkName('namespace', namespace)
    checkName('record id', recordId)
    checkEventTime(eventTime)
    const query = `DELETE FROM ${this.schema.qualified(namespace)} USING TIMESTAMP ? WHERE record_id = ?`
    await this.writePartitions(namespace, new Map([[recordId, [{ query, params: [micros(eventTime), recordId] }]]]))
  }

  private toItem(row: Row, now: number): StoredItem {
    const item = { key: row.item_key, value: decodeValue(row.value), eventTime: row.wt.toNumber() / 1_000 }
    return row.ttl === null || row.ttl === undefined ? item : { ...item, expiresAt: now + row.ttl * 1_000 }
  }

  async readRecord(namespace: string, recordId: string, query: PageQuery = {}): Promise<RecordPage> {
    checkName('namespace', namespace)
    checkName('record id', recordId)
    checkQuery(query)
    const after = resumeAfter(query)
    const conditions: string[] = []
    const params: unknown[] = [recordId]
    let lower: string | null = null
    let upper: string | null = null
    if (query.prefix !== undefined) {
      lower = query.prefix
      upper = prefixUpperBound(query.prefix)
    } else if (query.range) {
      lower = query.range.from ?? null
      upper = query.range.to ?? null
    }
    if (query.keys) {
      const keys = [...new Set(query.keys)].filter((k) => after === null || compareKeys(k, after) > 0)
      if (keys.length === 0) return { items: [], next: null }
      conditions.push('item_key IN ?')
      params.push(keys)
    } else if (after !== null && (lower === null || compareKeys(after, lower) >= 0)) {
      conditions.push('item_key > ?')
      params.push(after)
    } else if (lower !== null && lower !== '') {
      conditions.push('item_key >= ?')
      params.push(lower)
    }
    if (upper !== null && !query.keys) {
      conditions.push('item_key < ?')
      params.push(upper)
    }
    const cql = `SELECT item_key, value, WRITETIME(value) AS wt, TTL(value) AS ttl FROM ${this.schema.qualified(namespace)} WHERE record_id = ?${conditions.map((c) => ` AND ${c}`).join('')}`
    const page = new PageBuilder(query)
    const now = this.clock.now()
    const limit = query.limit ?? DEFAULT_PAGE_ITEMS
    const token = (last: StoredItem) => encodeToken({ k: last.key })
    let state: string | undefined
    do {
      const { rows, pageState } = await this.fetch(namespace, cql, params, Math.min(limit + 1, 5_000), state)
      for (const row of rows)
        if (!page.offer(this.toItem(row, now), itemBytes(row.item_key, row.value.length))) return page.finish(true, token)
      state = pageState ?? undefined
    } while (state)
    return page.finish(false, token)
  }

  /** Pages follow the driver's paging; the token is (state that fetches the current driver page, rows of it already returned). */
  async scanNamespace(namespace: string, query: ScanQuery = {}): Promise<ScanPage> {
    checkName('namespace', namespace)
    checkQuery(query)
    const resume = query.pageToken ? decodeToken(query.pageToken, ['p', 's']) : { p: '', s: '0' }
    const cql = `SELECT record_id, item_key, value, WRITETIME(value) AS wt, TTL(value) AS ttl FROM ${this.schema.qualified(namespace)}`
    const limit = query.limit ?? DEFAULT_PAGE_ITEMS
    const page = new PageBuilder<ScanRow>(query)
    const now = this.clock.now()
    let state = resume.p ?? ''
    let skip = Number(resume.s ?? '0')
    for (;;) {
      const { rows, pageState } = await this.fetch(namespace, cql, [], limit, state || undefined)
      for (let i = skip; i < rows.length; i++) {
        const row = rows[i]!
        const item: ScanRow = { recordId: row.record_id!, ...this.toItem(row, now) }
        if (!page.offer(item, itemBytes(row.record_id!, 0) + itemBytes(row.item_key, row.value.length))) {
          const at = { p: state, s: String(i) }
          return page.finish(true, () => encodeToken(at))
        }
      }
      if (!pageState) return page.finish(false, () => '')
      state = pageState
      skip = 0
      if (page.isFull) return page.finish(true, () => encodeToken({ p: state, s: '0' }))
    }
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.shutdown()
  }
}

/** No contact point answered: one line naming them and the first reason (the driver's message embeds stack traces). */
function unreachable(contactPoints: readonly string[], err: InstanceType<typeof cassandra.errors.NoHostAvailableError>): ConfigError {
  const reasons = Object.values((err.innerErrors ?? {}) as Record<string, Error>)
  const first = reasons[0]?.message.split('\n')[0] ?? err.message.split('\n')[0]!
  return new ConfigError(
    `cannot reach Cassandra at ${contactPoints.join(', ')}: ${first}`,
    'check the host:port in --store cassandra:<host:port>/<keyspace> and that the cluster is up',
  )
}

/**
 * Namespace routing: a configuration names stores (an embedded RocksDB directory, a
 * Cassandra cluster + keyspace, memory) and maps namespaces — exact names or globs — to
 * them, with a default. `KvRouter` is itself a KV store that sends each namespace's
 * operations to its store, splitting batches per store and issuing the parts together.
 * Moving a hot namespace to its own cluster is one more route in the configuration.
 *
 * @example
 * const kv = await openKvRouter({
 *   stores: {
 *     local: { kind: 'rocksdb', path: '.rdg/graph' },
 *     hot: { kind: 'cassandra', contactPoints: ['10.0.0.5:9042'], keyspace: 'graph_hot' },
 *   },
 *   routes: { 'edge.started_watching*': 'hot' },
 *   default: 'local',
 *   namespaces: { 'edge.*': { ttlMs: 90 * 86_400_000 } },
 * })
 */
import type cassandra from 'cassandra-driver'
import type { Clock } from '../../base/clock.ts'
import { ConfigError } from '../../base/errors.ts'
import type { ItemQuery, KvDataStore, KvPut, PageQuery, RecordPage, RecordRequest, ScanPage, ScanQuery, StoredItem } from './api.ts'
import { CassandraKvStore, createCassandraClient, type ConsistencyName } from './cassandra-kv.ts'
import type { Replication } from './cassandra-schema.ts'
import { InMemoryKvStore } from './memory-kv.ts'
import { PatternTable, type NamespaceSettings } from './namespaces.ts'
import { RocksDbKvStore } from './rocksdb-kv.ts'

export type StoreSpec =
  | { readonly kind: 'memory' }
  | { readonly kind: 'rocksdb'; readonly path: string }
  | {
      readonly kind: 'cassandra'
      readonly contactPoints: readonly string[]
      readonly localDataCenter?: string
      readonly keyspace: string
      readonly replication?: Replication
      readonly readConsistency?: ConsistencyName
      readonly writeConsistency?: ConsistencyName
      readonly maxConcurrency?: number
    }

export interface KvRoutingConfig {
  /** Named stores. */
  readonly stores: Readonly<Record<string, StoreSpec>>
  /** Namespace pattern (exact or glob) → store name. */
  readonly routes?: Readonly<Record<string, string>>
  /** Store of namespaces no route matches. */
  readonly default: string
  /** Namespace pattern → settings (default TTL), applied by every store. */
  readonly namespaces?: Readonly<Record<string, NamespaceSettings>>
}

/** Checks a configuration (e.g. parsed from JSON) and returns it typed; every problem is one ConfigError line. */
export function parseKvConfig(raw: unknown): KvRoutingConfig {
  const where = 'KV configuration'
  if (!raw || typeof raw !== 'object') throw new ConfigError(`${where} must be an object with stores, routes and default`)
  const c = raw as Record<string, unknown>
  if (!c.stores || typeof c.stores !== 'object' || Object.keys(c.stores).length === 0)
    throw new ConfigError(`${where}: "stores" must name at least one store`)
  for (const [name, spec] of Object.entries(c.stores as Record<string, Record<string, unknown>>)) {
    const kind = spec?.kind
    if (kind === 'memory') continue
    if (kind === 'rocksdb') {
      if (typeof spec.path !== 'string' || !spec.path) throw new ConfigError(`${where}: store "${name}" (rocksdb) needs a "path"`)
      continue
    }
    if (kind === 'cassandra') {
      if (
        !Array.isArray(spec.contactPoints) ||
        spec.contactPoints.length === 0 ||
        !spec.contactPoints.every((p) => typeof p === 'string' && /^[^:]+:\d+$/.test(p))
      )
        throw new ConfigError(`${where}: store "${name}" (cassandra) needs "contactPoints" as ["host:port", …]`)
      if (typeof spec.keyspace !== 'string') throw new ConfigError(`${where}: store "${name}" (cassandra) needs a "keyspace"`)
      continue
    }
    throw new ConfigError(`${where}: store "${name}" has kind ${JSON.stringify(kind)}`, 'use "rocksdb", "cassandra" or "memory"')
  }
  const stores = c.stores as Record<string, StoreSpec>
  if (typeof c.default !== 'string' || !(c.default in stores))
    throw new ConfigError(`${where}: "default" must name one of the stores (${Object.keys(stores).join(', ')})`)
  for (const [pattern, target] of Object.entries((c.routes ?? {}) as Record<string, unknown>)) {
    if (typeof target !== 'string' || !(target in stores))
      throw new ConfigError(
        `${where}: route "${pattern}" goes to unknown store ${JSON.stringify(target)}`,
        `known stores: ${Object.keys(stores).join(', ')}`,
      )
  }
  return c as unknown as KvRoutingConfig
}

/** Groups items by a key, remembering each item's position. */
function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, Array<{ item: T; index: number }>> {
  const out = new Map<string, Array<{ item: T; index: number }>>()
  items.forEach((item, index) => {
    const k = keyOf(item)
    let list = out.get(k)
    if (!list) out.set(k, (list = []))
    list.push({ item, index })
  })
  return out
}

export class KvRouter implements KvDataStore {
  private readonly table: PatternTable<string>

  /** `stores` by name; `onClose` runs after the stores closed (shared clients). */
  constructor(
    private readonly stores: ReadonlyMap<string, KvDataStore>,
    routes: Readonly<Record<string, string>>,
    private readonly defaultStore: string,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {
    if (!stores.has(defaultStore))
      throw new ConfigError(`default store "${defaultStore}" is not among the stores (${[...stores.keys()].join(', ')})`)
    for (const [pattern, target] of Object.entries(routes))
      if (!stores.has(target)) throw new ConfigError(`route "${pattern}" goes to unknown store "${target}"`)
    this.table = new PatternTable(routes)
  }

  /** Name of the store a namespace lives in. */
  routeOf(namespace: string): string {
    return this.table.lookup(namespace) ?? this.defaultStore
  }

  storeFor(namespace: string): KvDataStore {
    return this.stores.get(this.routeOf(namespace))!
  }

  async putItems(writes: readonly KvPut[]): Promise<void> {
    await Promise.all(
      [...groupBy(writes, (w) => this.routeOf(w.namespace))].map(([name, list]) =>
        this.stores.get(name)!.putItems(list.map((l) => l.item)),
      ),
    )
  }

  getRecord(namespace: string, recordId: string, query?: ItemQuery): Promise<StoredItem[]> {
    return this.storeFor(namespace).getRecord(namespace, recordId, query)
  }

  getRecords(namespace: string, recordIds: readonly string[], query?: ItemQuery): Promise<Map<string, StoredItem[]>> {
    return this.storeFor(namespace).getRecords(namespace, recordIds, query)
  }

  readRecord(namespace: string, recordId: string, query?: PageQuery): Promise<RecordPage> {
    return this.storeFor(namespace).readRecord(namespace, recordId, query)
  }

  async readRecords(requests: readonly RecordRequest[]): Promise<RecordPage[]> {
    const out = new Array<RecordPage>(requests.length)
    await Promise.all(
      [...groupBy(requests, (r) => this.routeOf(r.namespace))].map(async ([name, list]) => {
        const pages = await this.stores.get(name)!.readRecords(list.map((l) => l.item))
        list.forEach((l, i) => (out[l.index] = pages[i]!))
      }),
    )
    return out
  }

  deleteItems(namespace: string, recordId: string, itemKeys: readonly string[], eventTime: number): Promise<void> {
    return this.storeFor(namespace).deleteItems(namespace, recordId, itemKeys, eventTime)
  }

  deleteRecord(namespace: string, recordId: string, eventTime: number): Promise<void> {
    return this.storeFor(namespace).deleteRecord(namespace, recordId, eventTime)
  }

  scanNamespace(namespace: string, query?: ScanQuery): Promise<ScanPage> {
    return this.storeFor(namespace).scanNamespace(namespace, query)
  }

  async close(): Promise<void> {
    await Promise.all([...this.stores.values()].map((s) => s.close()))
    await this.onClose()
  }
}

/** Opens every store of a configuration (Cassandra stores of one cluster share a client) and routes over them. */
export async function openKvRouter(rawConfig: KvRoutingConfig, options: { readonly clock?: Clock } = {}): Promise<KvRouter> {
  const config = parseKvConfig(rawConfig)
  const clients = new Map<string, cassandra.Client>()
  const stores = new Map<string, KvDataStore>()
  const common = { ...(options.clock ? { clock: options.clock } : {}), ...(config.namespaces ? { namespaces: config.namespaces } : {}) }
  const closeAll = async () => {
    await Promise.all([...stores.values()].map((s) => s.close().catch(() => {})))
    await Promise.all([...clients.values()].map((c) => c.shutdown().catch(() => {})))
  }
  try {
    for (const [name, spec] of Object.entries(config.stores)) {
      if (spec.kind === 'memory') stores.set(name, new InMemoryKvStore(common))
      else if (spec.kind === 'rocksdb') stores.set(name, await RocksDbKvStore.open(spec.path, common))
      else {
        const cluster = `${[...spec.contactPoints].sort().join(',')}/${spec.localDataCenter ?? ''}`
        let client = clients.get(cluster)
        if (!client) clients.set(cluster, (client = createCassandraClient(spec)))
        const { kind: _kind, ...rest } = spec
        stores.set(name, await CassandraKvStore.connect({ ...rest, ...common, client }))
      }
    }
  } catch (err) {
    await closeAll()
    throw err
  }
  return new KvRouter(stores, config.routes ?? {}, config.default, async () => {
    await Promise.all([...clients.values()].map((c) => c.shutdown()))
  })
}

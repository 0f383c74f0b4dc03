/**
 * The graph query service: `createGraphServer` builds an HttpServer with the graph routes
 * (routes.ts), `/openapi.json`, `/healthz` and `/metrics`, reading through a bounded
 * read-aside cache (store/read-cache.ts) in front of the store. It does not listen yet.
 *
 * Mounting more on the same server: `server.http.route(method, pattern, handler)` adds a
 * route (e.g. a dashboard of the running job); `server.metrics.gauge(name, help, read)`
 * adds a value to `/metrics` (e.g. a job's records/s). `rdg-job serve` and
 * `rdg-job run --serve` both build their server here.
 *
 * Staleness: a reply reflects the store as of at most `cacheTtlMs` ago (default 1 000 ms).
 * When the job writes through `server.store` (run --serve) its writes drop the cached
 * records at once; on a shared store (Cassandra, another process writing) the TTL bounds it.
 *
 * @example
 * const server = createGraphServer({ store, schema })
 * server.http.route('GET', '/v1/job', () => ({ body: { running: true } }))
 * const { port } = await server.listen('127.0.0.1', 8080)
 * await server.close() // leaves `store` open: its owner closes it
 */
import type { AddressInfo } from 'node:net'
import { systemClock, type Clock } from '../base/clock.ts'
import { GraphQuery } from '../store/graph-query.ts'
import type { KvDataStore } from '../store/kv/api.ts'
import { CachedKvStore } from '../store/read-cache.ts'
import type { GraphSchema } from '../graph/schema.ts'
import { HttpServer } from './http.ts'
import { resolveLimits, type ServingLimits } from './limits.ts'
import { ServingMetrics } from './metrics.ts'
import { openApiDocument } from './openapi.ts'
import { graphRoutes } from './routes.ts'

export interface GraphServerOptions {
  readonly store: KvDataStore
  readonly schema: GraphSchema
  readonly limits?: Partial<ServingLimits>
  /** Read-aside cache entry lifetime (the staleness bound); 0 turns the cache off. Default 1 000 ms. */
  readonly cacheTtlMs?: number
  /** Cached pages. Default 10 000. */
  readonly cacheEntries?: number
  /** Only pages of at least this many items are cached (a wide node's list, not a node's properties). Default 32. */
  readonly cacheMinItems?: number
  readonly clock?: Clock
}

export interface GraphServer {
  readonly http: HttpServer
  readonly metrics: ServingMetrics
  /** The cached store the routes read; write through it to invalidate what you write. */
  readonly store: CachedKvStore
  readonly limits: ServingLimits
  listen(host: string, port: number): Promise<AddressInfo>
  close(): Promise<void>
}

export function createGraphServer(options: GraphServerOptions): GraphServer {
  const clock = options.clock ?? systemClock
  const limits = resolveLimits(options.limits)
  const metrics = new ServingMetrics()
  const store = new CachedKvStore(options.store, {
    ttlMs: options.cacheTtlMs ?? 1_000,
    maxEntries: options.cacheEntries ?? 10_000,
    minItems: options.cacheMinItems ?? 32,
    clock,
  })
  const http = new HttpServer({ limits, clock, onFinished: (f) => metrics.observe(f) })
  const query = new GraphQuery(store, options.schema, { clock })
  graphRoutes(http, { query, schema: options.schema, limits })
  const doc = openApiDocument(options.schema, limits)
  http.route('GET', '/openapi.json', () => ({ body: doc }))
  http.route('GET', '/healthz', () => ({ body: { status: 'ok' } }))
  http.route('GET', '/metrics', () => ({ body: metrics.render(), contentType: 'text/plain; version=0.0.4; charset=utf-8' }))
  metrics.gauge('rdg_read_cache_hits_total', 'read-aside cache hits', () => store.stats.hits, 'counter')
  metrics.gauge('rdg_read_cache_misses_total', 'read-aside cache misses', () => store.stats.misses, 'counter')
  metrics.gauge('rdg_read_cache_entries', 'pages in the read-aside cache', () => store.stats.entries)
  metrics.gauge('rdg_read_cache_ttl_seconds', 'staleness bound of the read-aside cache', () => store.ttlMs / 1_000)
  return {
    http,
    metrics,
    store,
    limits,
    listen: (host, port) => http.listen(host, port),
    close: () => http.close(),
  }
}

/** `host:port` (or `:port`, or a bare port: 127.0.0.1) → its parts; null when malformed. */
export function parseListen(text: string): { host: string; port: number } | null {
  const m = /^(?:(\[[0-9a-fA-F:]+\]|[^:]+)?:)?(\d{1,5})$/.exec(text.trim())
  if (!m) return null
  const port = Number(m[2])
  if (port > 65_535) return null
  return { host: m[1] ? m[1].replace(/^\[|\]$/g, '') : '127.0.0.1', port }
}

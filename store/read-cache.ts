/**
 * A bounded read-aside cache in front of any KV store, for the hot records of a graph
 * being served (a popular title's adjacency list, a node read by every request).
 *
 * What it caches: pages of `readRecord`/`readRecords` (a node's properties, one page of an
 * adjacency list), keyed by namespace, record id and the exact query. Misses of a batch go
 * to the store together, as one `readRecords`.
 *
 * Staleness bound: an entry lives at most `ttlMs` (default 1 000 ms) of the clock after it
 * was read, so a reader sees a write no later than `ttlMs` after the store has it. Writes
 * that go through this wrapper (`putItems`, deletes: a job writing into the store the
 * server reads, `rdg-job run --serve`) drop the records they touch at once, so in-process
 * readers see them without waiting for the TTL. Bounded by `maxEntries` (default 10 000)
 * and `maxItems` (default 1 000 000 cached items); the least recently used go first.
 * `minItems` leaves small pages out (cheap to read again).
 *
 * @example
 * const cached = new CachedKvStore(store, { ttlMs: 500, maxEntries: 50_000 })
 * const g = new GraphQuery(cached, schema)
 * await cached.putItems(writes) // invalidates the records written
 */
import { systemClock, type Clock } from '../base/clock.ts'
import type { ItemQuery, KvDataStore, KvPut, PageQuery, RecordPage, RecordRequest, ScanPage, ScanQuery, StoredItem } from './kv/api.ts'

export interface ReadCacheOptions {
  /** How long an entry may be served after it was read (the staleness bound). Default 1 000 ms. */
  readonly ttlMs?: number
  /** At most this many cached pages. Default 10 000. */
  readonly maxEntries?: number
  /** At most this many items over all cached pages. Default 1 000 000. */
  readonly maxItems?: number
  /**
   * Only pages of at least this many items are kept. Default 0 (all). A page of a few items
   * is about as cheap to read again as to look up, and caching every random read costs
   * (entries that are never hit, evictions, old-generation garbage).
   */
  readonly minItems?: number
  readonly clock?: Clock
}

interface Entry {
  readonly page: RecordPage
  readonly expiresAt: number
  readonly record: string
}

export interface ReadCacheStats {
  hits: number
  misses: number
  evictions: number
  invalidations: number
  entries: number
}

const recordKey = (namespace: string, recordId: string) => `${namespace}\u0000${recordId}`

export class CachedKvStore implements KvDataStore {
  readonly ttlMs: number
  private readonly maxEntries: number
  private readonly maxItems: number
  private readonly minItems: number
  private readonly clock: Clock
  /** Insertion order = recency order (a hit re-inserts). */
  private readonly entries = new Map<string, Entry>()
  /** Record → the cache keys of its pages, for invalidation. */
  private readonly byRecord = new Map<string, Set<string>>()
  private items = 0
  readonly stats: ReadCacheStats = { hits: 0, misses: 0, evictions: 0, invalidations: 0, entries: 0 }

  constructor(
    readonly inner: KvDataStore,
    options: ReadCacheOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 1_000
    this.maxEntries = options.maxEntries ?? 10_000
    this.maxItems = options.maxItems ?? 1_000_000
    this.minItems = options.minItems ?? 0
    this.clock = options.clock ?? systemClock
  }

  private lookup(key: string, now: number): RecordPage | null {
    const e = this.entries.get(key)
    if (!e) return null
    if (e.expiresAt <= now) {
      this.drop(key)
      return null
    }
    this.entries.delete(key)
    this.entries.set(key, e)
    return e.page
  }

  private remember(key: string, record: string, page: RecordPage, now: number): void {
    if (this.ttlMs <= 0 || this.maxEntries <= 0 || page.items.length > this.maxItems || page.items.length < this.minItems) return
    this.drop(key)
    this.entries.set(key, { page, expiresAt: now + this.ttlMs, record })
    let keys = this.byRecord.get(record)
    if (!keys) this.byRecord.set(record, (keys = new Set()))
    keys.add(key)
    this.items += page.items.length
    while (this.entries.size > this.maxEntries || this.items > this.maxItems) {
      const oldest = this.entries.keys().next().value as string
      this.drop(oldest)
      this.stats.evictions++
    }
    this.stats.entries = this.entries.size
  }

  private drop(key: string): void {
    const e = this.entries.get(key)
    if (!e) return
    this.entries.delete(key)
    this.items -= e.page.items.length
    const keys = this.byRecord.get(e.record)
    keys?.delete(key)
    if (keys?.size === 0) this.byRecord.delete(e.record)
    this.stats.entries = this.entries.size
  }

  /** Drops every cached page of a record. */
  invalidate(namespace: string, recordId: string): void {
    const keys = this.byRecord.get(recordKey(namespace, recordId))
    if (!keys) return
    for (const k of [...keys]) this.drop(k)
    this.stats.invalidations++
  }

  /** Drops everything. */
  clear(): void {
    this.entries.clear()
    this.byRecord.clear()
    this.items = 0
    this.stats.entries = 0
  }

  async readRecords(requests: readonly RecordRequest[]): Promise<RecordPage[]> {
    const now = this.clock.now()
    const out: Array<RecordPage | null> = new Array<RecordPage | null>(requests.length).fill(null)
    const missing: number[] = []
    const keys = requests.map((r) => `${recordKey(r.namespace, r.recordId)}\u0000${JSON.stringify(r.query ?? {})}`)
    requests.forEach((_, i) => {
      const hit = this.lookup(keys[i]!, now)
      if (hit) {
        out[i] = hit
        this.stats.hits++
      } else {
        missing.push(i)
        this.stats.misses++
      }
    })
    if (missing.length > 0) {
      const pages = await this.inner.readRecords(missing.map((i) => requests[i]!))
      missing.forEach((i, n) => {
        out[i] = pages[n]!
        this.remember(keys[i]!, recordKey(requests[i]!.namespace, requests[i]!.recordId), pages[n]!, now)
      })
    }
    return out as RecordPage[]
  }

  async readRecord(namespace: string, recordId: string, query?: PageQuery): Promise<RecordPage> {
    return (await this.readRecords([{ namespace, recordId, ...(query ? { query } : {}) }]))[0]!
  }

  getRecord(namespace: string, recordId: string, query?: ItemQuery): Promise<StoredItem[]> {
    return this.inner.getRecord(namespace, recordId, query)
  }

  getRecords(namespace: string, recordIds: readonly string[], query?: ItemQuery): Promise<Map<string, StoredItem[]>> {
    return this.inner.getRecords(namespace, recordIds, query)
  }

  async putItems(writes: readonly KvPut[]): Promise<void> {
    await this.inner.putItems(writes)
    for (const w of writes) this.invalidate(w.namespace, w.recordId)
  }

  async deleteItems(namespace: string, recordId: string, itemKeys: readonly string[], eventTime: number): Promise<void> {
    await this.inner.deleteItems(namespace, recordId, itemKeys, eventTime)
    this.invalidate(namespace, recordId)
  }

  async deleteRecord(namespace: string, recordId: string, eventTime: number): Promise<void> {
    await this.inner.deleteRecord(namespace, recordId, eventTime)
    this.invalidate(namespace, recordId)
  }

  scanNamespace(namespace: string, query?: ScanQuery): Promise<ScanPage> {
    return this.inner.scanNamespace(namespace, query)
  }

  close(): Promise<void> {
    this.clear()
    return this.inner.close()
  }
}

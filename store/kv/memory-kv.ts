/**
 * The in-memory KV backend, for tests and as a reference: the full KV API (LWW by event
 * time with tombstones, TTL, selectors, pages, scans) over plain maps. Its `dump()` has the
 * same shape as the minimal MemoryKvStore's, so golden files compare either.
 *
 * @example
 * const store = new InMemoryKvStore({ clock: new ManualClock(0), namespaces: { 'edge.*': { ttlMs: 60_000 } } })
 * await store.putItems([{ namespace: 'edge.watched', recordId: 'p1', item: { key: 'title:t1', value: {}, eventTime: 5 } }])
 */
import { systemClock, type Clock } from '../../base/clock.ts'
import {
  DEFAULT_PAGE_ITEMS,
  RecordReads,
  type KvDataStore,
  type KvItem,
  type KvPut,
  type PageQuery,
  type RecordPage,
  type ScanPage,
  type ScanQuery,
  type ScanRow,
} from './api.ts'
import {
  checkEventTime,
  checkQuery,
  compareKeys,
  decodeToken,
  encodeToken,
  isLive,
  itemBytes,
  PageBuilder,
  putCell,
  resumeAfter,
  selects,
  supersedes,
  toItem,
  tombstone,
  type Cell,
} from './cells.ts'
import { checkName, NamespacePolicy, type NamespaceSettings } from './namespaces.ts'

export interface InMemoryKvStoreOptions {
  /** Processing time for TTLs. Default: the system clock. */
  readonly clock?: Clock
  /** Namespace pattern → settings (default TTL). */
  readonly namespaces?: Readonly<Record<string, NamespaceSettings>>
}

interface MemRecord {
  deletedAt: number | null
  readonly cells: Map<string, Cell>
}

export class InMemoryKvStore extends RecordReads implements KvDataStore {
  private readonly data = new Map<string, Map<string, MemRecord>>()
  private readonly clock: Clock
  private readonly policy: NamespacePolicy

  constructor(options: InMemoryKvStoreOptions = {}) {
    super()
    this.clock = options.clock ?? systemClock
    this.policy = new NamespacePolicy(options.namespaces)
  }

  private record(namespace: string, recordId: string, create: boolean): MemRecord | undefined {
    checkName('namespace', namespace)
    checkName('record id', recordId)
    let ns = this.data.get(namespace)
    if (!ns) {
      if (!create) return undefined
      this.data.set(namespace, (ns = new Map<string, MemRecord>()))
    }
    let rec = ns.get(recordId)
    if (!rec && create) ns.set(recordId, (rec = { deletedAt: null, cells: new Map() }))
    return rec
  }

  private apply(rec: MemRecord, key: string, cell: Cell): void {
    if (rec.deletedAt !== null && cell.eventTime <= rec.deletedAt) return
    const stored = rec.cells.get(key)
    if (!stored || supersedes(stored, cell)) rec.cells.set(key, cell)
  }

  async putItems(writes: readonly KvPut[]): Promise<void> {
    const now = this.clock.now()
    for (const w of writes) this.apply(this.record(w.namespace, w.recordId, true)!, w.item.key, putCell(w, this.policy, now))
  }

  async deleteItems(namespace: string, recordId: string, itemKeys: readonly string[], eventTime: number): Promise<void> {
    const rec = this.record(namespace, recordId, true)!
    for (const key of itemKeys) this.apply(rec, key, tombstone(eventTime))
  }

  async deleteRecord(namespace: string, recordId: string, eventTime: number): Promise<void> {
    checkEventTime(eventTime)
    const rec = this.record(namespace, recordId, true)!
    rec.deletedAt = Math.max(rec.deletedAt ?? Number.NEGATIVE_INFINITY, eventTime)
    for (const [key, cell] of rec.cells) if (cell.eventTime <= rec.deletedAt) rec.cells.delete(key)
  }

  /** The record's cells in key order. */
  private sorted(rec: MemRecord): Array<[string, Cell]> {
    return [...rec.cells].sort((a, b) => compareKeys(a[0], b[0]))
  }

  async readRecord(namespace: string, recordId: string, query: PageQuery = {}): Promise<RecordPage> {
    checkQuery(query)
    const rec = this.record(namespace, recordId, false)
    const page = new PageBuilder(query)
    if (!rec) return page.finish(false, () => '')
    const after = resumeAfter(query)
    const now = this.clock.now()
    let more = false
    for (const [key, cell] of this.sorted(rec)) {
      if ((after !== null && compareKeys(key, after) <= 0) || !selects(query, key) || !isLive(cell, now, rec.deletedAt)) continue
      if (!page.offer(toItem(key, cell), itemBytes(key, cell.value.length))) {
        more = true
        break
      }
    }
    return page.finish(more, (last) => encodeToken({ k: last.key }))
  }

  async scanNamespace(namespace: string, query: ScanQuery = {}): Promise<ScanPage> {
    checkQuery(query)
    checkName('namespace', namespace)
    const page = new PageBuilder<ScanRow>({
      limit: query.limit ?? DEFAULT_PAGE_ITEMS,
      ...(query.maxBytes !== undefined ? { maxBytes: query.maxBytes } : {}),
    })
    const ns = this.data.get(namespace)
    if (!ns) return page.finish(false, () => '')
    const after = query.pageToken ? decodeToken(query.pageToken, ['r', 'k']) : null
    const now = this.clock.now()
    let more = false
    outer: for (const recordId of [...ns.keys()].sort(compareKeys)) {
      if (after && compareKeys(recordId, after.r!) < 0) continue
      const rec = ns.get(recordId)!
      for (const [key, cell] of this.sorted(rec)) {
        if (after && recordId === after.r && compareKeys(key, after.k!) <= 0) continue
        if (!isLive(cell, now, rec.deletedAt)) continue
        if (!page.offer({ recordId, ...toItem(key, cell) }, itemBytes(recordId, 0) + itemBytes(key, cell.value.length))) {
          more = true
          break outer
        }
      }
    }
    return page.finish(more, (last) => encodeToken({ r: last.recordId, k: last.key }))
  }

  /** Every live item: namespace → record → item key → item (the minimal MemoryKvStore's shape). */
  dump(): Record<string, Record<string, Record<string, KvItem>>> {
    const out: Record<string, Record<string, Record<string, KvItem>>> = {}
    const now = this.clock.now()
    for (const [ns, recs] of this.data) {
      for (const [id, rec] of recs) {
        for (const [key, cell] of this.sorted(rec)) {
          if (!isLive(cell, now, rec.deletedAt)) continue
          ;((out[ns] ??= {})[id] ??= {})[key] = toItem(key, cell)
        }
      }
    }
    return out
  }

  async close(): Promise<void> {}
}

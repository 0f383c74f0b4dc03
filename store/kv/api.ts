/**
 * The KV data abstraction (after Netflix's KV DAL) that every backend implements.
 *
 * Data model: namespace → record id → items sorted by item key (UTF-8 byte order). An item
 * holds a value (JSON-compatible data, or raw bytes as a Uint8Array) and the event time
 * that wrote it. Every mutation carries an event time and the store keeps, per item, the
 * one with the greatest time (last-writer-wins), so replays and backfills never roll data
 * back. Deletes are timed too and leave tombstones, so a replayed older put does not
 * resurrect what a newer delete removed. Equal times resolve as Cassandra does: a delete
 * wins, then a value with a TTL, then the later expiry, then the greater value bytes —
 * the same answer in every backend and in any arrival order.
 *
 * TTL: `item.ttlMs`, else the put's `recordTtlMs`, else the namespace default of the
 * store's configuration, else none; 0 means "never expires" and overrides a default. A
 * TTL counts from when the store receives the write.
 *
 * @example
 * await store.putItems([{ namespace: 'edge.watched', recordId: 'p1', item: { key: 'title:t1', value: { pos: 10 }, eventTime: 1_000, ttlMs: 86_400_000 } }])
 * const page = await store.readRecord('edge.watched', 'p1', { prefix: 'title:', limit: 100 })
 * const more = page.next ? await store.readRecord('edge.watched', 'p1', { prefix: 'title:', limit: 100, pageToken: page.next }) : null
 * await store.deleteItems('edge.watched', 'p1', ['title:t1'], 2_000)
 */
/** An item of a record: its key, value and the event time that wrote it. */
export interface KvItem {
  readonly key: string
  readonly value: unknown
  readonly eventTime: number
}

/** One item to upsert into a namespace's record. */
export interface KvWrite {
  readonly namespace: string
  readonly recordId: string
  readonly item: KvItem
  /**
   * The item's key determines its value and event time, and it is never deleted on its
   * own (an index entry): last-writer-wins cannot change what is stored, so a backend may
   * write it without reading the stored version first.
   */
  readonly immutable?: boolean
}

/** An item as read back: `expiresAt` (epoch ms) is set when it has a TTL (Cassandra knows it to the second). */
export interface StoredItem extends KvItem {
  readonly expiresAt?: number
}

/** One item to upsert into a record. */
export interface KvPut extends KvWrite {
  readonly item: KvItem & {
    /** TTL of this item; 0 = never expires. */
    readonly ttlMs?: number
  }
  /** TTL for the items of this put into the record that carry no TTL of their own; 0 = never expires. */
  readonly recordTtlMs?: number
}

/**
 * Which items of a record to read. At most one of `keys`, `prefix`, `range`; none = all.
 * `limit` caps the items returned.
 */
export interface ItemQuery {
  /** Only items whose key starts with this. */
  readonly prefix?: string
  /** At most this many items (in item-key order). */
  readonly limit?: number
  /** Exactly these item keys (missing ones are left out). */
  readonly keys?: readonly string[]
  /** Item keys in [from, to): `from` inclusive, `to` exclusive; either may be left open. */
  readonly range?: { readonly from?: string; readonly to?: string }
}

/** One page of a record: at most `limit` items and about `maxBytes` bytes (always at least one item). */
export interface PageQuery extends ItemQuery {
  /** Items per page. Default 1 000. */
  readonly limit?: number
  /** Bytes per page (item keys + encoded values); a page holds at least one item. */
  readonly maxBytes?: number
  /** The `next` token of the previous page, to resume after it. */
  readonly pageToken?: string | null
}

export interface RecordPage {
  readonly items: StoredItem[]
  /** Opaque token for the next page, or null when this was the last one. */
  readonly next: string | null
}

/** One record read of a batch (e.g. one lookup of a traversal hop). */
export interface RecordRequest {
  readonly namespace: string
  readonly recordId: string
  readonly query?: PageQuery
}

export interface ScanQuery {
  /** Items per page. Default 1 000. */
  readonly limit?: number
  readonly maxBytes?: number
  readonly pageToken?: string | null
}

/** An item found by a namespace scan, with the record it belongs to. */
export interface ScanRow extends StoredItem {
  readonly recordId: string
}

/** A page of a namespace scan. Items of one record are contiguous and in item-key order; records come in backend order. */
export interface ScanPage {
  readonly items: ScanRow[]
  readonly next: string | null
}

export interface KvDataStore {
  /** Upserts items, last-writer-wins by event time. Resolves once they are durable. */
  putItems(writes: readonly KvPut[]): Promise<void>
  /** Every item of a record matching the query (following pages internally), in item-key order. */
  getRecord(namespace: string, recordId: string, query?: ItemQuery): Promise<StoredItem[]>
  /** `getRecord` for several records of a namespace, issued together. */
  getRecords(namespace: string, recordIds: readonly string[], query?: ItemQuery): Promise<Map<string, StoredItem[]>>
  /** One page of a record. */
  readRecord(namespace: string, recordId: string, query?: PageQuery): Promise<RecordPage>
  /** One page of each of several records (any namespaces), issued together; results in request order. */
  readRecords(requests: readonly RecordRequest[]): Promise<RecordPage[]>
  /** Deletes items as of `eventTime`: puts of those items at or before it stay invisible. */
  deleteItems(namespace: string, recordId: string, itemKeys: readonly string[], eventTime: number): Promise<void>
  /** Deletes a whole record as of `eventTime`: its items written at or before it are gone, later ones stay. */
  deleteRecord(namespace: string, recordId: string, eventTime: number): Promise<void>
  /** One page of all live items of a namespace. */
  scanNamespace(namespace: string, query?: ScanQuery): Promise<ScanPage>
  close(): Promise<void>
}

/** Default page size in items. */
export const DEFAULT_PAGE_ITEMS = 1_000

/**
 * The reads every backend derives from `readRecord` the same way: several pages issued
 * together, a whole record (all pages), several whole records.
 */
export abstract class RecordReads {
  abstract readRecord(namespace: string, recordId: string, query?: PageQuery): Promise<RecordPage>

  readRecords(requests: readonly RecordRequest[]): Promise<RecordPage[]> {
    return Promise.all(requests.map((r) => this.readRecord(r.namespace, r.recordId, r.query)))
  }

  async getRecord(namespace: string, recordId: string, query: ItemQuery = {}): Promise<StoredItem[]> {
    // The whole record in one page: a caller's page bounds (a PageQuery passed as ItemQuery) do not apply.
    const { maxBytes: _pageBytes, ...items } = query as PageQuery
    const page = await this.readRecord(namespace, recordId, { ...items, limit: query.limit ?? Number.MAX_SAFE_INTEGER, pageToken: null })
    return page.items
  }

  async getRecords(namespace: string, recordIds: readonly string[], query?: ItemQuery): Promise<Map<string, StoredItem[]>> {
    const results = await Promise.all(recordIds.map((id) => this.getRecord(namespace, id, query)))
    return new Map(recordIds.map((id, i) => [id, results[i]!]))
  }
}

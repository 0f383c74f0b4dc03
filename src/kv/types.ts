/**
 * The KV data abstraction (after Netflix's): namespace → record id → items sorted by
 * item key, each with a value and the event time that wrote it. Writes are upserts with
 * last-writer-wins by event time, so replays and backfills never roll data back.
 *
 * @example
 * await store.putItems([{ namespace: 'node.account', recordId: 'a1', item: { key: 'props', value: {}, eventTime: 1 } }])
 * const items = await store.getRecord('node.account', 'a1')
 */

export interface KvItem {
  readonly key: string
  readonly value: unknown
  readonly eventTime: number
}

export interface KvWrite {
  readonly namespace: string
  readonly recordId: string
  readonly item: KvItem
}

export interface RecordQuery {
  /** Only items whose key starts with this. */
  readonly prefix?: string
  /** At most this many items (in item-key order). */
  readonly limit?: number
}

export interface KvStore {
  /** Upserts items; an item older (by event time) than the stored one is ignored. */
  putItems(writes: readonly KvWrite[]): Promise<void>
  getRecord(namespace: string, recordId: string, query?: RecordQuery): Promise<KvItem[]>
  /** Several records of a namespace at once (one traversal hop). */
  getRecords(namespace: string, recordIds: readonly string[], query?: RecordQuery): Promise<Map<string, KvItem[]>>
  close(): Promise<void>
}

/** Keeps the newer of two writes to one item (ties: the later write wins, so a replay is idempotent). */
export function newerOf(stored: KvItem | undefined, incoming: KvItem): boolean {
  return stored === undefined || incoming.eventTime >= stored.eventTime
}

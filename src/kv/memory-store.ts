/**
 * An in-memory KV store, for tests.
 *
 * @example
 * const store = new MemoryKvStore()
 */
import { newerOf, type KvItem, type KvStore, type KvWrite, type RecordQuery } from './types.ts'

export class MemoryKvStore implements KvStore {
  private readonly data = new Map<string, Map<string, Map<string, KvItem>>>()

  async putItems(writes: readonly KvWrite[]): Promise<void> {
    for (const w of writes) {
      let ns = this.data.get(w.namespace)
      if (!ns) this.data.set(w.namespace, (ns = new Map()))
      let rec = ns.get(w.recordId)
      if (!rec) ns.set(w.recordId, (rec = new Map()))
      if (newerOf(rec.get(w.item.key), w.item)) rec.set(w.item.key, w.item)
    }
  }

  async getRecord(namespace: string, recordId: string, query: RecordQuery = {}): Promise<KvItem[]> {
    const rec = this.data.get(namespace)?.get(recordId)
    if (!rec) return []
    const items = [...rec.values()].filter((i) => !query.prefix || i.key.startsWith(query.prefix)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    return query.limit !== undefined ? items.slice(0, query.limit) : items
  }

  async getRecords(namespace: string, recordIds: readonly string[], query?: RecordQuery): Promise<Map<string, KvItem[]>> {
    const out = new Map<string, KvItem[]>()
    for (const id of recordIds) out.set(id, await this.getRecord(namespace, id, query))
    return out
  }

  /** Every namespace → record → items, for assertions. */
  dump(): Record<string, Record<string, Record<string, KvItem>>> {
    const out: Record<string, Record<string, Record<string, KvItem>>> = {}
    for (const [ns, recs] of this.data) {
      out[ns] = {}
      for (const [id, items] of recs) out[ns][id] = Object.fromEntries(items)
    }
    return out
  }

  async close(): Promise<void> {}
}

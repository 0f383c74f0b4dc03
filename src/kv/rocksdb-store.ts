/**
 * The embedded KV store: one RocksDB directory holding every namespace. Row key =
 * namespace \0 record id \0 item key, so a record's items are one sorted range. Upserts
 * read the stored event times of a batch in one getMany and write only newer items, in
 * one atomic batch.
 *
 * @example
 * const store = await RocksDbKvStore.open('.rdg/graph')
 */
import { mkdir } from 'node:fs/promises'
import { RocksLevel } from '@nxtedition/rocksdb'
import { ConfigError } from '../engine/errors.ts'
import { newerOf, type KvItem, type KvStore, type KvWrite, type RecordQuery } from './types.ts'

const ENC = { keyEncoding: 'utf8', valueEncoding: 'utf8' }
const SEP = '\u0000'

interface StoredValue {
  v: unknown
  t: number
}

export class RocksDbKvStore implements KvStore {
  private constructor(private readonly db: RocksLevel) {}

  static async open(path: string): Promise<RocksDbKvStore> {
    await mkdir(path, { recursive: true })
    const db = new RocksLevel(path, ENC)
    try {
      await db.open()
    } catch (err) {
      const msg = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message
      throw new ConfigError(`cannot open the graph store at ${path}: ${msg}`, /lock/i.test(msg) ? 'another rdg-job process is using it; stop it or pass another --store' : 'check the directory')
    }
    return new RocksDbKvStore(db)
  }

  async putItems(writes: readonly KvWrite[]): Promise<void> {
    if (writes.length === 0) return
    // Collapse the batch per row first (newest wins), then compare with what is stored.
    const latest = new Map<string, KvItem>()
    for (const w of writes) {
      const row = w.namespace + SEP + w.recordId + SEP + w.item.key
      if (newerOf(latest.get(row), w.item)) latest.set(row, w.item)
    }
    const rows = [...latest.keys()]
    const stored = (await this.db.getMany(rows, ENC)) as Array<string | undefined>
    const batch = this.db.batch()
    for (let i = 0; i < rows.length; i++) {
      const incoming = latest.get(rows[i]!)!
      const prev = stored[i]
      if (prev !== undefined && prev !== null) {
        const p = JSON.parse(prev) as StoredValue
        if (incoming.eventTime < p.t) continue
      }
      batch.put(rows[i]!, JSON.stringify({ v: incoming.value, t: incoming.eventTime } satisfies StoredValue))
    }
    await batch.write()
  }

  async getRecord(namespace: string, recordId: string, query: RecordQuery = {}): Promise<KvItem[]> {
    const base = namespace + SEP + recordId + SEP
    const gte = base + (query.prefix ?? '')
    const lt = gte + '\uffff'
    const items: KvItem[] = []
    const it = this.db.iterator({ ...ENC, gte, lt, ...(query.limit !== undefined ? { limit: query.limit } : {}) })
    for await (const [k, v] of it as AsyncIterable<[string, string]>) {
      const s = JSON.parse(v) as StoredValue
      items.push({ key: k.slice(base.length), value: s.v, eventTime: s.t })
    }
    return items
  }

  async getRecords(namespace: string, recordIds: readonly string[], query?: RecordQuery): Promise<Map<string, KvItem[]>> {
    const results = await Promise.all(recordIds.map((id) => this.getRecord(namespace, id, query)))
    return new Map(recordIds.map((id, i) => [id, results[i]!]))
  }

  async close(): Promise<void> {
    await this.db.close()
  }
}

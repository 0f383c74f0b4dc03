/**
 * The embedded KV backend (the default): every namespace in one RocksDB directory.
 *
 * Layout (binary keys, UTF-8 names):
 *   'd' namespace \0 recordId \0 itemKey → cell: flags, event time, [expiry], encoded value
 *   'r' namespace \0 recordId            → record tombstone: event time of the latest deleteRecord
 *   'n' namespace                        → marker: some record of the namespace was deleted
 *   'm' 'format'                         → layout version
 * so a record's items are one sorted range and a namespace is one range. Writes read the
 * stored cells of a whole batch with one multi-get, keep only versions that win under
 * last-writer-wins, and commit them in one atomic batch; writes are serialised so two
 * batches can not both read a stale version. Record tombstones are only looked up in
 * namespaces that ever had a record deleted (the 'n' markers, loaded at open). Reads of
 * a batch (`readRecords`, a traversal hop) run on the calling thread in one pass: one
 * synchronous range read or multi-get per record, no iterator objects.
 *
 * @example
 * const store = await RocksDbKvStore.open('.rdg/graph', { namespaces: { 'edge.*': { ttlMs: 30 * 86_400_000 } } })
 * await store.putItems([{ namespace: 'node.account', recordId: 'a1', item: { key: 'props', value: { plan: 'basic' }, eventTime: 1 } }])
 */
import { systemClock, type Clock } from '../../base/clock.ts'
import { ConfigError } from '../../base/errors.ts'
import { nextEntries, rocksDb, type Database } from '../../base/rocksdb.ts'
import {
  DEFAULT_PAGE_ITEMS,
  RecordReads,
  type ItemQuery,
  type KvDataStore,
  type KvPut,
  type PageQuery,
  type RecordPage,
  type RecordRequest,
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

const FORMAT_KEY = Buffer.from('mformat')
const FORMAT = Buffer.from('rdg-kv-1')
const SEP = 0x00
const DELETED = 1
const EXPIRES = 2
const CHUNK = 256

/** One item version to write: its row key, where it belongs, the cell. */
interface CellRow {
  readonly key: Buffer
  readonly namespace: string
  readonly recordId: string
  cell: Cell
  /** Written without reading the stored version (KvWrite.immutable). */
  readonly blind?: boolean
}

export interface RocksDbKvStoreOptions {
  /** Processing time for TTLs. Default: the system clock. */
  readonly clock?: Clock
  /** Namespace pattern → settings (default TTL). */
  readonly namespaces?: Readonly<Record<string, NamespaceSettings>>
}

function encodeCell(c: Cell): Buffer {
  const head = c.expiresAt === null ? 9 : 17
  const out = Buffer.allocUnsafe(head + c.value.length)
  out[0] = (c.deleted ? DELETED : 0) | (c.expiresAt === null ? 0 : EXPIRES)
  out.writeDoubleBE(c.eventTime, 1)
  if (c.expiresAt !== null) out.writeDoubleBE(c.expiresAt, 9)
  out.set(c.value, head)
  return out
}

function decodeCell(b: Buffer): Cell {
  const flags = b[0]!
  const expires = (flags & EXPIRES) !== 0
  return {
    deleted: (flags & DELETED) !== 0,
    eventTime: b.readDoubleBE(1),
    expiresAt: expires ? b.readDoubleBE(9) : null,
    value: b.subarray(expires ? 17 : 9),
  }
}

/**
 * An item whose value is decoded when first read: a LATEST page reads thousands of edges
 * to keep the newest hundred, and only those need their properties. `value` is an own
 * enumerable property (spread, JSON and equality see it).
 */
function lazyItem(key: string, cell: Cell): StoredItem {
  let bytes: Uint8Array | null = cell.value
  let value: unknown
  const item = cell.expiresAt === null ? { key, eventTime: cell.eventTime } : { key, eventTime: cell.eventTime, expiresAt: cell.expiresAt }
  Object.defineProperty(item, 'value', {
    enumerable: true,
    get: () => {
      if (bytes !== null) {
        value = decodeValue(bytes)
        bytes = null
      }
      return value
    },
  })
  return item as StoredItem
}

const recordPrefix = (ns: string, rid: string): Buffer => Buffer.from(`d${ns}\u0000${rid}\u0000`, 'utf8')
const tombstoneKey = (ns: string, rid: string): Buffer => Buffer.from(`r${ns}\u0000${rid}`, 'utf8')
const namespacePrefix = (ns: string): Buffer => Buffer.from(`d${ns}\u0000`, 'utf8')
const deletionMarker = (ns: string): Buffer => Buffer.from(`n${ns}`, 'utf8')
const MARKERS = Buffer.from('n')
/** The smallest key above every key starting with `prefix` (0xff never occurs in UTF-8). */
const above = (prefix: Buffer): Buffer => Buffer.concat([prefix, Buffer.from([0xff])])

function bounds(prefix: Buffer, q: ItemQuery, after: string | null): { gt?: Buffer; gte?: Buffer; lt: Buffer } {
  let lower = prefix
  let upper = above(prefix)
  if (q.prefix !== undefined) {
    lower = Buffer.concat([prefix, Buffer.from(q.prefix)])
    upper = above(lower)
  } else if (q.range) {
    if (q.range.from !== undefined) lower = Buffer.concat([prefix, Buffer.from(q.range.from)])
    if (q.range.to !== undefined) upper = Buffer.concat([prefix, Buffer.from(q.range.to)])
  }
  if (after !== null) {
    const resume = Buffer.concat([prefix, Buffer.from(after)])
    if (Buffer.compare(resume, lower) >= 0) return { gt: resume, lt: upper }
  }
  return { gte: lower, lt: upper }
}

export class RocksDbKvStore extends RecordReads implements KvDataStore {
  private writes: Promise<unknown> = Promise.resolve()
  private readonly policy: NamespacePolicy

  private constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    namespaces: Readonly<Record<string, NamespaceSettings>> | undefined,
    /** Namespaces with at least one record tombstone. */
    private readonly withDeletions: Set<string>,
  ) {
    super()
    this.policy = new NamespacePolicy(namespaces)
  }

  /** Opens (creating if needed) the store in `path`. */
  static async open(path: string, options: RocksDbKvStoreOptions = {}): Promise<RocksDbKvStore> {
    const db = rocksDb(path)
    try {
      await db.open()
    } catch (err) {
      if ((err as NodeJS.ErrnoException).syscall === 'mkdir') throw err // the directory could not be made: mkdir's own error (a disk failure keeps its code)
      const msg = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message
      throw new ConfigError(
        `cannot open the KV store at ${path}: ${msg}`,
        /lock/i.test(msg) ? 'another process is using it; stop it or use another directory' : 'check the directory',
      )
    }
    const [format] = await db.getMany([FORMAT_KEY])
    if (!format) {
      const it = db.iterator({ limit: 1 })
      const [first] = await it.nextv(1)
      await it.close()
      if (first) {
        await db.close()
        throw new ConfigError(
          `${path} holds a graph store in an older layout`,
          'delete the directory (rdg rebuilds it by replaying) or pass another store directory',
        )
      }
      await db.put(FORMAT_KEY, FORMAT)
    } else if (!format.equals(FORMAT)) {
      await db.close()
      throw new ConfigError(
        `${path} holds a KV store in layout ${format.toString()}, not ${FORMAT.toString()}`,
        'use a store directory written by this version',
      )
    }
    const withDeletions = new Set<string>()
    for await (const key of db.keys({ gt: MARKERS, lt: above(MARKERS) })) withDeletions.add(key.toString('utf8', 1))
    return new RocksDbKvStore(db, options.clock ?? systemClock, options.namespaces, withDeletions)
  }

  /** Point reads of a batch, synchronously when the binding allows. */
  private async getMany(keys: Buffer[]): Promise<Array<Buffer | undefined>> {
    if (this.db.readsSync) return this.db.getManySync(keys).map((v) => v ?? undefined)
    return this.db.getMany(keys)
  }

  /** Runs write work one batch at a time (a batch reads stored versions, then writes). */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writes.then(work, work)
    this.writes = run.catch(() => {})
    return run
  }

  async putItems(writes: readonly KvPut[]): Promise<void> {
    if (writes.length === 0) return
    const now = this.clock.now()
    // Collapse the batch per row first (the winning version), then compare with what is stored.
    const rows = new Map<string, CellRow>()
    for (const w of writes) {
      checkName('namespace', w.namespace)
      checkName('record id', w.recordId)
      const cell = putCell(w, this.policy, now)
      const id = `${w.namespace}\u0000${w.recordId}\u0000${w.item.key}`
      const prev = rows.get(id)
      if (!prev)
        rows.set(id, {
          key: Buffer.from(`d${id}`, 'utf8'),
          namespace: w.namespace,
          recordId: w.recordId,
          cell,
          blind: w.immutable === true,
        })
      else if (supersedes(prev.cell, cell)) prev.cell = cell
    }
    await this.serial(() => this.writeCells([...rows.values()]))
  }

  /** Runs inside `serial`: the stored versions and record tombstones it reads are current. */
  private async writeCells(rows: readonly CellRow[]): Promise<void> {
    // record tombstones, only where the namespace ever had one
    const tombIds = [...new Set(rows.filter((r) => this.withDeletions.has(r.namespace)).map((r) => `${r.namespace}\u0000${r.recordId}`))]
    // the stored versions of rows that may lose to them (blind rows need none), then the tombstones
    const read = rows.filter((r) => !r.blind)
    const stored = await this.getMany([...read.map((r) => r.key), ...tombIds.map((id) => Buffer.from(`r${id}`, 'utf8'))])
    const deletedAt = new Map<string, number>()
    tombIds.forEach((id, i) => {
      const v = stored[read.length + i]
      if (v) deletedAt.set(id, v.readDoubleBE(0))
    })
    let nextRead = 0
    const batch = this.db.batch()
    let n = 0
    rows.forEach((r) => {
      const prev = r.blind ? undefined : stored[nextRead++]
      const d = deletedAt.size === 0 ? undefined : deletedAt.get(`${r.namespace}\u0000${r.recordId}`)
      if (d !== undefined && r.cell.eventTime <= d) return
      if (prev && !supersedes(decodeCell(prev), r.cell)) return
      batch.put(r.key, encodeCell(r.cell))
      n++
    })
    if (n > 0) await batch.write()
    else await batch.close()
  }

  async deleteItems(namespace: string, recordId: string, itemKeys: readonly string[], eventTime: number): Promise<void> {
    checkName('namespace', namespace)
    checkName('record id', recordId)
    const cell = tombstone(eventTime)
    const prefix = recordPrefix(namespace, recordId)
    await this.serial(() =>
      this.writeCells(itemKeys.map((k) => ({ key: Buffer.concat([prefix, Buffer.from(k)]), namespace, recordId, cell }))),
    )
  }

  async deleteRecord(namespace: string, recordId: string, eventTime: number): Promise<void> {
    checkName('namespace', namespace)
    checkName('record id', recordId)
    checkEventTime(eventTime)
    await this.serial(async () => {
      const key = tombstoneKey(namespace, recordId)
      const [prev] = await this.getMany([key])
      const at = Math.max(prev ? prev.readDoubleBE(0) : Number.NEGATIVE_INFINITY, eventTime)
      const batch = this.db.batch()
      const value = Buffer.allocUnsafe(8)
      value.writeDoubleBE(at, 0)
      batch.put(key, value)
      batch.put(deletionMarker(namespace), Buffer.alloc(0))
      // The items the tombstone shadows can go now; newer ones stay.
      const prefix = recordPrefix(namespace, recordId)
      const it = this.db.iterator({ gte: prefix, lt: above(prefix) })
      try {
        for (;;) {
          const entries = await nextEntries(it, CHUNK)
          if (entries.length === 0) break
          for (const [k, v] of entries) if (decodeCell(v).eventTime <= at) batch.del(k)
        }
      } finally {
        await it.close()
      }
      await batch.write()
      this.withDeletions.add(namespace)
    })
  }

  private async recordDeletedAt(namespace: string, recordId: string): Promise<number | null> {
    if (!this.withDeletions.has(namespace)) return null
    const [v] = await this.getMany([tombstoneKey(namespace, recordId)])
    return v ? v.readDoubleBE(0) : null
  }

  /**
   * One page of each record, all read on the calling thread in one pass when the binding
   * allows (a point multi-get for key lookups, one synchronous range read per record: no
   * iterator objects, no thread-pool hop per record); else one `readRecord` per request.
   */
  override readRecords(requests: readonly RecordRequest[]): Promise<RecordPage[]> {
    if (!this.db.rangesSync || !this.db.readsSync) return super.readRecords(requests)
    try {
      return Promise.resolve(requests.map((r) => this.readRecordSync(r.namespace, r.recordId, r.query ?? {})))
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /** `readRecord` on the calling thread (only when `db.rangesSync` and `db.readsSync`). */
  private readRecordSync(namespace: string, recordId: string, query: PageQuery): RecordPage {
    checkName('namespace', namespace)
    checkName('record id', recordId)
    checkQuery(query)
    const after = resumeAfter(query)
    const prefix = recordPrefix(namespace, recordId)
    const tomb = this.withDeletions.has(namespace) ? this.db.getManySync([tombstoneKey(namespace, recordId)])[0] : null
    const deletedAt = tomb ? tomb.readDoubleBE(0) : null
    const now = this.clock.now()
    const page = new PageBuilder(query)
    const token = (last: StoredItem) => encodeToken({ k: last.key })
    const take = (key: string, cell: Cell): boolean =>
      !isLive(cell, now, deletedAt) || page.offer(lazyItem(key, cell), itemBytes(key, cell.value.length))
    if (query.keys) {
      const keys = [...new Set(query.keys)].filter((k) => after === null || compareKeys(k, after) > 0).sort(compareKeys)
      const values = this.db.getManySync(keys.map((k) => Buffer.concat([prefix, Buffer.from(k)])))
      for (let i = 0; i < keys.length; i++) {
        const v = values[i]
        if (v && !take(keys[i]!, decodeCell(v))) return page.finish(true, token)
      }
      return page.finish(false, token)
    }
    let range: { gt?: Buffer; gte?: Buffer; lt: Buffer } = bounds(prefix, query, after)
    for (let size = Math.min(CHUNK, (query.limit ?? DEFAULT_PAGE_ITEMS) + 1); ; size = CHUNK) {
      const entries = this.db.rangeSync({ ...range, limit: size })
      for (const [k, v] of entries) {
        const key = k.toString('utf8', prefix.length)
        if (!selects(query, key)) continue
        if (!take(key, decodeCell(v))) return page.finish(true, token)
      }
      if (entries.length < size) return page.finish(false, token)
      range = { gt: entries[entries.length - 1]![0], lt: range.lt }
    }
  }

  async readRecord(namespace: string, recordId: string, query: PageQuery = {}): Promise<RecordPage> {
    if (this.db.rangesSync && this.db.readsSync) return this.readRecordSync(namespace, recordId, query)
    checkName('namespace', namespace)
    checkName('record id', recordId)
    checkQuery(query)
    const after = resumeAfter(query)
    const prefix = recordPrefix(namespace, recordId)
    const deletedAt = await this.recordDeletedAt(namespace, recordId)
    const now = this.clock.now()
    const page = new PageBuilder(query)
    const token = (last: StoredItem) => encodeToken({ k: last.key })
    const take = (key: string, cell: Cell): boolean =>
      !isLive(cell, now, deletedAt) || page.offer(toItem(key, cell), itemBytes(key, cell.value.length))

    if (query.keys) {
      const keys = [...new Set(query.keys)].filter((k) => after === null || compareKeys(k, after) > 0).sort(compareKeys)
      const values = await this.getMany(keys.map((k) => Buffer.concat([prefix, Buffer.from(k)])))
      for (let i = 0; i < keys.length; i++) {
        const v = values[i]
        if (v && !take(keys[i]!, decodeCell(v))) return page.finish(true, token)
      }
      return page.finish(false, token)
    }

    const it = this.db.iterator({ ...bounds(prefix, query, after) })
    try {
      for (;;) {
        const entries = await nextEntries(it, page.items.length === 0 ? Math.min(CHUNK, (query.limit ?? DEFAULT_PAGE_ITEMS) + 1) : CHUNK)
        if (entries.length === 0) return page.finish(false, token)
        for (const [k, v] of entries) {
          const key = k.toString('utf8', prefix.length)
          if (!selects(query, key)) continue
          if (!take(key, decodeCell(v))) return page.finish(true, token)
        }
      }
    } finally {
      await it.close()
    }
  }

  async scanNamespace(namespace: string, query: ScanQuery = {}): Promise<ScanPage> {
    checkName('namespace', namespace)
    checkQuery(query)
    const prefix = namespacePrefix(namespace)
    const after = query.pageToken ? decodeToken(query.pageToken, ['r', 'k']) : null
    const range = after ? { gt: Buffer.concat([recordPrefix(namespace, after.r!), Buffer.from(after.k!)]) } : { gte: prefix }
    const page = new PageBuilder<ScanRow>(query)
    const token = (last: ScanRow) => encodeToken({ r: last.recordId, k: last.key })
    const deletedAt = new Map<string, number | null>()
    const now = this.clock.now()
    const it = this.db.iterator({ ...range, lt: above(prefix) })
    try {
      for (;;) {
        const entries = await nextEntries(it, CHUNK)
        if (entries.length === 0) return page.finish(false, token)
        const parsed = entries.map(([k, v]) => {
          const sep = k.indexOf(SEP, prefix.length)
          return { recordId: k.toString('utf8', prefix.length, sep), key: k.toString('utf8', sep + 1), cell: decodeCell(v) }
        })
        const unknown = this.withDeletions.has(namespace)
          ? [...new Set(parsed.map((p) => p.recordId).filter((r) => !deletedAt.has(r)))]
          : []
        const tombs = await this.getMany(unknown.map((r) => tombstoneKey(namespace, r)))
        unknown.forEach((r, i) => deletedAt.set(r, tombs[i] ? tombs[i].readDoubleBE(0) : null))
        for (const p of parsed) {
          if (!isLive(p.cell, now, deletedAt.get(p.recordId) ?? null)) continue
          if (
            !page.offer(
              { recordId: p.recordId, ...toItem(p.key, p.cell) },
              itemBytes(p.recordId, 0) + itemBytes(p.key, p.cell.value.length),
            )
          )
            return page.finish(true, token)
        }
      }
    } finally {
      await it.close()
    }
  }

  async close(): Promise<void> {
    await this.writes
    await this.db.close()
  }
}

/**
 * Keyed state in RocksDB (through the abstract-level API of @nxtedition/rocksdb), with a
 * bounded working set in memory so the hot path never awaits the store per record.
 *
 * In memory: a clean cache of decoded values (FIFO-evicted beyond `cacheEntries`) and a
 * dirty map of changes since the last checkpoint. `prefetch(keys)` loads the misses of a
 * micro-batch in ONE batched `getMany`; `get`/`put` are then synchronous.
 *
 * On disk: the live database only ever holds the state of a complete checkpoint (plus a
 * meta record naming it), so a crash at any point leaks nothing of an unfinished epoch.
 * Checkpoints are incremental, Flink-style: `snapshot` writes the dirty map as a delta
 * file (sorted by key group) under `<root>/shared/`; the handle lists the chain of files
 * since the last full snapshot, which is rewritten when the deltas outgrow it.
 * `notifyCheckpointComplete` applies the delta to the live database in one atomic batch.
 * When the dirty map exceeds its budget, `wantsCheckpoint` asks the engine to checkpoint,
 * which bounds memory however large the state grows.
 *
 * Restore: if the live database already holds exactly the checkpoint, it is reused; if it
 * holds the previous one of the chain (a crash between completion and apply), the last
 * delta is applied; otherwise it is rebuilt from the chain's files (own key groups only).
 *
 * @example
 * const backend = new RocksDbStateBackend({ clock, path: '.rdg/job/state/rocksdb', cacheEntries: 100_000 })
 * const t = backend.table(operatorId('dedup'), valueState('pending', codecs.json<P>()))
 * const p = backend.prefetch(batchKeys); if (p) await p
 * t.put(batchKeys[0], value)
 */
import { randomUUID } from 'node:crypto'
import { mkdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { RocksLevel } from '@nxtedition/rocksdb'
import { ClassicLevel } from 'classic-level'
import type { Clock } from '../base/clock.ts'
import type { CheckpointId, OperatorId, StateKey } from '../base/ids.ts'
import { checkCompatible } from './heap-backend.ts'
import { hashPrefix, PresenceFilter, type HashPrefix } from './presence-filter.ts'
import { allKeyGroups, inRange, keyGroupOf } from './key-groups.ts'
import { readSnapshot, SnapshotWriter, type GroupIndex } from './snapshot-format.ts'
import { decodeStored, encodeStored, tableIdOf } from './stored-value.ts'
import type { KeyGroupRange, KeyedStateBackend, StateBackendOptions, StateDescriptor, StateSnapshotHandle, StateTable } from './types.ts'

export interface RocksDbStateBackendOptions extends StateBackendOptions {
  readonly clock: Clock
  /** Directory of the live database (local working copy; checkpoints are elsewhere). */
  readonly path: string
  /** Clean entries kept decoded in memory. Default 100 000. */
  readonly cacheEntries?: number
  /** Changed entries held before asking for a checkpoint. Default 100 000. */
  readonly dirtyBudgetEntries?: number
  /** 'rocksdb' (default) or 'leveldb' (classic-level), for comparison. */
  readonly engine?: 'rocksdb' | 'leveldb'
}

const ABSENT = Symbol('absent')
const DELETED = Symbol('deleted')
type Cached<T> = T | typeof ABSENT
/** A change since the last checkpoint; `baseAbsent` when the key had no value at that checkpoint. */
type Dirty<T> = { value: T | typeof DELETED; writtenAt: number; baseAbsent: boolean }

/**
 * Bounds covering every row and the meta record. An unbounded clear() in this binding
 * writes a range tombstone with a 1 MB end key that makes every later scan ~20x slower
 * until compaction (found by measuring restarts).
 */
const ALL_ROWS = { lt: Buffer.from([0xff, 0xff, 0xff]) }

/** Key of the meta record; sorts after every key group (groups are < 0xffff). */
const META_KEY = Buffer.from([0xff, 0xff, 0x6d, 0x65, 0x74, 0x61])

interface LiveMeta {
  checkpointId: number
  range: KeyGroupRange
}

/** Handle meta of this backend. */
interface ChainMeta {
  index: Record<string, GroupIndex>
  /** Checkpoint id of each file in `files` (same order). */
  ids: number[]
  /** Bytes of the full snapshot at the head of the chain, and of all deltas after it. */
  fullBytes: number
  deltaBytes: number
  [key: string]: unknown
}

type Db = {
  status: string
  open(): Promise<void>
  close(): Promise<void>
  getMany(keys: Buffer[], options: object): Promise<Array<Buffer | undefined>>
  _getManySync?(keys: Buffer[], options: object): Array<Buffer | undefined | null>
  get(key: Buffer, options: object): Promise<Buffer | undefined>
  batch(): { put(k: Buffer, v: Buffer | Uint8Array): unknown; del(k: Buffer): unknown; write(): Promise<void>; length: number }
  clear(options?: object): Promise<void>
  iterator(options: object): AsyncIterable<[Buffer, Buffer]> & { close(): Promise<void> }
}

const BUF = { keyEncoding: 'buffer', valueEncoding: 'buffer' }

function rowKey(group: number, tableId: string, key: string): Buffer {
  const tl = Buffer.byteLength(tableId)
  const b = Buffer.allocUnsafe(2 + tl + 1 + Buffer.byteLength(key))
  b.writeUInt16BE(group, 0)
  b.write(tableId, 2)
  b[2 + tl] = 0
  b.write(key, 3 + tl)
  return b
}

function parseRowKey(b: Buffer): { group: number; table: string; key: string } {
  const zero = b.indexOf(0, 2)
  return { group: b.readUInt16BE(0), table: b.toString('utf8', 2, zero), key: b.toString('utf8', zero + 1) }
}

class RocksTable<T> implements StateTable<T> {
  readonly id: string
  readonly cache = new Map<StateKey, Cached<T>>()
  readonly dirty = new Map<StateKey, Dirty<T>>()
  /** Write times of cached values, for TTL tables only. */
  readonly cachedWrites: Map<StateKey, number> | null
  /** The presence filter's hash state after this table's id: keys are filtered per table. */
  readonly presencePrefix: HashPrefix

  constructor(
    readonly operatorId: OperatorId,
    readonly descriptor: StateDescriptor<T>,
    private readonly backend: RocksDbStateBackend,
  ) {
    this.id = tableIdOf(operatorId, descriptor.name)
    this.presencePrefix = hashPrefix(this.id + '\u0000')
    this.cachedWrites = descriptor.ttlMs !== undefined ? new Map() : null
  }

  private expiredAt(writtenAt: number): boolean {
    return this.descriptor.ttlMs !== undefined && this.backend.now() - writtenAt >= this.descriptor.ttlMs
  }

  get(key: StateKey): T | undefined {
    const d = this.dirty.get(key)
    if (d !== undefined) return d.value === DELETED || this.expiredAt(d.writtenAt) ? undefined : d.value
    const c = this.cache.get(key)
    if (c === undefined) throw new Error(`state ${this.id}: key "${key}" was not prefetched (engine bug: keyed access outside the prefetched batch)`)
    if (c === ABSENT) return undefined
    if (this.cachedWrites && this.expiredAt(this.cachedWrites.get(key) ?? 0)) return undefined
    return c
  }

  put(key: StateKey, value: T): void {
    const prev = this.dirty.get(key)
    // the write time only matters for TTL (reading the clock per write is measurable)
    const writtenAt = this.descriptor.ttlMs === undefined ? 0 : this.backend.now()
    if (prev !== undefined) {
      prev.value = value
      prev.writtenAt = writtenAt
      return
    }
    this.backend.dirtyCount++
    this.dirty.set(key, { value, writtenAt, baseAbsent: this.cache.get(key) === ABSENT })
  }

  delete(key: StateKey): void {
    const prev = this.dirty.get(key)
    if (prev ? prev.baseAbsent : this.cache.get(key) === ABSENT) {
      // Created and deleted within the epoch (a dedup window, mostly): nothing to write,
      // so no dirty entry is kept for it until the checkpoint; reads see it absent.
      if (prev !== undefined) {
        this.dirty.delete(key)
        this.backend.dirtyCount--
      }
      if (!this.cache.has(key)) this.backend.cachedCount++
      this.cache.set(key, ABSENT)
      this.cachedWrites?.delete(key)
      return
    }
    if (prev === undefined) this.backend.dirtyCount++
    this.dirty.set(key, { value: DELETED, writtenAt: 0, baseAbsent: false })
  }

  async *keys(): AsyncIterable<StateKey> {
    const seen = new Set<StateKey>()
    for (const [key, d] of this.dirty) {
      seen.add(key)
      if (d.value !== DELETED && !this.expiredAt(d.writtenAt)) yield key
    }
    for await (const key of this.backend.liveKeys(this.id)) if (!seen.has(key)) yield key
  }
}

export class RocksDbStateBackend implements KeyedStateBackend {
  readonly kind = 'rocksdb' as const
  readonly maxParallelism: number
  readonly keyGroups: KeyGroupRange
  dirtyCount = 0
  private readonly clock: Clock
  private readonly tables = new Map<string, RocksTable<any>>()
  private readonly cacheEntries: number
  private readonly dirtyBudget: number
  private db: Db
  private opened: Promise<void> | null = null
  /** Entries in all tables' clean caches (tables count their own placeholders in). */
  cachedCount = 0
  /** Keys the live database may hold; a miss there needs no disk read. */
  private readonly present = new PresenceFilter()
  /** The chain of the latest complete (or being completed) checkpoint. */
  private chain: { files: string[]; ids: number[]; index: Record<string, GroupIndex>; fullBytes: number; deltaBytes: number } | null = null
  /** Snapshot taken but not yet known complete: applied to the live DB on completion. */
  private pendingSnapshot: { id: number; chain: NonNullable<RocksDbStateBackend['chain']> } | null = null

  constructor(private readonly options: RocksDbStateBackendOptions) {
    this.clock = options.clock
    this.maxParallelism = options.maxParallelism ?? 128
    this.keyGroups = options.keyGroups ?? allKeyGroups(this.maxParallelism)
    this.cacheEntries = options.cacheEntries ?? 100_000
    this.dirtyBudget = options.dirtyBudgetEntries ?? 100_000
    this.db = (options.engine === 'leveldb' ? new ClassicLevel(options.path, BUF as never) : new RocksLevel(options.path, BUF as never)) as unknown as Db
  }

  /** @internal */
  now(): number {
    return this.clock.now()
  }

  get wantsCheckpoint(): boolean {
    return this.dirtyCount >= this.dirtyBudget
  }

  private ensureOpen(): Promise<void> {
    if (!this.opened) {
      this.opened = (async () => {
        await mkdir(this.options.path, { recursive: true })
        await this.db.open()
      })()
    }
    return this.opened
  }

  table<T>(operatorId: OperatorId, descriptor: StateDescriptor<T>): StateTable<T> {
    const id = tableIdOf(operatorId, descriptor.name)
    let t = this.tables.get(id)
    if (!t) {
      t = new RocksTable<T>(operatorId, descriptor, this)
      this.tables.set(id, t)
    }
    return t
  }

  prefetch(keys: readonly StateKey[], distinct = false): Promise<void> | null {
    let missTables: RocksTable<any>[] | null = null
    let missKeys: StateKey[] | null = null
    // A batch repeats keys (heartbeats of one identity): look each up once.
    const unique: Iterable<StateKey> = keys.length > 32 && !distinct ? new Set(keys) : keys
    for (const t of this.tables.values()) {
      for (const key of unique) {
        if (t.dirty.has(key) || t.cache.has(key)) continue
        if (!missKeys) {
          missKeys = []
          missTables = []
        }
        t.cache.set(key, ABSENT) // placeholder: dedupes repeats within the batch
        this.cachedCount++
        if (!this.present.mightContain(key, t.presencePrefix)) continue // never persisted: certainly absent
        missKeys.push(key)
        missTables!.push(t)
      }
    }
    if (!missKeys || missKeys.length === 0) {
      if (this.cachedCount > this.cacheEntries * 1.1) this.evict(keys)
      return null
    }
    // RocksLevel can read a batch synchronously: no promise, no thread-pool hop.
    if (this.db.status === 'open' && typeof this.db._getManySync === 'function') {
      this.fill(missTables!, missKeys, this.db._getManySync(this.rowKeys(missTables!, missKeys), BUF), keys)
      return null
    }
    return this.load(missTables!, missKeys, keys)
  }

  private rowKeys(tables: RocksTable<any>[], keys: StateKey[]): Buffer[] {
    const rowKeys = new Array<Buffer>(keys.length)
    for (let i = 0; i < keys.length; i++) rowKeys[i] = rowKey(keyGroupOf(keys[i]!, this.maxParallelism), tables[i]!.id, keys[i]!)
    return rowKeys
  }

  private async load(tables: RocksTable<any>[], keys: StateKey[], batch: readonly StateKey[]): Promise<void> {
    await this.ensureOpen()
    this.fill(tables, keys, await this.db.getMany(this.rowKeys(tables, keys), BUF), batch)
  }

  private fill(tables: RocksTable<any>[], keys: StateKey[], values: ArrayLike<Buffer | undefined | null>, batch: readonly StateKey[]): void {
    for (let i = 0; i < keys.length; i++) {
      const bytes = values[i]
      const t = tables[i]!
      if (bytes === undefined || bytes === null) continue // stays ABSENT
      const { value, writtenAt } = decodeStored(t.descriptor, bytes)
      t.cache.set(keys[i]!, value)
      t.cachedWrites?.set(keys[i]!, writtenAt)
    }
    if (this.cachedCount > this.cacheEntries * 1.1) this.evict(batch)
  }

  /** Drops the oldest clean cache entries beyond the budget, never those of the current batch. */
  private evict(batch: readonly StateKey[]): void {
    const protect = new Set(batch)
    const perTable = Math.max(1, Math.floor(this.cacheEntries / Math.max(1, this.tables.size)))
    for (const t of this.tables.values()) {
      let excess = t.cache.size - perTable
      if (excess <= 0) continue
      for (const key of t.cache.keys()) {
        if (excess <= 0) break
        if (protect.has(key)) continue
        t.cache.delete(key)
        t.cachedWrites?.delete(key)
        this.cachedCount--
        excess--
      }
    }
  }

  async snapshot(id: CheckpointId, root: string): Promise<StateSnapshotHandle> {
    await this.ensureOpen()
    // Encode the dirty entries now, sorted by key group; nothing changes until completion.
    const entries: Array<{ group: number; table: string; key: string; value: Uint8Array | null }> = []
    for (const t of this.tables.values()) {
      for (const [key, d] of t.dirty) {
        if (d.value === DELETED && d.baseAbsent) continue // created and deleted within the epoch: nothing changed
        const expired = d.value !== DELETED && t.descriptor.ttlMs !== undefined && this.now() - d.writtenAt >= t.descriptor.ttlMs
        entries.push({ group: keyGroupOf(key, this.maxParallelism), table: t.id, key, value: d.value === DELETED || expired ? null : encodeStored(t.descriptor, d.value, d.writtenAt) })
      }
    }
    entries.sort((a, b) => a.group - b.group)
    await mkdir(join(root, 'shared'), { recursive: true })
    const prev = this.chain
    const compact = !prev || prev.deltaBytes > 2 * Math.max(prev.fullBytes, 1 << 20) || prev.files.length >= 50
    let chain: NonNullable<RocksDbStateBackend['chain']>
    if (compact) {
      const rel = join('shared', `full-${id}-${randomUUID()}.bin`)
      const index = await this.writeFull(join(root, rel), entries)
      const bytes = (await stat(join(root, rel))).size
      chain = { files: [rel], ids: [id], index: { [rel]: index }, fullBytes: bytes, deltaBytes: 0 }
    } else {
      const rel = join('shared', `delta-${id}-${randomUUID()}.bin`)
      const writer = await SnapshotWriter.create(join(root, rel))
      for (const e of entries) writer.add(e.group, e.table, e.key, e.value)
      const index = await writer.finish()
      const bytes = (await stat(join(root, rel))).size
      chain = { files: [...prev!.files, rel], ids: [...prev!.ids, id], index: { ...prev!.index, [rel]: index }, fullBytes: prev!.fullBytes, deltaBytes: prev!.deltaBytes + bytes }
    }
    this.pendingSnapshot = { id, chain }
    const meta: ChainMeta = { index: chain.index, ids: chain.ids, fullBytes: chain.fullBytes, deltaBytes: chain.deltaBytes }
    return { backend: 'rocksdb', checkpointId: id, maxParallelism: this.maxParallelism, files: chain.files, meta }
  }

  /** A full snapshot: the live DB (last complete checkpoint) merged with the dirty entries. */
  private async writeFull(path: string, dirty: Array<{ group: number; table: string; key: string; value: Uint8Array | null }>): Promise<GroupIndex> {
    const overlay = new Map<string, Uint8Array | null>()
    for (const e of dirty) overlay.set(`${e.group}\u0000${e.table}\u0000${e.key}`, e.value)
    const writer = await SnapshotWriter.create(path)
    // Merge by key group: DB rows of a group, then dirty rows of the group not in the DB.
    const byGroup = new Map<number, typeof dirty>()
    for (const e of dirty) {
      let l = byGroup.get(e.group)
      if (!l) byGroup.set(e.group, (l = []))
      l.push(e)
    }
    let n = 0
    for (let g = this.keyGroups.start; g <= this.keyGroups.end; g++) {
      const it = this.db.iterator({ ...BUF, gte: groupBound(g), lt: groupBound(g + 1) })
      for await (const [k, v] of it) {
        const { table, key } = parseRowKey(k)
        const id = `${g}\u0000${table}\u0000${key}`
        if (overlay.has(id)) continue
        writer.add(g, table, key, v)
        if (++n % 50_000 === 0) await writer.drain()
      }
      for (const e of byGroup.get(g) ?? []) if (e.value) writer.add(g, e.table, e.key, e.value)
    }
    return writer.finish()
  }

  async notifyCheckpointComplete(id: CheckpointId): Promise<void> {
    const pending = this.pendingSnapshot
    if (!pending || pending.id !== id) return
    await this.ensureOpen()
    const batch = this.db.batch()
    for (const t of this.tables.values()) {
      for (const [key, d] of t.dirty) {
        if (d.value === DELETED && d.baseAbsent) continue
        const rk = rowKey(keyGroupOf(key, this.maxParallelism), t.id, key)
        if (d.value === DELETED) batch.del(rk)
        else {
          batch.put(rk, Buffer.from(encodeStored(t.descriptor, d.value, d.writtenAt)))
          this.present.add(key, t.presencePrefix)
        }
      }
    }
    batch.put(META_KEY, Buffer.from(JSON.stringify({ checkpointId: id, range: this.keyGroups } satisfies LiveMeta)))
    await batch.write()
    // The changes are now clean: move them into the cache.
    for (const t of this.tables.values()) {
      for (const [key, d] of t.dirty) {
        if (!t.cache.has(key)) this.cachedCount++
        t.cache.set(key, d.value === DELETED ? ABSENT : d.value)
        if (d.value !== DELETED) t.cachedWrites?.set(key, d.writtenAt)
      }
      t.dirty.clear()
    }
    this.dirtyCount = 0
    this.chain = pending.chain
    this.pendingSnapshot = null
    if (this.cachedCount > this.cacheEntries) this.evict([])
  }

  async clear(): Promise<void> {
    await this.ensureOpen()
    await this.db.clear(ALL_ROWS)
    for (const t of this.tables.values()) {
      t.cache.clear()
      t.dirty.clear()
      t.cachedWrites?.clear()
    }
    this.cachedCount = 0
    this.dirtyCount = 0
    this.present.clear()
    this.chain = null
    this.pendingSnapshot = null
  }

  async restore(handle: StateSnapshotHandle, root: string): Promise<void> {
    checkCompatible(handle, this.maxParallelism)
    await this.ensureOpen()
    const meta = (handle.meta ?? {}) as Partial<ChainMeta>
    const index = meta.index ?? {}
    const ids = meta.ids ?? handle.files.map(() => handle.checkpointId)
    for (const t of this.tables.values()) {
      t.cache.clear()
      t.dirty.clear()
      t.cachedWrites?.clear()
    }
    this.cachedCount = 0
    this.dirtyCount = 0
    const live = await this.readLiveMeta()
    const sameRange = live !== null && live.range.start === this.keyGroups.start && live.range.end === this.keyGroups.end
    if (handle.backend === 'rocksdb' && sameRange && live.checkpointId === handle.checkpointId) {
      // fast path: the live DB is exactly this checkpoint
    } else if (handle.backend === 'rocksdb' && sameRange && ids.length >= 2 && live.checkpointId === ids[ids.length - 2]) {
      await this.ingest(root, [handle.files[handle.files.length - 1]!], index, handle.checkpointId)
    } else {
      await this.db.clear(ALL_ROWS)
      await this.ingest(root, handle.files, index, handle.checkpointId)
    }
    await this.rebuildPresence()
    this.chain =
      handle.backend === 'rocksdb'
        ? { files: [...handle.files], ids: [...ids], index: { ...index }, fullBytes: meta.fullBytes ?? 0, deltaBytes: meta.deltaBytes ?? 0 }
        : null // a heap checkpoint: start a new chain with a full snapshot
    this.pendingSnapshot = null
  }

  private async ingest(root: string, files: readonly string[], index: Record<string, GroupIndex>, id: number): Promise<void> {
    let batch = this.db.batch()
    for (const file of files) {
      for await (const e of readSnapshot(join(root, file), index[file] ?? {}, this.keyGroups)) {
        if (!inRange(e.group, this.keyGroups)) continue
        const rk = rowKey(e.group, e.table, e.key)
        if (e.value) batch.put(rk, Buffer.from(e.value))
        else batch.del(rk)
        if (batch.length >= 10_000) {
          await batch.write()
          batch = this.db.batch()
        }
      }
      // each file is applied in full before the next (a later file wins)
      await batch.write()
      batch = this.db.batch()
    }
    batch.put(META_KEY, Buffer.from(JSON.stringify({ checkpointId: id, range: this.keyGroups } satisfies LiveMeta)))
    await batch.write()
  }

  /** Fills the presence filter with every key of the live database (after a restore). */
  private async rebuildPresence(): Promise<void> {
    this.present.clear()
    const prefixes = new Map<string, HashPrefix>()
    for await (const [k] of this.db.iterator({ ...BUF, lt: META_KEY, values: false })) {
      const { table, key } = parseRowKey(k)
      let prefix = prefixes.get(table)
      if (prefix === undefined) prefixes.set(table, (prefix = hashPrefix(table + '\u0000')))
      this.present.add(key, prefix)
    }
  }

  private async readLiveMeta(): Promise<LiveMeta | null> {
    try {
      const v = await this.db.get(META_KEY, BUF)
      return v ? (JSON.parse(v.toString('utf8')) as LiveMeta) : null
    } catch {
      return null
    }
  }

  /** @internal Keys of a table in the live database (own key groups). */
  async *liveKeys(tableId: string): AsyncIterable<StateKey> {
    await this.ensureOpen()
    for (let g = this.keyGroups.start; g <= this.keyGroups.end; g++) {
      const lo = rowKey(g, tableId, '')
      const hi = Buffer.from(lo)
      hi[hi.length - 1] = 1
      for await (const [k] of this.db.iterator({ ...BUF, gte: lo, lt: hi, values: false })) yield parseRowKey(k).key
    }
  }

  referencedFiles(handles: readonly StateSnapshotHandle[]): readonly string[] {
    const files = handles.flatMap((h) => h.files)
    if (this.pendingSnapshot) files.push(...this.pendingSnapshot.chain.files)
    return files
  }

  async close(): Promise<void> {
    if (this.opened) {
      await this.opened.catch(() => undefined)
      if (this.db.status === 'open') await this.db.close()
    }
  }

  /** Deletes the live database directory (for tests and `--fresh`). */
  static async destroy(path: string): Promise<void> {
    await rm(path, { recursive: true, force: true })
  }
}

function groupBound(group: number): Buffer {
  const b = Buffer.allocUnsafe(2)
  b.writeUInt16BE(Math.min(group, 0xffff), 0)
  return b
}

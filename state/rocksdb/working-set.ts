/**
 * The bounded in-memory working set of the RocksDB state backend, which the hot path reads
 * and writes synchronously: per table, a clean cache of decoded values (FIFO-evicted beyond
 * `cacheEntries`, never keys of the current batch) and a dirty map of the changes since
 * the last checkpoint (`wantsCheckpoint` once it holds `dirtyBudgetEntries`). The backend
 * fills the cache from the database (`misses`, then `fill`), writes the dirty map out at a
 * checkpoint (`changes`) and, once it is applied, moves it into the cache (`markClean`).
 *
 * @example
 * const ws = new WorkingSet(clock, 100_000, 100_000, (tableId) => keysInDatabase(tableId))
 * const t = ws.table(operatorId('dedup'), valueState('pending', codecs.json<P>()))
 * const m = ws.misses(batchKeys, false, presence)
 * if (m) ws.fill(m, await db.getMany(rowKeysOf(m)), batchKeys); else ws.trim(batchKeys)
 * t.put(batchKeys[0], value)
 */
import type { Clock } from '../../base/clock.ts'
import type { OperatorId, StateKey } from '../../base/ids.ts'
import { keyGroupOf } from '../key-groups.ts'
import { hashPrefix, type HashPrefix, type PresenceFilter } from '../presence-filter.ts'
import type { SnapshotEntry } from '../snapshot-format.ts'
import { decodeStored, encodeStored, tableIdOf } from '../stored-value.ts'
import type { StateDescriptor, StateTable } from '../types.ts'

/** Cached: the key has no value in the database (or is a placeholder while it is read). */
export const ABSENT = Symbol('absent')
/** Dirty: the key was deleted since the last checkpoint. */
export const DELETED = Symbol('deleted')
type Cached<T> = T | typeof ABSENT
/** A change since the last checkpoint; `baseAbsent` when the key had no value at that checkpoint. */
type Dirty<T> = { value: T | typeof DELETED; writtenAt: number; baseAbsent: boolean }

export class WorkingTable<T> implements StateTable<T> {
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
    private readonly set: WorkingSet,
  ) {
    this.id = tableIdOf(operatorId, descriptor.name)
    this.presencePrefix = hashPrefix(this.id + '\u0000')
    this.cachedWrites = descriptor.ttlMs !== undefined ? new Map() : null
  }

  private expiredAt(writtenAt: number): boolean {
    return this.descriptor.ttlMs !== undefined && this.set.now() - writtenAt >= this.descriptor.ttlMs
  }

  get(key: StateKey): T | undefined {
    const d = this.dirty.get(key)
    if (d !== undefined) return d.value === DELETED || this.expiredAt(d.writtenAt) ? undefined : d.value
    const c = this.cache.get(key)
    if (c === undefined)
      throw new Error(`state ${this.id}: key "${key}" was not prefetched (engine bug: keyed access outside the prefetched batch)`)
    if (c === ABSENT) return undefined
    if (this.cachedWrites && this.expiredAt(this.cachedWrites.get(key) ?? 0)) return undefined
    return c
  }

  put(key: StateKey, value: T): void {
    const prev = this.dirty.get(key)
    // the write time only matters for TTL (reading the clock per write is measurable)
    const writtenAt = this.descriptor.ttlMs === undefined ? 0 : this.set.now()
    if (prev !== undefined) {
      prev.value = value
      prev.writtenAt = writtenAt
      return
    }
    this.set.dirtyCount++
    this.dirty.set(key, { value, writtenAt, baseAbsent: this.cache.get(key) === ABSENT })
  }

  delete(key: StateKey): void {
    const prev = this.dirty.get(key)
    if (prev ? prev.baseAbsent : this.cache.get(key) === ABSENT) {
      // Created and deleted within the epoch (a dedup window, mostly): nothing to write,
      // so no dirty entry is kept for it until the checkpoint; reads see it absent.
      if (prev !== undefined) {
        this.dirty.delete(key)
        this.set.dirtyCount--
      }
      if (!this.cache.has(key)) this.set.cachedCount++
      this.cache.set(key, ABSENT)
      this.cachedWrites?.delete(key)
      return
    }
    if (prev === undefined) this.set.dirtyCount++
    this.dirty.set(key, { value: DELETED, writtenAt: 0, baseAbsent: false })
  }

  async *keys(): AsyncIterable<StateKey> {
    const seen = new Set<StateKey>()
    for (const [key, d] of this.dirty) {
      seen.add(key)
      if (d.value !== DELETED && !this.expiredAt(d.writtenAt)) yield key
    }
    for await (const key of this.set.persistedKeys(this.id)) if (!seen.has(key)) yield key
  }
}

/** Keys of a batch to read from the database, each with its table (same order). */
export interface Misses {
  readonly tables: WorkingTable<unknown>[]
  readonly keys: StateKey[]
}

export class WorkingSet {
  readonly tables = new Map<string, WorkingTable<unknown>>()
  /** Dirty entries in all tables. */
  dirtyCount = 0
  /** Entries in all tables' clean caches (tables count their own placeholders in). */
  cachedCount = 0

  constructor(
    private readonly clock: Clock,
    private readonly cacheEntries: number,
    private readonly dirtyBudget: number,
    /** Keys of a table in the database, for `keys()`. */
    readonly persistedKeys: (tableId: string) => AsyncIterable<StateKey>,
  ) {}

  now(): number {
    return this.clock.now()
  }

  get wantsCheckpoint(): boolean {
    return this.dirtyCount >= this.dirtyBudget
  }

  table<T>(operatorId: OperatorId, descriptor: StateDescriptor<T>): WorkingTable<T> {
    const id = tableIdOf(operatorId, descriptor.name)
    let t = this.tables.get(id)
    if (!t) {
      t = new WorkingTable<T>(operatorId, descriptor, this)
      this.tables.set(id, t)
    }
    return t as WorkingTable<T>
  }

  /**
   * Marks every key of a batch that no table has in memory as absent (a placeholder: it
   * dedupes repeats within the batch) and returns those the database may hold, or null.
   */
  misses(keys: readonly StateKey[], distinct: boolean, present: PresenceFilter): Misses | null {
    let missTables: WorkingTable<unknown>[] | null = null
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
        if (!present.mightContain(key, t.presencePrefix)) continue // never persisted: certainly absent
        missKeys.push(key)
        missTables!.push(t)
      }
    }
    return missKeys && missKeys.length > 0 ? { tables: missTables!, keys: missKeys } : null
  }

  /** Caches the values read for `misses` (missing ones stay absent), then trims the cache. */
  fill(misses: Misses, values: ArrayLike<Buffer | undefined | null>, batch: readonly StateKey[]): void {
    const { tables, keys } = misses
    for (let i = 0; i < keys.length; i++) {
      const bytes = values[i]
      const t = tables[i]!
      if (bytes === undefined || bytes === null) continue // stays ABSENT
      const { value, writtenAt } = decodeStored(t.descriptor, bytes)
      t.cache.set(keys[i]!, value)
      t.cachedWrites?.set(keys[i]!, writtenAt)
    }
    this.trim(batch)
  }

  /** Evicts when the caches are 10% over budget (so not on every batch). */
  trim(batch: readonly StateKey[]): void {
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

  /** The changes since the last checkpoint, encoded and sorted by key group (value null: deleted or expired). */
  changes(maxParallelism: number): SnapshotEntry[] {
    const entries: SnapshotEntry[] = []
    for (const t of this.tables.values()) {
      for (const [key, d] of t.dirty) {
        if (d.value === DELETED && d.baseAbsent) continue // created and deleted within the epoch: nothing changed
        const expired = d.value !== DELETED && t.descriptor.ttlMs !== undefined && this.now() - d.writtenAt >= t.descriptor.ttlMs
        entries.push({
          group: keyGroupOf(key, maxParallelism),
          table: t.id,
          key,
          value: d.value === DELETED || expired ? null : encodeStored(t.descriptor, d.value, d.writtenAt),
        })
      }
    }
    entries.sort((a, b) => a.group - b.group)
    return entries
  }

  /** The changes are in the database now: moves them into the caches (then trims them). */
  markClean(): void {
    for (const t of this.tables.values()) {
      for (const [key, d] of t.dirty) {
        if (!t.cache.has(key)) this.cachedCount++
        t.cache.set(key, d.value === DELETED ? ABSENT : d.value)
        if (d.value !== DELETED) t.cachedWrites?.set(key, d.writtenAt)
      }
      t.dirty.clear()
    }
    this.dirtyCount = 0
    if (this.cachedCount > this.cacheEntries) this.evict([])
  }

  /** Forgets every cached and dirty entry (a clear or a restore). */
  reset(): void {
    for (const t of this.tables.values()) {
      t.cache.clear()
      t.dirty.clear()
      t.cachedWrites?.clear()
    }
    this.cachedCount = 0
    this.dirtyCount = 0
  }
}

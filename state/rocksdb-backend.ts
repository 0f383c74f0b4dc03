/**
 * Keyed state in RocksDB (through base/rocksdb.ts), with a bounded working set in memory
 * so the hot path never awaits the store per record. This module wires the parts:
 * state/rocksdb/working-set.ts (the caches and dirty maps), row-keys.ts (how a key is
 * stored) and checkpoint-chain.ts (incremental checkpoint files, applied on restore).
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
import { rm } from 'node:fs/promises'
import type { Clock } from '../base/clock.ts'
import type { CheckpointId, OperatorId, StateKey } from '../base/ids.ts'
import { rocksDb, type Database } from '../base/rocksdb.ts'
import { checkCompatible } from './heap-backend.ts'
import { allKeyGroups, keyGroupOf } from './key-groups.ts'
import { hashPrefix, PresenceFilter, type HashPrefix } from './presence-filter.ts'
import { encodeStored } from './stored-value.ts'
import type { KeyGroupRange, KeyedStateBackend, StateBackendOptions, StateDescriptor, StateSnapshotHandle, StateTable } from './types.ts'
import { chainHandle, liveMeta, restoreChain, writeCheckpoint, type Chain } from './rocksdb/checkpoint-chain.ts'
import { ALL_ROWS, META_KEY, parseRowKey, rowKey, tableBounds } from './rocksdb/row-keys.ts'
import { DELETED, WorkingSet, type Misses } from './rocksdb/working-set.ts'

export interface RocksDbStateBackendOptions extends StateBackendOptions {
  readonly clock: Clock
  /** Directory of the live database (local working copy; checkpoints are elsewhere). */
  readonly path: string
  /** Clean entries kept decoded in memory. Default 100 000. */
  readonly cacheEntries?: number
  /** Changed entries held before asking for a checkpoint. Default 100 000. */
  readonly dirtyBudgetEntries?: number
  /** Makes the (unopened) live database in `path`. Default: RocksDB (`rocksDb`); test/state/leveldb.ts has LevelDB, for comparison. */
  readonly engine?: (path: string) => Database
}

export class RocksDbStateBackend implements KeyedStateBackend {
  readonly kind = 'rocksdb' as const
  readonly maxParallelism: number
  readonly keyGroups: KeyGroupRange
  private readonly working: WorkingSet
  private readonly db: Database
  private opened: Promise<void> | null = null
  /** Keys the live database may hold; a miss there needs no disk read. */
  private readonly present = new PresenceFilter()
  /** The chain of the latest complete (or being completed) checkpoint. */
  private chain: Chain | null = null
  /** Snapshot taken but not yet known complete: applied to the live DB on completion. */
  private pendingSnapshot: { id: number; chain: Chain } | null = null

  constructor(options: RocksDbStateBackendOptions) {
    this.maxParallelism = options.maxParallelism ?? 128
    this.keyGroups = options.keyGroups ?? allKeyGroups(this.maxParallelism)
    this.working = new WorkingSet(options.clock, options.cacheEntries ?? 100_000, options.dirtyBudgetEntries ?? 100_000, (tableId) =>
      this.liveKeys(tableId),
    )
    this.db = (options.engine ?? rocksDb)(options.path)
  }

  get wantsCheckpoint(): boolean {
    return this.working.wantsCheckpoint
  }

  private ensureOpen(): Promise<void> {
    if (!this.opened) this.opened = this.db.open()
    return this.opened
  }

  table<T>(operatorId: OperatorId, descriptor: StateDescriptor<T>): StateTable<T> {
    return this.working.table(operatorId, descriptor)
  }

  prefetch(keys: readonly StateKey[], distinct = false): Promise<void> | null {
    const misses = this.working.misses(keys, distinct, this.present)
    if (misses === null) {
      this.working.trim(keys)
      return null
    }
    // RocksDB can read a batch synchronously: no promise, no thread-pool hop.
    if (this.db.readsSync) {
      this.working.fill(misses, this.db.getManySync(this.rowKeys(misses)), keys)
      return null
    }
    return this.load(misses, keys)
  }

  private rowKeys({ tables, keys }: Misses): Buffer[] {
    const rowKeys = new Array<Buffer>(keys.length)
    for (let i = 0; i < keys.length; i++) rowKeys[i] = rowKey(keyGroupOf(keys[i]!, this.maxParallelism), tables[i]!.id, keys[i]!)
    return rowKeys
  }

  private async load(misses: Misses, batch: readonly StateKey[]): Promise<void> {
    await this.ensureOpen()
    this.working.fill(misses, await this.db.getMany(this.rowKeys(misses)), batch)
  }

  async snapshot(id: CheckpointId, root: string): Promise<StateSnapshotHandle> {
    await this.ensureOpen()
    // Encode the dirty entries now, sorted by key group; nothing changes until completion.
    const chain = await writeCheckpoint(this.db, this.chain, this.working.changes(this.maxParallelism), id, root, this.keyGroups)
    this.pendingSnapshot = { id, chain }
    return chainHandle(chain, id, this.maxParallelism)
  }

  async notifyCheckpointComplete(id: CheckpointId): Promise<void> {
    const pending = this.pendingSnapshot
    if (!pending || pending.id !== id) return
    await this.ensureOpen()
    // The snapshotted changes go to the live database in one atomic batch, with the meta record naming the checkpoint.
    const batch = this.db.batch()
    for (const t of this.working.tables.values()) {
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
    batch.put(META_KEY, liveMeta(id, this.keyGroups))
    await batch.write()
    this.working.markClean()
    this.chain = pending.chain
    this.pendingSnapshot = null
  }

  async clear(): Promise<void> {
    await this.ensureOpen()
    await this.db.clear(ALL_ROWS)
    this.working.reset()
    this.present.clear()
    this.chain = null
    this.pendingSnapshot = null
  }

  async restore(handle: StateSnapshotHandle, root: string): Promise<void> {
    checkCompatible(handle, this.maxParallelism)
    await this.ensureOpen()
    this.working.reset()
    const chain = await restoreChain(this.db, handle, root, this.keyGroups)
    await this.rebuildPresence()
    this.chain = chain
    this.pendingSnapshot = null
  }

  /** Fills the presence filter with every key of the live database (after a restore). */
  private async rebuildPresence(): Promise<void> {
    this.present.clear()
    const prefixes = new Map<string, HashPrefix>()
    for await (const [k] of this.db.iterator({ lt: META_KEY, values: false })) {
      const { table, key } = parseRowKey(k)
      let prefix = prefixes.get(table)
      if (prefix === undefined) prefixes.set(table, (prefix = hashPrefix(table + '\u0000')))
      this.present.add(key, prefix)
    }
  }

  /** Keys of a table in the live database (own key groups). */
  private async *liveKeys(tableId: string): AsyncIterable<StateKey> {
    await this.ensureOpen()
    for (let g = this.keyGroups.start; g <= this.keyGroups.end; g++) {
      for await (const [k] of this.db.iterator({ ...tableBounds(g, tableId), values: false })) yield parseRowKey(k).key
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
      if (this.db.isOpen) await this.db.close()
    }
  }

  /** Deletes the live database directory (for tests and `--fresh`). */
  static async destroy(path: string): Promise<void> {
    await rm(path, { recursive: true, force: true })
  }
}

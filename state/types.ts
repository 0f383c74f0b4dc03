/**
 * Keyed state: the contract between the engine and the state backends (heap, RocksDB).
 *
 * State is declared up front (name + kind + codec, optional TTL) and addressed by
 * operator id + state name + key, never by graph position. Every key belongs to one of
 * a fixed number of key groups (`maxParallelism`), and checkpoints store state by key
 * group so they can be restored by a process that owns any subset of key groups.
 *
 * The hot path is synchronous: `StateTable.get/put` never await. A backend that keeps
 * state outside memory (RocksDB) must have the keys of a micro-batch loaded before the
 * batch is processed: the runtime calls `prefetch(keys)` once per batch and per keyed
 * stage, and awaits it only if it returns a promise.
 *
 * @example
 * const counts = backend.table(operatorId('count'), valueState('count', codecs.json<number>()))
 * await backend.prefetch(['alice'])
 * counts.put('alice', (counts.get('alice') ?? 0) + 1)
 */
import type { CheckpointId, OperatorId, StateKey } from '../base/ids.ts'

/** Turns a state value into bytes for RocksDB and checkpoints, and back. */
export interface Codec<T> {
  encode(value: T): Uint8Array
  decode(bytes: Uint8Array): T
}

export type StateKind = 'value' | 'map' | 'list'

/** Declares one piece of keyed state of an operator. */
export interface StateDescriptor<T, K extends StateKind = StateKind> {
  readonly name: string
  readonly kind: K
  /** Codec of the whole per-key value: T for value state, the entries for map, the elements for list. */
  readonly codec: Codec<T>
  /** Entries not written for this long read as absent and are dropped at the next checkpoint. */
  readonly ttlMs?: number
}

/** Inclusive range of key groups a backend instance owns. */
export interface KeyGroupRange {
  readonly start: number
  readonly end: number
}

/**
 * One state table: the values of one declared state of one operator, per key.
 * `get` on a key that was not prefetched throws on a backend that needs prefetching.
 */
export interface StateTable<T> {
  readonly operatorId: OperatorId
  readonly descriptor: StateDescriptor<T>
  get(key: StateKey): T | undefined
  put(key: StateKey, value: T): void
  delete(key: StateKey): void
  /** Every key with a live value in this table (used to rebuild timer queues on restore). */
  keys(): AsyncIterable<StateKey>
}

/** What a backend wrote for one checkpoint; stored in the checkpoint's metadata as JSON. */
export interface StateSnapshotHandle {
  readonly backend: 'heap' | 'rocksdb'
  readonly checkpointId: CheckpointId
  readonly maxParallelism: number
  /** Paths relative to the checkpoint root; may reference files of earlier checkpoints (incremental). */
  readonly files: readonly string[]
  /** Backend-specific details (e.g. key-group offsets). */
  readonly meta?: Readonly<Record<string, unknown>>
}

export interface KeyedStateBackend {
  readonly kind: 'heap' | 'rocksdb'
  readonly maxParallelism: number
  readonly keyGroups: KeyGroupRange

  /** Registers (or returns the registered) table for a declared state of an operator. */
  table<T>(operatorId: OperatorId, descriptor: StateDescriptor<T>): StateTable<T>

  /**
   * Makes every table's value for these keys readable synchronously. Returns null when
   * nothing had to be loaded (all in memory), so the caller skips the await. `distinct`:
   * the caller promises no key repeats (saves deduplicating them).
   */
  prefetch(keys: readonly StateKey[], distinct?: boolean): Promise<void> | null

  /** True when buffered changes exceed the backend's memory budget: the engine should checkpoint soon. */
  readonly wantsCheckpoint: boolean

  /** Writes the state as of now for checkpoint `id` under `root` (the checkpoint storage root). */
  snapshot(id: CheckpointId, root: string): Promise<StateSnapshotHandle>
  /** Called after the checkpoint is marked complete: may apply it to the live store and drop garbage. */
  notifyCheckpointComplete(id: CheckpointId): Promise<void>
  /** Drops all state: a fresh start, with no checkpoint to restore (a live store left by an earlier run is not trusted). */
  clear(): Promise<void>
  /** Replaces all state with the snapshot's key groups that fall in this backend's range. */
  restore(handle: StateSnapshotHandle, root: string): Promise<void>
  /** Files under `root` that the given retained handles still need (for checkpoint retention). */
  referencedFiles(handles: readonly StateSnapshotHandle[]): readonly string[]

  close(): Promise<void>
}

/** Options every backend accepts. */
export interface StateBackendOptions {
  /** Number of key groups (Flink's max parallelism). Fixed for the life of a job. Default 128. */
  readonly maxParallelism?: number
  /** Key groups this process owns. Default: all of them. */
  readonly keyGroups?: KeyGroupRange
}

/**
 * Keyed state on the JavaScript heap: values live as objects in Maps, nothing is
 * serialized on the hot path. Each checkpoint writes a full snapshot sorted by key
 * group; a restore reads only the key groups this backend owns. For tests and small jobs.
 *
 * @example
 * const backend = new HeapStateBackend({ clock })
 * const t = backend.table(operatorId('op'), valueState('n', codecs.number()))
 * t.put('k', 1)
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Clock } from '../base/clock.ts'
import type { CheckpointId, OperatorId, StateKey } from '../base/ids.ts'
import { allKeyGroups, inRange, keyGroupOf } from './key-groups.ts'
import { readSnapshot, SnapshotWriter, type GroupIndex } from './snapshot-format.ts'
import { decodeStored, encodeStored, tableIdOf } from './stored-value.ts'
import type { KeyGroupRange, KeyedStateBackend, StateBackendOptions, StateDescriptor, StateSnapshotHandle, StateTable } from './types.ts'

class HeapTable<T> implements StateTable<T> {
  readonly data = new Map<StateKey, T>()
  /** Write times, only for tables with a TTL. */
  readonly writes: Map<StateKey, number> | null

  constructor(
    readonly operatorId: OperatorId,
    readonly descriptor: StateDescriptor<T>,
    private readonly clock: Clock,
  ) {
    this.writes = descriptor.ttlMs !== undefined ? new Map() : null
  }

  expired(key: StateKey): boolean {
    if (!this.writes) return false
    const w = this.writes.get(key)
    return w !== undefined && this.clock.now() - w >= this.descriptor.ttlMs!
  }

  get(key: StateKey): T | undefined {
    if (this.writes && this.expired(key)) {
      this.data.delete(key)
      this.writes.delete(key)
      return undefined
    }
    return this.data.get(key)
  }

  put(key: StateKey, value: T): void {
    this.data.set(key, value)
    this.writes?.set(key, this.clock.now())
  }

  delete(key: StateKey): void {
    this.data.delete(key)
    this.writes?.delete(key)
  }

  async *keys(): AsyncIterable<StateKey> {
    for (const key of [...this.data.keys()]) if (!this.expired(key)) yield key
  }
}

export class HeapStateBackend implements KeyedStateBackend {
  readonly kind = 'heap' as const
  readonly maxParallelism: number
  readonly keyGroups: KeyGroupRange
  readonly wantsCheckpoint = false
  private readonly clock: Clock
  private readonly tables = new Map<string, HeapTable<any>>()
  /** Restored bytes of tables not registered yet: table id → key → stored bytes. */
  private restored = new Map<string, Map<StateKey, Uint8Array>>()

  constructor(options: StateBackendOptions & { clock: Clock }) {
    this.clock = options.clock
    this.maxParallelism = options.maxParallelism ?? 128
    this.keyGroups = options.keyGroups ?? allKeyGroups(this.maxParallelism)
  }

  table<T>(operatorId: OperatorId, descriptor: StateDescriptor<T>): StateTable<T> {
    const id = tableIdOf(operatorId, descriptor.name)
    let t = this.tables.get(id)
    if (!t) {
      t = new HeapTable<T>(operatorId, descriptor, this.clock)
      this.tables.set(id, t)
      const bytes = this.restored.get(id)
      if (bytes) {
        for (const [key, b] of bytes) {
          const { value, writtenAt } = decodeStored(descriptor, b)
          t.data.set(key, value)
          t.writes?.set(key, writtenAt)
        }
        this.restored.delete(id)
      }
    }
    return t
  }

  prefetch(): null {
    return null
  }

  async snapshot(id: CheckpointId, root: string): Promise<StateSnapshotHandle> {
    const rel = join(`chk-${id}`, 'heap-state.bin')
    await mkdir(join(root, `chk-${id}`), { recursive: true })
    // Encode now (synchronously), so later changes cannot leak into this checkpoint.
    const entries: Array<{ group: number; table: string; key: string; value: Uint8Array }> = []
    for (const [tableId, t] of this.tables) {
      for (const [key, value] of t.data) {
        if (t.expired(key)) continue
        entries.push({
          group: keyGroupOf(key, this.maxParallelism),
          table: tableId,
          key,
          value: encodeStored(t.descriptor, value, t.writes?.get(key) ?? 0),
        })
      }
    }
    // Tables restored but never registered again keep their state.
    for (const [tableId, bytes] of this.restored) {
      for (const [key, value] of bytes) entries.push({ group: keyGroupOf(key, this.maxParallelism), table: tableId, key, value })
    }
    entries.sort((a, b) => a.group - b.group)
    const writer = await SnapshotWriter.create(join(root, rel))
    for (const e of entries) writer.add(e.group, e.table, e.key, e.value)
    const index = await writer.finish()
    return { backend: 'heap', checkpointId: id, maxParallelism: this.maxParallelism, files: [rel], meta: { index: { [rel]: index } } }
  }

  async notifyCheckpointComplete(): Promise<void> {}

  async clear(): Promise<void> {
    for (const t of this.tables.values()) {
      t.data.clear()
      t.writes?.clear()
    }
    this.restored = new Map()
  }

  async restore(handle: StateSnapshotHandle, root: string): Promise<void> {
    checkCompatible(handle, this.maxParallelism)
    for (const t of this.tables.values()) {
      t.data.clear()
      t.writes?.clear()
    }
    this.restored = new Map()
    const indexes = (handle.meta?.index ?? {}) as Record<string, GroupIndex>
    // Files are applied in order (a later file's entry or deletion wins), so incremental chains restore too.
    for (const file of handle.files) {
      for await (const e of readSnapshot(join(root, file), indexes[file] ?? {}, this.keyGroups)) {
        if (!inRange(e.group, this.keyGroups)) continue
        let m = this.restored.get(e.table)
        if (!m) this.restored.set(e.table, (m = new Map<StateKey, Uint8Array>()))
        if (e.value) m.set(e.key, Uint8Array.prototype.slice.call(e.value))
        else m.delete(e.key)
      }
    }
    // Tables registered before the restore get their values now.
    for (const [id, t] of this.tables) {
      const bytes = this.restored.get(id)
      if (!bytes) continue
      for (const [key, b] of bytes) {
        // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- a table's values are typed by its descriptor, any here
        const { value, writtenAt } = decodeStored(t.descriptor, b)
        t.data.set(key, value)
        t.writes?.set(key, writtenAt)
      }
      this.restored.delete(id)
    }
  }

  referencedFiles(handles: readonly StateSnapshotHandle[]): readonly string[] {
    return handles.flatMap((h) => h.files)
  }

  async close(): Promise<void> {}
}

export function checkCompatible(handle: StateSnapshotHandle, maxParallelism: number): void {
  if (handle.maxParallelism !== maxParallelism) {
    throw new Error(
      `checkpoint ${handle.checkpointId} has ${handle.maxParallelism} key groups but this job uses ${maxParallelism}; max parallelism is fixed for the life of a job`,
    )
  }
}

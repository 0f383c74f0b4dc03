/**
 * Incremental checkpoints of the RocksDB state backend, Flink-style, and applying them to
 * the live database. A checkpoint writes the epoch's changes as a delta file (sorted by
 * key group) under `<root>/shared/`; its handle lists the chain of files since the last
 * full snapshot, which is rewritten (live database merged with the changes) when the
 * deltas outgrow it. The live database holds a meta record naming the checkpoint it
 * holds; on restore it is reused if it holds the checkpoint, brought forward by the last
 * delta if it holds the one before, and otherwise rebuilt from the chain's files (own key
 * groups only).
 *
 * @example
 * const chain = await writeCheckpoint(db, previous, workingSet.changes(128), id, root, keyGroups)
 * const handle = chainHandle(chain, id, 128)
 * // after a restart
 * const restored = await restoreChain(db, handle, root, keyGroups)
 */
import { randomUUID } from 'node:crypto'
import { mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { CheckpointId } from '../../base/ids.ts'
import type { Database } from '../../base/rocksdb.ts'
import { inRange } from '../key-groups.ts'
import { readSnapshot, SnapshotWriter, type GroupIndex, type SnapshotEntry } from '../snapshot-format.ts'
import type { KeyGroupRange, StateSnapshotHandle } from '../types.ts'
import { ALL_ROWS, groupBound, META_KEY, parseRowKey, rowKey } from './row-keys.ts'

/** The files of a checkpoint: a full snapshot, then the deltas after it. */
export interface Chain {
  files: string[]
  /** Checkpoint id of each file in `files` (same order). */
  ids: number[]
  index: Record<string, GroupIndex>
  /** Bytes of the full snapshot at the head of the chain, and of all deltas after it. */
  fullBytes: number
  deltaBytes: number
}

/** Handle meta of this backend. */
interface ChainMeta {
  index: Record<string, GroupIndex>
  ids: number[]
  fullBytes: number
  deltaBytes: number
  [key: string]: unknown
}

/** The meta record of the live database: the checkpoint it holds, for which key groups. */
interface LiveMeta {
  checkpointId: number
  range: KeyGroupRange
}

/** The value of the meta record for a live database at checkpoint `id`. */
export function liveMeta(id: number, range: KeyGroupRange): Buffer {
  return Buffer.from(JSON.stringify({ checkpointId: id, range } satisfies LiveMeta))
}

async function readLiveMeta(db: Database): Promise<LiveMeta | null> {
  try {
    const v = await db.get(META_KEY)
    return v ? (JSON.parse(v.toString('utf8')) as LiveMeta) : null
  } catch {
    return null
  }
}

/**
 * Writes checkpoint `id` under `root`: a delta of `changes` after `prev`, or a full snapshot
 * (`db`, the last complete checkpoint, merged with `changes`) when there is no chain yet or
 * its deltas outgrew it. Returns the new chain; `db` is not changed.
 */
export async function writeCheckpoint(
  db: Database,
  prev: Chain | null,
  changes: readonly SnapshotEntry[],
  id: CheckpointId,
  root: string,
  keyGroups: KeyGroupRange,
): Promise<Chain> {
  await mkdir(join(root, 'shared'), { recursive: true })
  const compact = !prev || prev.deltaBytes > 2 * Math.max(prev.fullBytes, 1 << 20) || prev.files.length >= 50
  if (compact) {
    const rel = join('shared', `full-${id}-${randomUUID()}.bin`)
    const index = await writeFull(db, join(root, rel), changes, keyGroups)
    const bytes = (await stat(join(root, rel))).size
    return { files: [rel], ids: [id], index: { [rel]: index }, fullBytes: bytes, deltaBytes: 0 }
  }
  const rel = join('shared', `delta-${id}-${randomUUID()}.bin`)
  const writer = await SnapshotWriter.create(join(root, rel))
  for (const e of changes) writer.add(e.group, e.table, e.key, e.value)
  const index = await writer.finish()
  const bytes = (await stat(join(root, rel))).size
  return {
    files: [...prev.files, rel],
    ids: [...prev.ids, id],
    index: { ...prev.index, [rel]: index },
    fullBytes: prev.fullBytes,
    deltaBytes: prev.deltaBytes + bytes,
  }
}

/** A full snapshot: the live DB (last complete checkpoint) merged with the dirty entries. */
async function writeFull(db: Database, path: string, dirty: readonly SnapshotEntry[], keyGroups: KeyGroupRange): Promise<GroupIndex> {
  const overlay = new Map<string, Uint8Array | null>()
  for (const e of dirty) overlay.set(`${e.group}\u0000${e.table}\u0000${e.key}`, e.value)
  const writer = await SnapshotWriter.create(path)
  // Merge by key group: DB rows of a group, then dirty rows of the group not in the DB.
  const byGroup = new Map<number, SnapshotEntry[]>()
  for (const e of dirty) {
    let l = byGroup.get(e.group)
    if (!l) byGroup.set(e.group, (l = []))
    l.push(e)
  }
  let n = 0
  for (let g = keyGroups.start; g <= keyGroups.end; g++) {
    const it = db.iterator({ gte: groupBound(g), lt: groupBound(g + 1) })
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

/** The snapshot handle of checkpoint `id` with this chain. */
export function chainHandle(chain: Chain, id: CheckpointId, maxParallelism: number): StateSnapshotHandle {
  const meta: ChainMeta = { index: chain.index, ids: chain.ids, fullBytes: chain.fullBytes, deltaBytes: chain.deltaBytes }
  return { backend: 'rocksdb', checkpointId: id, maxParallelism, files: chain.files, meta }
}

/**
 * Makes the live database hold exactly the handle's checkpoint (own key groups) and returns
 * its chain, or null for a heap checkpoint (the next checkpoint starts a new chain).
 */
export async function restoreChain(
  db: Database,
  handle: StateSnapshotHandle,
  root: string,
  keyGroups: KeyGroupRange,
): Promise<Chain | null> {
  const meta = (handle.meta ?? {}) as Partial<ChainMeta>
  const index = meta.index ?? {}
  const ids = meta.ids ?? handle.files.map(() => handle.checkpointId)
  const live = await readLiveMeta(db)
  const sameRange = live !== null && live.range.start === keyGroups.start && live.range.end === keyGroups.end
  if (handle.backend === 'rocksdb' && sameRange && live.checkpointId === handle.checkpointId) {
    // fast path: the live DB is exactly this checkpoint
  } else if (handle.backend === 'rocksdb' && sameRange && ids.length >= 2 && live.checkpointId === ids[ids.length - 2]) {
    await applyFiles(db, root, [handle.files[handle.files.length - 1]!], index, keyGroups, handle.checkpointId)
  } else {
    await db.clear(ALL_ROWS)
    await applyFiles(db, root, handle.files, index, keyGroups, handle.checkpointId)
  }
  return handle.backend === 'rocksdb'
    ? { files: [...handle.files], ids: [...ids], index: { ...index }, fullBytes: meta.fullBytes ?? 0, deltaBytes: meta.deltaBytes ?? 0 }
    : null
}

/** Applies snapshot files to the live database in order (a later file wins), then names checkpoint `id` in its meta record. */
async function applyFiles(
  db: Database,
  root: string,
  files: readonly string[],
  index: Record<string, GroupIndex>,
  keyGroups: KeyGroupRange,
  id: number,
): Promise<void> {
  let batch = db.batch()
  for (const file of files) {
    for await (const e of readSnapshot(join(root, file), index[file] ?? {}, keyGroups)) {
      if (!inRange(e.group, keyGroups)) continue
      const rk = rowKey(e.group, e.table, e.key)
      if (e.value) batch.put(rk, Buffer.from(e.value))
      else batch.del(rk)
      if (batch.length >= 10_000) {
        await batch.write()
        batch = db.batch()
      }
    }
    // each file is applied in full before the next (a later file wins)
    await batch.write()
    batch = db.batch()
  }
  batch.put(META_KEY, liveMeta(id, keyGroups))
  await batch.write()
}

/**
 * Checkpoints on the local file system, one directory per checkpoint:
 *
 *   <root>/chk-<id>/...            files the state backend wrote for this checkpoint
 *   <root>/shared/...              files shared by several checkpoints (incremental state)
 *   <root>/chk-<id>/_metadata.json written last, atomically (temp file, fsync, rename, fsync dir)
 *
 * A checkpoint is complete exactly when its `_metadata.json` exists; a crash at any earlier
 * point leaves a directory without it, which the next start deletes. The metadata records
 * the size and SHA-256 of every file the checkpoint references (checksums.ts); a metadata
 * file that cannot be parsed or lacks a field is reported as damaged, never taken for an
 * unfinished checkpoint and deleted.
 *
 * @example
 * const storage = new CheckpointStorage('.rdg/job/checkpoints')
 * const latest = await storage.latestComplete()
 */
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises'
import { join, relative } from 'node:path'
import type { SourcePositions } from '../connector.ts'
import type { WatermarkSnapshot } from '../watermarks.ts'
import type { HeldPositions } from '../held-segments.ts'
import type { CheckpointId } from '../../base/ids.ts'
import { checkpointId } from '../../base/ids.ts'
import type { StateSnapshotHandle } from '../../state/types.ts'
import type { FileDigestMap } from './checksums.ts'

export interface CheckpointMetadata {
  readonly id: CheckpointId
  readonly job: string
  /** Processing time the checkpoint completed at. */
  readonly completedAt: number
  readonly reason: string
  readonly state: StateSnapshotHandle
  /** Next position to read per source partition. */
  readonly positions: SourcePositions
  readonly sourceId: string
  readonly watermark: WatermarkSnapshot
  /** Size and SHA-256 of every file in `state.files`; absent in checkpoints written before checksums. */
  readonly files?: FileDigestMap
  /** Per partition, the oldest records whose effects were still pending (held-segments.ts); absent when none were, or in older checkpoints. */
  readonly held?: HeldPositions
}

/** What a checkpoint directory holds: a complete checkpoint, an unfinished one, or metadata that is damaged. */
export type CheckpointRead =
  | { readonly status: 'complete'; readonly meta: CheckpointMetadata }
  | { readonly status: 'incomplete' }
  | { readonly status: 'damaged'; readonly problem: string }

const METADATA = '_metadata.json'

export class CheckpointStorage {
  constructor(readonly root: string) {}

  dirOf(id: CheckpointId): string {
    return join(this.root, `chk-${id}`)
  }

  async ensure(): Promise<void> {
    await mkdir(join(this.root, 'shared'), { recursive: true })
  }

  /** Ids of all checkpoint directories, complete or not, ascending. */
  async allIds(): Promise<CheckpointId[]> {
    let names: string[]
    try {
      names = await readdir(this.root)
    } catch {
      return []
    }
    return names
      .map((n) => /^chk-(\d+)$/.exec(n)?.[1])
      .filter((x): x is string => x !== undefined)
      .map((x) => checkpointId(Number(x)))
      .sort((a, b) => a - b)
  }

  metadataPath(id: CheckpointId): string {
    return join(this.dirOf(id), METADATA)
  }

  /** Reads a checkpoint's metadata and checks its shape. */
  async inspect(id: CheckpointId): Promise<CheckpointRead> {
    const path = this.metadataPath(id)
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch {
      return { status: 'incomplete' }
    }
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (err) {
      return { status: 'damaged', problem: `${path} is not valid JSON (${(err as Error).message})` }
    }
    const problem = metadataProblem(value, id)
    return problem ? { status: 'damaged', problem: `${path} ${problem}` } : { status: 'complete', meta: value as CheckpointMetadata }
  }

  /** The metadata of a complete, well-formed checkpoint, else null. */
  async read(id: CheckpointId): Promise<CheckpointMetadata | null> {
    const r = await this.inspect(id)
    return r.status === 'complete' ? r.meta : null
  }

  /** Complete checkpoints, ascending by id. */
  async complete(): Promise<CheckpointMetadata[]> {
    const out: CheckpointMetadata[] = []
    for (const id of await this.allIds()) {
      const meta = await this.read(id)
      if (meta) out.push(meta)
    }
    return out
  }

  async latestComplete(): Promise<CheckpointMetadata | null> {
    const ids = await this.allIds()
    for (let i = ids.length - 1; i >= 0; i--) {
      const meta = await this.read(ids[i]!)
      if (meta) return meta
    }
    return null
  }

  /** Marks a checkpoint complete by writing its metadata atomically. */
  async commit(meta: CheckpointMetadata): Promise<void> {
    const dir = this.dirOf(meta.id)
    await mkdir(dir, { recursive: true })
    const tmp = join(dir, `${METADATA}.tmp`)
    const fh = await open(tmp, 'w')
    try {
      await fh.writeFile(JSON.stringify(meta, null, 2))
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, join(dir, METADATA))
    await syncDir(dir)
    await syncDir(this.root)
  }

  /**
   * Keeps the newest `retain` complete checkpoints; deletes older ones, incomplete ones,
   * and shared files that no kept checkpoint references.
   */
  async prune(retain: number, referencedFiles: (handles: readonly StateSnapshotHandle[]) => readonly string[]): Promise<void> {
    const complete = await this.complete()
    const kept = complete.slice(-Math.max(1, retain))
    const keptIds = new Set(kept.map((m) => m.id))
    for (const id of await this.allIds()) {
      if (!keptIds.has(id)) await rm(this.dirOf(id), { recursive: true, force: true })
    }
    const referenced = new Set(referencedFiles(kept.map((m) => m.state)).map((f) => f.replaceAll('\\', '/')))
    for (const file of await listFiles(join(this.root, 'shared'))) {
      const rel = relative(this.root, file).replaceAll('\\', '/')
      if (!referenced.has(rel)) await rm(file, { force: true })
    }
  }

  /** Deletes directories of checkpoints that never completed (left by a crash); damaged ones stay for inspection. */
  async removeIncomplete(): Promise<void> {
    for (const id of await this.allIds()) {
      if ((await this.inspect(id)).status === 'incomplete') await rm(this.dirOf(id), { recursive: true, force: true })
    }
  }
}

async function listFiles(dir: string): Promise<string[]> {
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch {
    return []
  }
  const out: string[] = []
  for (const e of entries) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...(await listFiles(p)))
    else out.push(p)
  }
  return out
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } catch {
    // some file systems do not support fsync on directories; rename is still atomic there
  } finally {
    await fh.close()
  }
}

/** Why a parsed metadata value is not one this engine wrote for checkpoint `id`, or null when it is. */
function metadataProblem(value: unknown, id: CheckpointId): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'is not a checkpoint metadata object'
  const m = value as Record<string, unknown>
  if (m.id !== id) return `names checkpoint ${JSON.stringify(m.id)}, not ${id}`
  for (const field of ['job', 'sourceId', 'reason'] as const) if (typeof m[field] !== 'string') return `has no "${field}" string`
  if (typeof m.completedAt !== 'number') return 'has no "completedAt" time'
  const state = m.state as Record<string, unknown> | null | undefined
  if (!state || typeof state !== 'object' || !Array.isArray(state.files) || typeof state.backend !== 'string')
    return 'has no "state" snapshot handle'
  if (!m.positions || typeof m.positions !== 'object') return 'has no "positions"'
  if (!m.watermark || typeof m.watermark !== 'object') return 'has no "watermark"'
  if (m.files !== undefined && (m.files === null || typeof m.files !== 'object')) return 'has a malformed "files" checksum list'
  return null
}

/**
 * Checkpoints on the local file system, one directory per checkpoint:
 *
 *   <root>/chk-<id>/...            files the state backend wrote for this checkpoint
 *   <root>/shared/...              files shared by several checkpoints (incremental state)
 *   <root>/chk-<id>/_metadata.json written last, atomically (temp file, fsync, rename, fsync dir)
 *
 * A checkpoint is complete exactly when its `_metadata.json` exists; a crash at any earlier
 * point leaves a directory without it, which the next start deletes.
 *
 * @example
 * const storage = new CheckpointStorage('.rdg/job/checkpoints')
 * const latest = await storage.latestComplete()
 */
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises'
import { join, relative } from 'node:path'
import type { SourcePositions } from '../connector.ts'
import type { WatermarkSnapshot } from '../watermarks.ts'
import type { CheckpointId } from '../../base/ids.ts'
import { checkpointId } from '../../base/ids.ts'
import type { StateSnapshotHandle } from '../../state/types.ts'

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
}

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

  async read(id: CheckpointId): Promise<CheckpointMetadata | null> {
    try {
      return JSON.parse(await readFile(join(this.dirOf(id), METADATA), 'utf8')) as CheckpointMetadata
    } catch {
      return null
    }
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

  /** Deletes directories of checkpoints that never completed (left by a crash). */
  async removeIncomplete(): Promise<void> {
    for (const id of await this.allIds()) {
      if (!(await this.read(id))) await rm(this.dirOf(id), { recursive: true, force: true })
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

/** Writes a file durably (used by state backends for checkpoint files). */
export async function writeFileDurably(path: string, data: Uint8Array | string): Promise<void> {
  const fh = await open(path, 'w')
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
}


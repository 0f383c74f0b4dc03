/**
 * Takes checkpoints and restores them. The commit order lives here and only here:
 *
 *   1. flush every sink            (everything emitted so far is durable downstream)
 *   2. snapshot state and timers   (timers are keyed state; written by key group)
 *   3. read source positions       (the next record to read per partition)
 *   4. mark complete               (atomic metadata write with the checksum of every state file;
 *                                   before it, the checkpoint does not exist)
 *   then: tell the state backend and the source it completed, and prune old checkpoints.
 *
 * A restore takes the newest checkpoint whose metadata is well formed and whose files match
 * their checksums; a damaged one is named on stderr and the previous one is used instead.
 *
 * Checkpoints are taken between micro-batches, when every operator is quiescent, so no
 * barrier alignment is needed inside one process.
 *
 * @example
 * const coordinator = new CheckpointCoordinator({ storage, backend, source, sinks, clock, job: 'playback-events', retain: 3 })
 * const restored = await coordinator.restore()
 * await coordinator.checkpoint('periodic', tracker.snapshot())
 */
import type { Clock } from '../../base/clock.ts'
import type { Sink, Source, SourcePositions } from '../connector.ts'
import { ConfigError } from '../../base/errors.ts'
import { checkpointId, type CheckpointId } from '../../base/ids.ts'
import type { WatermarkSnapshot } from '../watermarks.ts'
import type { HeldPositions } from '../held-segments.ts'
import type { KeyedStateBackend } from '../../state/types.ts'
import { emptyCheckpointStats, type CheckpointStats } from '../run-options.ts'
import { FileDigests } from './checksums.ts'
import type { CheckpointMetadata, CheckpointStorage } from './storage.ts'

export interface CoordinatorOptions {
  readonly job: string
  readonly storage: CheckpointStorage
  readonly backend: KeyedStateBackend
  readonly source: Source<unknown>
  readonly sinks: readonly Sink<unknown>[]
  readonly clock: Clock
  /** Complete checkpoints kept. */
  readonly retain: number
  /** Where a note about a damaged checkpoint that was skipped goes. Default: stderr. */
  readonly warn?: (message: string) => void
  /** Updated in place after each checkpoint (duration, size, failures); the executor passes its metrics' entry. */
  readonly stats?: CheckpointStats | undefined
}

export interface RestoredCheckpoint {
  readonly id: CheckpointId
  readonly positions: SourcePositions
  readonly watermark: WatermarkSnapshot
  /** Records whose effects were still pending when it was taken, per partition (null in older checkpoints). */
  readonly held: HeldPositions | null
}

/** At a checkpoint: the records whose effects are still pending, per source partition (held-segments.ts). */
export type HeldNow = () => HeldPositions

export class CheckpointCoordinator {
  private nextId: CheckpointId = checkpointId(1)
  lastCompleted: CheckpointId | null = null
  private readonly digests: FileDigests
  /** Duration, size and failures of the checkpoints taken (operating metrics read them). */
  readonly stats: CheckpointStats

  constructor(private readonly options: CoordinatorOptions) {
    this.digests = new FileDigests(options.storage.root)
    this.stats = options.stats ?? emptyCheckpointStats()
  }

  /**
   * Cleans up after a crash and restores the latest complete checkpoint (or `id`).
   * Returns null on a fresh start.
   */
  async restore(id?: number): Promise<RestoredCheckpoint | null> {
    const { storage, backend } = this.options
    await storage.ensure()
    await storage.removeIncomplete()
    const all = await storage.allIds()
    const maxId = all.length > 0 ? all[all.length - 1]! : 0
    this.nextId = checkpointId(maxId + 1)
    const meta = id !== undefined ? await this.chosen(checkpointId(id)) : await this.latestIntact(all)
    if (!meta) {
      await backend.clear()
      return null
    }
    await backend.restore(meta.state, storage.root)
    this.lastCompleted = meta.id
    return { id: meta.id, positions: meta.positions, watermark: meta.watermark, held: meta.held ?? null }
  }

  /** The checkpoint `--restore-from` names; it must exist and be intact. */
  private async chosen(id: CheckpointId): Promise<CheckpointMetadata> {
    const { storage } = this.options
    const read = await storage.inspect(id)
    if (read.status === 'incomplete')
      throw new ConfigError(
        `checkpoint ${id} does not exist or is incomplete in ${storage.root}`,
        'run without --restore-from to use the latest one',
      )
    const problems = read.status === 'damaged' ? [read.problem] : await this.problemsOf(read.meta)
    if (read.status === 'damaged' || problems.length > 0) {
      throw new ConfigError(`checkpoint ${id} is damaged: ${problems[0]}`, 'run without --restore-from to use the newest intact checkpoint')
    }
    return read.meta
  }

  /** The newest intact checkpoint, skipping (and naming) damaged ones; null when there is none at all. */
  private async latestIntact(ids: readonly CheckpointId[]): Promise<CheckpointMetadata | null> {
    const { storage } = this.options
    const warn = this.options.warn ?? ((message: string) => process.stderr.write(`rdg: ${message}\n`))
    let firstProblem: string | null = null
    for (let i = ids.length - 1; i >= 0; i--) {
      const read = await storage.inspect(ids[i]!)
      if (read.status === 'incomplete') continue
      const problems = read.status === 'damaged' ? [read.problem] : await this.problemsOf(read.meta)
      if (read.status === 'complete' && problems.length === 0) return read.meta
      firstProblem ??= problems[0]!
      const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''
      warn(`checkpoint ${ids[i]} is damaged: ${problems[0]}${more}; trying the one before it`)
    }
    if (firstProblem !== null) {
      throw new ConfigError(
        `no intact checkpoint in ${storage.root}: ${firstProblem}`,
        `restore the directory from a backup, or move it away to start afresh (state is lost and the source is read from its start)`,
      )
    }
    return null
  }

  /** Why a well-formed checkpoint cannot be restored here: another job's or source's, or files that fail their checksums. */
  private async problemsOf(meta: CheckpointMetadata): Promise<string[]> {
    const { job, source, storage } = this.options
    if (meta.job !== job)
      throw new ConfigError(
        `checkpoint ${meta.id} in ${storage.root} belongs to job "${meta.job}", not "${job}"`,
        'use another --data-dir for this job',
      )
    if (meta.sourceId !== source.id) {
      throw new ConfigError(
        `checkpoint ${meta.id} belongs to source "${meta.sourceId}", not "${source.id}"`,
        `use another --data-dir or the same source`,
      )
    }
    if (!meta.files) return [] // written before checksums: nothing to verify against
    const listed = new Set(Object.keys(meta.files))
    const unlisted = meta.state.files.filter((f) => !listed.has(f))
    if (unlisted.length > 0) return unlisted.map((f) => `${f} has no checksum in ${storage.metadataPath(meta.id)}`)
    return this.digests.verify(meta.files)
  }

  /** `heldNow` says which records' effects are still pending (default: none); the checkpoint keeps it and the source hears it. */
  async checkpoint(reason: string, watermark: WatermarkSnapshot, heldNow?: HeldNow): Promise<CheckpointId> {
    const started = this.options.clock.now()
    try {
      const { id, bytes } = await this.take(reason, watermark, heldNow)
      const now = this.options.clock.now()
      this.stats.lastDurationMs = now - started
      this.stats.totalDurationMs += now - started
      this.stats.lastBytes = bytes
      this.stats.lastCompletedAt = now
      return id
    } catch (err) {
      this.stats.failures++
      throw err
    }
  }

  private async take(reason: string, watermark: WatermarkSnapshot, heldNow?: HeldNow): Promise<{ id: CheckpointId; bytes: number }> {
    const { storage, backend, source, sinks, clock, job } = this.options
    const id = this.nextId
    this.nextId = checkpointId(id + 1)
    // 1. flush sinks
    await Promise.all(sinks.map((s) => s.flush()))
    // 2. snapshot state and timers
    const state = await backend.snapshot(id, storage.root)
    // 3. source positions
    const positions = source.positions()
    const held = heldNow?.() ?? {}
    // 4. mark complete, with the checksum of every file the state references
    const files = await this.digests.of(state.files)
    await storage.commit({
      id,
      job,
      completedAt: clock.now(),
      reason,
      state,
      positions,
      sourceId: source.id,
      watermark,
      files,
      ...(Object.keys(held).length > 0 ? { held } : {}),
    })
    this.lastCompleted = id
    await backend.notifyCheckpointComplete(id)
    await source.notifyCheckpointComplete?.(id, positions, heldOffsets(held))
    await storage.prune(this.options.retain, (handles) => backend.referencedFiles(handles))
    let bytes = 0
    for (const f of Object.values(files)) bytes += f.bytes
    return { id, bytes }
  }
}

/** The first held position per partition, as sources hear it. */
function heldOffsets(held: HeldPositions): SourcePositions {
  const out: Record<string, string> = {}
  for (const [p, s] of Object.entries(held)) out[p] = String(s.offset)
  return out
}

/**
 * Takes checkpoints and restores them. The commit order lives here and only here:
 *
 *   1. flush every sink            (everything emitted so far is durable downstream)
 *   2. snapshot state and timers   (timers are keyed state; written by key group)
 *   3. read source positions       (the next record to read per partition)
 *   4. mark complete               (atomic metadata write; before it, the checkpoint does not exist)
 *   then: tell the state backend and the source it completed, and prune old checkpoints.
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
import type { KeyedStateBackend } from '../../state/types.ts'
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
}

export interface RestoredCheckpoint {
  readonly id: CheckpointId
  readonly positions: SourcePositions
  readonly watermark: WatermarkSnapshot
}

export class CheckpointCoordinator {
  private nextId: CheckpointId = checkpointId(1)
  lastCompleted: CheckpointId | null = null

  constructor(private readonly options: CoordinatorOptions) {}

  /**
   * Cleans up after a crash and restores the latest complete checkpoint (or `id`).
   * Returns null on a fresh start.
   */
  async restore(id?: number): Promise<RestoredCheckpoint | null> {
    const { storage, backend } = this.options
    await storage.ensure()
    await storage.removeIncomplete()
    const all = await storage.allIds()
    let meta: CheckpointMetadata | null
    if (id !== undefined) {
      meta = await storage.read(checkpointId(id))
      if (!meta) throw new ConfigError(`checkpoint ${id} does not exist or is incomplete in ${storage.root}`, 'run without --restore-from to use the latest one')
    } else {
      meta = await storage.latestComplete()
    }
    const maxId = all.length > 0 ? all[all.length - 1]! : 0
    this.nextId = checkpointId(maxId + 1)
    if (!meta) {
      await backend.clear()
      return null
    }
    if (meta.sourceId !== this.options.source.id) {
      throw new ConfigError(`checkpoint ${meta.id} belongs to source "${meta.sourceId}", not "${this.options.source.id}"`, `use another --data-dir or the same source`)
    }
    await backend.restore(meta.state, storage.root)
    this.lastCompleted = meta.id
    return { id: meta.id, positions: meta.positions, watermark: meta.watermark }
  }

  async checkpoint(reason: string, watermark: WatermarkSnapshot): Promise<CheckpointId> {
    const { storage, backend, source, sinks, clock, job } = this.options
    const id = this.nextId
    this.nextId = checkpointId(id + 1)
    // 1. flush sinks
    await Promise.all(sinks.map((s) => s.flush()))
    // 2. snapshot state and timers
    const state = await backend.snapshot(id, storage.root)
    // 3. source positions
    const positions = source.positions()
    // 4. mark complete
    await storage.commit({ id, job, completedAt: clock.now(), reason, state, positions, sourceId: source.id, watermark })
    this.lastCompleted = id
    await backend.notifyCheckpointComplete(id)
    await source.notifyCheckpointComplete?.(id, positions)
    await storage.prune(this.options.retain, (handles) => backend.referencedFiles(handles))
    return id
  }
}

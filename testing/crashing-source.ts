/**
 * Wraps a source to fail once, after it has delivered `crashAfter` records: the run
 * dies as a crash would, and a rerun on the same data directory restores from the last
 * checkpoint. Optionally advances a ManualClock on every poll, so periodic checkpoints
 * happen at deterministic points.
 *
 * @example
 * const source = new CrashingSource(new JsonLinesFileSource({ path }), { crashAfter: 120, clock, tickMs: 10 })
 */
import type { ManualClock } from '../base/clock.ts'
import type { Source, SourceBatch, SourceContext, SourcePositions } from '../engine/connector.ts'
import type { CheckpointId } from '../base/ids.ts'

export class CrashingSource<T> implements Source<T> {
  private delivered = 0
  crashed = false

  constructor(
    private readonly inner: Source<T>,
    private readonly options: { crashAfter?: number; clock?: ManualClock; tickMs?: number; maxPerPoll?: number },
  ) {}

  get id() {
    return this.inner.id
  }

  open(ctx: SourceContext): Promise<void> {
    return this.inner.open(ctx)
  }

  async poll(maxRecords: number): Promise<SourceBatch<T>> {
    this.options.clock?.advance(this.options.tickMs ?? 1)
    if (this.options.crashAfter !== undefined && this.delivered >= this.options.crashAfter) {
      this.crashed = true
      throw new Error(`simulated crash after ${this.delivered} records`)
    }
    const batch = await this.inner.poll(Math.min(maxRecords, this.options.maxPerPoll ?? maxRecords))
    this.delivered += batch.records.length
    return batch
  }

  positions(): SourcePositions {
    return this.inner.positions()
  }

  notifyCheckpointComplete(id: CheckpointId, positions: SourcePositions, held: SourcePositions): Promise<void> {
    return this.inner.notifyCheckpointComplete?.(id, positions, held) ?? Promise.resolve()
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}

/**
 * Event-time watermarks with bounded out-of-orderness per source partition.
 *
 * Each partition's watermark is (max event time seen − bound − 1). The job's watermark
 * is the minimum over active partitions; a partition that delivered nothing for
 * `idleTimeoutMs` of processing time is idle and stops holding the watermark back until
 * it delivers again. The watermark never goes backwards.
 *
 * @example
 * const wm = new WatermarkTracker({ maxOutOfOrdernessMs: 1000, idleTimeoutMs: 5000 })
 * wm.observe(0, 10_000, now)
 * wm.observe(1, 12_000, now)
 * wm.current(now) // 8_999: partition 0 holds it back
 */
import { MAX_WATERMARK, MIN_WATERMARK } from '../base/ids.ts'

/** How a job's source derives watermarks (defineJob's and SourceSpec's `watermark`). */
export interface WatermarkSpec {
  /** Bounded out-of-orderness per source partition. Default 2 000 ms. */
  readonly maxOutOfOrdernessMs?: number
  /** A partition with no record for this long stops holding the watermark back. Default 10 000 ms. */
  readonly idleTimeoutMs?: number
  /** Records this far behind the watermark are still admitted; later ones go to the late side output. Default 0. */
  readonly allowedLatenessMs?: number
  /**
   * Records whose event time is more than this far ahead of processing time are dead
   * letters and never move the watermark (so do event times at or before the epoch).
   * Default 3 600 000 ms (one hour: producers' clocks drift by seconds, not hours).
   */
  readonly maxAheadMs?: number
}

export interface WatermarkOptions {
  readonly maxOutOfOrdernessMs: number
  readonly idleTimeoutMs: number
}

interface PartitionState {
  maxTimestamp: number
  lastActivity: number
}

/** Serializable tracker state, stored in checkpoints so a restore resumes the same watermark. */
export interface WatermarkSnapshot {
  readonly emitted: number | null
  readonly partitions: Readonly<Record<string, number>>
}

export class WatermarkTracker {
  private readonly partitions = new Map<number, PartitionState>()
  private emitted = MIN_WATERMARK
  private ended = false

  constructor(private readonly options: WatermarkOptions) {}

  /** Records one event of `partition` (call per record; cheap). */
  observe(partition: number, timestamp: number, now: number): void {
    let p = this.partitions.get(partition)
    if (p === undefined) {
      p = { maxTimestamp: MIN_WATERMARK, lastActivity: now }
      this.partitions.set(partition, p)
    }
    if (timestamp > p.maxTimestamp) p.maxTimestamp = timestamp
    p.lastActivity = now
  }

  /** Marks a partition as known (assigned) even before it delivers, so it holds the watermark back. */
  track(partition: number, now: number): void {
    if (!this.partitions.has(partition)) this.partitions.set(partition, { maxTimestamp: MIN_WATERMARK, lastActivity: now })
  }

  /** Forgets partitions that are no longer assigned to this process. */
  retain(partitions: readonly number[]): void {
    const keep = new Set(partitions)
    for (const id of this.partitions.keys()) if (!keep.has(id)) this.partitions.delete(id)
  }

  /** The bounded input ended: the watermark jumps to +∞ and fires every timer. */
  end(): void {
    this.ended = true
  }

  /** The job's watermark now; monotonic. */
  current(now: number): number {
    if (this.ended) return (this.emitted = MAX_WATERMARK)
    let min = Number.POSITIVE_INFINITY
    let anyActive = false
    for (const p of this.partitions.values()) {
      if (now - p.lastActivity >= this.options.idleTimeoutMs) continue
      anyActive = true
      const wm = p.maxTimestamp === MIN_WATERMARK ? MIN_WATERMARK : p.maxTimestamp - this.options.maxOutOfOrdernessMs - 1
      if (wm < min) min = wm
    }
    // All partitions idle: hold the last watermark (nothing new to order).
    if (!anyActive) return this.emitted
    if (min > this.emitted) this.emitted = min
    return this.emitted
  }

  /** True when the partition is currently idle. */
  isIdle(partition: number, now: number): boolean {
    const p = this.partitions.get(partition)
    return p !== undefined && now - p.lastActivity >= this.options.idleTimeoutMs
  }

  snapshot(): WatermarkSnapshot {
    const partitions: Record<string, number> = {}
    for (const [id, p] of this.partitions) if (p.maxTimestamp !== MIN_WATERMARK) partitions[id] = p.maxTimestamp
    return { emitted: Number.isFinite(this.emitted) ? this.emitted : null, partitions }
  }

  restore(snapshot: WatermarkSnapshot, now: number): void {
    this.emitted = snapshot.emitted ?? MIN_WATERMARK
    for (const [id, ts] of Object.entries(snapshot.partitions)) {
      this.partitions.set(Number(id), { maxTimestamp: ts, lastActivity: now })
    }
  }
}

/**
 * Which source positions are safe to hand on (to a consumer group, to the next owner of a
 * partition): per batch and source partition one segment (first offset, latest event time
 * of its admitted records). Keyed operators that hold effects (a dedup window) report the
 * earliest event time still pending (`pendingEventTimeFloor`); a segment whose records
 * are all older than that floor has nothing pending, and once a checkpoint has flushed the
 * sinks its effects are in the store. The safe position of a partition is the first offset
 * of its oldest segment not yet done, else the checkpointed position (the source takes the
lower of the two).
 *
 * Work is per batch and partition run, never per record beyond one comparison.
 *
 * @example
 * const held = new HeldSegments()
 * held.record(0, 41, 1_700_000_000_000) // a batch's run of partition 0 from offset 41
 * held.settle(floor) // { '0': { offset: 41, maxEventTime: … } } while a window holds a record of it
 */
/** Not-done records of a partition, collapsed: first offset and latest event time (persisted in checkpoints). */
export interface HeldSegment {
  readonly offset: number
  readonly maxEventTime: number
}

/** Held segments per partition, as a checkpoint stores them. */
export type HeldPositions = Readonly<Record<string, HeldSegment>>

interface Segment {
  offset: number
  maxEventTime: number
  batch: number
}

export class HeldSegments {
  private readonly byPartition = new Map<number, Segment[]>()
  private batch = 0

  /** Seeds from a restored checkpoint: what was not done when it was taken stays held. */
  restore(held: HeldPositions | null | undefined): void {
    this.byPartition.clear()
    for (const [p, s] of Object.entries(held ?? {}))
      this.byPartition.set(Number(p), [{ offset: s.offset, maxEventTime: s.maxEventTime, batch: -1 }])
  }

  /** Starts a new batch: runs recorded from now on form new segments. */
  nextBatch(): void {
    this.batch++
  }

  /**
   * A run of the current batch's records of `partition` from `firstOffset`, the latest
   * admitted event time `maxEventTime` (-Infinity if none). With `last` (the run's last
   * record: its offset and event time), `maxEventTime` covers the records before it and
   * the last one becomes a segment of its own, so a far-ahead record at the end of a run
   * (the last one before a topic goes quiet) holds back only itself.
   */
  record(
    partition: number,
    firstOffset: number,
    maxEventTime: number,
    tail?: { readonly offset: number; readonly eventTime: number },
  ): void {
    if (tail !== undefined && tail.offset > firstOffset) {
      this.record(partition, firstOffset, maxEventTime)
      this.batch += 0.5 // a segment apart from the run's, still before the next batch's
      this.record(partition, tail.offset, tail.eventTime)
      this.batch -= 0.5
      return
    }
    if (tail !== undefined && tail.eventTime > maxEventTime) maxEventTime = tail.eventTime
    let list = this.byPartition.get(partition)
    if (list === undefined) this.byPartition.set(partition, (list = []))
    const last = list[list.length - 1]
    if (last !== undefined && last.batch === this.batch) {
      if (firstOffset < last.offset) last.offset = firstOffset
      if (maxEventTime > last.maxEventTime) last.maxEventTime = maxEventTime
    } else list.push({ offset: firstOffset, maxEventTime, batch: this.batch })
  }

  /** Forgets partitions no longer owned (their next owner starts at the offset handed on). */
  retain(partitions: readonly number[]): void {
    if (this.byPartition.size === 0) return
    for (const p of this.byPartition.keys()) if (!partitions.includes(p)) this.byPartition.delete(p)
  }

  /**
   * At a checkpoint (every operator quiescent, sinks about to be flushed): drops the
   * segments whose records are all older than `floor` (the earliest event time still
   * pending anywhere; Infinity when nothing is) and answers what stays held per partition:
   * the first offset of its oldest segment not done and the latest event time from there.
   */
  settle(floor: number): HeldPositions {
    const held: Record<string, HeldSegment> = {}
    for (const [p, list] of this.byPartition) {
      let done = 0
      while (done < list.length && list[done]!.maxEventTime < floor) done++
      if (done > 0) list.splice(0, done)
      if (list.length === 0) {
        this.byPartition.delete(p)
        continue
      }
      let maxEventTime = -Infinity
      for (const s of list) if (s.maxEventTime > maxEventTime) maxEventTime = s.maxEventTime
      held[String(p)] = { offset: list[0]!.offset, maxEventTime }
    }
    return held
  }
}

/**
 * The Kafka source's partition-position bookkeeping, pure (no kafkajs, no I/O): which
 * offsets were delivered per partition, what a checkpoint records, what is committed to
 * the group after a checkpoint completes, where the consumer must seek when partitions
 * are assigned (kept ones continue, new ones start at the restored checkpoint position or
 * wait for a start lookup), and what revocation drops. The source turns its answers into
 * kafkajs calls.
 *
 * Positions are next offsets: `delivered` is the next offset to hand out (the checkpointed
 * position), `fetchNext` the next offset expected from the broker (the end of the queue).
 *
 * @example
 * const positions = new PartitionPositions()
 * positions.restore(ctx.restoredPositions)
 * const { revoked, seeks, lookUp } = positions.assign([0, 1, 2]) // seek each, look up the start of lookUp
 * positions.handedOut(records)
 * const checkpoint = positions.checkpoint() // { '0': '42', ... }
 * const offsets = positions.commitOffsets(checkpoint, held) // partition → offset to commit to the group (never past a held record)
 */
import type { SourcePositions } from '../../engine/connector.ts'

/** Where partitions without a checkpoint or committed offset start. */
export type KafkaStart = 'earliest' | 'latest' | { readonly timestamp: number }

export interface PartitionOffset {
  readonly partition: number
  readonly offset: number
}

/** What a new assignment asks of the consumer. */
export interface Assignment {
  /** Partitions given up: their records must leave the queue. */
  readonly revoked: readonly number[]
  /** Partitions whose position is known (kept, or restored from a checkpoint): seek each there. */
  readonly seeks: readonly PartitionOffset[]
  /** Newly assigned partitions with no known position: look up their start (they stay paused until `started`). */
  readonly lookUp: readonly number[]
}

export class PartitionPositions {
  /** Next offset to hand out, per owned partition (the checkpointed positions). */
  private readonly delivered = new Map<number, number>()
  /** Next offset expected from the broker, per owned partition (end of the queue). */
  private readonly fetchNext = new Map<number, number>()
  /** Restored checkpoint positions, used the first time a partition is assigned. */
  private readonly startOffsets = new Map<number, number>()
  /** Assigned partitions whose start offset is still being looked up (kept paused). */
  private readonly pending = new Set<number>()
  private owned: number[] | null = null

  /** Takes a checkpoint's positions; each is used the first time its partition is assigned. */
  restore(positions: SourcePositions | null | undefined): void {
    for (const [p, o] of Object.entries(positions ?? {})) this.startOffsets.set(Number(p), Number(o))
  }

  /** Partitions assigned now, ascending; null before the first assignment. */
  get assigned(): readonly number[] | null {
    return this.owned
  }

  /** True if `partition` is assigned and its start is known, so its fetched records may be queued. */
  canQueue(partition: number): boolean {
    return !this.pending.has(partition) && this.owned !== null && this.owned.includes(partition)
  }

  /** True while `partition`'s start offset is being looked up. */
  isAwaitingStart(partition: number): boolean {
    return this.pending.has(partition)
  }

  /** Assigned partitions whose start offset is still being looked up (to keep paused). */
  awaitingStart(): number[] {
    return [...this.pending]
  }

  /** Assigned partitions whose start is known (the ones fetching may resume on). */
  ready(): number[] {
    return (this.owned ?? []).filter((p) => !this.pending.has(p))
  }

  /**
   * A new assignment (the member's whole set): revoked partitions are forgotten; kept ones
   * continue at the end of the queue (kafkajs alone would restart them at the group's
   * committed offset); new ones start at the restored checkpoint position, else wait for
   * a start lookup.
   */
  assign(partitions: readonly number[]): Assignment {
    const next = new Set(partitions)
    const revoked = (this.owned ?? []).filter((p) => !next.has(p))
    for (const p of revoked) {
      this.delivered.delete(p)
      this.fetchNext.delete(p)
      this.pending.delete(p)
    }
    const seeks: PartitionOffset[] = []
    const lookUp: number[] = []
    for (const p of partitions) {
      if (this.pending.has(p)) continue
      let offset = this.fetchNext.get(p) ?? this.delivered.get(p)
      if (offset === undefined) {
        offset = this.startOffsets.get(p)
        this.startOffsets.delete(p)
        if (offset !== undefined) this.delivered.set(p, offset)
      }
      if (offset !== undefined) {
        seeks.push({ partition: p, offset })
        this.fetchNext.set(p, offset)
      } else {
        this.pending.add(p)
        lookUp.push(p)
      }
    }
    this.owned = [...partitions].sort((a, b) => a - b)
    return { revoked, seeks, lookUp }
  }

  /** `partition`'s start was looked up (the group's committed offset or the configured start): it begins there. */
  started(partition: number, offset: number): void {
    this.delivered.set(partition, offset)
    this.fetchNext.set(partition, offset)
    this.pending.delete(partition)
  }

  /** Next offset expected from the broker for `partition`; fetched records below it are already queued or handed out. */
  fetchFrom(partition: number): number | undefined {
    return this.fetchNext.get(partition)
  }

  /**
   * A fetched batch of `partition` was queued: `firstQueued` is its first record taken
   * (undefined if none), `next` the offset after its last one taken (else `fetchFrom`),
   * `batchLastOffset` the batch's last offset, which may be a transaction marker after
   * the last message.
   */
  fetched(partition: number, firstQueued: number | undefined, next: number | undefined, batchLastOffset: number): void {
    if (firstQueued !== undefined && !this.delivered.has(partition)) this.delivered.set(partition, firstQueued)
    if (next === undefined || batchLastOffset + 1 > next) next = batchLastOffset + 1
    this.fetchNext.set(partition, next)
  }

  /** Records handed to the engine, in queue order: each partition's position moves past its last one. */
  handedOut(records: readonly { readonly partition: number; readonly offset: string }[]): void {
    if (records.length === 0) return
    let partition = records[0]!.partition
    let offset = records[0]!.offset
    for (let i = 1; i < records.length; i++) {
      const r = records[i]!
      if (r.partition !== partition) {
        this.delivered.set(partition, Number(offset) + 1)
        partition = r.partition
      }
      offset = r.offset
    }
    this.delivered.set(partition, Number(offset) + 1)
  }

  /** What a checkpoint records: the next offset to hand out per owned partition (before the first assignment, the restored positions carried forward). */
  checkpoint(): SourcePositions {
    const out: Record<string, string> = {}
    if (!this.owned) for (const [p, o] of this.startOffsets) out[String(p)] = String(o)
    for (const [p, o] of this.delivered) out[String(p)] = String(o)
    return out
  }

  /**
   * The offsets to commit to the group once the checkpoint that recorded `checkpointed` is
   * complete, for the partitions still assigned. The one place deciding what the group
   * (and so a partition's next owner) gets: never past a record whose effect is still
   * `held` in an operator (an open dedup window), so the next owner replays those records
   * and nothing is stranded in a member that leaves; else the checkpointed position.
   */
  commitOffsets(checkpointed: SourcePositions, held: SourcePositions = {}): Map<number, number> {
    const owned = new Set(this.owned ?? [])
    const offsets = new Map<number, number>()
    for (const [p, o] of Object.entries(checkpointed)) {
      const partition = Number(p)
      if (!owned.has(partition)) continue
      const h = held[p]
      offsets.set(partition, h !== undefined && Number(h) < Number(o) ? Number(h) : Number(o))
    }
    return offsets
  }
}

/**
 * Where a newly assigned partition without a checkpoint position starts: the group's
 * committed offset, else `start` (the partition's low or high watermark, or the first
 * offset at/after the timestamp). NaN if the answer is unknown.
 */
export function startOffset(
  partition: number,
  start: KafkaStart,
  committed: ReadonlyMap<number, number>,
  bounds: readonly { readonly partition: number; readonly low: string; readonly high: string }[],
  byTime: readonly { readonly partition: number; readonly offset: string }[],
): number {
  const b = bounds.find((x) => x.partition === partition)
  return (
    committed.get(partition) ??
    Number(start === 'earliest' ? b?.low : start === 'latest' ? b?.high : byTime.find((x) => x.partition === partition)?.offset)
  )
}

/**
 * Backfill, then live (like Flink's HybridSource): reads an Iceberg export to its end,
 * then opens the Kafka source at the offsets after the table's last rows per partition
 * (from the export's Kafka partition and offset columns) and continues there. Its
 * checkpointed positions name the phase, so a restart resumes inside the backfill or on
 * the topic, and a checkpoint of a plain live run (no phase) stays live. The decoder
 * passes the backfill's decoded events through and decodes the topic's raw values.
 *
 * @example
 * const hybrid = new HybridSource(icebergSource, kafkaSource)
 * runJob(job, { source: hybrid, decode: hybridDecoder(kafkaDecode), … })
 */
import type { CheckpointId, OperatorId } from '../../base/ids.ts'
import type { Decoder, Source, SourceBatch, SourceContext, SourcePositions } from '../../engine/connector.ts'
import type { IcebergSource } from './source.ts'

const PHASE = 'phase'
const B = 'backfill:'
const L = 'live:'

function prefixed(prefix: string, positions: SourcePositions): Record<string, string> {
  return Object.fromEntries(Object.entries(positions).map(([k, v]) => [prefix + k, v]))
}

function unprefixed(prefix: string, positions: SourcePositions): Record<string, string> {
  return Object.fromEntries(
    Object.entries(positions)
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, v]) => [k.slice(prefix.length), v]),
  )
}

export class HybridSource implements Source<unknown> {
  readonly id: OperatorId
  private phase: 'backfill' | 'live' = 'backfill'
  private ctx: SourceContext | null = null
  /** Where the topic was started after the backfill (partition → offset), for summaries. */
  handover: Readonly<Record<string, string>> | null = null

  constructor(
    private readonly backfill: IcebergSource,
    private readonly live: Source<unknown>,
  ) {
    this.id = live.id
  }

  get currentPhase(): 'backfill' | 'live' {
    return this.phase
  }

  async open(ctx: SourceContext): Promise<void> {
    this.ctx = ctx
    const restored = ctx.restoredPositions
    if (restored && restored[PHASE] === undefined) {
      // a checkpoint of a live run without a backfill: stay live
      this.phase = 'live'
      await this.live.open(ctx)
    } else if (restored?.[PHASE] === 'live') {
      this.phase = 'live'
      await this.live.open({ ...ctx, restoredPositions: unprefixed(L, restored) })
    } else {
      await this.backfill.open({ ...ctx, restoredPositions: restored ? unprefixed(B, restored) : null })
    }
  }

  async poll(maxRecords: number): Promise<SourceBatch<unknown>> {
    if (this.phase === 'live') return this.live.poll(maxRecords)
    const batch = await this.backfill.poll(maxRecords)
    if (!batch.end) return batch
    await this.switchToLive()
    return { records: batch.records, end: false, ...(batch.partitions ? { partitions: batch.partitions } : {}) }
  }

  private async switchToLive(): Promise<void> {
    const offsets: Record<string, string> = {}
    for (const [p, o] of this.backfill.kafkaOffsets()) offsets[String(p)] = String(o)
    this.handover = offsets
    await this.backfill.close()
    this.phase = 'live'
    await this.live.open({ ...this.ctx!, restoredPositions: Object.keys(offsets).length > 0 ? offsets : null })
  }

  positions(): SourcePositions {
    return this.phase === 'live'
      ? { [PHASE]: 'live', ...prefixed(L, this.live.positions()) }
      : { [PHASE]: 'backfill', ...prefixed(B, this.backfill.positions()) }
  }

  async notifyCheckpointComplete(id: CheckpointId, positions: SourcePositions, held: SourcePositions): Promise<void> {
    if (this.phase === 'live' && positions[PHASE] === 'live') await this.live.notifyCheckpointComplete?.(id, unprefixed(L, positions), held)
  }

  async close(): Promise<void> {
    if (this.phase === 'live') await this.live.close()
    else await this.backfill.close()
  }
}

/** Decodes the topic's raw values (bytes or text) and passes the backfill's decoded events through. */
export function hybridDecoder<E>(live: Decoder<E>): Decoder<E> {
  const decode = (raw: unknown): E => (raw instanceof Uint8Array || typeof raw === 'string' ? live(raw) : (raw as E))
  return live.fields ? Object.assign(decode, { fields: live.fields }) : decode
}

/**
 * Kafka consumer lag, off the hot path: every few seconds a kafkajs admin reads the
 * topic's high watermarks and subtracts the source's next offset per assigned partition
 * (KafkaSource.lagView()). Metrics, the status line and the dashboard read the latest
 * reading; nothing runs per record.
 *
 * @example
 * const lag = new KafkaLagPoller(() => source.lagView())
 * lag.start()
 * lag.reading() // { topic, byPartition: Map { 0 => 12, 1 => 0 }, total: 12, at }
 * await lag.stop()
 */
import type { Admin } from 'kafkajs'
import { systemClock, type Clock } from '../base/clock.ts'
import { createKafkaClient, highWatermarks } from '../connectors/kafka/client.ts'
import type { KafkaLagView } from '../connectors/kafka/source.ts'
import type { LagReading } from './operated-job.ts'

/** The Kafka source's view for lag (its TLS and SASL too: the lag admin connects like the source). */
export type LagView = KafkaLagView

/** Lag per partition from high watermarks and positions; partitions without a position yet are left out. */
export function consumerLag(high: ReadonlyMap<number, number>, view: LagView, at: number): LagReading {
  const byPartition = new Map<number, number>()
  let total = 0
  for (const p of view.partitions) {
    const pos = view.positions[String(p)]
    const h = high.get(p)
    if (pos === undefined || h === undefined) continue
    const lag = Math.max(0, h - Number(pos))
    byPartition.set(p, lag)
    total += lag
  }
  return { topic: view.topic, byPartition, total, at }
}

export class KafkaLagPoller {
  private admin: Admin | null = null
  private latest: LagReading | null = null
  private cancel: (() => void) | null = null
  private stopped = false
  private inFlight: Promise<void> | null = null

  constructor(
    private readonly view: () => LagView,
    private readonly options: { readonly intervalMs?: number; readonly clock?: Clock } = {},
  ) {}

  get clock(): Clock {
    return this.options.clock ?? systemClock
  }

  start(): void {
    this.schedule(0)
  }

  reading(): LagReading | null {
    return this.latest
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.cancel?.()
    await this.inFlight?.catch(() => undefined)
    await this.admin?.disconnect().catch(() => undefined)
    this.admin = null
  }

  /** One reading now (tests; the timer calls it too). */
  async poll(): Promise<void> {
    const view = this.view()
    if (view.partitions.length === 0) return
    this.admin ??= createKafkaClient({ brokers: view.brokers, clientId: 'rdg-lag', security: view.security }).admin()
    await this.admin.connect()
    const high = await highWatermarks(this.admin, view.topic)
    // positions read after the watermarks, so lag never comes out negative from the race
    this.latest = consumerLag(high, this.view(), this.clock.now())
  }

  private schedule(ms: number): void {
    if (this.stopped) return
    this.cancel = this.clock.schedule(ms, () => {
      this.inFlight = this.poll()
        .catch(() => undefined) // a broker away for a moment: the next reading retries
        .finally(() => {
          this.inFlight = null
          this.schedule(this.options.intervalMs ?? 5_000)
        })
    })
  }
}

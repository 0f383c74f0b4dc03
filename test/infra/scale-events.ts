/**
 * Dense playback events for the scale-out tests: many updates per identity inside one
 * dedup window, spread over the partitions so that several partitions feed the same
 * identities (titles, devices), one event time per event (no ties), and the expected
 * store contents of one uninterrupted single-process run. Every update of an identity
 * sets the same properties (titles come from the catalog), so a window's merged value is
 * its latest update whatever window boundaries a rebalance makes.
 *
 * @example
 * const events = denseEvents(6_000, 3, 7)
 * const expected = await expectedStore(events)
 */
import { writesFor } from '../../store/graph-layout.ts'
import playbackJob, { type PlaybackEvent } from '../../jobs/playback-events.ts'
import type { StoreItems } from './graph-store-items.ts'
import { playbackEvents, referenceGraph, sentinelAfter } from './kafka-pipeline.ts'

/** `count` events `stepMs` apart in event time (starting two hours ago), deterministic per seed. */
export function denseEvents(count: number, seed: number, stepMs = 2): PlaybackEvent[] {
  const base = Math.floor((Date.now() - 2 * 3_600_000) / 1_000) * 1_000
  return playbackEvents(count, seed).map((e, i) => ({ ...e, ts: base + i * stepMs }))
}

/** One far-ahead event per partition (its own ids): every partition's watermark closes the last windows. */
export function sentinels(events: readonly PlaybackEvent[], partitions: number): PlaybackEvent[] {
  const s = sentinelAfter(events)
  return Array.from({ length: partitions }, (_, p) => ({ ...s, accountId: `sentinel-${p}` }))
}

/** What one uninterrupted single-process run leaves in the store: `namespace|record|item` → value and event time. */
export async function expectedStore(events: readonly PlaybackEvent[]): Promise<StoreItems> {
  const out: StoreItems = new Map()
  for (const p of (await referenceGraph(events)).values()) {
    for (const w of writesFor(playbackJob.graph, p))
      out.set(`${w.namespace}|${w.recordId}|${w.item.key}`, { value: w.item.value, eventTime: w.item.eventTime })
  }
  return out
}

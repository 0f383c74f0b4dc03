/**
 * Shared pieces of the Kafka pipeline tests: playback events from the seeded generator,
 * a reference run of the job without Kafka, the last-writer-wins fold of graph output
 * (what an idempotent store ends up holding), and a sentinel event far in event time that
 * pushes the watermark past every dedup window of a long-running job.
 *
 * @example
 * const events = playbackEvents(2_000)
 * const expected = await referenceGraph(events)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { topicEvents } from '../../connectors/generator/generator-source.ts'
import type { DeadLetter } from '../../engine/connector.ts'
import { runJob } from '../../graph/run-job.ts'
import { CollectingSink } from '../../testing/collecting-sink.ts'
import { TestSource } from '../../testing/test-source.ts'
import { identityOf, type GraphPrimitive } from '../../graph/model.ts'
import playbackJob, { type PlaybackEvent } from '../../jobs/playback-events.ts'

/** `count` well-formed playback events, deterministic per seed. */
export function playbackEvents(count: number, seed = 11): PlaybackEvent[] {
  const out: PlaybackEvent[] = []
  for (const { value } of topicEvents({ topic: 'playback-events', seed, encoding: 'object', malformedRate: 0, accounts: 60 })) {
    out.push(value as PlaybackEvent)
    if (out.length === count) break
  }
  return out
}

/** An event an hour after `events`, with ids of its own: its watermark closes every earlier window. */
export function sentinelAfter(events: readonly PlaybackEvent[]): PlaybackEvent {
  const last = Math.max(...events.map((e) => e.ts))
  return {
    ...events[0]!,
    eventId: 'sentinel',
    accountId: 'sentinel',
    profileId: 'sentinel-p',
    deviceId: 'sentinel-d',
    titleId: 'sentinel-t',
    ts: last + 3_600_000,
  }
}

export const isSentinel = (id: string): boolean => id.includes('sentinel')

/** Latest primitive per identity (ties: the later one), leaving out the sentinel's. */
export function foldGraph(primitives: Iterable<GraphPrimitive>): Map<string, GraphPrimitive> {
  const out = new Map<string, GraphPrimitive>()
  for (const p of primitives) {
    const id = identityOf(p)
    if (isSentinel(id)) continue
    const prev = out.get(id)
    if (!prev || p.eventTime >= prev.eventTime) out.set(id, JSON.parse(JSON.stringify(p)) as GraphPrimitive)
  }
  return out
}

/** The graph the playback job makes of `events` when they come straight from memory. */
export async function referenceGraph(events: readonly PlaybackEvent[]): Promise<Map<string, GraphPrimitive>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rdg-reference-'))
  try {
    const sink = new CollectingSink<GraphPrimitive>('graph')
    const handle = runJob(playbackJob, {
      source: new TestSource<unknown>('reference', events),
      decode: (raw) => raw as PlaybackEvent,
      graphSinks: [sink],
      deadLetterSink: new CollectingSink<DeadLetter>('dlq'),
      dataDir,
      state: { backend: 'heap' },
    })
    const result = await handle.done
    if (result.metrics.deadLetters > 0) throw new Error(`reference run dead-lettered ${result.metrics.deadLetters} events`)
    return foldGraph(sink.values())
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

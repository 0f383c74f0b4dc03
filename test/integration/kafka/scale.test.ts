/**
 * Scaling out in one consumer group over the real broker, all members writing to one real
 * Cassandra store (the `scale` project starts both): members are `rdg-job run` processes
 * with their own data dirs. Offsets committed to the group never pass a record whose
 * effect is still in an open dedup window, so whoever owns a partition next replays those
 * records and nothing is stranded in a member that left.
 *
 * - The minimal case (the issue's measurement): two members, one partition each, dense
 *   events inside one window, both checkpoint; b leaves for good (SIGTERM, then SIGKILL in
 *   a second run); a takes b's partition over; the store equals a single-process run.
 * - A scale sequence 3 → 2 → 1 → 3 with SIGKILLs mid-stream and during a rebalance, stale
 *   local checkpoints coming back, several partitions feeding the same identities; the
 *   store equals one uninterrupted single-process run, item by item (value, event time).
 *   Run with two seeds and kill points.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { createValueEncoder } from '../../../connectors/avro/value-encoder.ts'
import { openStoreFromFlag } from '../../../cli/store-flag.ts'
import type { PlaybackEvent } from '../../../jobs/playback-events.ts'
import playbackJob from '../../../jobs/playback-events.ts'
import { itemsOf, type StoreItems } from '../../infra/graph-store-items.ts'
import { committedOffsets, createTopic, produce, uniqueName, waitFor } from '../../infra/kafka-helpers.ts'
import { isSentinel } from '../../infra/kafka-pipeline.ts'
import { denseEvents, expectedStore, sentinels } from '../../infra/scale-events.ts'
import { groupAssignment, startMember, waitForGroup, type Member, type ScaleSetup } from '../../infra/scale-members.ts'

const { brokers } = inject('kafka')
const cassandra = inject('cassandra')
const base = mkdtempSync(join(tmpdir(), 'rdg-scale-'))
const started: Member[] = []
afterAll(async () => {
  for (const m of started) await m.kill('SIGKILL')
  rmSync(base, { recursive: true, force: true })
})

async function setupTopic(
  name: string,
  partitions: number,
): Promise<ScaleSetup & { send(events: readonly PlaybackEvent[], partitionOf: (i: number) => number): Promise<void> }> {
  const topic = uniqueName(`scale-${name}`)
  const keyspace = `rdg_scale_${name}_${process.pid}_${Math.floor(performance.now())}`.replaceAll('-', '_')
  const setup: ScaleSetup = {
    brokers,
    topic,
    group: uniqueName('rdg-scale'),
    schemaDir: join(base, name, 'schemas'),
    store: `cassandra:${cassandra.contactPoint}/${keyspace}?dc=${cassandra.localDataCenter}`,
    base: join(base, name),
  }
  await createTopic(brokers, topic, partitions)
  const encoder = await createValueEncoder(playbackJob.value, { topic, schemaDir: setup.schemaDir })
  return {
    ...setup,
    async send(events, partitionOf) {
      await produce(
        brokers,
        topic,
        events.map((e, i) => ({ partition: partitionOf(i), value: encoder.encode(e) })),
      )
    },
  }
}

function member(setup: ScaleSetup, name: string): Member {
  const m = startMember(setup, name)
  started.push(m)
  return m
}

async function storeOf(setup: ScaleSetup): Promise<StoreItems> {
  const store = await openStoreFromFlag(setup.store)
  try {
    return await itemsOf(store, playbackJob.graph, isSentinel)
  } finally {
    await store.close()
  }
}

function storeDiff(actual: StoreItems, expected: StoreItems): { missing: number; differing: number; extra: number; sample: string[] } {
  const missing = [...expected.keys()].filter((k) => !actual.has(k))
  const differing = [...expected].filter(([k, v]) => actual.has(k) && JSON.stringify(actual.get(k)) !== JSON.stringify(v)).map(([k]) => k)
  const extra = [...actual.keys()].filter((k) => !expected.has(k))
  return {
    missing: missing.length,
    differing: differing.length,
    extra: extra.length,
    sample: [...missing, ...differing, ...extra].slice(0, 5),
  }
}

const SAME = { missing: 0, differing: 0, extra: 0, sample: [] }

/**
 * Waits until the shared store holds exactly `expected`, then checks it once more. Writes
 * are last-writer-wins by event time with no ties, so once equal it stays equal; a record
 * whose effect was lost keeps it different and the wait fails with the difference.
 */
async function expectStore(setup: ScaleSetup, expected: StoreItems, context: string, members: readonly Member[]): Promise<void> {
  let diff = storeDiff(new Map(), expected)
  await waitFor(
    async () => {
      // tables the members create may not be known to every coordinator yet: not ready
      const actual = await storeOf(setup).catch(() => null)
      if (actual === null) return false
      diff = storeDiff(actual, expected)
      return diff.missing + diff.differing + diff.extra === 0
    },
    90_000,
    () =>
      `${context}: the store to equal one uninterrupted run (now ${JSON.stringify(diff)}); ${members.map((m) => `${m.name}: ${m.stderr().slice(-600)}`).join('\n')}`,
  )
  expect(storeDiff(await storeOf(setup), expected), context).toEqual(SAME)
}

/** Waits until the members' progress lines together count at least `records` and each has checkpointed after that. */
async function waitConsumed(members: readonly Member[], all: readonly Member[], records: number): Promise<void> {
  await waitFor(
    () => all.reduce((n, m) => n + m.progress.records, 0) >= records,
    60_000,
    () => `${records} records read by ${all.map((m) => `${m.name}=${m.progress.records}`).join(' ')}`,
  )
  const marks = members.map((m) => m.progress.checkpoint ?? 0)
  await waitFor(
    () => members.every((m, i) => (m.progress.checkpoint ?? 0) >= marks[i]! + 2),
    30_000,
    () => `checkpoints after the records were read (${members.map((m) => m.name).join(', ')})`,
  )
}

describe('scaling out in one consumer group (real broker, shared real Cassandra)', () => {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(
      `a member that leaves for good by ${signal} strands nothing: its partition's pending windows are replayed by the next owner`,
      { timeout: 150_000 },
      async () => {
        const t = await setupTopic(`min-${signal.toLowerCase()}`, 2)
        const events = denseEvents(40, signal === 'SIGTERM' ? 3 : 4, 100) // 4 s of event time: one 5 s window
        const expected = await expectedStore(events)
        const a = member(t, 'a')
        await waitForGroup(t, 1, 2)
        const b = member(t, 'b')
        await waitForGroup(t, 2, 2)
        await t.send(events, (i) => i % 2)
        await waitConsumed([a, b], [a, b], 40)
        // what a checkpointed member hands on: at most the oldest record still in a window
        // every record is still in an open window: nothing may be committed past it (before the fix: 20, 20)
        await waitFor(
          async () => JSON.stringify(await committedOffsets(brokers, t.group, t.topic)) === '{"0":"0","1":"0"}',
          15_000,
          () => 'committed offsets 0, 0',
        )
        const ended = await b.kill(signal)
        expect(signal === 'SIGTERM' ? ended.code : ended.signal, b.stderr()).toBe(signal === 'SIGTERM' ? 0 : 'SIGKILL')
        expect(await committedOffsets(brokers, t.group, t.topic)).toEqual({ '0': '0', '1': '0' })
        await waitForGroup(t, 1, 2)
        // a replays b's partition from the committed offset
        await waitFor(
          () => a.progress.records >= 40,
          60_000,
          () => `a to read its 20 records and b's 20 again (read ${a.progress.records})`,
        )
        await t.send(sentinels(events, 2), (i) => i)
        await expectStore(t, expected, `after b left by ${signal}`, [a, b])
        await a.kill('SIGTERM')
      },
    )
  }

  const cases = [
    { seed: 7, killAfter: 1 },
    { seed: 12, killAfter: 40 },
  ]
  for (const { seed, killAfter } of cases) {
    it(
      `3 → 2 → 1 → 3 members with SIGKILLs mid-stream and during a rebalance (seed ${seed}): the store equals one uninterrupted run`,
      { timeout: 240_000 },
      async () => {
        const P = 3
        const t = await setupTopic(`seq-${seed}`, P)
        const events = denseEvents(6_000, seed, 2) // 12 s of event time, ~30 updates per title per window
        const expected = await expectedStore(events)
        expect(expected.size).toBeGreaterThan(300)
        const chunks = [events.slice(0, 1_500), events.slice(1_500, 3_000), events.slice(3_000, 4_500), events.slice(4_500)]
        let sent = 0
        const send = async (chunk: readonly PlaybackEvent[]): Promise<void> => {
          const from = sent
          sent += chunk.length
          await t.send(chunk, (i) => (from + i) % P)
        }
        const all: Member[] = []
        const join = (name: string): Member => {
          const m = member(t, name)
          all.push(m)
          return m
        }

        // 3 members
        const a = join('a')
        await waitForGroup(t, 1, P)
        const b = join('b')
        const c = join('c')
        await waitForGroup(t, 3, P)
        await send(chunks[0]!)
        await waitConsumed([a, b, c], all, sent)

        // 3 → 2: c is SIGKILLed mid-stream (as soon as it has read `killAfter` more records)
        const cMark = c.progress.records
        const sending = send(chunks[1]!)
        await waitFor(
          () => c.progress.records >= cMark + killAfter,
          60_000,
          () => `c to read ${killAfter} more records`,
        )
        await c.kill('SIGKILL')
        await sending
        await waitForGroup(t, 2, P)
        await waitConsumed([a, b], all, sent)

        // 2 → 1: b stops gracefully while records arrive
        const sending2 = send(chunks[2]!)
        await b.kill('SIGTERM')
        await sending2
        await waitForGroup(t, 1, P)
        await waitConsumed([a], all, sent)

        // 1 → 3: b and c come back with their old (stale) checkpoints; a is SIGKILLed while the group rebalances, then restarts
        const b2 = join('b')
        // b2's join rebalances the group; a rebalance can also be over between two polls (each
        // connects an admin), so b2 already in the group counts too: a is then killed right after it
        await waitFor(
          async () => {
            const g = await groupAssignment(t)
            return g.state !== 'Stable' || g.members.size >= 2
          },
          30_000,
          () => 'the group to start rebalancing',
        )
        await a.kill('SIGKILL')
        const c2 = join('c')
        const a2 = join('a')
        await waitForGroup(t, 3, P, 90_000)
        await send(chunks[3]!)
        await send(sentinels(events, P))
        await expectStore(t, expected, `seed ${seed}, c killed after ${killAfter} records`, all)
        for (const m of [a2, b2, c2]) await m.kill('SIGTERM')
      },
    )
  }
})

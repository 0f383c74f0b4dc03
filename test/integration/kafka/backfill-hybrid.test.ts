/**
 * Backfill and Kafka over a real broker. The topic holds every event (Avro, 2 partitions)
 * and its Iceberg export (written by pyiceberg, with kafka_partition and kafka_offset
 * columns) the older 60 % of each partition:
 * - `rdg-job backfill` of the export gives the graph `rdg-job run --brokers` makes of a
 *   topic holding the same events;
 * - `rdg-job run --brokers --backfill-from <export>` replays the export, then continues on
 *   the topic after the export's offsets (no event read twice) and ends with the graph of
 *   a run over all events from a file.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { createValueEncoder } from '../../../connectors/avro/value-encoder.ts'
import playbackJob, { type PlaybackEvent } from '../../../jobs/playback-events.ts'
import { playbackRunArgs, spawnCli, type CliExit } from '../../infra/cli-process.ts'
import { writeKafkaExport } from '../../infra/iceberg-fixtures.ts'
import { storeItems } from '../../infra/graph-store-items.ts'
import { committedOffsets, createTopic, produce, uniqueName, waitFor, withAdmin } from '../../infra/kafka-helpers.ts'
import { isSentinel, playbackEvents, sentinelAfter } from '../../infra/kafka-pipeline.ts'

const { brokers } = inject('kafka')
const base = mkdtempSync(join(tmpdir(), 'rdg-kafka-backfill-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))
const EVENTS = 12_000
const CUT = 0.6

/**
 * True once the group's committed offsets reach every partition's last record, its
 * sentinel (false while the coordinator moves): the sentinel's own dedup windows stay
 * open, and the group is never handed an offset past a record still in a window.
 */
let lastCommitted = ''
async function committedToEnd(group: string, topic: string, end: readonly { partition: number; high: string }[]): Promise<boolean> {
  try {
    const committed = await committedOffsets(brokers, group, topic)
    lastCommitted = JSON.stringify({ committed, end: end.map((p) => [p.partition, p.high]) })
    return end.every((p) => committed[String(p.partition)] === String(Number(p.high) - 1))
  } catch {
    return false
  }
}

/** `run --brokers …` until the group's committed offsets reach the end of the topic, then SIGINT. */
async function runUntilCommitted(args: string[], topic: string, group: string): Promise<CliExit> {
  const end = await withAdmin(brokers, (admin) => admin.fetchTopicOffsets(topic))
  const { proc, done, output } = spawnCli([...args, '--group', group])
  let exited = false
  void done.then(() => (exited = true))
  await waitFor(
    async () => exited || (await committedToEnd(group, topic, end)),
    150_000,
    () => `group ${group} to commit the end of ${topic} (${lastCommitted}); the run said: ${output()}`,
  )
  proc.kill('SIGINT')
  return done
}

async function expectSameGraph(a: string, b: string): Promise<void> {
  const expected = await storeItems(a, playbackJob.graph, isSentinel)
  const actual = await storeItems(b, playbackJob.graph, isSentinel)
  expect(expected.size).toBeGreaterThan(1_000)
  expect(actual.size).toBe(expected.size)
  for (const [key, item] of expected) expect(actual.get(key), key).toEqual(item)
}

/** A fresh 2-partition topic with `events` (event i on partition i % 2) and one sentinel per partition. */
async function topicWith(name: string, events: readonly PlaybackEvent[], schemaDir: string): Promise<string> {
  const topic = uniqueName(name)
  await createTopic(brokers, topic, 2)
  const encoder = await createValueEncoder(playbackJob.value, { topic, schemaDir })
  const sentinel = sentinelAfter(events)
  await produce(brokers, topic, [
    ...events.map((e, i) => ({ partition: i % 2, value: encoder.encode(e) })),
    ...[0, 1].map((partition) => ({ partition, value: encoder.encode({ ...sentinel, accountId: `sentinel-${partition}` }) })),
  ])
  return topic
}

describe('backfill from an Iceberg export and hand-over to Kafka (real broker)', () => {
  const events = playbackEvents(EVENTS, 21)
  const perPartition = [0, 1].map((p) => events.filter((_e, i) => i % 2 === p).length)
  const cut = perPartition.map((n) => Math.floor(n * CUT))
  // event i is at offset floor(i / 2) of partition i % 2
  const exported = events
    .map((e, i) => ({ ...e, kafka_partition: i % 2, kafka_offset: Math.floor(i / 2) }))
    .filter((e) => e.kafka_offset < cut[e.kafka_partition]!)
  const metadata = writeKafkaExport(base, exported)
  const schemaDir = join(base, 'schemas')

  it('backfill of the export gives the graph of a Kafka run over the same events', { timeout: 180_000 }, async () => {
    const exportedEvents = exported.map(({ kafka_partition: _p, kafka_offset: _o, ...e }) => e)
    // the same events, in the same partitions and order, on a topic of their own
    const topic = await topicWith('playback-exported', exportedEvents, schemaDir)
    const kafka = await runUntilCommitted(
      playbackRunArgs({
        brokers,
        topic,
        schemaDir,
        dataDir: join(base, 'k-jobs'),
        store: join(base, 'k-graph'),
        flags: ['--checkpoint-interval', '300'],
      }),
      topic,
      uniqueName('rdg-k'),
    )
    expect(kafka.code, kafka.err).toBe(0)
    const backfill = await spawnCli([
      'backfill',
      'playback-events',
      '--iceberg',
      metadata,
      '--data-dir',
      join(base, 'bf-jobs'),
      '--store',
      `rocksdb:${join(base, 'bf-graph')}`,
    ]).done
    expect(backfill.code, backfill.err).toBe(0)
    expect(backfill.out).toMatch(new RegExp(`rows in\\s+${exported.length.toLocaleString('en-US')}`))
    await expectSameGraph(join(base, 'k-graph'), join(base, 'bf-graph'))
  })

  /** The graph of a run over all events from a file (made once, for the hybrid tests). */
  let reference: Promise<string> | null = null
  const referenceGraph = (): Promise<string> =>
    (reference ??= (async () => {
      const all = join(base, 'all.jsonl')
      writeFileSync(all, events.map((e) => JSON.stringify(e)).join('\n') + '\n')
      const run = await spawnCli([
        'run',
        'playback-events',
        '--source',
        `file:${all}`,
        '--data-dir',
        join(base, 'ref-jobs'),
        '--store',
        `rocksdb:${join(base, 'ref-graph')}`,
      ]).done
      expect(run.code, run.err).toBe(0)
      return join(base, 'ref-graph')
    })())
  const hybridArgs = (topic: string, name: string, checkpointMs: number): string[] =>
    playbackRunArgs({
      brokers,
      topic,
      schemaDir,
      dataDir: join(base, `${name}-jobs`),
      store: join(base, `${name}-graph`),
      flags: ['--backfill-from', metadata, '--checkpoint-interval', String(checkpointMs)],
    })

  it('run --backfill-from replays the export, then continues on the topic after its offsets', { timeout: 180_000 }, async () => {
    const topic = await topicWith('playback-hybrid', events, schemaDir)
    const expected = await referenceGraph()
    const hybrid = await runUntilCommitted(hybridArgs(topic, 'h', 300), topic, uniqueName('rdg-h'))
    expect(hybrid.code, hybrid.err).toBe(0)
    // every event once: the export's rows from the table, the rest (and the sentinels) from the topic
    expect(hybrid.out).toMatch(new RegExp(`records in\\s+${(EVENTS + 2).toLocaleString('en-US')} `))
    await expectSameGraph(expected, join(base, 'h-graph'))
  })

  it('run --backfill-from SIGKILLed at its first checkpoint and started again ends with the same graph', { timeout: 240_000 }, async () => {
    const topic = await topicWith('playback-hybrid-kill', events, schemaDir)
    const expected = await referenceGraph()
    const group = uniqueName('rdg-hk')
    // checkpoints every 50 ms, so the first one most likely falls inside the backfill; the
    // verdict does not depend on where it falls
    const args = [...hybridArgs(topic, 'hk', 50), '--group', group]
    const checkpoints = join(base, 'hk-jobs', 'playback-events', 'checkpoints')
    const first = spawnCli(args)
    let phase = ''
    await waitFor(
      () => {
        phase = firstCheckpointPhase(checkpoints) ?? ''
        return phase !== ''
      },
      60_000,
      () => `a first checkpoint under ${checkpoints}; the run said: ${first.output()}`,
    )
    first.proc.kill('SIGKILL')
    expect((await first.done).signal).toBe('SIGKILL')
    const again = await runUntilCommitted(hybridArgs(topic, 'hk', 300), topic, group)
    expect(again.code, again.err).toBe(0)
    expect(again.out, `killed at a checkpoint in the ${phase} phase`).toMatch(/resumed from checkpoint \d+/)
    await expectSameGraph(expected, join(base, 'hk-graph'))
  })
})

/** The phase ('backfill' or 'live') of the first complete checkpoint under `root`, or null. */
function firstCheckpointPhase(root: string): string | null {
  if (!existsSync(root)) return null
  for (const name of readdirSync(root)) {
    const meta = join(root, name, '_metadata.json')
    if (!/^chk-\d+$/.test(name) || !existsSync(meta)) continue
    try {
      return (JSON.parse(readFileSync(meta, 'utf8')) as { positions: Record<string, string> }).positions.phase ?? 'live'
    } catch {
      continue // being written
    }
  }
  return null
}

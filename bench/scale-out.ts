/**
 * Scale-out: total events/s of one and of two `rdg-job run` members of one consumer group
 * on this machine, and the records replayed when a member leaves mid-stream.
 *
 *   node --import tsx bench/scale-out.ts [events]
 *
 * 1. Starts a single KRaft broker on 127.0.0.1 (the tests' server script) and fills a
 *    2-partition topic with `events` playback events (`rdg-job produce`), plus one
 *    far-ahead event per partition that closes every dedup window at the end.
 * 2. One member (pinned to core 0 with taskset), then two members (cores 0 and 1), each a
 *    real `rdg-job run` process with its own data dir and embedded RocksDB store, in a
 *    fresh group. The broker is not pinned: it shares both cores with the members.
 *    Rate: events / (first progress line with records → the group's committed offsets at
 *    the end of the topic), so start-up and the group join are left out; progress lines
 *    come once a second, so the figure is within about ±1 s of the span.
 * 3. Replays: two members again; once half the events are read, one leaves (SIGTERM, a
 *    graceful final checkpoint); the other takes its partition over at the committed
 *    offset. Replayed records = records read by both − events (the records the new owner
 *    read again, because their effects were still in open windows of the member that left).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { systemClock } from '../base/clock.ts'
import { createValueEncoder } from '../connectors/avro/value-encoder.ts'
import playbackJob from '../jobs/playback-events.ts'
import { startKafka } from '../test/infra/kafka-server.ts'
import { committedOffsets, produce, waitFor, withAdmin } from '../test/infra/kafka-helpers.ts'
import { playbackEvents, sentinelAfter } from '../test/infra/kafka-pipeline.ts'

const EVENTS = Number(process.argv[2] ?? 1_000_000)
const PARTITIONS = 2
const BIN = join(import.meta.dirname, '..', 'bin', 'rdg-job.js')
const base = mkdtempSync(join(tmpdir(), 'rdg-bench-scale-'))
const schemaDir = join(base, 'schemas')
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

interface Member {
  readonly proc: ChildProcess
  readonly progress: { records: number; firstAt: number | null }
  readonly exited: Promise<string>
}

function member(brokers: string[], topic: string, group: string, name: string, core: number): Member {
  const args = [
    BIN,
    'run',
    'playback-events',
    '--brokers',
    brokers.join(','),
    '--kafka-topic',
    topic,
    '--group',
    group,
    '--schema-dir',
    schemaDir,
    '--start',
    'earliest',
    '--session-timeout',
    '6000',
    '--data-dir',
    join(base, group, name),
    '--store',
    `rocksdb:${join(base, group, `${name}-graph`)}`,
  ]
  const proc = spawn('taskset', ['-c', String(core), process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  const progress = { records: 0, firstAt: null as number | null }
  createInterface({ input: proc.stderr }).on('line', (line) => {
    const m = /^\s+([\d,]+) records\b/.exec(line)
    if (!m) return
    progress.records = Number(m[1]!.replaceAll(',', ''))
    if (progress.records > 0 && progress.firstAt === null) progress.firstAt = systemClock.now() - 1_000
  })
  let out = ''
  proc.stdout.on('data', (d) => (out += String(d)))
  const exited = new Promise<string>((resolve) => proc.on('exit', () => resolve(out)))
  return { proc, progress, exited }
}

/** Records the member read, from its summary after it stopped. */
async function recordsIn(m: Member): Promise<number> {
  m.proc.kill('SIGTERM')
  const out = await m.exited
  const r = /records in\s+([\d,]+)/.exec(out)
  if (!r) throw new Error(`no summary in: ${out.slice(-500)}`)
  return Number(r[1]!.replaceAll(',', ''))
}

async function atEnd(brokers: string[], topic: string, group: string, timeoutMs = 600_000): Promise<void> {
  const end = await withAdmin(brokers, (admin) => admin.fetchTopicOffsets(topic))
  await waitFor(
    async () => {
      const c = await committedOffsets(brokers, group, topic).catch((): Record<string, string> => ({})) // the coordinator may be moving
      return end.every((p) => c[String(p.partition)] === String(Number(p.high) - 1)) // held at the sentinel, whose windows stay open
    },
    timeoutMs,
    () => `group ${group} to commit the end of ${topic}`,
  )
}

async function throughput(brokers: string[], topic: string, members: number): Promise<number> {
  const group = `bench-scale-${members}`
  const ms = Array.from({ length: members }, (_, i) => member(brokers, topic, group, `m${i}`, i))
  await atEnd(brokers, topic, group)
  const t1 = systemClock.now()
  const t0 = Math.min(...ms.map((m) => m.progress.firstAt ?? t1))
  for (const m of ms) await recordsIn(m)
  return EVENTS / ((t1 - t0) / 1_000)
}

async function replays(brokers: string[], topic: string): Promise<{ replayed: number; total: number }> {
  const group = 'bench-scale-replay'
  const a = member(brokers, topic, group, 'a', 0)
  const b = member(brokers, topic, group, 'b', 1)
  await waitFor(
    () => a.progress.records + b.progress.records >= EVENTS / 2,
    600_000,
    () => 'half the events read',
  )
  const readByB = await recordsIn(b)
  await atEnd(brokers, topic, group)
  const readByA = await recordsIn(a)
  return { replayed: readByA + readByB - (EVENTS + PARTITIONS), total: readByA + readByB }
}

const kafka = await startKafka()
try {
  const { brokers } = kafka
  const topic = 'bench-scale-out'
  const produced = spawn(
    process.execPath,
    [
      BIN,
      'produce',
      'playback-events',
      '--kafka-topic',
      topic,
      '--brokers',
      brokers.join(','),
      '--schema-dir',
      schemaDir,
      '--count',
      String(EVENTS),
      '--seed',
      '5',
      '--partitions',
      String(PARTITIONS),
      '--malformed-rate',
      '0',
    ],
    { stdio: 'inherit' },
  )
  await new Promise((resolve) => produced.on('exit', resolve))
  const encoder = await createValueEncoder(playbackJob.value, { topic, schemaDir })
  const sentinel = sentinelAfter(playbackEvents(1))
  await produce(
    brokers,
    topic,
    Array.from({ length: PARTITIONS }, (_, p) => ({
      partition: p,
      value: encoder.encode({ ...sentinel, ts: Date.now() + 30 * 60_000, accountId: `sentinel-${p}` }),
    })),
  )

  const one = await throughput(brokers, topic, 1)
  console.log(`1 member  (core 0):            ${fmt(one)} events/s`)
  const two = await throughput(brokers, topic, 2)
  console.log(`2 members (cores 0 and 1):     ${fmt(two)} events/s total (${(two / one).toFixed(2)}x); the broker shares both cores`)
  const r = await replays(brokers, topic)
  console.log(
    `one member leaves mid-stream:  ${fmt(r.replayed)} records replayed by the new owner (${fmt(r.total)} read for ${fmt(EVENTS)} events)`,
  )
} finally {
  await kafka.stop()
  rmSync(base, { recursive: true, force: true })
}

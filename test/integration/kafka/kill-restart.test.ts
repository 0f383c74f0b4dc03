/**
 * End to end over the real broker: produce playback events (Avro, two partitions) → run
 * the job from Kafka in a child process → SIGKILL it mid-stream, twice → restart → the
 * embedded graph store holds exactly the graph a run without Kafka and without crashes
 * produces. The child wires the job exactly as `rdg-job run --brokers` does (kafkaJobIo).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { createValueEncoder } from '../../../connectors/avro/value-encoder.ts'
import { writesFor } from '../../../store/graph-layout.ts'
import type { GraphPrimitive } from '../../../graph/model.ts'
import playbackJob from '../../../jobs/playback-events.ts'
import { storeItems, type StoreItems } from '../../infra/graph-store-items.ts'
import { createTopic, produce, uniqueName, withAdmin } from '../../infra/kafka-helpers.ts'
import { isSentinel, playbackEvents, referenceGraph, sentinelAfter } from '../../infra/kafka-pipeline.ts'

const { brokers } = inject('kafka')
const base = mkdtempSync(join(tmpdir(), 'rdg-kafka-kill-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))
const child = join(import.meta.dirname, 'kafka-child-job.ts')

interface Run {
  readonly outcome: 'killed' | 'done'
  readonly metrics: { restoredFrom: number | null; recordsIn: number; deadLetters: number } | null
}

function runChild(args: string[], killAt?: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    let killed = false
    let metrics: Run['metrics'] = null
    proc.stderr.on('data', (d) => (stderr += String(d)))
    createInterface({ input: proc.stdout }).on('line', (line) => {
      const done = /^done (.*)$/.exec(line)
      if (done) metrics = JSON.parse(done[1]!) as Run['metrics']
      const progress = /^progress (\d+)$/.exec(line)
      if (progress && killAt !== undefined && !killed && Number(progress[1]) >= killAt) {
        killed = true
        proc.kill('SIGKILL')
      }
    })
    proc.on('exit', (code, signal) => {
      if (killed && signal === 'SIGKILL') resolve({ outcome: 'killed', metrics })
      else if (code === 0) resolve({ outcome: 'done', metrics })
      else reject(new Error(`child exited with ${code ?? signal}: ${stderr.slice(-3_000)}`))
    })
  })
}

function expectedItems(graph: Map<string, GraphPrimitive>): StoreItems {
  const out: StoreItems = new Map()
  for (const p of graph.values())
    for (const w of writesFor(playbackJob.graph, p))
      out.set(`${w.namespace}|${w.recordId}|${w.item.key}`, { value: w.item.value, eventTime: w.item.eventTime })
  return out
}

describe('rdg job from Kafka, SIGKILLed and restarted (real broker, child processes)', () => {
  it('ends with exactly the expected graph in the store', { timeout: 300_000 }, async () => {
    const topic = uniqueName('playback-events')
    const group = uniqueName('rdg')
    const schemaDir = join(base, 'schemas')
    await createTopic(brokers, topic, 2)
    const events = playbackEvents(4_000, 23)
    const expected = expectedItems(await referenceGraph(events))
    expect(expected.size).toBeGreaterThan(1_000)

    const encoder = await createValueEncoder(playbackJob.value, { topic, schemaDir })
    const sentinel = sentinelAfter(events)
    await produce(brokers, topic, [
      ...events.map((e) => ({ key: e.accountId, value: encoder.encode(e) })),
      // one far-ahead event per partition, so every partition's watermark closes the last windows
      { partition: 0, value: encoder.encode({ ...sentinel, accountId: 'sentinel-0' }) },
      { partition: 1, value: encoder.encode({ ...sentinel, accountId: 'sentinel-1' }) },
    ])
    const args = [brokers.join(','), topic, group, join(base, 'job'), join(base, 'store'), schemaDir, String(events.length + 2)]

    // Positions are per partition; kill once about a third and once about two thirds in.
    const first = await runChild(args, 700)
    const second = await runChild(args, 1_400)
    const last = await runChild(args)
    expect([first.outcome, second.outcome, last.outcome]).toEqual(['killed', 'killed', 'done'])
    expect(last.metrics?.restoredFrom).not.toBeNull()

    const actual = await storeItems(join(base, 'store'), playbackJob.graph, isSentinel)
    expect(actual.size).toBe(expected.size)
    for (const [key, item] of expected) expect(actual.get(key), key).toEqual(item)
    // nothing was dead-lettered on the way (no late or undecodable records)
    const dlqOffsets = await withAdmin(brokers, (admin) => admin.fetchTopicOffsets(`${topic}.dlq`))
    expect(dlqOffsets.map((o) => o.high)).toEqual(['0'])
  })
})

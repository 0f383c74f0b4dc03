import { afterEach, describe, expect, inject, it } from 'vitest'
import { ConfigError } from '../../../base/errors.ts'
import { checkpointId } from '../../../base/ids.ts'
import type { SourceRecord } from '../../../engine/connector.ts'
import { createKafkaSource, type KafkaSource, type KafkaSourceOptions } from '../../../connectors/kafka/source.ts'
import { createThreadedKafkaSource, type ThreadedKafkaSource } from '../../../connectors/kafka/threaded-source.ts'
import { committedOffsets, createTopic, produce, testSourceContext, uniqueName, waitFor } from '../../infra/kafka-helpers.ts'

const { brokers } = inject('kafka')
type AnyKafkaSource = KafkaSource | ThreadedKafkaSource
const open: AnyKafkaSource[] = []

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()))
})

/** Both sources, one suite: kafkajs in the job thread, and in a fetch worker thread (the CLI's default). */
const IMPLEMENTATIONS = [
  ['in the job thread', (o: KafkaSourceOptions): AnyKafkaSource => createKafkaSource(o)],
  ['with a fetch thread', (o: KafkaSourceOptions): AnyKafkaSource => createThreadedKafkaSource(o)],
] as const

/** Values `<partition>:<i>` spread over partitions, in order within each. */
function messages(partitions: number, perPartition: number) {
  return Array.from({ length: partitions * perPartition }, (_, i) => ({
    partition: i % partitions,
    value: `${i % partitions}:${Math.floor(i / partitions)}`,
  }))
}

async function pollUntil(s: AnyKafkaSource, count: number, max = 500, timeoutMs = 30_000): Promise<SourceRecord<Buffer>[]> {
  const out: SourceRecord<Buffer>[] = []
  await waitFor(
    async () => {
      const batch = await s.poll(max)
      out.push(...batch.records)
      return out.length >= count
    },
    timeoutMs,
    () => `polled ${out.length} of ${count}`,
  )
  return out
}

function byPartition(records: readonly SourceRecord<Buffer>[]): Record<number, string[]> {
  const out: Record<number, string[]> = {}
  for (const r of records) (out[r.partition] ??= []).push(r.value.toString())
  return out
}

describe.each(IMPLEMENTATIONS)('Kafka source against a real broker, %s', (how, make) => {
  function source(topic: string, extra: Partial<KafkaSourceOptions> = {}): AnyKafkaSource {
    const s = make({ brokers, topic, groupId: uniqueName('group'), logLevel: 'nothing', ...extra })
    open.push(s)
    return s
  }

  it('reads every partition in order and reports positions and partitions', async () => {
    const topic = uniqueName('read')
    await createTopic(brokers, topic, 3)
    await produce(brokers, topic, messages(3, 400))
    const s = source(topic)
    await s.open(testSourceContext())
    const records = await pollUntil(s, 1_200)
    expect(records).toHaveLength(1_200)
    const parts = byPartition(records)
    for (const p of [0, 1, 2]) expect(parts[p]).toEqual(Array.from({ length: 400 }, (_, i) => `${p}:${i}`))
    expect(s.positions()).toEqual({ '0': '400', '1': '400', '2': '400' })
    expect(s.partitions).toEqual([0, 1, 2])
    const empty = await s.poll(100)
    expect(empty.records).toEqual([])
    expect(empty.partitions).toEqual([0, 1, 2])
  })

  it('returns an empty batch within about the poll timeout when nothing arrives', async () => {
    const topic = uniqueName('idle')
    await createTopic(brokers, topic, 1)
    const s = source(topic, { pollTimeoutMs: 100 })
    await s.open(testSourceContext())
    const t0 = performance.now()
    const batch = await s.poll(100)
    expect(batch.records).toEqual([])
    expect(performance.now() - t0).toBeLessThan(1_000)
  })

  // reads the in-thread queue's state; the fetch thread runs this same source class
  it.skipIf(how !== 'in the job thread')('pauses fetching when the queue is full and resumes when drained, losing nothing', async () => {
    const topic = uniqueName('backpressure')
    await createTopic(brokers, topic, 2)
    // 1 KB values: one fetch brings at most ~2 000 per partition, far from the 10 000 produced
    const pad = 'x'.repeat(1_000)
    await produce(
      brokers,
      topic,
      messages(2, 5_000).map((m) => ({ ...m, value: `${m.value}|${pad}` })),
    )
    const s = source(topic, { maxBufferedRecords: 500 }) as KafkaSource
    await s.open(testSourceContext())
    await waitFor(
      () => s.isPaused,
      20_000,
      () => `paused (buffered ${s.buffered})`,
    )
    expect(s.buffered).toBeGreaterThanOrEqual(500)
    expect(s.buffered).toBeLessThan(5_000)
    const records = await pollUntil(s, 10_000, 200)
    expect(s.isPaused).toBe(false)
    const parts = byPartition(records)
    for (const p of [0, 1]) expect(parts[p]).toEqual(Array.from({ length: 5_000 }, (_, i) => `${p}:${i}|${pad}`))
  })

  it('seeks to restored positions, ahead of committed offsets', async () => {
    const topic = uniqueName('restore')
    await createTopic(brokers, topic, 2)
    await produce(brokers, topic, messages(2, 100))
    const groupId = uniqueName('group')
    // The group committed 90/90 earlier; the checkpoint says 30/70: the checkpoint wins.
    const first = source(topic, { groupId })
    await first.open(testSourceContext())
    await pollUntil(first, 200)
    await first.notifyCheckpointComplete(checkpointId(1), { '0': '90', '1': '90' })
    await first.committed()
    await first.close()
    const s = source(topic, { groupId })
    await s.open(testSourceContext({ '0': '30', '1': '70' }))
    const records = await pollUntil(s, 100)
    const parts = byPartition(records)
    expect(parts[0]).toEqual(Array.from({ length: 70 }, (_, i) => `0:${i + 30}`))
    expect(parts[1]).toEqual(Array.from({ length: 30 }, (_, i) => `1:${i + 70}`))
  })

  it('commits checkpointed positions to the group, and a fresh start without a checkpoint resumes there', async () => {
    const topic = uniqueName('commit')
    await createTopic(brokers, topic, 2)
    await produce(brokers, topic, messages(2, 50))
    const groupId = uniqueName('group')
    const s = source(topic, { groupId })
    await s.open(testSourceContext())
    await pollUntil(s, 100)
    await s.notifyCheckpointComplete(checkpointId(3), { '0': '20', '1': '45' })
    await s.committed()
    expect(await committedOffsets(brokers, groupId, topic)).toEqual({ '0': '20', '1': '45' })
    await s.close()
    const again = source(topic, { groupId })
    await again.open(testSourceContext())
    const parts = byPartition(await pollUntil(again, 35))
    expect(parts[0]?.[0]).toBe('0:20')
    expect(parts[1]?.[0]).toBe('1:45')
  })

  it('starts at latest or at a timestamp when nothing says otherwise', async () => {
    const topic = uniqueName('start')
    await createTopic(brokers, topic, 1)
    const t0 = 1_700_000_000_000
    await produce(
      brokers,
      topic,
      Array.from({ length: 20 }, (_, i) => ({ value: `old-${i}`, timestamp: t0 + i * 1_000 })),
    )
    const fromTime = source(topic, { start: { timestamp: t0 + 15_000 } })
    await fromTime.open(testSourceContext())
    expect((await pollUntil(fromTime, 5)).map((r) => r.value.toString())).toEqual(['old-15', 'old-16', 'old-17', 'old-18', 'old-19'])
    const latest = source(topic, { start: 'latest' })
    await latest.open(testSourceContext())
    await waitFor(
      () => latest.positions()['0'] === '20',
      10_000,
      () => `latest at 20, positions ${JSON.stringify(latest.positions())}`,
    )
    await produce(brokers, topic, [{ value: 'new-0' }])
    expect((await pollUntil(latest, 1)).map((r) => r.value.toString())).toEqual(['new-0'])
  })

  it('hands each batch to prepareBatch before returning it', async () => {
    const topic = uniqueName('prepare')
    await createTopic(brokers, topic, 1)
    await produce(brokers, topic, messages(1, 10))
    const seen: string[] = []
    let ready = false
    const s = source(topic, {
      prepareBatch: (records) => {
        seen.push(...records.map((r) => r.value.toString()))
        return new Promise((resolve) => {
          setImmediate(() => {
            ready = true
            resolve()
          })
        })
      },
    })
    await s.open(testSourceContext())
    const records = await pollUntil(s, 10)
    expect(ready).toBe(true)
    expect(seen).toEqual(records.map((r) => r.value.toString()))
  })

  it('asks for a checkpoint when a rebalance takes partitions away; the next member loses nothing', async () => {
    const topic = uniqueName('rebalance')
    await createTopic(brokers, topic, 2)
    await produce(brokers, topic, messages(2, 200))
    const groupId = uniqueName('group')
    const a = source(topic, { groupId, sessionTimeoutMs: 10_000 })
    const ctxA = testSourceContext(null, async () => {
      // what the engine does: checkpoint the positions, then report completion
      await a.notifyCheckpointComplete(checkpointId(1), a.positions())
      await a.committed()
    })
    await a.open(ctxA)
    const fromA = await pollUntil(a, 400)
    expect(a.partitions).toEqual([0, 1])
    const b = source(topic, { groupId, sessionTimeoutMs: 10_000 })
    const opening = b.open(testSourceContext())
    // a keeps polling (as the engine does) while the group rebalances
    await waitFor(
      async () => {
        fromA.push(...(await a.poll(100)).records)
        return a.partitions.length === 1 && b.partitions.length === 1
      },
      60_000,
      () => `a=${a.partitions} b=${b.partitions}`,
    )
    await opening
    expect(ctxA.checkpointRequests).toContain('rebalance')
    const kept = a.partitions[0]!
    const moved = b.partitions[0]!
    // a dropped the partition it gave up from its positions
    expect(a.positions()).toEqual({ [String(kept)]: '200' })
    await produce(
      brokers,
      topic,
      messages(2, 200).map((m) => ({ ...m, value: `new-${m.value}` })),
    )
    const fromB: SourceRecord<Buffer>[] = []
    await waitFor(
      async () => {
        fromB.push(...(await b.poll(500)).records)
        return fromB.some((r) => r.value.toString() === `new-${moved}:199`)
      },
      30_000,
      () => `b read ${fromB.length}`,
    )
    expect(new Set(fromB.map((r) => r.partition))).toEqual(new Set([moved]))
    // b continues from a's last committed checkpoint of that partition: nothing lost; at
    // most the records a handed out after it are read again (an idle member cannot hold
    // the rebalance up for its commit).
    const values = fromB.map((r) => r.value.toString())
    const firstNew = values.indexOf(`new-${moved}:0`)
    expect(values.slice(firstNew)).toEqual(Array.from({ length: 200 }, (_, i) => `new-${moved}:${i}`))
    expect(values.slice(0, firstNew)).toEqual(Array.from({ length: 200 }, (_, i) => `${moved}:${i}`).slice(200 - firstNew))
  })

  it('explains a missing topic and an unreachable broker in one line', async () => {
    const missing = source('no-such-topic-here')
    const err = await missing.open(testSourceContext()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).message).toBe(`topic no-such-topic-here does not exist on ${brokers[0]}; create it or check --brokers`)
    const unreachable = source('t', { brokers: '127.0.0.1:1', groupId: 'g' })
    const err2 = await unreachable.open(testSourceContext()).catch((e: unknown) => e)
    expect(err2).toBeInstanceOf(ConfigError)
    expect((err2 as Error).message).toMatch(/^cannot reach Kafka at 127\.0\.0\.1:1 \(.*\); check --brokers and that the broker is running$/)
    expect(() => make({ brokers: 'localhost', topic: 't', groupId: 'g' })).toThrow(/"localhost" is not host:port/)
  })
})

/**
 * Compressed record batches against the real broker and Kafka's own Java client: for
 * gzip, snappy, lz4 and zstd, batches written by the Java producer (`compression.type`)
 * are read back exactly by our Kafka source, and batches written by our producer are read
 * back exactly by the Java consumer, with the broker's DumpLogSegments confirming each
 * batch on disk carries the codec asked for. `rdg-job produce --compression` included.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import yargs from 'yargs'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { systemClock } from '../../../base/clock.ts'
import { produceCommand } from '../../../cli/commands/produce.ts'
import { BatchingProducer } from '../../../connectors/kafka/batching-producer.ts'
import { createKafkaClient } from '../../../connectors/kafka/client.ts'
import type { Compression } from '../../../connectors/kafka/compression.ts'
import { createKafkaSource } from '../../../connectors/kafka/source.ts'
import type { SourceRecord } from '../../../engine/connector.ts'
import { batchCodecs, javaConsume, javaProduce } from '../../infra/java-client.ts'
import { cli, playbackRunArgs, startCli } from '../../infra/cli-process.ts'
import { createTopic, readTopic, testSourceContext, uniqueName, waitFor, withAdmin } from '../../infra/kafka-helpers.ts'

const { brokers, dir: brokerDir } = inject('kafka')
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const satisfies readonly Compression[]
const N = 3_000
const base = mkdtempSync(join(tmpdir(), 'rdg-kafka-compression-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))

/** Known values: compressible JSON-ish text, some larger ones, some arbitrary bytes, an empty one. */
function values(): Buffer[] {
  let x = 7
  return Array.from({ length: N }, (_, i) => {
    if (i === 0) return Buffer.alloc(0)
    if (i % 10 === 3) {
      const b = Buffer.alloc(50 + (i % 200))
      for (let j = 0; j < b.length; j++) b[j] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24
      return b
    }
    const text = `{"accountId":"a${i % 97}","event":"play","title":"t${i % 13}","position":${i * 17}}`
    return Buffer.from(i % 100 === 5 ? text.repeat(400) : text)
  })
}

const partitionDir = (topic: string): string => join(brokerDir, 'data', `${topic}-0`)

async function readWithSource(topic: string, count: number): Promise<Buffer[]> {
  const source = createKafkaSource({ brokers, topic, groupId: uniqueName('compression'), logLevel: 'nothing' })
  const out: SourceRecord<Buffer>[] = []
  try {
    await source.open(testSourceContext())
    await waitFor(
      async () => {
        out.push(...(await source.poll(5_000)).records)
        return out.length >= count
      },
      30_000,
      () => `read ${out.length} of ${count} from ${topic}`,
    )
  } finally {
    await source.close()
  }
  return out.map((r) => r.value)
}

describe('compressed batches with the real Java client', () => {
  const expected = values()
  const fromJava = Object.fromEntries(CODECS.map((c) => [c, uniqueName(`java-${c}`)])) as Record<(typeof CODECS)[number], string>
  const fromUs = Object.fromEntries(CODECS.map((c) => [c, uniqueName(`rdg-${c}`)])) as Record<(typeof CODECS)[number], string>

  beforeAll(async () => {
    for (const topic of [...Object.values(fromJava), ...Object.values(fromUs)]) await createTopic(brokers, topic, 1)
    await javaProduce(brokers, expected, fromJava)
  })

  it.each(CODECS)('our Kafka source reads every value the Java producer wrote with %s', async (codec) => {
    const got = await readWithSource(fromJava[codec], N)
    expect(got).toHaveLength(N)
    for (let i = 0; i < N; i++) if (!got[i]!.equals(expected[i]!)) expect.fail(`${codec}: value ${i} differs`)
  })

  it('our producer writes batches in every codec that the Java consumer reads exactly', async () => {
    const kafka = createKafkaClient({ brokers, logLevel: 'nothing' })
    for (const codec of CODECS) {
      const out = new BatchingProducer({ kafka, clock: systemClock, name: `test ${codec}`, compression: codec })
      await out.connect()
      try {
        for (const value of expected) out.push({ topic: fromUs[codec], key: null, value })
        await out.flush()
      } finally {
        await out.close()
      }
    }
    const read = await javaConsume(brokers, Object.values(fromUs), N)
    for (const codec of CODECS) {
      const got = read.get(fromUs[codec])!
      expect(got, codec).toHaveLength(N)
      for (let i = 0; i < N; i++) if (!got[i]!.equals(expected[i]!)) expect.fail(`${codec}: value ${i} differs`)
    }
  })

  it('the broker log holds batches in the codec each side asked for', async () => {
    const topics = CODECS.flatMap((c) => [fromJava[c], fromUs[c]])
    await waitFor(async () => (await readTopic(brokers, fromUs.zstd, N)).length >= N, 30_000)
    const codecs = await batchCodecs(topics.map(partitionDir))
    for (const codec of CODECS) {
      for (const topic of [fromJava[codec], fromUs[codec]]) {
        const seen = codecs.get(partitionDir(topic)) ?? []
        expect(seen.length, topic).toBeGreaterThan(0)
        expect(new Set(seen), topic).toEqual(new Set([codec]))
      }
    }
  })

  it('rdg-job produce --compression zstd writes standard zstd batches', async () => {
    const topic = uniqueName('cli-zstd')
    await createTopic(brokers, topic, 1)
    const cli = yargs([
      'produce',
      'playback-events',
      '--kafka-topic',
      topic,
      '--brokers',
      brokers.join(','),
      '--count',
      '400',
      '--schema-dir',
      join(base, 'schemas'),
      '--compression',
      'zstd',
    ])
      .command(produceCommand)
      .strict()
      .fail((msg, err) => {
        throw err ?? new Error(msg)
      })
    await cli.parseAsync()
    const java = (await javaConsume(brokers, [topic], 400)).get(topic)!
    const ours = (await readTopic(brokers, topic, 400)).sort((a, b) => Number(a.offset) - Number(b.offset)).map((m) => m.value)
    expect(java).toHaveLength(400)
    expect(java.map((b) => b.toString('hex'))).toEqual(ours.map((b) => b.toString('hex')))
    expect(new Set((await batchCodecs([partitionDir(topic)])).get(partitionDir(topic)))).toEqual(new Set(['zstd']))

    const bad = yargs(['produce', 'playback-events', '--brokers', brokers.join(','), '--compression', 'brotli'])
      .command(produceCommand)
      .fail((msg, err) => {
        throw err ?? new Error(msg)
      })
    await expect(bad.parseAsync()).rejects.toThrow('unknown compression "brotli"')
  })

  it('rdg-job run --kafka-compression lz4 writes its dead letters in lz4 batches', { timeout: 120_000 }, async () => {
    const topic = uniqueName('cli-dlq-lz4')
    const schemaDir = join(base, 'schemas')
    const produced = await cli(
      ...['produce', 'playback-events', '--kafka-topic', topic, '--brokers', brokers.join(','), '--schema-dir', schemaDir],
      ...['--count', '300', '--malformed-rate', '0.1', '--partitions', '1'],
    )
    expect(produced.code, produced.err).toBe(0)
    const malformed = Number(/\(([\d,]+) malformed on purpose\)/.exec(produced.out)![1]!.replaceAll(',', ''))
    expect(malformed).toBeGreaterThan(0)
    const job = await startCli(
      playbackRunArgs({
        brokers,
        topic,
        schemaDir,
        dataDir: join(base, 'dlq-jobs'),
        store: join(base, 'dlq-graph'),
        flags: ['--kafka-compression', 'lz4', '--http', '127.0.0.1:0'],
      }),
      /dashboard and metrics on (http:\S+)/,
    )
    try {
      await waitFor(
        async () =>
          (await withAdmin(brokers, (a) => a.fetchTopicOffsets(`${topic}.dlq`).catch(() => []))).reduce((n, p) => n + Number(p.high), 0) >=
          malformed,
        60_000,
        () => `${malformed} dead letters in ${topic}.dlq; the run said: ${job.output()}`,
      )
    } finally {
      await job.stop('SIGINT')
    }
    const dlq = (await readTopic(brokers, `${topic}.dlq`, malformed)).map((m) => JSON.parse(m.value.toString()) as { reason: string })
    expect(dlq.every((d) => d.reason.startsWith('cannot decode'))).toBe(true)
    expect(new Set((await batchCodecs([partitionDir(`${topic}.dlq`)])).get(partitionDir(`${topic}.dlq`)))).toEqual(new Set(['lz4']))
  })
})

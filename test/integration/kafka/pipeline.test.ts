/**
 * The playback job end to end over a real broker: Avro values from two producer schema
 * versions plus poison messages on the input topic → Kafka source → engine → graph to a
 * collecting sink and to per-type Kafka topics, poison to the dead-letter topic.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { avro } from '../../../graph/job-definition.ts'
import { runJob } from '../../../graph/run-job.ts'
import { CollectingSink } from '../../../testing/collecting-sink.ts'
import type { GraphPrimitive } from '../../../graph/model.ts'
import playbackJob, { playbackSchema, type PlaybackEvent } from '../../../jobs/playback-events.ts'
import { createValueDecoder } from '../../../connectors/avro/value-decoder.ts'
import { createAvroEncoder, createValueEncoder } from '../../../connectors/avro/value-encoder.ts'
import { frame } from '../../../connectors/avro/wire-format.ts'
import { createKafkaDeadLetterSink, type DeadLetterMessage } from '../../../connectors/kafka/dead-letter-sink.ts'
import { graphEdgeSchema, graphNodeSchema, graphTopics } from '../../../connectors/kafka/graph-records.ts'
import { createKafkaGraphSink } from '../../../connectors/kafka/graph-sink.ts'
import { createKafkaSource } from '../../../connectors/kafka/source.ts'
import { createTopic, produce, readTopic, uniqueName, waitFor } from '../../infra/kafka-helpers.ts'
import { foldGraph, playbackEvents, referenceGraph, sentinelAfter } from '../../infra/kafka-pipeline.ts'

const { brokers } = inject('kafka')
const base = mkdtempSync(join(tmpdir(), 'rdg-kafka-pipeline-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))

/** The producer's newer schema: two fields more (with defaults), so the job's v1 reader still decodes it. */
const playbackV2 = {
  ...playbackSchema,
  fields: [...playbackSchema.fields, { name: 'country', type: 'string', default: 'US' }, { name: 'bitrateKbps', type: 'int', default: 0 }],
}

describe('playback job from Kafka (real broker)', () => {
  it(
    'decodes an evolved producer schema, dead-letters poison with its position, and publishes the same graph as a run without Kafka',
    { timeout: 180_000 },
    async () => {
      const topic = uniqueName('playback-events')
      const prefix = uniqueName('rdg')
      const schemaDir = join(base, 'schemas')
      await createTopic(brokers, topic, 1)
      const events = playbackEvents(3_000)
      const expected = await referenceGraph(events)
      expect(expected.size).toBeGreaterThan(500)

      const v1 = await createValueEncoder(playbackJob.value, { topic, schemaDir })
      const v2 = await createAvroEncoder<PlaybackEvent & { country: string; bitrateKbps: number }>(playbackV2, { topic, schemaDir })
      const values: Buffer[] = events.map((e, i) => (i % 2 === 0 ? v1.encode(e) : v2.encode({ ...e, country: 'NL', bitrateKbps: 3_000 })))
      const poison = [
        { at: 500, value: Buffer.from('{"eventId":"json, not avro"}'), reason: /wrong magic byte 0x7b/ },
        { at: 1_000, value: frame(4_242, Buffer.from([2, 97])), reason: /unknown schema id 4242/ },
        { at: 1_500, value: v1.encode(events[0]!).subarray(0, 12), reason: /invalid Avro for schema id \d+: truncated buffer/ },
      ]
      for (const p of poison) values.splice(p.at, 0, p.value)
      values.push(v1.encode(sentinelAfter(events)))
      await produce(
        brokers,
        topic,
        values.map((value) => ({ value })),
      )

      const decode = await createValueDecoder(playbackJob.value, { schemaDir })
      const collected = new CollectingSink<GraphPrimitive>('collected')
      const kafkaGraph = createKafkaGraphSink({
        brokers,
        graph: playbackJob.graph,
        topicPrefix: prefix,
        schemaDir,
        createTopics: { partitions: 2 },
        logLevel: 'nothing',
      })
      const dlq = createKafkaDeadLetterSink({ brokers, sourceTopic: topic, createTopic: true, logLevel: 'nothing' })
      const handle = runJob(playbackJob, {
        source: createKafkaSource({ brokers, topic, groupId: uniqueName('job'), prepareBatch: decode.prepare, logLevel: 'nothing' }),
        decode,
        graphSinks: [collected, kafkaGraph],
        deadLetterSink: dlq,
        dataDir: join(base, 'job'),
        state: { backend: 'heap' },
        checkpoint: { intervalMs: 1_000 },
      })
      try {
        await waitFor(
          () => foldGraph(collected.values()).size >= expected.size,
          90_000,
          () => `${foldGraph(collected.values()).size} of ${expected.size} graph identities, metrics ${JSON.stringify(handle.metrics)}`,
        )
      } finally {
        await handle.stop()
      }
      expect(handle.metrics.recordsIn).toBe(values.length)
      expect(handle.metrics.deadLetters).toBe(poison.length)
      expect(foldGraph(collected.values())).toEqual(expected)

      // the same graph came out on the per-type topics
      const topics = graphTopics(prefix, playbackJob.graph)
      const perTopic = new Map<string, number>()
      for (const p of collected.values()) {
        const t = p.kind === 'node' ? topics.nodes.get(p.type)! : topics.edges.get(p.type)!
        perTopic.set(t, (perTopic.get(t) ?? 0) + 1)
      }
      const decodeNode = await createValueDecoder(avro<GraphPrimitive>(graphNodeSchema), { schemaDir })
      const decodeEdge = await createValueDecoder(avro<GraphPrimitive>(graphEdgeSchema), { schemaDir })
      const published: GraphPrimitive[] = []
      for (const [t, count] of perTopic) {
        const messages = await readTopic(brokers, t, count)
        const isNode = [...topics.nodes.values()].includes(t)
        const decodeOne = isNode ? decodeNode : decodeEdge
        await decodeOne.prepare(messages)
        for (const m of messages) published.push({ ...(decodeOne(m.value) as object), kind: isNode ? 'node' : 'edge' } as GraphPrimitive)
      }
      expect(foldGraph(published)).toEqual(expected)

      // poison: one letter each, with reason, source topic, partition and offset
      const letters = (await readTopic(brokers, dlq.topic, poison.length)).map((m) => JSON.parse(m.value.toString()) as DeadLetterMessage)
      expect(letters.map((l) => ({ topic: l.sourceTopic, partition: l.partition, offset: l.offset }))).toEqual(
        poison.map((p) => ({ topic, partition: 0, offset: String(p.at) })),
      )
      letters.forEach((l, i) => expect(l.reason).toMatch(poison[i]!.reason))
    },
  )
})

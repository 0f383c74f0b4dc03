import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest'
import { systemClock } from '../../../base/clock.ts'
import type { DeadLetter } from '../../../engine/connector.ts'
import { ConfigError } from '../../../base/errors.ts'
import { avro } from '../../../graph/job-definition.ts'
import { identityOf, type GraphPrimitive } from '../../../graph/model.ts'
import { defineGraphSchema } from '../../../graph/schema.ts'
import { createValueDecoder } from '../../../connectors/avro/value-decoder.ts'
import { createKafkaDeadLetterSink, type DeadLetterMessage } from '../../../connectors/kafka/dead-letter-sink.ts'
import { graphEdgeSchema, graphNodeSchema } from '../../../connectors/kafka/graph-records.ts'
import { createKafkaGraphSink, type KafkaGraphSink } from '../../../connectors/kafka/graph-sink.ts'
import { readTopic, uniqueName } from '../../infra/kafka-helpers.ts'

const { brokers } = inject('kafka')
const schemaDir = mkdtempSync(join(tmpdir(), 'rdg-kafka-sinks-'))
const ctx = { jobName: 'sink-test', clock: systemClock }
const toClose: Array<{ close(): Promise<void> }> = []

afterEach(async () => {
  await Promise.all(toClose.splice(0).map((s) => s.close()))
})
afterAll(() => rmSync(schemaDir, { recursive: true, force: true }))

const graph = defineGraphSchema({
  nodes: { account: { properties: { plan: 'string?', score: 'number?' } }, profile: { properties: {} } },
  edges: { has_profile: { from: 'account', to: 'profile', direction: 'both', properties: { since: 'timestamp' } } },
})

function sink(prefix: string, extra: Partial<Parameters<typeof createKafkaGraphSink>[0]> = {}): KafkaGraphSink {
  const s = createKafkaGraphSink({
    brokers,
    graph,
    topicPrefix: prefix,
    schemaDir,
    createTopics: { partitions: 2 },
    logLevel: 'nothing',
    ...extra,
  })
  toClose.push(s)
  return s
}

const account = (i: number, t = 1_000): GraphPrimitive => ({
  kind: 'node',
  type: 'account',
  id: `a${i}`,
  properties: { plan: i % 2 ? 'basic' : 'premium', score: i / 2 },
  eventTime: t,
})
const edge = (i: number): GraphPrimitive => ({
  kind: 'edge',
  type: 'has_profile',
  src: { type: 'account', id: `a${i}` },
  dst: { type: 'profile', id: `p${i}` },
  properties: { since: 5 },
  eventTime: 2_000,
})

describe('Kafka graph sink against a real broker', () => {
  it('publishes each node and edge type to its own topic, Avro-framed and keyed by identity', async () => {
    const prefix = uniqueName('g')
    const rejects: DeadLetter[] = []
    const s = sink(prefix, { onReject: (l) => rejects.push(l) })
    await s.open(ctx)
    const written = [
      account(1),
      account(2),
      edge(1),
      { kind: 'node', type: 'profile', id: 'p1', properties: {}, eventTime: 3 } as GraphPrimitive,
    ]
    for (const p of written) s.write(p, p.eventTime)
    s.write({ kind: 'node', type: 'planet', id: 'x', properties: {}, eventTime: 1 }, 1)
    await s.flush()
    expect(s.written).toBe(4)
    expect(rejects.map((l) => l.reason)).toEqual([expect.stringMatching(/^rejected by graph schema: .*planet/)])

    const decodeNode = await createValueDecoder(avro<GraphPrimitive>(graphNodeSchema), { schemaDir })
    const decodeEdge = await createValueDecoder(avro<GraphPrimitive>(graphEdgeSchema), { schemaDir })
    const accounts = await readTopic(brokers, `${prefix}.node.account`, 2)
    const edges = await readTopic(brokers, `${prefix}.edge.has_profile`, 1)
    const profiles = await readTopic(brokers, `${prefix}.node.profile`, 1)
    for (const decode of [decodeNode, decodeEdge]) await decode.prepare([...accounts, ...edges, ...profiles])
    const back = [
      ...accounts.map((m) => ({ key: m.key, p: decodeNode(m.value) })),
      ...edges.map((m) => ({ key: m.key, p: decodeEdge(m.value) })),
      ...profiles.map((m) => ({ key: m.key, p: decodeNode(m.value) })),
    ]
    for (const { key, p } of back) expect(key).toBe(identityOf({ ...p, kind: 'src' in p ? 'edge' : 'node' } as GraphPrimitive))
    const plain = back.map(({ p }) => JSON.parse(JSON.stringify(p)) as Record<string, unknown>)
    expect(plain).toEqual(
      expect.arrayContaining([
        { type: 'account', id: 'a1', properties: { plan: 'basic', score: 0.5 }, eventTime: 1_000 },
        { type: 'account', id: 'a2', properties: { plan: 'premium', score: 1 }, eventTime: 1_000 },
        {
          type: 'has_profile',
          src: { type: 'account', id: 'a1' },
          dst: { type: 'profile', id: 'p1' },
          properties: { since: 5 },
          eventTime: 2_000,
        },
        { type: 'profile', id: 'p1', properties: {}, eventTime: 3 },
      ]),
    )
  })

  it('signals backpressure over its bound and drains to half of it, losing nothing', async () => {
    const prefix = uniqueName('bp')
    const s = sink(prefix, { maxBufferedRecords: 100, batchRecords: 50 })
    await s.open(ctx)
    for (let i = 0; i < 1_000; i++) s.write(account(i, 10 + i), 10 + i)
    expect(s.backpressured).toBe(true)
    await s.drain()
    expect(s.backpressured).toBe(false)
    await s.flush()
    expect(s.written).toBe(1_000)
    const messages = await readTopic(brokers, `${prefix}.node.account`, 1_000)
    expect(new Set(messages.map((m) => m.key)).size).toBe(1_000)
  })

  it('is a one-line ConfigError when its topics are missing and it may not create them', async () => {
    const s = sink(uniqueName('missing'), { createTopics: false })
    const err = await s.open(ctx).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).message).toMatch(
      /^topics .*\.node\.account, .*\.node\.profile, .*\.edge\.has_profile do not exist on 127\.0\.0\.1:\d+; create them or check --brokers$/,
    )
  })
})

describe('Kafka dead-letter sink against a real broker', () => {
  it('writes JSON letters with reason, source topic, partition and offset to <topic>.dlq', async () => {
    const sourceTopic = uniqueName('events')
    const dlq = createKafkaDeadLetterSink({ brokers, sourceTopic, createTopic: true, logLevel: 'nothing' })
    toClose.push(dlq)
    await dlq.open(ctx)
    expect(dlq.topic).toBe(`${sourceTopic}.dlq`)
    dlq.write(
      {
        reason: 'cannot decode: wrong magic byte 0x7b',
        operator: 'decode',
        source: { id: 'kafka-x', partition: 2, offset: '41' },
        value: { base64: 'e30=' },
        eventTime: null,
      },
      0,
    )
    dlq.write({ reason: 'late', operator: 'dedup', source: null, value: { a: 1 }, eventTime: 7 }, 7)
    await dlq.flush()
    const messages = await readTopic(brokers, dlq.topic, 2)
    const letters = messages.map((m) => ({ key: m.key, letter: JSON.parse(m.value.toString()) as DeadLetterMessage }))
    expect(letters).toEqual([
      {
        key: `${sourceTopic}:2:41`,
        letter: {
          reason: 'cannot decode: wrong magic byte 0x7b',
          operator: 'decode',
          sourceTopic,
          partition: 2,
          offset: '41',
          value: { base64: 'e30=' },
          eventTime: null,
          job: 'sink-test',
        },
      },
      {
        key: null,
        letter: {
          reason: 'late',
          operator: 'dedup',
          sourceTopic,
          partition: null,
          offset: null,
          value: { a: 1 },
          eventTime: 7,
          job: 'sink-test',
        },
      },
    ])
  })
})

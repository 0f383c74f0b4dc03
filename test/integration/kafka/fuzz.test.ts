/**
 * Fuzzing the real Kafka path (issue 14): good playback events with bad records mixed in,
 * seeded so every run sends the same bytes — random bytes, truncated Avro, wrong schema
 * ids, null and empty values, huge values, ids with NUL and other control characters or
 * lone surrogates, ids too long for the store, and event times far in the past and
 * future. Good events carry emoji and path separators in their ids. The job must never
 * stop, every bad record must be in the dead-letter topic with its reason and offset, and
 * the graph of the good records must equal a clean run's (through a KV store too, which
 * refuses what toGraph must refuse first).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { runJob } from '../../../graph/run-job.ts'
import { CollectingSink } from '../../../testing/collecting-sink.ts'
import type { GraphPrimitive } from '../../../graph/model.ts'
import playbackJob, { type PlaybackEvent } from '../../../jobs/playback-events.ts'
import { createValueDecoder } from '../../../connectors/avro/value-decoder.ts'
import { createValueEncoder } from '../../../connectors/avro/value-encoder.ts'
import { frame } from '../../../connectors/avro/wire-format.ts'
import { createKafkaDeadLetterSink, type DeadLetterMessage } from '../../../connectors/kafka/dead-letter-sink.ts'
import { createKafkaSource } from '../../../connectors/kafka/source.ts'
import { KvGraphSink } from '../../../store/graph-sink.ts'
import { InMemoryKvStore } from '../../../store/kv/memory-kv.ts'
import { createTopic, produce, readTopic, uniqueName, waitFor } from '../../infra/kafka-helpers.ts'
import { foldGraph, playbackEvents, referenceGraph, sentinelAfter } from '../../infra/kafka-pipeline.ts'
import { seededRandom } from '../../../connectors/generator/prng.ts'

const { brokers } = inject('kafka')
const base = mkdtempSync(join(tmpdir(), 'rdg-kafka-fuzz-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))

const prng = seededRandom

interface Bad {
  readonly value: Buffer | null
  readonly reason: RegExp
}

describe('fuzzing the Kafka path (real broker)', () => {
  it(
    'bad records of every kind are dead letters with their reasons; the job goes on and the graph equals a clean run',
    { timeout: 120_000 },
    async () => {
      const rnd = prng(14)
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
      const topic = uniqueName('playback-fuzz')
      const schemaDir = join(base, 'schemas')
      await createTopic(brokers, topic, 1)

      // good events, some with ids that are odd but fine: emoji, path separators, non-ASCII
      const odd = ['📺 living room', '../../etc/passwd', 'C:\\dev\\tv', 'ünïcödé/ß', '🎉'.repeat(30)]
      const events: PlaybackEvent[] = playbackEvents(2_000, 14).map((e, i) =>
        i % 97 === 0 ? { ...e, deviceId: `${pick(odd)}-${i % 5}` } : e,
      )
      const expected = await referenceGraph(events)

      const enc = await createValueEncoder(playbackJob.value, { topic, schemaDir })
      const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)))
      // a bad record made from an event keeps the event time of its neighbour: a valid time moves the
      // watermark before toGraph runs, so a time from elsewhere in the stream would make good records late
      const badKinds: Array<(near: PlaybackEvent) => Bad> = [
        // random bytes that do not start with the wire format's magic byte 0
        () => ({
          value: Buffer.concat([Buffer.from([1 + Math.floor(rnd() * 255)]), bytes(Math.floor(rnd() * 200))]),
          reason: /^cannot decode: /,
        }),
        // a valid event cut short
        (near) => {
          const full = enc.encode(near)
          return { value: full.subarray(0, 5 + Math.floor(rnd() * (full.length / 2 - 5))), reason: /^cannot decode: .*truncated/i }
        },
        // a schema id nobody registered
        (near) => ({
          value: frame(10_000 + Math.floor(rnd() * 90_000), enc.encode(near).subarray(5)),
          reason: /^cannot decode: .*unknown schema id/,
        }),
        () => ({ value: null, reason: /^cannot decode: / }),
        () => ({ value: Buffer.alloc(0), reason: /^cannot decode: / }),
        // huge: random bytes, and an event whose profile id is far over the store's limit
        () => ({ value: Buffer.concat([Buffer.from([0x7b]), bytes(300_000)]), reason: /^cannot decode: / }),
        (near) => ({
          value: enc.encode({ ...near, profileId: 'p'.repeat(20_000) }),
          reason: /^to-graph failed: node profile id .* more than 4096$/,
        }),
        // control characters in ids (a lone surrogate cannot travel: Avro strings are UTF-8)
        (near) => ({ value: enc.encode({ ...near, profileId: 'prof\u0000x' }), reason: /^to-graph failed: node profile id .* U\+0000$/ }),
        (near) => ({
          value: enc.encode({ ...near, deviceId: `dev${pick(['\u0001', '\n', '\u001b[31m', '\u007f', '\u0085'])}x` }),
          reason: /^to-graph failed: node device id .* control character/,
        }),
        (near) => ({
          value: enc.encode({ ...near, accountId: `acct\t${near.accountId}` }),
          reason: /^to-graph failed: node account id .* control character U\+0009$/,
        }),
        // event times at or before the epoch, and centuries ahead
        (near) => ({ value: enc.encode({ ...near, ts: pick([0, -1, -86_400_000]) }), reason: /^event time out of bounds: / }),
        (near) => ({
          value: enc.encode({ ...near, ts: pick([32_503_680_000_000, 8.64e15, Date.UTC(2100, 0, 1)]) }),
          reason: /^event time out of bounds: /,
        }),
      ]

      const order: Array<{ value: Buffer | null; event: PlaybackEvent | null; bad: Bad | null }> = events.map((e) => ({
        value: enc.encode(e),
        event: e,
        bad: null,
      }))
      for (let i = 0; i < 240; i++) {
        const at = 1 + Math.floor(rnd() * order.length)
        let n = at - 1
        while (order[n]!.event === null) n--
        const b = badKinds[i % badKinds.length]!(order[n]!.event!)
        order.splice(at, 0, { value: b.value, event: null, bad: b })
      }
      order.push({ value: enc.encode(sentinelAfter(events)), event: null, bad: null })
      const bad: Array<Bad & { at: number }> = []
      order.forEach((o, offset) => {
        if (o.bad) bad.push({ ...o.bad, at: offset })
      })
      await produce(
        brokers,
        topic,
        order.map((o) => ({ value: o.value })),
      )

      const decode = await createValueDecoder(playbackJob.value, { schemaDir })
      const collected = new CollectingSink<GraphPrimitive>('collected')
      const letters: string[] = []
      const store = new InMemoryKvStore()
      const kv = new KvGraphSink({ id: 'graph-store', store, schema: playbackJob.graph, onReject: (l) => letters.push(l.reason) })
      const dlq = createKafkaDeadLetterSink({ brokers, sourceTopic: topic, createTopic: true, logLevel: 'nothing' })
      const handle = runJob(playbackJob, {
        source: createKafkaSource({ brokers, topic, groupId: uniqueName('fuzz'), prepareBatch: decode.prepare, logLevel: 'nothing' }),
        decode,
        graphSinks: [collected, kv],
        deadLetterSink: dlq,
        dataDir: join(base, 'job'),
        state: { backend: 'heap' },
        checkpoint: { intervalMs: 1_000 },
      })
      let ended: string | null = null
      void handle.done.then(
        (r) => (ended = r.reason),
        (err: unknown) => (ended = `failed: ${String(err)}`),
      )
      try {
        await waitFor(
          () => ended !== null || (handle.metrics.recordsIn >= order.length && foldGraph(collected.values()).size >= expected.size),
          90_000,
          () =>
            `${handle.metrics.recordsIn} of ${order.length} records, ${foldGraph(collected.values()).size} of ${expected.size} identities, ${JSON.stringify(handle.metrics.deadLettersByReason)}`,
        )
        expect(ended).toBeNull() // never stopped by a record
      } finally {
        await handle.stop()
      }
      expect(letters).toEqual([]) // nothing reached the store that it refuses
      expect(handle.metrics.recordsIn).toBe(order.length)
      expect(handle.metrics.deadLetters).toBe(bad.length)
      expect(foldGraph(collected.values())).toEqual(expected)

      const dead = (await readTopic(brokers, dlq.topic, bad.length)).map((m) => JSON.parse(m.value.toString()) as DeadLetterMessage)
      expect(dead).toHaveLength(bad.length)
      // every letter carries its record's position, toGraph's included
      expect(dead.filter((d) => d.offset === null)).toEqual([])
      const byOffset = new Map(dead.map((d) => [d.offset, d]))
      for (const b of bad) {
        const letter = byOffset.get(String(b.at))
        expect(letter?.reason, `offset ${b.at}`).toMatch(b.reason)
        expect(letter?.sourceTopic).toBe(topic)
      }
    },
  )
})

/**
 * `rdg-job produce` on the real broker: the generator's events land in the topic's wire
 * format (Avro framed with the registered schema id, keyed by account, poison included on
 * purpose), paced on the Clock, through the schema directory and through a registry; a
 * missing topic or an unreachable broker is a one-line error; the yargs command writes
 * what it says.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import yargs from 'yargs'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { produceCommand } from '../../../cli/commands/produce.ts'
import { createValueDecoder } from '../../../connectors/avro/value-decoder.ts'
import { topicEvents } from '../../../connectors/generator/generator-source.ts'
import { produceEvents, type ProduceProgress } from '../../../connectors/kafka/event-producer.ts'
import { ManualClock } from '../../../base/clock.ts'
import { ConfigError } from '../../../base/errors.ts'
import type { ValueFormat } from '../../../graph/job-definition.ts'
import playbackJob, { type PlaybackEvent } from '../../../jobs/playback-events.ts'
import { createTopic, readTopic, uniqueName, waitFor, withAdmin } from '../../infra/kafka-helpers.ts'
import { startSchemaRegistry } from '../../infra/kafka-schema-registry.ts'

const { brokers } = inject('kafka')
const base = mkdtempSync(join(tmpdir(), 'rdg-kafka-produce-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))
const format = playbackJob.value as ValueFormat<unknown>

/** What the generator makes for these settings, in order, with its malformed marks. */
function expectedEvents(count: number, seed: number, malformedRate: number) {
  const out: Array<{ value: Record<string, unknown>; malformed?: string }> = []
  for (const { event } of topicEvents({ topic: 'playback-events', seed, encoding: 'object', malformedRate })) {
    out.push({ value: event.value, ...(event.malformed ? { malformed: event.malformed } : {}) })
    if (out.length === count) break
  }
  return out
}

async function highWatermark(topic: string): Promise<number> {
  return withAdmin(brokers, async (admin) => (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0))
}

describe('produce generator events to Kafka (real broker)', () => {
  it('writes every event in the wire format, keyed by account, malformed ones undecodable', async () => {
    const topic = uniqueName('playback-events')
    const schemaDir = join(base, 'schemas-dir')
    const summary = await produceEvents({
      brokers,
      topic,
      events: 'playback-events',
      format,
      count: 1_500,
      seed: 5,
      malformedRate: 0.02,
      schemaDir,
      createPartitions: 3,
      logLevel: 'nothing',
    })
    expect(summary).toMatchObject({ topic, pushed: 1_500, acknowledged: 1_500, stopped: false })
    expect(summary.schemaId).toBeTypeOf('number')

    const expected = expectedEvents(1_500, 5, 0.02)
    expect(summary.malformed).toBe(expected.filter((e) => e.malformed).length)
    expect(summary.malformed).toBeGreaterThan(0)

    const messages = await readTopic(brokers, topic, 1_500)
    expect(messages).toHaveLength(1_500)
    expect(new Set(messages.map((m) => m.partition)).size).toBe(3)
    const decode = await createValueDecoder(format, { schemaDir })
    await decode.prepare(messages)
    const decoded = new Map<string, { event: PlaybackEvent; key: string | null }>()
    let undecodable = 0
    for (const m of messages) {
      try {
        const event = decode(m.value) as PlaybackEvent
        decoded.set(event.eventId, { event, key: m.key })
      } catch {
        undecodable++
      }
    }
    // Every well-formed event arrives once and equal; its key is its account.
    const wellFormed = expected.filter((e) => !e.malformed)
    expect(decoded.size).toBe(wellFormed.length)
    for (const e of wellFormed) {
      const got = decoded.get(e.value.eventId as string)
      expect(got?.event).toEqual(e.value)
      expect(got?.key).toBe(e.value.accountId)
    }
    // Garbage always fails; a truncated record usually does (Avro may still parse a prefix).
    const garbage = expected.filter((e) => e.malformed === 'garbage').length
    expect(undecodable).toBeGreaterThanOrEqual(garbage)
    expect(undecodable).toBeLessThanOrEqual(summary.malformed)
  })

  it('paces to the rate on its clock', async () => {
    const topic = uniqueName('playback-events')
    await createTopic(brokers, topic, 1)
    const clock = new ManualClock(1_000_000)
    const reports: ProduceProgress[] = []
    let done = false
    const run = produceEvents({
      brokers,
      topic,
      events: 'playback-events',
      format,
      count: 250,
      rate: 100,
      schemaDir: join(base, 'schemas-rate'),
      clock,
      logLevel: 'nothing',
      onProgress: (p) => reports.push(p),
    })
    void run.finally(() => (done = true))
    let seconds = 0
    while (!done) {
      // Advance only while the producer waits on the clock (readiness, not a fixed delay).
      await waitFor(
        () => done || clock.scheduler.actions.length > 0,
        30_000,
        () => 'the producer to wait on its clock',
      )
      if (done) break
      const before = reports.length
      clock.advance(1_000)
      seconds++
      await waitFor(
        () => done || reports.length > before,
        30_000,
        () => `a progress report after second ${seconds}`,
      )
      // Never ahead of the rate.
      expect(reports.at(-1)!.pushed).toBeLessThanOrEqual(100 * seconds)
    }
    const summary = await run
    expect(reports.map((r) => r.pushed)).toEqual([100, 200, 250, 250])
    expect(summary).toMatchObject({ pushed: 250, acknowledged: 250, seconds: 3 })
    expect(await highWatermark(topic)).toBe(250)
  })

  it('registers the schema in a schema registry and frames values with its id', async () => {
    const registry = await startSchemaRegistry()
    try {
      const topic = uniqueName('playback-events')
      await createTopic(brokers, topic, 1)
      const summary = await produceEvents({
        brokers,
        topic,
        events: 'playback-events',
        format,
        count: 200,
        seed: 9,
        malformedRate: 0,
        registryUrl: registry.url,
        logLevel: 'nothing',
      })
      expect(registry.requests).toContain(`POST /subjects/${topic}-value/versions`)
      const messages = await readTopic(brokers, topic, 200)
      expect(messages.every((m) => m.value[0] === 0 && m.value.readInt32BE(1) === summary.schemaId)).toBe(true)
      const decode = await createValueDecoder(format, { registryUrl: registry.url })
      await decode.prepare(messages)
      const ids = new Set(messages.map((m) => (decode(m.value) as PlaybackEvent).eventId))
      expect(ids).toEqual(new Set(expectedEvents(200, 9, 0).map((e) => e.value.eventId)))
    } finally {
      await registry.close()
    }
  })

  it('stops early on its signal with everything pushed acknowledged', async () => {
    const topic = uniqueName('playback-events')
    await createTopic(brokers, topic, 1)
    const stop = new AbortController()
    stop.abort()
    const summary = await produceEvents({
      brokers,
      topic,
      events: 'playback-events',
      format,
      count: 10_000,
      schemaDir: join(base, 'schemas-stop'),
      signal: stop.signal,
      logLevel: 'nothing',
    })
    expect(summary).toMatchObject({ pushed: 0, acknowledged: 0, stopped: true })
  })

  it('says in one line that a topic is missing or the broker cannot be reached', async () => {
    const missing = uniqueName('no-such-topic')
    const schemaDir = join(base, 'schemas-errors')
    const noTopic = produceEvents({ brokers, topic: missing, events: 'playback-events', format, count: 10, schemaDir, logLevel: 'nothing' })
    await expect(noTopic).rejects.toThrow(ConfigError)
    await expect(noTopic).rejects.toThrow(`topic ${missing} does not exist on ${brokers.join(',')}`)
    const noBroker = produceEvents({
      brokers: '127.0.0.1:1',
      topic: missing,
      events: 'playback-events',
      format,
      count: 10,
      schemaDir,
      logLevel: 'nothing',
    })
    await expect(noBroker).rejects.toThrow(/^cannot reach Kafka at 127\.0\.0\.1:1 \(.*\)/)
    const noSchemas = produceEvents({ brokers, topic: missing, events: 'playback-events', format, count: 10 })
    await expect(noSchemas).rejects.toThrow(/pass --registry <url> or --schema-dir <dir>/)
  })

  it('rdg-job produce writes the count it is given to the topic', async () => {
    const topic = 'playback-events'
    const before = await withAdmin(brokers, async (admin) => ((await admin.listTopics()).includes(topic) ? highWatermark(topic) : 0))
    const schemaDir = join(base, 'schemas-cli')
    const cli = yargs([
      'produce',
      topic,
      '--brokers',
      brokers.join(','),
      '--count',
      '300',
      '--seed',
      '3',
      '--schema-dir',
      schemaDir,
      '--partitions',
      '2',
    ])
      .command(produceCommand)
      .strict()
      .fail((msg, err) => {
        throw err ?? new Error(msg)
      })
    await cli.parseAsync()
    expect((await highWatermark(topic)) - before).toBe(300)

    const bad = yargs(['produce', 'no-such-topic', '--brokers', brokers.join(','), '--schema-dir', schemaDir])
      .command(produceCommand)
      .fail((msg, err) => {
        throw err ?? new Error(msg)
      })
    await expect(bad.parseAsync()).rejects.toThrow('the generator has no events for topic "no-such-topic"')
  })
})

/**
 * A broker that goes away mid-run and comes back (SIGKILL, same data directory and
 * ports): the running job keeps its place, its graph publisher retries, and the result
 * is the graph of a run without any failure. Uses a broker of its own so the other test
 * files keep theirs.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemClock } from '../../../base/clock.ts'
import type { DeadLetter } from '../../../engine/connector.ts'
import { runJob } from '../../../graph/run-job.ts'
import { CollectingSink } from '../../../testing/collecting-sink.ts'
import type { GraphPrimitive } from '../../../graph/model.ts'
import playbackJob from '../../../jobs/playback-events.ts'
import { createValueEncoder } from '../../../connectors/avro/value-encoder.ts'
import { kafkaJobIo } from '../../../connectors/kafka/job-io.ts'
import { startKafka, type KafkaServer } from '../../infra/kafka-server.ts'
import { createTopic, kafkaClient, uniqueName, waitFor } from '../../infra/kafka-helpers.ts'
import { foldGraph, playbackEvents, referenceGraph, sentinelAfter } from '../../infra/kafka-pipeline.ts'

let kafka: KafkaServer
const base = mkdtempSync(join(tmpdir(), 'rdg-kafka-restart-'))

beforeAll(async () => {
  kafka = await startKafka()
})
afterAll(async () => {
  await kafka?.stop()
  rmSync(base, { recursive: true, force: true })
})

describe('broker restart during a run (real broker, restarted)', () => {
  it('is survived without loss: the graph equals a run without failures', { timeout: 240_000 }, async () => {
    const { brokers } = kafka
    const topic = uniqueName('playback-events')
    const schemaDir = join(base, 'schemas')
    await createTopic(brokers, topic, 1)
    const events = playbackEvents(6_000, 31)
    const expected = await referenceGraph(events)
    const encoder = await createValueEncoder(playbackJob.value, { topic, schemaDir })
    const values = [...events, sentinelAfter(events)].map((e) => encoder.encode(e))

    const io = await kafkaJobIo({
      job: playbackJob,
      brokers,
      topic,
      groupId: uniqueName('rdg'),
      schemaDir,
      publishGraph: { topicPrefix: uniqueName('rdg') },
      maxBufferedRecords: 500,
      logLevel: 'nothing',
    })
    const collected = new CollectingSink<GraphPrimitive>('collected')
    const deadLetters = new CollectingSink<DeadLetter>('dlq')
    const handle = runJob(playbackJob, {
      ...io,
      deadLetterSink: deadLetters,
      graphSinks: [collected, ...io.graphSinks],
      dataDir: join(base, 'job'),
      state: { backend: 'heap' },
      checkpoint: { intervalMs: 500 },
      batchSize: 200,
    })

    // The feeder stays at most ~300 records ahead of the job, so the job is mid-stream
    // when the broker dies; its sends during the outage are retried until it is back.
    const producer = kafkaClient(brokers).producer({ idempotent: true, retry: { retries: 3 } })
    await producer.connect()
    let sent = 0
    let restarted = false
    const feeder = (async () => {
      while (sent < values.length) {
        await waitFor(
          () => handle.metrics.recordsIn >= sent - 300,
          120_000,
          () => `job at ${handle.metrics.recordsIn}, fed ${sent}`,
        )
        const chunk = values.slice(sent, sent + 100).map((value) => ({ value }))
        for (;;) {
          try {
            await producer.send({ topic, acks: -1, messages: chunk })
            break
          } catch {
            await systemClock.sleep(200)
          }
        }
        sent += chunk.length
      }
    })()
    try {
      await waitFor(
        () => handle.metrics.recordsIn >= 2_000,
        60_000,
        () => `records in ${handle.metrics.recordsIn}`,
      )
      await kafka.restart({ hard: true })
      restarted = true
      await feeder
      await waitFor(
        () => handle.metrics.recordsIn >= values.length,
        120_000,
        () => `${handle.metrics.recordsIn} of ${values.length} records in`,
      )
      await waitFor(
        () => foldGraph(collected.values()).size >= expected.size,
        120_000,
        () => `${foldGraph(collected.values()).size} of ${expected.size} graph identities, ${handle.metrics.recordsIn} records in`,
      )
    } finally {
      await producer.disconnect()
      await handle.stop()
    }
    expect(restarted).toBe(true)
    expect(deadLetters.values()).toEqual([])
    expect(handle.metrics.recordsIn).toBeGreaterThanOrEqual(values.length)
    expect(foldGraph(collected.values())).toEqual(expected)
  })
})

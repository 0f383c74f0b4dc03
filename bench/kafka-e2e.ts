/**
 * The playback job from a real Kafka broker, end to end, next to a plain kafkajs consumer
 * over the same topic in the same run; then the latency from produce to visible in the
 * store.
 *
 *   node --import tsx bench/kafka-e2e.ts [events]
 *
 * 1. Starts a single KRaft broker on 127.0.0.1 (the tests' server script, Maven artifacts)
 *    and fills a 3-partition topic with `events` playback events in the job's wire format
 *    (Avro framed with a schema id from a schema directory), as `rdg-job produce` does.
 * 2. Consume-only: a kafkajs consumer in a fresh group, eachBatch counting messages.
 * 3. End to end: kafkaJobIo (source, Avro decoder, dead-letter topic) → engine (RocksDB
 *    state, 10 s checkpoints, 5 s dedup) → KvGraphSink → embedded RocksDB KV store, fresh
 *    group. Both rates are taken from the first record received to the last, so the
 *    group join is left out of both.
 * 4. Latency: the job runs on a fresh topic while events are produced at a steady rate
 *    with their event time set to the wall clock when sent. Every item the store
 *    acknowledges carries the event time of the newest event merged into it, so
 *    acknowledged-at − event time is produce → durable in the store. To leave the
 *    dedup window out (as the figure is defined), this run uses a 1 ms window and no
 *    out-of-orderness bound; in production add the window (5 s) and the bound (2 s).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance as perf } from 'node:perf_hooks'
import { Kafka, logLevel } from 'kafkajs'
import { createValueEncoder } from '../connectors/avro/value-encoder.ts'
import { createValueDecoder } from '../connectors/avro/value-decoder.ts'
import { openSchemaSource } from '../connectors/avro/schema-source.ts'
import { operatorId } from '../base/ids.ts'
import type { DeadLetter, Sink, Source, SourceRecord } from '../engine/connector.ts'
import { readFieldsOf } from '../graph/job-definition.ts'
import { topicEvents } from '../connectors/generator/generator-source.ts'
import { produceEvents } from '../connectors/kafka/event-producer.ts'
import { kafkaJobIo } from '../connectors/kafka/job-io.ts'
import { systemClock } from '../base/clock.ts'
import { runJob } from '../graph/run-job.ts'
import type { KvDataStore, KvPut } from '../store/kv/api.ts'
import { RocksDbKvStore } from '../store/kv/rocksdb-kv.ts'
import playbackJob, { type PlaybackEvent } from '../jobs/playback-events.ts'
import { KvGraphSink } from '../store/graph-sink.ts'
import { startKafka } from '../test/infra/kafka-server.ts'

const EVENTS = Number(process.argv[2] ?? 200_000)
const PARTITIONS = 3
const LATENCY_RATE = 2_000 // events/s
const LATENCY_SECONDS = 15
const base = mkdtempSync(join(tmpdir(), 'rdg-bench-kafka-'))
const schemaDir = join(base, 'schemas')
const catalogDir = join(import.meta.dirname, '..', 'data', 'catalog')
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

let peakRss = 0
const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage.rss()))

/** Calls `check` every 20 ms until it returns true. */
function every20ms(check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const tick = () => {
      sampleRss()
      if (check()) resolve()
      else systemClock.schedule(20, tick)
    }
    tick()
  })
}

/**
 * A rate, the process's CPU time per event over the same span (user + system, all
 * threads), and the job thread's share: its event loop's active time per event (Node 20
 * has no per-thread CPU clock; the loop is active while it runs JS or a synchronous call).
 */
interface Rate {
  readonly perSecond: number
  readonly cpuMicrosPerEvent: number
  readonly jobThreadMicrosPerEvent: number
}

/** Starts a measurement at the first record; `end` closes it at the last. */
function span(): { start(): void; end(): void; rate(): Rate } {
  let t0 = 0
  let t1 = 0
  let cpu0 = process.cpuUsage()
  let cpu = 0
  let elu0 = perf.eventLoopUtilization()
  let active = 0
  return {
    start() {
      t0 = performance.now()
      cpu0 = process.cpuUsage()
      elu0 = perf.eventLoopUtilization()
    },
    end() {
      t1 = performance.now()
      const d = process.cpuUsage(cpu0)
      cpu = d.user + d.system
      active = perf.eventLoopUtilization(elu0).active * 1000
    },
    rate: () => ({ perSecond: EVENTS / ((t1 - t0) / 1000), cpuMicrosPerEvent: cpu / EVENTS, jobThreadMicrosPerEvent: active / EVENTS }),
  }
}

const describeRate = (r: Rate): string =>
  `${fmt(r.perSecond).padStart(9)} events/s   CPU ${r.cpuMicrosPerEvent.toFixed(1)} µs/event, job thread ${r.jobThreadMicrosPerEvent.toFixed(1)} µs/event`

async function consumeOnly(brokers: string[], topic: string, values: Buffer[]): Promise<Rate> {
  const consumer = new Kafka({ brokers, clientId: 'bench-consume-only', logLevel: logLevel.NOTHING }).consumer({
    groupId: `bench-consume-only-${topic}`,
  })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  let count = 0
  let done = false
  const measured = span()
  await consumer.run({
    eachBatch: async ({ batch }) => {
      if (count === 0) measured.start()
      count += batch.messages.length
      for (const m of batch.messages) if (values.length < EVENTS && m.value) values.push(m.value)
      if (count >= EVENTS && !done) {
        measured.end()
        done = true
      }
    },
  })
  await every20ms(() => done)
  await consumer.disconnect()
  return measured.rate()
}

/** The job from Kafka into a fresh RocksDB KV store; resolves with what `measure` makes of the run. */
async function runFromKafka<T>(
  job: typeof playbackJob,
  brokers: string[],
  topic: string,
  wrap: (store: KvDataStore) => KvDataStore,
  measure: (metrics: () => { recordsIn: number }) => Promise<T>,
  fetchThread = true,
): Promise<T> {
  const dir = mkdtempSync(join(base, 'job-'))
  const store = await RocksDbKvStore.open(join(dir, 'graph'))
  const io = await kafkaJobIo({
    job,
    brokers: brokers.join(','),
    topic,
    groupId: `bench-${topic}-${job.dedup?.windowMs}-${fetchThread}`,
    schemaDir,
    start: 'earliest',
    logLevel: 'nothing',
    fetchThread,
  })
  const sink = new KvGraphSink({
    id: 'graph-store',
    store: wrap(store),
    schema: job.graph,
    onReject: (l) => io.deadLetterSink.write(l, l.eventTime ?? 0),
  })
  const handle = runJob(job, {
    ...io,
    graphSinks: [sink],
    dataDir: join(dir, 'job'),
    state: { backend: 'rocksdb' },
    checkpoint: { intervalMs: 10_000 },
    sideInputDir: join(import.meta.dirname, '..'),
  })
  try {
    return await measure(() => handle.metrics)
  } finally {
    await handle.stop()
    await handle.done
    await store.close()
  }
}

/** The same job over the topic's raw values held in memory (one partition), into a fresh RocksDB KV store: the in-process reference. */
async function runInProcess(job: typeof playbackJob, values: readonly Buffer[]): Promise<Rate> {
  const dir = mkdtempSync(join(base, 'inproc-'))
  const store = await RocksDbKvStore.open(join(dir, 'graph'))
  const decode = await createValueDecoder(job.value, { schemas: await openSchemaSource({ schemaDir }), fields: readFieldsOf(job) })
  const measured = span()
  let next = 0
  const source: Source<Buffer> = {
    id: operatorId('memory'),
    async open() {},
    async poll(max) {
      if (next === 0) measured.start()
      const end = Math.min(values.length, next + max)
      const records = new Array<SourceRecord<Buffer>>(end - next)
      for (let i = next; i < end; i++) records[i - next] = { partition: 0, offset: String(i), value: values[i]! }
      next = end
      const pending = decode.prepare(records)
      if (pending) await pending
      return { records, end: end >= values.length }
    },
    positions: () => ({ '0': String(next) }),
    async close() {},
  }
  const deadLetters: Sink<DeadLetter> = {
    id: operatorId('dead-letters'),
    backpressured: false,
    async open() {},
    write() {},
    async drain() {},
    async flush() {},
    async close() {},
  }
  const sink = new KvGraphSink({ id: 'graph-store', store, schema: job.graph, onReject: () => undefined })
  const handle = runJob(job, {
    source,
    decode,
    deadLetterSink: deadLetters,
    graphSinks: [sink],
    dataDir: join(dir, 'job'),
    state: { backend: 'rocksdb' },
    checkpoint: { intervalMs: 10_000 },
    sideInputDir: join(import.meta.dirname, '..'),
  })
  await handle.done
  measured.end()
  await store.close()
  return measured.rate()
}

const kafka = await startKafka()
try {
  const brokers = kafka.brokers
  console.log(`playback job from Kafka (1 broker, ${PARTITIONS} partitions, ${fmt(EVENTS)} Avro events), one core for the job`)
  const topic = 'playback-events'
  const produced = await produceEvents({
    brokers: brokers.join(','),
    topic,
    format: playbackJob.value,
    count: EVENTS,
    seed: 5,
    schemaDir,
    catalogDir,
    createPartitions: PARTITIONS,
    malformedRate: 0,
    logLevel: 'nothing',
  })
  console.log(`produce (rdg-job produce)   ${fmt(produced.acknowledged / produced.seconds).padStart(9)} events/s`)

  const rawValues: Buffer[] = []
  const consume = await consumeOnly(brokers, topic, rawValues)
  console.log(`consume only (kafkajs)      ${describeRate(consume)}`)

  const inProcess = await runInProcess(playbackJob, rawValues)
  console.log(`in process (same values)    ${describeRate(inProcess)}   the same job and store, values from memory`)

  const untilAllIn = async (metrics: () => { recordsIn: number }): Promise<Rate> => {
    const measured = span()
    let started = false
    await every20ms(() => {
      const n = metrics().recordsIn
      if (n > 0 && !started) {
        measured.start()
        started = true
      }
      if (n >= EVENTS) measured.end()
      return n >= EVENTS
    })
    return measured.rate()
  }
  for (const fetchThread of [false, true]) {
    peakRss = 0
    const e2e = await runFromKafka(playbackJob, brokers, topic, (st) => st, untilAllIn, fetchThread)
    const label = fetchThread ? 'end to end, fetch thread  ' : 'end to end, kafkajs inline'
    console.log(
      `${label}  ${describeRate(e2e)}   ${((e2e.perSecond / inProcess.perSecond) * 100).toFixed(0)}% of in process   peak RSS ${Math.round(peakRss / 2 ** 20)} MiB`,
    )
  }

  // latency: events stamped with the wall clock at send, window and bound taken out
  const latencyTopic = 'playback-latency'
  const fast: typeof playbackJob = {
    ...playbackJob,
    dedup: { windowMs: 1 },
    watermark: { ...playbackJob.watermark!, maxOutOfOrdernessMs: 0 },
  }
  const samples: number[] = []
  const timing = (store: KvDataStore): KvDataStore =>
    new Proxy(store, {
      get(target, prop, receiver) {
        if (prop !== 'putItems') return Reflect.get(target, prop, receiver) as unknown
        return async (writes: readonly KvPut[]) => {
          await target.putItems(writes)
          const now = systemClock.now()
          for (const w of writes) if (w.namespace === 'edge.started_watching') samples.push(now - w.item.eventTime)
        }
      },
    })
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: latencyTopic, numPartitions: PARTITIONS }], waitForLeaders: true })
  await admin.disconnect()
  const encoder = await createValueEncoder(playbackJob.value, { topic: latencyTopic, schemaDir })
  const producer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer()
  await producer.connect()
  await runFromKafka(fast, brokers, latencyTopic, timing, async () => {
    const events = topicEvents({ topic: 'playback-events', seed: 6, encoding: 'object', malformedRate: 0, catalogDir })
    const started = systemClock.now()
    let sent = 0
    while (systemClock.now() - started < LATENCY_SECONDS * 1000) {
      const due = Math.floor(((systemClock.now() - started) / 1000) * LATENCY_RATE)
      const messages = []
      for (; sent < due; sent++) {
        const e = { ...((events.next().value as { value: unknown }).value as PlaybackEvent), ts: systemClock.now() }
        messages.push({ key: e.accountId, value: encoder.encode(e) })
      }
      if (messages.length > 0) await producer.send({ topic: latencyTopic, messages })
      await systemClock.sleep(10)
    }
    await systemClock.sleep(1_000) // let the last sends land
  })
  await producer.disconnect()
  samples.sort((a, b) => a - b)
  const pct = (p: number) => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))] ?? Number.NaN
  console.log(
    `produce → in store          p50 ${pct(50)} ms   p99 ${pct(99)} ms   (${fmt(samples.length)} started_watching items at ${fmt(LATENCY_RATE)} events/s; excludes the 5 s dedup window and 2 s bound)`,
  )
} finally {
  await kafka.stop()
  rmSync(base, { recursive: true, force: true })
}

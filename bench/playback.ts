/**
 * The playback job in process: Avro-encoded events held in memory → decode → filter →
 * project → enrich → toGraph → dedup → in-memory sink, with heap and with RocksDB state
 * (10 s checkpoints), next to the avsc decode-only rate of the same events in the same run.
 *
 * The pipeline decodes the way `rdg-job run` does: the job's field-list projection is
 * pushed into the Avro reader and strings are interned. The target's baseline is plain
 * avsc decoding whole records; the rdg decoder's own decode-only rate is printed too.
 *
 *   node --import tsx bench/playback.ts [events]        (default 1 000 000; shorter runs are mostly JIT warm-up)
 *   RDG_BENCH_BACKEND=heap|rocksdb  RDG_BENCH_BATCH=<records per micro-batch>  RDG_BENCH_CACHE=<entries>
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import avro from 'avsc'
import { createDecoder } from '../connectors/avro/decoder.ts'
import { systemClock } from '../base/clock.ts'
import { topicEvents } from '../connectors/generator/generator-source.ts'
import type { DeadLetter, Sink, Source, SourceBatch, SourceContext } from '../engine/connector.ts'
import { readFieldsOf } from '../graph/job-definition.ts'
import { runJob } from '../graph/run-job.ts'
import { operatorId } from '../base/ids.ts'
import type { GraphPrimitive } from '../graph/model.ts'
import playback, { playbackSchema } from '../jobs/playback-events.ts'

const EVENTS = Number(process.argv[2] ?? 1_000_000)

class BufferSource implements Source<Buffer> {
  readonly id = operatorId('memory')
  private next = 0
  constructor(private readonly items: readonly Buffer[]) {}
  async open(ctx: SourceContext) {
    this.next = Number(ctx.restoredPositions?.['0'] ?? 0)
  }
  async poll(max: number): Promise<SourceBatch<Buffer>> {
    const end = Math.min(this.items.length, this.next + max)
    const records = new Array(end - this.next)
    for (let i = this.next; i < end; i++) records[i - this.next] = { partition: 0, offset: String(i), value: this.items[i]! }
    this.next = end
    return { records, end: end >= this.items.length }
  }
  positions() {
    return { '0': String(this.next) }
  }
  async close() {}
}

class CountingSink<T> implements Sink<T> {
  count = 0
  readonly backpressured = false
  constructor(readonly id = operatorId('count')) {}
  async open() {}
  write() {
    this.count++
  }
  async drain() {}
  async flush() {}
  async close() {}
}

// Each state backend runs in a process of its own (with its own decode-only baseline),
// so one run's garbage and JIT state do not tax the next.
if (!process.env.RDG_BENCH_BACKEND) {
  console.log(`playback job, ${EVENTS.toLocaleString('en-US')} Avro events held in memory, one core; each backend in its own process`)
  for (const backend of ['heap', 'rocksdb']) {
    const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, RDG_BENCH_BACKEND: backend },
    })
    if (child.status !== 0) process.exit(child.status ?? 1)
  }
  process.exit(0)
}
const BACKEND = process.env.RDG_BENCH_BACKEND as 'heap' | 'rocksdb'

let peakRss = 0
const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage.rss()))

const items: Buffer[] = []
for (const { value } of topicEvents({ topic: 'playback-events', seed: 5, schema: playbackSchema, accounts: 2_000 })) {
  items.push(value as Buffer)
  if (items.length >= EVENTS) break
}

/** Events/s of `decode` over the held events, three rounds (errors of malformed events count as decoded). */
function decodeOnly(decode: (bytes: Buffer) => unknown): { rate: number; checksum: number } {
  let sink = 0
  const t0 = performance.now()
  for (let round = 0; round < 3; round++) {
    for (const b of items) {
      try {
        sink += (decode(b) as { positionSec: number }).positionSec
      } catch {
        sink++
      }
    }
  }
  return { rate: (3 * items.length) / ((performance.now() - t0) / 1000), checksum: sink % 1000 }
}

// decode-only baseline: the same bytes through avsc
const avsc = avro.Type.forSchema(playbackSchema as avro.Schema)
const baseline = decodeOnly((b) => avsc.fromBuffer(b))
const decodeRate = baseline.rate
console.log(
  `avsc decode only        ${Math.round(decodeRate).toLocaleString('en-US').padStart(10)} events/s   (checksum ${baseline.checksum})`,
)

// for reference, not the target's baseline: the decoder the pipeline uses (projected reader, interned strings)
const ours = decodeOnly(createDecoder(playback.value, 'avro', readFieldsOf(playback)))
console.log(
  `rdg decoder only        ${Math.round(ours.rate).toLocaleString('en-US').padStart(10)} events/s   (the job's fields only, interned strings; checksum ${ours.checksum})`,
)

const dir = mkdtempSync(join(tmpdir(), 'rdg-bench-playback-'))
const out = new CountingSink<GraphPrimitive>()
const dlq = new CountingSink<DeadLetter>(operatorId('dlq'))
peakRss = 0
const start = performance.now()
const handle = runJob(playback, {
  source: new BufferSource(items),
  decode: createDecoder(playback.value, 'avro', readFieldsOf(playback)),
  graphSinks: [out],
  deadLetterSink: dlq,
  dataDir: dir,
  state: { backend: BACKEND, ...(process.env.RDG_BENCH_CACHE ? { cacheEntries: Number(process.env.RDG_BENCH_CACHE) } : {}) },
  checkpoint: { intervalMs: 10_000 },
  sideInputDir: process.cwd(),
  ...(process.env.RDG_BENCH_BATCH ? { batchSize: Number(process.env.RDG_BENCH_BATCH) } : {}),
})
let cancel = () => {}
const tick = () => {
  sampleRss()
  cancel = systemClock.schedule(100, tick)
}
tick()
const result = await handle.done
cancel()
sampleRss()
const seconds = (performance.now() - start) / 1000
const rate = items.length / seconds
console.log(
  `pipeline, ${BACKEND.padEnd(7)} state ${Math.round(rate).toLocaleString('en-US').padStart(10)} events/s  ${Math.round(
    result.metrics.primitivesBeforeDedup / seconds,
  )
    .toLocaleString('en-US')
    .padStart(
      10,
    )} primitives/s into dedup  ${out.count.toLocaleString('en-US')} out  ${((rate / decodeRate) * 100).toFixed(0)}% of decode-only  peak RSS ${Math.round(peakRss / 2 ** 20)} MiB  checkpoints ${result.metrics.checkpoints}`,
)
rmSync(dir, { recursive: true, force: true })

/**
 * Engine throughput on one core: synthetic events → filter → project → toGraph (one node
 * per event) → keyBy(identity) + dedup → in-memory counting sink, checkpoints every 10 s.
 * Each configuration runs in its own child process so peak RSS is its own.
 *
 *   node --import tsx bench/engine.ts                      # the standard table
 *   node --import tsx bench/engine.ts --one rocksdb 10000000 300000 200 5000   # one configuration
 *
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { systemClock } from '../base/clock.ts'
import type { DeadLetter, Sink, Source, SourceBatch, SourceContext } from '../engine/connector.ts'
import { defineJob, json } from '../graph/job-definition.ts'
import { runJob } from '../graph/run-job.ts'
import { operatorId } from '../base/ids.ts'
import type { GraphPrimitive } from '../graph/model.ts'

interface Beat {
  account: string
  device: string
  ts: number
  position: number
  noise: string
}

/**
 * Generates events on the fly (no big array in memory). Events come in blocks of
 * 2 × `revisit`: the first half visits `revisit` new keys, the second half the same keys
 * again (a heartbeat duplicate `revisit` events later), so `keys` = events / 2 distinct
 * keys. Event time advances `eventsPerMs` events per millisecond, ±50 ms out of order.
 */
class SyntheticSource implements Source<Beat> {
  readonly id = operatorId('synthetic')
  private next = 0
  constructor(
    private readonly events: number,
    private readonly revisit: number,
    private readonly eventsPerMs: number,
  ) {}
  async open(ctx: SourceContext) {
    this.next = Number(ctx.restoredPositions?.['0'] ?? 0)
  }
  async poll(max: number): Promise<SourceBatch<Beat>> {
    const records = []
    const end = Math.min(this.events, this.next + max)
    const block = 2 * this.revisit
    for (let i = this.next; i < end; i++) {
      const key = Math.floor(i / block) * this.revisit + (i % this.revisit)
      const ts = 1_700_000_000_000 + Math.floor(i / this.eventsPerMs) + ((i * 7919) % 100) - 50
      records.push({
        partition: 0,
        offset: String(i),
        value: { account: `acct-${key}`, device: `dev-${key % 7}`, ts, position: i, noise: 'xxxxxxxxxxxxxxxx' },
      })
    }
    this.next = end
    return { records, end: this.next >= this.events }
  }
  positions() {
    return { '0': String(this.next) }
  }
  async close() {}
}

class CountingSink implements Sink<GraphPrimitive> {
  readonly id = operatorId('memory')
  count = 0
  readonly backpressured = false
  async open() {}
  write() {
    this.count++
  }
  async drain() {}
  async flush() {}
  async close() {}
}

const deadLetters: Sink<DeadLetter> = {
  id: operatorId('dlq'),
  async open() {},
  write() {},
  backpressured: false,
  async drain() {},
  async flush() {},
  async close() {},
}

async function one(backend: 'heap' | 'rocksdb', events: number, revisit: number, eventsPerMs: number, windowMs: number): Promise<void> {
  const job = defineJob({
    topic: 'bench',
    value: json<Beat>(),
    eventTime: 'ts',
    watermark: { maxOutOfOrdernessMs: 100 },
    filter: (e) => e.position >= 0,
    project: (e) => ({ account: e.account, ts: e.ts, position: e.position }),
    graph: { nodes: { account: { properties: { position: 'number' } } }, edges: {} },
    toGraph: (e, g) => g.node('account', e.account, { position: e.position }),
    dedup: { windowMs },
  })
  const dir = mkdtempSync(join(tmpdir(), 'rdg-bench-'))
  const sink = new CountingSink()
  let peakRss = 0
  const peaks = { heapUsed: 0, external: 0, arrayBuffers: 0 }
  const sample = () => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss())
    if (process.env.RDG_BENCH_MEM) {
      const m = process.memoryUsage()
      peaks.heapUsed = Math.max(peaks.heapUsed, m.heapUsed)
      peaks.external = Math.max(peaks.external, m.external)
      peaks.arrayBuffers = Math.max(peaks.arrayBuffers, m.arrayBuffers)
    }
  }
  const stopSampling = (() => {
    let cancel = () => {}
    const tick = () => {
      sample()
      cancel = systemClock.schedule(200, tick)
    }
    tick()
    return () => cancel()
  })()
  const start = performance.now()
  const result = await runJob(job, {
    source: new SyntheticSource(events, revisit, eventsPerMs),
    decode: (raw) => raw as Beat,
    graphSinks: [sink],
    deadLetterSink: deadLetters,
    dataDir: dir,
    state: { backend },
    checkpoint: { intervalMs: 10_000 },
    batchSize: 2_000,
  }).done
  const seconds = (performance.now() - start) / 1000
  if (process.env.RDG_BENCH_MEM)
    process.stderr.write(
      `peak MiB: ${JSON.stringify(Object.fromEntries(Object.entries(peaks).map(([k, v]) => [k, Math.round(v / 2 ** 20)])))}\n`,
    )
  stopSampling()
  sample()
  rmSync(dir, { recursive: true, force: true })
  const maxRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024)
  process.stdout.write(
    JSON.stringify({
      backend,
      keys: events / 2,
      events,
      liveKeysInWindow: Math.min(events / 2, Math.round((windowMs * eventsPerMs) / 2)),
      windowMs,
      seconds: +seconds.toFixed(2),
      eventsPerSecond: Math.round(events / seconds),
      emitted: sink.count,
      checkpoints: result.metrics.checkpoints,
      peakRssMiB: Math.round(maxRss / 2 ** 20),
    }) + '\n',
  )
}

const args = process.argv.slice(2)
if (args[0] === '--one') {
  await one(args[1] as 'heap' | 'rocksdb', Number(args[2]), Number(args[3]), Number(args[4]), Number(args[5] ?? 5_000))
} else {
  // [backend, events, revisit distance, events per ms of event time, dedup window ms]
  const configs: Array<[string, number, number, number, number]> = [
    ['heap', 2_000_000, 50_000, 20, 5_000],
    ['rocksdb', 2_000_000, 50_000, 20, 5_000],
    // 5 million distinct keys; ~500 000 live in the 5 s window at once, 10x the working set
    ['rocksdb', 10_000_000, 300_000, 200, 5_000],
  ]
  const only = args.find((a) => a.startsWith('--filter='))?.slice(9)
  console.log('engine: filter → project → toGraph → keyBy/dedup → memory sink, 10 s checkpoints, one core')
  for (const [backend, events, revisit, eventsPerMs, windowMs] of configs) {
    if (only && !backend.includes(only)) continue
    // A capped old space makes V8 collect instead of growing: RSS then reflects live data.
    const r = spawnSync(
      process.execPath,
      [
        '--max-old-space-size=384',
        '--import',
        'tsx',
        import.meta.filename,
        '--one',
        backend,
        String(events),
        String(revisit),
        String(eventsPerMs),
        String(windowMs),
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const line = r.stdout.trim().split('\n').pop() ?? ''
    try {
      const m = JSON.parse(line) as Record<string, number | string>
      console.log(
        `${String(m.backend).padEnd(8)} keys=${String(m.keys).padStart(8)} live≈${String(m.liveKeysInWindow).padStart(7)} events=${String(m.events).padStart(9)}  ${String(m.eventsPerSecond).padStart(7)} events/s  emitted=${m.emitted}  checkpoints=${m.checkpoints}  peak RSS ${m.peakRssMiB} MiB`,
      )
    } catch {
      console.log(`${backend} ${events} failed: ${r.stdout} (exit ${r.status})`)
    }
  }
}

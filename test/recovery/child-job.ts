/**
 * A job run in a child process by the recovery test: a seeded, deterministic input →
 * filter → project → toGraph → dedup (RocksDB state) → a file sink that appends JSON lines
 * durably at each flush (a flush torn by the kill is cut off at the next open, as a
 * transactional store would roll it back). Prints `progress <records read>` per batch so the parent can
 * kill it at a chosen point. Usage: child-job.ts <dataDir> <sinkFile> <records>
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync } from 'node:fs'
import { systemClock } from '../../base/clock.ts'
import type { DeadLetter, Sink, Source, SourceBatch, SourceContext } from '../../engine/connector.ts'
import { defineJob, json } from '../../graph/job-definition.ts'
import { runJob } from '../../graph/run-job.ts'
import { operatorId } from '../../base/ids.ts'
import type { GraphPrimitive } from '../../graph/model.ts'

const [dataDir, sinkFile, total] = [process.argv[2]!, process.argv[3]!, Number(process.argv[4] ?? 4000)]

interface Play {
  profile: string
  title: string
  ts: number
  position: number
}

/** Deterministic event i: 40 profiles × 12 titles, out of order within 90 ms, unique times. */
function event(i: number): Play {
  const jitter = (i * 7919) % 90
  return { profile: `p${(i * 31) % 40}`, title: `t${(i * 17) % 12}`, ts: 1_000_000 + i * 10 - jitter, position: i }
}

class SeededSource implements Source<Play> {
  readonly id = operatorId('plays')
  private next = 0
  async open(ctx: SourceContext) {
    this.next = Number(ctx.restoredPositions?.['0'] ?? 0)
  }
  async poll(max: number): Promise<SourceBatch<Play>> {
    await systemClock.sleep(2) // spread the run over time so kills land everywhere
    const records = []
    while (records.length < max && this.next < total) {
      records.push({ partition: 0, offset: String(this.next), value: event(this.next) })
      this.next++
    }
    process.stdout.write(`progress ${this.next}\n`)
    return { records, end: this.next >= total }
  }
  positions() {
    return { '0': String(this.next) }
  }
  async close() {}
}

class FileSink implements Sink<GraphPrimitive> {
  readonly id = operatorId('file-sink')
  private buffer: string[] = []
  readonly backpressured = false
  async open() {
    // SIGKILL can stop a large write part-way (Linux cuts the write short on a fatal
    // signal): drop the torn tail; its flush was never followed by a checkpoint, so replay re-emits it
    if (!existsSync(sinkFile)) return
    const text = readFileSync(sinkFile)
    const end = text.lastIndexOf(0x0a) + 1
    if (end < text.length) truncateSync(sinkFile, end)
  }
  write(p: GraphPrimitive) {
    this.buffer.push(JSON.stringify(p))
  }
  async drain() {}
  async flush() {
    if (this.buffer.length === 0) return
    const fd = openSync(sinkFile, 'a')
    appendFileSync(fd, this.buffer.join('\n') + '\n')
    fsyncSync(fd)
    closeSync(fd)
    this.buffer = []
  }
  async close() {}
}

const noDeadLetters: Sink<DeadLetter> = {
  id: operatorId('dlq'),
  async open() {},
  write(letter) {
    throw new Error(`unexpected dead letter: ${letter.reason}`)
  },
  backpressured: false,
  async drain() {},
  async flush() {},
  async close() {},
}

const job = defineJob({
  topic: 'plays',
  value: json<Play>(),
  eventTime: 'ts',
  watermark: { maxOutOfOrdernessMs: 100, idleTimeoutMs: 600_000 },
  filter: (e) => e.position % 13 !== 0,
  project: (e) => ({ profile: e.profile, title: e.title, ts: e.ts, position: e.position }),
  graph: {
    nodes: { profile: { properties: { lastSeen: 'timestamp' } }, title: { properties: { lastSeen: 'timestamp' } } },
    edges: { started_watching: { from: 'profile', to: 'title', direction: 'out', properties: { position: 'number' } } },
  },
  toGraph: (e, g) => {
    g.node('profile', e.profile, { lastSeen: e.ts })
    g.node('title', e.title, { lastSeen: e.ts })
    g.edge('started_watching', { type: 'profile', id: e.profile }, { type: 'title', id: e.title }, { position: e.position })
  },
  dedup: { windowMs: 500 },
})

const handle = runJob(job, {
  source: new SeededSource(),
  decode: (raw) => raw as Play,
  graphSinks: [new FileSink()],
  deadLetterSink: noDeadLetters,
  dataDir,
  state: { backend: 'rocksdb', cacheEntries: 64 },
  checkpoint: { intervalMs: 15, retain: 2 },
  batchSize: 40,
})
const result = await handle.done
process.stdout.write(`done ${JSON.stringify(result.metrics)}\n`)

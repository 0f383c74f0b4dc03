import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ManualClock } from '../../base/clock.ts'
import type { DeadLetter } from '../../engine/connector.ts'
import { CheckpointStorage } from '../../engine/checkpoint/storage.ts'
import { defineJob, json } from '../../graph/job-definition.ts'
import { identityOf, type GraphPrimitive } from '../../graph/model.ts'
import { runJob } from '../../graph/run-job.ts'
import { CollectingSink } from '../../testing/collecting-sink.ts'
import { ABORT, TestSource, type TestElement } from '../../testing/test-source.ts'

interface View {
  account: string
  title: string
  ts: number
}

const viewJob = defineJob({
  topic: 'views',
  value: json<View>(),
  eventTime: 'ts',
  watermark: { maxOutOfOrdernessMs: 100, idleTimeoutMs: 60_000 },
  graph: {
    nodes: { account: { properties: {} }, title: { properties: {} } },
    edges: { watched: { from: 'account', to: 'title', direction: 'out', properties: {} } },
  },
  toGraph: (e, g) => {
    g.node('account', e.account, {})
    g.edge('watched', { type: 'account', id: e.account }, { type: 'title', id: e.title }, {})
  },
  dedup: { windowMs: 1_000 },
})

const views = (n: number): View[] => Array.from({ length: n }, (_, i) => ({ account: `a${i % 7}`, title: `t${i % 3}`, ts: 1_000 + i * 50 }))

function contents(sink: CollectingSink<GraphPrimitive>): Record<string, GraphPrimitive> {
  const out: Record<string, GraphPrimitive> = {}
  for (const { value } of sink.received) {
    const prev = out[identityOf(value)]
    if (!prev || value.eventTime >= prev.eventTime) out[identityOf(value)] = value
  }
  return out
}

function start(
  elements: TestElement<unknown>[],
  dir: string,
  backend: 'heap' | 'rocksdb',
  sink: CollectingSink<GraphPrimitive>,
  job = viewJob,
) {
  const clock = new ManualClock(0)
  return runJob(job, {
    source: new TestSource('views', elements, { onPoll: () => clock.advance(3) }),
    decode: (raw) => raw as View,
    graphSinks: [sink],
    deadLetterSink: new CollectingSink<DeadLetter>('dlq'),
    dataDir: dir,
    state: { backend },
    checkpoint: { intervalMs: 3, retain: 10 },
    batchSize: 10,
    clock,
  }).done
}

/** Runs until the ABORT in the middle, leaving several complete checkpoints; returns the storage and the crashed sink. */
async function crashedRun(backend: 'heap' | 'rocksdb', input: TestElement<unknown>[]) {
  const dir = mkdtempSync(join(tmpdir(), 'rdg-chk-integrity-'))
  const sink = new CollectingSink<GraphPrimitive>('graph')
  await expect(start(input, dir, backend, sink)).rejects.toThrow(/test source aborted/)
  sink.received.splice(0, sink.received.length, ...sink.flushed)
  const storage = new CheckpointStorage(join(dir, 'checkpoints'))
  const complete = await storage.complete()
  expect(complete.length).toBeGreaterThan(2)
  const latest = complete[complete.length - 1]!
  const previous = new Set(complete[complete.length - 2]!.state.files)
  /** The largest file only the latest checkpoint references (an incremental chain shares the older ones). */
  const ownFile = [...latest.state.files]
    .filter((f) => !previous.has(f))
    .sort((a, b) => statSync(join(storage.root, b)).size - statSync(join(storage.root, a)).size)[0]!
  return { dir, sink, storage, latest, ownFile }
}

const damages = {
  truncated: (path: string) => truncateSync(path, Math.floor(statSync(path).size / 2)),
  overwritten: (path: string) => writeFileSync(path, Buffer.alloc(statSync(path).size, 7)),
  deleted: (path: string) => rmSync(path),
}

describe('checkpoint integrity', () => {
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
  afterEach(() => stderr.mockClear())
  const written = () => stderr.mock.calls.map((c) => String(c[0])).join('')

  it('records the size and checksum of every state file in the metadata', async () => {
    const { storage, latest } = await crashedRun('rocksdb', [...views(120).slice(0, 80), ABORT, ...views(120).slice(80)])
    expect(latest.files).toBeDefined()
    expect(Object.keys(latest.files!).sort()).toEqual([...latest.state.files].sort())
    for (const [path, digest] of Object.entries(latest.files!)) {
      expect(digest.bytes).toBe(statSync(join(storage.root, path)).size)
      expect(digest.sha256).toMatch(/^[0-9a-f]{64}$/)
    }
  })

  for (const backend of ['heap', 'rocksdb'] as const) {
    for (const [kind, damage] of Object.entries(damages)) {
      it(`a ${kind} state file is named and the previous checkpoint restored, ending as an uninterrupted run (${backend})`, async () => {
        const input = views(120)
        const straight = new CollectingSink<GraphPrimitive>('graph')
        await start(input, mkdtempSync(join(tmpdir(), 'rdg-chk-straight-')), backend, straight)

        const {
          dir,
          sink,
          storage,
          latest,
          ownFile: victim,
        } = await crashedRun(backend, [...input.slice(0, 80), ABORT, ...input.slice(80)])
        damage(join(storage.root, victim))

        const result = await start(input, dir, backend, sink)
        expect(written()).toContain(`checkpoint ${latest.id} is damaged: ${join(storage.root, victim)}`)
        expect(written()).toContain('trying the one before it')
        expect(result.metrics.restoredFrom).toBeLessThan(latest.id)
        expect(contents(sink)).toEqual(contents(straight))
      })
    }
  }

  it('a parseable metadata file that is not a checkpoint is damaged, not incomplete: named, kept, and skipped', async () => {
    const { dir, sink, storage, latest } = await crashedRun('heap', [...views(120).slice(0, 80), ABORT, ...views(120).slice(80)])
    const path = storage.metadataPath(latest.id)
    writeFileSync(path, JSON.stringify({ id: latest.id, job: 'views' }))
    const result = await start(views(120), dir, 'heap', sink)
    expect(written()).toContain(`checkpoint ${latest.id} is damaged: ${path} has no "sourceId" string`)
    expect(result.metrics.restoredFrom).toBe(latest.id - 1)
  })

  it('a damaged file that every checkpoint shares (the base of an incremental chain) stops the run with that file named', async () => {
    const { dir, sink, storage, latest } = await crashedRun('rocksdb', [...views(120).slice(0, 80), ABORT, ...views(120).slice(80)])
    const shared = (await storage.complete()).map((m) => new Set(m.state.files)).reduce((a, b) => new Set([...a].filter((f) => b.has(f))))
    const base = [...shared][0]!
    expect(latest.state.files).toContain(base)
    damages.truncated(join(storage.root, base))
    await expect(start(views(120), dir, 'rocksdb', sink)).rejects.toThrow(
      new RegExp(`no intact checkpoint in .*: .*${base.replaceAll('.', '\\.')} has \\d+ bytes`),
    )
  })

  it('when every checkpoint is damaged the run stops with one line naming a file, instead of starting afresh', async () => {
    const { dir, sink, storage } = await crashedRun('heap', [...views(120).slice(0, 80), ABORT, ...views(120).slice(80)])
    for (const meta of await storage.complete()) writeFileSync(storage.metadataPath(meta.id), '{ not json')
    await expect(start(views(120), dir, 'heap', sink)).rejects.toThrow(
      /no intact checkpoint in .*checkpoints: .*_metadata\.json is not valid JSON/,
    )
  })

  it('--restore-from a damaged checkpoint is refused with the file named', async () => {
    const { dir, storage, latest, ownFile: victim } = await crashedRun('heap', [...views(120).slice(0, 80), ABORT, ...views(120).slice(80)])
    damages.truncated(join(storage.root, victim))
    const clock = new ManualClock(0)
    const run = runJob(viewJob, {
      source: new TestSource('views', views(10)),
      decode: (raw) => raw as View,
      graphSinks: [],
      deadLetterSink: new CollectingSink<DeadLetter>('dlq'),
      dataDir: dir,
      state: { backend: 'heap' },
      checkpoint: { restoreFrom: latest.id },
      clock,
    })
    await expect(run.done).rejects.toThrow(new RegExp(`checkpoint ${latest.id} is damaged: .*${victim.replaceAll('.', '\\.')}`))
  })

  it("another job's checkpoint is refused with both job names", async () => {
    const { dir, storage, latest } = await crashedRun('heap', [...views(120).slice(0, 80), ABORT, ...views(120).slice(80)])
    const meta = JSON.parse(readFileSync(storage.metadataPath(latest.id), 'utf8')) as Record<string, unknown>
    writeFileSync(storage.metadataPath(latest.id), JSON.stringify({ ...meta, job: 'clicks' }))
    await expect(start(views(10), dir, 'heap', new CollectingSink<GraphPrimitive>('graph'))).rejects.toThrow(
      /belongs to job "clicks", not "views"/,
    )
  })
})

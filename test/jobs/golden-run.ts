/**
 * Runs a built-in job over a JSON-lines fixture into an in-memory graph store and
 * returns the store's final contents, straight through or with a crash + restore.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createDecoder } from '../../connectors/avro/decoder.ts'
import { JsonLinesFileSource } from '../../connectors/file/jsonl-source.ts'
import { ManualClock } from '../../base/clock.ts'
import type { DeadLetter } from '../../engine/connector.ts'
import type { JobDefinition } from '../../graph/job-definition.ts'
import { runJob } from '../../graph/run-job.ts'
import { CollectingSink } from '../../testing/collecting-sink.ts'
import { CrashingSource } from '../../testing/crashing-source.ts'
import { InMemoryKvStore } from '../../store/kv/memory-kv.ts'
import { KvGraphSink } from '../../store/graph-sink.ts'

export interface GoldenResult {
  readonly store: ReturnType<InMemoryKvStore['dump']>
  readonly deadLetters: string[]
  readonly restoredFrom: number | null
}

export async function runGolden(job: JobDefinition, input: string, crashAfter?: number): Promise<GoldenResult> {
  const store = new InMemoryKvStore()
  const dataDir = mkdtempSync(join(tmpdir(), 'rdg-golden-'))
  let deadLetters: string[] = []
  let restoredFrom: number | null = null
  for (let attempt = 0; ; attempt++) {
    // Processing time after the generated events (from 2026-01-01): event times must not be far ahead of the clock.
    const clock = new ManualClock(Date.UTC(2027, 0, 1))
    const dlq = new CollectingSink<DeadLetter>('dlq')
    const sink = new KvGraphSink({ id: 'graph', store, schema: job.graph, onReject: (l) => dlq.write(l, 0), clock })
    const source = new CrashingSource(new JsonLinesFileSource({ path: input }), {
      clock,
      tickMs: 10,
      maxPerPoll: 7,
      ...(attempt === 0 && crashAfter !== undefined ? { crashAfter } : {}),
    })
    const handle = runJob(job, {
      source,
      decode: createDecoder(job.value, 'json'),
      graphSinks: [sink],
      deadLetterSink: dlq,
      dataDir,
      state: { backend: 'rocksdb' },
      checkpoint: { intervalMs: 50 },
      batchSize: 7,
      clock,
    })
    try {
      const result = await handle.done
      restoredFrom = result.metrics.restoredFrom
      deadLetters = [...deadLetters, ...dlq.flushed.map((d) => `${d.value.source?.offset ?? '-'} ${d.value.reason}`)]
      break
    } catch (err) {
      if (!source.crashed) throw err
      // what the last checkpoint flushed is kept; the rest died with the process
      deadLetters = dlq.flushed.map((d) => `${d.value.source?.offset ?? '-'} ${d.value.reason}`)
    }
  }
  return { store: store.dump(), deadLetters: [...new Set(deadLetters)].sort(), restoredFrom }
}

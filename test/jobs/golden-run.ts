/**
 * Runs a built-in job over a JSON-lines fixture into an in-memory graph store and
 * returns the store's final contents, straight through or with a crash + restore.
 *
 * `store` is the graph: node and edge namespaces. The recent-edge index is left out of it
 * (a replay after a crash may leave other stale index entries, which readers skip);
 * `indexGaps` lists the edges of indexed lists (`latestIndex`) the index misses instead,
 * which must be none.
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
import { edgeNamespace, recentItemKey, recentNamespace } from '../../store/graph-layout.ts'
import { indexedDirections } from '../../graph/schema.ts'

type Dump = ReturnType<InMemoryKvStore['dump']>

export interface GoldenResult {
  readonly store: Dump
  /** `namespace|record|item` of edges without a recent-index entry at their event time. */
  readonly indexGaps?: string[]
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
  const { graph, indexGaps } = splitIndex(job, store.dump())
  return { store: graph, indexGaps, deadLetters: [...new Set(deadLetters)].sort(), restoredFrom }
}

function splitIndex(job: JobDefinition, dump: Dump): { graph: Dump; indexGaps: string[] } {
  const graph: Dump = {}
  for (const [ns, records] of Object.entries(dump)) if (!ns.endsWith('.latest') && ns !== 'graph.meta') graph[ns] = records
  const indexGaps: string[] = []
  for (const [type, decl] of Object.entries(job.graph.edges))
    for (const direction of indexedDirections(decl)) {
      const ns = edgeNamespace(type, direction)
      const index = dump[recentNamespace(type, direction)] ?? {}
      for (const [record, items] of Object.entries(graph[ns] ?? {}))
        for (const [key, item] of Object.entries(items))
          if (!index[record]?.[recentItemKey(item.eventTime, key)]) indexGaps.push(`${ns}|${record}|${key}`)
    }
  return { graph, indexGaps }
}

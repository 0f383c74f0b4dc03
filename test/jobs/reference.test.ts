// Each built-in job through the real engine into a schema-checked in-memory graph must
// end with exactly the graph an engine-free fold of the same input gives (reference-fold.ts):
// on the checked-in fixtures and on a larger generated input, straight through on heap and
// RocksDB state, and after a crash restored from the last checkpoint.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createDecoder } from '../../connectors/avro/decoder.ts'
import { JsonLinesFileSource } from '../../connectors/file/jsonl-source.ts'
import { topicEvents } from '../../connectors/generator/generator-source.ts'
import type { Topic } from '../../connectors/generator/journeys.ts'
import { MemoryDeadLetterSink } from '../../connectors/memory/dead-letter-sink.ts'
import { MemoryGraphSink } from '../../connectors/memory/graph-sink.ts'
import { ManualClock } from '../../base/clock.ts'
import type { JobDefinition } from '../../graph/job-definition.ts'
import { runJob } from '../../graph/run-job.ts'
import { CrashingSource } from '../../testing/crashing-source.ts'
import { builtInJobs } from '../../jobs/registry.ts'
import { referenceGraph } from './reference-fold.ts'

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'jobs')

async function runToMemory(job: JobDefinition, input: string, backend: 'heap' | 'rocksdb', crashAfter?: number) {
  // The graph outlives the crashed attempt, as an external store would.
  const graph = new MemoryGraphSink({ id: 'graph', schema: job.graph })
  const dataDir = mkdtempSync(join(tmpdir(), 'rdg-reference-'))
  let deadLetters = 0
  for (let attempt = 0; ; attempt++) {
    // Processing time after the generated events (from 2026-01-01): event times must not be far ahead of the clock.
    const clock = new ManualClock(Date.UTC(2027, 0, 1))
    const dlq = new MemoryDeadLetterSink()
    const source = new CrashingSource(new JsonLinesFileSource({ path: input }), {
      clock,
      tickMs: 10,
      maxPerPoll: 37,
      ...(attempt === 0 && crashAfter !== undefined ? { crashAfter } : {}),
    })
    const handle = runJob(job, {
      source,
      decode: createDecoder(job.value, 'json'),
      graphSinks: [graph],
      deadLetterSink: dlq,
      dataDir,
      state: { backend },
      checkpoint: { intervalMs: 100 },
      batchSize: 37,
      clock,
    })
    try {
      const result = await handle.done
      deadLetters += dlq.count
      return {
        graph: graph.toJSON(),
        deadLetters,
        lateRecords: result.metrics.lateRecords,
        restoredFrom: result.metrics.restoredFrom,
        attempts: attempt + 1,
      }
    } catch (err) {
      if (!source.crashed) throw err
      deadLetters += dlq.flushedCount
    }
  }
}

/** A bigger input than the fixtures: every journey shape, heartbeats, disorder, malformed lines. */
function generatedInput(topic: Topic, count: number): string {
  const lines: string[] = []
  for (const { value } of topicEvents({ topic, seed: 23, accounts: 40, encoding: 'json', malformedRate: 0.01 })) {
    lines.push(String(value))
    if (lines.length >= count) break
  }
  const path = join(mkdtempSync(join(tmpdir(), 'rdg-reference-in-')), `${topic}.jsonl`)
  writeFileSync(path, lines.join('\n') + '\n')
  return path
}

for (const job of builtInJobs.values()) {
  describe(`reference: ${job.topic}`, () => {
    const fixture = join(fixtures, `${job.topic}.jsonl`)

    for (const backend of ['heap', 'rocksdb'] as const) {
      it(`fixture, straight through on ${backend} state, equals the reference fold`, async () => {
        const result = await runToMemory(job, fixture, backend)
        expect(result.lateRecords).toBe(0)
        expect(result.graph).toEqual(referenceGraph(job, fixture))
      })
    }

    it('generated input of 3 000 events, crash after 1 234 and restore, equals the reference fold', async () => {
      const input = generatedInput(job.topic as Topic, 3_000)
      const expected = referenceGraph(job, input)
      const result = await runToMemory(job, input, 'rocksdb', 1_234)
      expect(result.attempts).toBe(2)
      expect(result.restoredFrom).not.toBeNull()
      expect(result.lateRecords).toBe(0)
      expect(result.deadLetters).toBeGreaterThan(0)
      expect(Object.keys(result.graph).length).toBeGreaterThan(100)
      expect(result.graph).toEqual(expected)
    })
  })
}

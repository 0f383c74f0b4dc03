/**
 * Runs one topic's job from a chosen source into the embedded graph store: what both
 * `rdg-job run` and `rdg-job demo` do. Builds the source and decoder from connectors/,
 * the KV sink from kv/, and hands them to the engine.
 *
 * @example
 * const summary = await runTopic({ job, source: { kind: 'generator', count: 5_000, seed: 1 }, dataDir: '.rdg', store })
 */
import { join } from 'node:path'
import { ConfigError } from '../engine/errors.ts'
import type { DeadLetter, Sink, Source } from '../engine/connector.ts'
import { kafkaJobIo } from '../connectors/kafka/job-io.ts'
import type { JobDefinition } from '../engine/job-definition.ts'
import { runJob } from '../engine/run-job.ts'
import type { JobMetrics } from '../engine/run-options.ts'
import { systemClock } from '../engine/clock.ts'
import { createDecoder, type RawEncoding } from '../connectors/avro/decoder.ts'
import { DeadLetterFileSink } from '../connectors/file/dead-letter-file-sink.ts'
import { JsonLinesFileSource } from '../connectors/file/jsonl-source.ts'
import { GeneratorSource } from '../connectors/generator/generator-source.ts'
import { TOPICS, type Topic } from '../connectors/generator/journeys.ts'
import type { KvStore } from '../kv/types.ts'
import { KvGraphSink } from '../operators/kv-sink.ts'

export type SourceChoice =
  | { readonly kind: 'generator'; readonly count?: number; readonly rate?: number; readonly seed?: number; readonly accounts?: number }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'kafka'; readonly brokers: string; readonly registryUrl?: string; readonly schemaDir?: string; readonly start?: 'earliest' | 'latest' }

export interface RunTopicOptions {
  readonly job: JobDefinition
  readonly source: SourceChoice
  /** Root data directory; the job's checkpoints and state go to `<dataDir>/<topic>`. */
  readonly dataDir: string
  readonly store: KvStore
  readonly stateBackend?: 'heap' | 'rocksdb'
  readonly checkpointIntervalMs?: number
  /** Restore this checkpoint id instead of the latest complete one. */
  readonly restoreFrom?: number
  readonly handleSignals?: boolean
  /** Called about once a second with live counters. */
  readonly onProgress?: (metrics: Readonly<JobMetrics>) => void
}

export interface TopicSummary {
  readonly topic: string
  readonly metrics: JobMetrics
  readonly seconds: number
  readonly written: number
  readonly rejected: number
  readonly deadLetterFile: string
  readonly reason: string
}

/** Parses `generator` or `file:<path>`. */
export function parseSource(flag: string | undefined, extra: { count?: number; rate?: number; seed?: number }): SourceChoice {
  if (!flag) throw new ConfigError('no source given', 'pass --brokers host:port for Kafka, or --source generator, or --source file:<path.jsonl>')
  if (flag === 'generator') return { kind: 'generator', ...extra }
  if (flag.startsWith('file:') && flag.length > 5) return { kind: 'file', path: flag.slice(5) }
  throw new ConfigError(`unknown source "${flag}"`, 'use --source generator or --source file:<path.jsonl>')
}

function buildSource(job: JobDefinition, choice: Exclude<SourceChoice, { kind: 'kafka' }>): { source: Source<unknown>; encoding: RawEncoding } {
  if (choice.kind === 'file') return { source: new JsonLinesFileSource({ path: choice.path }) as Source<unknown>, encoding: 'json' }
  if (!TOPICS.includes(job.topic as Topic)) throw new ConfigError(`the generator has no events for topic "${job.topic}"`, `it generates ${TOPICS.join(', ')}; use --source file:<path> for other topics`)
  const encoding: RawEncoding = job.value.format === 'avro' ? 'avro' : 'json'
  const source = new GeneratorSource({
    topic: job.topic as Topic,
    encoding,
    ...(job.value.format === 'avro' ? { schema: job.value.schema } : {}),
    ...(choice.count !== undefined ? { count: choice.count } : {}),
    ...(choice.rate !== undefined ? { rate: choice.rate } : {}),
    ...(choice.seed !== undefined ? { seed: choice.seed } : {}),
    ...(choice.accounts !== undefined ? { accounts: choice.accounts } : {}),
  })
  return { source, encoding }
}

/** Source, decoder and dead-letter sink for a run: local sources write dead letters to a file, Kafka to `<topic>.dlq`. */
async function buildIo(job: JobDefinition, choice: SourceChoice, dir: string): Promise<{ source: Source<unknown>; decode: (raw: unknown) => unknown; deadLetters: Sink<DeadLetter>; deadLetterPlace: string }> {
  if (choice.kind === 'kafka') {
    const io = await kafkaJobIo({
      job,
      brokers: choice.brokers,
      ...(choice.registryUrl ? { registryUrl: choice.registryUrl } : {}),
      ...(choice.schemaDir ? { schemaDir: choice.schemaDir } : {}),
      ...(choice.start ? { start: choice.start } : {}),
    })
    return { source: io.source as Source<unknown>, decode: io.decode, deadLetters: io.deadLetterSink, deadLetterPlace: `Kafka topic ${job.topic}.dlq` }
  }
  const { source, encoding } = buildSource(job, choice)
  const file = join(dir, 'dead-letters.jsonl')
  return { source, decode: createDecoder(job.value, encoding), deadLetters: new DeadLetterFileSink({ path: file }), deadLetterPlace: file }
}

export async function runTopic(options: RunTopicOptions): Promise<TopicSummary> {
  const { job } = options
  const dir = join(options.dataDir, job.topic)
  const { source, decode, deadLetters, deadLetterPlace } = await buildIo(job, options.source, dir)
  const sink = new KvGraphSink({ id: 'graph-store', store: options.store, schema: job.graph, onReject: (l) => deadLetters.write(l, l.eventTime ?? 0) })
  const started = systemClock.now()
  const handle = runJob(job, {
    source,
    decode,
    graphSinks: [sink],
    deadLetterSink: deadLetters,
    dataDir: dir,
    state: { backend: options.stateBackend ?? 'rocksdb' },
    checkpoint: { intervalMs: options.checkpointIntervalMs ?? 10_000, ...(options.restoreFrom !== undefined ? { restoreFrom: options.restoreFrom } : {}) },
    handleSignals: options.handleSignals ?? false,
  })
  let cancel = () => {}
  if (options.onProgress) {
    const tick = () => {
      options.onProgress!(handle.metrics)
      cancel = systemClock.schedule(1_000, tick)
    }
    cancel = systemClock.schedule(1_000, tick)
  }
  try {
    const result = await handle.done
    return {
      topic: job.topic,
      metrics: { ...result.metrics, deadLetters: result.metrics.deadLetters + sink.rejected },
      seconds: (systemClock.now() - started) / 1000,
      written: sink.written,
      rejected: sink.rejected,
      deadLetterFile: deadLetterPlace,
      reason: result.reason,
    }
  } finally {
    cancel()
  }
}

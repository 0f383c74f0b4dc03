/**
 * Runs one topic's job from a chosen source into a graph store: what both `rdg-job run`
 * and `rdg-job demo` do. The source, decoder and dead-letter sink come from job-io.ts,
 * the KV graph sink from operators/, and the engine runs them.
 *
 * @example
 * const store = await openGraphStore('rocksdb:.rdg/graph')
 * const summary = await runTopic({ job, source: { kind: 'generator', count: 5_000, seed: 1 }, dataDir: '.rdg/jobs', store })
 */
import { existsSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { systemClock } from '../base/clock.ts'
import { ConfigError } from '../base/errors.ts'
import type { DeadLetterPolicyOptions } from '../engine/dead-letter-policy.ts'
import { reasonKind } from '../engine/dead-letter-policy.ts'
import { topicNameProblem } from '../graph/ids.ts'
import type { JobDefinition } from '../graph/job-definition.ts'
import { runJob } from '../graph/run-job.ts'
import type { GraphJobMetrics } from '../graph/run-job.ts'
import type { DeadLetter } from '../engine/connector.ts'
import type { KvDataStore } from '../store/kv/api.ts'
import { KvGraphSink } from '../store/graph-sink.ts'
import { operate, type LiveProgress } from '../operating/operate.ts'
import { checkWritable } from './writable.ts'
import { buildJobIo, sideInputDirFor, type JobSourceChoice } from './job-io.ts'

export interface RunTopicOptions {
  readonly job: JobDefinition
  readonly source: JobSourceChoice
  /** Root data directory; the job's checkpoints, state and dead-letter file go to `<dataDir>/<topic>`. */
  readonly dataDir: string
  readonly store: KvDataStore
  readonly stateBackend?: 'heap' | 'rocksdb'
  readonly checkpointIntervalMs?: number
  /** Restore this checkpoint id instead of the latest complete one. */
  readonly restoreFrom?: number
  readonly handleSignals?: boolean
  /** What dead letters do: continue (default, with the all-bad-input guard) or fail at the first. */
  readonly deadLetterPolicy?: DeadLetterPolicyOptions
  /** Called about once a second with live counters, and the total, progress and Kafka lag where known. */
  readonly onProgress?: (metrics: Readonly<GraphJobMetrics>, live: LiveProgress) => void
  /** Serve `/metrics`, `/healthz`, `/readyz` and the dashboard on host:port while the job runs (operating/job-server.ts). */
  readonly http?: { readonly host: string; readonly port: number; readonly onListening?: (url: string) => void }
}

export interface TopicSummary {
  readonly topic: string
  readonly metrics: GraphJobMetrics
  readonly seconds: number
  /** KV items written to the store. */
  readonly written: number
  /** Primitives the graph schema rejected (also counted in metrics.deadLetters). */
  readonly rejected: number
  /** Where dead letters went: a file or a Kafka topic. */
  readonly deadLetters: string
  /** Dead letters by the kind of their reason (the text before its first colon), commonest first; graph-schema rejects included. */
  readonly deadLettersByReason: ReadonlyArray<readonly [string, number]>
  /** Declared recent-edge indexes (`latestIndex`) this store cannot keep, `edge (direction)`: its lists predate them. */
  readonly incompleteIndexes: readonly string[]
  readonly reason: string
}

/**
 * The job's own directory under `dataDir`: `<dataDir>/<topic>`. The topic must be a
 * plain name (Kafka's topic rule) and the directory must stay under `dataDir`, which, if
 * it exists, must be a directory.
 */
export function jobDataDir(dataDir: string, topic: string): string {
  const problem = topicNameProblem(topic)
  if (problem !== null)
    throw new ConfigError(
      `topic ${JSON.stringify(topic)} ${problem}`,
      "it names the job's directory under --data-dir; rename the job's topic",
    )
  if (existsSync(dataDir) && !statSync(dataDir).isDirectory())
    throw new ConfigError(
      `--data-dir ${dataDir} is a file, not a directory`,
      'name a directory for checkpoints, state and dead letters (default .rdg/jobs)',
    )
  checkWritable(dataDir, '--data-dir')
  const dir = join(dataDir, topic)
  const rel = relative(resolve(dataDir), resolve(dir))
  if (rel === '' || rel.startsWith('..') || resolve(rel) === rel)
    throw new ConfigError(
      `the directory of topic ${JSON.stringify(topic)} would be outside --data-dir ${dataDir}`,
      "rename the job's topic",
    )
  return dir
}

export async function runTopic(options: RunTopicOptions): Promise<TopicSummary> {
  const { job } = options
  const dir = jobDataDir(options.dataDir, job.topic)
  const io = await buildJobIo(job, options.source, dir, options.restoreFrom !== undefined ? { restoreFrom: options.restoreFrom } : {})
  const rejectedByReason: Record<string, number> = {}
  const onReject = (l: DeadLetter): void => {
    const kind = reasonKind(l.reason)
    rejectedByReason[kind] = (rejectedByReason[kind] ?? 0) + 1
    io.deadLetterSink.write(l, l.eventTime ?? 0)
  }
  const sink = new KvGraphSink({ id: 'graph-store', store: options.store, schema: job.graph, onReject })
  const started = systemClock.now()
  const handle = runJob(job, {
    source: io.source,
    decode: io.decode,
    graphSinks: [sink],
    deadLetterSink: io.deadLetterSink,
    dataDir: dir,
    sideInputDir: sideInputDirFor(job),
    state: { backend: options.stateBackend ?? 'rocksdb' },
    checkpoint: {
      intervalMs: options.checkpointIntervalMs ?? 10_000,
      ...(options.restoreFrom !== undefined ? { restoreFrom: options.restoreFrom } : {}),
    },
    handleSignals: options.handleSignals ?? false,
    ...(options.deadLetterPolicy ? { deadLetterPolicy: options.deadLetterPolicy } : {}),
  })
  const choice = options.source
  const fileBytes = choice.kind === 'file' ? statSync(choice.path).size : 0
  const operation = await operate({
    job,
    handle,
    sinks: [sink],
    source: io.source,
    store: options.store,
    checkpointIntervalMs: options.checkpointIntervalMs ?? 10_000,
    ...(choice.kind === 'generator' && choice.count !== undefined ? { total: () => choice.count ?? null } : {}),
    ...(choice.kind === 'file' ? { total: () => fileBytes, done: () => Number(io.source.positions()['0'] ?? 0) } : {}),
    ...(options.http ? { http: options.http } : {}),
  })
  let cancel = () => {}
  if (options.onProgress) {
    const tick = () => {
      options.onProgress!(handle.metrics, operation.progress())
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
      deadLetters: io.deadLetters,
      deadLettersByReason: byReason(result.metrics.deadLettersByReason, rejectedByReason),
      incompleteIndexes: sink.incompleteIndexes,
      reason: result.reason,
    }
  } finally {
    cancel()
    await operation.close()
  }
}

/** The summary line for declared recent-edge indexes a store cannot keep, or null. */
export function incompleteIndexNote(incomplete: readonly string[]): string | null {
  if (incomplete.length === 0) return null
  return (
    `  note: no newest-first index for ${incomplete.join(', ')}: the store held these edges before the job declared latestIndex, ` +
    'so LATEST reads there scan whole lists; rebuild the store (replay into a new one) to index them'
  )
}

function byReason(...counts: ReadonlyArray<Readonly<Record<string, number>>>): Array<readonly [string, number]> {
  const all: Record<string, number> = {}
  for (const c of counts) for (const [k, n] of Object.entries(c)) all[k] = (all[k] ?? 0) + n
  return Object.entries(all).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
}

/** `--on-dead-letter`, `--dead-letter-check`, `--dead-letter-stop-ratio` (also RDG_* and the config file) → the engine's policy. */
export function deadLetterPolicyFromFlags(flags: {
  readonly 'on-dead-letter'?: string | undefined
  readonly 'dead-letter-check'?: number | undefined
  readonly 'dead-letter-stop-ratio'?: number | undefined
}): DeadLetterPolicyOptions {
  const mode = flags['on-dead-letter'] ?? 'continue'
  if (mode !== 'continue' && mode !== 'fail')
    throw new ConfigError(
      `--on-dead-letter ${mode} is not continue or fail`,
      'continue sends bad records to the dead letters, fail stops at the first',
    )
  const check = flags['dead-letter-check']
  if (check !== undefined && !(Number.isInteger(check) && check >= 0))
    throw new ConfigError(`--dead-letter-check must be a whole number of records >= 0, got ${String(check)}`, '0 turns the check off')
  const ratio = flags['dead-letter-stop-ratio']
  if (ratio !== undefined && !(ratio > 0 && ratio <= 1))
    throw new ConfigError(`--dead-letter-stop-ratio must be in (0, 1], got ${String(ratio)}`, 'e.g. --dead-letter-stop-ratio 0.5')
  if (mode === 'fail' && (check !== undefined || ratio !== undefined))
    throw new ConfigError(
      '--dead-letter-check and --dead-letter-stop-ratio apply to --on-dead-letter continue',
      'drop them, or use --on-dead-letter continue',
    )
  return { mode, ...(check !== undefined ? { checkAfterRecords: check } : {}), ...(ratio !== undefined ? { stopRatio: ratio } : {}) }
}

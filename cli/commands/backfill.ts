/**
 * `rdg-job backfill <topic> --iceberg <table>`: runs the topic's unchanged job over a
 * snapshot of its Iceberg export, bounded, into the graph store: rows in event-time
 * order, checkpoints (positions: snapshot, file group, row; a restart resumes on the
 * snapshot it started on), a progress bar with rows, rate and ETA, a final checkpoint
 * and a summary. Writes are last-writer-wins by event time, so newer data in the store
 * stays.
 *
 * @example
 * rdg-job backfill playback-events --iceberg wh/rdg/playback/metadata/00008-….metadata.json --from 2026-01-01 --to 2026-01-02
 * rdg-job backfill playback-events --catalog http://127.0.0.1:8181 --table rdg.playback --snapshot 3051729675574597004
 */
import { join } from 'node:path'
import cliProgress from 'cli-progress'
import type { CommandModule } from 'yargs'
import { systemClock } from '../../base/clock.ts'
import { ConfigError } from '../../base/errors.ts'
import { DeadLetterFileSink } from '../../connectors/file/dead-letter-file-sink.ts'
import { icebergJobSource } from '../../connectors/iceberg/job-source.ts'
import type { TableRef } from '../../connectors/iceberg/metadata.ts'
import { parseColumnMapping } from '../../connectors/iceberg/projection.ts'
import type { IcebergSource } from '../../connectors/iceberg/source.ts'
import type { JobDefinition } from '../../graph/job-definition.ts'
import { validateJobSemantics } from '../../graph/job-lint.ts'
import { runJob, type GraphJobMetrics } from '../../graph/run-job.ts'
import { resolveJob } from '../../jobs/registry.ts'
import type { KvDataStore } from '../../store/kv/api.ts'
import { KvGraphSink } from '../../store/graph-sink.ts'
import { sideInputDirFor } from '../job-io.ts'
import { operate } from '../../operating/operate.ts'
import { fmt } from '../output.ts'
import { incompleteIndexNote } from '../run-topic.ts'
import { OPERATING_OPTIONS, operatingFromFlags } from '../status-flags.ts'
import { DEFAULT_STORE, openGraphStore, STORE_HELP } from '../store-flag.ts'

export interface BackfillFlags {
  readonly iceberg?: string | undefined
  readonly catalog?: string | undefined
  readonly table?: string | undefined
  readonly snapshot?: string | undefined
  readonly 'as-of'?: string | undefined
  readonly from?: string | undefined
  readonly to?: string | undefined
  readonly column?: string[] | string | undefined
}

interface BackfillArgs extends BackfillFlags {
  topic: string
  'data-dir': string
  store: string
  state: 'heap' | 'rocksdb'
  'checkpoint-interval': number
  progress: boolean
  http?: string | undefined
  'log-format'?: string | undefined
  'log-level'?: string | undefined
}

/** `--from/--to/--as-of`: an ISO time or epoch ms. */
export function parseTimeFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v)
  if (!Number.isFinite(t))
    throw new ConfigError(`--${name} ${v} is not a time`, `e.g. --${name} 2026-01-01T00:00:00Z or epoch milliseconds`)
  return t
}

/** The Iceberg source of a job from the backfill flags (`--iceberg <metadata.json>` or `--catalog <uri> --table <ns.name>`). */
export function backfillSource(job: JobDefinition, flags: BackfillFlags, table = flags.iceberg): ReturnType<typeof icebergJobSource> {
  let ref: TableRef
  if (table !== undefined && flags.catalog === undefined) ref = { metadata: table }
  else if (flags.catalog !== undefined) {
    const name = flags.table ?? table
    if (!name) throw new ConfigError('--catalog needs --table <namespace>.<name>')
    ref = { catalog: flags.catalog, table: name }
  } else
    throw new ConfigError(
      'no Iceberg table given',
      'pass --iceberg <path/to/vN.metadata.json>, or --catalog <uri> --table <namespace>.<name>',
    )
  if (flags.snapshot !== undefined && flags['as-of'] !== undefined) throw new ConfigError('--snapshot and --as-of both given', 'pick one')
  if (flags.snapshot !== undefined && !/^-?\d+$/.test(flags.snapshot))
    throw new ConfigError(`--snapshot ${flags.snapshot} is not a snapshot id`, 'snapshot ids are integers, see the table metadata')
  const asOf = parseTimeFlag('as-of', flags['as-of'])
  const fromMs = parseTimeFlag('from', flags.from)
  const toMs = parseTimeFlag('to', flags.to)
  if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) throw new ConfigError('--from must be before --to')
  return icebergJobSource(job, {
    table: ref,
    snapshot: {
      ...(flags.snapshot !== undefined ? { snapshotId: String(BigInt(flags.snapshot)) } : {}),
      ...(asOf !== undefined ? { asOf } : {}),
    },
    columns: parseColumnMapping(flags.column),
    ...(fromMs !== undefined ? { fromMs } : {}),
    ...(toMs !== undefined ? { toMs } : {}),
  })
}

export interface BackfillRunOptions {
  readonly job: JobDefinition
  readonly source: IcebergSource
  readonly decode: ReturnType<typeof icebergJobSource>['decode']
  readonly store: KvDataStore
  /** The job's own data directory (checkpoints, state, dead letters). */
  readonly dir: string
  readonly stateBackend?: 'heap' | 'rocksdb'
  readonly checkpointIntervalMs?: number
  readonly handleSignals?: boolean
  readonly onProgress?: (metrics: Readonly<GraphJobMetrics>) => void
  /** Serve `/metrics`, `/healthz`, `/readyz` and the dashboard on host:port while the backfill runs. */
  readonly http?: { readonly host: string; readonly port: number; readonly onListening?: (url: string) => void }
}

export interface BackfillSummary {
  readonly metrics: GraphJobMetrics
  readonly seconds: number
  readonly written: number
  readonly reason: string
  readonly deadLetters: string
  /** Declared recent-edge indexes this store cannot keep (see TopicSummary). */
  readonly incompleteIndexes: readonly string[]
}

/** Runs the job over the table into the store, to the end (or a stop signal). */
export async function runBackfill(options: BackfillRunOptions): Promise<BackfillSummary> {
  const deadLetters = join(options.dir, 'dead-letters.jsonl')
  const dlq = new DeadLetterFileSink({ path: deadLetters })
  const sink = new KvGraphSink({ id: 'graph-store', store: options.store, schema: options.job.graph, onReject: (l) => dlq.write(l) })
  const started = systemClock.now()
  const handle = runJob(options.job, {
    source: options.source,
    decode: options.decode,
    graphSinks: [sink],
    deadLetterSink: dlq,
    dataDir: options.dir,
    sideInputDir: sideInputDirFor(options.job),
    state: { backend: options.stateBackend ?? 'rocksdb' },
    checkpoint: { intervalMs: options.checkpointIntervalMs ?? 10_000 },
    handleSignals: options.handleSignals ?? false,
  })
  const { source } = options
  const operation = await operate({
    job: options.job,
    handle,
    sinks: [sink],
    source,
    store: options.store,
    checkpointIntervalMs: options.checkpointIntervalMs ?? 10_000,
    total: () => source.progress().totalRows,
    done: () => source.progress().doneRows,
    ...(options.http ? { http: options.http } : {}),
  })
  let cancel = () => {}
  if (options.onProgress) {
    const tick = () => {
      options.onProgress!(handle.metrics)
      cancel = systemClock.schedule(500, tick)
    }
    cancel = systemClock.schedule(500, tick)
  }
  try {
    const result = await handle.done
    return {
      metrics: { ...result.metrics, deadLetters: result.metrics.deadLetters + sink.rejected },
      seconds: (systemClock.now() - started) / 1000,
      written: sink.written,
      reason: result.reason,
      deadLetters,
      incompleteIndexes: sink.incompleteIndexes,
    }
  } finally {
    cancel()
    await operation.close()
  }
}

export const backfillCommand: CommandModule<object, BackfillArgs> = {
  command: 'backfill <topic>',
  describe: "Run a topic's job over a snapshot of its Iceberg export into the graph store (bounded, resumable)",
  builder: (y) =>
    y
      .positional('topic', { type: 'string', demandOption: true, describe: 'topic or path to a job module' })
      .option('iceberg', { type: 'string', describe: 'the table: path of its *.metadata.json (or the table name with --catalog)' })
      .option('catalog', { type: 'string', describe: 'Iceberg REST catalog URI (with --table)' })
      .option('table', { type: 'string', describe: 'REST catalog table <namespace>.<name>' })
      .option('snapshot', { type: 'string', describe: 'read this snapshot id (default: the current one)' })
      .option('as-of', { type: 'string', describe: 'read the snapshot current at this time (ISO or epoch ms)' })
      .option('from', { type: 'string', describe: 'only events at or after this time (ISO or epoch ms)' })
      .option('to', { type: 'string', describe: 'only events before this time (ISO or epoch ms)' })
      .option('column', { type: 'string', array: true, describe: 'map a job field to a column of another name: <jobField>=<column>' })
      .option('data-dir', {
        type: 'string',
        default: '.rdg/jobs',
        describe: 'checkpoints, state and dead letters (under <data-dir>/<topic>.backfill)',
      })
      .option('store', { type: 'string', default: DEFAULT_STORE, describe: `graph store: ${STORE_HELP} | memory` })
      .option('state', { choices: ['heap', 'rocksdb'] as const, default: 'rocksdb' as const, describe: 'state backend' })
      .option('checkpoint-interval', { type: 'number', default: 10_000, describe: 'milliseconds between checkpoints' })
      .option('progress', { type: 'boolean', default: true, describe: 'show a progress bar (on a terminal)' })
      .options(OPERATING_OPTIONS),
  handler: async (args) => {
    const v = args['checkpoint-interval']
    if (!(Number.isFinite(v) && v > 0)) throw new ConfigError(`--checkpoint-interval must be a positive number, got ${String(v)}`)
    const job = await resolveJob(args.topic)
    validateJobSemantics(job, args.topic)
    const { source, decode } = backfillSource(job, args)
    const live = operatingFromFlags(args)
    // everything a user can get wrong (table, snapshot, fields) fails here, before any row is read
    const info = await source.prepare()
    const dir = join(args['data-dir'], `${job.topic}.backfill`)
    const store = await openGraphStore(args.store)
    const plan = info.plan
    console.log(
      `backfilling ${job.topic} from Iceberg snapshot ${info.snapshot.id} (${new Date(info.snapshot.timestampMs).toISOString()}): ` +
        `${fmt(plan.dataFiles)} data files in ${fmt(plan.groups.length)} groups, ${fmt(plan.rows)} rows, ${fmt(plan.deleteFiles)} delete files, ${fmt(plan.prunedFiles)} pruned, into ${args.store}`,
    )
    const bar =
      args.progress && process.stderr.isTTY
        ? new cliProgress.SingleBar(
            {
              format: '  {bar} {percentage}% | {value}/{total} rows | {rate} rows/s | ETA {eta_formatted}',
              stream: process.stderr,
              hideCursor: true,
            },
            cliProgress.Presets.shades_classic,
          )
        : null
    const started = systemClock.now()
    bar?.start(plan.rows, 0, { rate: '0' })
    try {
      const summary = await runBackfill({
        job,
        source,
        decode,
        store,
        dir,
        stateBackend: args.state,
        checkpointIntervalMs: args['checkpoint-interval'],
        handleSignals: true,
        ...(live.http ? { http: live.http } : {}),
        onProgress: (m) => {
          const p = source.progress()
          const rate = p.delivered / Math.max((systemClock.now() - started) / 1000, 0.001)
          if (bar) bar.update(p.doneRows, { rate: fmt(rate) })
          else if (args.progress)
            process.stderr.write(
              `  ${fmt(p.doneRows)}/${fmt(p.totalRows)} rows, ${fmt(rate)} rows/s, checkpoint ${m.lastCheckpointId ?? '-'}\n`,
            )
        },
      })
      const p = source.progress()
      bar?.update(p.totalRows)
      bar?.stop()
      const m = summary.metrics
      console.log(
        `${job.topic}: backfill ${summary.reason}${m.restoredFrom !== null ? ` (resumed from checkpoint ${m.restoredFrom})` : ''}`,
      )
      console.log(`  snapshot          ${info.snapshot.id}`)
      console.log(
        `  rows in           ${fmt(m.recordsIn)} (${fmt(m.recordsIn / Math.max(summary.seconds, 0.001))}/s), ${fmt(p.deleted)} removed by deletes`,
      )
      console.log(`  filtered out      ${fmt(m.filtered)}`)
      console.log(`  primitives        ${fmt(m.primitivesBeforeDedup)} → ${fmt(m.primitivesAfterDedup)} after dedup`)
      console.log(`  dead letters      ${fmt(m.deadLetters)}${m.deadLetters > 0 ? ` (${summary.deadLetters})` : ''}`)
      console.log(`  checkpoints       ${m.checkpoints} (last ${m.lastCheckpointId ?? '-'})`)
      const indexNote = incompleteIndexNote(summary.incompleteIndexes)
      if (indexNote) console.log(indexNote)
    } finally {
      bar?.stop()
      live.close()
      await store.close()
    }
  },
}

/**
 * `rdg-job run <topic>`: runs a topic's job, long-running or to the end of a bounded
 * source, checkpointing, resuming from the last checkpoint, into the graph store
 * (embedded RocksDB by default; `--store` names another).
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { CommandModule } from 'yargs'
import { ConfigError } from '../../base/errors.ts'
import { validateJobSemantics } from '../../graph/job-lint.ts'
import { resolveJob } from '../../jobs/registry.ts'
import { sourceFromFlags } from '../job-io.ts'
import { KAFKA_SECURITY_OPTIONS, type KafkaSecurityFlags } from '../kafka-flags.ts'
import { COMPRESSIONS } from '../../connectors/kafka/compression.ts'
import { fmt } from '../output.ts'
import { deadLetterPolicyFromFlags, incompleteIndexNote, jobDataDir, runTopic } from '../run-topic.ts'
import { OPERATING_OPTIONS, operatingFromFlags } from '../status-flags.ts'
import { DEFAULT_STORE, openGraphStore, STORE_HELP } from '../store-flag.ts'
import { DEFAULT_CHECK_AFTER_RECORDS, DEFAULT_STOP_RATIO } from '../../engine/dead-letter-policy.ts'
import { startServing, type Serving } from './serve.ts'

interface RunArgs extends KafkaSecurityFlags {
  topic: string
  source?: string | undefined
  brokers?: string | undefined
  count?: number | undefined
  rate?: number | undefined
  seed?: number | undefined
  group?: string | undefined
  'kafka-topic'?: string | undefined
  'session-timeout'?: number | undefined
  'kafka-fetch-thread'?: boolean | undefined
  'kafka-compression'?: string | undefined
  'data-dir': string
  store: string
  state: 'heap' | 'rocksdb'
  'checkpoint-interval': number
  'restore-from'?: number | undefined
  'on-dead-letter': 'continue' | 'fail'
  'dead-letter-check'?: number | undefined
  'dead-letter-stop-ratio'?: number | undefined
  serve?: string | undefined
  http?: string | undefined
  'log-format'?: string | undefined
  'log-level'?: string | undefined
  registry?: string | undefined
  'schema-dir'?: string | undefined
  start?: string | undefined
  'backfill-from'?: string | undefined
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run <topic>',
  describe: 'Run the job of a topic (or a job module path) from a source into the graph store',
  builder: (y) =>
    y
      .positional('topic', { type: 'string', demandOption: true, describe: 'topic or path to a job module' })
      .option('source', { type: 'string', describe: 'generator | file:<path.jsonl>' })
      .option('brokers', { type: 'string', describe: 'Kafka brokers host:port[,…]: consume the topic (consumer group rdg-<topic>)' })
      .option('registry', { type: 'string', describe: 'Kafka: schema registry URL for Avro values' })
      .option('schema-dir', { type: 'string', describe: 'Kafka: local schema directory <subject>/v<version>-id<id>.avsc' })
      .option('kafka-topic', { type: 'string', describe: "Kafka: the topic to read (default: the job's topic)" })
      .option('group', { type: 'string', describe: 'Kafka: consumer group (default rdg-<topic>)' })
      .option('session-timeout', {
        type: 'number',
        describe: 'Kafka: consumer session timeout in ms (default 30000); a restarted run gets its partitions back after it',
      })
      .option('kafka-fetch-thread', {
        type: 'boolean',
        describe:
          'Kafka: fetch and parse record batches in a worker thread (default true; --no-kafka-fetch-thread keeps kafkajs on the job thread)',
      })
      .option('kafka-compression', {
        type: 'string',
        describe: `Kafka: record-batch compression of the dead-letter topic: ${COMPRESSIONS.join(', ')} (default none)`,
      })
      .option('start', {
        type: 'string',
        describe: 'Kafka: earliest | latest | a time (ISO or epoch ms): where to start without a checkpoint or committed offset',
      })
      .option('backfill-from', {
        type: 'string',
        describe: "Kafka: replay this Iceberg export (its *.metadata.json) first, then continue on the topic after the export's offsets",
      })
      .option('count', { type: 'number', describe: 'generator: events to produce, then stop' })
      .option('rate', { type: 'number', describe: 'generator: events per second' })
      .option('seed', { type: 'number', describe: 'generator: seed' })
      .option('data-dir', { type: 'string', default: '.rdg/jobs', describe: 'checkpoints, state and dead letters' })
      .option('store', { type: 'string', default: DEFAULT_STORE, describe: `graph store: ${STORE_HELP} | memory` })
      .option('state', { choices: ['heap', 'rocksdb'] as const, default: 'rocksdb' as const, describe: 'state backend' })
      .option('checkpoint-interval', { type: 'number', default: 10_000, describe: 'milliseconds between checkpoints' })
      .option('on-dead-letter', {
        choices: ['continue', 'fail'] as const,
        default: 'continue' as const,
        describe: 'a bad record: continue (to the dead letters) or fail (stop the run at the first)',
      })
      .option('dead-letter-check', {
        type: 'number',
        describe: `continue: stop when the first N records (default ${DEFAULT_CHECK_AFTER_RECORDS}) are nearly all dead letters; 0 turns the check off`,
      })
      .option('dead-letter-stop-ratio', {
        type: 'number',
        describe: `continue: the share of dead letters (0..1, default ${DEFAULT_STOP_RATIO}) that stops the run at that check`,
      })
      .options(KAFKA_SECURITY_OPTIONS)
      .options(OPERATING_OPTIONS)
      .option('serve', {
        type: 'string',
        describe: "serve the graph this job writes over HTTP on host:port (rdg-job serve's API) while it runs",
      })
      .option('restore-from', { type: 'number', describe: 'restore this checkpoint id instead of the latest complete one' }),
  handler: async (args) => {
    const v = args['checkpoint-interval']
    if (!(Number.isFinite(v) && v > 0)) throw new ConfigError(`--checkpoint-interval must be a positive number, got ${String(v)}`)
    const job = await resolveJob(args.topic)
    // before any input is read: a job whose fields or types are wrong would only make dead letters
    validateJobSemantics(job, args.topic)
    const source = sourceFromFlags(args)
    const live = operatingFromFlags(args)
    const deadLetterPolicy = deadLetterPolicyFromFlags(args)
    jobDataDir(args['data-dir'], job.topic) // a bad --data-dir or topic fails here, before the store opens
    const opened = await openGraphStore(args.store)
    // --serve: the job writes through the server's read cache, so its writes invalidate what readers cached
    let serving: Serving | null = null
    if (args.serve) {
      try {
        serving = await startServing({ store: opened, schema: job.graph, listen: args.serve })
      } catch (err) {
        await opened.close()
        throw err
      }
    }
    const store = serving ? serving.server.store : opened
    if (serving) console.log(`serving the graph on ${serving.url} (GET /openapi.json)`)
    // an in-memory store starts empty every time, so the job must too: resuming from an
    // earlier run's checkpoint would skip input whose graph is gone
    // (a directory of its own per run; kept only when it holds dead letters)
    const scratch = args.store === 'memory'
    const dataDir = scratch ? join(args['data-dir'], 'memory-run') : args['data-dir']
    // one scratch directory, replaced by each memory run (the last one's dead letters stay until the next)
    if (scratch) await rm(dataDir, { recursive: true, force: true })
    let keep = !scratch
    let failed = false
    try {
      console.log(
        `running ${job.topic} from ${args.brokers ? `Kafka ${args.brokers}` : args.source} into ${args.store} (Ctrl-C stops after a final checkpoint)`,
      )
      const summary = await runTopic({
        job,
        source,
        dataDir,
        store,
        stateBackend: args.state,
        checkpointIntervalMs: args['checkpoint-interval'],
        ...(args['restore-from'] !== undefined ? { restoreFrom: args['restore-from'] } : {}),
        handleSignals: true,
        deadLetterPolicy,
        onProgress: live.onProgress,
        ...(live.http ? { http: live.http } : {}),
      })
      live.status.stop()
      const m = summary.metrics
      console.log(`${job.topic}: ${summary.reason}${m.restoredFrom !== null ? ` (resumed from checkpoint ${m.restoredFrom})` : ''}`)
      console.log(`  records in        ${fmt(m.recordsIn)} (${fmt(m.recordsIn / Math.max(summary.seconds, 0.001))}/s)`)
      console.log(`  filtered out      ${fmt(m.filtered)}`)
      console.log(`  primitives        ${fmt(m.primitivesBeforeDedup)} → ${fmt(m.primitivesAfterDedup)} after dedup`)
      console.log(`  dead letters      ${fmt(m.deadLetters)}${m.deadLetters > 0 ? ` (${summary.deadLetters})` : ''}`)
      for (const [reason, n] of summary.deadLettersByReason) console.log(`    ${fmt(n).padStart(9)}  ${reason}`)
      console.log(`  checkpoints       ${m.checkpoints} (last ${m.lastCheckpointId ?? '-'})`)
      const indexNote = incompleteIndexNote(summary.incompleteIndexes)
      if (indexNote) console.log(indexNote)
      keep ||= m.deadLetters > 0
    } catch (err) {
      failed = true
      throw err
    } finally {
      live.close()
      await serving?.close()
      // a store that cannot close after a failed run (its disk is full) must not hide why the run failed
      await store.close().catch((err: unknown) => {
        if (!failed) throw err
      })
      if (!keep) await rm(dataDir, { recursive: true, force: true })
    }
  },
}

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
import { fmt } from '../output.ts'
import { runTopic } from '../run-topic.ts'
import { DEFAULT_STORE, openGraphStore, STORE_HELP } from '../store-flag.ts'

interface RunArgs {
  topic: string
  source?: string
  brokers?: string
  count?: number
  rate?: number
  seed?: number
  group?: string
  'kafka-topic'?: string
  'session-timeout'?: number
  'data-dir': string
  store: string
  state: 'heap' | 'rocksdb'
  'checkpoint-interval': number
  'restore-from'?: number
  registry?: string
  'schema-dir'?: string
  start?: string
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
      .option('session-timeout', { type: 'number', describe: 'Kafka: consumer session timeout in ms (default 30000); a restarted run gets its partitions back after it' })
      .option('start', { type: 'string', describe: 'Kafka: earliest | latest | a time (ISO or epoch ms): where to start without a checkpoint or committed offset' })
      .option('count', { type: 'number', describe: 'generator: events to produce, then stop' })
      .option('rate', { type: 'number', describe: 'generator: events per second' })
      .option('seed', { type: 'number', describe: 'generator: seed' })
      .option('data-dir', { type: 'string', default: '.rdg/jobs', describe: 'checkpoints, state and dead letters' })
      .option('store', { type: 'string', default: DEFAULT_STORE, describe: `graph store: ${STORE_HELP} | memory` })
      .option('state', { choices: ['heap', 'rocksdb'] as const, default: 'rocksdb' as const, describe: 'state backend' })
      .option('checkpoint-interval', { type: 'number', default: 10_000, describe: 'milliseconds between checkpoints' })
      .option('restore-from', { type: 'number', describe: 'restore this checkpoint id instead of the latest complete one' }) as never,
  handler: async (args) => {
    const v = args['checkpoint-interval']
    if (!(Number.isFinite(v) && v > 0)) throw new ConfigError(`--checkpoint-interval must be a positive number, got ${String(v)}`)
    const job = await resolveJob(args.topic)
    // before any input is read: a job whose fields or types are wrong would only make dead letters
    validateJobSemantics(job, args.topic)
    const source = sourceFromFlags(args)
    const store = await openGraphStore(args.store)
    // an in-memory store starts empty every time, so the job must too: resuming from an
    // earlier run's checkpoint would skip input whose graph is gone
    // (a directory of its own per run; kept only when it holds dead letters)
    const scratch = args.store === 'memory'
    const dataDir = scratch ? join(args['data-dir'], `memory-run-${process.pid}`) : args['data-dir']
    let keep = !scratch
    try {
      console.log(`running ${job.topic} from ${args.brokers ? `Kafka ${args.brokers}` : args.source} into ${args.store} (Ctrl-C stops after a final checkpoint)`)
      const summary = await runTopic({
        job,
        source,
        dataDir,
        store,
        stateBackend: args.state,
        checkpointIntervalMs: args['checkpoint-interval'],
        ...(args['restore-from'] !== undefined ? { restoreFrom: args['restore-from'] } : {}),
        handleSignals: true,
        onProgress: (m) => process.stderr.write(`  ${fmt(m.recordsIn)} records, ${fmt(m.primitivesAfterDedup)} primitives written, ${m.deadLetters} dead letters, checkpoint ${m.lastCheckpointId ?? '-'}\n`),
      })
      const m = summary.metrics
      console.log(`${job.topic}: ${summary.reason}${m.restoredFrom !== null ? ` (resumed from checkpoint ${m.restoredFrom})` : ''}`)
      console.log(`  records in        ${fmt(m.recordsIn)} (${fmt(m.recordsIn / Math.max(summary.seconds, 0.001))}/s)`)
      console.log(`  filtered out      ${fmt(m.filtered)}`)
      console.log(`  primitives        ${fmt(m.primitivesBeforeDedup)} → ${fmt(m.primitivesAfterDedup)} after dedup`)
      console.log(`  dead letters      ${fmt(m.deadLetters)}${m.deadLetters > 0 ? ` (${summary.deadLetters})` : ''}`)
      console.log(`  checkpoints       ${m.checkpoints} (last ${m.lastCheckpointId ?? '-'})`)
      keep ||= m.deadLetters > 0
    } finally {
      await store.close()
      if (!keep) await rm(dataDir, { recursive: true, force: true })
    }
  },
}

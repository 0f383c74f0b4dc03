/**
 * `rdg-job run <topic>`: runs a topic's job, long-running or to the end of a bounded
 * source, checkpointing, resuming from the last checkpoint, into the embedded graph store.
 */
import type { CommandModule } from 'yargs'
import { ConfigError } from '../../engine/errors.ts'
import { resolveJob } from '../../jobs/registry.ts'
import { RocksDbKvStore } from '../../kv/rocksdb-store.ts'
import { fmt } from '../output.ts'
import { parseSource, runTopic, type SourceChoice } from '../run-topic.ts'

interface RunArgs {
  topic: string
  source?: string
  brokers?: string
  count?: number
  rate?: number
  seed?: number
  'data-dir': string
  store: string
  state: 'heap' | 'rocksdb'
  'checkpoint-interval': number
  'restore-from'?: number
  registry?: string
  'schema-dir'?: string
  start?: 'earliest' | 'latest'
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
      .option('start', { choices: ['earliest', 'latest'] as const, describe: 'Kafka: where to start without a checkpoint or committed offset' })
      .option('count', { type: 'number', describe: 'generator: events to produce, then stop' })
      .option('rate', { type: 'number', describe: 'generator: events per second' })
      .option('seed', { type: 'number', describe: 'generator: seed' })
      .option('data-dir', { type: 'string', default: '.rdg/jobs', describe: 'checkpoints, state and dead letters' })
      .option('store', { type: 'string', default: '.rdg/graph', describe: 'embedded graph store directory' })
      .option('state', { choices: ['heap', 'rocksdb'] as const, default: 'rocksdb' as const, describe: 'state backend' })
      .option('checkpoint-interval', { type: 'number', default: 10_000, describe: 'milliseconds between checkpoints' })
      .option('restore-from', { type: 'number', describe: 'restore this checkpoint id instead of the latest complete one' }) as never,
  handler: async (args) => {
    if (args.brokers !== undefined && args.source !== undefined) throw new ConfigError('give either --brokers (Kafka) or --source, not both')
    if (args.brokers !== undefined && !/^[^,:\s]+:\d+(,[^,:\s]+:\d+)*$/.test(args.brokers)) throw new ConfigError(`--brokers "${args.brokers}" is not host:port[,host:port…]`)
    for (const n of ['count', 'rate', 'checkpoint-interval'] as const) {
      const v = args[n]
      if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new ConfigError(`--${n} must be a positive number, got ${String(v)}`)
    }
    const job = await resolveJob(args.topic)
    const source: SourceChoice = args.brokers !== undefined
      ? { kind: 'kafka', brokers: args.brokers, ...(args.registry ? { registryUrl: args.registry } : {}), ...(args['schema-dir'] ? { schemaDir: args['schema-dir'] } : {}), ...(args.start ? { start: args.start } : {}) }
      : parseSource(args.source, { ...(args.count !== undefined ? { count: args.count } : {}), ...(args.rate !== undefined ? { rate: args.rate } : {}), ...(args.seed !== undefined ? { seed: args.seed } : {}) })
    const store = await RocksDbKvStore.open(args.store)
    try {
      console.log(`running ${job.topic} from ${args.brokers ? `Kafka ${args.brokers}` : args.source} (Ctrl-C stops after a final checkpoint)`)
      const summary = await runTopic({
        job,
        source,
        dataDir: args['data-dir'],
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
      console.log(`  dead letters      ${fmt(m.deadLetters)}${m.deadLetters > 0 ? ` (${summary.deadLetterFile})` : ''}`)
      console.log(`  checkpoints       ${m.checkpoints} (last ${m.lastCheckpointId ?? '-'})`)
    } finally {
      await store.close()
    }
  },
}

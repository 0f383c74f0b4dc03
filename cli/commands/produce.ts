/**
 * `rdg-job produce <topic>`: writes the seeded generator's events for a built-in topic to
 * Kafka in the topic's wire format (Avro framed with a registry id, the schema registered
 * under `<topic>-value` in `--registry` or `--schema-dir`), keyed by account, at `--rate`
 * events per second. A missing topic is an error unless `--partitions N` asks to create
 * it. Ctrl-C stops after the current chunk, with everything sent so far acknowledged.
 *
 * @example
 * rdg-job produce playback-events --brokers 127.0.0.1:9092 --schema-dir schemas --count 50000 --rate 5000 --partitions 3
 */
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { CommandModule } from 'yargs'
import { ConfigError } from '../../base/errors.ts'
import { TOPICS, type Topic } from '../../connectors/generator/journeys.ts'
import { produceEvents } from '../../connectors/kafka/event-producer.ts'
import { COMPRESSIONS, parseCompression } from '../../connectors/kafka/compression.ts'
import { builtInJobs } from '../../jobs/registry.ts'
import { KAFKA_SECURITY_OPTIONS, kafkaSecurityFromFlags, type KafkaSecurityFlags } from '../kafka-flags.ts'
import { checkLogFlags, createLogger, routeClientLogs } from '../logging.ts'
import { fmt } from '../output.ts'
import { OPERATING_OPTIONS } from '../status-flags.ts'

/** The catalogue the generator draws titles and games from, wherever the command runs. */
const CATALOG_DIR = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'data', 'catalog')

export interface ProduceArgs extends KafkaSecurityFlags {
  topic: string
  brokers: string
  count: number
  rate?: number | undefined
  seed: number
  accounts?: number | undefined
  'malformed-rate'?: number | undefined
  registry?: string | undefined
  'schema-dir'?: string | undefined
  partitions?: number | undefined
  'kafka-topic'?: string | undefined
  compression?: string | undefined
  'log-format'?: string | undefined
  'log-level'?: string | undefined
}

export const produceCommand: CommandModule<object, ProduceArgs> = {
  command: 'produce <topic>',
  describe: "Write generator events to a Kafka topic in the topic's wire format",
  builder: (y) =>
    y
      .positional('topic', { type: 'string', demandOption: true, describe: `topic to write (${TOPICS.join(', ')})` })
      .option('brokers', {
        type: 'string',
        demandOption: 'pass --brokers host:port[,…] (or RDG_BROKERS)',
        describe: 'Kafka brokers host:port[,…]',
      })
      .option('count', { type: 'number', default: 10_000, describe: 'events to write' })
      .option('rate', { type: 'number', describe: 'events per second (default: as fast as the broker takes them)' })
      .option('seed', { type: 'number', default: 1, describe: 'generator seed (same seed, same events)' })
      .option('accounts', { type: 'number', describe: 'generator: member accounts (default 200)' })
      .option('malformed-rate', { type: 'number', describe: 'share of malformed events, for the dead-letter path (default 0.005)' })
      .option('registry', { type: 'string', describe: 'schema registry URL the Avro schema is registered in' })
      .option('schema-dir', { type: 'string', describe: 'or a local schema directory <subject>/v<version>-id<id>.avsc' })
      .option('partitions', { type: 'number', describe: 'create the topic with N partitions if it does not exist' })
      .options(KAFKA_SECURITY_OPTIONS)
      .option('kafka-topic', { type: 'string', describe: "the Kafka topic to write (default: the job's topic)" })
      .option('compression', { type: 'string', describe: `record-batch compression: ${COMPRESSIONS.join(', ')} (default none)` })
      .option('log-format', OPERATING_OPTIONS['log-format'])
      .option('log-level', OPERATING_OPTIONS['log-level']),
  handler: async (args) => {
    const job = builtInJobs.get(args.topic)
    if (!job || !TOPICS.includes(args.topic as Topic))
      throw new ConfigError(`the generator has no events for topic "${args.topic}"`, `it writes ${TOPICS.join(', ')}`)
    for (const name of ['count', 'rate', 'accounts', 'partitions'] as const) {
      const v = args[name]
      if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new ConfigError(`--${name} must be a positive number, got ${String(v)}`)
    }
    const malformedRate = args['malformed-rate']
    if (malformedRate !== undefined && !(malformedRate >= 0 && malformedRate <= 1))
      throw new ConfigError(`--malformed-rate must be between 0 and 1, got ${malformedRate}`)
    const security = kafkaSecurityFromFlags(args)

    const compression = parseCompression(args.compression)

    // kafkajs' own lines (a retried request, a broker away) as log lines, not raw JSON
    const { format, level } = checkLogFlags(args['log-format'], args['log-level'])
    const log = createLogger({ format, level })
    const unroute = routeClientLogs(log)
    const stop = new AbortController()
    const onSigint = (): void => stop.abort()
    process.once('SIGINT', onSigint)
    try {
      process.stderr.write(
        `producing ${fmt(args.count)} ${args.topic} events to ${args['kafka-topic'] ?? args.topic} on ${args.brokers}${args.rate ? ` at ${fmt(args.rate)}/s` : ''} (Ctrl-C stops)\n`,
      )
      const summary = await produceEvents({
        brokers: args.brokers,
        security,
        topic: args['kafka-topic'] ?? args.topic,
        events: args.topic as Topic,
        format: job.value,
        count: Math.floor(args.count),
        seed: args.seed,
        catalogDir: CATALOG_DIR,
        signal: stop.signal,
        onProgress: (p) => process.stderr.write(`  ${fmt(p.acknowledged)} of ${fmt(args.count)} acknowledged\n`),
        ...(args.rate !== undefined ? { rate: args.rate } : {}),
        ...(args.accounts !== undefined ? { accounts: Math.floor(args.accounts) } : {}),
        ...(malformedRate !== undefined ? { malformedRate } : {}),
        ...(args.registry !== undefined ? { registryUrl: args.registry } : {}),
        ...(args['schema-dir'] !== undefined ? { schemaDir: args['schema-dir'] } : {}),
        ...(args.partitions !== undefined ? { createPartitions: Math.floor(args.partitions) } : {}),
        ...(compression !== 'none' ? { compression } : {}),
      })
      const perSecond = summary.acknowledged / Math.max(summary.seconds, 0.001)
      console.log(
        `${summary.topic}: ${fmt(summary.acknowledged)} events written (${fmt(summary.malformed)} malformed on purpose) in ${summary.seconds.toFixed(2)} s, ${fmt(perSecond)}/s` +
          `${summary.schemaId !== null ? `, schema id ${summary.schemaId}` : ''}${summary.stopped ? ' (stopped early)' : ''}`,
      )
    } finally {
      unroute()
      log.flush()
      process.off('SIGINT', onSigint)
    }
  },
}

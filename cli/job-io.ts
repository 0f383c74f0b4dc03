/**
 * What a job reads from and where its dead letters go, built from the CLI's source
 * choice: the built-in generator (Avro-encoded when the job's values are Avro), a
 * JSON-lines file, or a Kafka topic through the Kafka connector (`kafkaJobIo`: consumer
 * group, Avro via a registry or a schema directory, dead letters to `<topic>.dlq`).
 * Also parses the flags that pick one: `--source generator|file:<path>` or `--brokers`.
 *
 * @example
 * const choice = sourceFromFlags({ source: 'generator', count: 10_000 })
 * const io = await buildJobIo(job, choice, '.rdg/jobs/playback-events')
 * runJob(job, { ...io, graphSinks: [sink], dataDir: '.rdg/jobs/playback-events', sideInputDir: sideInputDirFor(job) })
 */
import { existsSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DeadLetter, Sink, Source } from '../engine/connector.ts'
import { ConfigError } from '../base/errors.ts'
import { readFieldsOf, type JobDefinition } from '../graph/job-definition.ts'
import type { Decoder } from '../engine/connector.ts'
import { createDecoder, type RawEncoding } from '../connectors/avro/decoder.ts'
import { DeadLetterFileSink } from '../connectors/file/dead-letter-file-sink.ts'
import { JsonLinesFileSource } from '../connectors/file/jsonl-source.ts'
import { GeneratorSource } from '../connectors/generator/generator-source.ts'
import { HybridSource, hybridDecoder } from '../connectors/iceberg/hybrid-source.ts'
import { icebergJobSource } from '../connectors/iceberg/job-source.ts'
import { TOPICS, type Topic } from '../connectors/generator/journeys.ts'
import { kafkaJobIo } from '../connectors/kafka/job-io.ts'
import { PLAINTEXT, type KafkaSecurity } from '../connectors/kafka/security.ts'
import { parseCompression, type Compression } from '../connectors/kafka/compression.ts'
import type { KafkaStart } from '../connectors/kafka/source.ts'
import { builtInJobs } from '../jobs/registry.ts'
import { anyKafkaSecurityFlag, kafkaSecurityFromFlags, type KafkaSecurityFlags } from './kafka-flags.ts'

/** The project root: built-in jobs name their catalogue files relative to it. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

export type JobSourceChoice =
  | { readonly kind: 'generator'; readonly count?: number; readonly rate?: number; readonly seed?: number; readonly accounts?: number }
  | { readonly kind: 'file'; readonly path: string }
  | {
      readonly kind: 'kafka'
      readonly brokers: string
      /** The Kafka topic to read; default the job's topic. */
      readonly topic?: string
      readonly groupId?: string
      /** Consumer group session timeout: how soon a restarted process gets its partitions back. */
      readonly sessionTimeoutMs?: number
      readonly start?: KafkaStart
      /** Avro writer schemas: a Confluent-compatible registry, or a schema directory. */
      readonly registryUrl?: string
      readonly schemaDir?: string
      /** An Iceberg export (metadata.json) to replay first; the topic then continues after its rows. */
      readonly backfillFrom?: string
      /** TLS and SASL (`--kafka-*` flags, cli/kafka-flags.ts). */
      readonly security?: KafkaSecurity | undefined
      /** False: kafkajs on the job thread instead of its fetch worker (`--no-kafka-fetch-thread`). */
      readonly fetchThread?: boolean
      /** Record-batch compression of the dead-letter topic (`--kafka-compression`). */
      readonly compression?: Compression
    }

/** The sources there are, for messages. */
export const SOURCE_HELP = '--source generator, --source file:<path.jsonl>, or --brokers <host:port> for Kafka'

/** The flags of `rdg-job run` that choose the source. */
export interface SourceFlags extends KafkaSecurityFlags {
  readonly source?: string | undefined
  readonly brokers?: string | undefined
  readonly 'kafka-topic'?: string | undefined
  readonly group?: string | undefined
  readonly 'session-timeout'?: number | undefined
  readonly 'kafka-fetch-thread'?: boolean | undefined
  readonly 'kafka-compression'?: string | undefined
  readonly start?: string | undefined
  readonly registry?: string | undefined
  readonly 'schema-dir'?: string | undefined
  readonly count?: number | undefined
  readonly rate?: number | undefined
  readonly seed?: number | undefined
  readonly 'backfill-from'?: string | undefined
}

/** Parses `--start earliest|latest|<ISO time or epoch ms>`. */
export function parseKafkaStart(flag: string): KafkaStart {
  if (flag === 'earliest' || flag === 'latest') return flag
  const timestamp = /^\d+$/.test(flag) ? Number(flag) : Date.parse(flag)
  if (!Number.isFinite(timestamp))
    throw new ConfigError(`--start ${flag} is not earliest, latest or a time`, 'e.g. --start earliest or --start 2026-01-01T00:00:00Z')
  return { timestamp }
}

/** Exactly one of `--source` and `--brokers`; Kafka-only flags only with `--brokers`; counts positive. */
export function sourceFromFlags(flags: SourceFlags): JobSourceChoice {
  for (const name of ['count', 'rate', 'session-timeout'] as const) {
    const v = flags[name]
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new ConfigError(`--${name} must be a positive number, got ${String(v)}`)
  }
  if (flags.brokers !== undefined) {
    if (flags.source !== undefined)
      throw new ConfigError(
        '--source and --brokers both given',
        'pick one: --brokers reads the Kafka topic, --source generator|file:<path> reads locally',
      )
    if (!/^[^,:\s]+:\d+(,[^,:\s]+:\d+)*$/.test(flags.brokers))
      throw new ConfigError(`--brokers "${flags.brokers}" is not host:port[,host:port…]`, 'e.g. --brokers 127.0.0.1:9092')
    const security = kafkaSecurityFromFlags(flags)
    return {
      kind: 'kafka',
      brokers: flags.brokers,
      ...(security !== PLAINTEXT ? { security } : {}),
      ...(flags['kafka-topic'] !== undefined ? { topic: flags['kafka-topic'] } : {}),
      ...(flags.group !== undefined ? { groupId: flags.group } : {}),
      ...(flags['session-timeout'] !== undefined ? { sessionTimeoutMs: flags['session-timeout'] } : {}),
      ...(flags.start !== undefined ? { start: parseKafkaStart(flags.start) } : {}),
      ...(flags.registry !== undefined ? { registryUrl: flags.registry } : {}),
      ...(flags['schema-dir'] !== undefined ? { schemaDir: flags['schema-dir'] } : {}),
      ...(flags['backfill-from'] !== undefined ? { backfillFrom: flags['backfill-from'] } : {}),
      ...(flags['kafka-fetch-thread'] === false ? { fetchThread: false } : {}),
      ...(flags['kafka-compression'] !== undefined ? { compression: parseCompression(flags['kafka-compression']) } : {}),
    }
  }
  for (const kafkaOnly of [
    'kafka-topic',
    'group',
    'session-timeout',
    'kafka-fetch-thread',
    'kafka-compression',
    'start',
    'registry',
    'schema-dir',
    'backfill-from',
  ] as const) {
    if (flags[kafkaOnly] !== undefined) throw new ConfigError(`--${kafkaOnly} only applies to Kafka`, 'add --brokers host:port, or drop it')
  }
  const securityFlag = anyKafkaSecurityFlag(flags)
  // named by flag, never by value: the password options are secrets
  if (securityFlag !== undefined) throw new ConfigError(`--${securityFlag} only applies to Kafka`, 'add --brokers host:port, or drop it')
  const flag = flags.source
  if (!flag) throw new ConfigError('no source given', `pass ${SOURCE_HELP}`)
  if (flag === 'generator') {
    return {
      kind: 'generator',
      ...(flags.count !== undefined ? { count: flags.count } : {}),
      ...(flags.rate !== undefined ? { rate: flags.rate } : {}),
      ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
    }
  }
  if (flag.startsWith('file:') && flag.length > 5) {
    const path = flag.slice(5)
    if (existsSync(path) && !statSync(path).isFile()) throw notAFile(path)
    return { kind: 'file', path }
  }
  throw new ConfigError(`unknown source "${flag}"`, `use ${SOURCE_HELP}`)
}

const notAFile = (path: string): ConfigError =>
  new ConfigError(
    `input ${path} is a directory, not a JSON-lines file`,
    'name a file after --source file:, e.g. --source file:examples/login-events.jsonl',
  )

/** Built-in jobs read their catalogue from the project, wherever the command runs; user jobs from `.`. */
export function sideInputDirFor(job: JobDefinition): string {
  return builtInJobs.get(job.topic) === job ? PACKAGE_ROOT : process.cwd()
}

export interface JobIo {
  readonly source: Source<unknown>
  readonly decode: Decoder<unknown>
  readonly deadLetterSink: Sink<DeadLetter>
  /** Where dead letters go, for summaries: a file path or a Kafka topic. */
  readonly deadLetters: string
}

/** Builds the source, decoder and dead-letter sink; `dir` is the job's data directory (the dead-letter file goes there). */
export async function buildJobIo(
  job: JobDefinition,
  choice: JobSourceChoice,
  dir: string,
  options: { readonly restoreFrom?: number } = {},
): Promise<JobIo> {
  const deadLetterFile = join(dir, 'dead-letters.jsonl')
  // checkpoint-aware: a restart cuts the file back to its last checkpoint, so each letter is in it once
  const fileSink = () =>
    new DeadLetterFileSink({
      path: deadLetterFile,
      checkpointDir: join(dir, 'checkpoints'),
      ...(options.restoreFrom !== undefined ? { restoreFrom: options.restoreFrom } : {}),
    })
  if (choice.kind === 'kafka') {
    if (choice.schemaDir !== undefined && !existsSync(choice.schemaDir)) {
      // on first contact nothing has written the writer schemas yet: say what does
      throw new ConfigError(
        `schema directory ${choice.schemaDir} does not exist`,
        `the producer writes it: rdg-job produce ${job.topic} --brokers ${choice.brokers} --schema-dir ${choice.schemaDir} registers the topic's schema there ` +
          '(layout <dir>/<subject>/v<version>-id<id>.avsc); or read schemas from --registry <url>',
      )
    }
    const io = await kafkaJobIo({
      job,
      brokers: choice.brokers,
      ...(choice.topic !== undefined ? { topic: choice.topic } : {}),
      ...(choice.groupId !== undefined ? { groupId: choice.groupId } : {}),
      ...(choice.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: choice.sessionTimeoutMs } : {}),
      ...(choice.start !== undefined ? { start: choice.start } : {}),
      ...(choice.registryUrl !== undefined ? { registryUrl: choice.registryUrl } : {}),
      ...(choice.schemaDir !== undefined ? { schemaDir: choice.schemaDir } : {}),
      ...(choice.security !== undefined ? { security: choice.security } : {}),
      ...(choice.fetchThread !== undefined ? { fetchThread: choice.fetchThread } : {}),
      ...(choice.compression !== undefined && choice.compression !== 'none' ? { compression: choice.compression } : {}),
    })
    const deadLetters = `Kafka topic ${choice.topic ?? job.topic}.dlq`
    if (choice.backfillFrom !== undefined) {
      // the table first, then the topic after its rows; a wrong table or field fails here, before anything runs
      const backfill = icebergJobSource(job, { table: { metadata: choice.backfillFrom } })
      await backfill.source.prepare()
      const source = new HybridSource(backfill.source, io.source)
      return { source, decode: hybridDecoder(io.decode), deadLetterSink: io.deadLetterSink, deadLetters }
    }
    return { source: io.source, decode: io.decode, deadLetterSink: io.deadLetterSink, deadLetters }
  }
  if (choice.kind === 'file') {
    // checked here, before anything starts, so the error is the only line printed
    if (!existsSync(choice.path)) throw new ConfigError(`input file ${choice.path} does not exist`, 'check the path after --source file:')
    if (!statSync(choice.path).isFile()) throw notAFile(choice.path)
    return {
      source: new JsonLinesFileSource({ path: choice.path }),
      decode: createDecoder(job.value, 'json'),
      deadLetterSink: fileSink(),
      deadLetters: deadLetterFile,
    }
  }
  if (!TOPICS.includes(job.topic as Topic))
    throw new ConfigError(
      `the generator has no events for topic "${job.topic}"`,
      `it generates ${TOPICS.join(', ')}; use --source file:<path> or --brokers for other topics`,
    )
  const encoding: RawEncoding = job.value.format === 'avro' ? 'avro' : 'json'
  const source = new GeneratorSource({
    topic: job.topic as Topic,
    encoding,
    catalogDir: join(PACKAGE_ROOT, 'data', 'catalog'),
    ...(job.value.format === 'avro' ? { schema: job.value.schema } : {}),
    ...(choice.count !== undefined ? { count: choice.count } : {}),
    ...(choice.rate !== undefined ? { rate: choice.rate } : {}),
    ...(choice.seed !== undefined ? { seed: choice.seed } : {}),
    ...(choice.accounts !== undefined ? { accounts: choice.accounts } : {}),
  })
  return { source, decode: createDecoder(job.value, encoding, readFieldsOf(job)), deadLetterSink: fileSink(), deadLetters: deadLetterFile }
}

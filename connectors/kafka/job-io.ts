/**
 * Everything a job needs to run from Kafka, built in one call for the CLI (`rdg-job run
 * <topic> --brokers …`), tests and benchmarks: the Kafka source of the job's topic in the
 * consumer group `rdg-<topic>`, the value decoder (Avro via registry or schema directory,
 * or JSON) wired into the source's batch look-ahead, the dead-letter topic sink
 * (`<topic>.dlq`), and optionally the graph publisher (one topic per node/edge type).
 *
 * @example
 * const io = await kafkaJobIo({ job, brokers: '127.0.0.1:9092', schemaDir: 'schemas' })
 * const handle = runJob(job, { ...io, graphSinks: [kvSink, ...io.graphSinks], dataDir: '.rdg/jobs/playback-events' })
 */
import type { DeadLetter, Sink } from '../../engine/connector.ts'
import { ConfigError } from '../../base/errors.ts'
import { readFieldsOf, type JobDefinition } from '../../graph/job-definition.ts'
import type { GraphPrimitive } from '../../graph/model.ts'
import { openSchemaSource, type SchemaSource } from '../avro/schema-source.ts'
import { createValueDecoder, type ValueDecoder } from '../avro/value-decoder.ts'
import type { KafkaLogLevel } from './client.ts'
import type { KafkaSecurity } from './security.ts'
import { createKafkaDeadLetterSink } from './dead-letter-sink.ts'
import { createKafkaGraphSink } from './graph-sink.ts'
import { createKafkaSource, type KafkaSource, type KafkaStart } from './source.ts'
import { createThreadedKafkaSource, type ThreadedKafkaSource } from './threaded-source.ts'
import type { Compression } from './compression.ts'

export interface KafkaJobIoOptions<E> {
  readonly job: JobDefinition<E, any, any, any>
  /** `host:port[,host:port…]`. */
  readonly brokers: string | readonly string[]
  /** Consumer group; default `rdg-<topic>`. */
  readonly groupId?: string
  /** Input topic; default the job's topic. */
  readonly topic?: string
  readonly start?: KafkaStart
  /** Schema registry for Avro values (or `schemaDir`). */
  readonly registryUrl?: string
  readonly schemaDir?: string
  /** Dead letters: the Kafka topic `<topic>.dlq` (created if missing) unless another sink is given. */
  readonly deadLetterSink?: Sink<DeadLetter>
  readonly deadLetterTopic?: string
  /** Also publish nodes and edges to per-type topics `<prefix>.node.<type>` / `<prefix>.edge.<type>`. */
  readonly publishGraph?: false | { readonly topicPrefix?: string; readonly partitions?: number }
  readonly maxBufferedRecords?: number
  /**
   * Consumer group session timeout (default 30 000 ms). A restarted process rejoins the
   * group only after the broker has given up on its killed predecessor, up to this long.
   */
  readonly sessionTimeoutMs?: number
  readonly logLevel?: KafkaLogLevel
  /** TLS and SASL for the source, the dead-letter topic and the graph publisher alike. */
  readonly security?: KafkaSecurity | undefined
  /** Record-batch compression of what the job writes to Kafka (dead letters, graph topics); default none. */
  readonly compression?: Compression
  /** Fetch and parse in a worker thread (threaded-source.ts); default true. False keeps kafkajs on the job thread. */
  readonly fetchThread?: boolean
}

export interface KafkaJobIo<E> {
  readonly source: KafkaSource | ThreadedKafkaSource
  readonly decode: ValueDecoder<E>
  readonly deadLetterSink: Sink<DeadLetter>
  /** The graph publisher when asked for; add the KV sink next to it. */
  readonly graphSinks: Sink<GraphPrimitive>[]
}

export async function kafkaJobIo<E>(options: KafkaJobIoOptions<E>): Promise<KafkaJobIo<E>> {
  const { job } = options
  const topic = options.topic ?? job.topic
  const needsSchemas = job.value.format === 'avro' || options.publishGraph
  const schemas: SchemaSource | undefined =
    needsSchemas && (options.registryUrl || options.schemaDir)
      ? await openSchemaSource(options, { create: !!options.publishGraph })
      : undefined
  const decode = await createValueDecoder<E>(job.value, { ...(schemas ? { schemas } : {}), fields: readFieldsOf(job) })
  const logLevel = options.logLevel ?? 'error'
  const { security } = options
  const source = (options.fetchThread === false ? createKafkaSource : createThreadedKafkaSource)({
    brokers: options.brokers,
    topic,
    groupId: options.groupId ?? `rdg-${job.topic}`,
    prepareBatch: decode.prepare,
    logLevel,
    security,
    ...(options.start !== undefined ? { start: options.start } : {}),
    ...(options.maxBufferedRecords !== undefined ? { maxBufferedRecords: options.maxBufferedRecords } : {}),
    ...(options.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: options.sessionTimeoutMs } : {}),
  })
  const deadLetterSink =
    options.deadLetterSink ??
    createKafkaDeadLetterSink({
      brokers: options.brokers,
      sourceTopic: topic,
      createTopic: true,
      logLevel,
      security,
      ...(options.compression ? { compression: options.compression } : {}),
      ...(options.deadLetterTopic ? { topic: options.deadLetterTopic } : {}),
    })
  const graphSinks: Sink<GraphPrimitive>[] = []
  if (options.publishGraph) {
    if (!schemas)
      throw new ConfigError(
        'publishing the graph to Kafka needs a schema registry or a schema directory',
        'pass --registry <url> or --schema-dir <dir>',
      )
    graphSinks.push(
      createKafkaGraphSink({
        brokers: options.brokers,
        graph: job.graph,
        schemas,
        topicPrefix: options.publishGraph.topicPrefix ?? 'rdg',
        createTopics: { partitions: options.publishGraph.partitions ?? 1 },
        logLevel,
        security,
        ...(options.compression ? { compression: options.compression } : {}),
        onReject: (letter) => deadLetterSink.write(letter, letter.eventTime ?? 0),
      }),
    )
  }
  return { source, decode, deadLetterSink, graphSinks }
}

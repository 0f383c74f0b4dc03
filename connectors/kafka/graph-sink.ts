/**
 * Publishes deduplicated nodes and edges to Kafka, as the RDG pipeline does before
 * storage: one topic per node type (`<prefix>.node.<type>`) and per edge type
 * (`<prefix>.edge.<type>`), Avro in the Confluent wire format (schemas registered on
 * open under `<topic>-value`), keyed by the primitive's identity, through an idempotent
 * producer with batched sends, bounded buffering (backpressure), retries with backoff,
 * and `flush` at every checkpoint. Primitives the graph schema does not allow are
 * rejected to `onReject` (the dead letters), like the KV sink does.
 *
 * @example
 * const sink = createKafkaGraphSink({ brokers: '127.0.0.1:9092', graph: job.graph, schemaDir: 'schemas', createTopics: { partitions: 3 } })
 * runJob(job, { ..., graphSinks: [kvSink, sink] })
 */
import avro from 'avsc'
import type { Admin } from 'kafkajs'
import type { Clock } from '../../base/clock.ts'
import type { DeadLetter, Sink, SinkContext } from '../../engine/connector.ts'
import { operatorId, type OperatorId } from '../../base/ids.ts'
import { identityOf, type GraphPrimitive } from '../../graph/model.ts'
import type { GraphSchema } from '../../graph/schema.ts'
import { validatePrimitive } from '../../graph/validate.ts'
import { openSchemaSource, valueSubject, type SchemaSource } from '../avro/schema-source.ts'
import { frame } from '../avro/wire-format.ts'
import { BatchingProducer } from './batching-producer.ts'
import { connectAdmin, createKafkaClient, ensureTopics, parseBrokers, type KafkaLogLevel } from './client.ts'
import type { KafkaSecurity } from './security.ts'
import type { Compression } from './compression.ts'
import { graphEdgeSchema, graphNodeSchema, graphTopics } from './graph-records.ts'

export interface KafkaGraphSinkOptions {
  readonly id?: string
  readonly brokers: string | readonly string[]
  /** The job's graph schema: which node and edge topics exist. */
  readonly graph: GraphSchema
  /** Topic name prefix. Default 'rdg'. */
  readonly topicPrefix?: string
  /** Create missing topics on open (else a missing topic is a ConfigError). */
  readonly createTopics?: false | { readonly partitions?: number; readonly replicationFactor?: number }
  readonly registryUrl?: string
  readonly schemaDir?: string
  readonly schemas?: SchemaSource
  readonly onReject?: (letter: DeadLetter) => void
  readonly clientId?: string
  /** Buffered messages above which the sink asks for backpressure. Default 50 000. */
  readonly maxBufferedRecords?: number
  /** Messages per send. Default 5 000. */
  readonly batchRecords?: number
  readonly retry?: { readonly initialMs: number; readonly maxMs: number }
  readonly logLevel?: KafkaLogLevel
  /** TLS and SASL (security.ts); default plaintext. */
  readonly security?: KafkaSecurity | undefined
  /** Record-batch compression of the graph topics; default none. */
  readonly compression?: Compression
  readonly warn?: (message: string) => void
  readonly clock?: Clock
}

export function createKafkaGraphSink(options: KafkaGraphSinkOptions): KafkaGraphSink {
  return new KafkaGraphSink(options)
}

interface Route {
  readonly topic: string
  readonly schemaId: number
}

export class KafkaGraphSink implements Sink<GraphPrimitive> {
  readonly id: OperatorId
  private out: BatchingProducer | null = null
  private admin: Admin | null = null
  private readonly nodeType = avro.Type.forSchema(graphNodeSchema as avro.Schema)
  private readonly edgeType = avro.Type.forSchema(graphEdgeSchema as avro.Schema)
  private readonly nodeRoutes = new Map<string, Route>()
  private readonly edgeRoutes = new Map<string, Route>()
  /** Primitives rejected by the graph schema. */
  rejected = 0

  constructor(private readonly options: KafkaGraphSinkOptions) {
    this.id = operatorId(options.id ?? 'kafka-graph')
    parseBrokers(options.brokers)
  }

  /** Messages acknowledged by Kafka so far. */
  get written(): number {
    return this.out?.sent ?? 0
  }

  get backpressured(): boolean {
    return this.out?.backpressured ?? false
  }

  async open(ctx: SinkContext): Promise<void> {
    const o = this.options
    const client = {
      brokers: o.brokers,
      clientId: o.clientId ?? `rdg-${ctx.jobName}-graph`,
      logLevel: o.logLevel ?? 'error',
      security: o.security,
    } as const
    const kafka = createKafkaClient(client)
    this.admin = await connectAdmin(kafka, client)
    const topics = graphTopics(o.topicPrefix ?? 'rdg', o.graph)
    await ensureTopics(this.admin, [...topics.nodes.values(), ...topics.edges.values()], parseBrokers(o.brokers), o.createTopics ?? false)
    const schemas = o.schemas ?? (await openSchemaSource(o, { create: true }))
    for (const [type, topic] of topics.nodes)
      this.nodeRoutes.set(type, { topic, schemaId: await schemas.register(valueSubject(topic), graphNodeSchema) })
    for (const [type, topic] of topics.edges)
      this.edgeRoutes.set(type, { topic, schemaId: await schemas.register(valueSubject(topic), graphEdgeSchema) })
    this.out = new BatchingProducer({
      kafka,
      clock: o.clock ?? ctx.clock,
      name: 'Kafka graph sink',
      ...(o.maxBufferedRecords !== undefined ? { maxBuffered: o.maxBufferedRecords } : {}),
      ...(o.batchRecords !== undefined ? { batchRecords: o.batchRecords } : {}),
      ...(o.retry ? { retry: o.retry } : {}),
      ...(o.compression ? { compression: o.compression } : {}),
      warn: o.warn ?? ((m) => process.stderr.write(`rdg: ${m}\n`)),
    })
    await this.out.connect()
  }

  write(p: GraphPrimitive, _timestamp?: number): void {
    const reason = validatePrimitive(this.options.graph, p)
    if (reason) {
      this.rejected++
      this.options.onReject?.({
        reason: `rejected by graph schema: ${reason}`,
        operator: this.id,
        source: null,
        value: p,
        eventTime: p.eventTime,
      })
      return
    }
    const route = (p.kind === 'node' ? this.nodeRoutes : this.edgeRoutes).get(p.type)!
    const body = p.kind === 'node' ? this.nodeType.toBuffer(p) : this.edgeType.toBuffer(p)
    this.out!.push({ topic: route.topic, key: identityOf(p), value: frame(route.schemaId, body) })
  }

  drain(): Promise<void> {
    return this.out?.drain() ?? Promise.resolve()
  }

  flush(): Promise<void> {
    return this.out?.flush() ?? Promise.resolve()
  }

  async close(): Promise<void> {
    await this.out?.close()
    await this.admin?.disconnect().catch(() => undefined)
    this.out = null
    this.admin = null
  }
}

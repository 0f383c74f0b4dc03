/**
 * Connectors, `import … from 'rdg/connectors'`: the Kafka source, graph sink and
 * dead-letter sink (and `kafkaJobIo`, all three for one job); Avro and JSON value
 * decoders and encoders with writer schemas from a schema registry or a schema
 * directory; the JSON-lines file source and dead-letter file sink; the seeded event
 * generator; and in-memory graph and dead-letter sinks.
 *
 * @example
 * import { runJob } from 'rdg'
 * import { JsonLinesFileSource, MemoryDeadLetterSink, MemoryGraphSink, createValueDecoder } from 'rdg/connectors'
 *
 * const graph = new MemoryGraphSink()
 * const { done } = runJob(clicks, {
 *   source: new JsonLinesFileSource({ path: 'clicks.jsonl' }),
 *   decode: await createValueDecoder(clicks.value),
 *   graphSinks: [graph],
 *   deadLetterSink: new MemoryDeadLetterSink(),
 *   dataDir: '.rdg/jobs/clicks',
 * })
 * await done
 */
// A package consumer's tsc checks these sources: it needs the declaration of the untyped RocksDB binding.
/// <reference path="../base/nxtedition-rocksdb.d.ts" />

// Kafka
export { createKafkaSource, KafkaSource } from './kafka/source.ts'
export type { KafkaSourceOptions, KafkaStart } from './kafka/source.ts'
export { createKafkaGraphSink, KafkaGraphSink } from './kafka/graph-sink.ts'
export type { KafkaGraphSinkOptions } from './kafka/graph-sink.ts'
export { createKafkaDeadLetterSink, KafkaDeadLetterSink } from './kafka/dead-letter-sink.ts'
export type { KafkaDeadLetterSinkOptions, DeadLetterMessage } from './kafka/dead-letter-sink.ts'
export { kafkaJobIo } from './kafka/job-io.ts'
export type { KafkaJobIo, KafkaJobIoOptions } from './kafka/job-io.ts'
export { graphNodeSchema, graphEdgeSchema, nodeTopic, edgeTopic, graphTopics } from './kafka/graph-records.ts'
export { createKafkaClient, parseBrokers } from './kafka/client.ts'
export type { KafkaClientOptions, KafkaLogLevel } from './kafka/client.ts'
export { resolveKafkaSecurity, KafkaSecurity, PLAINTEXT, SASL_MECHANISMS } from './kafka/security.ts'
export type { KafkaSecuritySettings, SaslMechanism } from './kafka/security.ts'
export { produceEvents } from './kafka/event-producer.ts'
export type { ProduceEventsOptions, ProduceProgress, ProduceSummary } from './kafka/event-producer.ts'

// Avro and JSON values, writer schemas
export { createValueDecoder } from './avro/value-decoder.ts'
export type { ValueDecoder, ValueDecoderOptions } from './avro/value-decoder.ts'
export { createValueEncoder, createAvroEncoder } from './avro/value-encoder.ts'
export type { ValueEncoder, ValueEncoderOptions } from './avro/value-encoder.ts'
export { createDecoder } from './avro/decoder.ts'
export type { RawEncoding } from './avro/decoder.ts'
export { openSchemaSource, valueSubject } from './avro/schema-source.ts'
export type { SchemaSource, SchemaSourceOptions } from './avro/schema-source.ts'
export { SchemaDirectory } from './avro/schema-directory.ts'
export { RegistrySchemaSource } from './avro/schema-registry.ts'
export { DecodeError, frame, schemaIdOf, peekSchemaId } from './avro/wire-format.ts'

// files
export { JsonLinesFileSource } from './file/jsonl-source.ts'
export { DeadLetterFileSink } from './file/dead-letter-file-sink.ts'

// generated events
export { GeneratorSource, topicEvents } from './generator/generator-source.ts'
export type { GeneratorOptions } from './generator/generator-source.ts'
export { loadCatalog } from './generator/catalog.ts'
export { TOPICS } from './generator/journeys.ts'
export type { Topic, GeneratedEvent, Catalog } from './generator/journeys.ts'

// memory
export { MemoryGraphSink } from './memory/graph-sink.ts'
export type { MemoryGraphSinkOptions } from './memory/graph-sink.ts'
export { MemoryDeadLetterSink } from './memory/dead-letter-sink.ts'

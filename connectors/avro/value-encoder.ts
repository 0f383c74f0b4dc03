/**
 * Encoders for values written to Kafka, the mirror of value-decoder.ts: Avro in the
 * Confluent wire format under the subject `<topic>-value` (registered in the schema
 * registry or the schema directory on creation, so encoding is synchronous), or JSON text.
 *
 * @example
 * const encoder = await createValueEncoder(playbackJob.value, { topic: 'playback-events', schemaDir: 'schemas' })
 * await producer.send({ topic: 'playback-events', messages: [{ value: encoder.encode(event) }] })
 */
import avro from 'avsc'
import type { ValueFormat } from '../../graph/job-definition.ts'
import { openSchemaSource, valueSubject, type SchemaSource } from './schema-source.ts'
import { frame } from './wire-format.ts'

export interface ValueEncoderOptions {
  /** Topic the values go to; the subject is `<topic>-value` unless `subject` is given. */
  readonly topic: string
  readonly subject?: string
  readonly registryUrl?: string
  /** Local schema directory; created if missing, the schema written as the next version. */
  readonly schemaDir?: string
  readonly schemas?: SchemaSource
}

export interface ValueEncoder<E> {
  /** Registry id the values are framed with; null for JSON. */
  readonly schemaId: number | null
  encode(value: E): Buffer
}

/** Registers the writer schema (Avro) and returns a synchronous encoder. */
export async function createValueEncoder<E>(format: ValueFormat<E>, options: ValueEncoderOptions): Promise<ValueEncoder<E>> {
  if (format.format === 'json') return { schemaId: null, encode: (value) => Buffer.from(JSON.stringify(value), 'utf8') }
  return createAvroEncoder<E>(format.schema, options)
}

/** An Avro encoder for any schema (also used for the graph records the Kafka sink publishes). */
export async function createAvroEncoder<T>(schema: object, options: ValueEncoderOptions): Promise<ValueEncoder<T>> {
  const type = avro.Type.forSchema(schema as avro.Schema)
  const schemas = options.schemas ?? (await openSchemaSource(options, { create: true }))
  const schemaId = await schemas.register(options.subject ?? valueSubject(options.topic), schema)
  return { schemaId, encode: (value) => frame(schemaId, type.toBuffer(value)) }
}

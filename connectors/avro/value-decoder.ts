/**
 * Decoders for values read from Kafka, per the job's value format:
 *
 * - `avro`: Confluent wire format. The writer schema is looked up by the id in the
 *   header (schema registry or schema directory, cached by id) and resolved into the
 *   job's reader schema with avsc's `createResolver`, so a producer that evolved its
 *   schema compatibly still decodes into the job's event type.
 * - `json`: UTF-8 JSON text of an object.
 *
 * Decoding is synchronous per record. Unknown schema ids are fetched asynchronously by
 * `prepare(records)` BEFORE the batch is decoded (the Kafka source calls it on each batch
 * it hands over); it returns null, without a promise, when every id is known already.
 * Every failure is a DecodeError whose message is the dead letter's reason: empty value,
 * wrong magic byte, unknown schema id, incompatible writer schema, malformed Avro/JSON.
 *
 * @example
 * const decode = await createValueDecoder(playbackJob.value, { registryUrl: 'http://127.0.0.1:8081' })
 * const source = createKafkaSource({ ..., prepareBatch: decode.prepare })
 * runJob(playbackJob, { source, decode, ... })
 */
import avro from 'avsc'
import type { Clock } from '../../base/clock.ts'
import { systemClock } from '../../base/clock.ts'
import type { ValueFormat } from '../../graph/job-definition.ts'
import type { Decoder } from '../../engine/connector.ts'
import { internedStrings } from './interned-strings.ts'
import { projectedReader } from './reader-projection.ts'
import { openSchemaSource, type SchemaSource } from './schema-source.ts'
import { bodyOf, DecodeError, peekSchemaId, schemaIdOf } from './wire-format.ts'

export interface ValueDecoderOptions {
  /** Base URL of a Confluent-compatible schema registry (Avro values). */
  readonly registryUrl?: string
  /** Local schema directory, `<dir>/<subject>/v<version>-id<id>.avsc` (Avro values). */
  readonly schemaDir?: string
  /** An already opened schema source (instead of the two above). */
  readonly schemas?: SchemaSource
  readonly clock?: Clock
  /** An id the source did not know is asked again after this long. Default 60 000 ms. */
  readonly unknownIdRecheckMs?: number
  /** Where to report a registry that is down while records wait. Default: stderr. */
  readonly warn?: (message: string) => void
  /** Decode just these fields of Avro records (readFieldsOf(job)); the rest is skipped. */
  readonly fields?: readonly string[] | null
}

/** A synchronous decoder plus the asynchronous look-ahead that makes it so. */
export type ValueDecoder<E> = Decoder<E> & {
  /**
   * Fetches the writer schemas of these records that are not cached yet. Returns null
   * (no promise, no await) when there is nothing to fetch. Waits, retrying with backoff,
   * while the registry is unreachable: records are never dead-lettered for that.
   */
  readonly prepare: (records: readonly { readonly value: unknown }[]) => Promise<void> | null
}

type Resolution =
  | { readonly ok: true; readonly resolver: avro.Resolver | undefined }
  | { readonly ok: false; readonly reason: string; readonly recheckAt: number }

/** Builds the decoder for a job's value format; Avro needs a registry URL or a schema directory. */
export async function createValueDecoder<E>(format: ValueFormat<E>, options: ValueDecoderOptions = {}): Promise<ValueDecoder<E>> {
  if (format.format === 'json') return jsonDecoder<E>()
  const schemas = options.schemas ?? (await openSchemaSource(options))
  const projected = projectedReader(format.schema, options.fields)
  const decoder = avroDecoder<E>(
    projected?.type ?? avro.Type.forSchema(format.schema as avro.Schema, { typeHook: internedStrings }),
    schemas,
    options,
  )
  return projected ? Object.assign(decoder, { fields: projected.fields }) : decoder
}

function jsonDecoder<E>(): ValueDecoder<E> {
  const decode = (raw: unknown): E => {
    const text =
      typeof raw === 'string'
        ? raw
        : raw instanceof Uint8Array
          ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8')
          : null
    if (text === null) throw new DecodeError(`expected JSON text, got ${typeof raw}`)
    if (text.length === 0) throw new DecodeError('empty value (a tombstone?); expected JSON')
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (err) {
      throw new DecodeError(`invalid JSON: ${(err as Error).message}`)
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new DecodeError(`expected a JSON object, got ${text.slice(0, 40)}`)
    return value as E
  }
  return Object.assign(decode, { prepare: () => null })
}

function avroDecoder<E>(reader: avro.Type, schemas: SchemaSource, options: ValueDecoderOptions): ValueDecoder<E> {
  const clock = options.clock ?? systemClock
  const recheckMs = options.unknownIdRecheckMs ?? 60_000
  const warn = options.warn ?? ((m: string) => process.stderr.write(`rdg: ${m}\n`))
  const readerKey = JSON.stringify(reader.schema())
  const readerName = reader.name ?? reader.typeName
  const cache = new Map<number, Resolution>()
  const inFlight = new Map<number, Promise<void>>()
  // The previous record's id and resolution: consecutive records mostly share a schema.
  let lastId = -1
  let lastResolution: Resolution | undefined

  const resolve = (id: number, writer: avro.Type | null): Resolution => {
    if (!writer) return { ok: false, reason: `unknown schema id ${id}: not in ${schemas.description}`, recheckAt: clock.now() + recheckMs }
    // Same schema as the reader's: decode directly, a resolver would only cost time.
    if (JSON.stringify(writer.schema()) === readerKey) return { ok: true, resolver: undefined }
    try {
      return { ok: true, resolver: reader.createResolver(writer) }
    } catch (err) {
      const message = (err as Error).message.split('\n')[0]
      return {
        ok: false,
        reason: `writer schema id ${id} (${writer.name ?? writer.typeName}) cannot be read as ${readerName}: ${message}`,
        recheckAt: Number.POSITIVE_INFINITY,
      }
    }
  }

  const fetchOne = (id: number): Promise<void> => {
    let pending = inFlight.get(id)
    if (pending) return pending
    pending = (async () => {
      let backoff = 200
      for (;;) {
        try {
          cache.set(id, resolve(id, await schemas.schemaById(id)))
          lastId = -1
          return
        } catch (err) {
          if ((err as { retriable?: boolean }).retriable !== true) throw err
          warn(`${(err as Error).message}; retrying in ${backoff} ms`)
          await clock.sleep(backoff)
          backoff = Math.min(backoff * 2, 10_000)
        }
      }
    })().finally(() => inFlight.delete(id))
    inFlight.set(id, pending)
    return pending
  }

  const prepare = (records: readonly { readonly value: unknown }[]): Promise<void> | null => {
    let missing: number[] | null = null
    let last = -1
    for (let i = 0; i < records.length; i++) {
      const id = peekSchemaId(records[i]!.value)
      if (id === null || id === last) continue
      last = id
      const known = cache.get(id)
      if (known && (known.ok || clock.now() < known.recheckAt)) continue
      if (!missing) missing = [id]
      else if (!missing.includes(id)) missing.push(id)
    }
    return missing ? Promise.all(missing.map(fetchOne)).then(() => undefined) : null
  }

  const decode = (raw: unknown): E => {
    if (!(raw instanceof Uint8Array)) throw new DecodeError(`expected Avro bytes, got ${typeof raw}`)
    const id = schemaIdOf(raw)
    const resolution = id === lastId ? lastResolution : cache.get(id)
    if (!resolution) throw new DecodeError(`unknown schema id ${id}: not looked up in ${schemas.description} before decoding`)
    lastId = id
    lastResolution = resolution
    if (!resolution.ok) throw new DecodeError(resolution.reason)
    try {
      return reader.fromBuffer(bodyOf(raw), resolution.resolver, false) as E
    } catch (err) {
      throw new DecodeError(`invalid Avro for schema id ${id}: ${(err as Error).message.split('\n')[0]}`)
    }
  }

  return Object.assign(decode, { prepare })
}

/**
 * Writer schemas from a Confluent-compatible schema registry over HTTP: the two calls rdg
 * makes (`GET /schemas/ids/{id}`, `POST /subjects/{subject}/versions`) over Node's fetch,
 * with schemas cached by id (an id's schema never changes). A small client of our own
 * instead of @kafkajs/confluent-schema-registry, whose 4.x requires Node 22 while rdg
 * runs on Node 20.10. "Not found" is a permanent answer (null); anything else (refused
 * connection, 5xx) is a TransientError, so callers retry instead of dead-lettering good
 * records.
 *
 * @example
 * const registry = await RegistrySchemaSource.connect('http://127.0.0.1:8081')
 * const id = await registry.register('playback-events-value', playbackSchema)
 */
import avro from 'avsc'
import { ConfigError, TransientError } from '../../base/errors.ts'
import type { SchemaSource } from './schema-source.ts'

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json'
const TIMEOUT_MS = 10_000

/** An HTTP answer the registry gave that is not 2xx. */
class RegistryHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** The registry's REST API, the calls rdg needs. */
class RegistryClient {
  private readonly byId = new Map<number, Promise<avro.Type>>()

  constructor(private readonly base: string) {}

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { accept: CONTENT_TYPE, ...(body !== undefined ? { 'content-type': CONTENT_TYPE } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
    const text = await res.text()
    if (!res.ok) {
      let message = text
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text
      } catch {
        // not JSON: keep the text
      }
      throw new RegistryHttpError(res.status, `HTTP ${res.status}: ${message.slice(0, 200)}`)
    }
    return JSON.parse(text) as T
  }

  getSchema(id: number): Promise<avro.Type> {
    let cached = this.byId.get(id)
    if (cached === undefined) {
      cached = this.call<{ schema: string; schemaType?: string }>('GET', `/schemas/ids/${id}`).then((r) => {
        if (r.schemaType !== undefined && r.schemaType !== 'AVRO')
          throw new RegistryHttpError(422, `schema id ${id} is ${r.schemaType}, not Avro`)
        try {
          return avro.Type.forSchema(JSON.parse(r.schema) as avro.Schema)
        } catch (err) {
          throw new RegistryHttpError(422, `schema id ${id} is not a valid Avro schema: ${(err as Error).message}`)
        }
      })
      // a failure is not cached: the next record asks again
      cached.catch(() => this.byId.delete(id))
      this.byId.set(id, cached)
    }
    return cached
  }

  async register(subject: string, schema: object): Promise<number> {
    const { id } = await this.call<{ id: number }>('POST', `/subjects/${encodeURIComponent(subject)}/versions`, {
      schemaType: 'AVRO',
      schema: JSON.stringify(schema),
    })
    return id
  }
}

export class RegistrySchemaSource implements SchemaSource {
  readonly description: string

  private constructor(
    readonly url: string,
    private readonly client: RegistryClient,
  ) {
    this.description = `schema registry ${url}`
  }

  /** Connects and checks that the registry answers; an unreachable one is a ConfigError. */
  static async connect(url: string): Promise<RegistrySchemaSource> {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      throw new ConfigError(`schema registry URL "${url}" is not a URL`, 'pass --registry http://host:port')
    }
    const base = parsed.toString().replace(/\/$/, '')
    const client = new RegistryClient(base)
    const source = new RegistrySchemaSource(base, client)
    try {
      await fetch(`${base}/subjects`, { signal: AbortSignal.timeout(5_000) }).then((r) => {
        if (!r.ok) throw new Error(`HTTP ${r.status}`)
      })
    } catch (err) {
      throw new ConfigError(`schema registry ${base} does not answer (${reason(err)})`, 'check --registry and that the registry is running')
    }
    return source
  }

  async schemaById(id: number): Promise<avro.Type | null> {
    try {
      return await this.client.getSchema(id)
    } catch (err) {
      // unknown, or not a usable Avro schema: permanent answers, so the record is a dead letter
      const status = statusOf(err)
      if (status === 404 || status === 422) return null
      throw new TransientError(`schema registry ${this.url} could not return schema id ${id}: ${reason(err)}`)
    }
  }

  async register(subject: string, schema: object): Promise<number> {
    try {
      return await this.client.register(subject, schema)
    } catch (err) {
      const status = statusOf(err)
      if (status === 409 || status === 422)
        throw new ConfigError(
          `schema registry ${this.url} rejected the schema for ${subject}: ${reason(err)}`,
          'evolve the schema compatibly (new fields need defaults)',
        )
      throw new TransientError(`schema registry ${this.url} could not register ${subject}: ${reason(err)}`)
    }
  }
}

function statusOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'status' in err ? Number(err.status) : undefined
}

function reason(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } }
  return (e.cause?.code ?? e.cause?.message ?? e.message ?? String(err)).split('\n')[0]!
}

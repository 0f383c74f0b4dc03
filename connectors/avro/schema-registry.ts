/**
 * Writer schemas from a Confluent-compatible schema registry over HTTP, through
 * @kafkajs/confluent-schema-registry (which caches schemas by id and retries briefly).
 * "Not found" is a permanent answer (null); anything else (refused connection, 5xx) is a
 * TransientError, so callers retry instead of dead-lettering good records.
 *
 * @example
 * const registry = await RegistrySchemaSource.connect('http://127.0.0.1:8081')
 * const id = await registry.register('playback-events-value', playbackSchema)
 */
import avro from 'avsc'
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import { ConfigError, TransientError } from '../../base/errors.ts'
import type { SchemaSource } from './schema-source.ts'

export class RegistrySchemaSource implements SchemaSource {
  readonly description: string

  private constructor(
    readonly url: string,
    private readonly client: SchemaRegistry,
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
    const client = new SchemaRegistry({ host: base, clientId: 'rdg' })
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
      const schema = await this.client.getSchema(id)
      // The client builds avsc types itself; rebuild if it used another copy of avsc.
      return schema instanceof avro.Type ? schema : avro.Type.forSchema((schema as unknown as { schema(): avro.Schema }).schema())
    } catch (err) {
      if (statusOf(err) === 404) return null
      throw new TransientError(`schema registry ${this.url} could not return schema id ${id}: ${reason(err)}`)
    }
  }

  async register(subject: string, schema: object): Promise<number> {
    try {
      const { id } = await this.client.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject })
      return id
    } catch (err) {
      const status = statusOf(err)
      if (status === 409 || status === 422) throw new ConfigError(`schema registry ${this.url} rejected the schema for ${subject}: ${reason(err)}`, 'evolve the schema compatibly (new fields need defaults)')
      throw new TransientError(`schema registry ${this.url} could not register ${subject}: ${reason(err)}`)
    }
  }
}

function statusOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'status' in err ? Number((err).status) : undefined
}

function reason(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } }
  return (e.cause?.code ?? e.cause?.message ?? e.message ?? String(err)).split('\n')[0]!
}

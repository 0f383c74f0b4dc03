/**
 * Where writer schemas come from: a Confluent-compatible schema registry over HTTP
 * (schema-registry.ts) or a local schema directory (schema-directory.ts). Both map a
 * global schema id to an Avro schema and register a subject's schema for producers.
 *
 * @example
 * const schemas = await openSchemaSource({ registryUrl: 'http://127.0.0.1:8081' })
 * const writer = await schemas.schemaById(7) // avsc Type, or null if the id is unknown
 */
import type avro from 'avsc'
import { ConfigError } from '../../base/errors.ts'

export interface SchemaSource {
  /** For messages: "schema registry http://…" or "schema directory ./schemas". */
  readonly description: string
  /**
   * The writer schema with this id, or null when the source does not have it (a permanent
   * answer). Throws a TransientError when it cannot answer now (registry down).
   */
  schemaById(id: number): Promise<avro.Type | null>
  /** Registers `schema` under `subject` (or finds it there) and returns its id. */
  register(subject: string, schema: object): Promise<number>
}

export interface SchemaSourceOptions {
  /** Base URL of a Confluent-compatible schema registry. */
  readonly registryUrl?: string
  /** Local schema directory: `<dir>/<subject>/v<version>-id<id>.avsc`. */
  readonly schemaDir?: string
}

/** Subject of a topic's values under the registry's default TopicNameStrategy. */
export function valueSubject(topic: string): string {
  return `${topic}-value`
}

/**
 * Opens the registry or the directory named in `options` (exactly one of them). With
 * `create`, a missing schema directory is made (for producers).
 */
export async function openSchemaSource(options: SchemaSourceOptions, { create = false }: { create?: boolean } = {}): Promise<SchemaSource> {
  if (options.registryUrl && options.schemaDir)
    throw new ConfigError('both a schema registry and a schema directory were given', 'pass only one of --registry and --schema-dir')
  if (options.registryUrl) {
    const { RegistrySchemaSource } = await import('./schema-registry.ts')
    return RegistrySchemaSource.connect(options.registryUrl)
  }
  if (options.schemaDir) {
    const { SchemaDirectory } = await import('./schema-directory.ts')
    return SchemaDirectory.open(options.schemaDir, { create })
  }
  throw new ConfigError(
    'Avro values need writer schemas from a schema registry or a schema directory',
    'pass --registry <url> or --schema-dir <dir>',
  )
}

/**
 * A schema registry kept as plain files, for running without a registry server:
 *
 *   <dir>/<subject>/v<version>-id<id>.avsc     e.g. schemas/playback-events-value/v2-id12.avsc
 *
 * Each file holds one Avro schema (JSON). Ids are global within the directory, like a
 * registry's; versions count up per subject. Registering a schema that is not yet the
 * subject's latest writes the next version with the next free id, after checking that the
 * new schema can read data written with the latest one (BACKWARD, the registry default).
 * The directory is scanned on open and again whenever an unknown id is asked for, so
 * files added while a job runs are picked up.
 *
 * @example
 * const dir = await SchemaDirectory.open('schemas', { create: true })
 * const id = await dir.register('playback-events-value', playbackSchema) // writes v1-id1.avsc
 * const type = await dir.schemaById(id)
 */
import avro from 'avsc'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ConfigError } from '../../base/errors.ts'
import type { SchemaSource } from './schema-source.ts'

const FILE = /^v(\d+)-id(\d+)\.avsc$/

interface Entry {
  readonly subject: string
  readonly version: number
  readonly id: number
  readonly type: avro.Type
  /** Normalised schema text, to recognise a schema that is already registered. */
  readonly key: string
}

export class SchemaDirectory implements SchemaSource {
  readonly description: string
  private byId = new Map<number, Entry>()
  private bySubject = new Map<string, Entry[]>()

  private constructor(readonly root: string) {
    this.description = `schema directory ${root}`
  }

  /** Opens (and with `create`, makes) the directory and reads every schema in it. */
  static async open(dir: string, options: { create?: boolean } = {}): Promise<SchemaDirectory> {
    const root = resolve(dir)
    if (!existsSync(root)) {
      if (!options.create)
        throw new ConfigError(
          `schema directory ${dir} does not exist`,
          'check --schema-dir (layout: <dir>/<subject>/v<version>-id<id>.avsc)',
        )
      mkdirSync(root, { recursive: true })
    } else if (!statSync(root).isDirectory()) {
      throw new ConfigError(`schema directory ${dir} is not a directory`, 'check --schema-dir')
    }
    const directory = new SchemaDirectory(root)
    directory.scan()
    return directory
  }

  async schemaById(id: number): Promise<avro.Type | null> {
    if (!this.byId.has(id)) this.scan()
    return this.byId.get(id)?.type ?? null
  }

  async register(subject: string, schema: object): Promise<number> {
    this.scan()
    const type = parse(schema, `schema for ${subject}`)
    const key = normalise(type)
    const versions = this.bySubject.get(subject) ?? []
    const existing = versions.find((e) => e.key === key)
    if (existing) return existing.id
    const latest = versions[versions.length - 1]
    if (latest) {
      try {
        type.createResolver(latest.type)
      } catch (err) {
        throw new ConfigError(
          `schema for ${subject} is not backward compatible with v${latest.version} in ${this.root}: ${(err as Error).message}`,
          'evolve it with defaults for new fields',
        )
      }
    }
    // Like a registry, the same schema under another subject keeps its id.
    const id = [...this.byId.values()].find((e) => e.key === key)?.id ?? Math.max(0, ...this.byId.keys()) + 1
    const version = (latest?.version ?? 0) + 1
    mkdirSync(join(this.root, subject), { recursive: true })
    writeFileSync(join(this.root, subject, `v${version}-id${id}.avsc`), JSON.stringify(schema, null, 2) + '\n')
    this.scan()
    return id
  }

  /** Latest registered id of a subject, or null. */
  latestId(subject: string): number | null {
    this.scan()
    const versions = this.bySubject.get(subject)
    return versions && versions.length > 0 ? versions[versions.length - 1]!.id : null
  }

  private scan(): void {
    const byId = new Map<number, Entry>()
    const bySubject = new Map<string, Entry[]>()
    for (const subject of readdirSync(this.root)) {
      const subjectDir = join(this.root, subject)
      if (!statSync(subjectDir).isDirectory()) continue
      for (const file of readdirSync(subjectDir)) {
        const m = FILE.exec(file)
        if (!m) continue
        const path = join(subjectDir, file)
        let json: unknown
        try {
          json = JSON.parse(readFileSync(path, 'utf8'))
        } catch (err) {
          throw new ConfigError(`schema file ${path} is not valid JSON: ${(err as Error).message}`)
        }
        const type = parse(json as object, `schema file ${path}`)
        const entry: Entry = { subject, version: Number(m[1]), id: Number(m[2]), type, key: normalise(type) }
        const clash = byId.get(entry.id)
        if (clash && clash.key !== entry.key)
          throw new ConfigError(
            `schema id ${entry.id} is used twice in ${this.root} (${clash.subject} v${clash.version} and ${subject} v${entry.version})`,
            'give each schema file its own id',
          )
        byId.set(entry.id, entry)
        const list = bySubject.get(subject) ?? []
        list.push(entry)
        bySubject.set(subject, list)
      }
    }
    for (const list of bySubject.values()) list.sort((a, b) => a.version - b.version)
    this.byId = byId
    this.bySubject = bySubject
  }
}

function parse(schema: object, what: string): avro.Type {
  try {
    return avro.Type.forSchema(schema as avro.Schema)
  } catch (err) {
    throw new ConfigError(`${what} is not a valid Avro schema: ${(err as Error).message}`)
  }
}

function normalise(type: avro.Type): string {
  return JSON.stringify(type.schema())
}

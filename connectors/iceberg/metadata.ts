/**
 * Table metadata: reads metadata.json (64-bit ids kept exact) from a path or an Iceberg
 * REST catalog, and picks the snapshot to read (current, by id, or as of a time) with
 * the schema it was written with.
 *
 * @example
 * const table = await loadTable({ metadata: 'wh/rdg/playback/metadata/00008-….metadata.json' })
 * const snap = selectSnapshot(table, { asOf: Date.parse('2026-01-02T00:00:00Z') })
 */
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { ConfigError } from '../../base/errors.ts'
import { idString, num, parseJson64, type Json64 } from './json64.ts'

export interface IcebergField {
  readonly id: number
  readonly name: string
  /** Primitive type name (`long`, `timestamptz`, `decimal(9,2)`, …) or `struct`/`list`/`map`. */
  readonly type: string
  readonly required: boolean
  readonly initialDefault?: unknown
}

export interface IcebergSchema {
  readonly id: number
  readonly fields: readonly IcebergField[]
}

export interface PartitionFieldSpec {
  readonly sourceId: number
  readonly fieldId: number
  readonly name: string
  readonly transform: string
}

export interface PartitionSpecInfo {
  readonly id: number
  readonly fields: readonly PartitionFieldSpec[]
}

export interface SnapshotInfo {
  /** Exact 64-bit id as a decimal string. */
  readonly id: string
  readonly timestampMs: number
  readonly sequenceNumber: number
  readonly manifestList: string
  readonly schemaId: number | null
}

export interface TableMetadata {
  readonly location: string
  readonly metadataLocation: string
  readonly formatVersion: number
  readonly schemas: ReadonlyMap<number, IcebergSchema>
  readonly currentSchemaId: number
  readonly specs: ReadonlyMap<number, PartitionSpecInfo>
  readonly snapshots: readonly SnapshotInfo[]
  readonly currentSnapshotId: string | null
  readonly snapshotLog: readonly { readonly timestampMs: number; readonly snapshotId: string }[]
}

type Obj = { [key: string]: Json64 }

/** A JSON string field (anything else as its JSON text). */
const jsonText = (v: Json64 | undefined): string =>
  typeof v === 'string' ? v : JSON.stringify(v ?? null, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x))

/** A local path for a `file:` URI or a plain path; other schemes are not supported. */
export function localPath(uri: string): string {
  if (uri.startsWith('file:')) return fileURLToPath(uri.startsWith('file://') ? uri : `file://${uri.slice(5)}`)
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri))
    throw new ConfigError(`cannot read ${uri}: only local files are supported`, 'copy the table to a local directory or mount it')
  return uri
}

function parseSchema(s: Obj): IcebergSchema {
  const fields = (s['fields'] as Obj[]).map((f) => ({
    id: num(f['id']),
    name: jsonText(f['name']),
    type: typeof f['type'] === 'string' ? f['type'] : jsonText((f['type'] as Obj)['type']),
    required: f['required'] === true,
    ...(f['initial-default'] !== undefined ? { initialDefault: f['initial-default'] } : {}),
  }))
  return { id: num(s['schema-id']), fields }
}

export function parseTableMetadata(text: string, metadataLocation: string): TableMetadata {
  const m = parseJson64(text) as Obj
  const formatVersion = num(m['format-version'], 1)
  const schemas = new Map<number, IcebergSchema>()
  for (const s of (m['schemas'] as Obj[] | undefined) ?? [m['schema'] as Obj]) {
    const parsed = parseSchema(s)
    schemas.set(parsed.id, parsed)
  }
  const specs = new Map<number, PartitionSpecInfo>()
  const rawSpecs = (m['partition-specs'] as Obj[] | undefined) ?? [{ 'spec-id': 0, fields: m['partition-spec'] ?? [] }]
  for (const s of rawSpecs) {
    specs.set(num(s['spec-id']), {
      id: num(s['spec-id']),
      fields: (s['fields'] as Obj[]).map((f, i) => ({
        sourceId: num(f['source-id']),
        fieldId: num(f['field-id'], 1000 + i),
        name: jsonText(f['name']),
        transform: jsonText(f['transform']),
      })),
    })
  }
  const snapshots = ((m['snapshots'] as Obj[] | undefined) ?? []).map((s) => ({
    id: idString(s['snapshot-id'])!,
    timestampMs: num(s['timestamp-ms']),
    sequenceNumber: num(s['sequence-number']),
    manifestList: jsonText(s['manifest-list']),
    schemaId: s['schema-id'] === undefined ? null : num(s['schema-id']),
  }))
  const current = idString(m['current-snapshot-id'])
  return {
    location: jsonText(m['location']),
    metadataLocation,
    formatVersion,
    schemas,
    currentSchemaId: num(m['current-schema-id'], [...schemas.keys()][0] ?? 0),
    specs,
    snapshots,
    currentSnapshotId: current === '-1' ? null : current,
    snapshotLog: ((m['snapshot-log'] as Obj[] | undefined) ?? []).map((l) => ({
      timestampMs: num(l['timestamp-ms']),
      snapshotId: idString(l['snapshot-id'])!,
    })),
  }
}

export type TableRef = { readonly metadata: string } | { readonly catalog: string; readonly table: string }

/** Reads the table's metadata from a metadata.json path or a REST catalog (`GET …/v1/namespaces/<ns>/tables/<name>`). */
export async function loadTable(ref: TableRef): Promise<TableMetadata> {
  if ('metadata' in ref) {
    let text: string
    try {
      text = await readFile(localPath(ref.metadata), 'utf8')
    } catch {
      throw new ConfigError(
        `Iceberg table metadata ${ref.metadata} does not exist or cannot be read`,
        'pass the path of a *.metadata.json file, or --catalog <uri> --table <ns.name>',
      )
    }
    return parseTableMetadata(text, ref.metadata)
  }
  const dot = ref.table.lastIndexOf('.')
  if (dot <= 0) throw new ConfigError(`--table ${ref.table} is not <namespace>.<name>`, 'e.g. --table rdg.playback')
  const ns = ref.table.slice(0, dot).split('.').map(encodeURIComponent).join('%1F')
  const name = encodeURIComponent(ref.table.slice(dot + 1))
  const base = ref.catalog.replace(/\/+$/, '')
  let prefix = ''
  const get = async (url: string) => {
    try {
      return await fetch(url, { headers: { accept: 'application/json' } })
    } catch (err) {
      throw new ConfigError(`Iceberg REST catalog ${ref.catalog} cannot be reached: ${(err as Error).message}`, 'check --catalog <uri>')
    }
  }
  const config = await get(`${base}/v1/config`)
  if (config.ok) {
    const c = parseJson64(await config.text()) as Obj
    const p = (c['overrides'] as Obj | undefined)?.['prefix'] ?? (c['defaults'] as Obj | undefined)?.['prefix']
    if (typeof p === 'string' && p !== '') prefix = `/${p}`
  }
  const res = await get(`${base}/v1${prefix}/namespaces/${ns}/tables/${name}`)
  if (res.status === 404)
    throw new ConfigError(`Iceberg table ${ref.table} does not exist in the catalog ${ref.catalog}`, 'check --table <namespace>.<name>')
  if (!res.ok) throw new ConfigError(`Iceberg REST catalog ${ref.catalog} answered ${res.status} for table ${ref.table}`)
  const body = parseJson64(await res.text()) as Obj
  const location = jsonText(body['metadata-location'])
  // the metadata is in the response; re-serialising it would round the ids, so re-read the raw text
  return parseTableMetadata(
    JSON.stringify(body['metadata'], (_k, v: unknown) => (typeof v === 'bigint' ? `@@${v}@@` : v)).replace(/"@@(-?\d+)@@"/g, '$1'),
    location,
  )
}

export interface SnapshotChoice {
  readonly snapshotId?: string
  /** Epoch ms: the snapshot that was current then. */
  readonly asOf?: number
}

/** The snapshot to read: `--snapshot <id>`, `--as-of <time>`, else the current one. */
export function selectSnapshot(table: TableMetadata, choice: SnapshotChoice = {}): SnapshotInfo {
  const byId = (id: string) => table.snapshots.find((s) => s.id === id)
  if (choice.snapshotId !== undefined) {
    const s = byId(choice.snapshotId)
    if (!s)
      throw new ConfigError(
        `snapshot ${choice.snapshotId} is not in table ${table.metadataLocation}`,
        `known snapshots: ${table.snapshots.map((x) => x.id).join(', ') || 'none'}`,
      )
    return s
  }
  if (choice.asOf !== undefined) {
    const log =
      table.snapshotLog.length > 0 ? table.snapshotLog : table.snapshots.map((s) => ({ timestampMs: s.timestampMs, snapshotId: s.id }))
    let found: string | null = null
    for (const l of log) if (l.timestampMs <= choice.asOf) found = l.snapshotId
    const s = found === null ? undefined : byId(found)
    if (!s)
      throw new ConfigError(
        `table ${table.metadataLocation} has no snapshot as of ${new Date(choice.asOf).toISOString()}`,
        'pick a later --as-of time',
      )
    return s
  }
  const s = table.currentSnapshotId === null ? undefined : byId(table.currentSnapshotId)
  if (!s) throw new ConfigError(`table ${table.metadataLocation} has no snapshot yet`, 'write data to it first')
  return s
}

/** The schema a snapshot was written with (time travel reads with it), else the current one. */
export function schemaOf(table: TableMetadata, snapshot: SnapshotInfo): IcebergSchema {
  return table.schemas.get(snapshot.schemaId ?? table.currentSchemaId) ?? table.schemas.get(table.currentSchemaId)!
}

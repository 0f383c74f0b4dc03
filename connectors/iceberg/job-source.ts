/**
 * An Iceberg source for one job: the fields it needs (its `project` list and event time;
 * with a function projection, the fields of its Avro schema, else every column), and
 * the decoder that passes the source's already-decoded events through.
 *
 * @example
 * const { source, decode } = icebergJobSource(playbackJob, { table: { metadata: 'wh/…/v8.metadata.json' } })
 * await source.prepare() // one ConfigError line for a missing table, snapshot or field
 */
import type { Decoder } from '../../engine/connector.ts'
import { readFieldsOf, type JobDefinition } from '../../graph/job-definition.ts'
import { IcebergSource, type IcebergSourceOptions } from './source.ts'

export type IcebergJobSourceOptions = Omit<IcebergSourceOptions, 'fields' | 'eventTime'>

/** The event fields a job reads, or null when it takes whatever the table has. */
export function jobFields(job: Pick<JobDefinition, 'project' | 'eventTime' | 'value'>): readonly string[] | null {
  const fields = readFieldsOf(job)
  if (fields) return fields
  const schema = job.value.format === 'avro' ? (job.value as { schema?: { fields?: { name: string }[] } }).schema : undefined
  return schema?.fields ? schema.fields.map((f) => f.name) : null
}

export function icebergJobSource(
  job: JobDefinition,
  options: IcebergJobSourceOptions,
): { source: IcebergSource; decode: Decoder<unknown> } {
  const fields = jobFields(job)
  const source = new IcebergSource({ ...options, fields, eventTime: job.eventTime })
  const pass = (raw: unknown) => raw
  const decode: Decoder<unknown> = fields ? Object.assign(pass, { fields }) : pass
  return { source, decode }
}

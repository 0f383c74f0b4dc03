/**
 * The declarative way to write a job: one module per topic exporting
 * `defineJob({...})`. The definition is plain data plus small pure functions; the
 * engine compiles it (engine/compile-job.ts) into the DataStream graph
 * source → decode → filter → project → enrich → toGraph → keyBy(identity) → dedup → sinks.
 *
 * Typed end to end: `E` is the decoded event, `P` the projection, `R` the enriched
 * record; a misspelled field in any step is a compile error.
 *
 * `project` is a function, or the list of fields to keep. A list is pushed into the
 * decoder (an Avro reader schema of just those fields, so the rest is skipped without
 * being decoded), and `filter` then sees only those fields.
 *
 * @example
 * interface Login { accountId: string; deviceId: string; ts: number; ip: string }
 * export default defineJob({
 *   topic: 'login-events',
 *   value: { format: 'avro', schema: loginSchema } as ValueFormat<Login>,
 *   eventTime: 'ts',
 *   filter: (e) => e.accountId !== '',
 *   project: (e) => ({ accountId: e.accountId, deviceId: e.deviceId, ts: e.ts }),
 *   graph: loginGraph,
 *   toGraph: (e, g) => {
 *     g.node('account', e.accountId, {})
 *     g.edge('logged_in_from', { type: 'account', id: e.accountId }, { type: 'device', id: e.deviceId }, {})
 *   },
 *   dedup: { windowMs: 5_000 },
 * })
 */
import type { WatermarkSpec } from '../engine/watermarks.ts'
import type { EnrichSpec, SideInputSpec } from '../operators/side-input.ts'
import type { NodeRef, Properties } from './model.ts'
import type { GraphSchema } from './schema.ts'

/** How the topic's values are encoded. The schema is an Avro schema (avsc JSON form). */
export type ValueFormat<E> =
  | { readonly format: 'avro'; readonly schema: object; readonly __event?: E }
  | { readonly format: 'json'; readonly __event?: E }

/** Keys of `T` whose values are numbers (candidate event-time fields). */
export type NumericKeys<T> = { [K in keyof T]-?: T[K] extends number ? K : never }[keyof T] & string

/** What `toGraph` uses to emit primitives; event time defaults to the record's. */
export interface GraphBuilder {
  node(type: string, id: string, properties: Properties, eventTime?: number): void
  edge(type: string, src: NodeRef, dst: NodeRef, properties: Properties, eventTime?: number): void
}

/** Fields of the event a job keeps, when `project` is a list. */
export type FieldList<E> = readonly (keyof E & string)[]

export interface JobDefinition<E = any, P = E, R = P, S extends Record<string, SideInputSpec<any>> = Record<string, SideInputSpec<any>>> {
  /** Kafka topic; also the job's name and the id prefix of its operators. */
  readonly topic: string
  readonly description?: string
  readonly value: ValueFormat<E>
  /** Field holding the event time, epoch milliseconds. */
  readonly eventTime: NumericKeys<E>
  readonly watermark?: WatermarkSpec
  readonly filter?: (event: E) => boolean
  /** A function, or the fields to keep (pushed into the decoder; see above). */
  readonly project?: ((event: E) => P) | FieldList<E>
  readonly enrich?: EnrichSpec<P, R, S>
  /** Node and edge types this job produces. */
  readonly graph: GraphSchema
  readonly toGraph: (record: R, graph: GraphBuilder) => void
  /** Dedup window; default 5 000 ms. */
  readonly dedup?: { readonly windowMs?: number }
}

/** A job whose `project` is a field list: `filter` sees just those fields. */
export type ProjectingJobDefinition<E, K extends keyof E & string, R, S extends Record<string, SideInputSpec<any>>> = Omit<JobDefinition<E, Pick<E, K>, R, S>, 'project' | 'filter'> & {
  readonly project: readonly K[]
  readonly filter?: (event: Pick<E, K>) => boolean
}

/**
 * Declares a job. Returns the definition unchanged; exists for type inference.
 * Note: `project` defaults to identity, `enrich` too, so P and R default to E.
 */
export function defineJob<E, K extends keyof E & string, R = Pick<E, K>, S extends Record<string, SideInputSpec<any>> = Record<string, never>>(
  definition: ProjectingJobDefinition<E, K, R, S>,
): JobDefinition<E, Pick<E, K>, R, S>
export function defineJob<E, P = E, R = P, S extends Record<string, SideInputSpec<any>> = Record<string, never>>(definition: JobDefinition<E, P, R, S>): JobDefinition<E, P, R, S>
export function defineJob(definition: JobDefinition): JobDefinition {
  return definition
}

/**
 * The fields a decoder must produce for this job when `project` is a field list (the
 * list plus the event-time field), or null when the job needs whole events.
 */
export function readFieldsOf(job: Pick<JobDefinition, 'project' | 'eventTime'>): readonly string[] | null {
  if (!Array.isArray(job.project)) return null
  const fields: string[] = [...(job.project as readonly string[])]
  if (!fields.includes(job.eventTime)) fields.push(job.eventTime)
  return fields
}

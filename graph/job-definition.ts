/**
 * The declarative way to write a job: one module per topic exporting
 * `defineJob({...})`. The definition is plain data plus small pure functions; the
 * engine compiles it (engine/compile-job.ts) into the DataStream graph
 * source → decode → filter → project → enrich → toGraph → keyBy(identity) → dedup → sinks.
 *
 * Typed end to end: `E` is the decoded event, `P` the projection, `R` the enriched
 * record, `G` the graph schema (inferred from `graph`, literals kept); a misspelled field,
 * node type, edge type or property in any step is a compile error, and so is a property
 * of the wrong type or an edge endpoint of the wrong node type.
 *
 * `project` is a function, or the list of fields to keep. A list is pushed into the
 * decoder (an Avro reader schema of just those fields, so the rest is skipped without
 * being decoded), and `filter` then sees only those fields.
 *
 * @example
 * interface Login { accountId: string; deviceId: string; ts: number; ip: string }
 * export default defineJob({
 *   topic: 'login-events',
 *   value: avro<Login>(loginSchema),
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
import type { EdgeTypeOf, GraphSchema, NodeTypeOf, PropertiesOf } from './schema.ts'

/** How the topic's values are encoded. The schema is an Avro schema (avsc JSON form). */
export type ValueFormat<E> =
  { readonly format: 'avro'; readonly schema: object; readonly __event?: E } | { readonly format: 'json'; readonly __event?: E }

/** The value format of Avro-encoded values of type `E`, with their (avsc JSON) schema. */
export function avro<E>(schema: object): ValueFormat<E> {
  return { format: 'avro', schema }
}

/** The value format of JSON values of type `E`. */
export function json<E>(): ValueFormat<E> {
  return { format: 'json' }
}

/** Keys of `T` whose values are numbers (candidate event-time fields). */
export type NumericKeys<T> = { [K in keyof T]-?: T[K] extends number ? K : never }[keyof T] & string

/**
 * What `toGraph` uses to emit primitives; event time defaults to the record's. Untyped:
 * the runtime builders (graph/to-graph-operator.ts, the dedup staging) implement this.
 */
export interface GraphBuilder {
  node(type: string, id: string, properties: Properties, eventTime?: number): void
  edge(type: string, src: NodeRef, dst: NodeRef, properties: Properties, eventTime?: number): void
}

/** A reference to a node of type `T`: `{ type: 'account', id }` (a variable holding one needs `as const`). */
export interface TypedNodeRef<T extends string> extends NodeRef {
  readonly type: T
}

/**
 * GraphBuilder as `toGraph` sees it for graph schema `G`: node and edge types, their
 * properties (names, value types, `?` optional) and edge endpoint types are checked.
 * A type-level view only: the untyped GraphBuilder the runtime passes is assignable to
 * it (same methods, wider parameters), so a typed job is a plain `JobDefinition` and
 * compile-job.ts hands its `toGraph` to the untyped operators as it is.
 */
export interface TypedGraphBuilder<G extends GraphSchema> {
  // `keyof … & string` spelled out (not NodeTypeOf) so that errors list the type names
  node<T extends keyof G['nodes'] & string>(
    type: T,
    id: string,
    properties: PropertiesOf<G['nodes'][T]['properties']>,
    eventTime?: number,
  ): void
  edge<T extends keyof G['edges'] & string>(
    type: T,
    src: TypedNodeRef<G['edges'][T]['from']>,
    dst: TypedNodeRef<G['edges'][T]['to']>,
    properties: PropertiesOf<G['edges'][T]['properties']>,
    eventTime?: number,
  ): void
}

/** The builder `toGraph` gets: typed when the schema's type names are known, untyped for a plain `GraphSchema`. */
export type GraphBuilderFor<G extends GraphSchema> = string extends NodeTypeOf<G> | EdgeTypeOf<G> ? GraphBuilder : TypedGraphBuilder<G>

/** Fields of the event a job keeps, when `project` is a list. */
export type FieldList<E> = readonly (keyof E & string)[]

export interface JobDefinition<
  E = any,
  P = E,
  R = P,
  S extends Record<string, SideInputSpec<any>> = Record<string, SideInputSpec<any>>,
  G extends GraphSchema = GraphSchema,
> {
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
  readonly graph: G
  readonly toGraph: (record: R, graph: GraphBuilderFor<G>) => void
  /** Dedup window; default 5 000 ms. */
  readonly dedup?: { readonly windowMs?: number }
}

/**
 * A typed job as the runner holds it, its record types erased. The erasure cannot be checked
 * (enrich's lookups are contravariant in the side-input names); the runner checks records at
 * run time against the value schema and the graph schema.
 */
export function untypedJob(job: JobDefinition<any, any, any, any, any>): JobDefinition {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-return -- the erasure described above
  return job
}

/** A job whose `project` is a field list: `filter` sees just those fields. */
export type ProjectingJobDefinition<
  E,
  K extends keyof E & string,
  R,
  S extends Record<string, SideInputSpec<any>>,
  G extends GraphSchema = GraphSchema,
> = Omit<JobDefinition<E, Pick<E, K>, R, S, G>, 'project' | 'filter'> & {
  readonly project: readonly K[]
  readonly filter?: (event: Pick<E, K>) => boolean
}

/**
 * Declares a job. Returns the definition unchanged; exists for type inference (the graph
 * schema `G` from `graph`, with its literal type names, so `toGraph` is checked against it).
 * Note: `project` defaults to identity, `enrich` too, so P and R default to E.
 */
export function defineJob<
  E,
  K extends keyof E & string,
  R = Pick<E, K>,
  S extends Record<string, SideInputSpec<any>> = Record<string, never>,
  const G extends GraphSchema = GraphSchema,
>(definition: ProjectingJobDefinition<E, K, R, S, G>): JobDefinition<E, Pick<E, K>, R, S, G>
export function defineJob<
  E,
  P = E,
  R = P,
  S extends Record<string, SideInputSpec<any>> = Record<string, never>,
  const G extends GraphSchema = GraphSchema,
>(definition: JobDefinition<E, P, R, S, G>): JobDefinition<E, P, R, S, G>
export function defineJob(definition: JobDefinition): JobDefinition {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-return -- the overloads above carry the types; this only hands the value back
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

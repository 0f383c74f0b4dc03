/**
 * Checks a job module's default export at run time (a user's `run ./my-job.ts` is not
 * type-checked), so a malformed module fails with one clear line instead of a stack trace.
 * The shape checks here come first; graph/job-lint.ts then checks what the shape means
 * (fields against the Avro schema, the types toGraph emits against `graph`).
 *
 * @example
 * const job = validateJobDefinition((await import(path)).default, path)
 * jobShapeProblems({ topic: '' }) // [{ field: 'topic', message: '"topic" must be a non-empty string' }, ...]
 */
import { ConfigError } from '../base/errors.ts'
import { topicNameProblem } from './ids.ts'
import type { JobDefinition } from './job-definition.ts'

/**
 * One thing wrong with a job definition. `field` is the property of the definition it is
 * about (`eventTime`, `dedup.windowMs`, ...); `token`, when given, is the name or literal
 * in the module's source the problem is about (a field name, a node type), so a caller
 * holding the source can point at it.
 */
export interface JobProblem {
  readonly field: string
  readonly message: string
  readonly token?: string
}

/** A job definition with problems; the message is the first one, `problems` all of them. */
export class JobDefinitionError extends ConfigError {
  constructor(
    readonly origin: string,
    readonly problems: readonly JobProblem[],
    hint?: string,
    /** The module's default export, for a caller that wants all problems (graph/job-lint.ts's lintJob). */
    readonly definition?: unknown,
  ) {
    super(`job module ${origin}${problems[0]!.field === '' ? ' ' : ': '}${problems[0]!.message}`, hint)
  }
}

/** The structural problems of a would-be job definition (types of its properties); empty when it has the shape of one. */
export function jobShapeProblems(value: unknown): JobProblem[] {
  if (value === null || typeof value !== 'object') return [{ field: '', message: 'has no default export' }]
  const job = value as Record<string, unknown>
  // a module without one, loaded as CommonJS, arrives as its named exports
  if (!['topic', 'value', 'eventTime', 'graph', 'toGraph'].some((k) => k in job)) return [{ field: '', message: 'has no default export' }]
  const problems: JobProblem[] = []
  const need = (name: string, ok: boolean, what: string): void => {
    if (!ok) problems.push({ field: name, message: `"${name}" ${what}` })
  }
  need('topic', typeof job.topic === 'string' && job.topic.length > 0, 'must be a non-empty string')
  // the topic names the job's directory under --data-dir and a Kafka topic: Kafka's rule keeps it a plain name
  const topicProblem = typeof job.topic === 'string' && job.topic.length > 0 ? topicNameProblem(job.topic) : null
  if (topicProblem !== null) {
    problems.push({ field: 'topic', message: `"topic" ${JSON.stringify(job.topic)} ${topicProblem}`, token: job.topic as string })
  }
  const value_ = job.value as Record<string, unknown> | undefined
  const avroSchema = value_?.format === 'avro' && typeof value_.schema === 'object' && value_.schema !== null
  need('value', !!value_ && (value_.format === 'json' || avroSchema), "must be { format: 'json' } or { format: 'avro', schema }")
  need('eventTime', typeof job.eventTime === 'string', 'must name the event-time field')
  need('toGraph', typeof job.toGraph === 'function', 'must be a function (record, graph) => void')
  const graph = job.graph as Record<string, unknown> | undefined
  need(
    'graph',
    !!graph && typeof graph.nodes === 'object' && graph.nodes !== null && typeof graph.edges === 'object' && graph.edges !== null,
    'must declare { nodes, edges }',
  )
  need('filter', job.filter === undefined || typeof job.filter === 'function', 'must be a function when given')
  need(
    'project',
    job.project === undefined ||
      typeof job.project === 'function' ||
      (Array.isArray(job.project) && job.project.length > 0 && job.project.every((f) => typeof f === 'string')),
    'must be a function or a non-empty list of field names when given',
  )
  const enrich = job.enrich as Record<string, unknown> | null | undefined
  const enrichShaped =
    typeof enrich === 'object' &&
    enrich !== null &&
    typeof enrich.apply === 'function' &&
    typeof enrich.sideInputs === 'object' &&
    enrich.sideInputs !== null
  need('enrich', enrich === undefined || enrichShaped, 'must be { sideInputs, apply } when given')
  const dedup = job.dedup as Record<string, unknown> | undefined
  need(
    'dedup.windowMs',
    dedup?.windowMs === undefined || (typeof dedup.windowMs === 'number' && Number.isFinite(dedup.windowMs) && dedup.windowMs > 0),
    'must be a positive number of milliseconds',
  )
  return problems
}

/** Throws a JobDefinitionError (a ConfigError: one line, exit 2) naming the first structural problem. */
export function validateJobDefinition(value: unknown, origin: string): JobDefinition {
  const problems = jobShapeProblems(value)
  if (problems.length > 0)
    throw new JobDefinitionError(
      origin,
      problems,
      `export default defineJob({ topic, value, eventTime, graph, toGraph, ... }) from ${origin}`,
      value,
    )
  return value as JobDefinition
}

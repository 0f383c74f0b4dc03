/**
 * Checks a job module's default export at run time (a user's `run ./my-job.ts` is not
 * type-checked), so a malformed module fails with one clear line instead of a stack trace.
 *
 * @example
 * const job = validateJobDefinition((await import(path)).default, path)
 */
import { ConfigError } from '../base/errors.ts'
import type { JobDefinition } from './job-definition.ts'

export function validateJobDefinition(value: unknown, origin: string): JobDefinition {
  const fix = `export default defineJob({ topic, value, eventTime, graph, toGraph, ... }) from ${origin}`
  if (value === null || typeof value !== 'object') throw new ConfigError(`job module ${origin} has no default export`, fix)
  const job = value as Record<string, unknown>
  const need = (name: string, ok: boolean, what: string): void => {
    if (!ok) throw new ConfigError(`job module ${origin}: "${name}" ${what}`, fix)
  }
  need('topic', typeof job.topic === 'string' && job.topic.length > 0, 'must be a non-empty string')
  const value_ = job.value as Record<string, unknown> | undefined
  need('value', !!value_ && (value_.format === 'json' || (value_.format === 'avro' && typeof value_.schema === 'object')), "must be { format: 'json' } or { format: 'avro', schema }")
  need('eventTime', typeof job.eventTime === 'string', 'must name the event-time field')
  need('toGraph', typeof job.toGraph === 'function', 'must be a function (record, graph) => void')
  const graph = job.graph as Record<string, unknown> | undefined
  need('graph', !!graph && typeof graph.nodes === 'object' && typeof graph.edges === 'object', 'must declare { nodes, edges }')
  need('filter', job.filter === undefined || typeof job.filter === 'function', 'must be a function when given')
  need('project', job.project === undefined || typeof job.project === 'function' || (Array.isArray(job.project) && job.project.length > 0 && job.project.every((f) => typeof f === 'string')), 'must be a function or a non-empty list of field names when given')
  const enrich = job.enrich as Record<string, unknown> | undefined
  need('enrich', enrich === undefined || (typeof enrich.apply === 'function' && typeof enrich.sideInputs === 'object'), 'must be { sideInputs, apply } when given')
  const dedup = job.dedup as Record<string, unknown> | undefined
  need('dedup.windowMs', dedup?.windowMs === undefined || (typeof dedup.windowMs === 'number' && dedup.windowMs > 0), 'must be a positive number of milliseconds')
  return value as JobDefinition
}

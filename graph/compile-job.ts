/**
 * Compiles a declarative job (defineJob) into a DataStream job graph:
 *
 *   source → filter → project → enrich → to-graph → dedup (keyBy identity) → sinks
 *
 * (to-graph and dedup run as one chained operator; `describe` still lists both.)
 *
 * Operator ids are fixed names (`source`, `filter`, `project`, `enrich`, `to-graph`,
 * `dedup`, then each sink's id), so state stays addressable when a job changes.
 *
 * @example
 * const graph = compileJob(loginJob, { source, decode, graphSinks: [kvSink] })
 * describeJob(loginJob) // [{ id: 'source', kind: 'source', ... }, { id: 'filter', ... }, ...]
 */
import type { Sink, Source } from '../engine/connector.ts'
import { describeGraph, type JobGraph, type OperatorDescription } from '../engine/job-graph.ts'
import { StreamEnvironment } from '../operators/datastream.ts'
import { graphDedupOperator } from './dedup/dedup-operator.ts'
import { readFieldsOf, type JobDefinition } from './job-definition.ts'
import type { Decoder } from '../engine/connector.ts'
import { operatorId } from '../base/ids.ts'
import type { GraphPrimitive } from './model.ts'

export const DEFAULT_DEDUP_WINDOW_MS = 5_000

export interface JobIo<E> {
  readonly source: Source<unknown>
  readonly decode: Decoder<E>
  readonly graphSinks: readonly Sink<GraphPrimitive>[]
}

export function compileJob<E, P, R>(job: JobDefinition<E, P, R, any>, io: JobIo<E>): JobGraph {
  const env = new StreamEnvironment(job.topic)
  const field = job.eventTime
  const events = env.fromSource<E>(io.source, {
    id: 'source',
    decode: io.decode,
    eventTime: (e) => (e as Record<string, unknown>)[field] as number,
    eventTimeField: field,
    ...(job.watermark ? { watermark: job.watermark } : {}),
  })
  const filtered = job.filter ? events.filter(job.filter, 'filter', 'filter: drop records the job does not want') : events
  const projected = job.project ? filtered.map(projection(job, io.decode), 'project', projectDescription(job, io.decode)) : filtered
  const enriched = job.enrich ? projected.enrich(job.enrich as never, 'enrich') : projected
  // toGraph and dedup run chained, as one operator: repeats never become objects.
  const windowMs = job.dedup?.windowMs ?? DEFAULT_DEDUP_WINDOW_MS
  const deduped = enriched.transform<GraphPrimitive>(
    graphDedupOperator(env.claim('to-graph'), job.toGraph as never, env.claim('dedup'), windowMs),
  )
  for (const sink of io.graphSinks) deduped.sinkTo(sink, sink.id)
  return env.build()
}

/** True when the decoder already yields exactly the fields the job's field-list `project` needs. */
function decoderProjects(job: JobDefinition<any, any, any, any>, decode: Decoder<unknown>): boolean {
  const wanted = readFieldsOf(job)
  const given = decode.fields
  return wanted !== null && given !== undefined && given.length === wanted.length && wanted.every((f) => given.includes(f))
}

function projection(job: JobDefinition<any, any, any, any>, decode: Decoder<any>): (event: any) => unknown {
  if (typeof job.project === 'function') return job.project
  if (decoderProjects(job, decode)) return (event: unknown) => event
  const fields = job.project as readonly string[]
  return (event: Record<string, unknown>) => {
    const kept: Record<string, unknown> = {}
    for (let i = 0; i < fields.length; i++) kept[fields[i]!] = event[fields[i]!]
    return kept
  }
}

function projectDescription(job: JobDefinition<any, any, any, any>, decode: Decoder<unknown>): string {
  if (typeof job.project === 'function') return 'project: keep the fields the graph needs'
  const list = (job.project as readonly string[]).join(', ')
  return decoderProjects(job, decode)
    ? `project: keep ${list} (pushed into the decoder: other fields are skipped, not decoded)`
    : `project: keep ${list}`
}

const placeholderSource: Source<unknown> = {
  id: operatorId('kafka'),
  async open() {},
  async poll() {
    return { records: [], end: true }
  },
  positions: () => ({}),
  async close() {},
}

const placeholderSink: Sink<GraphPrimitive> = {
  id: operatorId('graph-sink'),
  async open() {},
  write() {},
  backpressured: false,
  async drain() {},
  async flush() {},
  async close() {},
}

/** The compiled operator graph of a job, for `rdg-job describe`. */
export function describeJob(job: JobDefinition<any, any, any, any>, io?: Partial<JobIo<unknown>>): OperatorDescription[] {
  const graph = compileJob(job, {
    source: io?.source ?? placeholderSource,
    decode: io?.decode ?? ((raw) => raw),
    graphSinks: io?.graphSinks ?? [placeholderSink],
  })
  return describeGraph(graph)
}

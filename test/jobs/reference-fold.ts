/**
 * An engine-free reference for the golden files: every input line through the job's own
 * pure functions (decode, filter, project, enrich, toGraph), folded per identity with
 * last-writer-wins by event time. What the engine must end up with, minus records it
 * dead-letters as late.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { createDecoder } from '../../connectors/avro/decoder.ts'
import { readFieldsOf, type GraphBuilder, type JobDefinition } from '../../graph/job-definition.ts'
import { identityOf, type GraphPrimitive } from '../../graph/model.ts'

export function referenceGraph(job: JobDefinition, inputPath: string, sideInputDir = process.cwd()): Record<string, GraphPrimitive> {
  const decode = createDecoder(job.value, 'json')
  const lookups: Record<string, (key: string) => unknown> = {}
  for (const [name, spec] of Object.entries(job.enrich?.sideInputs ?? {})) {
    const rows = JSON.parse(readFileSync(resolve(sideInputDir, spec.path), 'utf8')) as Array<Record<string, unknown>>
    const byKey = new Map(rows.map((r) => [String(r[spec.key]), r]))
    lookups[name] = (key) => byKey.get(key)
  }
  const graph = new Map<string, GraphPrimitive>()
  for (const line of readFileSync(inputPath, 'utf8').split('\n')) {
    if (line.trim() === '') continue
    let event: Record<string, unknown>
    try {
      event = decode(line) as Record<string, unknown>
    } catch {
      continue
    }
    // a field-list projection happens in the decoder, before the filter
    const fields = readFieldsOf(job)
    if (fields) event = Object.fromEntries(fields.map((f) => [f, event[f]]))
    if (job.filter && !job.filter(event)) continue
    const projected = typeof job.project === 'function' ? job.project(event) : event
    const record = job.enrich ? job.enrich.apply(projected, lookups as never) : projected
    const eventTime = event[job.eventTime] as number
    const emit = (p: GraphPrimitive) => {
      const prev = graph.get(identityOf(p))
      if (!prev || prev.eventTime <= p.eventTime) graph.set(identityOf(p), p)
    }
    const builder: GraphBuilder = {
      node: (type, id, properties, t) => emit({ kind: 'node', type, id, properties, eventTime: t ?? eventTime }),
      edge: (type, src, dst, properties, t) =>
        emit({
          kind: 'edge',
          type,
          src: { type: src.type, id: src.id },
          dst: { type: dst.type, id: dst.id },
          properties,
          eventTime: t ?? eventTime,
        }),
    }
    job.toGraph(record, builder)
  }
  return Object.fromEntries([...graph.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

/**
 * What a job definition means, checked before it runs: mistakes tsx lets through (it does
 * not type-check) and that would otherwise only show up as dead letters, or as a filter
 * that lets everything through.
 *
 * - the event-time field is in the Avro value schema and numeric (int, long, float,
 *   double; timestamp-millis is a long);
 * - every field of a `project` list is in the schema;
 * - `graph` is consistent (edge endpoints are declared node types, property types exist);
 * - `filter`, `project`, `enrich.apply` and `toGraph` run over a few synthetic records
 *   generated from the schema (avsc `random()`), each record a Proxy that notes reads of
 *   fields it does not have (`e.pag`), through a recording GraphBuilder: every node and
 *   edge type emitted is declared, edge endpoints match the declared from/to types and
 *   properties the declared ones;
 * - the dedup window is positive (graph/job-validation.ts checks the shape first).
 *
 * JSON values have no schema: what needs records is skipped, and `notes` says so.
 *
 * @example
 * const report = lintJob(job)
 * for (const p of report.problems) console.log(`${p.field}: ${p.message}`)
 * validateJobSemantics(job, './my-job.ts') // throws a JobDefinitionError naming the first problem
 */
import avro from 'avsc'
import type { JobDefinition } from './job-definition.ts'
import { readFieldsOf } from './job-definition.ts'
import type { GraphPrimitive, NodeRef, Properties } from './model.ts'
import type { GraphSchema } from './schema.ts'
import { JobDefinitionError, jobShapeProblems, type JobProblem } from './job-validation.ts'
import { validatePrimitive } from './validate.ts'

export interface LintReport {
  readonly problems: readonly JobProblem[]
  /** Distinct checks made (a rule applied to one subject: a field, a type, a stage). */
  readonly checks: number
  /** What could not be checked, and why (e.g. JSON values have no schema). */
  readonly notes: readonly string[]
}

export interface LintOptions {
  /** Synthetic records to run the job's functions over; default 16. */
  readonly samples?: number
}

const PROPERTY_TYPES = new Set(['string', 'number', 'boolean', 'timestamp', 'string?', 'number?', 'boolean?', 'timestamp?'])
const NUMERIC = new Set(['int', 'long', 'float', 'double'])
/** Shape problems the other checks do not depend on. */
const LINT_INDEPENDENT = new Set(['topic', 'dedup.windowMs'])
/** Keys read by the runtime and libraries (JSON.stringify, await, inspectors), never fields. */
const NOT_FIELDS = new Set(['toJSON', 'then', 'inspect', 'constructor', 'asymmetricMatch', '$$typeof', 'nodeType', 'length'])

/** Throws a JobDefinitionError (a ConfigError: one line, exit 2) naming the first problem lintJob finds. */
export function validateJobSemantics(job: JobDefinition, origin: string): void {
  const { problems } = lintJob(job)
  if (problems.length === 0) return
  const more = problems.length > 1 ? `${problems.length - 1} more problem${problems.length > 2 ? 's' : ''}; ` : ''
  throw new JobDefinitionError(
    origin,
    problems,
    `${more}rdg-job check ${origin} lists ${problems.length > 1 ? 'them all' : 'it'} with positions`,
  )
}

/** Every problem of a job definition that can be found without running it on real input. */
export function lintJob(job: JobDefinition, options: LintOptions = {}): LintReport {
  const problems: JobProblem[] = []
  const seen = new Set<string>()
  const checks = new Set<string>()
  const notes: string[] = []
  const problem = (field: string, message: string, token?: string): void => {
    const key = `${field}\n${message}`
    if (seen.has(key)) return
    seen.add(key)
    problems.push(token === undefined ? { field, message } : { field, message, token })
  }
  const check = (key: string): void => {
    checks.add(key)
  }

  const shape = jobShapeProblems(job)
  check('shape')
  for (const p of shape) problem(p.field, p.message, p.token)
  // the rest needs these to have the right shape (a wrong topic or dedup window does not matter to it)
  if (shape.some((p) => !LINT_INDEPENDENT.has(p.field))) return { problems, checks: checks.size, notes }

  lintGraphSchema(job.graph, problem, check)
  if (job.watermark !== undefined) {
    for (const name of ['maxOutOfOrdernessMs', 'idleTimeoutMs', 'allowedLatenessMs'] as const) {
      const v = (job.watermark as Record<string, unknown>)[name]
      check(`watermark.${name}`)
      if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) {
        problem(`watermark.${name}`, `watermark.${name} must be a number of milliseconds ≥ 0, got ${JSON.stringify(v)}`, name)
      }
    }
  }
  if (job.enrich) {
    for (const [name, spec] of Object.entries(job.enrich.sideInputs as Record<string, unknown>)) {
      check(`enrich.sideInputs.${name}`)
      const s = spec as Record<string, unknown> | null
      if (!s || typeof s.path !== 'string' || typeof s.key !== 'string')
        problem('enrich', `side input "${name}" must be sideInput({ path, key })`, name)
    }
  }

  if (job.value.format !== 'avro') {
    notes.push(
      'value is JSON without a schema: the event-time field, the projected fields and what filter, project, enrich and toGraph do with records were not checked',
    )
    return { problems, checks: checks.size, notes }
  }
  let type: avro.Type
  try {
    type = avro.Type.forSchema(job.value.schema as avro.Schema)
  } catch (err) {
    problem('value', `the Avro value schema is invalid: ${(err as Error).message}`, 'schema')
    return { problems, checks: checks.size, notes }
  }
  check('value.schema')
  if (type.typeName !== 'record') {
    problem('value', `the Avro value schema must be a record, not ${type.typeName}`, 'schema')
    return { problems, checks: checks.size, notes }
  }
  const record = type as unknown as { readonly fields: readonly { readonly name: string; readonly type: avro.Type }[] }
  const fields = record.fields
  const fieldNames = fields.map((f) => f.name)
  const rawFields = ((job.value.schema as { fields?: unknown }).fields ?? []) as readonly { name?: unknown; type?: unknown }[]

  // event time
  check('eventTime')
  const timeField = fields.find((f) => f.name === job.eventTime)
  if (!timeField) {
    problem(
      'eventTime',
      `eventTime "${job.eventTime}" is not a field of the value schema${suggest(job.eventTime, fieldNames)} (fields: ${fieldNames.join(', ')})`,
      job.eventTime,
    )
  } else {
    const why = notEpochMillis(timeField.type, rawFields.find((f) => f.name === job.eventTime)?.type)
    if (why)
      problem(
        'eventTime',
        `eventTime "${job.eventTime}" must be epoch milliseconds (int, long, float, double or timestamp-millis), but ${why}`,
        job.eventTime,
      )
  }

  // projected fields
  if (Array.isArray(job.project)) {
    for (const f of job.project as readonly string[]) {
      check(`project.${f}`)
      if (!fieldNames.includes(f))
        problem('project', `project keeps "${f}", which is not a field of the value schema${suggest(f, fieldNames)}`, f)
    }
  }

  runSynthetic(
    job,
    type,
    fieldNames.filter((_, i) => fields[i]!.type.typeName === 'boolean'),
    options.samples ?? 16,
    problem,
    check,
    notes,
  )
  return { problems, checks: checks.size, notes }
}

type Report = (field: string, message: string, token?: string) => void

/** The graph declaration checked as data (a module is not type-checked when it runs). */
function lintGraphSchema(graph: GraphSchema, problem: Report, check: (key: string) => void): void {
  const nodes = graph.nodes as Readonly<Record<string, unknown>>
  const edges = graph.edges as Readonly<Record<string, unknown>>
  const nodeTypes = Object.keys(nodes)
  const types = [...PROPERTY_TYPES].join(', ')
  const properties = (what: string, declared: unknown): void => {
    if (typeof declared !== 'object' || declared === null) {
      problem('graph', `${what} must declare { properties }`)
      return
    }
    for (const [prop, t] of Object.entries(declared as Record<string, unknown>)) {
      if (typeof t !== 'string' || !PROPERTY_TYPES.has(t))
        problem('graph', `${what}: property "${prop}" has unknown type ${JSON.stringify(t)} (use ${types})`, prop)
    }
  }
  for (const [name, decl] of Object.entries(nodes)) {
    check(`graph.nodes.${name}`)
    properties(`node type "${name}"`, (decl as { properties?: unknown } | null)?.properties)
  }
  for (const [name, value] of Object.entries(edges)) {
    check(`graph.edges.${name}`)
    if (typeof value !== 'object' || value === null) {
      problem('graph', `edge type "${name}" must declare { from, to, direction, properties }`, name)
      continue
    }
    const decl = value as Record<string, unknown>
    for (const end of ['from', 'to'] as const) {
      const type = String(decl[end])
      if (!nodeTypes.includes(type))
        problem('graph', `edge type "${name}" goes ${end} "${type}", which is not a declared node type${suggest(type, nodeTypes)}`, type)
    }
    if (decl.direction !== 'out' && decl.direction !== 'both')
      problem('graph', `edge type "${name}": direction must be 'out' or 'both', got ${JSON.stringify(decl.direction)}`, name)
    if (decl.latestIndex !== undefined && !['out', 'in', 'both'].includes(decl.latestIndex as string))
      problem('graph', `edge type "${name}": latestIndex must be 'out', 'in' or 'both', got ${JSON.stringify(decl.latestIndex)}`, name)
    else if ((decl.latestIndex === 'in' || decl.latestIndex === 'both') && decl.direction !== 'both')
      problem(
        'graph',
        `edge type "${name}": latestIndex '${decl.latestIndex}' indexes the reverse lists, which need direction 'both'`,
        name,
      )
    properties(`edge type "${name}"`, decl.properties)
  }
}

/** Why an Avro field type cannot hold epoch milliseconds, or null when it can. */
function notEpochMillis(type: avro.Type, raw: unknown): string | null {
  const logical = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as { logicalType?: unknown }).logicalType : undefined
  if (typeof logical === 'string' && logical.endsWith('-micros')) return `it is ${logical} (microseconds)`
  const name = type.typeName
  if (name.startsWith('union')) {
    const branches = (type as unknown as { types: readonly avro.Type[] }).types.map((t) => t.typeName)
    if (branches.includes('null')) return `it is nullable (${branches.join(' | ')}): records without one become dead letters`
    const bad = branches.find((b) => !NUMERIC.has(b))
    return bad ? `it may be ${bad}` : null
  }
  return NUMERIC.has(name) ? null : `it is ${name}`
}

/** Runs filter → project → enrich → toGraph over synthetic records and reports what they do wrong. */
function runSynthetic(
  job: JobDefinition,
  type: avro.Type,
  booleans: readonly string[],
  samples: number,
  problem: Report,
  check: (key: string) => void,
  notes: string[],
): void {
  const readFields = readFieldsOf(job)
  const sideInputs = job.enrich ? Object.keys(job.enrich.sideInputs) : []
  const missing = (_key: string): undefined => undefined
  const lookup = new Proxy(Object.fromEntries(sideInputs.map((n) => [n, missing])), {
    get(target, key, receiver): unknown {
      if (typeof key === 'string' && !(key in target) && !NOT_FIELDS.has(key)) {
        problem(
          'enrich',
          `enrich.apply looks up side input "${key}", which enrich.sideInputs does not declare${suggest(key, sideInputs)}`,
          key,
        )
      }
      return Reflect.get(target, key, receiver)
    },
  })
  const stage = <T>(name: string, field: string, run: () => T): { ok: true; value: T } | { ok: false } => {
    check(`run.${name}`)
    try {
      return { ok: true, value: run() }
    } catch (err) {
      // a TypeError or ReferenceError is the function's own bug (e.g. reading a property
      // of a field that is not there); other errors may be the job refusing odd data
      if (err instanceof TypeError || err instanceof ReferenceError)
        problem(field, `${name} throws on a record of the value schema: ${err.message}`)
      return { ok: false }
    }
  }

  // avsc's generator takes booleans from the low bit of an LCG, which has the same parity
  // for every record of a schema: alternate them, so a filter on one sees both values
  const records = Array.from({ length: samples }, (_, i) => {
    const r = type.random() as unknown as Record<string, unknown>
    for (const b of booleans) r[b] = i % 2 === 0
    return r
  })
  const inputs = records.map((r) => (readFields ? pick(r, readFields) : r))
  let passing = inputs
  if (job.filter) {
    const filter = job.filter
    passing = inputs.filter((input) => {
      const r = stage('filter', 'filter', (): unknown => filter(watch(input, 'filter', 'filter', problem)))
      if (r.ok && r.value === undefined)
        problem('filter', 'filter returns undefined, which drops every record (a block body without `return`?)')
      return r.ok && !!r.value
    })
    if (passing.length === 0) {
      notes.push(`the filter dropped all ${samples} synthetic records; project, enrich and toGraph were checked on them anyway`)
      passing = inputs
    }
  }

  const emitted = { count: 0 }
  for (const input of passing) {
    let record: unknown = input
    if (typeof job.project === 'function') {
      const project = job.project
      const r = stage('project', 'project', (): unknown => project(watch(input, 'project', 'project', problem)))
      if (!r.ok) continue
      if (r.value === null || typeof r.value !== 'object') {
        problem('project', `project returns ${describeValue(r.value)}, not a record`)
        continue
      }
      record = r.value
    }
    if (job.enrich) {
      const apply = job.enrich.apply as (p: unknown, l: unknown) => unknown
      const projected = record as object
      const r = stage('enrich.apply', 'enrich', () => apply(watch(projected, 'enrich.apply', 'enrich', problem), lookup))
      if (!r.ok) continue
      if (r.value === null || typeof r.value !== 'object') {
        problem('enrich', `enrich.apply returns ${describeValue(r.value)}, not a record`)
        continue
      }
      record = r.value
    }
    const builder = recordingBuilder(job.graph, problem, emitted)
    const enriched = record as object
    stage('toGraph', 'toGraph', () => job.toGraph(watch(enriched, 'toGraph', 'toGraph', problem) as never, builder as never))
  }
  if (emitted.count === 0)
    notes.push(`toGraph emitted nothing for ${passing.length} synthetic records: its node and edge types were not checked`)
}

/** A GraphBuilder that checks each primitive against the graph schema instead of emitting it. */
function recordingBuilder(graph: GraphSchema, problem: Report, emitted: { count: number }) {
  const nodeTypes = Object.keys(graph.nodes)
  const edgeTypes = Object.keys(graph.edges)
  const eventTimeOk = (t: unknown): boolean => t === undefined || (typeof t === 'number' && Number.isFinite(t))
  const isRef = (r: unknown): r is NodeRef => !!r && typeof r === 'object' && typeof (r as NodeRef).type === 'string'
  const properties = (where: string, type: string, p: unknown): p is Properties => {
    if (p !== null && typeof p === 'object' && !Array.isArray(p)) return true
    problem('toGraph', `toGraph emits ${where} "${type}" with properties ${describeValue(p)}, not an object`, type)
    return false
  }
  const fits = (p: GraphPrimitive): void => {
    // synthetic records carry made-up ids: only the schema fit is checked here
    const why = validatePrimitive(graph, p, { ids: false })
    if (why) problem('toGraph', `toGraph emits ${why}`, /property "([^"]+)"/.exec(why)?.[1] ?? p.type)
  }
  return {
    node(type: unknown, id: unknown, props: unknown, eventTime?: unknown): void {
      emitted.count++
      const t = String(type)
      if (typeof type !== 'string' || !(type in graph.nodes)) {
        problem(
          'toGraph',
          `toGraph emits node type "${t}", which graph does not declare${suggest(t, nodeTypes)} (node types: ${nodeTypes.join(', ') || 'none'})`,
          t,
        )
        return
      }
      if (!eventTimeOk(eventTime))
        problem('toGraph', `toGraph emits node "${t}" with event time ${describeValue(eventTime)}, not epoch milliseconds`, t)
      if (properties('node', t, props)) fits({ kind: 'node', type, id: String(id), properties: props, eventTime: 0 })
    },
    edge(type: unknown, src: unknown, dst: unknown, props: unknown, eventTime?: unknown): void {
      emitted.count++
      const t = String(type)
      const decl = typeof type === 'string' ? graph.edges[type] : undefined
      if (!decl) {
        problem(
          'toGraph',
          `toGraph emits edge type "${t}", which graph does not declare${suggest(t, edgeTypes)} (edge types: ${edgeTypes.join(', ') || 'none'})`,
          t,
        )
        return
      }
      if (!isRef(src) || !isRef(dst)) {
        problem(
          'toGraph',
          `toGraph emits edge "${t}" whose ${isRef(src) ? 'destination' : 'source'} is not a { type, id } node reference`,
          t,
        )
        return
      }
      if (src.type !== decl.from || dst.type !== decl.to) {
        problem('toGraph', `toGraph emits edge "${t}" from ${src.type} to ${dst.type}, but graph declares it ${decl.from} → ${decl.to}`, t)
        return
      }
      if (!eventTimeOk(eventTime))
        problem('toGraph', `toGraph emits edge "${t}" with event time ${describeValue(eventTime)}, not epoch milliseconds`, t)
      if (properties('edge', t, props)) fits({ kind: 'edge', type: t, src, dst, properties: props, eventTime: 0 })
    },
  }
}

/** The record as a Proxy that reports reads of fields it does not have. */
function watch<T extends object>(record: T, stage: string, field: string, problem: Report): T {
  return new Proxy(record, {
    get(target, key, receiver): unknown {
      if (typeof key === 'string' && !(key in target) && !NOT_FIELDS.has(key)) {
        const known = Object.keys(target)
        problem(field, `${stage} reads "${key}", which its records do not have${suggest(key, known)} (fields: ${known.join(', ')})`, key)
      }
      return Reflect.get(target, key, receiver)
    },
  })
}

function pick(record: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const kept: Record<string, unknown> = {}
  for (const f of fields) if (f in record) kept[f] = record[f]
  return kept
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'undefined'
  if (typeof v === 'function') return 'a function'
  const json = JSON.stringify(v) as string | undefined
  return json === undefined ? typeof v : json.slice(0, 40)
}

/** ` (did you mean "ts"?)` when one of `names` is a likely intended spelling of `name`. */
function suggest(name: string, names: readonly string[]): string {
  let best: string | null = null
  let bestDistance = Infinity
  for (const candidate of names) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best !== null && bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? ` (did you mean "${best}"?)` : ''
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)))
    prev = row
  }
  return prev[b.length]!
}

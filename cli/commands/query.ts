/**
 * `rdg-job query`: read the graph from any KV store — a node, the neighbours of a node
 * over one edge type, or a breadth-first traversal — as text or JSON.
 *
 *   rdg-job query node title t1
 *   rdg-job query neighbors profile p1 started_watching --limit 10 --order latest --lookback 7d
 *   rdg-job query neighbors title t1 started_watching --in --prefix p
 *   rdg-job query traverse profile p1 --hop started_watching --hop started_watching:in:20 --exclude-visited --json
 *   rdg-job query traverse profile p1 --hop started_watching --format dot | dot -Tsvg > p1.svg   (or --format mermaid)
 *   ... --store rocksdb:.rdg/graph | cassandra:127.0.0.1:9042/rdg_graph | config:kv.json
 *
 * @example
 * const lines = await executeQuery({ kind: 'neighbors', type: 'profile', id: 'p1', edge: 'started_watching', limit: 5 }, { store, schema })
 */
import type { Argv, CommandModule } from 'yargs'
import type { Clock } from '../../base/clock.ts'
import { ConfigError } from '../../base/errors.ts'
import { GraphQuery, type Hop } from '../../store/graph-query.ts'
import { mergeGraphSchemas, type GraphSchema } from '../../graph/schema.ts'
import { drawing } from '../../serving/formats.ts'
import { builtInJobs, resolveJob } from '../../jobs/registry.ts'
import type { KvDataStore } from '../../store/kv/api.ts'
import { formatTime } from '../output.ts'
import { DEFAULT_STORE, STORE_HELP } from '../store-flag.ts'
import { openForReading } from './serve.ts'

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

/** `7d`, `12h`, `30m`, `45s`, `500ms`, `2w` → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text.trim())
  if (!m)
    throw new ConfigError(`--lookback ${JSON.stringify(text)} is not a duration`, 'use a number and a unit: 500ms, 45s, 30m, 12h, 7d, 2w')
  return Number(m[1]) * UNITS[m[2]!]!
}

/** `edgeType[:in][:limit]` → a hop. */
export function parseHop(spec: string): Hop {
  const [edge, ...rest] = spec.split(':')
  if (!edge)
    throw new ConfigError(
      `--hop ${JSON.stringify(spec)} names no edge type`,
      'use edgeType[:in][:limit], e.g. --hop started_watching --hop started_watching:in:20',
    )
  let direction: 'out' | 'in' = 'out'
  let limit: number | undefined
  for (const part of rest) {
    if (part === 'in' || part === 'out') direction = part
    else if (/^[1-9]\d*$/.test(part)) limit = Number(part)
    else throw new ConfigError(`--hop ${JSON.stringify(spec)}: "${part}" is neither in, out nor a limit`, 'use edgeType[:in][:limit]')
  }
  return { edge, direction, ...(limit !== undefined ? { limit } : {}) }
}

export type QueryRequest =
  | { readonly kind: 'node'; readonly type: string; readonly id: string; readonly select?: readonly string[]; readonly json?: boolean }
  | {
      readonly kind: 'neighbors'
      readonly type: string
      readonly id: string
      readonly edge: string
      readonly in?: boolean
      readonly limit?: number
      readonly order?: 'latest' | 'any'
      readonly lookback?: string
      readonly prefix?: string
      readonly page?: string
      readonly select?: readonly string[]
      readonly json?: boolean
      readonly format?: 'dot' | 'mermaid'
    }
  | {
      readonly kind: 'traverse'
      readonly type: string
      readonly id: string
      readonly hops: readonly string[]
      readonly excludeVisited?: boolean
      readonly limit?: number
      readonly json?: boolean
      readonly format?: 'dot' | 'mermaid'
    }

/** Runs one query and returns the lines to print. */
export async function executeQuery(
  q: QueryRequest,
  deps: { readonly store: KvDataStore; readonly schema: GraphSchema; readonly clock?: Clock },
): Promise<string[]> {
  const g = new GraphQuery(deps.store, deps.schema, deps.clock ? { clock: deps.clock } : {})
  if (!deps.schema.nodes[q.type])
    throw new ConfigError(
      `unknown node type "${q.type}"`,
      `known: ${Object.keys(deps.schema.nodes).join(', ')}; for a job module of your own pass --job <path>`,
    )
  const start = { type: q.type, id: q.id }
  if (q.kind === 'node') {
    const node = await g.getNode(start, q.select)
    if (q.json) return [JSON.stringify(node)]
    const decl = deps.schema.nodes[q.type]!.properties
    return [
      node ? `${q.type} ${q.id}  updated ${formatTime(node.eventTime)}  ${shownProperties(node.properties, decl)}` : `no ${q.type} ${q.id}`,
    ]
  }
  if (q.kind === 'neighbors') {
    const page = await g.neighbors(start, q.edge, {
      direction: q.in ? 'in' : 'out',
      ...(q.limit !== undefined ? { limit: q.limit } : {}),
      ...(q.order ? { order: q.order } : {}),
      ...(q.lookback ? { lookbackMs: parseDuration(q.lookback) } : {}),
      ...(q.prefix !== undefined ? { keyFilter: { prefix: q.prefix } } : {}),
      ...(q.page ? { pageToken: q.page } : {}),
      ...(q.select ? { select: q.select } : {}),
    })
    if (q.format)
      return [
        drawing(q.format, start, [
          { hop: { edge: q.edge, direction: q.in ? 'in' : 'out' }, reached: page.neighbors.map((n) => ({ ...n, from: start })) },
        ]).body.trimEnd(),
      ]
    if (q.json) return [JSON.stringify(page)]
    const decl = deps.schema.edges[q.edge]?.properties ?? {}
    const lines = page.neighbors.map(
      (n) => `${n.node.type} ${n.node.id}  ${formatTime(n.eventTime)}  ${shownProperties(n.properties, decl)}`,
    )
    if (lines.length === 0) lines.push('(none)')
    if (page.next) lines.push(`more: --page ${page.next}`)
    return lines
  }
  const hops = q.hops.map(parseHop).map((h) => (q.limit !== undefined && h.limit === undefined ? { ...h, limit: q.limit } : h))
  if (hops.length === 0)
    throw new ConfigError('a traversal needs at least one --hop', 'e.g. --hop started_watching --hop started_watching:in')
  const steps = await g.traverse(start, hops, { excludeVisited: !!q.excludeVisited })
  if (q.format) return [drawing(q.format, start, steps).body.trimEnd()]
  if (q.json) return [JSON.stringify(steps)]
  const lines: string[] = []
  steps.forEach((s, i) => {
    const distinct = new Set(s.reached.map((r) => `${r.node.type}:${r.node.id}`)).size
    lines.push(`hop ${i + 1}: ${s.hop.edge}${s.hop.direction === 'in' ? ' (in)' : ''} → ${distinct} node${distinct === 1 ? '' : 's'}`)
    for (const r of s.reached) lines.push(`  ${r.from.type} ${r.from.id} → ${r.node.type} ${r.node.id}  ${formatTime(r.eventTime)}`)
  })
  return lines
}

/** The graph schema queries are checked against: every built-in job's. */
export const builtInSchema = (): GraphSchema => mergeGraphSchemas(...[...builtInJobs.values()].map((j) => j.graph))

interface Args {
  type: string
  id: string
  edge?: string | undefined
  in?: boolean | undefined
  limit?: number | undefined
  order?: 'latest' | 'any' | undefined
  lookback?: string | undefined
  prefix?: string | undefined
  page?: string | undefined
  select?: string | undefined
  hop?: string[] | undefined
  'exclude-visited'?: boolean | undefined
  json: boolean
  format?: 'dot' | 'mermaid' | undefined
  store: string
  job?: string | undefined
}

async function run(q: QueryRequest, a: Args): Promise<void> {
  const schema = a.job ? (await resolveJob(a.job)).graph : builtInSchema()
  const store = await openForReading(a.store)
  try {
    for (const line of await executeQuery(q, { store, schema })) console.log(line)
  } finally {
    await store.close()
  }
}

const selectOf = (s: string | undefined) =>
  s
    ? s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : undefined

const common = (y: Argv) =>
  y
    .positional('type', { type: 'string', demandOption: true, describe: 'node type, e.g. profile' })
    .positional('id', { type: 'string', demandOption: true, describe: 'node id' })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
    .option('store', { type: 'string', default: DEFAULT_STORE, describe: STORE_HELP })
    .option('job', {
      type: 'string',
      describe: 'read with the graph schema of this job (topic or module path); default: the built-in jobs',
    })

export const queryCommand: CommandModule = {
  command: 'query',
  describe: 'Read the graph: a node, its neighbours, or a traversal',
  builder: (y) =>
    y
      .command<Args>({
        command: 'node <type> <id>',
        describe: 'A node and its properties',
        builder: (q) => common(q).option('select', { type: 'string', describe: 'properties to show, comma-separated' }),
        handler: (a) =>
          run({ kind: 'node', type: a.type, id: a.id, json: a.json, ...(a.select ? { select: selectOf(a.select)! } : {}) }, a),
      })
      .command<Args>({
        command: 'neighbors <type> <id> <edge>',
        describe: 'Neighbours of a node over one edge type',
        builder: (q) =>
          common(q)
            .positional('edge', { type: 'string', demandOption: true, describe: 'edge type' })
            .option('in', { type: 'boolean', default: false, describe: 'follow the edge backwards (types declared both ways)' })
            .option('limit', { type: 'number', default: 100, describe: 'neighbours per page' })
            .option('order', {
              choices: ['latest', 'any'] as const,
              default: 'latest' as const,
              describe: 'newest first, or key order (cheaper)',
            })
            .option('lookback', { type: 'string', describe: 'only edges newer than this, e.g. 7d, 12h' })
            .option('prefix', { type: 'string', describe: 'only neighbours whose id starts with this' })
            .option('page', { type: 'string', describe: 'the token printed after "more:"' })
            .option('select', { type: 'string', describe: 'edge properties to show, comma-separated' })
            .option('format', {
              choices: ['dot', 'mermaid'] as const,
              describe: 'draw the neighbourhood: Graphviz DOT or a Mermaid flowchart',
            }),
        handler: (a) =>
          run(
            {
              kind: 'neighbors',
              type: a.type,
              id: a.id,
              edge: a.edge!,
              in: !!a.in,
              json: a.json,
              ...(a.limit !== undefined ? { limit: a.limit } : {}),
              ...(a.order ? { order: a.order } : {}),
              ...(a.lookback ? { lookback: a.lookback } : {}),
              ...(a.prefix !== undefined ? { prefix: a.prefix } : {}),
              ...(a.page ? { page: a.page } : {}),
              ...(a.select ? { select: selectOf(a.select)! } : {}),
              ...(a.format ? { format: a.format } : {}),
            },
            a,
          ),
      })
      .command<Args>({
        command: 'traverse <type> <id>',
        describe: 'Breadth-first traversal, one --hop edgeType[:in][:limit] per hop',
        builder: (q) =>
          common(q)
            .option('hop', { type: 'string', array: true, demandOption: true, describe: 'edgeType[:in][:limit], once per hop' })
            .option('limit', { type: 'number', describe: 'default neighbours per node and hop' })
            .option('exclude-visited', { type: 'boolean', default: false, describe: 'leave out nodes reached earlier (who else …)' })
            .option('format', {
              choices: ['dot', 'mermaid'] as const,
              describe: 'draw what the hops reached: Graphviz DOT or a Mermaid flowchart',
            }),
        handler: (a) =>
          run(
            {
              kind: 'traverse',
              type: a.type,
              id: a.id,
              hops: a.hop ?? [],
              json: a.json,
              excludeVisited: !!a['exclude-visited'],
              ...(a.limit !== undefined ? { limit: a.limit } : {}),
              ...(a.format ? { format: a.format } : {}),
            },
            a,
          ),
      })
      .demandCommand(1, 'say what to query: node, neighbors or traverse'),
  handler: () => {},
}

/** Properties for a person to read: those the schema types as timestamps in ISO-8601 (`--json` keeps epoch ms). */
export function shownProperties(properties: Readonly<Record<string, unknown>>, decl: Readonly<Record<string, string>>): string {
  const shown: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(properties)) {
    const timestamp = decl[name] === 'timestamp' || decl[name] === 'timestamp?'
    shown[name] = timestamp && typeof value === 'number' && Number.isFinite(value) ? formatTime(value) : value
  }
  return JSON.stringify(shown)
}

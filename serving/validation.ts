/**
 * Request validation against the graph schema and the service limits: node types and ids,
 * edge types and directions, limits, lookbacks, orders, page tokens, property selections,
 * batch lookups and traversal bodies. Every mistake is an HttpError 400 (or 413 past a
 * limit) whose message names the field and what was wrong.
 *
 * @example
 * const ref = nodeRef(schema, 'profile', 'p1')
 * const opts = neighborOptions(schema, limits, ref, 'started_watching', new URLSearchParams('limit=10&order=any'))
 * const t = traversalRequest(schema, limits, body)
 */
import { decodeToken } from '../store/kv/cells.ts'
import type { Hop, NeighborOptions } from '../store/graph-query.ts'
import type { NodeRef } from '../graph/model.ts'
import type { GraphSchema } from '../graph/schema.ts'
import { HttpError } from './errors.ts'
import type { ServingLimits } from './limits.ts'

const MAX_ID_BYTES = 1_024
const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

const known = (names: object) => `known: ${Object.keys(names).join(', ') || '(none)'}`
const bad = (message: string, hint?: string) => new HttpError(400, message, hint)

/** A node reference whose type the schema declares and whose id a store accepts. */
export function nodeRef(schema: GraphSchema, type: unknown, id: unknown, where = 'node'): NodeRef {
  if (typeof type !== 'string' || !schema.nodes[type]) throw bad(`${where}: unknown node type ${JSON.stringify(type)}`, known(schema.nodes))
  if (typeof id !== 'string' || id.length === 0) throw bad(`${where}: the id must be a non-empty string`)
  if (Buffer.byteLength(id) > MAX_ID_BYTES) throw bad(`${where}: the id is longer than ${MAX_ID_BYTES} bytes`)
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f]/.test(id)) throw bad(`${where}: the id contains control characters`)
  return { type, id }
}

/** `a,b,c` → names (none: undefined = all). */
export function selectList(text: string | null | undefined, where = 'select'): string[] | undefined {
  if (text === null || text === undefined) return undefined
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  if (names.length > 100) throw bad(`${where}: more than 100 names`)
  return names
}

/** A lookback as milliseconds (`3600000`) or a duration (`500ms`, `45s`, `30m`, `12h`, `7d`, `2w`). */
export function lookbackMs(value: unknown, where = 'lookback'): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value
  if (typeof value === 'string') {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?$/.exec(value.trim())
    if (m) return Number(m[1]) * UNITS[m[2] ?? 'ms']!
  }
  throw bad(`${where}: ${JSON.stringify(value)} is not a duration`, 'use milliseconds or a number and a unit: 500ms, 45s, 30m, 12h, 7d, 2w')
}

function positiveInt(value: unknown, max: number, where: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
    throw bad(`${where}: must be a positive integer, got ${JSON.stringify(value)}`)
  if (n > max) throw new HttpError(400, `${where}: ${n} is above the service's limit of ${max}`, 'page through the results instead')
  return n
}

/** Checks that `edge` can be followed from `from` in `direction`. */
export function checkEdge(
  schema: GraphSchema,
  from: NodeRef | string,
  edge: unknown,
  direction: unknown,
  where: string,
): { edge: string; direction: 'out' | 'in' } {
  if (typeof edge !== 'string' || !schema.edges[edge]) throw bad(`${where}: unknown edge type ${JSON.stringify(edge)}`, known(schema.edges))
  if (direction !== undefined && direction !== null && direction !== 'out' && direction !== 'in')
    throw bad(`${where}: direction must be out or in, got ${JSON.stringify(direction)}`)
  const dir = direction ?? 'out'
  const decl = schema.edges[edge]
  if (dir === 'in' && decl.direction !== 'both')
    throw bad(`${where}: edge type "${edge}" keeps no reverse adjacency list`, 'follow it out, from its source')
  const type = typeof from === 'string' ? from : from.type
  const expected = dir === 'out' ? decl.from : decl.to
  if (type !== expected) throw bad(`${where}: edge type "${edge}" ${dir === 'out' ? 'leaves' : 'reaches'} ${expected} nodes, not ${type}`)
  return { edge, direction: dir }
}

/** The node type a hop over `edge` in `direction` reaches. */
export function reachedType(schema: GraphSchema, edge: string, direction: 'out' | 'in'): string {
  const decl = schema.edges[edge]!
  return direction === 'out' ? decl.to : decl.from
}

function order(value: unknown, where: string): 'latest' | 'any' {
  if (value === undefined || value === null) return 'latest'
  if (value === 'latest' || value === 'any') return value
  throw bad(`${where}: order must be latest or any, got ${JSON.stringify(value)}`)
}

/** A page token must be one the service handed out, for the same order. */
function pageToken(token: string, ord: 'latest' | 'any'): string {
  let t: Record<string, string>
  try {
    t = decodeToken(token, ['o', 'k'])
    if (t.o === 'any') decodeToken(t.k!, ['k'])
    else if (!(t.o === 'latest' && Number.isFinite(Number(t.t)))) throw new Error('bad')
  } catch {
    throw bad(
      `page: ${JSON.stringify(token.slice(0, 40))} is not a page token this service handed out`,
      'pass the `next` of the previous page unchanged',
    )
  }
  if (t.o !== ord) throw bad(`page: this token belongs to order ${t.o}, not ${ord}`)
  return token
}

/** Neighbour options from the query string of `GET /v1/nodes/{type}/{id}/edges/{edgeType}`. */
export function neighborOptions(
  schema: GraphSchema,
  limits: ServingLimits,
  node: NodeRef,
  edgeType: string,
  q: URLSearchParams,
): NeighborOptions & { edge: string } {
  const allowed = new Set(['direction', 'limit', 'order', 'lookback', 'prefix', 'page', 'select', 'format', 'nodeProperties'])
  for (const k of q.keys()) if (!allowed.has(k)) throw bad(`unknown query parameter ${JSON.stringify(k)}`, `use ${[...allowed].join(', ')}`)
  const { edge, direction } = checkEdge(schema, node, edgeType, q.get('direction') ?? undefined, 'edges')
  const ord = order(q.get('order') ?? undefined, 'edges')
  const select = selectList(q.get('select'))
  return {
    edge,
    direction,
    order: ord,
    limit: q.has('limit') ? positiveInt(q.get('limit'), limits.maxEdgesPerNode, 'limit') : 100,
    maxScan: limits.maxScan,
    ...(q.has('lookback') ? { lookbackMs: lookbackMs(q.get('lookback')) } : {}),
    ...(q.has('prefix') ? { keyFilter: { prefix: q.get('prefix')! } } : {}),
    ...(q.get('page') ? { pageToken: pageToken(q.get('page')!, ord) } : {}),
    ...(select ? { select } : {}),
  }
}

export interface TraversalRequest {
  readonly start: NodeRef
  readonly hops: Hop[]
  readonly excludeVisited: boolean
  readonly select?: string[]
  readonly format: 'json' | 'dot' | 'mermaid'
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function onlyKeys(o: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(o))
    if (!allowed.includes(k)) throw bad(`${where}: unknown field ${JSON.stringify(k)}`, `use ${allowed.join(', ')}`)
}

function names(v: unknown, where: string): string[] | undefined {
  if (v === undefined || v === null) return undefined
  if (!Array.isArray(v) || v.length > 100 || !v.every((s) => typeof s === 'string'))
    throw bad(`${where}: must be a list of at most 100 property names`)
  return v
}

export function format(v: unknown): 'json' | 'dot' | 'mermaid' {
  if (v === undefined || v === null || v === '') return 'json'
  if (v === 'json' || v === 'dot' || v === 'mermaid') return v
  throw bad(`format must be json, dot or mermaid, got ${JSON.stringify(v)}`)
}

/**
 * The body of `POST /v1/traverse`:
 * `{ start: { type, id }, hops: [{ edge, direction?, limit?, lookback?, order?, prefix?, select?, nodeProperties? }], excludeVisited?, select?, format? }`.
 * `select` (top level) picks the properties of the nodes each hop reaches (true: all, by default none).
 */
export function traversalRequest(schema: GraphSchema, limits: ServingLimits, body: unknown): TraversalRequest {
  if (!isObject(body)) throw bad('the body must be a JSON object { start, hops }')
  onlyKeys(body, ['start', 'hops', 'excludeVisited', 'select', 'format'], 'body')
  if (!isObject(body.start)) throw bad('start: must be an object { type, id }')
  onlyKeys(body.start, ['type', 'id'], 'start')
  const start = nodeRef(schema, body.start.type, body.start.id, 'start')
  if (!Array.isArray(body.hops) || body.hops.length === 0)
    throw bad('hops: must be a non-empty list of { edge, direction?, limit?, lookback?, order? }')
  if (body.hops.length > limits.maxHops) throw bad(`hops: ${body.hops.length} hops are above the service's limit of ${limits.maxHops}`)
  if (body.excludeVisited !== undefined && typeof body.excludeVisited !== 'boolean') throw bad('excludeVisited: must be true or false')
  const select = body.select === true ? undefined : names(body.select, 'select')
  const wantProps = body.select === true || select !== undefined
  let at = start.type
  const hops = (body.hops as unknown[]).map((h, i): Hop => {
    const where = `hops[${i}]`
    if (!isObject(h)) throw bad(`${where}: must be an object { edge, direction?, limit?, lookback?, order? }`)
    onlyKeys(h, ['edge', 'direction', 'limit', 'lookback', 'order', 'prefix', 'select'], where)
    const { edge, direction } = checkEdge(schema, at, h.edge, h.direction, where)
    at = reachedType(schema, edge, direction)
    if (h.prefix !== undefined && typeof h.prefix !== 'string') throw bad(`${where}.prefix: must be a string`)
    const edgeSelect = names(h.select, `${where}.select`)
    return {
      edge,
      direction,
      order: order(h.order, where),
      limit: h.limit === undefined ? 100 : positiveInt(h.limit, limits.maxEdgesPerNode, `${where}.limit`),
      maxScan: limits.maxScan,
      ...(h.lookback !== undefined ? { lookbackMs: lookbackMs(h.lookback, `${where}.lookback`) } : {}),
      ...(h.prefix !== undefined ? { keyFilter: { prefix: h.prefix } } : {}),
      ...(edgeSelect ? { select: edgeSelect } : {}),
      ...(wantProps ? { nodeProperties: select ?? true } : {}),
    }
  })
  return { start, hops, excludeVisited: body.excludeVisited === true, ...(select ? { select } : {}), format: format(body.format) }
}

/** The body of `POST /v1/nodes:batch`: `{ nodes: [{ type, id }], select? }`. */
export function batchRequest(schema: GraphSchema, limits: ServingLimits, body: unknown): { nodes: NodeRef[]; select?: string[] } {
  if (!isObject(body)) throw bad('the body must be a JSON object { nodes: [{ type, id }], select? }')
  onlyKeys(body, ['nodes', 'select'], 'body')
  if (!Array.isArray(body.nodes) || body.nodes.length === 0) throw bad('nodes: must be a non-empty list of { type, id }')
  if (body.nodes.length > limits.maxBatchNodes)
    throw bad(`nodes: ${body.nodes.length} nodes are above the service's limit of ${limits.maxBatchNodes}`)
  const nodes = (body.nodes as unknown[]).map((n, i) => {
    if (!isObject(n)) throw bad(`nodes[${i}]: must be an object { type, id }`)
    return nodeRef(schema, n.type, n.id, `nodes[${i}]`)
  })
  const select = names(body.select, 'select')
  return { nodes, ...(select ? { select } : {}) }
}

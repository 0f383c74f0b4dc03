/**
 * The graph routes of the query service, attached to an HttpServer:
 *
 *   GET  /v1/nodes/{type}/{id}?select=a,b                     a node (404 when not stored)
 *   POST /v1/nodes:batch        { nodes: [{type, id}], select? } several nodes, in order (null: not stored)
 *   GET  /v1/nodes/{type}/{id}/edges/{edgeType}?direction=out|in&limit=&order=latest|any&lookback=&prefix=&page=&select=&format=json|dot|mermaid
 *   POST /v1/traverse           { start, hops: [{edge, direction?, limit?, lookback?, order?, prefix?}], excludeVisited?, select?, format? }
 *   GET  /v1/schema             the graph schema requests are checked against
 *
 * @example
 * graphRoutes(http, { query: new GraphQuery(store, schema), schema, limits })
 */
import type { GraphQuery, NodeView } from '../store/graph-query.ts'
import type { GraphSchema } from '../graph/schema.ts'
import { HttpError } from './errors.ts'
import { drawing } from './formats.ts'
import type { HttpServer } from './http.ts'
import type { ServingLimits } from './limits.ts'
import { batchRequest, format, neighborOptions, nodeRef, selectList, traversalRequest } from './validation.ts'

export interface GraphRoutesDeps {
  readonly query: GraphQuery
  readonly schema: GraphSchema
  readonly limits: ServingLimits
}

const nodeJson = (n: NodeView) => ({ type: n.ref.type, id: n.ref.id, properties: n.properties, eventTime: n.eventTime })

export function graphRoutes(http: HttpServer, deps: GraphRoutesDeps): void {
  const { query, schema, limits } = deps

  http.route('GET', '/v1/schema', () => ({ body: schema }))

  http.route('GET', '/v1/nodes/{type}/{id}', async (req) => {
    for (const k of req.query.keys())
      if (k !== 'select') throw new HttpError(400, `unknown query parameter ${JSON.stringify(k)}`, 'use select')
    const ref = nodeRef(schema, req.params.type, req.params.id)
    const node = await query.getNode(ref, selectList(req.query.get('select')))
    if (!node) throw new HttpError(404, `no ${ref.type} ${JSON.stringify(ref.id)} in the graph`)
    return { body: nodeJson(node) }
  })

  http.route('POST', '/v1/nodes:batch', async (req) => {
    const { nodes, select } = batchRequest(schema, limits, req.body)
    const views = await query.getNodes(nodes, select)
    return { body: { nodes: views.map((v) => (v ? nodeJson(v) : null)) } }
  })

  http.route('GET', '/v1/nodes/{type}/{id}/edges/{edgeType}', async (req) => {
    const ref = nodeRef(schema, req.params.type, req.params.id)
    const { edge, ...options } = neighborOptions(schema, limits, ref, req.params.edgeType!, req.query)
    const fmt = format(req.query.get('format') ?? undefined)
    const page = await query.neighbors(ref, edge, options)
    if (fmt !== 'json') return drawing(fmt, ref, [{ hop: { edge, ...options }, reached: page.neighbors.map((n) => ({ ...n, from: ref })) }])
    return { body: { node: ref, edge, direction: options.direction, neighbors: page.neighbors, next: page.next } }
  })

  http.route('POST', '/v1/traverse', async (req) => {
    const t = traversalRequest(schema, limits, req.body)
    const steps = await query.traverse(t.start, t.hops, {
      excludeVisited: t.excludeVisited,
      maxFrontier: limits.maxFrontier,
      maxEdgesPerHop: limits.maxEdgesPerHop,
      signal: req.signal,
    })
    if (t.format !== 'json') return drawing(t.format, t.start, steps)
    return {
      body: {
        start: t.start,
        steps: steps.map((s) => ({
          hop: {
            edge: s.hop.edge,
            direction: s.hop.direction,
            limit: s.hop.limit,
            order: s.hop.order,
            ...(s.hop.lookbackMs !== undefined ? { lookbackMs: s.hop.lookbackMs } : {}),
          },
          nodes: new Set(s.reached.map((r) => `${r.node.type}:${r.node.id}`)).size,
          reached: s.reached,
        })),
      },
    }
  })
}

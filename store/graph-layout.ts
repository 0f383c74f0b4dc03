/**
 * How the graph lies in KV namespaces: one namespace per node type (`node.<type>`:
 * record = node id, one item `props`) and per edge type (`edge.<type>`: record = source
 * id, one item per destination `<dstType>:<dstId>`); a two-directional edge type also
 * keeps the reverse adjacency list `edge.<type>.in` (record = destination id).
 *
 * @example
 * writesFor(schema, edge) // [{ namespace: 'edge.has_profile', recordId: 'a1', item: { key: 'profile:p1', ... } }, ...]
 */
import type { KvWrite } from './kv/api.ts'
import type { GraphPrimitive, NodeRef } from '../graph/model.ts'
import type { GraphSchema } from '../graph/schema.ts'

export const nodeNamespace = (type: string): string => `node.${type}`
export const edgeNamespace = (type: string, direction: 'out' | 'in' = 'out'): string =>
  direction === 'out' ? `edge.${type}` : `edge.${type}.in`
export const PROPS_ITEM = 'props'
export const refItemKey = (ref: NodeRef): string => `${ref.type}:${ref.id}`

export function parseRefItemKey(key: string): NodeRef {
  const at = key.indexOf(':')
  return { type: key.slice(0, at), id: key.slice(at + 1) }
}

export function writesFor(schema: GraphSchema, p: GraphPrimitive): KvWrite[] {
  if (p.kind === 'node') {
    return [{ namespace: nodeNamespace(p.type), recordId: p.id, item: { key: PROPS_ITEM, value: p.properties, eventTime: p.eventTime } }]
  }
  const out: KvWrite[] = [
    { namespace: edgeNamespace(p.type), recordId: p.src.id, item: { key: refItemKey(p.dst), value: p.properties, eventTime: p.eventTime } },
  ]
  if (schema.edges[p.type]?.direction === 'both') {
    out.push({
      namespace: edgeNamespace(p.type, 'in'),
      recordId: p.dst.id,
      item: { key: refItemKey(p.src), value: p.properties, eventTime: p.eventTime },
    })
  }
  return out
}

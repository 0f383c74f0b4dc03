/**
 * The property graph that jobs produce and the KV layer stores.
 *
 * A node is identified by (type, id); an edge by (type, source node, destination node).
 * Properties are flat JSON-compatible values. `eventTime` is the time of the event that
 * last set them; stores use it for last-writer-wins, so replays never roll data back.
 *
 * @example
 * const account: GraphNode = { kind: 'node', type: 'account', id: 'a1', properties: { plan: 'premium' }, eventTime: 1_700_000_000_000 }
 * const edge: GraphEdge = { kind: 'edge', type: 'has_profile', src: { type: 'account', id: 'a1' }, dst: { type: 'profile', id: 'p1' }, properties: {}, eventTime: 1_700_000_000_000 }
 */

export type PropertyValue = string | number | boolean | null
export type Properties = Readonly<Record<string, PropertyValue>>

export interface NodeRef {
  readonly type: string
  readonly id: string
}

export interface GraphNode {
  readonly kind: 'node'
  readonly type: string
  readonly id: string
  readonly properties: Properties
  readonly eventTime: number
}

export interface GraphEdge {
  readonly kind: 'edge'
  readonly type: string
  readonly src: NodeRef
  readonly dst: NodeRef
  readonly properties: Properties
  readonly eventTime: number
}

export type GraphPrimitive = GraphNode | GraphEdge

/** The identity a primitive is deduplicated and stored under: `n|type|id` or `e|type|srcType|srcId|dstType|dstId`. */
export function identityOf(p: GraphPrimitive): string {
  return p.kind === 'node' ? nodeIdentity(p.type, p.id) : edgeIdentity(p.type, p.src.type, p.src.id, p.dst.type, p.dst.id)
}

/** identityOf for a node given by its parts (no primitive object needed). */
export function nodeIdentity(type: string, id: string): string {
  return `n|${type}|${id}`
}

/** identityOf for an edge given by its parts. */
export function edgeIdentity(type: string, srcType: string, srcId: string, dstType: string, dstId: string): string {
  return `e|${type}|${srcType}|${srcId}|${dstType}|${dstId}`
}

/**
 * How the graph lies in KV namespaces: one namespace per node type (`node.<type>`:
 * record = node id, one item `props`) and per edge type (`edge.<type>`: record = source
 * id, one item per destination `<dstType>:<dstId>`); a two-directional edge type also
 * keeps the reverse adjacency list `edge.<type>.in` (record = destination id).
 *
 * The recent-edge index (`edge.<type>.latest`, `edge.<type>.in.latest`) of the lists an
 * edge type declares with `latestIndex`: the same edges keyed newest first, item key = the edge's event time, inverted and sortable, followed by
 * the neighbour's item key; no value. LATEST reads walk it instead of sorting a whole
 * adjacency list. An edge rewritten with a newer time leaves its older index entries
 * behind, so a reader keeps only entries whose time is the adjacency list's current one
 * (store/recent-index.ts).
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

export const recentNamespace = (type: string, direction: 'out' | 'in' = 'out'): string => `${edgeNamespace(type, direction)}.latest`

/** Width of the time part of a recent-index item key. */
const TIME_CHARS = 16
const timeBits = new DataView(new ArrayBuffer(8))

/**
 * The recent-index item key of an edge: 16 hex digits that sort (as text) from the newest
 * event time to the oldest, exactly for every double, then the neighbour's item key; so
 * index order is (time descending, neighbour key ascending), LATEST's order.
 */
export function recentItemKey(eventTime: number, neighborKey: string): string {
  timeBits.setFloat64(0, eventTime)
  let hi = timeBits.getUint32(0)
  let lo = timeBits.getUint32(4)
  // IEEE 754 bits as an ascending unsigned order (negatives: all bits flipped; others: the sign bit),
  // then all bits flipped again for descending
  if (hi & 0x80000000) {
    hi = ~hi >>> 0
    lo = ~lo >>> 0
  } else hi = (hi | 0x80000000) >>> 0
  hi = ~hi >>> 0
  lo = ~lo >>> 0
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0') + neighborKey
}

/** The event time and neighbour item key a recent-index item key was made from. */
export function parseRecentItemKey(key: string): { eventTime: number; neighborKey: string } {
  let hi = ~Number.parseInt(key.slice(0, 8), 16) >>> 0
  let lo = ~Number.parseInt(key.slice(8, TIME_CHARS), 16) >>> 0
  if (hi & 0x80000000) hi = (hi & 0x7fffffff) >>> 0
  else {
    hi = ~hi >>> 0
    lo = ~lo >>> 0
  }
  timeBits.setUint32(0, hi)
  timeBits.setUint32(4, lo)
  return { eventTime: timeBits.getFloat64(0), neighborKey: key.slice(TIME_CHARS) }
}

/** Which adjacency lists of an edge type get recent-index entries. */
export interface IndexedLists {
  readonly out: boolean
  readonly in: boolean
}

export interface LayoutOptions {
  /** Edge type → the lists whose recent-edge index to write (those the store keeps complete: store/recent-index.ts). */
  readonly recentIndexes?: ReadonlyMap<string, IndexedLists>
}

/** The recent-index namespaces (`written`, from openRecentIndexes) as LayoutOptions' per-type lookup. */
export function indexedListsOf(schema: GraphSchema, written: ReadonlySet<string>): ReadonlyMap<string, IndexedLists> {
  const out = new Map<string, IndexedLists>()
  for (const type of Object.keys(schema.edges)) {
    const lists = { out: written.has(recentNamespace(type)), in: written.has(recentNamespace(type, 'in')) }
    if (lists.out || lists.in) out.set(type, lists)
  }
  return out
}

export function writesFor(schema: GraphSchema, p: GraphPrimitive, options: LayoutOptions = {}): KvWrite[] {
  if (p.kind === 'node') {
    return [{ namespace: nodeNamespace(p.type), recordId: p.id, item: { key: PROPS_ITEM, value: p.properties, eventTime: p.eventTime } }]
  }
  const out: KvWrite[] = []
  const indexed = options.recentIndexes?.get(p.type)
  const dstKey = refItemKey(p.dst)
  out.push({ namespace: edgeNamespace(p.type), recordId: p.src.id, item: { key: dstKey, value: p.properties, eventTime: p.eventTime } })
  if (indexed?.out)
    out.push({
      namespace: recentNamespace(p.type),
      recordId: p.src.id,
      item: { key: recentItemKey(p.eventTime, dstKey), value: null, eventTime: p.eventTime },
    })
  if (schema.edges[p.type]?.direction === 'both') {
    const srcKey = refItemKey(p.src)
    out.push({
      namespace: edgeNamespace(p.type, 'in'),
      recordId: p.dst.id,
      item: { key: srcKey, value: p.properties, eventTime: p.eventTime },
    })
    if (indexed?.in)
      out.push({
        namespace: recentNamespace(p.type, 'in'),
        recordId: p.dst.id,
        item: { key: recentItemKey(p.eventTime, srcKey), value: null, eventTime: p.eventTime },
        immutable: true,
      })
  }
  return out
}

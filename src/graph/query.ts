/**
 * Reading the graph: a node, the neighbours of a node over one edge type (out or in,
 * LATEST or ANY order, limit, lookback on the edge's event time), and breadth-first
 * traversals with every lookup of a hop issued together.
 *
 * @example
 * const g = new GraphReader(store, schema)
 * await g.neighbors({ type: 'profile', id: 'p1' }, 'started_watching', { order: 'latest', limit: 10 })
 * await g.traverse({ type: 'account', id: 'a1' }, [{ edge: 'has_profile' }, { edge: 'started_watching' }])
 */
import type { KvItem, KvStore } from '../kv/types.ts'
import { edgeNamespace, nodeNamespace, parseRefItemKey, PROPS_ITEM } from './layout.ts'
import type { NodeRef, Properties } from './model.ts'
import type { GraphSchema } from './schema.ts'

export interface NodeView {
  readonly ref: NodeRef
  readonly properties: Properties
  readonly eventTime: number
}

export interface Neighbor {
  readonly node: NodeRef
  /** The edge's properties and event time. */
  readonly properties: Properties
  readonly eventTime: number
}

export interface HopOptions {
  readonly direction?: 'out' | 'in'
  /** Default 200. */
  readonly limit?: number
  readonly order?: 'latest' | 'any'
  /** Only edges whose event time is within this many ms of `now`. */
  readonly lookbackMs?: number
  readonly now?: number
  /** Only destinations whose id starts with this. */
  readonly prefix?: string
}

export interface Hop extends HopOptions {
  readonly edge: string
}

export interface TraversalStep {
  readonly hop: Hop
  /** Reached nodes, each with the edge that reached it and where from. */
  readonly reached: Array<Neighbor & { from: NodeRef }>
}

export class GraphReader {
  constructor(
    private readonly store: KvStore,
    private readonly schema: GraphSchema,
  ) {}

  async node(ref: NodeRef): Promise<NodeView | null> {
    const [item] = await this.store.getRecord(nodeNamespace(ref.type), ref.id, { prefix: PROPS_ITEM, limit: 1 })
    return item ? { ref, properties: item.value as Properties, eventTime: item.eventTime } : null
  }

  async neighbors(from: NodeRef, edge: string, options: HopOptions = {}): Promise<Neighbor[]> {
    const map = await this.neighborsOfMany([from], edge, options)
    return map.get(from.id) ?? []
  }

  /** One hop from many nodes, all lookups issued together. */
  async neighborsOfMany(from: readonly NodeRef[], edge: string, options: HopOptions = {}): Promise<Map<string, Neighbor[]>> {
    const decl = this.schema.edges[edge]
    const direction = options.direction ?? 'out'
    if (decl && direction === 'in' && decl.direction !== 'both') throw new Error(`edge type ${edge} keeps no reverse adjacency list (declare direction 'both')`)
    const ns = edgeNamespace(edge, direction)
    const records = await this.store.getRecords(ns, [...new Set(from.map((f) => f.id))], options.prefix ? { prefix: options.prefix } : {})
    const out = new Map<string, Neighbor[]>()
    for (const [id, items] of records) out.set(id, this.shape(items, options))
    return out
  }

  private shape(items: KvItem[], options: HopOptions): Neighbor[] {
    let list = items.map((i) => ({ node: parseRefItemKey(i.key), properties: i.value as Properties, eventTime: i.eventTime }))
    if (options.lookbackMs !== undefined) {
      const since = (options.now ?? 0) - options.lookbackMs
      list = list.filter((n) => n.eventTime >= since)
    }
    if ((options.order ?? 'latest') === 'latest') list.sort((a, b) => b.eventTime - a.eventTime)
    return list.slice(0, options.limit ?? 200)
  }

  /** Breadth-first from `start`, one hop at a time. */
  async traverse(start: NodeRef, hops: readonly Hop[]): Promise<TraversalStep[]> {
    let frontier: NodeRef[] = [start]
    const steps: TraversalStep[] = []
    for (const hop of hops) {
      const byId = await this.neighborsOfMany(frontier, hop.edge, hop)
      const reached: Array<Neighbor & { from: NodeRef }> = []
      for (const f of frontier) for (const n of byId.get(f.id) ?? []) reached.push({ ...n, from: f })
      steps.push({ hop, reached })
      const seen = new Set<string>()
      frontier = []
      for (const r of reached) {
        const k = `${r.node.type}:${r.node.id}`
        if (!seen.has(k)) {
          seen.add(k)
          frontier.push(r.node)
        }
      }
    }
    return steps
  }
}

/**
 * Reading the graph from any KV store: a node; the neighbours of a node over one edge
 * type and direction (filter on neighbour ids, limit, pages, LATEST or ANY order, lookback
 * on the edge's event time, property selection); and breadth-first traversals where all
 * lookups of a hop go to the store as one batch.
 *
 * Orders: ANY reads the adjacency list in item-key order and stops as soon as the page is
 * full (cheap); LATEST returns the newest first (ties by neighbour key): on a store with
 * the recent-edge index it walks the index (store/recent-index.ts, reading about a page
 * of entries per node), else, and with a key filter, it reads up to `maxScan` edges of
 * each node and keeps the newest. Tokens are opaque and belong to the order they came from.
 *
 * @example
 * const g = new GraphQuery(store, schema, { clock })
 * const page = await g.neighbors({ type: 'profile', id: 'p1' }, 'started_watching', { limit: 10, lookbackMs: 7 * 86_400_000 })
 * // who else watched what p1 watched
 * const steps = await g.traverse({ type: 'profile', id: 'p1' }, [
 *   { edge: 'started_watching' },
 *   { edge: 'started_watching', direction: 'in', limit: 50 },
 * ], { excludeVisited: true })
 */
import { systemClock, type Clock } from '../base/clock.ts'
import { ConfigError } from '../base/errors.ts'
import type { KvDataStore, PageQuery, RecordRequest, StoredItem } from './kv/api.ts'
import { compareKeys, decodeToken, encodeToken } from './kv/cells.ts'
import { edgeNamespace, nodeNamespace, parseRefItemKey, PROPS_ITEM } from './graph-layout.ts'
import { hasRecentIndex, latestFromIndex } from './recent-index.ts'
import type { NodeRef, Properties } from '../graph/model.ts'
import type { GraphSchema } from '../graph/schema.ts'

export interface NodeView {
  readonly ref: NodeRef
  readonly properties: Properties
  readonly eventTime: number
}

export interface Neighbor {
  readonly node: NodeRef
  /** The edge's properties (all, or the selected ones). */
  readonly properties: Properties
  /** The edge's event time. */
  readonly eventTime: number
}

/** Filter on neighbour ids: a prefix, or a range [from, to). */
export interface KeyFilter {
  readonly prefix?: string
  readonly from?: string
  readonly to?: string
}

export interface NeighborOptions {
  /** 'out' follows edges from the node; 'in' to it (edge types declared 'both'). Default 'out'. */
  readonly direction?: 'out' | 'in'
  /** Neighbours per page (per node in a traversal). Default 100. */
  readonly limit?: number
  /** Default 'latest'. */
  readonly order?: 'latest' | 'any'
  /** Only edges whose event time is within this many ms before now (the reader's clock). */
  readonly lookbackMs?: number
  readonly keyFilter?: KeyFilter
  /** The `next` of the previous page. */
  readonly pageToken?: string | null
  /** Edge properties to return; default all. */
  readonly select?: readonly string[]
  /** LATEST reads at most this many edges (or index entries) of a node. Default 10 000. */
  readonly maxScan?: number
}

export interface NeighborPage {
  readonly neighbors: Neighbor[]
  readonly next: string | null
}

export interface Hop extends Omit<NeighborOptions, 'pageToken'> {
  readonly edge: string
  /** Also read the reached nodes' properties (true = all, or the names to keep). */
  readonly nodeProperties?: boolean | readonly string[]
}

export interface Reached extends Neighbor {
  readonly from: NodeRef
  /** The reached node's properties, when the hop asked for them (null: node not stored). */
  readonly nodeProperties?: Properties | null
}

export interface TraversalStep {
  readonly hop: Hop
  readonly reached: Reached[]
}

export interface TraverseOptions {
  /** Leave out nodes reached by an earlier hop (and the start): "who else", not "me again". */
  readonly excludeVisited?: boolean
  /** At most this many distinct nodes go on to the next hop. Default 10 000. */
  readonly maxFrontier?: number
  /** At most about this many edges read by one hop: the frontier is cut to this / the next hop's limit. Default unbounded. */
  readonly maxEdgesPerHop?: number
  /** Checked before each hop: an aborted traversal rejects with the signal's reason. */
  readonly signal?: AbortSignal
}

const pick = (props: Properties, select: readonly string[] | undefined): Properties => {
  if (!select) return props
  const out: Record<string, Properties[string]> = {}
  for (const k of select) if (k in props) out[k] = props[k]!
  return out
}
const refKey = (r: NodeRef) => `${r.type}:${r.id}`

/** Newest first, ties by key. */
const byNewest = (a: StoredItem, b: StoredItem) => b.eventTime - a.eventTime || compareKeys(a.key, b.key)

/** The `k` newest items that pass `keep`, newest first: one pass, a small sorted buffer (k is a page, the list may be long). */
function newest(items: readonly StoredItem[], keep: (i: StoredItem) => boolean, k: number): StoredItem[] {
  const top: StoredItem[] = []
  for (const i of items) {
    if (!keep(i)) continue
    if (top.length === k && byNewest(i, top[k - 1]!) >= 0) continue
    // insertion by binary search; the buffer stays sorted
    let lo = 0
    let hi = top.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (byNewest(top[mid]!, i) <= 0) lo = mid + 1
      else hi = mid
    }
    top.splice(lo, 0, i)
    if (top.length > k) top.pop()
  }
  return top
}

/** Per-node progress of one hop. */
interface Cursor {
  readonly node: NodeRef
  readonly found: StoredItem[]
  kvToken: string | null
  done: boolean
  next: string | null
}

/** How long a store found without the recent-edge index is taken at its word before asking again (a job may be creating it). */
const RECENT_INDEX_RECHECK_MS = 5_000

export class GraphQuery {
  private readonly clock: Clock
  /** Per index namespace: whether the store has it complete, and when that was asked. */
  private readonly recentIndexes = new Map<string, { indexed: Promise<boolean>; at: number }>()

  constructor(
    private readonly store: KvDataStore,
    private readonly schema: GraphSchema,
    options: { readonly clock?: Clock } = {},
  ) {
    this.clock = options.clock ?? systemClock
  }

  /** A node and its properties, or null. */
  async getNode(ref: NodeRef, select?: readonly string[]): Promise<NodeView | null> {
    return (await this.getNodes([ref], select))[0]!
  }

  /** Several nodes in one batch, in order. */
  async getNodes(refs: readonly NodeRef[], select?: readonly string[]): Promise<Array<NodeView | null>> {
    const pages = await this.store.readRecords(
      refs.map((r) => ({ namespace: nodeNamespace(r.type), recordId: r.id, query: { keys: [PROPS_ITEM] } })),
    )
    return pages.map((p, i) => {
      const item = p.items[0]
      return item ? { ref: refs[i]!, properties: pick(item.value as Properties, select), eventTime: item.eventTime } : null
    })
  }

  /** One page of the neighbours of a node over an edge type. */
  async neighbors(node: NodeRef, edge: string, options: NeighborOptions = {}): Promise<NeighborPage> {
    return (await this.neighborsOfMany([node], edge, options))[0]!
  }

  /** The first page of neighbours of each node, all lookups issued together; results in order. */
  async neighborsOfMany(nodes: readonly NodeRef[], edge: string, options: NeighborOptions = {}): Promise<NeighborPage[]> {
    const decl = this.schema.edges[edge]
    if (!decl) throw new ConfigError(`unknown edge type "${edge}"`, `known: ${Object.keys(this.schema.edges).join(', ') || '(none)'}`)
    const direction = options.direction ?? 'out'
    if (direction === 'in' && decl.direction !== 'both')
      throw new ConfigError(`edge type "${edge}" keeps no reverse adjacency list`, `declare it with direction 'both' to follow it --in`)
    for (const n of nodes) {
      const expected = direction === 'out' ? decl.from : decl.to
      if (n.type !== expected)
        throw new ConfigError(`edge type "${edge}" ${direction === 'out' ? 'leaves' : 'reaches'} ${expected} nodes, not ${n.type}`)
    }
    const limit = options.limit ?? 100
    if (!(Number.isInteger(limit) && limit > 0)) throw new ConfigError(`limit must be a positive integer, got ${String(limit)}`)
    if (options.lookbackMs !== undefined && !(options.lookbackMs >= 0))
      throw new ConfigError(`lookback must be >= 0 ms, got ${String(options.lookbackMs)}`)
    const otherType = direction === 'out' ? decl.to : decl.from
    const since = options.lookbackMs !== undefined ? this.clock.now() - options.lookbackMs : Number.NEGATIVE_INFINITY
    const selector = this.selector(otherType, options.keyFilter)
    const namespace = edgeNamespace(edge, direction)
    const order = options.order ?? 'latest'
    const token = options.pageToken ? decodeToken(options.pageToken, ['o']) : null
    if (token && token.o !== order) throw new ConfigError(`this page token belongs to order ${token.o}, not ${order}`)

    const maxScan = options.maxScan ?? 10_000
    const filtered = options.keyFilter && (options.keyFilter.prefix ?? options.keyFilter.from ?? options.keyFilter.to) !== undefined
    const pages =
      order === 'any'
        ? await this.any(nodes, namespace, selector, since, limit, token)
        : !filtered && (await this.indexed(edge, direction))
          ? await this.latestIndexed(nodes, edge, direction, since, limit, maxScan, token)
          : await this.latest(nodes, namespace, selector, since, limit, maxScan, token)
    return pages.map((p) => ({
      neighbors: p.items.map((i) => ({
        node: parseRefItemKey(i.key),
        properties: pick(i.value as Properties, options.select),
        eventTime: i.eventTime,
      })),
      next: p.next,
    }))
  }

  private selector(type: string, f: KeyFilter | undefined): PageQuery {
    if (!f || (f.prefix === undefined && f.from === undefined && f.to === undefined)) return { prefix: `${type}:` }
    if (f.prefix !== undefined) {
      if (f.from !== undefined || f.to !== undefined) throw new ConfigError('a key filter takes a prefix or a range, not both')
      return { prefix: `${type}:${f.prefix}` }
    }
    return { range: { from: `${type}:${f.from ?? ''}`, to: f.to !== undefined ? `${type}:${f.to}` : `${type};` } }
  }

  /** Key order: read KV pages (all nodes per round in one batch) until each page is full of edges inside the lookback. */
  private async any(
    nodes: readonly NodeRef[],
    namespace: string,
    selector: PageQuery,
    since: number,
    limit: number,
    token: Record<string, string> | null,
  ): Promise<Array<{ items: StoredItem[]; next: string | null }>> {
    const cursors: Cursor[] = nodes.map((node) => ({ node, found: [], kvToken: token?.k ?? null, done: false, next: null }))
    for (let open = cursors; open.length > 0; open = cursors.filter((c) => !c.done)) {
      const requests: RecordRequest[] = open.map((c) => ({
        namespace,
        recordId: c.node.id,
        query: { ...selector, limit: limit - c.found.length, pageToken: c.kvToken },
      }))
      const pages = await this.store.readRecords(requests)
      open.forEach((c, i) => {
        const page = pages[i]!
        for (const item of page.items) if (item.eventTime >= since) c.found.push(item)
        c.kvToken = page.next
        if (c.found.length >= limit || !page.next) {
          c.done = true
          const last = c.found[c.found.length - 1]
          // resume after the last edge returned (an item-key token, as every KV backend hands out)
          c.next = page.next && last ? encodeToken({ o: 'any', k: encodeToken({ k: last.key }) }) : null
        }
      })
    }
    return cursors.map((c) => ({ items: c.found, next: c.next }))
  }

  /** Whether the store has the recent-edge index of these lists (asked again after a while when it had not). */
  private indexed(edge: string, direction: 'out' | 'in'): Promise<boolean> {
    const key = `${edge}\u0000${direction}`
    const now = this.clock.now()
    const known = this.recentIndexes.get(key)
    if (known && now - known.at < RECENT_INDEX_RECHECK_MS) return known.indexed
    const ask = () => hasRecentIndex(this.store, edge, direction)
    const indexed = (known ? known.indexed.then((yes) => yes || ask()) : ask()).catch(() => {
      this.recentIndexes.delete(key) // a failed look is not remembered
      return false
    })
    this.recentIndexes.set(key, { indexed, at: now })
    return indexed
  }

  /** Newest first through the recent-edge index. */
  private async latestIndexed(
    nodes: readonly NodeRef[],
    edge: string,
    direction: 'out' | 'in',
    since: number,
    limit: number,
    maxScan: number,
    token: Record<string, string> | null,
  ): Promise<Array<{ items: StoredItem[]; next: string | null }>> {
    const after = token ? { eventTime: Number(token.t), key: token.k! } : null
    const pages = await latestFromIndex(this.store, { nodes, edge, direction, since, limit, maxScan, after })
    return pages.map((p) => ({
      items: p.items,
      next: p.next ? encodeToken({ o: 'latest', t: String(p.next.eventTime), k: p.next.key }) : null,
    }))
  }

  /** Newest first: read each node's edges (up to maxScan, one batch), sort by event time, page by (time, key). */
  private async latest(
    nodes: readonly NodeRef[],
    namespace: string,
    selector: PageQuery,
    since: number,
    limit: number,
    maxScan: number,
    token: Record<string, string> | null,
  ): Promise<Array<{ items: StoredItem[]; next: string | null }>> {
    const pages = await this.store.readRecords(nodes.map((n) => ({ namespace, recordId: n.id, query: { ...selector, limit: maxScan } })))
    const afterT = token ? Number(token.t) : null
    const afterK = token?.k ?? null
    return pages.map((p) => {
      // the newest limit + 1 after the token, without sorting the whole list (a wide node has thousands)
      const eligible = (i: StoredItem) =>
        i.eventTime >= since && (afterT === null || i.eventTime < afterT || (i.eventTime === afterT && compareKeys(i.key, afterK!) > 0))
      const top = newest(p.items, eligible, limit + 1)
      const items = top.slice(0, limit)
      const last = items[items.length - 1]
      return { items, next: top.length > limit && last ? encodeToken({ o: 'latest', t: String(last.eventTime), k: last.key }) : null }
    })
  }

  /** Breadth-first from `start`: each hop looks up every node of the frontier in one batch. */
  async traverse(start: NodeRef, hops: readonly Hop[], options: TraverseOptions = {}): Promise<TraversalStep[]> {
    const maxFrontier = options.maxFrontier ?? 10_000
    const visited = new Set([refKey(start)])
    let frontier: NodeRef[] = [start]
    const steps: TraversalStep[] = []
    for (const hop of hops) {
      options.signal?.throwIfAborted()
      if (options.maxEdgesPerHop !== undefined)
        frontier = frontier.slice(0, Math.max(1, Math.floor(options.maxEdgesPerHop / (hop.limit ?? 100))))
      const pages = frontier.length > 0 ? await this.neighborsOfMany(frontier, hop.edge, hop) : []
      let reached: Reached[] = []
      const next = new Map<string, NodeRef>()
      for (let i = 0; i < pages.length; i++) {
        const from = frontier[i]!
        for (const n of pages[i]!.neighbors) {
          const key = refKey(n.node)
          if (options.excludeVisited && visited.has(key)) continue
          reached.push({ node: n.node, properties: n.properties, eventTime: n.eventTime, from })
          if (next.size < maxFrontier && !next.has(key)) next.set(key, n.node)
        }
      }
      if (hop.nodeProperties) {
        const refs = [...next.values()]
        const views = await this.getNodes(refs, hop.nodeProperties === true ? undefined : hop.nodeProperties)
        const byKey = new Map(refs.map((r, i) => [refKey(r), views[i]?.properties ?? null]))
        reached = reached.map((r) => ({ ...r, nodeProperties: byKey.get(refKey(r.node)) ?? null }))
      }
      steps.push({ hop, reached })
      for (const k of next.keys()) visited.add(k)
      frontier = [...next.values()]
    }
    return steps
  }
}

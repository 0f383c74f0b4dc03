/**
 * The recent-edge index (layout in graph-layout.ts) of the adjacency lists an edge type
 * declares with `latestIndex`: whether a store has it, and LATEST reads through it.
 *
 * Completeness: an index that misses edges would make LATEST miss them. So a store has the
 * index of an adjacency namespace only when a marker (`graph.meta` / `layout` /
 * `latest:<namespace>`) says every writer since its first edge wrote it: a graph sink puts
 * the marker when it opens a store whose namespace holds no edge yet, and keeps the index
 * only where the marker is. A namespace written before its type declared the index keeps
 * working: LATEST there reads whole adjacency lists (rebuild the store to index it).
 *
 * Reading: walk the node's index newest first in small pages, stop at the lookback, and
 * keep an entry only when the adjacency list holds that neighbour with exactly the entry's
 * event time. So the answer equals sorting the adjacency list, whatever stale entries
 * rewrites, replays or deletes left in the index. All nodes of a traversal hop go to the
 * store together, two batched reads per round (index pages, then the adjacency items).
 *
 * Left alone: stale entries are not removed (a rewrite does not know the older time on
 * every backend); a namespace TTL on `edge.*` bounds them along with the edges.
 *
 * @example
 * const { written } = await openRecentIndexes(store, schema) // in a sink's open()
 * if (await hasRecentIndex(store, 'started_watching', 'in')) pages = await latestFromIndex(store, request)
 */
import type { KvDataStore, RecordRequest, StoredItem } from './kv/api.ts'
import { encodeToken } from './kv/cells.ts'
import { edgeNamespace, parseRecentItemKey, recentItemKey, recentNamespace } from './graph-layout.ts'
import type { NodeRef } from '../graph/model.ts'
import { indexedDirections, type GraphSchema } from '../graph/schema.ts'

const META_NAMESPACE = 'graph.meta'
const LAYOUT_RECORD = 'layout'
const markerKey = (indexNamespace: string) => `latest:${indexNamespace}`

/** Whether the store has a complete recent-edge index of this edge type and direction. */
export async function hasRecentIndex(store: KvDataStore, edge: string, direction: 'out' | 'in'): Promise<boolean> {
  const page = await store.readRecord(META_NAMESPACE, LAYOUT_RECORD, { keys: [markerKey(recentNamespace(edge, direction))] })
  return page.items.length > 0
}

export interface OpenedIndexes {
  /** The index namespaces to write. */
  readonly written: ReadonlySet<string>
  /** `edge (direction)` of the declared indexes this store cannot have: their lists were written without one. */
  readonly incomplete: readonly string[]
}

/**
 * For a writer: which declared indexes to write into this store. Marks the index of an
 * adjacency namespace that holds no edge yet as complete; one that already holds edges
 * without the marker is left out (it would stay incomplete).
 */
export async function openRecentIndexes(store: KvDataStore, schema: GraphSchema): Promise<OpenedIndexes> {
  const written = new Set<string>()
  const incomplete: string[] = []
  for (const [edge, decl] of Object.entries(schema.edges))
    for (const direction of indexedDirections(decl)) {
      const indexNs = recentNamespace(edge, direction)
      if (!(await hasRecentIndex(store, edge, direction))) {
        const existing = await store.scanNamespace(edgeNamespace(edge, direction), { limit: 1 })
        if (existing.items.length > 0) {
          incomplete.push(`${edge} (${direction})`)
          continue
        }
        await store.putItems([
          { namespace: META_NAMESPACE, recordId: LAYOUT_RECORD, item: { key: markerKey(indexNs), value: { version: 1 }, eventTime: 0 } },
        ])
      }
      written.add(indexNs)
    }
  return { written, incomplete }
}

export interface LatestRequest {
  readonly nodes: readonly NodeRef[]
  readonly edge: string
  readonly direction: 'out' | 'in'
  /** Only edges at or after this event time. */
  readonly since: number
  readonly limit: number
  /** Index entries read per node at most (a bound on the work of one page). */
  readonly maxScan: number
  /** Resume after this (time, neighbour key): the previous page's last edge. */
  readonly after: { readonly eventTime: number; readonly key: string } | null
}

export interface LatestPage {
  readonly items: StoredItem[]
  /** Resume point: the last edge returned, or the last index entry read when maxScan cut the page short. */
  readonly next: { readonly eventTime: number; readonly key: string } | null
}

interface Cursor {
  readonly node: NodeRef
  readonly found: StoredItem[]
  kvToken: string | null
  scanned: number
  /** The last index entry read. */
  last: { eventTime: number; key: string } | null
  done: boolean
  /** Stopped by maxScan with entries left. */
  cut: boolean
}

/** Stored event times come back exactly, except through Cassandra's µs write times. */
const sameTime = (a: number, b: number) => Math.abs(a - b) < 0.001

/** LATEST pages of several nodes from the index: the newest `limit` edges after `after`, verified against the adjacency lists. */
export async function latestFromIndex(store: KvDataStore, r: LatestRequest): Promise<LatestPage[]> {
  const indexNs = recentNamespace(r.edge, r.direction)
  const edgeNs = edgeNamespace(r.edge, r.direction)
  const start = r.after ? encodeToken({ k: recentItemKey(r.after.eventTime, r.after.key) }) : null
  const cursors: Cursor[] = r.nodes.map((node) => ({ node, found: [], kvToken: start, scanned: 0, last: null, done: false, cut: false }))
  for (let open = cursors; open.length > 0; open = open.filter((c) => !c.done)) {
    // a page of index entries per node: what is still wanted, with room for some stale ones
    const pages = await store.readRecords(
      open.map((c): RecordRequest => {
        const want = Math.min(r.maxScan - c.scanned, Math.max(16, 2 * (r.limit + 1 - c.found.length)))
        return { namespace: indexNs, recordId: c.node.id, query: { limit: want, pageToken: c.kvToken } }
      }),
    )
    const candidates = open.map((c, i) => {
      const page = pages[i]!
      const entries: Array<{ eventTime: number; key: string }> = []
      let belowLookback = false
      for (const item of page.items) {
        const e = parseRecentItemKey(item.key)
        if (e.eventTime < r.since) {
          belowLookback = true
          break
        }
        entries.push({ eventTime: e.eventTime, key: e.neighborKey })
      }
      c.scanned += page.items.length
      c.kvToken = page.next
      if (entries.length > 0) c.last = entries[entries.length - 1]!
      c.done = belowLookback || !page.next
      if (!c.done && c.scanned >= r.maxScan) c.done = c.cut = true
      return entries
    })
    const current = await store.readRecords(
      open.map((c, i) => ({ namespace: edgeNs, recordId: c.node.id, query: { keys: candidates[i]!.map((e) => e.key) } })),
    )
    open.forEach((c, i) => {
      const byKey = new Map(current[i]!.items.map((item) => [item.key, item]))
      for (const e of candidates[i]!) {
        const item = byKey.get(e.key)
        if (item && sameTime(item.eventTime, e.eventTime)) c.found.push(item)
        if (c.found.length > r.limit) {
          c.done = true
          c.cut = false
          break
        }
      }
    })
  }
  return cursors.map((c) => {
    const items = c.found.slice(0, r.limit)
    const lastItem = items[items.length - 1]
    if (c.found.length > r.limit && lastItem) return { items, next: { eventTime: lastItem.eventTime, key: lastItem.key } }
    return { items, next: c.cut ? c.last : null }
  })
}

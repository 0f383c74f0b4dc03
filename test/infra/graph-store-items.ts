/**
 * Everything a job's graph left in a RocksDB graph store, as one map to compare two
 * stores with: `namespace|record|item` → value and event time, over the node and edge
 * namespaces of the job's graph schema (reverse adjacency lists included).
 *
 * @example
 * expect(await storeItems(dirA, job.graph, isSentinel)).toEqual(await storeItems(dirB, job.graph, isSentinel))
 */
import { edgeNamespace, nodeNamespace } from '../../store/graph-layout.ts'
import type { GraphSchema } from '../../graph/schema.ts'
import type { KvDataStore } from '../../store/kv/api.ts'
import { RocksDbKvStore } from '../../store/kv/rocksdb-kv.ts'

export type StoreItems = Map<string, { value: unknown; eventTime: number }>

/** `skip(id)` leaves out records and items whose id it matches (e.g. sentinel events). */
export async function storeItems(dir: string, graph: GraphSchema, skip: (id: string) => boolean = () => false): Promise<StoreItems> {
  const store = await RocksDbKvStore.open(dir)
  try {
    return await itemsOf(store, graph, skip)
  } finally {
    await store.close()
  }
}

/** The same over any open store. */
export async function itemsOf(store: KvDataStore, graph: GraphSchema, skip: (id: string) => boolean = () => false): Promise<StoreItems> {
  const out: StoreItems = new Map()
  const namespaces = [
    ...Object.keys(graph.nodes).map((t) => nodeNamespace(t)),
    ...Object.entries(graph.edges).flatMap(([t, e]) =>
      e.direction === 'both' ? [edgeNamespace(t), edgeNamespace(t, 'in')] : [edgeNamespace(t)],
    ),
  ]
  for (const ns of namespaces) {
    let pageToken: string | null = null
    do {
      const page = await store.scanNamespace(ns, { limit: 1_000, pageToken })
      for (const row of page.items)
        if (!skip(row.recordId) && !skip(row.key))
          out.set(`${ns}|${row.recordId}|${row.key}`, { value: row.value, eventTime: row.eventTime })
      pageToken = page.next
    } while (pageToken)
  }
  return out
}

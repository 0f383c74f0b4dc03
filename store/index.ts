/**
 * The graph store, `import … from 'rdg/store'`: the KV API (namespace → record → sorted
 * items, last-writer-wins by event time) with its in-memory, RocksDB and Cassandra
 * backends and namespace routing; the graph's layout in KV namespaces; `GraphQuery` to
 * read nodes, neighbours and traversals; and the KV graph sink jobs write through.
 *
 * @example
 * import { runJob } from 'rdg'
 * import { GraphQuery, InMemoryKvStore, KvGraphSink } from 'rdg/store'
 *
 * const kv = new InMemoryKvStore()
 * const sink = new KvGraphSink({ store: kv, schema: clicks.graph, onReject: (letter) => console.warn(letter.reason) })
 * await runJob(clicks, { ...io, graphSinks: [sink] }).done
 * const user = await new GraphQuery(kv, clicks.graph).getNode({ type: 'user', id: 'u1' })
 * const pages = await new GraphQuery(kv, clicks.graph).neighbors({ type: 'user', id: 'u1' }, 'visited')
 */
// A package consumer's tsc checks these sources: it needs the declaration of the untyped RocksDB binding.
/// <reference path="../base/nxtedition-rocksdb.d.ts" />

// the KV API
export { RecordReads, DEFAULT_PAGE_ITEMS } from './kv/api.ts'
export type {
  KvDataStore,
  KvItem,
  KvWrite,
  KvPut,
  StoredItem,
  ItemQuery,
  PageQuery,
  RecordPage,
  RecordRequest,
  ScanQuery,
  ScanRow,
  ScanPage,
} from './kv/api.ts'
export { NamespacePolicy } from './kv/namespaces.ts'
export type { NamespaceSettings } from './kv/namespaces.ts'

// backends and routing
export { InMemoryKvStore } from './kv/memory-kv.ts'
export type { InMemoryKvStoreOptions } from './kv/memory-kv.ts'
export { RocksDbKvStore } from './kv/rocksdb-kv.ts'
export type { RocksDbKvStoreOptions } from './kv/rocksdb-kv.ts'
export { CassandraKvStore, createCassandraClient } from './kv/cassandra-kv.ts'
export type { CassandraKvStoreOptions, ConsistencyName } from './kv/cassandra-kv.ts'
export { CassandraSchema } from './kv/cassandra-schema.ts'
export type { Replication } from './kv/cassandra-schema.ts'
export { KvRouter, openKvRouter, parseKvConfig } from './kv/routing.ts'
export type { KvRoutingConfig, StoreSpec } from './kv/routing.ts'

// the graph in KV: layout, reads, the sink
export { nodeNamespace, edgeNamespace, PROPS_ITEM, refItemKey, parseRefItemKey, writesFor } from './graph-layout.ts'
export { GraphQuery } from './graph-query.ts'
export type {
  NodeView,
  Neighbor,
  NeighborOptions,
  NeighborPage,
  KeyFilter,
  Hop,
  Reached,
  TraversalStep,
  TraverseOptions,
} from './graph-query.ts'
export { KvGraphSink } from './graph-sink.ts'
export type { KvGraphSinkOptions } from './graph-sink.ts'

/**
 * KV layer throughput and latency, embedded RocksDB next to a real single-node Cassandra
 * (started and stopped here through test/infra/cassandra-server.ts):
 * - item writes/s: graph edges written through the KV graph sink (batches, bounded
 *   in-flight writes), with and without the recent-edge index (fresh stores, alternating),
 *   and raw `putItems` batches of new items and of rewrites;
 * - neighbors(100) reads: one profile's 100 neighbours per query, LATEST and ANY order,
 *   p50/p99 over sequential queries, and a traversal hop over 50 nodes at once.
 *
 *   node --import tsx bench/kv.ts [--items 200000] [--skip-cassandra]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ManualClock, systemClock } from '../base/clock.ts'
import { GraphQuery } from '../store/graph-query.ts'
import type { GraphPrimitive, NodeRef } from '../graph/model.ts'
import { playbackGraph } from '../jobs/playback-events.ts'
import type { KvDataStore, KvPut } from '../store/kv/api.ts'
import { CassandraKvStore } from '../store/kv/cassandra-kv.ts'
import { RocksDbKvStore } from '../store/kv/rocksdb-kv.ts'
import { KvGraphSink } from '../store/graph-sink.ts'
import { CassandraServer } from '../test/infra/cassandra-server.ts'
import { seededRandom } from '../connectors/generator/prng.ts'

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : undefined
}
const ITEMS = Number(arg('items') ?? 200_000)
const PROFILES = 2_000
const DEGREE = 150 // edges per profile for the read test (neighbors(100) reads 100 of them)
const QUERIES = 2_000

const rng = seededRandom

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

function edge(profile: number, title: number, t: number): GraphPrimitive {
  return {
    kind: 'edge',
    type: 'started_watching',
    src: { type: 'profile', id: `p${profile}` },
    dst: { type: 'title', id: `t${title}` },
    properties: { lastWatchTime: t, positionSec: title % 3600, deviceType: 'tv' },
    eventTime: t,
  }
}

/** Edges/s through the sink: each edge is 2 items (out and in adjacency lists), 4 with the recent-edge index. */
async function sinkWrites(store: KvDataStore, edges: number, offset: number, recentIndex = false): Promise<number> {
  const sink = new KvGraphSink({
    store,
    schema: playbackGraph,
    clock: systemClock,
    batchSize: 1_000,
    maxInFlight: 4,
    maxBuffered: 20_000,
    recentIndex,
    onReject: (l) => {
      throw new Error(l.reason)
    },
  })
  await sink.open({} as never)
  if (sink.recentIndexes.size > 0 !== recentIndex)
    throw new Error(`the sink writes recent-edge indexes ${[...sink.recentIndexes].join(', ') || 'none'}`)
  const random = rng(offset + 1)
  const t0 = performance.now()
  for (let i = 0; i < edges; i++) {
    sink.write(edge(Math.floor(random() * 50_000), Math.floor(random() * 5_000), 1_700_000_000_000 + offset + i))
    if (sink.backpressured) await sink.drain()
  }
  await sink.flush()
  await sink.close()
  return edges / ((performance.now() - t0) / 1_000)
}

/** Edges/s through the sink into fresh embedded stores, with and without the recent-edge index, alternating. */
async function indexCost(dir: string, edges: number): Promise<void> {
  const figures: Record<'with' | 'without', number[]> = { with: [], without: [] }
  for (let round = 0; round < 3; round++)
    for (const mode of round % 2 === 0 ? (['with', 'without'] as const) : (['without', 'with'] as const)) {
      const store = await RocksDbKvStore.open(join(dir, `index-cost-${round}-${mode}`))
      figures[mode].push(await sinkWrites(store, edges, 0, mode === 'with'))
      await store.close()
    }
  for (const mode of ['without', 'with'] as const)
    console.log(
      `  edges through KvGraphSink, ${mode.padEnd(7)} the recent-edge index  ${figures[mode].map(fmt).join(' / ')} edges/s  (fresh stores, ${fmt(edges)} edges each)`,
    )
}

/** `pass` 0 writes new items; later passes rewrite them with newer event times (a long-running job's steady state). */
async function rawWrites(store: KvDataStore, count: number, pass = 0): Promise<number> {
  const t0 = performance.now()
  const inFlight: Promise<void>[] = []
  for (let i = 0; i < count; i += 1_000) {
    const batch: KvPut[] = []
    for (let j = i; j < Math.min(count, i + 1_000); j++)
      batch.push({
        namespace: 'bench.raw',
        recordId: `r${j % 10_000}`,
        item: { key: `k${j}`, value: { n: j, s: 'some payload text' }, eventTime: j + pass * count },
      })
    inFlight.push(store.putItems(batch))
    if (inFlight.length >= 4) await inFlight.shift()
  }
  await Promise.all(inFlight)
  return count / ((performance.now() - t0) / 1_000)
}

async function loadNeighbors(store: KvDataStore): Promise<void> {
  const sink = new KvGraphSink({ store, schema: playbackGraph, clock: systemClock, batchSize: 1_000, maxInFlight: 4, onReject: () => {} })
  await sink.open({} as never)
  const random = rng(99)
  for (let p = 0; p < PROFILES; p++) {
    for (let e = 0; e < DEGREE; e++)
      sink.write(edge(1_000_000 + p, Math.floor(random() * 100_000), 1_600_000_000_000 + Math.floor(random() * 1e9)))
    if (sink.backpressured) await sink.drain()
  }
  await sink.flush()
}

async function reads(store: KvDataStore): Promise<string[]> {
  const g = new GraphQuery(store, playbackGraph, { clock: new ManualClock(1_700_000_000_000) })
  const random = rng(7)
  const lines: string[] = []
  for (const order of ['any', 'latest'] as const) {
    const ms: number[] = []
    for (let q = 0; q < QUERIES; q++) {
      const node: NodeRef = { type: 'profile', id: `p${1_000_000 + Math.floor(random() * PROFILES)}` }
      const t0 = performance.now()
      const page = await g.neighbors(node, 'started_watching', { limit: 100, order })
      ms.push(performance.now() - t0)
      if (page.neighbors.length !== 100) throw new Error(`expected 100 neighbours, got ${page.neighbors.length}`)
    }
    ms.sort((a, b) => a - b)
    lines.push(
      `  neighbors(100) ${order.padEnd(6)}  p50 ${pct(ms, 50).toFixed(2)} ms  p99 ${pct(ms, 99).toFixed(2)} ms  (${QUERIES} sequential queries)`,
    )
  }
  const hop: number[] = []
  for (let q = 0; q < 100; q++) {
    const nodes = Array.from({ length: 50 }, () => ({ type: 'profile', id: `p${1_000_000 + Math.floor(random() * PROFILES)}` }))
    const t0 = performance.now()
    await g.neighborsOfMany(nodes, 'started_watching', { limit: 100, order: 'any' })
    hop.push(performance.now() - t0)
  }
  hop.sort((a, b) => a - b)
  lines.push(`  one hop over 50 nodes x neighbors(100), one batch  p50 ${pct(hop, 50).toFixed(1)} ms  p99 ${pct(hop, 99).toFixed(1)} ms`)
  return lines
}

async function bench(name: string, store: KvDataStore, items: number): Promise<void> {
  console.log(`\n${name}`)
  console.log(
    `  item writes through KvGraphSink  ${fmt(2 * (await sinkWrites(store, items / 2, 0))).padStart(9)} items/s  (${fmt(items)} items, batches of 1 000, 4 in flight)`,
  )
  console.log(`  raw putItems batches             ${fmt(await rawWrites(store, items)).padStart(9)} items/s`)
  console.log(
    `  raw putItems, rewriting them     ${fmt(await rawWrites(store, items, 1)).padStart(9)} items/s  (newer event times: what a running job mostly writes)`,
  )
  await loadNeighbors(store)
  for (const line of await reads(store)) console.log(line)
}

const dir = mkdtempSync(join(tmpdir(), 'rdg-bench-kv-'))
try {
  console.log('\nembedded RocksDB: the cost of the recent-edge index')
  await indexCost(dir, ITEMS / 2)
  const rocks = await RocksDbKvStore.open(join(dir, 'rocks'))
  await bench('embedded RocksDB', rocks, ITEMS)
  await rocks.close()

  if (!process.argv.includes('--skip-cassandra')) {
    const t0 = performance.now()
    const server = await CassandraServer.start({ dir: join(dir, 'cassandra') })
    console.log(`\n(Cassandra 5.0 single node, 1 GiB heap, started in ${((performance.now() - t0) / 1_000).toFixed(1)} s)`)
    try {
      const cass = await CassandraKvStore.connect({
        contactPoints: [server.contactPoint],
        localDataCenter: server.localDataCenter,
        keyspace: 'bench_kv',
        maxConcurrency: 64,
      })
      await bench('Cassandra (cassandra-driver, LOCAL_QUORUM, one node)', cass, Math.min(ITEMS, 100_000))
      await cass.close()
    } finally {
      await server.stop()
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}

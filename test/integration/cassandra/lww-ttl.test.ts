import { afterAll, describe, expect, it } from 'vitest'
import { ManualClock, systemClock } from '../../../base/clock.ts'
import type { GraphPrimitive } from '../../../graph/model.ts'
import { edgeNamespace, nodeNamespace } from '../../../store/graph-layout.ts'
import { playbackGraph } from '../../../jobs/playback-events.ts'
import type { KvDataStore, ScanRow } from '../../../store/kv/api.ts'
import { tableNameFor } from '../../../store/kv/cassandra-schema.ts'
import { InMemoryKvStore } from '../../../store/kv/memory-kv.ts'
import { KvGraphSink } from '../../../store/graph-sink.ts'
import { cassandraFixture } from './cassandra-fixture.ts'
import { watchEdge } from '../../infra/playback-primitives.ts'

const cass = cassandraFixture('kv_lww')
const stores: KvDataStore[] = []
afterAll(async () => {
  for (const s of stores) await s.close()
})

/** A seeded stream of playback primitives with many updates of the same nodes and edges. */
function events(n: number): GraphPrimitive[] {
  let seed = 7
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648
  const out: GraphPrimitive[] = []
  for (let i = 0; i < n; i++) {
    const t = 1_700_000_000_000 + Math.floor(next() * 1_000_000)
    const profile = `p${Math.floor(next() * 40)}`
    const title = `t${Math.floor(next() * 25)}`
    if (next() < 0.2)
      out.push({ kind: 'node', type: 'title', id: title, properties: { name: `Title ${title} v${i}`, genre: 'drama' }, eventTime: t })
    else out.push(watchEdge(profile, title, t, i))
  }
  return out
}

async function scanAll(store: KvDataStore, namespace: string): Promise<Map<string, ScanRow>> {
  const out = new Map<string, ScanRow>()
  let token: string | null = null
  do {
    const page = await store.scanNamespace(namespace, { limit: 500, pageToken: token })
    for (const row of page.items) out.set(`${row.recordId}/${row.key}`, row)
    token = page.next
  } while (token)
  return out
}

async function write(store: KvDataStore, list: readonly GraphPrimitive[]): Promise<void> {
  const sink = new KvGraphSink({
    store,
    schema: playbackGraph,
    clock: systemClock,
    batchSize: 250,
    maxInFlight: 4,
    onReject: (l) => {
      throw new Error(l.reason)
    },
  })
  for (const p of list) {
    sink.write(p, p.eventTime)
    if (sink.backpressured) await sink.drain()
  }
  await sink.flush()
  await sink.close()
}

describe('Cassandra: last-writer-wins by USING TIMESTAMP, and TTLs', () => {
  it('replaying older events (in any order) leaves the newest versions in place', async () => {
    const store = await cass.store()
    stores.push(store)
    const list = events(3_000)
    const reference = new InMemoryKvStore({ clock: new ManualClock(0) })
    await write(reference, list)
    await write(store, list)
    // a replay after a restore: an older stretch again, then everything again in reverse order
    await write(store, list.slice(0, 1_200))
    await write(store, [...list].reverse())
    for (const ns of [nodeNamespace('title'), edgeNamespace('started_watching'), edgeNamespace('started_watching', 'in')]) {
      const expected = await scanAll(reference, ns)
      const actual = await scanAll(store, ns)
      expect(actual.size).toBe(expected.size)
      for (const [k, row] of expected) expect(actual.get(k), k).toEqual(row)
    }
    // the write time Cassandra keeps is the event time in microseconds
    const client = await cass.client()
    const rs = await client.execute(
      `SELECT record_id, item_key, WRITETIME(value) AS wt FROM ${cass.keyspace}.${tableNameFor(nodeNamespace('title'))}`,
    )
    const titles = await scanAll(reference, nodeNamespace('title'))
    expect(rs.rowLength).toBe(titles.size)
    for (const row of rs.rows) expect(Number(row.wt)).toBe(titles.get(`${row.record_id as string}/props`)!.eventTime * 1_000)
  })

  it('writes TTLs with each item (namespace default, per record, per item) and Cassandra expires them', async () => {
    const store = await cass.store({ namespaces: { 'edge.session*': { ttlMs: 2_000 } } })
    stores.push(store)
    await store.putItems([
      { namespace: 'edge.session_device', recordId: 's1', item: { key: 'device:d1', value: {}, eventTime: 1 } },
      { namespace: 'edge.session_device', recordId: 's1', item: { key: 'device:d2', value: {}, eventTime: 1, ttlMs: 3_600_000 } },
      { namespace: 'node.session', recordId: 's1', item: { key: 'props', value: {}, eventTime: 1 }, recordTtlMs: 7_200_000 },
    ])
    const client = await cass.client()
    const ttls = await client.execute(
      `SELECT item_key, TTL(value) AS ttl FROM ${cass.keyspace}.${tableNameFor('edge.session_device')} WHERE record_id = 's1'`,
    )
    const byKey = Object.fromEntries(ttls.rows.map((r) => [r.item_key as string, r.ttl as number]))
    expect(byKey['device:d1']).toBeGreaterThan(0)
    expect(byKey['device:d1']).toBeLessThanOrEqual(2)
    expect(byKey['device:d2']).toBeGreaterThan(3_500)
    const node = await store.getRecord('node.session', 's1')
    expect(node[0]!.expiresAt! - systemClock.now()).toBeGreaterThan(7_000_000)
    // wait for the server to expire the 2 s item (a real condition, polled with a deadline)
    const deadline = systemClock.now() + 10_000
    while ((await store.getRecord('edge.session_device', 's1')).length > 1 && systemClock.now() < deadline) await systemClock.sleep(200)
    expect((await store.getRecord('edge.session_device', 's1')).map((i) => i.key)).toEqual(['device:d2'])
  })
})

/**
 * A run writing through the KV graph sink while the real Cassandra is stopped for about
 * 30 s and restarted on the same directory and ports loses nothing: the sink retries with
 * backoff, backpressures the producer while the server is away, and every write lands.
 */
import { describe, expect, it } from 'vitest'
import { inject } from 'vitest'
import { ManualClock, systemClock } from '../../../base/clock.ts'
import { edgeNamespace, nodeNamespace } from '../../../store/graph-layout.ts'
import type { GraphPrimitive } from '../../../graph/model.ts'
import { playbackGraph } from '../../../jobs/playback-events.ts'
import type { KvDataStore, ScanRow } from '../../../store/kv/api.ts'
import { CassandraKvStore } from '../../../store/kv/cassandra-kv.ts'
import { InMemoryKvStore } from '../../../store/kv/memory-kv.ts'
import { KvGraphSink } from '../../../store/graph-sink.ts'
import { CassandraServer } from '../../infra/cassandra-server.ts'
import { watchEdge } from '../../infra/playback-primitives.ts'

const OUTAGE_MS = 30_000

function primitive(i: number): GraphPrimitive {
  const t = 1_700_000_000_000 + i * 10
  if (i % 5 === 0) return { kind: 'node', type: 'title', id: `t${i % 97}`, properties: { name: `n${i}`, genre: 'drama' }, eventTime: t }
  return watchEdge(`p${i % 300}`, `t${i % 97}`, t, i)
}

async function scanAll(store: KvDataStore, namespace: string): Promise<Map<string, ScanRow>> {
  const out = new Map<string, ScanRow>()
  let token: string | null = null
  do {
    const page = await store.scanNamespace(namespace, { limit: 1_000, pageToken: token })
    for (const row of page.items) out.set(`${row.recordId}/${row.key}`, row)
    token = page.next
  } while (token)
  return out
}

describe('Cassandra outage during a run', () => {
  it('loses nothing when the server is down for 30 s and comes back', { timeout: 420_000 }, async () => {
    const info = inject('cassandra')
    const server = CassandraServer.attach(info.dir)
    const keyspace = `kv_outage_${process.pid}`
    const store = await CassandraKvStore.connect({
      contactPoints: [info.contactPoint],
      localDataCenter: info.localDataCenter,
      keyspace,
      requestTimeoutMs: 4_000,
    })
    const retries: string[] = []
    const sink = new KvGraphSink({
      store,
      schema: playbackGraph,
      clock: systemClock,
      batchSize: 200,
      maxInFlight: 4,
      maxBuffered: 4_000,
      retry: { initialMs: 100, maxMs: 2_000 },
      onReject: (l) => {
        throw new Error(l.reason)
      },
      onRetry: (err) => retries.push((err as Error).message),
    })
    const reference = new InMemoryKvStore({ clock: new ManualClock(0) })
    const written: GraphPrimitive[] = []
    let produced = 0
    let stopProducing = false
    let backpressureSeen = false
    const TOTAL = 30_000
    let down = false

    /** The engine's loop in small: write while the sink takes more, await drain when it backpressures. */
    let producerError: unknown = null
    const producer = (async () => {
      while (produced < TOTAL && !stopProducing) {
        const p = primitive(produced++)
        sink.write(p, p.eventTime)
        written.push(p)
        if (sink.backpressured) {
          backpressureSeen = true
          await sink.drain()
        } else if (produced % 100 === 0) await systemClock.sleep(5) // about 20 000 primitives a second
      }
    })().catch((err: unknown) => {
      producerError = err
    })
    const check = () => {
      if (producerError) throw producerError
    }

    try {
      // some traffic first, then the outage
      while (produced < 3_000) {
        check()
        await systemClock.sleep(20)
      }
      await server.stop()
      down = true
      const downAt = systemClock.now()
      const producedAtStop = produced
      // The outage itself: the server stays away for OUTAGE_MS while the producer keeps going.
      while (systemClock.now() - downAt < OUTAGE_MS) {
        check()
        await systemClock.sleep(500)
      }
      expect(backpressureSeen).toBe(true) // the buffer filled and the producer was held back
      expect(retries.length).toBeGreaterThan(0)
      expect(produced).toBeLessThan(producedAtStop + 4_000 + 400) // bounded buffering while down
      await server.start() // same directory, same ports
      down = false
      await producer
      check()
      await sink.flush()
    } finally {
      stopProducing = true
      // leave a running server to the other test files even when this one failed
      if (down) await server.start().catch(() => {})
      await producer
      await sink.close()
    }

    expect(produced).toBe(TOTAL)
    const refSink = new KvGraphSink({ store: reference, schema: playbackGraph, clock: new ManualClock(0), onReject: () => {} })
    for (const p of written) refSink.write(p, p.eventTime)
    await refSink.flush()
    const reader = await CassandraKvStore.connect({ contactPoints: [info.contactPoint], localDataCenter: info.localDataCenter, keyspace })
    try {
      for (const ns of [nodeNamespace('title'), edgeNamespace('started_watching'), edgeNamespace('started_watching', 'in')]) {
        const expected = await scanAll(reference, ns)
        const actual = await scanAll(reader, ns)
        expect(actual.size, ns).toBe(expected.size)
        let same = 0
        for (const [k, row] of expected) if (JSON.stringify(actual.get(k)) === JSON.stringify(row)) same++
        expect(same, ns).toBe(expected.size)
      }
    } finally {
      await reader.close()
      await store.close()
    }
    console.log(`outage test: ${TOTAL} primitives, ${retries.length} failed attempts retried, e.g. "${retries[0]?.slice(0, 120)}"`)
  })
})

/**
 * Reading while a job writes, on a real Cassandra: `rdg-job serve --store cassandra:…`
 * (one process) answers queries while `rdg-job run --store cassandra:…` (another process)
 * ingests at a fixed rate. Every query succeeds, the graph it sees only grows and follows
 * the job's progress, and after the run (plus the cache's staleness bound) it sees what the
 * job wrote.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { systemClock } from '../../../base/clock.ts'
import { cli, post, request, startServingProcess } from '../../serving/server-process.ts'
import { cassandraFixture } from './cassandra-fixture.ts'

const cass = cassandraFixture('serving')
const base = mkdtempSync(join(tmpdir(), 'rdg-cassandra-serving-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))

interface Page {
  neighbors: Array<{ node: { id: string } }>
}

describe('rdg-job serve on Cassandra while rdg-job run writes (real server)', () => {
  it('answers every query during the run and sees its progress', { timeout: 240_000 }, async () => {
    const flag = `cassandra:${cass.info.contactPoint}/${cass.keyspace}?dc=${cass.info.localDataCenter}`
    const server = await startServingProcess(['serve', '--store', flag, '--listen', '127.0.0.1:0', '--cache-ttl', '500'])
    try {
      const job = cli(
        'run',
        'playback-events',
        '--source',
        'generator',
        '--count',
        '6000',
        '--rate',
        '1000',
        '--seed',
        '5',
        '--data-dir',
        join(base, 'jobs'),
        '--store',
        flag,
      )
      let done = false
      void job.then(() => (done = true))
      const edges = `${server.url}/v1/nodes/title/t-arcane/edges/started_watching?direction=in&limit=1000&order=any`
      const seen: number[] = []
      let queries = 0
      while (!done) {
        const r = await request(edges)
        expect(r.status, r.text).toBe(200)
        const n = (r.body as Page).neighbors.length
        const t = await post(`${server.url}/v1/traverse`, {
          start: { type: 'title', id: 't-arcane' },
          hops: [
            { edge: 'started_watching', direction: 'in', limit: 20 },
            { edge: 'started_watching', limit: 20 },
          ],
          excludeVisited: true,
        })
        expect(t.status, t.text).toBe(200)
        queries += 2
        if (seen.length === 0 || n !== seen[seen.length - 1]) seen.push(n)
      }
      const run = await job
      expect(run.code, run.err).toBe(0)
      expect(queries).toBeGreaterThanOrEqual(6)
      expect([...seen].sort((a, b) => a - b)).toEqual(seen)
      expect(seen.length).toBeGreaterThan(2)
      // past the staleness bound (cache TTL 500 ms) the service sees what the finished job wrote
      const direct = await cli(
        'query',
        'neighbors',
        'title',
        't-arcane',
        'started_watching',
        '--in',
        '--limit',
        '1000',
        '--order',
        'any',
        '--json',
        '--store',
        flag,
      )
      expect(direct.code, direct.err).toBe(0)
      const final = (JSON.parse(direct.out) as Page).neighbors.length
      // polled: the cached page may be up to 500 ms old
      const until = systemClock.now() + 10_000
      let served = -1
      while (served !== final && systemClock.now() < until) served = ((await request(edges)).body as Page).neighbors.length
      expect(served).toBe(final)
    } finally {
      await server.stop()
    }
  })
})

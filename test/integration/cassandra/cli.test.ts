/**
 * The CLI on a real Cassandra: `rdg-job run --store cassandra:…` writes the same graph
 * as a run of the same generator events into the embedded RocksDB store, and
 * `rdg-job query --store cassandra:…` reads it back.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openStoreFromFlag } from '../../../cli/store-flag.ts'
import loginJob from '../../../jobs/login-events.ts'
import { cli } from '../../infra/cli-process.ts'
import { itemsOf, storeItems } from '../../infra/graph-store-items.ts'
import { cassandraFixture } from './cassandra-fixture.ts'

const cass = cassandraFixture('cli')
const base = mkdtempSync(join(tmpdir(), 'rdg-cassandra-cli-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))
describe('rdg-job run and query with --store cassandra: (real server)', () => {
  it('writes the graph a RocksDB run writes, and queries read it back', { timeout: 180_000 }, async () => {
    const flag = `cassandra:${cass.info.contactPoint}/${cass.keyspace}?dc=${cass.info.localDataCenter}`
    const generator = ['--source', 'generator', '--count', '3000', '--seed', '4']
    const onCassandra = await cli('run', 'login-events', ...generator, '--data-dir', join(base, 'jobs-c'), '--store', flag)
    expect(onCassandra.code, onCassandra.err).toBe(0)
    expect(onCassandra.out).toMatch(/login-events: end-of-input/)
    const onRocks = await cli(
      'run',
      'login-events',
      ...generator,
      '--data-dir',
      join(base, 'jobs-r'),
      '--store',
      `rocksdb:${join(base, 'graph')}`,
    )
    expect(onRocks.code, onRocks.err).toBe(0)

    const expected = await storeItems(join(base, 'graph'), loginJob.graph)
    const store = await openStoreFromFlag(flag)
    try {
      const actual = await itemsOf(store, loginJob.graph)
      expect(expected.size).toBeGreaterThan(500)
      expect(actual.size).toBe(expected.size)
      for (const [key, item] of expected) expect(actual.get(key), key).toEqual(item)
    } finally {
      await store.close()
    }

    const someLogin = [...expected.keys()].find((k) => k.startsWith('edge.logged_in_from|'))!
    const [, account, device] = someLogin.split('|') as [string, string, string]
    const q = await cli('query', 'neighbors', 'account', account, 'logged_in_from', '--json', '--store', flag)
    expect(q.code, q.err).toBe(0)
    const page = JSON.parse(q.out) as { neighbors: Array<{ node: { type: string; id: string } }> }
    expect(page.neighbors.map((n) => `${n.node.type}:${n.node.id}`)).toContain(device)
  })
})

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../base/clock.ts'
import { ConfigError } from '../../base/errors.ts'
import { InMemoryKvStore } from '../../store/kv/memory-kv.ts'
import { KvRouter, openKvRouter, parseKvConfig } from '../../store/kv/routing.ts'
import { kvContract } from './kv-contract.ts'

const item = (namespace: string, recordId: string, key: string, eventTime = 1) => ({
  namespace,
  recordId,
  item: { key, value: key, eventTime },
})

// The router is a KV store too: the same contract, with namespaces spread over two stores.
kvContract('router over two stores', {
  time: 'manual',
  open: async (o) =>
    new KvRouter(
      new Map([
        ['a', new InMemoryKvStore(o)],
        ['b', new InMemoryKvStore(o)],
      ]),
      { 'edge.*': 'b' },
      'a',
    ),
})

describe('namespace routing', () => {
  const make = () => {
    const local = new InMemoryKvStore({ clock: new ManualClock() })
    const hot = new InMemoryKvStore({ clock: new ManualClock() })
    const cold = new InMemoryKvStore({ clock: new ManualClock() })
    const router = new KvRouter(
      new Map([
        ['local', local],
        ['hot', hot],
        ['cold', cold],
      ]),
      { 'edge.*': 'cold', 'edge.started_watching*': 'hot', 'node.title': 'cold' },
      'local',
    )
    return { local, hot, cold, router }
  }

  it('routes exact names before globs, the most specific glob first, the rest to the default', () => {
    const { router } = make()
    expect(router.routeOf('edge.started_watching')).toBe('hot')
    expect(router.routeOf('edge.started_watching.in')).toBe('hot')
    expect(router.routeOf('edge.has_profile')).toBe('cold')
    expect(router.routeOf('node.title')).toBe('cold')
    expect(router.routeOf('node.account')).toBe('local')
  })

  it('splits a batch of writes and of reads per store and keeps the request order', async () => {
    const { local, hot, cold, router } = make()
    await router.putItems([
      item('edge.started_watching', 'p1', 'title:t1'),
      item('node.account', 'a1', 'props'),
      item('edge.has_profile', 'a1', 'profile:p1'),
    ])
    expect(Object.keys(hot.dump())).toEqual(['edge.started_watching'])
    expect(Object.keys(cold.dump())).toEqual(['edge.has_profile'])
    expect(Object.keys(local.dump())).toEqual(['node.account'])
    const pages = await router.readRecords([
      { namespace: 'node.account', recordId: 'a1' },
      { namespace: 'edge.started_watching', recordId: 'p1' },
      { namespace: 'edge.has_profile', recordId: 'a1' },
    ])
    expect(pages.map((p) => p.items.map((i) => i.key))).toEqual([['props'], ['title:t1'], ['profile:p1']])
  })

  it('moving a hot namespace is a configuration change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdg-route-'))
    try {
      const before = await openKvRouter({
        stores: { main: { kind: 'rocksdb', path: join(dir, 'main') }, side: { kind: 'memory' } },
        default: 'main',
      })
      expect(before.routeOf('edge.started_watching')).toBe('main')
      await before.close()
      const after = await openKvRouter({
        stores: { main: { kind: 'rocksdb', path: join(dir, 'main') }, side: { kind: 'rocksdb', path: join(dir, 'side') } },
        routes: { 'edge.started_watching': 'side' },
        default: 'main',
      })
      await after.putItems([item('edge.started_watching', 'p1', 'title:t1'), item('node.account', 'a1', 'props')])
      expect(after.routeOf('edge.started_watching')).toBe('side')
      expect((await after.storeFor('edge.started_watching').getRecord('edge.started_watching', 'p1')).map((i) => i.key)).toEqual([
        'title:t1',
      ])
      await after.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('explains a bad configuration in one line', () => {
    expect(() => parseKvConfig({ stores: {}, default: 'x' })).toThrow(ConfigError)
    expect(() => parseKvConfig({ stores: { a: { kind: 'redis' } }, default: 'a' })).toThrow(/kind "redis"/)
    expect(() => parseKvConfig({ stores: { a: { kind: 'memory' } }, default: 'b' })).toThrow(/"default" must name one of the stores/)
    expect(() => parseKvConfig({ stores: { a: { kind: 'memory' } }, routes: { 'edge.*': 'z' }, default: 'a' })).toThrow(
      /route "edge\.\*" goes to unknown store "z"/,
    )
    expect(() => parseKvConfig({ stores: { c: { kind: 'cassandra', contactPoints: ['nohost'], keyspace: 'k' } }, default: 'c' })).toThrow(
      /host:port/,
    )
    expect(parseKvConfig({ stores: { a: { kind: 'memory' } }, default: 'a' }).default).toBe('a')
  })
})

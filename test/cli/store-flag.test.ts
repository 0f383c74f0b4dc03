import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openGraphStore } from '../../cli/store-flag.ts'
import { ConfigError } from '../../base/errors.ts'
import { RocksDbKvStore } from '../../store/kv/rocksdb-kv.ts'
import { hasRecentIndex } from '../../store/recent-index.ts'
import { cli } from '../infra/cli-process.ts'

describe('--store for run and demo', () => {
  it('memory is a fresh in-process store; rocksdb:<dir> persists across opens', async () => {
    const put = { namespace: 'node.account', recordId: 'a1', item: { key: 'props', value: { plan: 'x' }, eventTime: 5 } }
    const mem = await openGraphStore('memory')
    await mem.putItems([put])
    expect(await mem.getRecord('node.account', 'a1')).toHaveLength(1)
    expect(await (await openGraphStore('memory')).getRecord('node.account', 'a1')).toEqual([])

    const dir = join(mkdtempSync(join(tmpdir(), 'rdg-store-flag-')), 'graph')
    const disk = await openGraphStore(`rocksdb:${dir}`)
    await disk.putItems([put])
    await disk.close()
    const again = await openGraphStore(`rocksdb:${dir}`)
    expect((await again.getRecord('node.account', 'a1'))[0]).toMatchObject({ key: 'props', value: { plan: 'x' }, eventTime: 5 })
    await again.close()
  })

  it('an unreachable Cassandra is one line naming the address', async () => {
    const err = await openGraphStore('cassandra:127.0.0.1:1/rdg_graph').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).message).toMatch(/^cannot reach Cassandra at 127\.0\.0\.1:1: connect ECONNREFUSED 127\.0\.0\.1:1\b/)
    expect((err as Error).message).not.toContain('\n')
  })

  it('run keeps the newest-first index on a new store; on lists written without it the summary says so', async () => {
    const root = mkdtempSync(join(tmpdir(), 'rdg-store-index-'))
    const run = (store: string) =>
      cli(
        'run',
        'playback-events',
        '--source',
        'generator',
        '--count',
        '400',
        '--store',
        `rocksdb:${store}`,
        '--data-dir',
        join(root, 'data'),
      )
    const fresh = join(root, 'fresh')
    const first = await run(fresh)
    expect(first.code).toBe(0)
    expect(first.out).not.toContain('note:')
    const store = await RocksDbKvStore.open(fresh)
    expect(await hasRecentIndex(store, 'started_watching', 'in')).toBe(true)
    expect((await store.scanNamespace('edge.started_watching.in.latest', { limit: 5 })).items).toHaveLength(5)
    await store.close()

    const older = join(root, 'older')
    const old = await RocksDbKvStore.open(older)
    await old.putItems([{ namespace: 'edge.started_watching.in', recordId: 't1', item: { key: 'profile:p1', value: {}, eventTime: 1 } }])
    await old.close()
    const second = await run(older)
    expect(second.code).toBe(0)
    expect(second.out).toMatch(/note: no newest-first index for started_watching \(in\): .* rebuild the store/)
  })

  it('an unknown scheme is one ConfigError', async () => {
    await expect(openGraphStore('s3:bucket')).rejects.toBeInstanceOf(ConfigError)
  })
})

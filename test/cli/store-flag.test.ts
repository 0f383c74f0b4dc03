import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openGraphStore } from '../../cli/store-flag.ts'
import { ConfigError } from '../../base/errors.ts'

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

  it('an unknown scheme is one ConfigError', async () => {
    await expect(openGraphStore('s3:bucket')).rejects.toBeInstanceOf(ConfigError)
  })
})

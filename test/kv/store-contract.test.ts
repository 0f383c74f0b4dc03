import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { MemoryKvStore } from '../../src/kv/memory-store.ts'
import { RocksDbKvStore } from '../../src/kv/rocksdb-store.ts'
import type { KvStore } from '../../src/kv/types.ts'

const stores: Record<string, () => Promise<KvStore>> = {
  memory: async () => new MemoryKvStore(),
  rocksdb: () => RocksDbKvStore.open(mkdtempSync(join(tmpdir(), 'rdg-kv-'))),
}

for (const [name, make] of Object.entries(stores)) {
  describe(`KV store contract: ${name}`, () => {
    const open: KvStore[] = []
    const store = async () => {
      const s = await make()
      open.push(s)
      return s
    }
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close()
    })

    it('upserts items and reads a record in item-key order, by prefix and limit', async () => {
      const s = await store()
      await s.putItems([
        { namespace: 'edge.watch', recordId: 'p1', item: { key: 'title:b', value: { pos: 2 }, eventTime: 10 } },
        { namespace: 'edge.watch', recordId: 'p1', item: { key: 'title:a', value: { pos: 1 }, eventTime: 10 } },
        { namespace: 'edge.watch', recordId: 'p1', item: { key: 'device:x', value: {}, eventTime: 10 } },
        { namespace: 'edge.watch', recordId: 'p2', item: { key: 'title:a', value: { pos: 9 }, eventTime: 10 } },
        { namespace: 'edge.other', recordId: 'p1', item: { key: 'title:z', value: {}, eventTime: 10 } },
      ])
      expect((await s.getRecord('edge.watch', 'p1')).map((i) => i.key)).toEqual(['device:x', 'title:a', 'title:b'])
      expect((await s.getRecord('edge.watch', 'p1', { prefix: 'title:' })).map((i) => i.value)).toEqual([{ pos: 1 }, { pos: 2 }])
      expect((await s.getRecord('edge.watch', 'p1', { limit: 1 })).map((i) => i.key)).toEqual(['device:x'])
      expect(await s.getRecord('edge.watch', 'nobody')).toEqual([])
      const many = await s.getRecords('edge.watch', ['p1', 'p2', 'p3'])
      expect([...many.keys()]).toEqual(['p1', 'p2', 'p3'])
      expect(many.get('p2')).toEqual([{ key: 'title:a', value: { pos: 9 }, eventTime: 10 }])
    })

    it('is last-writer-wins by event time: an older write (a replay, a backfill) never overwrites a newer one', async () => {
      const s = await store()
      const put = (value: number, eventTime: number) => s.putItems([{ namespace: 'node.account', recordId: 'a1', item: { key: 'props', value: { v: value }, eventTime } }])
      await put(2, 200)
      await put(1, 100)
      expect(await s.getRecord('node.account', 'a1')).toEqual([{ key: 'props', value: { v: 2 }, eventTime: 200 }])
      await put(3, 200) // same time: the later write wins, so replaying the same write is idempotent
      await put(4, 300)
      expect((await s.getRecord('node.account', 'a1'))[0]!.value).toEqual({ v: 4 })
      // within one batch too
      await s.putItems([
        { namespace: 'node.account', recordId: 'a2', item: { key: 'props', value: { v: 'new' }, eventTime: 9 } },
        { namespace: 'node.account', recordId: 'a2', item: { key: 'props', value: { v: 'old' }, eventTime: 5 } },
      ])
      expect((await s.getRecord('node.account', 'a2'))[0]!.value).toEqual({ v: 'new' })
    })
  })
}

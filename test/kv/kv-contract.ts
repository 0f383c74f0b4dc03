/**
 * The one contract every KV backend meets (in-memory, embedded RocksDB, Cassandra):
 * ordering, selectors, pages by items and bytes, last-writer-wins with timed tombstones,
 * TTLs, scans. Each backend's test file calls `kvContract` with a fixture.
 *
 * @example
 * kvContract('memory', { time: 'manual', open: async ({ clock, namespaces }) => new InMemoryKvStore({ clock, namespaces }) })
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock, systemClock, type Clock } from '../../base/clock.ts'
import { ConfigError } from '../../base/errors.ts'
import type { KvDataStore, KvPut, PageQuery, ScanRow, StoredItem } from '../../store/kv/api.ts'
import type { NamespaceSettings } from '../../store/kv/namespaces.ts'

export interface KvFixture {
  /** 'manual': the store runs on the ManualClock it is given; 'real': on the wall clock (Cassandra). */
  readonly time: 'manual' | 'real'
  open(options: { clock: Clock; namespaces?: Readonly<Record<string, NamespaceSettings>> }): Promise<KvDataStore>
}

let counter = 0
/** A namespace name no other test uses (the Cassandra keyspace is shared by the whole file). */
const fresh = (name: string): string => `${name}.t${++counter}`

const put = (
  namespace: string,
  recordId: string,
  key: string,
  value: unknown,
  eventTime: number,
  extra: Partial<KvPut> & { ttlMs?: number } = {},
): KvPut => {
  const { ttlMs, ...rest } = extra
  return { namespace, recordId, item: { key, value, eventTime, ...(ttlMs !== undefined ? { ttlMs } : {}) }, ...rest }
}
const keysOf = (items: readonly StoredItem[]) => items.map((i) => i.key)

async function allPages(store: KvDataStore, ns: string, id: string, q: PageQuery): Promise<StoredItem[][]> {
  const pages: StoredItem[][] = []
  let token: string | null = null
  do {
    const page = await store.readRecord(ns, id, { ...q, pageToken: token })
    pages.push(page.items)
    token = page.next
    if (pages.length > 100) throw new Error('pagination does not end')
  } while (token)
  return pages
}

export function kvContract(name: string, fixture: KvFixture): void {
  describe(`KV contract: ${name}`, () => {
    const open: KvDataStore[] = []
    let clock: ManualClock
    const store = async (namespaces?: Readonly<Record<string, NamespaceSettings>>) => {
      clock = new ManualClock(1_000_000)
      const s = await fixture.open({ clock: fixture.time === 'manual' ? clock : systemClock, ...(namespaces ? { namespaces } : {}) })
      open.push(s)
      return s
    }
    /** Waits (moving the manual clock, or polling the real server) until `done` holds. */
    const eventually = async (done: () => Promise<boolean>, withinMs: number) => {
      const step = fixture.time === 'manual' ? 100 : 200
      const deadline = (fixture.time === 'manual' ? clock.now() : systemClock.now()) + withinMs
      for (;;) {
        if (await done()) return
        const now = fixture.time === 'manual' ? clock.now() : systemClock.now()
        if (now > deadline) throw new Error(`condition not met within ${withinMs} ms`)
        if (fixture.time === 'manual') clock.advance(step)
        else await systemClock.sleep(step)
      }
    }
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close()
    })

    it('keeps a record sorted by item key in UTF-8 byte order, namespaces and records apart', async () => {
      const s = await store()
      const ns = fresh('edge.watch')
      const other = fresh('edge.other')
      const keys = ['z', 'a', '\u{1F600}', 'é', '\uFFFD', 'title:b', 'title:a', 'b']
      await s.putItems(keys.map((k, i) => put(ns, 'p1', k, { i }, 10)))
      await s.putItems([put(ns, 'p2', 'title:a', { i: 99 }, 10), put(other, 'p1', 'title:zz', {}, 10)])
      expect(keysOf(await s.getRecord(ns, 'p1'))).toEqual(['a', 'b', 'title:a', 'title:b', 'z', 'é', '\uFFFD', '\u{1F600}'])
      expect(await s.getRecord(ns, 'p2')).toEqual([{ key: 'title:a', value: { i: 99 }, eventTime: 10 }])
      expect(keysOf(await s.getRecord(other, 'p1'))).toEqual(['title:zz'])
      expect(await s.getRecord(ns, 'nobody')).toEqual([])
      expect(await s.getRecord(fresh('never.written'), 'p1')).toEqual([])
    })

    it('selects items by a list of keys, a key range, a prefix, with a limit; several records at once', async () => {
      const s = await store()
      const ns = fresh('edge.watch')
      await s.putItems(['device:x', 'title:a', 'title:b', 'title:c', 'titles'].map((k) => put(ns, 'p1', k, k.length, 10)))
      await s.putItems([put(ns, 'p2', 'title:a', 1, 10)])
      expect(keysOf(await s.getRecord(ns, 'p1', { keys: ['title:c', 'missing', 'device:x'] }))).toEqual(['device:x', 'title:c'])
      expect(keysOf(await s.getRecord(ns, 'p1', { range: { from: 'title:a', to: 'title:c' } }))).toEqual(['title:a', 'title:b'])
      expect(keysOf(await s.getRecord(ns, 'p1', { range: { from: 'title:b' } }))).toEqual(['title:b', 'title:c', 'titles'])
      expect(keysOf(await s.getRecord(ns, 'p1', { range: { to: 'title:a' } }))).toEqual(['device:x'])
      expect(keysOf(await s.getRecord(ns, 'p1', { prefix: 'title:' }))).toEqual(['title:a', 'title:b', 'title:c'])
      expect(keysOf(await s.getRecord(ns, 'p1', { prefix: 'title:', limit: 2 }))).toEqual(['title:a', 'title:b'])
      const many = await s.getRecords(ns, ['p1', 'p2', 'p3'], { prefix: 'title:a' })
      expect([...many.entries()].map(([id, items]) => [id, keysOf(items)])).toEqual([
        ['p1', ['title:a']],
        ['p2', ['title:a']],
        ['p3', []],
      ])
      await expect(s.getRecord(ns, 'p1', { prefix: 'a', range: { from: 'b' } })).rejects.toBeInstanceOf(ConfigError)
    })

    it('pages a record by item count with an opaque resume token, also within a selector', async () => {
      const s = await store()
      const ns = fresh('edge.watch')
      const keys = Array.from({ length: 25 }, (_, i) => `title:${String(i).padStart(3, '0')}`)
      await s.putItems([...keys.map((k) => put(ns, 'p1', k, {}, 10)), put(ns, 'p1', 'a-first', {}, 10), put(ns, 'p1', 'z-last', {}, 10)])
      const pages = await allPages(s, ns, 'p1', { prefix: 'title:', limit: 10 })
      expect(pages.map((p) => p.length)).toEqual([10, 10, 5])
      expect(pages.flat().map((i) => i.key)).toEqual(keys)
      const ranged = await allPages(s, ns, 'p1', { range: { from: 'title:020' }, limit: 4 })
      expect(ranged.flat().map((i) => i.key)).toEqual([...keys.slice(20), 'z-last'])
      const listed = await allPages(s, ns, 'p1', { keys: ['z-last', 'title:003', 'a-first'], limit: 2 })
      expect(listed.map(keysOf)).toEqual([['a-first', 'title:003'], ['z-last']])
      const exact = await s.readRecord(ns, 'p1', { limit: 27 })
      expect(exact.items).toHaveLength(27)
      if (exact.next) expect((await s.readRecord(ns, 'p1', { limit: 27, pageToken: exact.next })).items).toEqual([])
      await expect(s.readRecord(ns, 'p1', { pageToken: 'not-a-token' })).rejects.toBeInstanceOf(ConfigError)
    })

    it('pages by bytes: about maxBytes per page, never an empty page, an oversized item alone', async () => {
      const s = await store()
      const ns = fresh('node.blob')
      // key 'k0'..'k9' (2 bytes) + value: tag byte + 18 chars in quotes (21 bytes) → 23 bytes an item
      const writes = Array.from({ length: 10 }, (_, i) => put(ns, 'r', `k${i}`, 'x'.repeat(18), 10))
      writes.push(put(ns, 'r', 'k5', 'y'.repeat(500), 11))
      await s.putItems(writes)
      const pages = await allPages(s, ns, 'r', { maxBytes: 80 })
      expect(pages.flat().map((i) => i.key)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9'])
      expect(pages.map(keysOf)).toEqual([['k0', 'k1', 'k2'], ['k3', 'k4'], ['k5'], ['k6', 'k7', 'k8'], ['k9']])
    })

    it('round-trips JSON values and raw bytes', async () => {
      const s = await store()
      const ns = fresh('node.values')
      const bytes = new Uint8Array([0, 1, 2, 254, 255])
      await s.putItems([
        put(ns, 'r', 'json', { a: [1, 'ü', null, { b: true }], n: -1.5 }, 1),
        put(ns, 'r', 'bytes', bytes, 1),
        put(ns, 'r', 'null', null, 1),
      ])
      const items = await s.getRecord(ns, 'r')
      expect(items.find((i) => i.key === 'json')!.value).toEqual({ a: [1, 'ü', null, { b: true }], n: -1.5 })
      const b = items.find((i) => i.key === 'bytes')!.value
      expect(b).toBeInstanceOf(Uint8Array)
      expect([...(b as Uint8Array)]).toEqual([...bytes])
      expect(items.find((i) => i.key === 'null')!.value).toBeNull()
    })

    it('is last-writer-wins by event time; equal times resolve the same way in any order', async () => {
      const s = await store()
      const ns = fresh('node.account')
      await s.putItems([put(ns, 'a1', 'props', { v: 2 }, 200)])
      await s.putItems([put(ns, 'a1', 'props', { v: 1 }, 100)])
      expect(await s.getRecord(ns, 'a1')).toEqual([{ key: 'props', value: { v: 2 }, eventTime: 200 }])
      await s.putItems([put(ns, 'a1', 'props', { v: 4 }, 300)])
      expect((await s.getRecord(ns, 'a1'))[0]!.value).toEqual({ v: 4 })
      // equal times: the greater encoded value wins, whichever arrives first (Cassandra's rule)
      await s.putItems([put(ns, 'x', 'props', { v: 'a' }, 50)])
      await s.putItems([put(ns, 'x', 'props', { v: 'b' }, 50)])
      await s.putItems([put(ns, 'y', 'props', { v: 'b' }, 50)])
      await s.putItems([put(ns, 'y', 'props', { v: 'a' }, 50)])
      expect((await s.getRecord(ns, 'x'))[0]!.value).toEqual({ v: 'b' })
      expect((await s.getRecord(ns, 'y'))[0]!.value).toEqual({ v: 'b' })
      // within one batch, in both orders
      await s.putItems([
        put(ns, 'a2', 'props', 'new', 9),
        put(ns, 'a2', 'props', 'old', 5),
        put(ns, 'a3', 'props', 'old', 5),
        put(ns, 'a3', 'props', 'new', 9),
      ])
      expect((await s.getRecord(ns, 'a2'))[0]!.value).toBe('new')
      expect((await s.getRecord(ns, 'a3'))[0]!.value).toBe('new')
    })

    it('deletes items with timed tombstones: an older replayed put does not resurrect them', async () => {
      const s = await store()
      const ns = fresh('edge.watch')
      await s.putItems([put(ns, 'p1', 'title:a', 1, 100), put(ns, 'p1', 'title:b', 1, 100), put(ns, 'p1', 'title:c', 1, 300)])
      await s.deleteItems(ns, 'p1', ['title:a', 'title:c', 'title:none'], 200)
      expect(keysOf(await s.getRecord(ns, 'p1'))).toEqual(['title:b', 'title:c']) // c is newer than the delete
      await s.putItems([put(ns, 'p1', 'title:a', 2, 150)]) // a replay of something older than the delete
      await s.putItems([put(ns, 'p1', 'title:none', 2, 200)]) // same time as the delete: the delete wins
      expect(keysOf(await s.getRecord(ns, 'p1'))).toEqual(['title:b', 'title:c'])
      await s.putItems([put(ns, 'p1', 'title:a', 3, 250)])
      expect(await s.getRecord(ns, 'p1', { keys: ['title:a'] })).toEqual([{ key: 'title:a', value: 3, eventTime: 250 }])
    })

    it('deletes a whole record as of a time: older items and replays stay gone, newer ones stay', async () => {
      const s = await store()
      const ns = fresh('edge.watch')
      await s.putItems([put(ns, 'p1', 'a', 1, 100), put(ns, 'p1', 'b', 1, 500), put(ns, 'p2', 'a', 1, 100)])
      await s.deleteRecord(ns, 'p1', 300)
      expect(keysOf(await s.getRecord(ns, 'p1'))).toEqual(['b'])
      await s.putItems([put(ns, 'p1', 'a', 2, 299), put(ns, 'p1', 'c', 2, 300)])
      expect(keysOf(await s.getRecord(ns, 'p1'))).toEqual(['b'])
      await s.deleteRecord(ns, 'p1', 200) // an older delete changes nothing
      await s.putItems([put(ns, 'p1', 'c', 3, 301)])
      expect(keysOf(await s.getRecord(ns, 'p1'))).toEqual(['b', 'c'])
      expect(keysOf(await s.getRecord(ns, 'p2'))).toEqual(['a'])
    })

    it('scans a namespace in pages: every live item once, a record contiguous and sorted', async () => {
      const s = await store()
      const ns = fresh('edge.scan')
      const writes: KvPut[] = []
      for (let r = 0; r < 7; r++) for (let i = 0; i < 3 + r; i++) writes.push(put(ns, `rec${r}`, `item${i}`, { r, i }, 10))
      await s.putItems([...writes, put(fresh('edge.elsewhere'), 'rec0', 'x', 1, 10)])
      await s.deleteItems(ns, 'rec1', ['item0'], 20)
      await s.deleteRecord(ns, 'rec2', 20)
      for (const q of [{ limit: 4 }, { limit: 1000, maxBytes: 60 }]) {
        const rows: ScanRow[] = []
        let token: string | null = null
        let pages = 0
        do {
          const page = await s.scanNamespace(ns, { ...q, pageToken: token })
          rows.push(...page.items)
          token = page.next
          expect(++pages).toBeLessThan(200)
        } while (token)
        const ids = rows.map((r) => `${r.recordId}/${r.key}`)
        expect(new Set(ids).size).toBe(ids.length)
        expect(ids.length).toBe(writes.length - 1 - 5) // rec1/item0 and the 5 items of rec2
        expect(ids).not.toContain('rec1/item0')
        expect(ids.some((i) => i.startsWith('rec2/'))).toBe(false)
        // contiguous per record, items in key order
        const order = rows.map((r) => r.recordId).filter((id, i, all) => i === 0 || all[i - 1] !== id)
        expect(new Set(order).size).toBe(order.length)
        for (const id of order) {
          const own = rows.filter((r) => r.recordId === id).map((r) => r.key)
          expect(own).toEqual([...own].sort())
        }
      }
    })

    it('reads one page of several records of any namespaces together, in request order', async () => {
      const s = await store()
      const a = fresh('edge.a')
      const b = fresh('edge.b')
      await s.putItems([put(a, 'r1', 'k1', 1, 1), put(a, 'r1', 'k2', 2, 1), put(b, 'r1', 'k9', 9, 1)])
      const pages = await s.readRecords([
        { namespace: b, recordId: 'r1' },
        { namespace: a, recordId: 'r1', query: { limit: 1 } },
        { namespace: a, recordId: 'missing' },
      ])
      expect(pages.map((p) => keysOf(p.items))).toEqual([['k9'], ['k1'], []])
      expect(pages[1]!.next).not.toBeNull()
      expect(pages[2]!.next).toBeNull()
    })

    it('expires items by item TTL, record TTL and namespace default; 0 overrides the default', async () => {
      const ttlNs = fresh('edge.ttl')
      const s = await store({ [ttlNs]: { ttlMs: 2_000 }, 'some.*': { ttlMs: 1 } })
      const plain = fresh('node.plain')
      await s.putItems([
        put(plain, 'r', 'item-ttl', 1, 10, { ttlMs: 2_000 }),
        put(plain, 'r', 'forever', 1, 10),
        put(plain, 'rec', 'x', 1, 10, { recordTtlMs: 2_000 }),
        put(plain, 'rec', 'own-longer', 1, 10, { recordTtlMs: 2_000, ttlMs: 3_600_000 }),
        put(ttlNs, 'r', 'default', 1, 10),
        put(ttlNs, 'r', 'kept', 1, 10, { ttlMs: 0 }),
      ])
      const before = await s.getRecord(plain, 'r')
      expect(keysOf(before)).toEqual(['forever', 'item-ttl'])
      expect(before[0]!.expiresAt).toBeUndefined()
      expect(before[1]!.expiresAt! - (fixture.time === 'manual' ? clock.now() : systemClock.now())).toBeGreaterThan(0)
      expect(keysOf(await s.getRecord(ttlNs, 'r'))).toEqual(['default', 'kept'])
      if (fixture.time === 'manual') {
        clock.advance(1_999)
        expect(keysOf(await s.getRecord(plain, 'r'))).toEqual(['forever', 'item-ttl'])
      }
      // Cassandra counts TTLs in whole seconds from when each request arrived, so wait for all three
      await eventually(
        async () =>
          (await s.getRecord(plain, 'r')).length === 1 &&
          (await s.getRecord(plain, 'rec')).length === 1 &&
          (await s.getRecord(ttlNs, 'r')).length === 1,
        10_000,
      )
      expect(keysOf(await s.getRecord(plain, 'r'))).toEqual(['forever'])
      expect(keysOf(await s.getRecord(plain, 'rec'))).toEqual(['own-longer'])
      expect(keysOf(await s.getRecord(ttlNs, 'r'))).toEqual(['kept'])
    })

    it('rejects bad names and queries with a ConfigError', async () => {
      const s = await store()
      await expect(s.putItems([put('', 'r', 'k', 1, 1)])).rejects.toBeInstanceOf(ConfigError)
      await expect(s.putItems([put('ns.ok', 'r', 'k', 1, Number.NaN)])).rejects.toBeInstanceOf(ConfigError)
      await expect(s.readRecord('ns.ok', 'r', { limit: 0 })).rejects.toBeInstanceOf(ConfigError)
    })
  })
}

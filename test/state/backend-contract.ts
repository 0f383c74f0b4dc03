/**
 * One contract suite for every keyed state backend: value, map and list semantics, TTL,
 * key isolation, snapshot → restore, restore at another parallelism, retention.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../base/clock.ts'
import { checkpointId, operatorId } from '../../base/ids.ts'
import { codecs } from '../../state/codecs.ts'
import { listState, mapState, valueState } from '../../state/descriptors.ts'
import { createStateAccessors, type KeyScope } from '../../state/keyed-state.ts'
import { keyGroupOf, keyGroupRangeFor } from '../../state/key-groups.ts'
import type { KeyGroupRange, KeyedStateBackend } from '../../state/types.ts'

export type BackendFactory = (options: { clock: ManualClock; keyGroups?: KeyGroupRange; name?: string }) => KeyedStateBackend

const op = operatorId('op')
const decls = {
  count: valueState('count', codecs.number()),
  seen: mapState('seen', codecs.json<{ at: number }>()),
  log: listState('log', codecs.string()),
  session: valueState('session', codecs.string(), { ttlMs: 1_000 }),
}

async function load(backend: KeyedStateBackend, keys: string[]): Promise<void> {
  const p = backend.prefetch(keys)
  if (p) await p
}

export function describeBackendContract(name: string, factory: BackendFactory): void {
  describe(`${name} state backend contract`, () => {
    const open: KeyedStateBackend[] = []
    const make: BackendFactory = (o) => {
      const b = factory(o)
      open.push(b)
      return b
    }
    afterEach(async () => {
      for (const b of open.splice(0)) await b.close()
    })

    function accessors(backend: KeyedStateBackend) {
      const scope: KeyScope = { key: '' }
      return { scope, state: createStateAccessors(backend, op, decls, scope) }
    }

    it('stores value, map and list state per key', async () => {
      const clock = new ManualClock(0)
      const backend = make({ clock })
      const { scope, state } = accessors(backend)
      await load(backend, ['ann', 'bob'])
      scope.key = 'ann'
      expect(state.count.value()).toBeUndefined()
      state.count.update(1)
      state.seen.put('tv', { at: 1 })
      state.seen.put('phone', { at: 2 })
      state.log.add('a')
      state.log.add('b')
      scope.key = 'bob'
      expect(state.count.value()).toBeUndefined()
      expect(state.seen.isEmpty()).toBe(true)
      expect(state.log.get()).toEqual([])
      state.count.update(7)
      scope.key = 'ann'
      expect(state.count.value()).toBe(1)
      expect(state.seen.get('tv')).toEqual({ at: 1 })
      expect(state.seen.keys().sort()).toEqual(['phone', 'tv'])
      expect(state.seen.size).toBe(2)
      state.seen.remove('tv')
      expect(state.seen.has('tv')).toBe(false)
      expect(state.log.get()).toEqual(['a', 'b'])
      state.log.update(['z'])
      expect(state.log.get()).toEqual(['z'])
      state.count.clear()
      expect(state.count.value()).toBeUndefined()
    })

    it('expires TTL state by the injected clock (never returns an expired value)', async () => {
      const clock = new ManualClock(10_000)
      const backend = make({ clock })
      const { scope, state } = accessors(backend)
      await load(backend, ['ann'])
      scope.key = 'ann'
      state.session.update('s1')
      clock.advance(999)
      expect(state.session.value()).toBe('s1')
      clock.advance(1)
      expect(state.session.value()).toBeUndefined()
    })

    it('restores exactly the state as of the snapshot', async () => {
      const clock = new ManualClock(0)
      const root = mkdtempSync(join(tmpdir(), 'rdg-state-'))
      const backend = make({ clock, name: 'a' })
      const { scope, state } = accessors(backend)
      const keys = Array.from({ length: 50 }, (_, i) => `k${i}`)
      await load(backend, keys)
      for (const k of keys) {
        scope.key = k
        state.count.update(Number(k.slice(1)))
        state.log.add(k)
      }
      const handle = await backend.snapshot(checkpointId(1), root)
      await backend.notifyCheckpointComplete(checkpointId(1))
      // after the snapshot: must not appear in the restore
      scope.key = 'k1'
      state.count.update(999)
      scope.key = 'new'
      await load(backend, ['new'])
      state.count.update(5)

      const fresh = make({ clock, name: 'b' })
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- set in a callback: tsc cannot narrow it
      await fresh.restore(handle!, root)
      const f = accessors(fresh)
      await load(fresh, [...keys, 'new'])
      for (const k of keys) {
        f.scope.key = k
        expect(f.state.count.value()).toBe(Number(k.slice(1)))
        expect(f.state.log.get()).toEqual([k])
      }
      f.scope.key = 'new'
      expect(f.state.count.value()).toBeUndefined()
      const listed: string[] = []
      for await (const k of fresh.table(op, decls.count).keys()) listed.push(k)
      expect(listed.sort()).toEqual([...keys].sort())
    })

    it('keeps incremental checkpoints consistent across several epochs, deletes included', async () => {
      const clock = new ManualClock(0)
      const root = mkdtempSync(join(tmpdir(), 'rdg-state-'))
      const backend = make({ clock, name: 'a' })
      const { scope, state } = accessors(backend)
      const expected = new Map<string, number>()
      let handle
      for (let epoch = 1; epoch <= 4; epoch++) {
        const keys = Array.from({ length: 30 }, (_, i) => `k${(i * epoch) % 45}`)
        await load(backend, keys)
        for (const k of keys) {
          scope.key = k
          if ((k.length + epoch) % 3 === 0) {
            state.count.clear()
            expected.delete(k)
          } else {
            state.count.update(epoch)
            expected.set(k, epoch)
          }
        }
        handle = await backend.snapshot(checkpointId(epoch), root)
        await backend.notifyCheckpointComplete(checkpointId(epoch))
      }
      const fresh = make({ clock, name: 'b' })
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- set in a callback: tsc cannot narrow it
      await fresh.restore(handle!, root)
      const f = accessors(fresh)
      const all = Array.from({ length: 45 }, (_, i) => `k${i}`)
      await load(fresh, all)
      for (const k of all) {
        f.scope.key = k
        expect(f.state.count.value(), k).toBe(expected.get(k))
      }
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- as above
      expect(fresh.referencedFiles([handle!]).length).toBeGreaterThan(0)
    })

    it('restores at another parallelism: two halves hold the union, no key twice', async () => {
      const clock = new ManualClock(0)
      const root = mkdtempSync(join(tmpdir(), 'rdg-state-'))
      const backend = make({ clock, name: 'all' })
      const { scope, state } = accessors(backend)
      const keys = Array.from({ length: 200 }, (_, i) => `key-${i}`)
      await load(backend, keys)
      for (const k of keys) {
        scope.key = k
        state.count.update(k.length)
      }
      const handle = await backend.snapshot(checkpointId(1), root)
      await backend.notifyCheckpointComplete(checkpointId(1))

      const owned: string[][] = []
      for (let i = 0; i < 2; i++) {
        const range = keyGroupRangeFor(i, 2, 128)
        const part = make({ clock, keyGroups: range, name: `part-${i}` })
        await part.restore(handle, root)
        const keysHere: string[] = []
        for await (const k of part.table(op, decls.count).keys()) keysHere.push(k)
        for (const k of keysHere) {
          const g = keyGroupOf(k, 128)
          expect(g >= range.start && g <= range.end).toBe(true)
        }
        owned.push(keysHere)
      }
      expect(owned[0]!.length).toBeGreaterThan(0)
      expect(owned[1]!.length).toBeGreaterThan(0)
      expect([...owned[0]!, ...owned[1]!].sort()).toEqual([...keys].sort())
    })
  })
}

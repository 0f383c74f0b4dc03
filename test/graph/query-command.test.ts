import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import yargs from 'yargs'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { builtInSchema, executeQuery, parseDuration, parseHop, queryCommand } from '../../cli/commands/query.ts'
import { openStoreFromFlag } from '../../cli/store-flag.ts'
import { ManualClock } from '../../base/clock.ts'
import { ConfigError } from '../../base/errors.ts'
import type { GraphPrimitive } from '../../graph/model.ts'
import type { KvDataStore } from '../../store/kv/api.ts'
import { InMemoryKvStore } from '../../store/kv/memory-kv.ts'
import { RocksDbKvStore } from '../../store/kv/rocksdb-kv.ts'
import { KvGraphSink } from '../../store/graph-sink.ts'
import { watchEdge } from '../infra/playback-primitives.ts'

const DAY = 86_400_000
const NOW = Date.UTC(2026, 0, 10)
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const watch = (profile: string, title: string, t: number): GraphPrimitive => watchEdge(profile, title, t, 10)

async function fill(store: KvDataStore, clock: ManualClock): Promise<void> {
  const sink = new KvGraphSink({
    store,
    schema: builtInSchema(),
    clock,
    onReject: (l) => {
      throw new Error(l.reason)
    },
  })
  for (const p of [
    { kind: 'node', type: 'title', id: 't1', properties: { name: 'Dark', genre: 'sci-fi' }, eventTime: NOW - DAY } as GraphPrimitive,
    watch('p1', 't1', NOW - 9 * DAY),
    watch('p1', 't2', NOW - DAY),
    watch('p2', 't1', NOW - 2 * DAY),
    watch('p3', 't2', NOW - 3 * DAY),
  ])
    sink.write(p)
  await sink.flush()
}

async function memoryGraph() {
  const clock = new ManualClock(NOW)
  const store = new InMemoryKvStore({ clock })
  await fill(store, clock)
  return { store, schema: builtInSchema(), clock }
}

describe('rdg-job query', () => {
  it('prints a node, as text and as JSON', async () => {
    const deps = await memoryGraph()
    const [line] = await executeQuery({ kind: 'node', type: 'title', id: 't1' }, deps)
    expect(line).toMatch(/^title t1 {2}updated \S.* {2}\{"name":"Dark","genre":"sci-fi"\}$/)
    expect(JSON.parse((await executeQuery({ kind: 'node', type: 'title', id: 't1', json: true, select: ['name'] }, deps))[0]!)).toEqual({
      ref: { type: 'title', id: 't1' },
      properties: { name: 'Dark' },
      eventTime: NOW - DAY,
    })
    expect(await executeQuery({ kind: 'node', type: 'title', id: 'zz' }, deps)).toEqual(['no title zz'])
  })

  it('lists neighbours with limit, order, lookback, prefix and pages', async () => {
    const deps = await memoryGraph()
    const json = async (extra: object) =>
      JSON.parse(
        (await executeQuery({ kind: 'neighbors', type: 'profile', id: 'p1', edge: 'started_watching', json: true, ...extra }, deps))[0]!,
      ) as { neighbors: Array<{ node: { id: string }; properties: Record<string, unknown> }>; next: string | null }
    expect((await json({})).neighbors.map((n) => n.node.id)).toEqual(['t2', 't1'])
    expect((await json({ order: 'any' })).neighbors.map((n) => n.node.id)).toEqual(['t1', 't2'])
    expect((await json({ lookback: '7d' })).neighbors.map((n) => n.node.id)).toEqual(['t2'])
    expect((await json({ prefix: 't1' })).neighbors.map((n) => n.node.id)).toEqual(['t1'])
    const first = await json({ limit: 1 })
    expect(first.next).not.toBeNull()
    expect((await json({ limit: 1, page: first.next })).neighbors.map((n) => n.node.id)).toEqual(['t1'])
    const text = await executeQuery({ kind: 'neighbors', type: 'profile', id: 'p1', edge: 'started_watching', limit: 1 }, deps)
    // a timestamp-typed property reads as ISO-8601 for a person; --json keeps epoch ms
    expect(text[0]).toMatch(/^title t2 {2}.* {2}\{"lastWatchTime":"\d{4}-\d\d-\d\dT[\d:.]+Z","positionSec":10,"deviceType":"tv"\}$/)
    expect((await json({ limit: 1 })).neighbors[0]!.properties.lastWatchTime).toEqual(expect.any(Number))
    expect(text[1]).toMatch(/^more: --page \S+$/)
    expect(
      await executeQuery({ kind: 'neighbors', type: 'title', id: 't1', edge: 'started_watching', in: true, select: ['positionSec'] }, deps),
    ).toEqual([expect.stringMatching(/^profile p2 .*\{"positionSec":10\}$/), expect.stringMatching(/^profile p1 /)])
  })

  it('traverses: who else watched what p1 watched', async () => {
    const deps = await memoryGraph()
    const lines = await executeQuery(
      { kind: 'traverse', type: 'profile', id: 'p1', hops: ['started_watching', 'started_watching:in:10'], excludeVisited: true },
      deps,
    )
    expect(lines[0]).toBe('hop 1: started_watching → 2 nodes')
    expect(lines[3]).toBe('hop 2: started_watching (in) → 2 nodes')
    expect(
      lines
        .slice(4)
        .map((l) => l.trim().split('  ')[0]!)
        .sort(),
    ).toEqual(['title t1 → profile p2', 'title t2 → profile p3'])
    const steps = JSON.parse(
      (await executeQuery({ kind: 'traverse', type: 'profile', id: 'p1', hops: ['started_watching:1'], json: true }, deps))[0]!,
    ) as Array<{ reached: unknown[] }>
    expect(steps[0]!.reached).toHaveLength(1)
  })

  it('answers mistakes with one clear line', async () => {
    const deps = await memoryGraph()
    await expect(executeQuery({ kind: 'node', type: 'titel', id: 't1' }, deps)).rejects.toThrow(
      /^unknown node type "titel"; known: .*title/,
    )
    await expect(executeQuery({ kind: 'neighbors', type: 'profile', id: 'p1', edge: 'watched' }, deps)).rejects.toThrow(
      /unknown edge type "watched"/,
    )
    await expect(
      executeQuery({ kind: 'neighbors', type: 'profile', id: 'p1', edge: 'started_watching', lookback: 'a week' }, deps),
    ).rejects.toThrow(/is not a duration/)
    await expect(executeQuery({ kind: 'traverse', type: 'profile', id: 'p1', hops: [] }, deps)).rejects.toThrow(/at least one --hop/)
    expect(() => parseHop('started_watching:sideways')).toThrow(ConfigError)
    expect(parseHop('started_watching:in:20')).toEqual({ edge: 'started_watching', direction: 'in', limit: 20 })
    expect(parseDuration('7d')).toBe(7 * DAY)
    expect(parseDuration('500ms')).toBe(500)
    await expect(openStoreFromFlag('redis:localhost')).rejects.toThrow(/names no known store/)
    await expect(openStoreFromFlag('cassandra:localhost/ks')).rejects.toThrow(/host:port/)
    await expect(openStoreFromFlag('cassandra:127.0.0.1:9042')).rejects.toThrow(/not a Cassandra address/)
    await expect(openStoreFromFlag('config:/nonexistent/kv.json')).rejects.toThrow(/cannot be read/)
  })

  it('runs through yargs against an embedded store named by --store, and a routing config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdg-query-cli-'))
    dirs.push(dir)
    const clock = new ManualClock(NOW)
    const store = await RocksDbKvStore.open(join(dir, 'graph'), { clock })
    await fill(store, clock)
    await store.close()
    const out: string[] = []
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line))
    try {
      await yargs([
        'query',
        'neighbors',
        'profile',
        'p1',
        'started_watching',
        '--order',
        'any',
        '--json',
        '--store',
        `rocksdb:${join(dir, 'graph')}`,
      ])
        .command(queryCommand)
        .strict()
        .parseAsync()
      expect((JSON.parse(out[0]!) as { neighbors: Array<{ node: { id: string } }> }).neighbors.map((n) => n.node.id)).toEqual(['t1', 't2'])
      writeFileSync(
        join(dir, 'kv.json'),
        JSON.stringify({ stores: { main: { kind: 'rocksdb', path: join(dir, 'graph') } }, default: 'main' }),
      )
      out.length = 0
      await yargs(['query', 'node', 'title', 't1', '--json', '--store', `config:${join(dir, 'kv.json')}`])
        .command(queryCommand)
        .strict()
        .parseAsync()
      expect((JSON.parse(out[0]!) as { properties: object }).properties).toEqual({ name: 'Dark', genre: 'sci-fi' })
    } finally {
      log.mockRestore()
    }
  })
})

/**
 * Reading while a job writes, on the embedded store: `rdg-job run … --serve` ingests
 * generator events at a fixed rate while a client queries its HTTP endpoint. Every query
 * succeeds, the graph it sees only grows, it sees the job's progress, and what it saw last
 * is what the store holds after the run.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cli, post, request, startServingProcess } from './server-process.ts'

const base = mkdtempSync(join(tmpdir(), 'rdg-serving-rw-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))

interface Page {
  neighbors: Array<{ node: { id: string } }>
}

describe('rdg-job run --serve (embedded RocksDB)', () => {
  it('answers every query while the job ingests, and shows its progress', { timeout: 120_000 }, async () => {
    const store = `rocksdb:${join(base, 'graph')}`
    const job = await startServingProcess([
      'run',
      'playback-events',
      '--source',
      'generator',
      '--count',
      '8000',
      '--rate',
      '1000',
      '--seed',
      '9',
      '--data-dir',
      join(base, 'jobs'),
      '--store',
      store,
      '--serve',
      '127.0.0.1:0',
    ])
    const edges = `${job.url}/v1/nodes/title/t-arcane/edges/started_watching?direction=in&limit=1000&order=any`
    const seen: number[] = []
    let queries = 0
    // meanwhile the CLI on the store the job holds
    const locked = cli('query', 'node', 'title', 't-arcane', '--store', store)
    while (!/end-of-input/.test(job.output())) {
      let counted: number
      try {
        const r = await request(edges)
        expect(r.status, r.text).toBe(200)
        counted = (r.body as Page).neighbors.length
        const t = await post(`${job.url}/v1/traverse`, {
          start: { type: 'title', id: 't-arcane' },
          hops: [
            { edge: 'started_watching', direction: 'in', limit: 20 },
            { edge: 'started_watching', limit: 20 },
          ],
          excludeVisited: true,
        })
        expect(t.status, t.text).toBe(200)
        queries += 2
      } catch (err) {
        // the server closes when the bounded run ends; before that, no query may fail
        if (/end-of-input/.test(job.output())) break
        throw err
      }
      if (seen.length === 0 || counted !== seen[seen.length - 1]) seen.push(counted)
    }
    expect(await job.exited).toBe(0)
    expect(queries).toBeGreaterThanOrEqual(6)
    // monotone and moving: the reader saw the graph grow while the job wrote it
    expect([...seen].sort((a, b) => a - b)).toEqual(seen)
    expect(seen.length).toBeGreaterThan(2)
    // the CLI on the store the job holds: one line pointing at --serve
    const refused = await locked
    expect(refused.code).toBe(2)
    expect(refused.err).toMatch(/held by another process.*--serve/)
    const after = await cli(
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
      store,
    )
    expect(after.code, after.err).toBe(0)
    const final = (JSON.parse(after.out) as Page).neighbors.length
    expect(final).toBeGreaterThanOrEqual(seen[seen.length - 1]!)
  })
})

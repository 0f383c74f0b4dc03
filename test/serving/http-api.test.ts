/**
 * The query service through real HTTP requests against a real `rdg-job serve` process,
 * over a graph the playback job built: reads, pages, traversals, drawings, OpenAPI,
 * health and metrics; then malformed and hostile requests (fuzzed paths, huge limits,
 * deep traversals, bad and huge JSON), after which the server still answers.
 */
import { request as httpRequest } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, post, request, startServingProcess, type ServingProcess } from './server-process.ts'

const base = mkdtempSync(join(tmpdir(), 'rdg-serving-'))
const storeFlag = `rocksdb:${join(base, 'graph')}`
let s: ServingProcess
/** An account the generator made (found through a popular title). */
let acct = ''

interface Page {
  neighbors: Array<{ node: { type: string; id: string }; eventTime: number }>
  next: string | null
}

beforeAll(async () => {
  const run = await cli(
    'run',
    'playback-events',
    '--source',
    'generator',
    '--count',
    '4000',
    '--seed',
    '3',
    '--data-dir',
    join(base, 'jobs'),
    '--store',
    storeFlag,
  )
  expect(run.code, run.err).toBe(0)
  s = await startServingProcess(['serve', '--store', storeFlag, '--listen', '127.0.0.1:0'])
  const first = (await request(`${s.url}/v1/nodes/title/t-arcane/edges/started_watching?direction=in&limit=1`)).body as Page
  acct = first.neighbors[0]!.node.id.replace(/-p\d+$/, '')
}, 120_000)

afterAll(async () => {
  await s?.stop()
  rmSync(base, { recursive: true, force: true })
})

/** A raw request (no client-side URL normalisation), for hostile paths. */
function raw(path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  const url = new URL(s.url)
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method }, (res) => {
      let body = ''
      res.on('data', (d) => (body += String(d)))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('rdg-job serve (real process, real HTTP)', () => {
  it('listens on 127.0.0.1 and answers /healthz', async () => {
    expect(new URL(s.url).hostname).toBe('127.0.0.1')
    expect((await request(`${s.url}/healthz`)).body).toEqual({ status: 'ok' })
  })

  it('reads a node with a selection, a batch, and a node that is not there', async () => {
    const node = await request(`${s.url}/v1/nodes/account/${acct}`)
    expect(node.status).toBe(200)
    expect(node.body).toMatchObject({ type: 'account', id: acct })
    const missing = await request(`${s.url}/v1/nodes/account/nobody`)
    expect(missing.status).toBe(404)
    const batch = await post(`${s.url}/v1/nodes:batch`, {
      nodes: [
        { type: 'account', id: acct },
        { type: 'account', id: 'nobody' },
      ],
      select: ['plan'],
    })
    expect(batch.status).toBe(200)
    const nodes = (batch.body as { nodes: unknown[] }).nodes
    expect(nodes).toHaveLength(2)
    expect(nodes[0]).toMatchObject({ id: acct })
    expect(nodes[1]).toBeNull()
  })

  it('pages through the edges of a node, newest first, and in key order', async () => {
    const all = (await request(`${s.url}/v1/nodes/title/t-arcane/edges/started_watching?direction=in&limit=1000`)).body as Page
    expect(all.neighbors.length).toBeGreaterThan(5)
    const times = all.neighbors.map((n) => n.eventTime)
    expect([...times].sort((a, b) => b - a)).toEqual(times)
    for (const order of ['latest', 'any']) {
      const seen: string[] = []
      let page: string | null = null
      do {
        const r = await request(
          `${s.url}/v1/nodes/title/t-arcane/edges/started_watching?direction=in&limit=3&order=${order}${page ? `&page=${page}` : ''}`,
        )
        expect(r.status, r.text).toBe(200)
        const p = r.body as Page
        seen.push(...p.neighbors.map((n) => n.node.id))
        page = p.next
      } while (page)
      expect(new Set(seen).size).toBe(all.neighbors.length)
    }
    const prefixed = (await request(`${s.url}/v1/nodes/title/t-arcane/edges/started_watching?direction=in&order=any&prefix=acct-0000`))
      .body as Page
    expect(prefixed.neighbors.every((n) => n.node.id.startsWith('acct-0000'))).toBe(true)
    const recent = (await request(`${s.url}/v1/nodes/title/t-arcane/edges/started_watching?direction=in&lookback=1ms`)).body as Page
    expect(recent.neighbors.length).toBeLessThan(all.neighbors.length)
  })

  it('traverses like the CLI, with visited-node exclusion and node properties', async () => {
    const body = {
      start: { type: 'account', id: acct },
      hops: [{ edge: 'has_profile' }, { edge: 'started_watching', limit: 5 }, { edge: 'started_watching', direction: 'in', limit: 10 }],
      excludeVisited: true,
      select: true,
    }
    const r = await post(`${s.url}/v1/traverse`, body)
    expect(r.status, r.text).toBe(200)
    const steps = (r.body as { steps: Array<{ reached: Array<{ node: { type: string; id: string }; nodeProperties?: unknown }> }> }).steps
    expect(steps).toHaveLength(3)
    expect(steps[0]!.reached.every((x) => x.node.type === 'profile')).toBe(true)
    expect(steps[1]!.reached.every((x) => x.node.type === 'title' && 'nodeProperties' in x)).toBe(true)
    const firstProfiles = new Set(steps[0]!.reached.map((x) => x.node.id))
    expect(steps[2]!.reached.some((x) => firstProfiles.has(x.node.id))).toBe(false)
    const q = await cli(
      'query',
      'traverse',
      'account',
      acct,
      '--hop',
      'has_profile',
      '--hop',
      'started_watching:5',
      '--hop',
      'started_watching:in:10',
      '--exclude-visited',
      '--json',
      '--store',
      storeFlag,
    )
    // the CLI cannot open the store the server holds: it says where to read instead, in one line
    expect(q.code).toBe(2)
    expect(q.err.trim().split('\n')).toHaveLength(1)
    expect(q.err).toMatch(/--serve/)
  })

  it('draws a neighbourhood as DOT and Mermaid', async () => {
    const dot = await request(`${s.url}/v1/nodes/account/${acct}/edges/has_profile?format=dot`)
    expect(dot.type).toMatch(/graphviz/)
    expect(dot.text).toMatch(/^digraph rdg \{/)
    expect(dot.text).toMatch(new RegExp(`"account:${acct}" -> "profile:${acct}-p\\d"`))
    const mermaid = await post(`${s.url}/v1/traverse`, {
      start: { type: 'account', id: acct },
      hops: [{ edge: 'has_profile' }, { edge: 'started_watching', limit: 2 }],
      format: 'mermaid',
    })
    expect(mermaid.text).toMatch(/^flowchart LR/)
    expect(mermaid.text).toMatch(/-->\|"started_watching"\|/)
  })

  it('describes itself in /openapi.json and counts requests in /metrics', async () => {
    const doc = (await request(`${s.url}/openapi.json`)).body as { openapi: string; paths: Record<string, unknown> }
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/nodes/{type}/{id}', '/v1/nodes/{type}/{id}/edges/{edgeType}', '/v1/traverse', '/v1/nodes:batch']),
    )
    const m = await request(`${s.url}/metrics`)
    expect(m.type).toMatch(/^text\/plain/)
    expect(m.text).toMatch(/rdg_http_requests_total\{method="GET",route="\/v1\/nodes\/\{type\}\/\{id\}",status="200"\} \d+/)
    expect(m.text).toMatch(/rdg_http_request_duration_seconds_bucket\{route="\/v1\/traverse",le="\+Inf"\} \d+/)
    expect(m.text).toMatch(/rdg_read_cache_hits_total \d+/)
  })

  it('rejects mistakes with a 400 and a clear message', async () => {
    const cases: Array<[Promise<{ status: number; body: unknown }>, number, RegExp]> = [
      [request(`${s.url}/v1/nodes/usr/u1`), 400, /unknown node type "usr".*known: account/s],
      [request(`${s.url}/v1/nodes/account/a/edges/watched`), 400, /unknown edge type "watched"/],
      [request(`${s.url}/v1/nodes/account/a/edges/started_watching`), 400, /leaves profile nodes, not account/],
      [request(`${s.url}/v1/nodes/game/g/edges/played_on?direction=in`), 400, /unknown node type|reverse adjacency/],
      [request(`${s.url}/v1/nodes/account/a/edges/has_profile?direction=sideways`), 400, /direction must be out or in/],
      [request(`${s.url}/v1/nodes/account/a/edges/has_profile?page=bm9wZQ`), 400, /not a page token/],
      [request(`${s.url}/v1/nodes/account/a/edges/has_profile?limit=0`), 400, /positive integer/],
      [request(`${s.url}/v1/nodes/account/a/edges/has_profile?lookback=yesterday`), 400, /not a duration/],
      [request(`${s.url}/v1/nodes/account/a/edges/has_profile?bogus=1`), 400, /unknown query parameter "bogus"/],
      [request(`${s.url}/v1/nodes/account/a/edges/has_profile?format=png`), 400, /format must be json, dot or mermaid/],
      [
        post(`${s.url}/v1/traverse`, { start: { type: 'account', id: acct }, hops: [{ edge: 'has_profile' }, { edge: 'logged_in_from' }] }),
        400,
        /hops\[1\]: edge type "logged_in_from" leaves account nodes, not profile/,
      ],
      [post(`${s.url}/v1/traverse`, { start: { type: 'account', id: 'a' }, hops: [] }), 400, /non-empty list/],
      [
        post(`${s.url}/v1/traverse`, { start: { type: 'account', id: 'a' }, hops: [{ edge: 'has_profile', hop: 1 }] }),
        400,
        /unknown field "hop"/,
      ],
      [post(`${s.url}/v1/traverse`, '[1,2'), 400, /not valid JSON/],
      [post(`${s.url}/v1/traverse`, ''), 400, /needs a JSON body/],
      [post(`${s.url}/v1/traverse`, 'null'), 400, /must be a JSON object/],
      [request(`${s.url}/v1/traverse`), 405, /GET is not allowed/],
      [request(`${s.url}/v2/anything`), 404, /no route/],
    ]
    for (const [res, status, message] of cases) {
      const r = await res
      expect(r.status, JSON.stringify(r.body)).toBe(status)
      expect((r.body as { error: string; hint?: string }).error + ' ' + ((r.body as { hint?: string }).hint ?? '')).toMatch(message)
    }
  })

  it('keeps hostile requests within its limits', async () => {
    const start = { type: 'account', id: acct }
    const huge = await request(`${s.url}/v1/nodes/account/a/edges/has_profile?limit=1000000000`)
    expect(huge.status).toBe(400)
    expect(JSON.stringify(huge.body)).toMatch(/above the service's limit of 1000/)
    const deep = await post(`${s.url}/v1/traverse`, {
      start,
      hops: Array.from({ length: 50 }, (_, i) => ({ edge: i % 2 ? 'has_profile' : 'has_profile', direction: i % 2 ? 'out' : 'in' })),
    })
    expect(deep.status).toBe(400)
    expect(JSON.stringify(deep.body)).toMatch(/above the service's limit of 4/)
    const bigBody = await post(`${s.url}/v1/traverse`, { start, hops: [{ edge: 'has_profile' }], pad: 'x'.repeat(200_000) })
    expect(bigBody.status).toBe(413)
    const manyNodes = await post(`${s.url}/v1/nodes:batch`, {
      nodes: Array.from({ length: 1001 }, (_, i) => ({ type: 'account', id: `a${i}` })),
    })
    expect(manyNodes.status).toBe(400)
    // a wide 4-hop traversal at the largest limits: bounded by edges per hop, answered
    const wide = await post(`${s.url}/v1/traverse`, {
      start,
      hops: [
        { edge: 'has_profile', limit: 1000 },
        { edge: 'started_watching', limit: 1000 },
        { edge: 'started_watching', direction: 'in', limit: 1000 },
        { edge: 'started_watching', limit: 1000 },
      ],
    })
    expect(wide.status, wide.text.slice(0, 200)).toBe(200)
    const id = await request(`${s.url}/v1/nodes/account/${'x'.repeat(2000)}`)
    expect(id.status).toBe(400)
    const ctl = await raw('/v1/nodes/account/a%00b')
    expect(ctl.status).toBe(400)
    const long = await raw(`/v1/nodes/account/${'y'.repeat(10_000)}`)
    expect([400, 414, 431]).toContain(long.status)
  })

  it('answers fuzzed paths with 4xx JSON errors, never a crash', async () => {
    let seed = 42
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed / 2 ** 31)
    const pieces = [
      'v1',
      'nodes',
      'account',
      'profile',
      'edges',
      'has_profile',
      '%',
      '%zz',
      '%00',
      '..',
      '.',
      '',
      '{type}',
      'nodes:batch',
      'traverse',
      '%F0%9F%92%A9',
      '\u00e9',
      '?',
      '&',
      '=',
      '#',
      '%2F',
      'a'.repeat(300),
    ]
    for (let i = 0; i < 200; i++) {
      const n = 1 + Math.floor(rand() * 7)
      const path = '/' + Array.from({ length: n }, () => pieces[Math.floor(rand() * pieces.length)]!).join('/')
      const safe = path.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c)).replace(/#/g, '%23')
      const r = await raw(safe, rand() < 0.3 ? 'POST' : 'GET')
      expect(r.status, safe).toBeLessThan(500)
      if (r.status >= 400) expect(() => JSON.parse(r.body) as unknown, safe).not.toThrow()
    }
    expect((await request(`${s.url}/healthz`)).status).toBe(200)
  })
})

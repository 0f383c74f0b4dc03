/**
 * How HttpServer answers a failing handler: a user mistake is 400, a store that is down
 * for now (a retriable error) is 503, anything else 500; always a JSON `{ error, hint? }`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, TransientError } from '../../base/errors.ts'
import { HttpServer } from '../../serving/http.ts'
import { DEFAULT_LIMITS } from '../../serving/limits.ts'

const http = new HttpServer({ limits: DEFAULT_LIMITS })
let base = ''

beforeAll(async () => {
  http.route('GET', '/config', () => {
    throw new ConfigError('unknown node type "pages"')
  })
  http.route('GET', '/down', () => Promise.reject(new TransientError('Cassandra read on namespace edge.e failed: no host', 'retrying')))
  http.route('GET', '/bug', () => {
    throw new TypeError('x is undefined')
  })
  http.route('GET', '/unserializable', () => ({ body: { count: 10n } })) // JSON.stringify throws on a BigInt
  const { port } = await http.listen('127.0.0.1', 0)
  base = `http://127.0.0.1:${port}`
})
afterAll(() => http.close())

describe('HttpServer errors', () => {
  it.each([
    ['/config', 400, /^unknown node type "pages"$/],
    ['/down', 503, /^the graph store is unavailable: Cassandra read on namespace edge\.e failed: no host/],
    ['/bug', 500, /^internal error$/],
    ['/unserializable', 500, /^internal error$/],
  ])('%s answers %i with a JSON error', async (path, status, message) => {
    const r = await fetch(base + path)
    expect(r.status).toBe(status)
    const body = (await r.json()) as { error: string; hint?: string }
    expect(body.error).toMatch(message)
    if (status === 503) expect(body.hint).toBe('try again shortly')
  })
})

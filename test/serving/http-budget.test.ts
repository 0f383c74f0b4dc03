/**
 * The per-request time budget and a client that goes away, on a real HttpServer driven by
 * a ManualClock: past its budget a request is answered 503 at once (the handler's late
 * result is dropped) and its signal is aborted; a client that hangs up aborts the signal
 * of its request, which counts as 499. The finished hook sees each request exactly once.
 */
import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ManualClock } from '../../base/clock.ts'
import { HttpServer, type Finished, type Reply } from '../../serving/http.ts'
import { resolveLimits } from '../../serving/limits.ts'

const BUDGET = 1_000
const clock = new ManualClock(1_000_000)
const http = new HttpServer({ limits: resolveLimits({ timeBudgetMs: BUDGET }), clock })
const finished: Finished[] = []
let base = ''

/** A handler that answers only when the test says; `entered` resolves with its signal. */
function parked() {
  let answer!: (r: Reply) => void
  let entered!: (s: AbortSignal) => void
  const inside = new Promise<AbortSignal>((r) => (entered = r))
  const handler = (req: { signal: AbortSignal }) => {
    entered(req.signal)
    return new Promise<Reply>((r) => (answer = r))
  }
  return { handler, inside, answer: (r: Reply) => answer(r) }
}

const slow = parked()
const late = parked()
const gone = parked()

beforeAll(async () => {
  http.route('GET', '/slow', slow.handler)
  http.route('GET', '/late', late.handler)
  http.route('GET', '/gone', gone.handler)
  http.route('GET', '/quick', () => ({ body: { ok: true } }))
  http.onFinished((f) => finished.push(f))
  const { port } = await http.listen('127.0.0.1', 0)
  base = `http://127.0.0.1:${port}`
})
afterAll(() => {
  http.server.closeAllConnections() // a failing test leaves its request open
  return http.close()
})

const aborted = (signal: AbortSignal) =>
  new Promise<unknown>((resolve) =>
    signal.aborted ? resolve(signal.reason) : signal.addEventListener('abort', () => resolve(signal.reason)),
  )

describe('HttpServer time budget', { timeout: 5_000 }, () => {
  it('answers 503 once the budget is spent, and aborts the handler', async () => {
    const response = fetch(`${base}/slow`)
    const signal = await slow.inside
    clock.advance(BUDGET - 1)
    expect(signal.aborted).toBe(false)
    clock.advance(BUDGET) // within one more budget, whatever the sweep granularity
    const r = await response
    expect(r.status).toBe(503)
    expect(((await r.json()) as { error: string }).error).toBe(`the request took longer than its time budget of ${BUDGET} ms`)
    expect(signal.aborted).toBe(true)
    slow.answer({ body: { late: true } }) // dropped: the client has its answer
    const q = await fetch(`${base}/quick`)
    expect(await q.json()).toEqual({ ok: true })
    expect(finished.filter((f) => f.route === '/slow')).toEqual([expect.objectContaining({ status: 503 })])
  })

  it('a handler that answers within the budget is not touched', async () => {
    const response = fetch(`${base}/late`)
    const signal = await late.inside
    clock.advance(BUDGET / 2)
    late.answer({ body: { inTime: true } })
    const r = await response
    expect(r.status).toBe(200)
    expect(await r.json()).toEqual({ inTime: true })
    clock.advance(2 * BUDGET)
    expect(signal.aborted).toBe(false)
    expect(finished.filter((f) => f.route === '/late')).toEqual([expect.objectContaining({ status: 200 })])
  })

  it('a client that hangs up aborts its request (499)', async () => {
    const req = httpRequest(`${base}/gone`)
    req.on('error', () => {})
    req.end()
    const signal = await gone.inside
    req.destroy()
    const reason = (await aborted(signal)) as { status: number }
    expect(reason.status).toBe(499)
    gone.answer({ body: {} })
    await expect.poll(() => finished.filter((f) => f.route === '/gone')).toEqual([expect.objectContaining({ status: 499 })])
  })
})

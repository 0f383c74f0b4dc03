/**
 * A small HTTP JSON server on node:http with attachable routes: path patterns with
 * `{param}` segments, a capped JSON body, a time budget per request, JSON errors
 * (`{ error, hint? }`) for every failure (400 for a ConfigError, 503 for a retriable
 * RdgError such as a store that is down, 500 for anything else), and a hook that sees each finished request
 * (metrics). Routes can be added before or after `listen`, so other parts of rdg (a job's
 * Prometheus metrics, a dashboard) mount on the same server.
 *
 * @example
 * const http = new HttpServer({ limits: DEFAULT_LIMITS })
 * http.route('GET', '/v1/hello/{name}', (req) => ({ body: { hello: req.params.name } }))
 * const { port } = await http.listen('127.0.0.1', 0)
 * await http.close()
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { systemClock, type Clock } from '../base/clock.ts'
import { ConfigError, RdgError } from '../base/errors.ts'
import { HttpError } from './errors.ts'
import type { ServingLimits } from './limits.ts'

export type Method = 'GET' | 'POST'

export interface Request {
  readonly method: Method
  /** The path as received (still percent-encoded). */
  readonly path: string
  /** Decoded `{param}` segments of the route pattern. */
  readonly params: Readonly<Record<string, string>>
  readonly query: URLSearchParams
  /** The parsed JSON body (POST), or undefined. */
  readonly body: unknown
  /** Aborted when the request's time budget is spent or the client went away. */
  readonly signal: AbortSignal
  readonly headers: IncomingMessage['headers']
}

export interface Reply {
  readonly status?: number
  /** An object is sent as JSON; a string as is (with `contentType`). */
  readonly body: unknown
  readonly contentType?: string
  readonly headers?: Readonly<Record<string, string>>
}

export type Handler = (req: Request) => Reply | Promise<Reply>

/** What the finished-request hook sees: the route pattern (not the raw path, so labels stay few). */
export interface Finished {
  readonly method: string
  readonly route: string
  readonly status: number
  readonly seconds: number
}

interface Route {
  readonly method: Method
  readonly pattern: string
  readonly parts: readonly string[]
  /** Per part: the name of a `{param}` part, or null for a literal. */
  readonly params: ReadonlyArray<string | null>
  readonly handler: Handler
}

export interface HttpServerOptions {
  readonly limits: ServingLimits
  readonly clock?: Clock
  readonly onFinished?: (f: Finished) => void
}

const splitPath = (p: string): string[] => p.split('/').filter((s) => s.length > 0)

/**
 * A request from its arrival to its answer: what the handler sees, its deadline, and its
 * signal, made on first use (most handlers never look at it).
 */
class Call implements Request {
  method: Method = 'GET'
  path = '/'
  params: Readonly<Record<string, string>> = {}
  query!: URLSearchParams
  body: unknown = undefined
  /** The route pattern, for the finished hook. */
  route = 'unmatched'
  /** Why the request ended before its handler answered (budget spent, client gone). */
  stopped: HttpError | null = null
  readonly deadline: number
  private controller: AbortController | null = null

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly started: number,
    budgetMs: number,
  ) {
    this.deadline = started + budgetMs
  }

  get headers(): IncomingMessage['headers'] {
    return this.req.headers
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController()
      if (this.stopped) this.controller.abort(this.stopped)
    }
    return this.controller.signal
  }

  stop(reason: HttpError): void {
    this.stopped = reason
    this.controller?.abort(reason)
  }
}

export class HttpServer {
  readonly server: Server
  private readonly routes: Route[] = []
  private readonly clock: Clock
  private readonly finishedHooks: Array<(f: Finished) => void> = []
  private readonly inFlight = new Set<Call>()
  private readonly sweepMs: number
  private sweepArmed = false

  constructor(private readonly options: HttpServerOptions) {
    this.clock = options.clock ?? systemClock
    this.sweepMs = Math.min(100, Math.max(1, Math.floor(options.limits.timeBudgetMs / 10)))
    if (options.onFinished) this.finishedHooks.push(options.onFinished)
    this.server = createServer(
      { maxHeaderSize: 16_384, requestTimeout: options.limits.timeBudgetMs * 4, headersTimeout: options.limits.timeBudgetMs * 4 },
      (req, res) => void this.handle(req, res),
    )
    this.server.keepAliveTimeout = 5_000
    this.server.on('connection', (socket: Socket) => socket.once('close', () => this.socketClosed(socket)))
  }

  /** Adds a route; `{name}` segments match one path segment each. Later routes do not shadow earlier ones. */
  route(method: Method, pattern: string, handler: Handler): this {
    const parts = splitPath(pattern)
    const params = parts.map((p) => (p.startsWith('{') && p.endsWith('}') ? p.slice(1, -1) : null))
    this.routes.push({ method, pattern, parts, params, handler })
    return this
  }

  /** Adds a hook that sees every finished request. */
  onFinished(hook: (f: Finished) => void): this {
    this.finishedHooks.push(hook)
    return this
  }

  /** The routes, for documentation (method and pattern). */
  get routeList(): ReadonlyArray<{ method: Method; pattern: string }> {
    return this.routes.map((r) => ({ method: r.method, pattern: r.pattern }))
  }

  /** Listens on `host:port` (port 0: any free one); resolves with the address. */
  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        reject(
          err.code === 'EADDRINUSE'
            ? new ConfigError(`${host}:${port} is in use`, 'pick another --listen port')
            : err.code === 'EADDRNOTAVAIL'
              ? new ConfigError(`cannot listen on ${host}: no such local address`, 'use 127.0.0.1 or an address of this machine')
              : err,
        )
      }
      this.server.once('error', onError)
      this.server.listen(port, host, () => {
        this.server.off('error', onError)
        resolve(this.server.address() as AddressInfo)
      })
    })
  }

  /** Stops accepting connections and closes idle ones; resolves when all are closed. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) {
        resolve()
        return
      }
      this.server.close(() => resolve())
      this.server.closeIdleConnections()
    })
  }

  private match(method: string, parts: readonly string[]): { route: Route; params: Record<string, string> } | 'method' | null {
    let wrongMethod = false
    for (const r of this.routes) {
      if (r.parts.length !== parts.length) continue
      let ok = true
      for (let i = 0; i < parts.length && ok; i++) ok = r.params[i] !== null || r.parts[i] === parts[i]
      if (!ok) continue
      if (r.method !== method) {
        wrongMethod = true
        continue
      }
      const params: Record<string, string> = {}
      for (let i = 0; i < parts.length; i++) if (r.params[i] !== null) params[r.params[i]!] = parts[i]!
      return { route: r, params }
    }
    return wrongMethod ? 'method' : null
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const limits = this.options.limits
    const call = new Call(req, res, this.clock.now(), limits.timeBudgetMs)
    this.inFlight.add(call)
    this.armSweep()
    let status = 500
    try {
      const rawUrl = req.url ?? '/'
      if (rawUrl.length > limits.maxUrlBytes) throw new HttpError(414, `the URL is longer than ${limits.maxUrlBytes} bytes`)
      const q = rawUrl.indexOf('?')
      const path = q < 0 ? rawUrl : rawUrl.slice(0, q)
      call.path = path
      call.query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1))
      let parts: string[]
      try {
        parts = splitPath(path).map((s) => (s.includes('%') ? decodeURIComponent(s) : s))
      } catch {
        throw new HttpError(400, 'the path is not valid percent-encoding')
      }
      const method = req.method ?? 'GET'
      const found = this.match(method === 'HEAD' ? 'GET' : method, parts)
      if (found === null) throw new HttpError(404, `no route ${method} ${path}`, 'see GET /openapi.json')
      if (found === 'method') throw new HttpError(405, `${method} is not allowed on ${path}`, 'see GET /openapi.json')
      call.route = found.route.pattern
      call.method = found.route.method
      call.params = found.params
      if (found.route.method === 'POST') call.body = await this.readJson(req, call.signal)
      const reply = await found.route.handler(call)
      // stopped: already answered (503, budget spent) or the client left (499), and counted
      if (call.stopped) return
      status = reply.status ?? 200
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body)
      this.send(
        res,
        status,
        text,
        reply.contentType ?? (typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json'),
        reply.headers,
      )
    } catch (failure) {
      if (call.stopped) return
      const e =
        failure instanceof HttpError
          ? failure
          : failure instanceof ConfigError
            ? new HttpError(400, failure.message)
            : failure instanceof RdgError && failure.retriable
              ? new HttpError(503, `the graph store is unavailable: ${failure.message}`, 'try again shortly')
              : new HttpError(500, 'internal error', (failure as Error).message)
      status = e.status
      this.sendError(res, e)
    }
    this.inFlight.delete(call)
    this.finish(call, status)
  }

  /** Ends a request before its handler answered: past its budget (answered 503 now) or its client gone. */
  private stop(call: Call, reason: HttpError): void {
    if (call.stopped) return
    call.stop(reason)
    this.inFlight.delete(call)
    if (reason.status !== 499) this.sendError(call.res, reason)
    this.finish(call, reason.status)
  }

  private finish(call: Call, status: number): void {
    const f: Finished = { method: call.req.method ?? '', route: call.route, status, seconds: (this.clock.now() - call.started) / 1_000 }
    for (const hook of this.finishedHooks) hook(f)
  }

  /**
   * One sweep timer for all requests instead of a timer each: while any request is in
   * flight it looks every `sweepMs` for requests past their budget (so a budget is kept to
   * within `sweepMs`).
   */
  private armSweep(): void {
    if (this.sweepArmed) return
    this.sweepArmed = true
    this.clock.schedule(this.sweepMs, () => {
      this.sweepArmed = false
      const now = this.clock.now()
      for (const call of this.inFlight)
        if (now >= call.deadline)
          this.stop(
            call,
            new HttpError(
              503,
              `the request took longer than its time budget of ${this.options.limits.timeBudgetMs} ms`,
              'ask for fewer hops or smaller limits',
            ),
          )
      if (this.inFlight.size > 0) this.armSweep()
    })
  }

  /** A connection closed: its requests still in flight lose their client. */
  private socketClosed(socket: Socket): void {
    for (const call of this.inFlight) if (call.req.socket === socket) this.stop(call, new HttpError(499, 'the client went away'))
  }

  private sendError(res: ServerResponse, e: HttpError): void {
    if (!res.headersSent && !res.destroyed)
      this.send(res, e.status, JSON.stringify({ error: e.message, ...(e.hint ? { hint: e.hint } : {}) }), 'application/json')
  }

  private send(res: ServerResponse, status: number, text: string, contentType: string, headers?: Readonly<Record<string, string>>): void {
    res.writeHead(status, {
      'content-type': contentType,
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      ...headers,
    })
    res.end(res.req.method === 'HEAD' ? undefined : text)
  }

  private readJson(req: IncomingMessage, signal: AbortSignal): Promise<unknown> {
    const max = this.options.limits.maxBodyBytes
    const declared = Number(req.headers['content-length'] ?? NaN)
    if (declared > max) return Promise.reject(new HttpError(413, `the body is larger than ${max} bytes`))
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = []
      let size = 0
      const fail = (e: HttpError) => {
        req.removeAllListeners('data')
        req.resume()
        reject(e)
      }
      signal.addEventListener('abort', () => fail(signal.reason as HttpError), { once: true })
      req.on('data', (c: Buffer) => {
        size += c.length
        if (size > max) fail(new HttpError(413, `the body is larger than ${max} bytes`))
        else chunks.push(c)
      })
      req.on('error', () => fail(new HttpError(400, 'the body could not be read')))
      req.on('end', () => {
        if (size > max) return
        const text = Buffer.concat(chunks).toString('utf8')
        if (text.trim() === '') {
          reject(new HttpError(400, 'the request needs a JSON body'))
          return
        }
        try {
          resolve(JSON.parse(text))
        } catch (err) {
          reject(new HttpError(400, `the body is not valid JSON: ${(err as Error).message}`))
        }
      })
    })
  }
}

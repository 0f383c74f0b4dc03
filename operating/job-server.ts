/**
 * The HTTP server of a running job (`rdg-job run --http 127.0.0.1:9464`): Prometheus
 * `/metrics`, `/healthz` (the process is alive), `/readyz` (the source has its input and
 * the last checkpoint is recent), the dashboard (static files in operating/dashboard/)
 * and the JSON it polls (`/api/job`, `/api/history`, `/api/graph/*` for the graph
 * explorer, read from the store through GraphQuery). A sampler takes one snapshot of the
 * counters a second for the dashboard's charts; nothing here runs per record.
 *
 * @example
 * const server = new JobServer(job)
 * const { url } = await server.listen('127.0.0.1', 9464)
 * await server.close()
 */
import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { systemClock, type Clock } from '../base/clock.ts'
import { ConfigError } from '../base/errors.ts'
import { MIN_WATERMARK } from '../base/ids.ts'
import { nodeNamespace } from '../store/graph-layout.ts'
import { dedupRatio, JobMetricsRegistry, watermarkLagSeconds } from './job-metrics.ts'
import type { OperatedJob } from './operated-job.ts'

const DASHBOARD_DIR = join(import.meta.dirname, 'dashboard')
const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
}

/** One second of the job, for the dashboard's charts. */
export interface Sample {
  readonly t: number
  readonly recordsIn: number
  /** Records/s into the job since the previous sample. */
  readonly rate: number
  /** Records/s out of each operator since the previous sample. */
  readonly operatorRates: Record<string, number>
  readonly watermarkLagS: number
  readonly consumerLag: number | null
  readonly checkpointMs: number
  readonly checkpoints: number
}

/** `host:port` or `port` of `--http` (host defaults to 127.0.0.1); a malformed value is a ConfigError. */
export function parseHttpFlag(flag: string): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(flag.trim())
  const port = m ? Number(m[2]) : NaN
  if (!m || !(port >= 0 && port <= 65_535))
    throw new ConfigError(`--http ${flag} is not host:port`, 'e.g. --http 127.0.0.1:9464 (port 0 picks a free one)')
  return { host: m[1]?.replace(/^\[|\]$/g, '') ?? '127.0.0.1', port }
}

export class JobServer {
  readonly metrics: JobMetricsRegistry
  private readonly server: Server
  private readonly history: Sample[] = []
  private cancelSampler: (() => void) | null = null
  private previous: { t: number; recordsIn: number; out: Record<string, number> } | null = null
  private readonly clock: Clock

  constructor(
    private readonly job: OperatedJob,
    options: { readonly clock?: Clock; readonly historySamples?: number } = {},
  ) {
    this.clock = options.clock ?? systemClock
    this.metrics = new JobMetricsRegistry(job, this.clock)
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => send(res, 500, { error: (err as Error).message }))
    })
    this.keep = options.historySamples ?? 300
  }

  private readonly keep: number

  async listen(host: string, port: number): Promise<{ url: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'EADDRINUSE' || err.code === 'EACCES'
            ? new ConfigError(
                `--http ${host}:${port}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : 'not allowed'}`,
                'pick another port',
              )
            : err,
        ),
      )
      this.server.listen(port, host, resolve)
    })
    this.sample()
    const bound = (this.server.address() as AddressInfo).port
    return { url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/`, port: bound }
  }

  async close(): Promise<void> {
    this.cancelSampler?.()
    this.cancelSampler = null
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  /** Liveness: the process answers. Readiness: the source has its input, and a checkpoint completed within three intervals (or the run is younger than that). */
  readiness(): { ready: boolean; checks: Record<string, { ok: boolean; detail: string }> } {
    const now = this.clock.now()
    const m = this.job.metrics()
    const sourceOk = this.job.sourceReady?.() ?? true
    const last = m.checkpointStats?.lastCompletedAt ?? null
    const bound = 3 * this.job.checkpointIntervalMs
    const since = now - (last ?? this.job.startedAt)
    const cpOk = since <= bound
    const checks = {
      source: { ok: sourceOk, detail: sourceOk ? 'assigned' : 'waiting for partitions' },
      checkpoint: {
        ok: cpOk,
        detail: last === null ? `no checkpoint yet (${Math.round(since / 1000)} s since start)` : `last ${Math.round(since / 1000)} s ago`,
      },
    }
    return { ready: sourceOk && cpOk, checks }
  }

  /** The snapshot `/api/job` serves. */
  status(): Record<string, unknown> {
    const m = this.job.metrics()
    const now = this.clock.now()
    const lag = this.job.lag?.() ?? null
    const last = this.history[this.history.length - 1]
    return {
      name: this.job.name,
      now,
      startedAt: this.job.startedAt,
      operators: this.job.operators.map((o) => {
        // the source's counts are the job's records in; an operator with no counts of its own is chained into the next (toGraph → dedup)
        const c = o.kind === 'source' ? { recordsIn: m.recordsIn, recordsOut: m.recordsIn } : m.operators[o.id]
        return {
          ...o,
          recordsIn: c?.recordsIn ?? 0,
          recordsOut: c?.recordsOut ?? 0,
          rate: o.kind === 'source' ? (last?.rate ?? 0) : (last?.operatorRates[o.id] ?? 0),
          chained: c === undefined,
        }
      }),
      recordsIn: m.recordsIn,
      rate: last?.rate ?? 0,
      deadLetters: m.deadLetters + this.job.sinks.reduce((n, s) => n + s.rejected, 0),
      deadLettersByReason: m.deadLettersByReason,
      primitivesBeforeDedup: m.primitivesBeforeDedup,
      primitivesAfterDedup: m.primitivesAfterDedup,
      dedupRatio: dedupRatio(m.primitivesBeforeDedup, m.primitivesAfterDedup),
      watermark: m.watermark === MIN_WATERMARK ? null : m.watermark,
      watermarkLagS: watermarkLagSeconds(m.watermark, now),
      checkpoints: m.checkpoints,
      lastCheckpointId: m.lastCheckpointId,
      checkpointStats: m.checkpointStats ?? null,
      consumerLag: lag ? { topic: lag.topic, total: lag.total, byPartition: Object.fromEntries(lag.byPartition) } : null,
      total: this.job.total?.() ?? null,
      done: this.job.done?.() ?? m.recordsIn,
      sinks: this.job.sinks.map((s) => ({
        id: s.id,
        written: s.written,
        retries: s.retries,
        pending: s.pending,
        backpressureMs: s.backpressureMs,
        writeBatches: s.writeBatches,
        writeMsTotal: s.writeMsTotal,
      })),
      graph: this.job.graph ? { nodes: Object.keys(this.job.graph.schema.nodes), edges: this.job.graph.schema.edges } : null,
      ready: this.readiness().ready,
    }
  }

  private sample(): void {
    const m = this.job.metrics()
    const t = this.clock.now()
    const out: Record<string, number> = {}
    // a sink emits nothing: its rate is what it takes
    for (const [id, c] of Object.entries(m.operators)) out[id] = c.recordsOut > 0 ? c.recordsOut : c.recordsIn
    const prev = this.previous
    const dt = prev ? Math.max(0.001, (t - prev.t) / 1000) : 1
    const operatorRates: Record<string, number> = {}
    for (const id of Object.keys(out)) operatorRates[id] = prev ? (out[id]! - (prev.out[id] ?? 0)) / dt : 0
    this.history.push({
      t,
      recordsIn: m.recordsIn,
      rate: prev ? (m.recordsIn - prev.recordsIn) / dt : 0,
      operatorRates,
      watermarkLagS: watermarkLagSeconds(m.watermark, t),
      consumerLag: this.job.lag?.()?.total ?? null,
      checkpointMs: m.checkpointStats?.lastDurationMs ?? 0,
      checkpoints: m.checkpoints,
    })
    if (this.history.length > this.keep) this.history.shift()
    this.previous = { t, recordsIn: m.recordsIn, out }
    this.cancelSampler = this.clock.schedule(1_000, () => this.sample())
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, { error: 'only GET' })
      return
    }
    const path = url.pathname
    if (path === '/metrics') {
      const text = await this.metrics.text()
      res.writeHead(200, { 'content-type': this.metrics.contentType })
      res.end(text)
      return
    }
    if (path === '/healthz') {
      send(res, 200, { status: 'alive' })
      return
    }
    if (path === '/readyz') {
      const r = this.readiness()
      send(res, r.ready ? 200 : 503, r)
      return
    }
    if (path === '/api/job') {
      send(res, 200, this.status())
      return
    }
    if (path === '/api/history') {
      send(res, 200, { samples: this.history })
      return
    }
    if (path === '/api/graph/sample') return this.graphSample(res, url.searchParams)
    if (path === '/api/graph/node') return this.graphNode(res, url.searchParams)
    const file = STATIC[path]
    if (file) {
      const body = await readFile(join(DASHBOARD_DIR, file.file))
      res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-cache' })
      res.end(body)
      return
    }
    send(res, 404, { error: `no route ${path}`, hint: 'try /, /metrics, /healthz, /readyz' })
  }

  /** A few node ids of a type, to start exploring from. */
  private async graphSample(res: ServerResponse, q: URLSearchParams): Promise<void> {
    const g = this.job.graph
    if (!g) {
      send(res, 404, { error: 'this job has no graph store to explore' })
      return
    }
    const type = q.get('type') ?? Object.keys(g.schema.nodes)[0]!
    if (!g.schema.nodes[type]) {
      send(res, 400, { error: `unknown node type "${type}"` })
      return
    }
    send(res, 200, { type, ids: await this.sampleIds(type) })
    return
  }

  private async sampleIds(type: string): Promise<string[]> {
    const store = this.job.graph?.store
    if (!store) return []
    const page = await store.scanNamespace(nodeNamespace(type), { limit: 20 })
    return [...new Set(page.items.map((i) => i.recordId))].slice(0, 10)
  }

  /** A node, its properties and its neighbours over every edge type that touches its type (out, and in where kept). */
  private async graphNode(res: ServerResponse, q: URLSearchParams): Promise<void> {
    const g = this.job.graph
    if (!g) {
      send(res, 404, { error: 'this job has no graph store to explore' })
      return
    }
    const type = q.get('type') ?? ''
    const id = q.get('id') ?? ''
    if (!g.schema.nodes[type] || !id) {
      send(res, 400, { error: 'pass ?type=<node type>&id=<node id>' })
      return
    }
    const limit = Math.min(50, Math.max(1, Number(q.get('limit') ?? 12) || 12))
    const node = await g.query.getNode({ type, id })
    const edges: Array<{ edge: string; direction: 'out' | 'in'; node: { type: string; id: string }; eventTime: number }> = []
    for (const [edge, decl] of Object.entries(g.schema.edges)) {
      if (decl.from === type) {
        const page = await g.query.neighbors({ type, id }, edge, { limit })
        for (const n of page.neighbors) edges.push({ edge, direction: 'out', node: n.node, eventTime: n.eventTime })
      }
      if (decl.to === type && decl.direction === 'both') {
        const page = await g.query.neighbors({ type, id }, edge, { limit, direction: 'in' })
        for (const n of page.neighbors) edges.push({ edge, direction: 'in', node: n.node, eventTime: n.eventTime })
      }
    }
    send(res, 200, { node: node ? { type, id, properties: node.properties, eventTime: node.eventTime } : null, edges })
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end()
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' })
  res.end(JSON.stringify(body))
}

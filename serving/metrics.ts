/**
 * Prometheus metrics of the query service in the text exposition format, without a
 * client library: requests by route and status, a latency histogram by route, and any
 * gauges another module registers (the read cache's hits and misses, a job's rates).
 *
 * @example
 * const m = new ServingMetrics()
 * m.observe({ method: 'GET', route: '/healthz', status: 200, seconds: 0.001 })
 * m.gauge('rdg_read_cache_hits_total', 'read cache hits', () => cache.stats.hits, 'counter')
 * res.end(m.render())
 */
import type { Finished } from './http.ts'

const BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

interface Histogram {
  readonly counts: number[]
  sum: number
  count: number
}

/** One route's series: its latency histogram and its request counts by method and status. */
interface RouteSeries {
  readonly labels: string
  readonly latency: Histogram
  readonly requests: Map<string, Map<number, number>>
}

const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

export class ServingMetrics {
  /** By route pattern: a request finds its series with one lookup, its labels escaped once. */
  private readonly routes = new Map<string, RouteSeries>()
  private readonly gauges: Array<{ name: string; help: string; type: 'gauge' | 'counter'; read: () => number }> = []

  observe(f: Finished): void {
    let r = this.routes.get(f.route)
    if (!r) {
      r = {
        labels: `route="${label(f.route)}"`,
        latency: { counts: BUCKETS.map(() => 0), sum: 0, count: 0 },
        requests: new Map<string, Map<number, number>>(),
      }
      this.routes.set(f.route, r)
    }
    let byStatus = r.requests.get(f.method)
    if (!byStatus) r.requests.set(f.method, (byStatus = new Map<number, number>()))
    byStatus.set(f.status, (byStatus.get(f.status) ?? 0) + 1)
    const h = r.latency
    for (let i = 0; i < BUCKETS.length; i++) if (f.seconds <= BUCKETS[i]!) h.counts[i]!++
    h.sum += f.seconds
    h.count++
  }

  /** A value read at each scrape. */
  gauge(name: string, help: string, read: () => number, type: 'gauge' | 'counter' = 'gauge'): void {
    this.gauges.push({ name, help, type, read })
  }

  render(): string {
    const out: string[] = [
      '# HELP rdg_http_requests_total HTTP requests served, by route and status',
      '# TYPE rdg_http_requests_total counter',
    ]
    for (const r of this.routes.values())
      for (const [method, byStatus] of r.requests)
        for (const [status, n] of byStatus)
          out.push(`rdg_http_requests_total{method="${label(method)}",${r.labels},status="${status}"} ${n}`)
    out.push(
      '# HELP rdg_http_request_duration_seconds time to answer a request, by route',
      '# TYPE rdg_http_request_duration_seconds histogram',
    )
    for (const { labels: k, latency: h } of this.routes.values()) {
      BUCKETS.forEach((b, i) => out.push(`rdg_http_request_duration_seconds_bucket{${k},le="${b}"} ${h.counts[i]!}`))
      out.push(
        `rdg_http_request_duration_seconds_bucket{${k},le="+Inf"} ${h.count}`,
        `rdg_http_request_duration_seconds_sum{${k}} ${h.sum}`,
        `rdg_http_request_duration_seconds_count{${k}} ${h.count}`,
      )
    }
    for (const g of this.gauges) out.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} ${g.type}`, `${g.name} ${g.read()}`)
    return out.join('\n') + '\n'
  }
}

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

const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

export class ServingMetrics {
  private readonly requests = new Map<string, number>()
  private readonly latency = new Map<string, Histogram>()
  private readonly gauges: Array<{ name: string; help: string; type: 'gauge' | 'counter'; read: () => number }> = []

  observe(f: Finished): void {
    const key = `method="${label(f.method)}",route="${label(f.route)}",status="${f.status}"`
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1)
    const rk = `route="${label(f.route)}"`
    let h = this.latency.get(rk)
    if (!h) this.latency.set(rk, (h = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 }))
    BUCKETS.forEach((b, i) => {
      if (f.seconds <= b) h.counts[i]!++
    })
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
    for (const [k, v] of this.requests) out.push(`rdg_http_requests_total{${k}} ${v}`)
    out.push(
      '# HELP rdg_http_request_duration_seconds time to answer a request, by route',
      '# TYPE rdg_http_request_duration_seconds histogram',
    )
    for (const [k, h] of this.latency) {
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

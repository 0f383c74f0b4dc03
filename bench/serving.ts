/**
 * The query service under load, on a graph of 1 M+ edges built by the real playback job
 * (generator events through the engine into an embedded RocksDB store; built once into
 * --dir and reused):
 * - node reads (a random account); 1-hop reads, limit 100: a profile's devices (a narrow
 *   node), a title's viewers in key order (ANY) and newest first (LATEST: a title has
 *   ~27 000 viewers, LATEST reads up to 5 000 of them to keep the newest 100); 2-hop
 *   traversals (a profile's titles, then their other viewers, limit 100 each, visited
 *   excluded) in ANY and LATEST order; at 1, 8 and 32 concurrent keep-alive HTTP clients:
 *   requests/s, p50/p99 and failures;
 * - on `rdg-job serve` over the idle store (read cache on and off), and on
 *   `rdg-job run … --serve` with the job ingesting into the same store at the same time;
 * - with --cassandra: the same queries on a real single-node Cassandra holding a copy of
 *   the graph (started through test/infra/cassandra-server.ts).
 *
 *   node --import tsx bench/serving.ts [--dir .rdg/bench-serving] [--seconds 3] [--accounts 300000] [--events 1200000] [--cassandra]
 *     [--only <query regex>] [--clients 1,8,32] [--cache-ttls 1000,0] [--suites idle,ingesting,cassandra] [--server-node-flags '--cpu-prof']
 *     [--build-only] [--no-recent-index] (builds into a --dir that has no graph yet) [--client lean|node]
 *     [--rates 2000,5000] (open loop: latency at a fixed offered rate, counted from each request's due time)
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { systemClock } from '../base/clock.ts'
import { buildJobIo, PACKAGE_ROOT, sideInputDirFor } from '../cli/job-io.ts'
import { GeneratorSource } from '../connectors/generator/generator-source.ts'
import { runJob } from '../graph/run-job.ts'
import { playbackSchema } from '../jobs/playback-events.ts'
import { builtInJobs } from '../jobs/registry.ts'
import type { KvDataStore } from '../store/kv/api.ts'
import { CassandraKvStore } from '../store/kv/cassandra-kv.ts'
import { RocksDbKvStore } from '../store/kv/rocksdb-kv.ts'
import { KvGraphSink } from '../store/graph-sink.ts'
import { CassandraServer } from '../test/infra/cassandra-server.ts'
import { LeanClient } from './http-load.ts'
import { seededRandom } from '../connectors/generator/prng.ts'

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : undefined
}
const DIR = resolve(arg('dir') ?? '.rdg/bench-serving')
const SECONDS = Number(arg('seconds') ?? 3)
const ACCOUNTS = Number(arg('accounts') ?? 300_000)
const EVENTS = Number(arg('events') ?? 1_200_000)
/** Only the queries whose name matches (e.g. --only '1-hop'), and only these client counts (e.g. --clients 32). */
const ONLY = new RegExp(arg('only') ?? '')
const CLIENTS = (arg('clients') ?? '1,8,32').split(',').map(Number)
/** Open-loop rates (requests/s, e.g. --rates 2000,5000), each at the largest client count, after the closed-loop figures. */
const RATES = (arg('rates') ?? '')
  .split(',')
  .filter((r) => r !== '')
  .map(Number)
/** Which suites run: idle (serve, read cache on and off), ingesting (run --serve), cassandra. */
const SUITES = new Set((arg('suites') ?? `idle,ingesting${process.argv.includes('--cassandra') ? ',cassandra' : ''}`).split(','))
/** The load client: 'lean' (bench/http-load.ts, little CPU per request) or 'node' (node:http's Agent). */
const CLIENT = arg('client') ?? 'lean'
if (CLIENT !== 'lean' && CLIENT !== 'node') throw new Error(`--client ${CLIENT}: lean or node`)
// (--cache-ttls 1000,0: the read-cache settings of the idle suites)
const BIN = join(PACKAGE_ROOT, 'bin', 'rdg-job.js')
const STORE = join(DIR, 'graph')
const playback = builtInJobs.get('playback-events')!
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

const rng = seededRandom

/** Builds the graph with the playback job: many accounts, no heartbeats (each watch is start + stop), so edges are many. */
async function build(): Promise<void> {
  const store = await RocksDbKvStore.open(STORE)
  const dir = join(DIR, 'job')
  const io = await buildJobIo(playback, { kind: 'generator', count: 1 }, dir)
  const source = new GeneratorSource({
    topic: 'playback-events',
    encoding: 'avro',
    schema: playbackSchema,
    catalogDir: join(PACKAGE_ROOT, 'data', 'catalog'),
    count: EVENTS,
    accounts: ACCOUNTS,
    heartbeats: 0,
    seed: 11,
  })
  const sink = new KvGraphSink({
    id: 'graph-store',
    store,
    schema: playback.graph,
    onReject: () => {},
    recentIndex: !process.argv.includes('--no-recent-index'),
  })
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  const handle = runJob(playback, {
    source,
    decode: io.decode,
    graphSinks: [sink],
    deadLetterSink: io.deadLetterSink,
    dataDir: dir,
    sideInputDir: sideInputDirFor(playback),
    state: { backend: 'rocksdb' },
    checkpoint: { intervalMs: 30_000 },
  })
  let cancel = () => {}
  const tick = () => {
    process.stderr.write(`  building: ${fmt(handle.metrics.recordsIn)} events, ${fmt(sink.written)} items written\r`)
    cancel = systemClock.schedule(2_000, tick)
  }
  tick()
  await handle.done
  cancel()
  await store.close()
  const cpu = process.cpuUsage(cpu0)
  console.log(
    `built with the playback job: ${fmt(EVENTS)} events (${fmt(ACCOUNTS)} accounts) in ${((performance.now() - t0) / 1_000).toFixed(1)} s, ` +
      `${((cpu.user + cpu.system) / 1e6).toFixed(1)} CPU-s, ${fmt(sink.written)} KV items, recent-edge indexes: ${[...sink.recentIndexes].join(', ') || 'none'}`,
  )
  if (process.argv.includes('--build-only')) process.exit(0)
}

/** Edges per out-namespace (one item per edge in the out adjacency lists). */
async function countEdges(store: KvDataStore): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const e of Object.keys(playback.graph.edges)) {
    let n = 0
    let token: string | null = null
    do {
      const page = await store.scanNamespace(`edge.${e}`, { limit: 10_000, ...(token ? { pageToken: token } : {}) })
      n += page.items.length
      token = page.next
    } while (token)
    out[e] = n
  }
  return out
}

/** Ids to query: accounts and profiles that exist, and the titles. */
async function sampleIds(store: KvDataStore): Promise<{ accounts: string[]; profiles: string[]; titles: string[] }> {
  const accounts: string[] = []
  const profiles: string[] = []
  const titles = new Set<string>()
  let token: string | null = null
  do {
    const page = await store.scanNamespace('edge.has_profile', { limit: 10_000, ...(token ? { pageToken: token } : {}) })
    for (const i of page.items) {
      if (accounts[accounts.length - 1] !== i.recordId) accounts.push(i.recordId)
      profiles.push(i.key.slice('profile:'.length))
    }
    token = profiles.length < 50_000 ? page.next : null
  } while (token)
  const catalog = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'data', 'catalog', 'titles.json'), 'utf8')) as Array<{ titleId: string }>
  for (const t of catalog)
    if ((await store.readRecord('edge.started_watching.in', t.titleId, { limit: 1 })).items.length > 0) titles.add(t.titleId)
  return { accounts, profiles, titles: [...titles] }
}

interface Server {
  readonly url: URL
  readonly proc: ChildProcess
  stop(): Promise<void>
}

function startServer(args: readonly string[]): Promise<Server> {
  const nodeFlags = (arg('server-node-flags') ?? '').split(' ').filter((f) => f !== '')
  const proc = spawn(process.execPath, ['--max-old-space-size=1024', ...nodeFlags, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const exited = new Promise<void>((r) => proc.on('exit', () => r()))
  return new Promise((resolveServer, reject) => {
    proc.stderr.on('data', (d) => (out += String(d)))
    proc.stdout.on('data', (d) => {
      out += String(d)
      const m = /serving .* on (http:\/\/[^\s]+)/.exec(out)
      if (m) resolveServer({ url: new URL(m[1]!), proc, stop: () => (proc.kill('SIGTERM'), exited) })
    })
    void exited.then(() => reject(new Error(`server exited:\n${out}`)))
  })
}

type Query = () => { method: 'GET' | 'POST'; path: string; body?: string }

/** Resolves with the status (0: a transport error); anything but 200/404 counts as failed in the figures. */
function call(agent: Agent, url: URL, q: ReturnType<Query>): Promise<number> {
  return new Promise((resolveCall) => {
    const headers = q.body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(q.body) } : {}
    const req = request({ agent, host: url.hostname, port: url.port, method: q.method, path: q.path, headers }, (res) => {
      res.resume()
      res.on('end', () => resolveCall(res.statusCode ?? 0))
    })
    req.on('error', () => resolveCall(0))
    req.end(q.body)
  })
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in USER_HZ ticks
}

interface Figure {
  /** CPU µs per request: the server process, and this (client) process. */
  serverUs: number
  clientUs: number
  rps: number
  p50: number
  p99: number
  n: number
  failed: number
}

/** One keep-alive connection per client: node:http's Agent, or the lean client (bench/http-load.ts). */
interface Caller {
  call(q: ReturnType<Query>): Promise<number>
  close(): void
}

async function callers(url: URL, clients: number): Promise<Caller[]> {
  if (CLIENT === 'node') {
    const agent = new Agent({ keepAlive: true, maxSockets: clients })
    return Array.from({ length: clients }, (_, i) => ({
      call: (q) => call(agent, url, q),
      close: () => (i === 0 ? agent.destroy() : undefined),
    }))
  }
  const lean = await Promise.all(Array.from({ length: clients }, () => LeanClient.connect(url)))
  return lean.map((c) => ({
    call: (q) =>
      c.request(q.method, q.path, q.body).then(
        (r) => r.status,
        () => 0,
      ),
    close: () => c.close(),
  }))
}

/**
 * `rate` undefined: closed loop, each client sends its next request when the last one is
 * answered (the server's capacity; latency is mostly queueing once it is saturated).
 * `rate` set: open loop at that many requests/s over all clients, each request due at its
 * own slot on a fixed schedule and its latency counted from that slot, so a stalled server
 * is charged for the requests it delayed (no coordinated omission). Above capacity the
 * backlog is still sent, so such a figure runs past `seconds` and shows the queue.
 */
async function load(server: Server, query: Query, clients: number, seconds: number, rate?: number): Promise<Figure> {
  const callersOf = await callers(server.url, clients)
  const latencies: number[] = []
  let failed = 0
  // warm-up: the query for a second, closed loop, so the figures are of JIT-compiled code
  const warmEnd = performance.now() + 1_000
  await Promise.all(
    callersOf.map(async (c) => {
      while (performance.now() < warmEnd) await c.call(query())
    }),
  )
  const serverCpu0 = processCpuSeconds(server.proc.pid!)
  const clientCpu0 = process.cpuUsage()
  const t0 = performance.now()
  const end = t0 + seconds * 1_000
  let slot = 0
  await Promise.all(
    callersOf.map(async (c) => {
      for (;;) {
        let s = performance.now()
        if (rate !== undefined) {
          const due = t0 + (slot++ * 1_000) / rate
          if (due >= end) break
          // timers run on the loop's cached clock and can fire early: wait until the slot is due
          while ((s = performance.now()) < due) await new Promise((r) => setTimeout(r, Math.max(1, due - s)))
          s = due
        } else if (s >= end) break
        const status = await c.call(query())
        latencies.push(performance.now() - s)
        if (status !== 200 && status !== 404) failed++
      }
    }),
  )
  const elapsed = (performance.now() - t0) / 1_000
  const serverCpu = processCpuSeconds(server.proc.pid!) - serverCpu0
  const clientCpu = process.cpuUsage(clientCpu0)
  for (const c of callersOf) c.close()
  latencies.sort((a, b) => a - b)
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN
  const perRequest = (cpuSeconds: number) => (cpuSeconds * 1e6) / Math.max(1, latencies.length)
  return {
    serverUs: perRequest(serverCpu),
    clientUs: perRequest((clientCpu.user + clientCpu.system) / 1e6),
    rps: latencies.length / elapsed,
    p50: pct(0.5),
    p99: pct(0.99),
    n: latencies.length,
    failed,
  }
}

async function suite(label: string, server: Server, ids: { accounts: string[]; profiles: string[]; titles: string[] }): Promise<void> {
  const r = rng(7)
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!
  const title = () => encodeURIComponent(pick(ids.titles))
  const twoHop = (order: 'any' | 'latest') => () => ({
    method: 'POST' as const,
    path: '/v1/traverse',
    body: JSON.stringify({
      start: { type: 'profile', id: pick(ids.profiles) },
      hops: [
        { edge: 'started_watching', limit: 100, order },
        { edge: 'started_watching', direction: 'in', limit: 100, order },
      ],
      excludeVisited: true,
    }),
  })
  const queries: Record<string, Query> = {
    'node read': () => ({ method: 'GET', path: `/v1/nodes/account/${encodeURIComponent(pick(ids.accounts))}` }),
    '1-hop profile': () => ({
      method: 'GET',
      path: `/v1/nodes/profile/${encodeURIComponent(pick(ids.profiles))}/edges/streamed_from?limit=100`,
    }),
    '1-hop title any': () => ({
      method: 'GET',
      path: `/v1/nodes/title/${title()}/edges/started_watching?direction=in&limit=100&order=any`,
    }),
    '1-hop title latest': () => ({ method: 'GET', path: `/v1/nodes/title/${title()}/edges/started_watching?direction=in&limit=100` }),
    '2-hop any': twoHop('any'),
    '2-hop latest': twoHop('latest'),
  }
  console.log(
    `\n${label}  (load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')})`,
  )
  console.log(
    `  ${'query'.padEnd(20)} ${'clients'.padStart(7)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'server µs'.padStart(10)} ${'client µs'.padStart(10)}  failed`,
  )
  const runs = [
    ...CLIENTS.map((clients) => ({ clients, rate: undefined })),
    ...RATES.map((rate) => ({ clients: Math.max(...CLIENTS), rate })),
  ]
  for (const [name, q] of Object.entries(queries)) {
    if (!ONLY.test(name)) continue
    for (const { clients, rate } of runs) {
      const m = await load(server, q, clients, SECONDS, rate)
      const cells = [
        fmt(m.rps).padStart(8),
        m.p50.toFixed(2).padStart(8),
        m.p99.toFixed(2).padStart(8),
        fmt(m.serverUs).padStart(10),
        fmt(m.clientUs).padStart(10),
      ]
      const who = rate === undefined ? String(clients) : `${clients} @${fmt(rate)}/s`
      console.log(`  ${name.padEnd(20)} ${who.padStart(7)} ${cells.join(' ')}  ${m.failed}`)
    }
  }
}

// --- the graph -------------------------------------------------------------------------
if (!existsSync(STORE)) await build()
const store = await RocksDbKvStore.open(STORE)
const edges = await countEdges(store)
const ids = await sampleIds(store)
await store.close()
const total = Object.values(edges).reduce((a, b) => a + b, 0)
console.log(
  `graph in ${STORE}: ${fmt(total)} edges (${Object.entries(edges)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ')}); ${fmt(ids.titles.length)} titles, sampled ${fmt(ids.accounts.length)} accounts, ${fmt(ids.profiles.length)} profiles`,
)
console.log(
  `machine: ${(await import('node:os')).cpus().length} cores, shared with other work; clients (${CLIENT === 'lean' ? 'lean keep-alive client, bench/http-load.ts' : "node:http's Agent"}) and server in separate processes; ${SECONDS} s per figure`,
)

// --- embedded, idle store --------------------------------------------------------------
for (const ttl of SUITES.has('idle') ? (arg('cache-ttls') ?? '1000,0').split(',') : []) {
  const s = await startServer(['serve', '--store', `rocksdb:${STORE}`, '--listen', '127.0.0.1:0', '--cache-ttl', ttl])
  try {
    await suite(`rdg-job serve, embedded RocksDB, no job writing, read cache ${ttl === '0' ? 'off' : `on (ttl ${ttl} ms)`}`, s, ids)
  } finally {
    await s.stop()
  }
}

// --- embedded, a job ingesting ---------------------------------------------------------
if (SUITES.has('ingesting')) {
  const dataDir = mkdtempSync(join(tmpdir(), 'rdg-bench-serving-job-'))
  const s = await startServer([
    'run',
    'playback-events',
    '--source',
    'generator',
    '--rate',
    '5000',
    '--seed',
    '23',
    '--store',
    `rocksdb:${STORE}`,
    '--data-dir',
    dataDir,
    '--serve',
    '127.0.0.1:0',
  ])
  try {
    await suite('rdg-job run playback-events --rate 5000 --serve: the job ingesting into the store while it serves', s, ids)
  } finally {
    await s.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

// --- Cassandra -------------------------------------------------------------------------
if (SUITES.has('cassandra')) {
  const dir = mkdtempSync(join(tmpdir(), 'rdg-bench-serving-cass-'))
  const t0 = performance.now()
  const server = await CassandraServer.start({ dir: join(dir, 'cassandra') })
  console.log(`\n(Cassandra single node, started in ${((performance.now() - t0) / 1_000).toFixed(1)} s)`)
  try {
    const cass = await CassandraKvStore.connect({
      contactPoints: [server.contactPoint],
      localDataCenter: server.localDataCenter,
      keyspace: 'bench_serving',
      maxConcurrency: 64,
    })
    const from = await RocksDbKvStore.open(STORE)
    const t1 = performance.now()
    let copied = 0
    // the whole graph: adjacency lists, their recent-edge indexes and the marker that they are complete
    for (const ns of Object.keys(playback.graph.edges)
      .flatMap((e) => [`edge.${e}`, `edge.${e}.in`, `edge.${e}.latest`, `edge.${e}.in.latest`])
      .concat(
        Object.keys(playback.graph.nodes).map((n) => `node.${n}`),
        ['graph.meta'],
      )) {
      let token: string | null = null
      do {
        const page = await from.scanNamespace(ns, { limit: 5_000, ...(token ? { pageToken: token } : {}) })
        await cass.putItems(
          page.items.map((i) => ({ namespace: ns, recordId: i.recordId, item: { key: i.key, value: i.value, eventTime: i.eventTime } })),
        )
        copied += page.items.length
        token = page.next
      } while (token)
    }
    await from.close()
    await cass.close()
    console.log(`copied ${fmt(copied)} items to Cassandra in ${((performance.now() - t1) / 1_000).toFixed(0)} s`)
    const s = await startServer([
      'serve',
      '--store',
      `cassandra:${server.contactPoint}/bench_serving?dc=${server.localDataCenter}`,
      '--listen',
      '127.0.0.1:0',
    ])
    try {
      await suite('rdg-job serve, Cassandra (one node), read cache on (ttl 1000 ms)', s, ids)
    } finally {
      await s.stop()
    }
  } finally {
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

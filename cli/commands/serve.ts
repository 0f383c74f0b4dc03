/**
 * `rdg-job serve`: the graph query service (HTTP JSON) over a store, until Ctrl-C.
 *
 *   rdg-job serve --store cassandra:127.0.0.1:9042/rdg_graph --listen 127.0.0.1:7070
 *   rdg-job serve --store rocksdb:.rdg/graph          # a store no job is writing
 *   rdg-job run playback-events … --serve 127.0.0.1:7070   # a store a job is writing (embedded)
 *
 * An embedded RocksDB store has one owner: while a job runs into it, `serve` and `query`
 * cannot open it and say to use the job's `--serve` endpoint instead.
 *
 * @example
 * const stop = await startServing({ store, schema, listen: '127.0.0.1:0' })
 * console.log(stop.url)
 * await stop.close()
 */
import type { CommandModule } from 'yargs'
import { ConfigError } from '../../base/errors.ts'
import type { GraphSchema } from '../../graph/schema.ts'
import { mergeGraphSchemas } from '../../graph/schema.ts'
import { builtInJobs, resolveJob } from '../../jobs/registry.ts'
import { createGraphServer, parseListen, type GraphServer } from '../../serving/graph-server.ts'
import type { KvDataStore } from '../../store/kv/api.ts'
import { DEFAULT_STORE, openStoreFromFlag, STORE_HELP } from '../store-flag.ts'

export const DEFAULT_LISTEN = '127.0.0.1:7070'

const builtInSchema = (): GraphSchema => mergeGraphSchemas(...[...builtInJobs.values()].map((j) => j.graph))

/** A store another process holds (a running job): one line that says where to read it instead. */
export function explainLocked(err: unknown, flag: string): unknown {
  if (err instanceof ConfigError && /lock/i.test(err.message))
    return new ConfigError(
      `the graph store ${flag} is held by another process (a running job)`,
      'read it through that job: start it with `rdg-job run … --serve 127.0.0.1:<port>` and query http://127.0.0.1:<port>/v1/… (see /openapi.json)',
    )
  return err
}

/** Opens a store for reading, explaining a store held by a running job. */
export async function openForReading(flag: string): Promise<KvDataStore> {
  try {
    return await openStoreFromFlag(flag, { mustExist: true })
  } catch (err) {
    throw explainLocked(err, flag)
  }
}

export interface Serving {
  readonly server: GraphServer
  readonly url: string
  close(): Promise<void>
}

/** Builds the query service over `store` and listens on `listen` (host:port). */
export async function startServing(o: {
  readonly store: KvDataStore
  readonly schema: GraphSchema
  readonly listen: string
  readonly cacheTtlMs?: number
  readonly timeBudgetMs?: number
}): Promise<Serving> {
  const at = parseListen(o.listen)
  if (!at) throw new ConfigError(`--listen ${JSON.stringify(o.listen)} is not host:port`, `e.g. --listen ${DEFAULT_LISTEN}`)
  const server = createGraphServer({
    store: o.store,
    schema: o.schema,
    ...(o.cacheTtlMs !== undefined ? { cacheTtlMs: o.cacheTtlMs } : {}),
    ...(o.timeBudgetMs !== undefined ? { limits: { timeBudgetMs: o.timeBudgetMs } } : {}),
  })
  const addr = await server.listen(at.host, at.port)
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  return { server, url: `http://${host}:${addr.port}`, close: () => server.close() }
}

interface ServeArgs {
  store: string
  listen: string
  job?: string | undefined
  'cache-ttl': number
  'time-budget': number
}

export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve',
  describe: 'Serve the graph over HTTP JSON (nodes, edges, traversals, /openapi.json, /metrics)',
  builder: (y) =>
    y
      .option('store', { type: 'string', default: DEFAULT_STORE, describe: STORE_HELP })
      .option('listen', { type: 'string', default: DEFAULT_LISTEN, describe: 'host:port to listen on (127.0.0.1 unless told otherwise)' })
      .option('job', {
        type: 'string',
        describe: 'check requests against the graph schema of this job (topic or module path); default: the built-in jobs',
      })
      .option('cache-ttl', {
        type: 'number',
        default: 1_000,
        describe: 'ms a cached record may be served (the staleness bound); 0: no cache',
      })
      .option('time-budget', { type: 'number', default: 5_000, describe: 'ms one request may take' }),
  handler: async (a) => {
    if (!(Number.isFinite(a['cache-ttl']) && a['cache-ttl'] >= 0))
      throw new ConfigError(`--cache-ttl must be >= 0 ms, got ${String(a['cache-ttl'])}`)
    if (!(Number.isFinite(a['time-budget']) && a['time-budget'] > 0))
      throw new ConfigError(`--time-budget must be > 0 ms, got ${String(a['time-budget'])}`)
    if (!parseListen(a.listen))
      throw new ConfigError(`--listen ${JSON.stringify(a.listen)} is not host:port`, `e.g. --listen ${DEFAULT_LISTEN}`)
    const schema = a.job ? (await resolveJob(a.job)).graph : builtInSchema()
    const store = await openForReading(a.store)
    let serving: Serving | null = null
    try {
      serving = await startServing({ store, schema, listen: a.listen, cacheTtlMs: a['cache-ttl'], timeBudgetMs: a['time-budget'] })
      console.log(`serving ${a.store} on ${serving.url} (GET /openapi.json; Ctrl-C stops)`)
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve)
        process.once('SIGTERM', resolve)
      })
    } finally {
      await serving?.close()
      await store.close()
    }
  },
}

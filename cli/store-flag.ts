/**
 * The `--store` flag: which graph store `run`, `demo` and `query` use.
 * `rocksdb:<dir>` (or a bare directory; the default, embedded),
 * `cassandra:<host:port>[,<host:port>…]/<keyspace>[?dc=<data center>&consistency=<level>]`,
 * `config:<file.json>` (namespace routing, see src/kv/routing.ts), and for `run` and
 * `demo` also `memory` (an in-process store, gone when the command ends: for trying a job).
 *
 * @example
 * const store = await openGraphStore('rocksdb:.rdg/graph')
 * const scratch = await openGraphStore('memory')
 */
import { existsSync, readFileSync } from 'node:fs'
import type { Clock } from '../base/clock.ts'
import { ConfigError } from '../base/errors.ts'
import type { KvDataStore } from '../store/kv/api.ts'
import { CassandraKvStore, type ConsistencyName } from '../store/kv/cassandra-kv.ts'
import { InMemoryKvStore } from '../store/kv/memory-kv.ts'
import { RocksDbKvStore } from '../store/kv/rocksdb-kv.ts'
import { openKvRouter, parseKvConfig } from '../store/kv/routing.ts'
import { checkWritable } from './writable.ts'

export const DEFAULT_STORE = 'rocksdb:.rdg/graph'

export const STORE_HELP = 'rocksdb:<dir> | cassandra:<host:port>/<keyspace> | config:<kv.json>'

/** `--store` of `run` and `demo`: anything `openStoreFromFlag` opens, or `memory`. */
export async function openGraphStore(flag: string = DEFAULT_STORE): Promise<KvDataStore> {
  if (flag === 'memory') return new InMemoryKvStore()
  return openStoreFromFlag(flag)
}

/**
 * Opens the store a `--store` flag names: `rocksdb:<dir>` (or a bare directory),
 * `cassandra:<host:port>[,<host:port>…]/<keyspace>[?dc=<data center>&consistency=<level>]`,
 * or `config:<file.json>` (a routing configuration, see src/kv/routing.ts).
 */
export async function openStoreFromFlag(
  flag: string = DEFAULT_STORE,
  options: { readonly clock?: Clock; readonly mustExist?: boolean } = {},
): Promise<KvDataStore> {
  const clock = options.clock ? { clock: options.clock } : {}
  const colon = flag.indexOf(':')
  const scheme = colon > 0 ? flag.slice(0, colon) : ''
  const rest = colon > 0 ? flag.slice(colon + 1) : flag
  if (scheme === 'rocksdb' || scheme === '') {
    if (!rest) throw new ConfigError('--store rocksdb: needs a directory', 'e.g. --store rocksdb:.rdg/graph')
    // a bare word (RDG_STORE=bogus, --store memroy) is a mistake far more often than a new store in ./<word>
    if (scheme === '' && !/[/\\]/.test(rest) && !rest.startsWith('.') && !existsSync(rest)) {
      const from = process.env.RDG_STORE === flag && !process.argv.includes('--store') ? `RDG_STORE=${flag}` : `--store ${flag}`
      throw new ConfigError(
        `${from} names no known store`,
        `use ${STORE_HELP}${options.mustExist ? '' : ' | memory'}; for a new RocksDB store in ./${rest} say rocksdb:${rest}`,
      )
    }
    // reading a mistyped path would create an empty store there and find nothing
    if (options.mustExist && !existsSync(rest))
      throw new ConfigError(
        `no graph store at ${rest}`,
        'check --store, or run a job into it first (rdg-job run <topic> --store rocksdb:<dir>)',
      )
    if (!options.mustExist) checkWritable(rest, '--store')
    return RocksDbKvStore.open(rest, clock)
  }
  if (scheme === 'cassandra') {
    const m = /^([^/?]+)\/([^/?]+)(?:\?(.*))?$/.exec(rest)
    if (!m)
      throw new ConfigError(
        `--store ${flag} is not a Cassandra address`,
        'use cassandra:<host:port>/<keyspace>, e.g. cassandra:127.0.0.1:9042/rdg_graph',
      )
    const contactPoints = m[1]!.split(',')
    if (!contactPoints.every((p) => /^[^:]+:\d+$/.test(p)))
      throw new ConfigError(`--store ${flag}: contact points must be host:port`, 'e.g. cassandra:127.0.0.1:9042/rdg_graph')
    const params = new URLSearchParams(m[3] ?? '')
    for (const key of params.keys())
      if (key !== 'dc' && key !== 'consistency')
        throw new ConfigError(`--store ${flag}: unknown option "${key}"`, 'use ?dc=<data center>&consistency=<level>')
    const consistency = params.get('consistency')?.toUpperCase() as ConsistencyName | undefined
    return CassandraKvStore.connect({
      contactPoints,
      keyspace: m[2]!,
      ...(params.get('dc') ? { localDataCenter: params.get('dc')! } : {}),
      ...(consistency ? { readConsistency: consistency, writeConsistency: consistency } : {}),
      ...clock,
    })
  }
  if (scheme === 'config') {
    let raw: unknown
    try {
      raw = JSON.parse(readFileSync(rest, 'utf8'))
    } catch (err) {
      throw new ConfigError(`KV configuration ${rest} cannot be read: ${(err as Error).message}`)
    }
    return openKvRouter(parseKvConfig(raw), clock)
  }
  throw new ConfigError(`--store ${flag} names no known store`, `use ${STORE_HELP}`)
}

/**
 * Where a namespace lives in Cassandra: one table per namespace in the store's keyspace,
 * partition key = record id, clustering column = item key, one `value` blob whose write
 * time is the event time (microseconds) and whose TTL is the item's. Table names are the
 * namespace made into a CQL identifier plus a short hash when that changed anything, so
 * `edge.a_b` and `edge.a.b` never share a table. Keyspace and tables are created on
 * first use (`IF NOT EXISTS`), once per process.
 *
 * @example
 * tableNameFor('edge.started_watching.in') // 'edge_started_watching_in_5d1c0b2e'
 */
import { createHash } from 'node:crypto'
import type cassandra from 'cassandra-driver'
import { ConfigError } from '../../base/errors.ts'

const IDENTIFIER = /^[a-z][a-z0-9_]{0,47}$/

/** The table of a namespace. */
export function tableNameFor(namespace: string): string {
  if (IDENTIFIER.test(namespace)) return namespace
  let base = namespace
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
  if (!/^[a-z]/.test(base)) base = `ns_${base}`
  const hash = createHash('sha1').update(namespace).digest('hex').slice(0, 8)
  return `${base.slice(0, 39).replace(/_+$/, '')}_${hash}`
}

/** Throws a ConfigError unless `keyspace` is a plain CQL identifier. */
export function checkKeyspace(keyspace: string): void {
  if (!/^[a-zA-Z][a-zA-Z0-9_]{0,47}$/.test(keyspace))
    throw new ConfigError(
      `Cassandra keyspace "${keyspace}" is not a valid name`,
      'use letters, digits and _ (48 at most), starting with a letter',
    )
}

/** Replication of a keyspace created by rdg. */
export type Replication =
  | { readonly class: 'SimpleStrategy'; readonly replication_factor: number }
  | { readonly class: 'NetworkTopologyStrategy'; readonly [dataCenter: string]: number | string }

function replicationCql(r: Replication): string {
  return `{${Object.entries(r)
    .map(([k, v]) => `'${k}': ${typeof v === 'number' ? v : `'${v.replaceAll("'", "''")}'`}`)
    .join(', ')}}`
}

/** Creates the keyspace and the tables of namespaces on first use; a failed creation is retried by the next call. */
export class CassandraSchema {
  private keyspaceReady: Promise<void> | null = null
  private readonly tables = new Map<string, Promise<void>>()
  /** Tables known to exist (created here, or found by a read). */
  readonly known = new Set<string>()

  constructor(
    private readonly client: cassandra.Client,
    readonly keyspace: string,
    private readonly replication: Replication,
  ) {
    checkKeyspace(keyspace)
  }

  /** `keyspace.table` of a namespace, for statements. */
  qualified(namespace: string): string {
    return `${this.keyspace}.${tableNameFor(namespace)}`
  }

  private once(key: string, map: Map<string, Promise<void>>, create: () => Promise<void>): Promise<void> {
    let p = map.get(key)
    if (!p) {
      p = create().catch((err: unknown) => {
        map.delete(key)
        throw err
      })
      map.set(key, p)
    }
    return p
  }

  private ensureKeyspace(): Promise<void> {
    if (!this.keyspaceReady) {
      this.keyspaceReady = this.client
        .execute(`CREATE KEYSPACE IF NOT EXISTS ${this.keyspace} WITH replication = ${replicationCql(this.replication)}`)
        .then(() => undefined)
        .catch((err: unknown) => {
          this.keyspaceReady = null
          throw err
        })
    }
    return this.keyspaceReady
  }

  /** Makes sure the namespace's table exists. */
  ensureTable(namespace: string): Promise<void> {
    if (this.known.has(namespace)) return Promise.resolve()
    return this.once(namespace, this.tables, async () => {
      await this.ensureKeyspace()
      const comment = `rdg namespace ${namespace}`.replaceAll("'", "''")
      await this.client.execute(
        `CREATE TABLE IF NOT EXISTS ${this.qualified(namespace)} (record_id text, item_key text, value blob, PRIMARY KEY ((record_id), item_key)) WITH CLUSTERING ORDER BY (item_key ASC) AND comment = '${comment}'`,
      )
      this.known.add(namespace)
    })
  }
}

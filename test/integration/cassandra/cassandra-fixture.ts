/**
 * Connection helpers for tests against the real Cassandra the global setup started:
 * a keyspace per test file, a shared client, stores on it.
 *
 * @example
 * const cass = cassandraFixture('kv_contract')
 * const store = await cass.store({ namespaces: { 'edge.*': { ttlMs: 1000 } } })
 */
import { afterAll, inject } from 'vitest'
import type cassandra from 'cassandra-driver'
import { CassandraKvStore, createCassandraClient, type CassandraKvStoreOptions } from '../../../store/kv/cassandra-kv.ts'

export function cassandraFixture(keyspacePrefix: string) {
  const info = inject('cassandra')
  // Keyspaces are fresh per run even if a server directory were reused.
  const keyspace = `${keyspacePrefix}_${process.pid}_${Math.floor(performance.now())}`
  let client: cassandra.Client | null = null
  afterAll(async () => {
    await client?.shutdown()
  })
  return {
    info,
    keyspace,
    async client(): Promise<cassandra.Client> {
      if (!client) {
        client = createCassandraClient({ contactPoints: [info.contactPoint], localDataCenter: info.localDataCenter })
        await client.connect()
      }
      return client
    },
    async store(options: Partial<CassandraKvStoreOptions> = {}): Promise<CassandraKvStore> {
      return CassandraKvStore.connect({
        contactPoints: [info.contactPoint],
        localDataCenter: info.localDataCenter,
        keyspace,
        client: await this.client(),
        ...options,
      })
    },
  }
}

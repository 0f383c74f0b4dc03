/**
 * Vitest global setup of the `cassandra` project: starts one real Cassandra for the run,
 * hands its connection facts to the tests through `provide`, and stops it at the end.
 * A server that cannot start fails the run with its log tail; nothing is skipped.
 *
 * @example
 * // in a test of test/integration/cassandra/
 * const { contactPoint, localDataCenter } = inject('cassandra')
 */
import { rmSync } from 'node:fs'
import type { TestProject } from 'vitest/node'
import { CassandraServer, type CassandraConnection } from './cassandra-server.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    cassandra: CassandraConnection & { readonly dir: string }
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await CassandraServer.start()
  project.provide('cassandra', server.connection())
  return async () => {
    // stop() goes through the pid file, so a server a test restarted is stopped too
    await server.stop()
    rmSync(server.dir, { recursive: true, force: true })
  }
}

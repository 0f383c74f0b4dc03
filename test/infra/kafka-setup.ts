/**
 * Vitest global setup of the `kafka` project: starts one real Kafka broker (KRaft) for
 * the run, hands its address to the tests through `provide`, and stops it at the end. A
 * broker that cannot start fails the run with its log tail; nothing is skipped.
 *
 * The broker-restart test starts a broker of its own (same launcher), so restarting it
 * never disturbs the other files.
 *
 * @example
 * // in a test of test/integration/kafka/
 * const { brokers } = inject('kafka')
 */
import type { TestProject } from 'vitest/node'
import { startKafka } from './kafka-server.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    kafka: { readonly brokers: string[]; readonly dir: string }
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startKafka()
  project.provide('kafka', { brokers: server.brokers, dir: server.dir })
  return async () => {
    await server.stop()
  }
}

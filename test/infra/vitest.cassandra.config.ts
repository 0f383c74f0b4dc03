/**
 * Runs the Cassandra integration tests on their own until the shared vitest.config.ts
 * gains the `cassandra` project (same settings):
 *   npx vitest run --config test/infra/vitest.cassandra.config.ts
 */
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    name: 'cassandra',
    include: ['test/integration/cassandra/**/*.test.ts'],
    globalSetup: ['test/infra/cassandra-setup.ts'],
    // Files run one after another: the outage test stops and restarts a server.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
})

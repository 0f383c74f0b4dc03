import { defineConfig } from 'vitest/config'

// Three projects: unit tests (our own logic, plus embedded RocksDB and child-process
// recovery runs) need no server; the Cassandra and Kafka projects each start their real
// server once per run in a global setup and stop it afterwards.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 240_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/integration/**'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'cassandra',
          include: ['test/integration/cassandra/**/*.test.ts'],
          globalSetup: ['test/infra/cassandra-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'kafka',
          include: ['test/integration/kafka/**/*.test.ts'],
          globalSetup: ['test/infra/kafka-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
    ],
  },
})

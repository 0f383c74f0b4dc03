import { defineConfig } from 'vitest/config'

// One project for now: unit tests of our own logic plus embedded RocksDB and the
// child-process recovery runs. Kafka and Cassandra integration projects (each starting
// its real server once per run in a global setup) come with their connectors.
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
    ],
  },
})

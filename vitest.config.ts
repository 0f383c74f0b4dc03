import { defineConfig } from 'vitest/config'

// Five projects. `unit`: our own logic, embedded RocksDB and child-process recovery runs.
// `iceberg`: reads tables written by pyiceberg (in the project's .venv) in its global setup.
// `scale`: consumer-group members writing to one store, with both servers started.
// `kafka` and `cassandra`: each starts its real server (from Maven Central artifacts, on
// 127.0.0.1) once in a global setup and stops it afterwards; their files run one at a
// time (2 cores; the outage and restart tests stop and start the servers). `npm test`
// runs the projects one after another so the servers never compete with the unit suite.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 240_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/integration/**', 'test/browser/**'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'kafka',
          include: ['test/integration/kafka/**/*.test.ts'],
          exclude: ['test/integration/kafka/scale*.test.ts'],
          globalSetup: ['test/infra/kafka-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 240_000,
        },
      },
      {
        test: {
          name: 'iceberg',
          include: ['test/integration/iceberg/**/*.test.ts'],
          globalSetup: ['test/infra/iceberg-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 240_000,
        },
      },
      {
        // `browser`: the job dashboard in headless Chromium (Debian's package, apt-installed by the setup when missing)
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          globalSetup: ['test/browser/chromium-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          name: 'cassandra',
          include: ['test/integration/cassandra/**/*.test.ts'],
          globalSetup: ['test/infra/cassandra-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 240_000,
        },
      },
      {
        test: {
          name: 'scale',
          include: ['test/integration/kafka/scale*.test.ts'],
          globalSetup: ['test/infra/kafka-setup.ts', 'test/infra/cassandra-setup.ts'],
          fileParallelism: false,
          testTimeout: 240_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
})

/**
 * Runs the Kafka integration tests on their own until the shared vitest.config.ts gains
 * the `kafka` project (same settings; the integrator copies this block there):
 *   npx vitest run --config test/infra/kafka-vitest.config.ts
 */
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    name: 'kafka',
    include: ['test/integration/kafka/**/*.test.ts'],
    globalSetup: ['test/infra/kafka-setup.ts'],
    // One file at a time: 2 cores, one broker, and child processes in the end-to-end tests.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
})

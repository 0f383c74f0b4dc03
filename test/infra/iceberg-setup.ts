/**
 * Vitest global setup of the `iceberg` project: sets up the Python fixture writer
 * (scripts/setup-python.sh, when .venv is missing) and writes the test tables once into
 * a temp directory with pyiceberg (see iceberg-fixtures.ts), handing their paths to the
 * tests through `provide`; removes them at the end.
 *
 * @example
 * // in a test of test/integration/iceberg/
 * const fx = inject('iceberg')
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { writeBigTable, writeIcebergFixtures, type IcebergFixtures } from './iceberg-fixtures.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    iceberg: IcebergFixtures & { readonly big: { readonly metadata: string; readonly events: string; readonly rows: number } }
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'rdg-iceberg-'))
  const fx = writeIcebergFixtures(dir)
  const big = writeBigTable(dir, 60_000, 10)
  project.provide('iceberg', { ...fx, big })
  return () => rmSync(dir, { recursive: true, force: true })
}

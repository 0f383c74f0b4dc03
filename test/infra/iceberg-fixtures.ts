/**
 * Writes the Iceberg test tables: seeded playback events from the generator, then
 * scripts/iceberg/write_tables.py (pyiceberg in the project's .venv, set up by
 * scripts/setup-python.sh when missing) writes them as tables with several snapshots,
 * schema and partition evolution, position, equality and copy-on-write deletes, a v1
 * table, and the rows each snapshot must read as (from its own bookkeeping).
 *
 * @example
 * const fx = await writeIcebergFixtures(await mkdtemp(join(tmpdir(), 'rdg-iceberg-')))
 * fx.tables['rdg.playback'].metadata // a metadata.json path
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { topicEvents } from '../../connectors/generator/generator-source.ts'

export const ROOT = resolve(import.meta.dirname, '..', '..')
export const PYTHON = join(ROOT, '.venv', 'bin', 'python')

export interface FixtureSnapshot {
  readonly label: string
  readonly id: string
  readonly timestampMs: number
  readonly sequenceNumber: number
  readonly rows: number
  /** JSON lines of the rows this snapshot reads as, in event-time order. */
  readonly expected: string
}

export interface IcebergFixtures {
  readonly warehouse: string
  /** The generator's events the tables were made from. */
  readonly events: string
  readonly tables: Record<string, { readonly metadata: string; readonly snapshots: FixtureSnapshot[]; readonly victimProfile?: string }>
}

/** Creates .venv with pyiceberg when missing (the setup script is idempotent and quick). */
export function ensurePython(): void {
  if (existsSync(PYTHON) && existsSync(join(ROOT, '.venv', '.rdg-requirements'))) return
  execFileSync('bash', [join(ROOT, 'scripts', 'setup-python.sh')], { stdio: 'inherit' })
}

export function writeIcebergFixtures(dir: string, count = 2_400): IcebergFixtures {
  ensurePython()
  const lines: string[] = []
  for (const { value } of topicEvents({
    topic: 'playback-events',
    seed: 5,
    accounts: 40,
    encoding: 'json',
    malformedRate: 0,
    heartbeats: 4,
    catalogDir: join(ROOT, 'data', 'catalog'),
  })) {
    lines.push(String(value))
    if (lines.length >= count) break
  }
  const events = join(dir, 'events.jsonl')
  writeFileSync(events, lines.join('\n') + '\n')
  const warehouse = join(dir, 'warehouse')
  execFileSync(PYTHON, [join(ROOT, 'scripts', 'iceberg', 'write_tables.py'), events, warehouse], {
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const fx = JSON.parse(readFileSync(join(warehouse, 'fixtures.json'), 'utf8')) as Omit<IcebergFixtures, 'events'>
  return { ...fx, events }
}

/** Generator playback events (no malformed ones) as JSON lines. */
export function writePlaybackEvents(path: string, count: number, seed = 5, accounts = 40): void {
  const lines: string[] = []
  for (const { value } of topicEvents({
    topic: 'playback-events',
    seed,
    accounts,
    encoding: 'json',
    malformedRate: 0,
    heartbeats: 4,
    catalogDir: join(ROOT, 'data', 'catalog'),
  })) {
    lines.push(String(value))
    if (lines.length >= count) break
  }
  writeFileSync(path, lines.join('\n') + '\n')
}

/** One plain table of `count` events in `files` appends, ordered by time; returns its metadata path and the events file. */
export function writeBigTable(dir: string, count: number, files: number, seed = 3): { metadata: string; events: string; rows: number } {
  ensurePython()
  const events = join(dir, 'big-events.jsonl')
  writePlaybackEvents(events, count, seed, 400)
  const warehouse = join(dir, 'big-warehouse')
  execFileSync(PYTHON, [join(ROOT, 'scripts', 'iceberg', 'write_tables.py'), '--big', events, warehouse, String(files)], {
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const fx = JSON.parse(readFileSync(join(warehouse, 'fixtures.json'), 'utf8')) as { metadata: string; rows: number }
  return { ...fx, events }
}

/** A topic's Iceberg export of `events` (each with kafka_partition and kafka_offset); returns its metadata path. */
export function writeKafkaExport(dir: string, events: readonly Record<string, unknown>[]): string {
  ensurePython()
  const path = join(dir, 'export-events.jsonl')
  writeFileSync(path, events.map((e) => JSON.stringify(e)).join('\n') + '\n')
  const warehouse = join(dir, 'export-warehouse')
  execFileSync(PYTHON, [join(ROOT, 'scripts', 'iceberg', 'write_tables.py'), '--kafka', path, warehouse], {
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  return (JSON.parse(readFileSync(join(warehouse, 'fixtures.json'), 'utf8')) as { metadata: string }).metadata
}

/**
 * `rdg-job backfill` end to end, as a user runs it, over tables pyiceberg wrote: the
 * graph equals that of `rdg-job run --source file:` over the same events (a plain table
 * and the evolved one with deletes); a backfill SIGKILLed after a checkpoint and started
 * again ends with the same graph; a backfill of old rows after a live run leaves every
 * newer value in place; mistakes are one line and exit code 2.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'
import playbackJob from '../../../jobs/playback-events.ts'
import { spawnCli, type CliExit } from '../../infra/cli-process.ts'
import { storeItems } from '../../infra/graph-store-items.ts'

const fx = inject('iceberg')
const base = mkdtempSync(join(tmpdir(), 'rdg-backfill-cli-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))
/** Runs `rdg-job …`; `onProgress` sees each backfill progress line (rows done, last checkpoint) and may signal the process. */
function cli(args: string[], onProgress?: (rows: number, checkpoint: number | null, proc: ChildProcess) => void): Promise<CliExit> {
  return spawnCli(args, (line, proc) => {
    const m = /^\s+([\d,]+)\/[\d,]+ rows, .* checkpoint (\d+|-)$/.exec(line)
    if (m && onProgress) onProgress(Number(m[1]!.replaceAll(',', '')), m[2] === '-' ? null : Number(m[2]), proc)
  }).done
}

async function expectSameGraph(a: string, b: string): Promise<number> {
  const expected = await storeItems(a, playbackJob.graph)
  const actual = await storeItems(b, playbackJob.graph)
  expect(actual.size).toBe(expected.size)
  for (const [key, item] of expected) expect(actual.get(key), key).toEqual(item)
  return expected.size
}

const store = (name: string) => `rocksdb:${join(base, name)}`

describe('rdg-job backfill over pyiceberg tables', () => {
  it('gives the graph of a run over the same events from a file (plain table, and the evolved one with deletes)', async () => {
    const file = await cli([
      'run',
      'playback-events',
      '--source',
      `file:${fx.big.events}`,
      '--data-dir',
      join(base, 'file-jobs'),
      '--store',
      store('file-graph'),
    ])
    expect(file.code, file.err).toBe(0)
    const backfill = await cli([
      'backfill',
      'playback-events',
      '--iceberg',
      fx.big.metadata,
      '--data-dir',
      join(base, 'bf-jobs'),
      '--store',
      store('bf-graph'),
    ])
    expect(backfill.code, backfill.err).toBe(0)
    expect(backfill.out).toMatch(/backfill end-of-input/)
    expect(backfill.out).toMatch(/rows in\s+60,000/)
    expect(await expectSameGraph(join(base, 'file-graph'), join(base, 'bf-graph'))).toBeGreaterThan(10_000)

    // the evolved table: renamed and snake_case columns found by name, deletes applied
    const t = fx.tables['rdg.playback']!
    const snap = t.snapshots.at(-1)!
    // the Avro schema's JSON decoding wants every field: the table dropped traceId, which the job never reads
    const evolvedEvents = join(base, 'evolved.jsonl')
    const rows = readFileSync(snap.expected, 'utf8').split('\n').filter(Boolean)
    writeFileSync(evolvedEvents, rows.map((l) => JSON.stringify({ traceId: '', ...(JSON.parse(l) as object) })).join('\n') + '\n')
    const evolvedFile = await cli([
      'run',
      'playback-events',
      '--source',
      `file:${evolvedEvents}`,
      '--data-dir',
      join(base, 'file2-jobs'),
      '--store',
      store('file2-graph'),
    ])
    expect(evolvedFile.code, evolvedFile.err).toBe(0)
    const evolved = await cli([
      'backfill',
      'playback-events',
      '--iceberg',
      t.metadata,
      '--column',
      'accountId=account_id',
      '--data-dir',
      join(base, 'bf2-jobs'),
      '--store',
      store('bf2-graph'),
    ])
    expect(evolved.code, evolved.err).toBe(0)
    expect(evolved.out).toContain(`snapshot          ${snap.id}`)
    await expectSameGraph(join(base, 'file2-graph'), join(base, 'bf2-graph'))
  })

  it('SIGKILLed after a checkpoint and started again, ends with the same graph', async () => {
    const args = [
      'backfill',
      'playback-events',
      '--iceberg',
      fx.big.metadata,
      '--checkpoint-interval',
      '100',
      '--data-dir',
      join(base, 'kill-jobs'),
      '--store',
      store('kill-graph'),
    ]
    let killedAt = -1
    const first = await cli(args, (rows, checkpoint, proc) => {
      if (killedAt < 0 && checkpoint !== null && rows < fx.big.rows) {
        killedAt = rows
        proc.kill('SIGKILL')
      }
    })
    expect(first.signal, first.out + first.err).toBe('SIGKILL')
    const second = await cli(args)
    expect(second.code, second.err).toBe(0)
    expect(second.out).toMatch(/resumed from checkpoint \d+/)
    await expectSameGraph(join(base, 'bf-graph'), join(base, 'kill-graph'))
  })

  it('a backfill of old rows after a live run leaves every newer value in place', async () => {
    // the live topic: the same events a month later, at other positions
    const later = readFileSync(fx.big.events, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { ts: number; positionSec: number })
      .map((e) => JSON.stringify({ ...e, ts: e.ts + 30 * 86_400_000, positionSec: e.positionSec + 1 }))
    const liveEvents = join(base, 'live.jsonl')
    writeFileSync(liveEvents, later.join('\n') + '\n')
    for (const name of ['lww-graph', 'live-only-graph']) {
      const live = await cli([
        'run',
        'playback-events',
        '--source',
        `file:${liveEvents}`,
        '--data-dir',
        join(base, `${name}-jobs`),
        '--store',
        store(name),
      ])
      expect(live.code, live.err).toBe(0)
    }
    const backfill = await cli([
      'backfill',
      'playback-events',
      '--iceberg',
      fx.big.metadata,
      '--data-dir',
      join(base, 'lww-bf-jobs'),
      '--store',
      store('lww-graph'),
    ])
    expect(backfill.code, backfill.err).toBe(0)
    await expectSameGraph(join(base, 'live-only-graph'), join(base, 'lww-graph'))
  })

  it('one line and exit code 2 for a missing table, an unknown snapshot, a table lacking the job’s fields', async () => {
    const t = fx.tables['rdg.playback']!
    const cases: [string[], RegExp][] = [
      [['--iceberg', join(base, 'nope.metadata.json')], /Iceberg table metadata .* does not exist/],
      [['--iceberg', t.metadata, '--snapshot', '12345'], /snapshot 12345 is not in table/],
      [['--iceberg', t.metadata, '--column', 'accountId=acct'], /lacks the job's field accountId \(mapped to acct\)/],
      [[], /no Iceberg table given/],
    ]
    for (const [flags, message] of cases) {
      const r = await cli(['backfill', 'playback-events', ...flags, '--store', 'memory', '--data-dir', join(base, 'err-jobs')])
      expect(r.code, r.err).toBe(2)
      expect(r.err.trim().split('\n')).toHaveLength(1)
      expect(r.err).toMatch(message)
    }
  })
})

/**
 * The CLI end to end over the real broker, as a user runs it: `rdg-job produce` writes
 * generator events to a topic; `rdg-job run --brokers` consumes it into an embedded graph
 * store, is SIGKILLed once it has checkpointed, is started again, resumes from its
 * checkpoint, and is stopped with SIGINT once the consumer group's committed offsets
 * reach the end of the topic (offsets are committed after each checkpoint). The store
 * then holds exactly what `rdg-job run --source generator` makes of the same events, and
 * the dead-letter topic holds as many letters as that run's dead-letter file.
 */
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { systemClock } from '../../../base/clock.ts'
import { createValueEncoder } from '../../../connectors/avro/value-encoder.ts'
import playbackJob from '../../../jobs/playback-events.ts'
import { playbackRunArgs, spawnCli, type CliExit } from '../../infra/cli-process.ts'
import { storeItems } from '../../infra/graph-store-items.ts'
import { produce, uniqueName, waitFor, withAdmin } from '../../infra/kafka-helpers.ts'
import { isSentinel, playbackEvents } from '../../infra/kafka-pipeline.ts'

const { brokers } = inject('kafka')
const base = mkdtempSync(join(tmpdir(), 'rdg-kafka-cli-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))
const EVENTS = 30_000
const SEED = 9

/**
 * Runs `rdg-job …`; `onProgress` sees each progress line of `run` (records so far, last
 * checkpoint id) and may signal the process.
 */
function cli(
  args: string[],
  onProgress?: (records: number, checkpoint: number | null, proc: ChildProcess) => void,
  onStart?: (proc: ChildProcess) => void,
): Promise<CliExit> {
  const run = spawnCli(args, (line, proc) => {
    const m = /^\s+([\d,]+) records, .* checkpoint (\d+|-)(?:,|$)/.exec(line)
    if (m && onProgress) onProgress(Number(m[1]!.replaceAll(',', '')), m[2] === '-' ? null : Number(m[2]), proc)
  })
  onStart?.(run.proc)
  return run.done
}

describe('rdg-job produce, then rdg-job run --brokers: killed, restarted, stopped (real broker)', () => {
  it('ends with the graph and dead letters of a run over the same events without Kafka', { timeout: 300_000 }, async () => {
    const topic = uniqueName('playback-cli')
    const group = uniqueName('rdg-cli')
    const schemaDir = join(base, 'schemas')

    const produced = await cli([
      'produce',
      'playback-events',
      '--kafka-topic',
      topic,
      '--brokers',
      brokers.join(','),
      '--schema-dir',
      schemaDir,
      '--count',
      String(EVENTS),
      '--seed',
      String(SEED),
      '--partitions',
      '2',
    ])
    expect(produced.code, produced.err).toBe(0)
    expect(produced.out).toMatch(new RegExp(`${topic}: 30,000 events written`))
    // one event per partition later than all of the run's (the generator's start in 2026) but not
    // ahead of the clock, which would be a dead letter: its watermark closes every dedup window
    const encoder = await createValueEncoder(playbackJob.value, { topic, schemaDir })
    const sentinel = {
      ...playbackEvents(1)[0]!,
      eventId: 'sentinel',
      profileId: 'sentinel-p',
      deviceId: 'sentinel-d',
      titleId: 'sentinel-t',
      ts: systemClock.now(),
    }
    await produce(
      brokers,
      topic,
      [0, 1].map((partition) => ({ partition, value: encoder.encode({ ...sentinel, accountId: `sentinel-${partition}` }) })),
    )

    const reference = await cli([
      'run',
      'playback-events',
      '--source',
      'generator',
      '--count',
      String(EVENTS),
      '--seed',
      String(SEED),
      '--data-dir',
      join(base, 'reference-jobs'),
      '--store',
      `rocksdb:${join(base, 'reference-graph')}`,
    ])
    expect(reference.code, reference.err).toBe(0)
    const referenceDeadLetters = readFileSync(join(base, 'reference-jobs', 'playback-events', 'dead-letters.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean).length
    expect(referenceDeadLetters).toBeGreaterThan(0) // the generator's malformed share

    const run = playbackRunArgs({
      brokers,
      topic,
      schemaDir,
      dataDir: join(base, 'jobs'),
      store: join(base, 'graph'),
      flags: ['--group', group, '--session-timeout', '6000', '--checkpoint-interval', '300'],
    })
    let killedAt = -1
    const first = await cli(run, (records, checkpoint, proc) => {
      if (killedAt < 0 && records > 0 && checkpoint !== null) {
        killedAt = records
        proc.kill('SIGKILL')
      }
    })
    expect(first.signal, first.err).toBe('SIGKILL')

    // the second run resumes; stop it once a checkpoint of its own has covered the whole topic
    // (the first run may have read it all already: its checkpoints do not count). Polled, not
    // tied to progress lines: an idle job prints nothing (its status line changes no more)
    const checkpoints = join(base, 'jobs', 'playback-events', 'checkpoints')
    const firstRunsLast = latestCheckpoint(checkpoints)?.id ?? 0
    const end = await withAdmin(brokers, (admin) => admin.fetchTopicOffsets(topic))
    let secondProc: ChildProcess | null = null
    let exited = false
    const secondRun = cli(run, undefined, (proc) => (secondProc = proc)).then((r) => {
      exited = true
      return r
    })
    // Ready once the job's own latest checkpoint has read to the end of every partition (the
    // group's committed offsets stay behind records still in open windows, by design)
    let last = ''
    await waitFor(
      () => {
        if (exited) return true
        const latest = latestCheckpoint(checkpoints)
        last = JSON.stringify(latest)
        return latest !== null && latest.id > firstRunsLast && end.every((p) => latest.positions[String(p.partition)] === p.high)
      },
      240_000,
      () => `a checkpoint after ${firstRunsLast} at ${JSON.stringify(end.map((p) => [p.partition, p.high]))}; latest ${last}`,
    )
    ;(secondProc as ChildProcess | null)?.kill('SIGINT')
    const second = await secondRun
    expect(second.code, second.err).toBe(0)
    expect(second.out).toMatch(/playback-events: signal \(resumed from checkpoint \d+\)/)

    const expected = await storeItems(join(base, 'reference-graph'), playbackJob.graph, isSentinel)
    const actual = await storeItems(join(base, 'graph'), playbackJob.graph, isSentinel)
    expect(expected.size).toBeGreaterThan(1_000)
    expect(actual.size, `killed after ${killedAt} records`).toBe(expected.size)
    for (const [key, item] of expected) expect(actual.get(key), key).toEqual(item)

    await waitFor(
      async () =>
        Number((await withAdmin(brokers, (admin) => admin.fetchTopicOffsets(`${topic}.dlq`))).reduce((n, p) => n + Number(p.high), 0)) >=
        referenceDeadLetters,
      10_000,
      () => `${referenceDeadLetters} dead letters in ${topic}.dlq`,
    )
    const dlq = await withAdmin(brokers, (admin) => admin.fetchTopicOffsets(`${topic}.dlq`))
    // at least once: a letter written before the kill and after the last checkpoint is written again
    expect(dlq.reduce((n, p) => n + Number(p.high), 0)).toBeGreaterThanOrEqual(referenceDeadLetters)
  })
})

describe('rdg-job run --brokers mistakes (real broker)', () => {
  // the broker is reachable, so connections are open when the topic turns out missing: they
  // must not keep the process alive, with the fetch thread or without
  for (const thread of ['--kafka-fetch-thread', '--no-kafka-fetch-thread']) {
    it(`a topic that does not exist is one line and exit code 2 (${thread})`, { timeout: 60_000 }, async () => {
      const schemas = join(base, `schemas-${thread}`)
      mkdirSync(schemas, { recursive: true })
      const t0 = systemClock.now()
      const r = await cli([
        ...['run', 'playback-events', '--brokers', brokers.join(','), '--kafka-topic', 'no-such-topic-cli', thread],
        ...['--schema-dir', schemas, '--data-dir', join(base, `missing-${thread}`), '--store', 'memory'],
      ])
      expect(r.code, r.err).toBe(2)
      expect(
        r.err
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('rdg-job:')),
      ).toEqual([`rdg-job: topic no-such-topic-cli does not exist on ${brokers.join(',')}; create it or check --brokers`])
      expect(systemClock.now() - t0).toBeLessThan(30_000)
    })
  }
})

/** The id and source positions of the newest complete checkpoint under `root`, or null. */
function latestCheckpoint(root: string): { readonly id: number; readonly positions: Record<string, string> } | null {
  if (!existsSync(root)) return null
  const ids = readdirSync(root)
    .map((n) => /^chk-(\d+)$/.exec(n)?.[1])
    .filter((x): x is string => x !== undefined)
    .map(Number)
    .sort((a, b) => b - a)
  for (const id of ids) {
    const meta = join(root, `chk-${id}`, '_metadata.json')
    if (!existsSync(meta)) continue
    try {
      return { id, positions: (JSON.parse(readFileSync(meta, 'utf8')) as { positions: Record<string, string> }).positions }
    } catch {
      continue // being written
    }
  }
  return null
}

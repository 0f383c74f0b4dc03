/**
 * Members of one consumer group for the scale-out tests: real `rdg-job run` processes of
 * the playback job (bin/rdg-job.js), each with its own data dir, all writing to one shared
 * Cassandra store. Readiness is read from the outside (the group's assignment, committed
 * offsets, a member's progress lines), never waited for with fixed sleeps.
 *
 * @example
 * const a = startMember(scale, 'a')
 * await waitForGroup(scale, [a])          // a holds every partition
 * await a.kill('SIGKILL')
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { AssignerProtocol } from 'kafkajs'
import { committedOffsets, waitFor, withAdmin } from './kafka-helpers.ts'

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'rdg-job.js')

export interface ScaleSetup {
  readonly brokers: string[]
  readonly topic: string
  readonly group: string
  readonly schemaDir: string
  /** `--store` flag of the shared store. */
  readonly store: string
  /** Directory under which each member gets its data dir (`<base>/<name>`). */
  readonly base: string
}

export interface Member {
  readonly name: string
  readonly proc: ChildProcess
  /** Latest progress: records read, last checkpoint id (null before the first). */
  readonly progress: { records: number; checkpoint: number | null }
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  stderr(): string
  /** Sends `signal` and waits for the process to end. */
  kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Starts `rdg-job run playback-events` as member `name` of the setup's group. */
export function startMember(setup: ScaleSetup, name: string, extra: readonly string[] = []): Member {
  const args = [
    BIN,
    'run',
    'playback-events',
    '--brokers',
    setup.brokers.join(','),
    '--kafka-topic',
    setup.topic,
    '--group',
    setup.group,
    '--schema-dir',
    setup.schemaDir,
    '--start',
    'earliest',
    '--session-timeout',
    '6000',
    '--checkpoint-interval',
    '200',
    '--data-dir',
    join(setup.base, name),
    '--store',
    setup.store,
    ...extra,
  ]
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  const progress = { records: 0, checkpoint: null as number | null }
  createInterface({ input: proc.stderr }).on('line', (line) => {
    err = (err + line + '\n').slice(-20_000)
    const m = /^\s+([\d,]+) records\b.*checkpoint (\d+|-)/.exec(line)
    if (m) {
      progress.records = Number(m[1]!.replaceAll(',', ''))
      progress.checkpoint = m[2] === '-' ? null : Number(m[2])
    }
  })
  proc.stdout.resume()
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  )
  return {
    name,
    proc,
    progress,
    exited,
    stderr: () => err,
    async kill(signal) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal)
      return exited
    },
  }
}

/** The group's members and the partitions each holds, once the group is stable. */
export async function groupAssignment(setup: ScaleSetup): Promise<{ state: string; members: Map<string, number[]> }> {
  return withAdmin(setup.brokers, async (admin) => {
    const { groups } = await admin.describeGroups([setup.group])
    const g = groups[0]!
    const members = new Map<string, number[]>()
    for (const m of g.members) {
      const decoded = m.memberAssignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null
      members.set(
        m.memberId,
        [...(decoded?.assignment[setup.topic] ?? [])].sort((a, b) => a - b),
      )
    }
    return { state: g.state, members }
  })
}

/** Waits until the group is stable with exactly `count` members, each holding at least one of the `partitions` partitions and all covered. */
export async function waitForGroup(
  setup: ScaleSetup,
  count: number,
  partitions: number,
  timeoutMs = 60_000,
): Promise<Map<string, number[]>> {
  let last: Awaited<ReturnType<typeof groupAssignment>> | null = null
  await waitFor(
    async () => {
      last = await groupAssignment(setup)
      const held = [...last.members.values()]
      return (
        last.state === 'Stable' &&
        held.length === count &&
        held.every((p) => p.length > 0 || count > partitions) &&
        new Set(held.flat()).size === partitions
      )
    },
    timeoutMs,
    () =>
      `group ${setup.group} stable with ${count} members over ${partitions} partitions (now ${JSON.stringify(last && { state: last.state, members: [...last.members.values()] })})`,
  )
  return last!.members
}

/**
 * Waits until the group's committed offsets reach every partition's last record, a
 * sentinel far ahead in event time: every record before it has its effect in the store
 * (the sentinel's own windows stay open, so the commit holds at it).
 */
export async function waitForCommittedSentinels(setup: ScaleSetup, members: readonly Member[], timeoutMs = 90_000): Promise<void> {
  const end = await withAdmin(setup.brokers, (admin) => admin.fetchTopicOffsets(setup.topic))
  let committed: Record<string, string> = {}
  await waitFor(
    async () => {
      committed = await committedOffsets(setup.brokers, setup.group, setup.topic)
      return end.every((p) => committed[String(p.partition)] === String(Number(p.high) - 1))
    },
    timeoutMs,
    () =>
      `committed offsets ${JSON.stringify(committed)} to reach the sentinels at ${JSON.stringify(end.map((p) => Number(p.high) - 1))}; ` +
      members.map((m) => `${m.name}: ${m.stderr().slice(-1_500)}`).join('\n'),
  )
}

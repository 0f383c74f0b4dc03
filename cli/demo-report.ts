/**
 * What `rdg-job demo` prints about the runs: per topic the events in, filtered,
 * primitives before and after dedup (the ratio), dead letters, checkpoints and
 * events/s, plus a total line; and how many events each topic gets.
 *
 * @example
 * for (const line of formatRunTable(summaries, wallSeconds)) console.log(line)
 */
import type { GraphJobMetrics } from '../graph/run-job.ts'
import { fmt } from './output.ts'

/** What the table needs of a run (run-topic.ts's TopicSummary fits). */
export interface RunFigures {
  readonly topic: string
  readonly metrics: Readonly<GraphJobMetrics>
  readonly seconds: number
}

/** Events per topic: logins and game events scale with the playback count. */
export function demoCounts(playbackEvents: number): Record<string, number> {
  return {
    'playback-events': playbackEvents,
    'login-events': Math.round(playbackEvents / 5),
    'game-events': Math.round(playbackEvents / 2.5),
  }
}

const ratio = (before: number, after: number) => `${(before / Math.max(1, after)).toFixed(1)}x`

export function formatRunTable(runs: readonly RunFigures[], wallSeconds: number): string[] {
  const row = (cells: string[]) =>
    [cells[0]!.padEnd(16), ...cells.slice(1).map((c, i) => c.padStart([10, 10, 11, 13, 7, 13, 12, 11][i]!))].join(' ')
  const lines = [row(['topic', 'events in', 'filtered', 'primitives', '→ after dedup', 'ratio', 'dead letters', 'checkpoints', 'events/s'])]
  const total = { events: 0, filtered: 0, before: 0, after: 0, dead: 0 }
  for (const r of runs) {
    const m = r.metrics
    total.events += m.recordsIn
    total.filtered += m.filtered
    total.before += m.primitivesBeforeDedup
    total.after += m.primitivesAfterDedup
    total.dead += m.deadLetters
    lines.push(
      row([
        r.topic,
        fmt(m.recordsIn),
        fmt(m.filtered),
        fmt(m.primitivesBeforeDedup),
        `→ ${fmt(m.primitivesAfterDedup)}`,
        ratio(m.primitivesBeforeDedup, m.primitivesAfterDedup),
        fmt(m.deadLetters),
        String(m.checkpoints),
        fmt(m.recordsIn / Math.max(0.001, r.seconds)),
      ]),
    )
  }
  lines.push(
    row([
      'all',
      fmt(total.events),
      fmt(total.filtered),
      fmt(total.before),
      `→ ${fmt(total.after)}`,
      ratio(total.before, total.after),
      fmt(total.dead),
      '',
      fmt(total.events / Math.max(0.001, wallSeconds)),
    ]),
  )
  return lines
}

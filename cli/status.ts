/**
 * The live status of `rdg-job run`: on a terminal a cli-progress line redrawn in place
 * (a bar with percentage and ETA when the total is known: generator --count, a file's
 * bytes; rate, and consumer lag for Kafka), off a terminal a plain line, written only
 * when it changed, so an idle job is quiet instead of repeating itself every second.
 *
 * @example
 * const status = createStatus({ tty: process.stderr.isTTY === true })
 * status.update({ recordsIn: 10, written: 40, deadLetters: 0, checkpoint: 1, total: 100, done: 10, lag: null })
 * status.stop()
 */
import cliProgress from 'cli-progress'
import { systemClock, type Clock } from '../base/clock.ts'
import { fmt } from './output.ts'

export interface StatusSnapshot {
  readonly recordsIn: number
  /** Graph primitives written (after dedup). */
  readonly written: number
  readonly deadLetters: number
  readonly checkpoint: number | null
  /** Units of the known total (records, or bytes of a file), or null. */
  readonly total: number | null
  readonly done: number
  /** Kafka consumer lag (messages) or null. */
  readonly lag: number | null
}

export interface Status {
  update(s: StatusSnapshot): void
  stop(): void
}

export interface StatusOptions {
  readonly tty: boolean
  /** Where lines go; default stderr. */
  readonly stream?: NodeJS.WritableStream
  readonly clock?: Clock
}

/** Seconds as `1h02m`, `3m05s`, `12s`. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–'
  const s = Math.round(seconds)
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${s}s`
}

/** Keeps the rate over the last few updates (a sliding window of ~5 s). */
class RateWindow {
  private readonly points: Array<{ t: number; n: number }> = []
  add(t: number, n: number): number {
    this.points.push({ t, n })
    while (this.points.length > 6) this.points.shift()
    const first = this.points[0]!
    const dt = (t - first.t) / 1000
    return dt > 0 ? (n - first.n) / dt : 0
  }
}

/** The plain line (off a terminal), without the rate when `withRate` is false (for change detection). */
export function statusLine(s: StatusSnapshot, rate: number, withRate = true): string {
  const parts = [
    `${fmt(s.recordsIn)} records`,
    `${fmt(s.written)} primitives written`,
    `${fmt(s.deadLetters)} dead letters`,
    `checkpoint ${s.checkpoint ?? '-'}`,
  ]
  if (withRate) parts.push(`${fmt(rate)}/s`)
  if (s.lag !== null) parts.push(`lag ${fmt(s.lag)}`)
  if (s.total !== null && s.total > 0) {
    const pct = Math.min(100, (100 * s.done) / s.total)
    parts.push(
      `${pct.toFixed(1)} %${withRate && rate > 0 ? `, ETA ${formatEta(((s.total - s.done) * (s.recordsIn / Math.max(s.done, 1))) / rate)}` : ''}`,
    )
  }
  return `  ${parts.join(', ')}\n`
}

export function createStatus(options: StatusOptions): Status {
  const clock = options.clock ?? systemClock
  const stream = options.stream ?? process.stderr
  const rates = new RateWindow()
  if (!options.tty) {
    let last = ''
    return {
      update(s) {
        const rate = rates.add(clock.now(), s.recordsIn)
        const key = statusLine(s, rate, false)
        if (key === last) return // idle: the same counts as last time, nothing new to say
        last = key
        stream.write(statusLine(s, rate))
      },
      stop() {},
    }
  }
  let bar: cliProgress.SingleBar | null = null
  let withTotal = false
  return {
    update(s) {
      const rate = rates.add(clock.now(), s.recordsIn)
      const known = s.total !== null && s.total > 0
      if (!bar || known !== withTotal) {
        bar?.stop()
        withTotal = known
        bar = new cliProgress.SingleBar(
          {
            stream,
            format: known
              ? '  {bar} {percentage}% | {records} records | {rate}/s | ETA {etaText} | {extra}'
              : '  {records} records | {rate}/s | {extra}',
            hideCursor: true,
            clearOnComplete: false,
            barsize: 24,
            fps: 5,
            etaBuffer: 20,
          },
          cliProgress.Presets.shades_classic,
        )
        bar.start(known ? s.total : 1, 0, { records: '0', rate: '0', etaText: '–', extra: '' })
      }
      const extra = [
        `${fmt(s.written)} written`,
        `${fmt(s.deadLetters)} dead letters`,
        `checkpoint ${s.checkpoint ?? '-'}`,
        ...(s.lag !== null ? [`lag ${fmt(s.lag)}`] : []),
      ].join(' | ')
      const eta = known && rate > 0 ? formatEta(((s.total - s.done) * (s.recordsIn / Math.max(s.done, 1))) / rate) : '–'
      bar.update(known ? Math.min(s.done, s.total) : 0, { records: fmt(s.recordsIn), rate: fmt(rate), etaText: eta, extra })
    },
    stop() {
      bar?.stop()
      bar = null
    },
  }
}

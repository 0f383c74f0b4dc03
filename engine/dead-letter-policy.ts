/**
 * What the job does about dead letters, decided in one place: counts them by reason, and
 * stops a run whose input is plainly not for this job. Like Kafka Streams' choice of
 * deserialization handler, two modes: `continue` (the default: a bad record becomes a
 * dead letter and the job goes on) and `fail` (the first dead letter stops the run). In
 * `continue` mode a guard still stops a run whose first `checkAfterRecords` records (or
 * whole input, when shorter) were nearly all dead letters — an events file of another
 * job, a toGraph that throws on every record — with one line naming the commonest reason.
 *
 * @example
 * const policy = new DeadLetterPolicy({ mode: 'continue', checkAfterRecords: 1_000, stopRatio: 0.95 })
 * policy.count(letter)
 * const stop = policy.verdict(recordsIn, ended) // a ConfigError to end the run with, or null
 */
import { ConfigError } from '../base/errors.ts'
import type { DeadLetter } from './connector.ts'

export interface DeadLetterPolicyOptions {
  /** `continue` (default): dead letters go to the dead-letter sink and the job goes on; `fail`: the first one stops the run. */
  readonly mode?: 'continue' | 'fail'
  /** In `continue` mode, look at the dead-letter ratio once this many source records have been read (or at the end of a shorter input); 0 turns the guard off. Default 1 000. */
  readonly checkAfterRecords?: number
  /** The guard stops the run when at least this share of those records were dead letters. Default 0.95. */
  readonly stopRatio?: number
}

export const DEFAULT_CHECK_AFTER_RECORDS = 1_000
export const DEFAULT_STOP_RATIO = 0.95

export class DeadLetterPolicy {
  private total = 0
  private first: DeadLetter | null = null
  private guardDone = false
  private readonly mode: 'continue' | 'fail'
  private readonly checkAfter: number
  private readonly stopRatio: number

  constructor(
    options: DeadLetterPolicyOptions = {},
    /** Dead letters by the kind of their reason (the text before its first colon); counted into the caller's metrics. */
    readonly byReason: Record<string, number> = {},
  ) {
    this.mode = options.mode ?? 'continue'
    this.checkAfter = options.checkAfterRecords ?? DEFAULT_CHECK_AFTER_RECORDS
    this.stopRatio = options.stopRatio ?? DEFAULT_STOP_RATIO
    if (!(this.checkAfter >= 0) || !Number.isInteger(this.checkAfter))
      throw new ConfigError(`checkAfterRecords must be a whole number >= 0, not ${this.checkAfter}`)
    if (!(this.stopRatio > 0 && this.stopRatio <= 1)) throw new ConfigError(`stopRatio must be in (0, 1], not ${this.stopRatio}`)
  }

  count(letter: DeadLetter): void {
    this.total++
    this.first ??= letter
    const kind = reasonKind(letter.reason)
    this.byReason[kind] = (this.byReason[kind] ?? 0) + 1
  }

  /**
   * Called between batches with the source records read so far: the error to stop the run
   * with, or null to go on. `ended` is true at the end of a bounded input.
   */
  verdict(recordsIn: number, ended: boolean): ConfigError | null {
    if (this.total === 0) return null
    if (this.mode === 'fail') {
      const letter = this.first!
      return new ConfigError(
        `stopped at the first dead letter (on dead letter: fail): ${letter.reason}${positionOf(letter)}`,
        'fix the input, or let the job continue past bad records (dead-letter mode continue)',
      )
    }
    if (this.guardDone || this.checkAfter === 0 || recordsIn === 0) return null
    if (recordsIn < this.checkAfter && !ended) return null
    this.guardDone = true
    const ratio = this.total / recordsIn
    if (ratio < this.stopRatio) return null
    const [commonest, n] = Object.entries(this.byReason).sort((a, b) => b[1] - a[1])[0]!
    const share = Math.min(100, Math.round(ratio * 100))
    return new ConfigError(
      `${share} % of the first ${recordsIn} records were dead letters (${n} × "${commonest}", e.g. ${this.first!.reason}${positionOf(this.first!)})`,
      'is this input meant for this job? Raise the dead-letter stop ratio or turn the check off (0 records) to keep going anyway',
    )
  }
}

/** The kind of a dead letter's reason: its text up to the first colon (the rest names values), at most 80 characters. */
export function reasonKind(reason: string): string {
  const colon = reason.indexOf(':')
  const kind = (colon > 0 ? reason.slice(0, colon) : reason).trim()
  return kind.length > 80 ? `${kind.slice(0, 79)}…` : kind
}

function positionOf(letter: DeadLetter): string {
  return letter.source ? ` (${letter.source.id} partition ${letter.source.partition} offset ${letter.source.offset})` : ''
}

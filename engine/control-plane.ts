/**
 * The control plane of a running job, in rxjs: checkpoint ticks on the clock's scheduler
 * (a virtual-time scheduler under a ManualClock), and stop signals from SIGINT/SIGTERM
 * or `stop()`. The data loop polls these flags between micro-batches, so the per-record
 * path never touches rxjs. A stop must end the run in bounded time: `overdue` rejects
 * `stopTimeoutMs` after the first stop request, for a loop stuck waiting on a sink.
 *
 * @example
 * const control = new ControlPlane(clock, 10_000, true)
 * control.watchStops()
 * control.startTicks()
 * if (control.takeCheckpointDue()) await checkpoint()
 */
import { fromEvent, interval, merge, map, take, Subject, type Subscription } from 'rxjs'
import type { Clock } from '../base/clock.ts'
import { RdgError } from '../base/errors.ts'

export type StopReason = 'stopped' | 'signal'

export class ControlPlane {
  private readonly stops = new Subject<StopReason>()
  private readonly subscriptions: Subscription[] = []
  private checkpointDue = false
  private cancelOverdue: (() => void) | null = null
  private rejectOverdue: ((err: Error) => void) | null = null
  stopReason: StopReason | null = null
  /** What the run is waiting for, named in the overdue error (set by the data loop). */
  activity = 'starting'
  /** Rejects `stopTimeoutMs` after the first stop request; never settles otherwise. */
  readonly overdue: Promise<never>

  constructor(
    private readonly clock: Clock,
    private readonly checkpointIntervalMs: number,
    private readonly handleSignals: boolean,
    private readonly stopTimeoutMs = 30_000,
  ) {
    this.overdue = new Promise<never>((_, reject) => (this.rejectOverdue = reject))
    this.overdue.catch(() => undefined) // observed by the run through Promise.race
  }

  /** Listens for stop requests and signals: first thing in a run, so a Ctrl-C during a slow start still ends in a final checkpoint. */
  watchStops(): void {
    const signals = this.handleSignals
      ? merge(fromEvent(process, 'SIGINT'), fromEvent(process, 'SIGTERM')).pipe(map((): StopReason => 'signal'))
      : this.stops
    this.subscriptions.push(
      merge(signals, this.stops)
        .pipe(take(1))
        .subscribe((reason) => {
          this.stopReason ??= reason
          this.armOverdue()
        }),
    )
  }

  private armOverdue(): void {
    if (this.cancelOverdue || !this.rejectOverdue) return
    this.cancelOverdue = this.clock.schedule(this.stopTimeoutMs, () => {
      const seconds = Math.round(this.stopTimeoutMs / 1_000)
      this.rejectOverdue?.(
        new RdgError(
          `did not stop within ${seconds} s: still ${this.activity}`,
          false,
          'ended without a final checkpoint; the next run resumes from the last complete one',
        ),
      )
    })
  }

  /** Starts the checkpoint ticks, once the job is open and processing. */
  startTicks(): void {
    if (this.checkpointIntervalMs > 0 && Number.isFinite(this.checkpointIntervalMs)) {
      this.subscriptions.push(interval(this.checkpointIntervalMs, this.clock.scheduler).subscribe(() => (this.checkpointDue = true)))
    }
  }

  stop(reason: StopReason): void {
    this.stops.next(reason)
    this.stopReason ??= reason
    this.armOverdue()
  }

  /** True once per elapsed checkpoint interval. */
  takeCheckpointDue(): boolean {
    const due = this.checkpointDue
    this.checkpointDue = false
    return due
  }

  close(): void {
    for (const s of this.subscriptions) s.unsubscribe()
    this.subscriptions.length = 0
    this.cancelOverdue?.()
    this.rejectOverdue = null
  }
}

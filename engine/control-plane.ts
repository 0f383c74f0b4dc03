/**
 * The control plane of a running job, in rxjs: checkpoint ticks on the clock's scheduler
 * (a virtual-time scheduler under a ManualClock), and stop signals from SIGINT/SIGTERM
 * or `stop()`. The data loop polls these flags between micro-batches, so the per-record
 * path never touches rxjs.
 *
 * @example
 * const control = new ControlPlane(clock, 10_000, true)
 * control.watchStops()
 * control.startTicks()
 * if (control.takeCheckpointDue()) await checkpoint()
 */
import { fromEvent, interval, merge, map, take, Subject, type Subscription } from 'rxjs'
import type { Clock } from '../base/clock.ts'

export type StopReason = 'stopped' | 'signal'

export class ControlPlane {
  private readonly stops = new Subject<StopReason>()
  private readonly subscriptions: Subscription[] = []
  private checkpointDue = false
  stopReason: StopReason | null = null

  constructor(
    private readonly clock: Clock,
    private readonly checkpointIntervalMs: number,
    private readonly handleSignals: boolean,
  ) {}

  /** Listens for stop requests and signals: first thing in a run, so a Ctrl-C during a slow start still ends in a final checkpoint. */
  watchStops(): void {
    const signals = this.handleSignals
      ? merge(fromEvent(process, 'SIGINT'), fromEvent(process, 'SIGTERM')).pipe(map((): StopReason => 'signal'))
      : this.stops
    this.subscriptions.push(merge(signals, this.stops).pipe(take(1)).subscribe((reason) => (this.stopReason = reason)))
  }

  /** Starts the checkpoint ticks, once the job is open and processing. */
  startTicks(): void {
    if (this.checkpointIntervalMs > 0 && Number.isFinite(this.checkpointIntervalMs)) {
      this.subscriptions.push(interval(this.checkpointIntervalMs, this.clock.scheduler).subscribe(() => (this.checkpointDue = true)))
    }
  }

  stop(reason: StopReason): void {
    this.stops.next(reason)
    if (this.stopReason === null) this.stopReason = reason
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
  }
}

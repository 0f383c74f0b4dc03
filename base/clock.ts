/**
 * The one place that reads the wall clock or arms a timer. Everything else takes a
 * `Clock`, so tests drive processing time, checkpoint intervals and retry backoff by
 * hand. The clock also exposes an rxjs scheduler, which the control plane uses for its
 * ticks: `asyncScheduler` in production, a `VirtualTimeScheduler` under `ManualClock`.
 *
 * @example
 * const clock = new ManualClock(1_000)
 * clock.schedule(500, () => console.log('fired at', clock.now()))
 * clock.advance(500) // prints "fired at 1500"
 */
import { asyncScheduler, VirtualTimeScheduler, VirtualAction, type SchedulerLike } from 'rxjs'

export interface Clock {
  /** Processing time in epoch milliseconds. */
  now(): number
  /** Runs `fn` once after `delayMs`; returns a cancel function. */
  schedule(delayMs: number, fn: () => void): () => void
  /** Resolves after `delayMs` of this clock's time. */
  sleep(delayMs: number): Promise<void>
  /** The rxjs scheduler that follows this clock, for control-plane streams. */
  readonly scheduler: SchedulerLike
}

/** Wall-clock time. */
export class SystemClock implements Clock {
  readonly scheduler: SchedulerLike = asyncScheduler
  now(): number {
    return Date.now()
  }
  schedule(delayMs: number, fn: () => void): () => void {
    const handle = setTimeout(fn, Math.max(0, delayMs))
    return () => clearTimeout(handle)
  }
  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, delayMs)))
  }
}

/** Time that moves only when a test calls `advance` or `set`. */
export class ManualClock implements Clock {
  readonly scheduler: VirtualTimeScheduler
  private readonly origin: number

  constructor(start = 0) {
    this.origin = start
    this.scheduler = new VirtualTimeScheduler(VirtualAction, Number.POSITIVE_INFINITY)
  }

  now(): number {
    return this.origin + this.scheduler.frame
  }

  schedule(delayMs: number, fn: () => void): () => void {
    const sub = this.scheduler.schedule(fn, Math.max(0, delayMs))
    return () => sub.unsubscribe()
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.schedule(delayMs, resolve))
  }

  /** Moves time forward by `ms`, running every scheduled action that falls due, in order. */
  advance(ms: number): void {
    this.set(this.now() + ms)
  }

  /** Moves time forward to the absolute time `t` (never backwards). */
  set(t: number): void {
    const target = t - this.origin
    if (target < this.scheduler.frame) return
    this.scheduler.maxFrames = target
    this.scheduler.flush()
    this.scheduler.frame = target
  }
}

/** The default clock of a process. */
export const systemClock: Clock = new SystemClock()

/**
 * Makes sure the event loop gets a turn between micro-batches. A source that is always
 * ready (generator, memory) resolves its polls as microtasks and would starve timers, I/O
 * and signal handlers (checkpoint ticks and Ctrl-C never arrived while input lasted). A
 * probe (one setImmediate per batch) notes whether the loop turned on its own, as it does
 * while a Kafka source waits for fetches; only when it did not is there a turn to await,
 * so a source that yields by itself keeps its batching (a forced turn per batch cost the
 * Kafka pipeline ~25 % in events/s).
 */
export class EventLoopTurns {
  private turned = true
  private readonly mark = (): void => {
    this.turned = true
  }

  /** Null when the loop has turned since the last call; else a promise resolved after a turn. */
  ensure(): Promise<void> | null {
    if (this.turned) {
      this.turned = false
      setImmediate(this.mark)
      return null
    }
    // the probe is queued already and runs first: the next call finds the loop turned
    return new Promise((resolve) => setImmediate(resolve))
  }
}

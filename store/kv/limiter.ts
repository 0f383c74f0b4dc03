/**
 * Bounded concurrency for store requests: at most `max` tasks run at once, the rest wait
 * in arrival order. Used so a large batch or a wide traversal hop does not flood a server.
 *
 * @example
 * const limit = new Limiter(64)
 * await Promise.all(groups.map((g) => limit.run(() => client.batch(g))))
 */
export class Limiter {
  private active = 0
  private readonly waiting: Array<() => void> = []

  constructor(readonly max: number) {
    if (!(Number.isInteger(max) && max > 0)) throw new RangeError(`concurrency must be a positive integer, got ${String(max)}`)
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve))
    this.active++
    try {
      return await task()
    } finally {
      this.active--
      this.waiting.shift()?.()
    }
  }

  /** Tasks running now. */
  get running(): number {
    return this.active
  }
}

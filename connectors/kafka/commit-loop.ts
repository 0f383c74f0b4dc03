/**
 * Background offset commits, latest wins: at most one commit in flight; offsets requested
 * meanwhile replace any not yet sent, so a slow group coordinator never holds the engine
 * up or builds a backlog. A failed commit is reported and not retried (the next request
 * carries newer offsets).
 *
 * @example
 * const commits = new CommitLoop({ send: (o) => consumer.commitOffsets(toTopicOffsets(o)), canSend: () => open, failed: (err) => warn(err) })
 * commits.request(offsets)
 * await commits.settled()
 */
export interface CommitLoopOptions<T> {
  readonly send: (offsets: T) => Promise<unknown>
  /** Checked before each send; false stops the loop (e.g. the consumer is gone). */
  readonly canSend: () => boolean
  readonly failed: (err: unknown) => void
}

export class CommitLoop<T> {
  private latest: T | null = null
  private loop: Promise<void> | null = null

  constructor(private readonly options: CommitLoopOptions<T>) {}

  /** Commits `offsets` once the commit in flight (if any) is done, replacing any requested before. */
  request(offsets: T): void {
    this.latest = offsets
    this.loop ??= this.run().finally(() => (this.loop = null))
  }

  /** Resolves when the requested commits have been sent (or the loop stopped). */
  async settled(): Promise<void> {
    while (this.loop) await this.loop
  }

  private async run(): Promise<void> {
    while (this.latest && this.options.canSend()) {
      const offsets = this.latest
      this.latest = null
      try {
        await this.options.send(offsets)
      } catch (err) {
        this.options.failed(err)
      }
    }
  }
}

/**
 * A sink that keeps what it receives, for tests: `received` in arrival order and
 * `flushed` as of the last flush (what a checkpoint made durable). Backpressure can be
 * switched on to test that the engine waits.
 *
 * @example
 * const sink = new CollectingSink<GraphPrimitive>('out')
 * await runJob(job, { ..., graphSinks: [sink] }).done
 * sink.flushed.length
 */
import type { Sink } from '../engine/connector.ts'
import { operatorId, type OperatorId } from '../base/ids.ts'

export class CollectingSink<T> implements Sink<T> {
  readonly id: OperatorId
  readonly received: Array<{ value: T; timestamp: number }> = []
  flushed: Array<{ value: T; timestamp: number }> = []
  flushes = 0
  drains = 0
  /** When set, `backpressured` is true until `drain()` is called. */
  pressure = false

  constructor(id: string) {
    this.id = operatorId(id)
  }

  async open(): Promise<void> {}

  write(value: T, timestamp: number): void {
    this.received.push({ value, timestamp })
  }

  get backpressured(): boolean {
    return this.pressure
  }

  async drain(): Promise<void> {
    this.drains++
    this.pressure = false
  }

  async flush(): Promise<void> {
    this.flushes++
    this.flushed = [...this.received]
  }

  async close(): Promise<void> {}

  values(): T[] {
    return this.received.map((r) => r.value)
  }
}

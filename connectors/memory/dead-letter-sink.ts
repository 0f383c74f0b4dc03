/**
 * An in-memory dead-letter sink for tests and benchmarks: keeps every letter (or only a
 * count once `keep` is reached) and counts them by operator.
 *
 * @example
 * const dlq = new MemoryDeadLetterSink()
 * await runJob(job, { ..., deadLetterSink: dlq }).done
 * dlq.count; dlq.letters[0]?.reason; dlq.byOperator.get('decode')
 */
import type { DeadLetter, Sink } from '../../engine/connector.ts'
import { operatorId, type OperatorId } from '../../base/ids.ts'

export class MemoryDeadLetterSink implements Sink<DeadLetter> {
  readonly id: OperatorId
  readonly backpressured = false
  readonly letters: DeadLetter[] = []
  /** Letters per rejecting operator id. */
  readonly byOperator = new Map<string, number>()
  count = 0
  /** How many letters `flush` has made "durable" so far. */
  flushedCount = 0

  /** `keep` bounds the letters held (a benchmark only needs the counts). */
  constructor(private readonly options: { id?: string; keep?: number } = {}) {
    this.id = operatorId(options.id ?? 'memory-dead-letters')
  }

  async open(): Promise<void> {}

  write(letter: DeadLetter): void {
    this.count++
    this.byOperator.set(letter.operator, (this.byOperator.get(letter.operator) ?? 0) + 1)
    if (this.letters.length < (this.options.keep ?? Number.POSITIVE_INFINITY)) this.letters.push(letter)
  }

  async drain(): Promise<void> {}

  async flush(): Promise<void> {
    this.flushedCount = this.count
  }

  async close(): Promise<void> {}
}

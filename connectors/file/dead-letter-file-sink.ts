/**
 * Dead letters to a JSON-lines file (one letter per line: reason, operator, source
 * position, value, event time), appended durably at each flush.
 *
 * @example
 * const dlq = new DeadLetterFileSink({ path: '.rdg/playback-events/dead-letters.jsonl' })
 */
import { appendFile, mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { DeadLetter, Sink } from '../../engine/connector.ts'
import { operatorId, type OperatorId } from '../../base/ids.ts'

export class DeadLetterFileSink implements Sink<DeadLetter> {
  readonly id: OperatorId
  private lines: string[] = []
  readonly backpressured = false
  count = 0
  /** The first few letters, for summaries. */
  readonly samples: DeadLetter[] = []

  constructor(private readonly options: { path: string; id?: string }) {
    this.id = operatorId(options.id ?? 'dead-letters')
  }

  async open(): Promise<void> {
    await mkdir(dirname(this.options.path), { recursive: true })
  }

  write(letter: DeadLetter): void {
    this.count++
    if (this.samples.length < 5) this.samples.push(letter)
    this.lines.push(JSON.stringify(letter))
  }

  async drain(): Promise<void> {}

  async flush(): Promise<void> {
    if (this.lines.length === 0) return
    const text = this.lines.join('\n') + '\n'
    this.lines = []
    await appendFile(this.options.path, text)
  }

  async close(): Promise<void> {
    await this.flush()
  }
}

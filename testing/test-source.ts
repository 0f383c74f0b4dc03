/**
 * A bounded in-memory source for tests, with inline failure markers (after Bytewax):
 * `ABORT` makes the next poll throw (a crash at exactly that point), `END` ends the input
 * early. Positions are the index of the next element, so a restore resumes exactly.
 *
 * @example
 * const source = new TestSource('input', [{ id: 1, ts: 10 }, ABORT, { id: 2, ts: 20 }])
 * // first run: processes {id:1}, then fails; second run (restored) continues with {id:2}
 */
import type { Source, SourceBatch, SourceContext, SourcePositions } from '../engine/connector.ts'
import { operatorId, type OperatorId } from '../base/ids.ts'

export const ABORT = Symbol('abort')
export const END = Symbol('end')
export type TestElement<T> = T | typeof ABORT | typeof END

/** ABORT markers that already fired, per elements array: a rerun over the same array passes them. */
const firedAborts = new WeakMap<readonly unknown[], Set<number>>()

export class TestSource<T> implements Source<T> {
  readonly id: OperatorId
  private next = 0
  private readonly aborted: Set<number>
  opened = 0
  closed = 0

  /**
   * @param elements records and markers; an element may be `[partition, value]` when
   *                 `partitioned` is set, to test per-partition watermarks.
   */
  constructor(
    id: string,
    private readonly elements: readonly TestElement<T>[],
    private readonly options: { partitioned?: boolean; batchSize?: number; onPoll?: () => void } = {},
  ) {
    this.id = operatorId(id)
    let fired = firedAborts.get(elements)
    if (!fired) firedAborts.set(elements, (fired = new Set()))
    this.aborted = fired
  }

  async open(ctx: SourceContext): Promise<void> {
    this.opened++
    this.next = ctx.restoredPositions ? Number(ctx.restoredPositions['0'] ?? 0) : 0
  }

  async poll(maxRecords: number): Promise<SourceBatch<T>> {
    this.options.onPoll?.()
    const records: Array<{ partition: number; offset: string; value: T }> = []
    const limit = Math.min(maxRecords, this.options.batchSize ?? maxRecords)
    while (records.length < limit && this.next < this.elements.length) {
      const e = this.elements[this.next]!
      if (e === ABORT) {
        if (records.length > 0) break
        if (!this.aborted.has(this.next)) {
          this.aborted.add(this.next)
          throw new Error(`test source aborted at position ${this.next}`)
        }
        this.next++
        continue
      }
      if (e === END) return { records, end: true }
      const [partition, value] = this.options.partitioned ? (e as unknown as [number, T]) : [0, e as T]
      records.push({ partition, offset: String(this.next), value })
      this.next++
    }
    return { records, end: this.next >= this.elements.length }
  }

  positions(): SourcePositions {
    return { '0': String(this.next) }
  }

  async close(): Promise<void> {
    this.closed++
  }
}

/**
 * One record in, zero or more out, through a reused collector.
 *
 * @example
 * const op = flatMapOperator(operatorId('split'), (line: string, out) => { for (const w of line.split(' ')) out.collect(w) })
 */
import type { Collector } from '../engine/process-function.ts'
import type { SideOutputs, StreamOperator } from '../engine/operator.ts'
import { userFunctionFailed } from './dead-letters.ts'
import type { RecordBatch } from '../engine/record-batch.ts'
import type { OperatorId } from '../base/ids.ts'

/** `fn` gets the record, a collector, and the record's event time. */
export function flatMapOperator<I, O>(
  id: OperatorId,
  fn: (value: I, out: Collector<O>, timestamp: number) => void,
  description = 'flatMap',
): StreamOperator {
  let target: RecordBatch | null = null
  let currentTs = 0
  let currentOrigin = -1
  const collector: Collector<O> = {
    collect(value: O, timestamp?: number) {
      target!.push(value, timestamp ?? currentTs, currentOrigin)
    },
  }
  return {
    id,
    kind: 'flatMap',
    description,
    async open() {},
    processBatch(input: RecordBatch, out: RecordBatch, side: SideOutputs) {
      target = out
      const values = input.values
      for (let i = 0; i < input.length; i++) {
        currentTs = input.timestamps[i]!
        currentOrigin = input.origins[i]!
        const mark = out.length
        try {
          fn(values[i] as I, collector, currentTs)
        } catch (err) {
          out.length = mark // drop what this record emitted before failing: all or nothing
          side.deadLetter(userFunctionFailed(id, err, values[i], currentTs), currentOrigin)
        }
      }
    },
  }
}

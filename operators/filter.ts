/**
 * Keeps the records for which the predicate is true.
 *
 * @example
 * const op = filterOperator(operatorId('filter'), (e: { accountId: string }) => e.accountId !== '')
 */
import type { SideOutputs, StreamOperator } from '../engine/operator.ts'
import { userFunctionFailed } from './dead-letters.ts'
import type { RecordBatch } from '../engine/record-batch.ts'
import type { OperatorId } from '../base/ids.ts'

export function filterOperator<T>(id: OperatorId, predicate: (value: T) => boolean, description = 'filter'): StreamOperator {
  return {
    id,
    kind: 'filter',
    description,
    async open() {},
    processBatch(input: RecordBatch, out: RecordBatch, side: SideOutputs) {
      const values = input.values
      for (let i = 0; i < input.length; i++) {
        try {
          if (predicate(values[i] as T)) out.push(values[i], input.timestamps[i]!, input.origins[i])
        } catch (err) {
          side.deadLetter(userFunctionFailed(id, err, values[i], input.timestamps[i]!), input.origins[i])
        }
      }
    },
  }
}

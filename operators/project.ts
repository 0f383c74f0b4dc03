/**
 * One record in, one record out: a projection (dropping noise fields) or any map.
 *
 * @example
 * const op = projectOperator(operatorId('project'), (e: Raw) => ({ accountId: e.accountId, ts: e.ts }))
 */
import type { SideOutputs, StreamOperator } from '../engine/operator.ts'
import { userFunctionFailed } from './dead-letters.ts'
import type { RecordBatch } from '../engine/record-batch.ts'
import type { OperatorId } from '../base/ids.ts'

export function projectOperator<I, O>(id: OperatorId, project: (value: I) => O, description = 'project'): StreamOperator {
  return {
    id,
    kind: 'map',
    description,
    async open() {},
    processBatch(input: RecordBatch, out: RecordBatch, side: SideOutputs) {
      const values = input.values
      for (let i = 0; i < input.length; i++) {
        try {
          out.push(project(values[i] as I), input.timestamps[i]!, input.origins[i])
        } catch (err) {
          side.deadLetter(userFunctionFailed(id, err, values[i], input.timestamps[i]!), input.origins[i])
        }
      }
    },
  }
}

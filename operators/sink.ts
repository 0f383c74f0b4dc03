/**
 * Hands records to a Sink (KV store, Kafka, memory). `write` buffers synchronously; the
 * runtime applies backpressure when the sink says it is over its bound and flushes it
 * first in every checkpoint.
 *
 * @example
 * const op = sinkOperator(operatorId('kv'), kvSink)
 */
import type { Sink } from '../engine/connector.ts'
import type { SinkOperator } from '../engine/operator.ts'
import type { RecordBatch } from '../engine/record-batch.ts'
import type { OperatorId } from '../base/ids.ts'

export function sinkOperator<T>(id: OperatorId, sink: Sink<T>, description?: string): SinkOperator {
  return {
    id,
    kind: 'sink',
    sink: sink,
    description: description ?? `sink ${sink.id}`,
    async open() {},
    processBatch(input: RecordBatch) {
      const values = input.values
      for (let i = 0; i < input.length; i++) sink.write(values[i] as T, input.timestamps[i]!)
    },
  }
}

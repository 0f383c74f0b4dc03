/**
 * What flows between operators, as a discriminated union. The runtime moves records in
 * columnar micro-batches (record-batch.ts) for speed; this union is the logical view used
 * by the operator test harness and by anything that records a stream in order.
 *
 * @example
 * const out: StreamElement<string>[] = [
 *   { kind: 'record', value: 'a', timestamp: 10 },
 *   { kind: 'watermark', timestamp: 10 },
 *   { kind: 'end' },
 * ]
 */
import type { CheckpointId } from '../base/ids.ts'

export type StreamElement<T> =
  | { readonly kind: 'record'; readonly value: T; readonly timestamp: number }
  | { readonly kind: 'watermark'; readonly timestamp: number }
  | { readonly kind: 'idle'; readonly partition: number }
  | { readonly kind: 'barrier'; readonly checkpointId: CheckpointId }
  | { readonly kind: 'end' }

/** Names a side output of an operator (late data, dead letters, or a user's own). */
export interface OutputTag<T> {
  readonly id: string
  readonly __type?: T
}

export function outputTag<T>(id: string): OutputTag<T> {
  return { id }
}

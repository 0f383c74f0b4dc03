/**
 * Where dedup keeps an open window: one value per identity in keyed state, JSON-encoded.
 * The reference function and the batched operator share it, so a checkpoint of one
 * restores into the other.
 *
 * @example
 * const pending = runtime.state.table(operatorId('dedup'), pendingState)
 * pending.get(key)?.fireAt // event time the identity's window closes at
 */
import type { Codec, StateDescriptor } from '../../state/types.ts'
import type { PendingPrimitive } from './merge.ts'

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const pendingCodec: Codec<PendingPrimitive> = {
  encode: (v) => encoder.encode(JSON.stringify(v)),
  decode: (b) => JSON.parse(decoder.decode(b)) as PendingPrimitive,
}

export const pendingState: StateDescriptor<PendingPrimitive, 'value'> = { name: 'pending', kind: 'value', codec: pendingCodec }

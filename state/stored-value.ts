/**
 * How a table's value is stored in snapshots and RocksDB: the codec's bytes, preceded by
 * the 8-byte write time when the state has a TTL (so expiry survives a restore).
 *
 * @example
 * const bytes = encodeStored(descriptor, value, clock.now())
 * const { value, writtenAt } = decodeStored(descriptor, bytes)
 */
import type { StateDescriptor } from './types.ts'

export function encodeStored<T>(d: StateDescriptor<T>, value: T, writtenAt: number): Uint8Array {
  const body = d.codec.encode(value)
  if (d.ttlMs === undefined) return body
  const out = new Uint8Array(8 + body.byteLength)
  new DataView(out.buffer).setFloat64(0, writtenAt)
  out.set(body, 8)
  return out
}

export function decodeStored<T>(d: StateDescriptor<T>, bytes: Uint8Array): { value: T; writtenAt: number } {
  if (d.ttlMs === undefined) return { value: d.codec.decode(bytes), writtenAt: 0 }
  const writtenAt = new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0)
  return { value: d.codec.decode(bytes.subarray(8)), writtenAt }
}

/** Id of a table in snapshots and RocksDB keys. */
export function tableIdOf(operatorId: string, stateName: string): string {
  return `${operatorId}/${stateName}`
}

/**
 * Declares keyed state. The codec is for the per-key element: the value of a value
 * state, the values of a map state, the elements of a list state.
 *
 * @example
 * const state = {
 *   lastSeen: valueState('last-seen', codecs.number(), { ttlMs: 86_400_000 }),
 *   devices: mapState('devices', codecs.json<{ since: number }>()),
 *   history: listState('history', codecs.string()),
 * }
 */
import type { Codec, StateDescriptor } from './types.ts'

export interface StateOptions {
  /** Entries not written for this long read as absent. */
  readonly ttlMs?: number
}

function checkName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new Error(`state name "${name}" must be letters, digits, '.', '_' or '-'`)
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

function withTtl<T>(d: { name: string; kind: 'value' | 'map' | 'list'; codec: Codec<T> }, options?: StateOptions) {
  return options?.ttlMs !== undefined ? { ...d, ttlMs: options.ttlMs } : d
}

/** Map state stores a Record<string, V> per key as one value. */
function mapCodec<V>(codec: Codec<V>): Codec<Record<string, V>> {
  return {
    encode: (m) => {
      const entries: Array<[string, string]> = []
      for (const [k, v] of Object.entries(m)) entries.push([k, Buffer.from(codec.encode(v)).toString('base64')])
      return encoder.encode(JSON.stringify(entries))
    },
    decode: (b) => {
      const out: Record<string, V> = {}
      for (const [k, v] of JSON.parse(decoder.decode(b)) as Array<[string, string]>) out[k] = codec.decode(Buffer.from(v, 'base64'))
      return out
    },
  }
}

function listCodec<T>(codec: Codec<T>): Codec<T[]> {
  return {
    encode: (list) => encoder.encode(JSON.stringify(list.map((v) => Buffer.from(codec.encode(v)).toString('base64')))),
    decode: (b) => (JSON.parse(decoder.decode(b)) as string[]).map((s) => codec.decode(Buffer.from(s, 'base64'))),
  }
}

export type ValueStateDescriptor<T> = StateDescriptor<T, 'value'>
export type MapStateDescriptor<V> = StateDescriptor<Record<string, V>, 'map'>
export type ListStateDescriptor<T> = StateDescriptor<T[], 'list'>

export function valueState<T>(name: string, codec: Codec<T>, options?: StateOptions): ValueStateDescriptor<T> {
  checkName(name)
  return withTtl({ name, kind: 'value' as const, codec }, options) as ValueStateDescriptor<T>
}

export function mapState<V>(name: string, codec: Codec<V>, options?: StateOptions): MapStateDescriptor<V> {
  checkName(name)
  return withTtl({ name, kind: 'map' as const, codec: mapCodec(codec) }, options) as MapStateDescriptor<V>
}

export function listState<T>(name: string, codec: Codec<T>, options?: StateOptions): ListStateDescriptor<T> {
  checkName(name)
  return withTtl({ name, kind: 'list' as const, codec: listCodec(codec) }, options) as ListStateDescriptor<T>
}

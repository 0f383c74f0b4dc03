/**
 * Key groups: every key hashes into one of `maxParallelism` groups, the unit in which
 * state is checkpointed and handed between processes (Flink's max parallelism).
 *
 * @example
 * keyGroupOf('n|account|a1', 128)            // 0..127, stable across processes and versions
 * keyGroupRangeFor(1, 2, 128)                // { start: 64, end: 127 }
 */
import type { KeyGroupRange } from './types.ts'

/** murmur3-32 finalizer over UTF-16 code units (fmix32 per unit); stable and allocation-free. */
export function hashKey(key: string): number {
  let h = 0x9747b28c
  for (let i = 0; i < key.length; i++) {
    let k = key.charCodeAt(i)
    k = Math.imul(k, 0xcc9e2d51)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, 0x1b873593)
    h ^= k
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  h ^= key.length
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

export function keyGroupOf(key: string, maxParallelism: number): number {
  return hashKey(key) % maxParallelism
}

/** The contiguous key-group range owned by process `index` of `parallelism`. */
export function keyGroupRangeFor(index: number, parallelism: number, maxParallelism: number): KeyGroupRange {
  if (parallelism < 1 || parallelism > maxParallelism) throw new Error(`parallelism must be 1..${maxParallelism}, got ${parallelism}`)
  if (index < 0 || index >= parallelism) throw new Error(`index must be 0..${parallelism - 1}, got ${index}`)
  const start = Math.ceil((index * maxParallelism) / parallelism)
  const end = Math.ceil(((index + 1) * maxParallelism) / parallelism) - 1
  return { start, end }
}

export function allKeyGroups(maxParallelism: number): KeyGroupRange {
  return { start: 0, end: maxParallelism - 1 }
}

export function inRange(group: number, range: KeyGroupRange): boolean {
  return group >= range.start && group <= range.end
}

/**
 * A scalable Bloom filter of the keys the live RocksDB database holds, so that reading a
 * key that was never persisted (the first update of a new identity: most dedup keys)
 * costs no disk lookup. False positives only cost a lookup; there are no false negatives.
 * Deleted keys stay in the filter (a filter cannot forget), which only costs lookups.
 * When a filter fills up, a twice larger one is added.
 *
 * @example
 * const f = new PresenceFilter()
 * f.add('dedup/pending\u0000n|account|a1')
 * f.mightContain('dedup/pending\u0000n|account|a2') // false (certainly absent)
 */
const BITS_PER_KEY = 10
const HASHES = 7

/** FNV-1a style: hashing a string is hashing its prefix, then going on from that state. */
function hashFrom(state: number, s: string): number {
  let h = state
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h
}

function finish(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

const SEED1 = 0x9747b28c
const SEED2 = 0x2c1b3c6d

/** The hash states after a common prefix (a table's id), so keys under it hash without concatenation. */
export interface HashPrefix {
  readonly h1: number
  readonly h2: number
}

export function hashPrefix(prefix: string): HashPrefix {
  return { h1: hashFrom(SEED1 >>> 0, prefix), h2: hashFrom(SEED2 >>> 0, prefix) }
}

class Bloom {
  readonly bits: Uint32Array
  readonly size: number
  count = 0

  constructor(readonly capacity: number) {
    this.size = Math.max(64, capacity * BITS_PER_KEY)
    this.bits = new Uint32Array(Math.ceil(this.size / 32))
  }

  add(h1: number, h2: number): void {
    for (let i = 0; i < HASHES; i++) {
      const bit = (h1 + i * h2) % this.size
      this.bits[bit >>> 5]! |= 1 << (bit & 31)
    }
    this.count++
  }

  has(h1: number, h2: number): boolean {
    for (let i = 0; i < HASHES; i++) {
      const bit = (h1 + i * h2) % this.size
      if ((this.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false
    }
    return true
  }
}

const EMPTY = hashPrefix('')

export class PresenceFilter {
  private filters: Bloom[]

  constructor(private readonly initialCapacity = 1 << 16) {
    this.filters = [new Bloom(initialCapacity)]
  }

  add(key: string, prefix: HashPrefix = EMPTY): void {
    let current = this.filters[this.filters.length - 1]!
    if (current.count >= current.capacity) {
      current = new Bloom(current.capacity * 2)
      this.filters.push(current)
    }
    current.add(finish(hashFrom(prefix.h1, key)), (finish(hashFrom(prefix.h2, key)) | 1) >>> 0)
  }

  /** False means the key (after `prefix`, if given) is certainly absent. */
  mightContain(key: string, prefix: HashPrefix = EMPTY): boolean {
    const h1 = finish(hashFrom(prefix.h1, key))
    const h2 = (finish(hashFrom(prefix.h2, key)) | 1) >>> 0
    for (const f of this.filters) if (f.has(h1, h2)) return true
    return false
  }

  clear(): void {
    this.filters = [new Bloom(this.initialCapacity)]
  }

  /** Bytes of filter memory. */
  get bytes(): number {
    return this.filters.reduce((n, f) => n + f.bits.byteLength, 0)
  }
}

/**
 * A small seeded PRNG (mulberry32): the generator's only source of randomness, so the
 * same seed always yields the same events.
 *
 * @example
 * const rng = new Prng(42)
 * rng.int(0, 9); rng.pick(['a', 'b']); rng.chance(0.1)
 * const random = seededRandom(7) // Math.random's shape, for tests and benches
 */
export class Prng {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  /** A hex id of `len` characters. */
  id(len = 8): string {
    let s = ''
    while (s.length < len)
      s += Math.floor(this.next() * 0x100000000)
        .toString(16)
        .padStart(8, '0')
    return s.slice(0, len)
  }
}

/** A seeded replacement for Math.random: uniform in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  const prng = new Prng(seed)
  return () => prng.next()
}

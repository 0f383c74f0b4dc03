import { describe, expect, it } from 'vitest'
import { compareKeys } from '../../store/kv/cells.ts'
import { seededRandom } from '../../connectors/generator/prng.ts'

const rng = seededRandom

const sign = (n: number) => Math.sign(n)

describe('compareKeys', () => {
  it('orders as UTF-8 bytes do, around surrogate pairs and high BMP characters too', () => {
    const r = rng(9)
    // ASCII, Latin, CJK, private use (U+E000..), specials (U+FFFx) and astral characters (surrogate pairs)
    const alphabet = ['a', 'b', ':', '0', '\u00e9', '\u4e2d', '\ue000', '\uffee', '\u{1f600}', '\u{10000}', '\u{10ffff}']
    const word = () => Array.from({ length: 1 + Math.floor(r() * 5) }, () => alphabet[Math.floor(r() * alphabet.length)]).join('')
    for (let i = 0; i < 20_000; i++) {
      const a = word()
      const b = r() < 0.2 ? a + word() : word()
      expect(sign(compareKeys(a, b))).toBe(Buffer.compare(Buffer.from(a), Buffer.from(b)))
      expect(sign(compareKeys(b, a))).toBe(Buffer.compare(Buffer.from(b), Buffer.from(a)))
    }
    expect(compareKeys('title:x', 'title:x')).toBe(0)
  })
})

import { describe, expect, it } from 'vitest'
import { PresenceFilter } from '../../state/presence-filter.ts'

describe('presence filter', () => {
  it('has no false negatives as it grows, and few false positives', () => {
    const f = new PresenceFilter(1024) // grows to three filters
    for (let i = 0; i < 5_000; i++) f.add(`op/count\u0000k${i}`)
    for (let i = 0; i < 5_000; i++) expect(f.mightContain(`op/count\u0000k${i}`)).toBe(true)
    let falsePositives = 0
    for (let i = 0; i < 10_000; i++) if (f.mightContain(`op/count\u0000z${i}`)) falsePositives++
    expect(falsePositives).toBeLessThan(400) // ~1% per filter
    f.clear()
    expect(f.mightContain('op/count\u0000k1')).toBe(false)
  })
})

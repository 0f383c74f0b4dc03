import { describe, expect, it } from 'vitest'
import type { DeadLetter } from '../../engine/connector.ts'
import { DeadLetterPolicy, reasonKind } from '../../engine/dead-letter-policy.ts'

const letter = (reason: string, offset = '0'): DeadLetter => ({
  reason,
  operator: 'source',
  source: { id: 'file', partition: 0, offset },
  value: null,
  eventTime: null,
})

describe('dead-letter policy', () => {
  it('counts dead letters by the kind of their reason', () => {
    const byReason: Record<string, number> = {}
    const policy = new DeadLetterPolicy({}, byReason)
    policy.count(letter('cannot decode: Unexpected token'))
    policy.count(letter('cannot decode: truncated buffer'))
    policy.count(letter('late: event time 5 is at or behind the watermark 9'))
    policy.count(letter('missing or invalid event time field "ts"'))
    expect(byReason).toEqual({ 'cannot decode': 2, late: 1, 'missing or invalid event time field "ts"': 1 })
    expect(reasonKind('x'.repeat(200))).toHaveLength(80)
  })

  it('continue mode goes on while dead letters are a minority, and checks only once', () => {
    const policy = new DeadLetterPolicy({ checkAfterRecords: 100, stopRatio: 0.9 })
    for (let i = 0; i < 89; i++) policy.count(letter('cannot decode: x'))
    expect(policy.verdict(50, false)).toBeNull() // not yet 100 records
    expect(policy.verdict(100, false)).toBeNull() // 89 % < 90 %
    for (let i = 0; i < 1_000; i++) policy.count(letter('cannot decode: x'))
    expect(policy.verdict(2_000, false)).toBeNull() // the guard looks at the start of a run only
  })

  it('continue mode stops a run whose first records are nearly all dead letters, naming the commonest reason and a position', () => {
    const policy = new DeadLetterPolicy({ checkAfterRecords: 10 })
    for (let i = 0; i < 10; i++) policy.count(letter(i < 8 ? 'to-graph failed: no such title' : 'cannot decode: x', String(i)))
    const stop = policy.verdict(10, false)
    expect(stop?.message).toMatch(
      /^100 % of the first 10 records were dead letters \(8 × "to-graph failed", e\.g\. to-graph failed: no such title \(file partition 0 offset 0\)\); is this input meant for this job\?/,
    )
  })

  it('looks at a shorter input when it ends', () => {
    const policy = new DeadLetterPolicy({ checkAfterRecords: 1_000 })
    for (let i = 0; i < 5; i++) policy.count(letter('cannot decode: x'))
    expect(policy.verdict(5, false)).toBeNull()
    expect(policy.verdict(5, true)?.message).toMatch(/^100 % of the first 5 records/)
  })

  it('checkAfterRecords 0 turns the guard off', () => {
    const policy = new DeadLetterPolicy({ checkAfterRecords: 0 })
    for (let i = 0; i < 5; i++) policy.count(letter('cannot decode: x'))
    expect(policy.verdict(5, true)).toBeNull()
  })

  it('fail mode stops at the first dead letter with its reason and position', () => {
    const policy = new DeadLetterPolicy({ mode: 'fail' })
    expect(policy.verdict(10, false)).toBeNull()
    policy.count(letter('cannot decode: truncated', '42'))
    expect(policy.verdict(11, false)?.message).toMatch(
      /^stopped at the first dead letter \(on dead letter: fail\): cannot decode: truncated \(file partition 0 offset 42\)/,
    )
  })

  it('rejects nonsense options', () => {
    expect(() => new DeadLetterPolicy({ stopRatio: 0 })).toThrow(/stopRatio/)
    expect(() => new DeadLetterPolicy({ checkAfterRecords: -1 })).toThrow(/checkAfterRecords/)
  })
})

import { describe, expect, it } from 'vitest'
import { HeldSegments } from '../../engine/held-segments.ts'

describe('held segments: which records may still be pending', () => {
  it('holds a partition from its oldest segment whose records are not all older than the floor', () => {
    const held = new HeldSegments()
    held.nextBatch()
    held.record(0, 0, 1_000)
    held.record(1, 0, 1_100)
    held.nextBatch()
    held.record(0, 10, 2_000)
    held.record(0, 12, 2_500) // a second run of partition 0 in the same batch: one segment
    expect(held.settle(1_050)).toEqual({ '0': { offset: 10, maxEventTime: 2_500 }, '1': { offset: 0, maxEventTime: 1_100 } })
    expect(held.settle(2_000)).toEqual({ '0': { offset: 10, maxEventTime: 2_500 } })
    expect(held.settle(Infinity)).toEqual({})
  })

  it('keeps order: a later segment that is done does not release an earlier one that is not', () => {
    const held = new HeldSegments()
    held.nextBatch()
    held.record(0, 0, 5_000)
    held.nextBatch()
    held.record(0, 8, 1_000) // out of order: older event times in a later batch
    expect(held.settle(2_000)).toEqual({ '0': { offset: 0, maxEventTime: 5_000 } })
  })

  it('a batch of dead letters only (no admitted event time) holds nothing', () => {
    const held = new HeldSegments()
    held.nextBatch()
    held.record(3, 7, -Infinity)
    expect(held.settle(0)).toEqual({})
  })

  it('restores what a checkpoint held and forgets partitions no longer owned', () => {
    const held = new HeldSegments()
    held.restore({ '0': { offset: 4, maxEventTime: 900 }, '1': { offset: 2, maxEventTime: 900 } })
    held.retain([1])
    expect(held.settle(500)).toEqual({ '1': { offset: 2, maxEventTime: 900 } })
    expect(held.settle(901)).toEqual({})
  })
})

describe('held segments: the last record of a batch', () => {
  it('is a segment of its own, so a far-ahead last record holds back only itself', () => {
    const held = new HeldSegments()
    held.nextBatch()
    held.record(0, 0, 1_000, { offset: 20, eventTime: 9_999_999 })
    expect(held.settle(5_000)).toEqual({ '0': { offset: 20, maxEventTime: 9_999_999 } })
    held.nextBatch()
    held.record(1, 5, -Infinity, { offset: 5, eventTime: 700 }) // a run of one record
    expect(held.settle(600)).toEqual({ '0': { offset: 20, maxEventTime: 9_999_999 }, '1': { offset: 5, maxEventTime: 700 } })
  })
})

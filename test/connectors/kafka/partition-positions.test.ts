import { describe, expect, it } from 'vitest'
import { PartitionPositions, startOffset } from '../../../connectors/kafka/partition-positions.ts'

const rec = (partition: number, offset: number) => ({ partition, offset: String(offset) })
const range = (partition: number, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => rec(partition, from + i))

/** Positions with `partitions` assigned and each started at `at` (as a start lookup would). */
function started(partitions: number[], at = 0): PartitionPositions {
  const positions = new PartitionPositions()
  positions.assign(partitions)
  for (const p of partitions) positions.started(p, at)
  return positions
}

describe('partition positions: deliveries', () => {
  it('records the next offset to hand out per partition, not what was fetched', () => {
    const positions = started([0, 1])
    positions.fetched(0, 0, 10, 9)
    positions.fetched(1, 0, 5, 4)
    expect(positions.checkpoint()).toEqual({ '0': '0', '1': '0' })
    positions.handedOut([...range(0, 0, 3), ...range(1, 0, 1), ...range(0, 4, 5)])
    expect(positions.checkpoint()).toEqual({ '0': '6', '1': '2' })
    positions.handedOut([])
    expect(positions.checkpoint()).toEqual({ '0': '6', '1': '2' })
  })

  it('fetching continues after the last queued record, or after a trailing transaction marker', () => {
    const positions = started([0], 5)
    expect(positions.fetchFrom(0)).toBe(5)
    positions.fetched(0, 5, 8, 7)
    expect(positions.fetchFrom(0)).toBe(8)
    positions.fetched(0, 8, 10, 10) // offset 10 is a commit marker
    expect(positions.fetchFrom(0)).toBe(11)
    positions.fetched(0, undefined, 11, 9) // a refetch of records already queued
    expect(positions.fetchFrom(0)).toBe(11)
    expect(positions.checkpoint()).toEqual({ '0': '5' })
  })

  it('takes the first queued offset as the position of a partition without one', () => {
    const positions = new PartitionPositions()
    positions.fetched(3, 12, 14, 13)
    expect(positions.checkpoint()).toEqual({ '3': '12' })
    positions.fetched(3, 14, 15, 14)
    expect(positions.checkpoint()).toEqual({ '3': '12' })
  })
})

describe('partition positions: checkpoints and commits', () => {
  it('a checkpoint before the first assignment carries the restored positions forward', () => {
    const positions = new PartitionPositions()
    expect(positions.checkpoint()).toEqual({})
    positions.restore({ '0': '40', '1': '7' })
    expect(positions.assigned).toBeNull()
    expect(positions.checkpoint()).toEqual({ '0': '40', '1': '7' })
  })

  it('after a checkpoint completes, commits its positions of the partitions still assigned', () => {
    const positions = started([0, 1, 2])
    positions.handedOut([...range(0, 0, 9), ...range(1, 0, 4)])
    const checkpointed = positions.checkpoint()
    expect(checkpointed).toEqual({ '0': '10', '1': '5', '2': '0' })
    positions.handedOut(range(0, 10, 19)) // delivered after the checkpoint: not committed with it
    expect(positions.commitOffsets(checkpointed)).toEqual(
      new Map([
        [0, 10],
        [1, 5],
        [2, 0],
      ]),
    )
    positions.assign([1, 2]) // 0 revoked before the checkpoint completed
    expect(positions.commitOffsets(checkpointed)).toEqual(
      new Map([
        [1, 5],
        [2, 0],
      ]),
    )
  })

  it('commits nothing for partitions that are not assigned', () => {
    expect(new PartitionPositions().commitOffsets({ '0': '10' })).toEqual(new Map())
    const positions = started([1])
    expect(positions.commitOffsets({ '0': '10', '3': '2' })).toEqual(new Map())
  })
})

describe('partition positions: assignment and revocation', () => {
  it('starts new partitions at the restored position, else asks for a start lookup and keeps them waiting', () => {
    const positions = new PartitionPositions()
    positions.restore({ '0': '40' })
    const a = positions.assign([2, 0, 1])
    expect(a).toEqual({ revoked: [], seeks: [{ partition: 0, offset: 40 }], lookUp: [2, 1] })
    expect(positions.assigned).toEqual([0, 1, 2])
    expect(positions.checkpoint()).toEqual({ '0': '40' })
    expect(positions.canQueue(0)).toBe(true)
    expect(positions.canQueue(1)).toBe(false)
    expect(positions.isAwaitingStart(1)).toBe(true)
    expect(positions.awaitingStart().sort()).toEqual([1, 2])
    expect(positions.ready()).toEqual([0])

    positions.started(1, 3)
    expect(positions.canQueue(1)).toBe(true)
    expect(positions.isAwaitingStart(1)).toBe(false)
    expect(positions.ready()).toEqual([0, 1])
    expect(positions.fetchFrom(1)).toBe(3)
    expect(positions.checkpoint()).toEqual({ '0': '40', '1': '3' })
  })

  it('a partition still waiting for its start is not looked up twice', () => {
    const positions = new PartitionPositions()
    expect(positions.assign([0]).lookUp).toEqual([0])
    expect(positions.assign([0, 1])).toEqual({ revoked: [], seeks: [], lookUp: [1] })
    expect(positions.awaitingStart().sort()).toEqual([0, 1])
  })

  it('kept partitions continue at the end of the queue; revoked ones are forgotten', () => {
    const positions = started([0, 1], 0)
    positions.fetched(0, 0, 100, 99)
    positions.fetched(1, 0, 50, 49)
    positions.handedOut([...range(0, 0, 9), ...range(1, 0, 9)])
    const next = positions.assign([1, 2])
    expect(next).toEqual({ revoked: [0], seeks: [{ partition: 1, offset: 50 }], lookUp: [2] })
    expect(positions.assigned).toEqual([1, 2])
    expect(positions.canQueue(0)).toBe(false)
    expect(positions.fetchFrom(0)).toBeUndefined()
    expect(positions.checkpoint()).toEqual({ '1': '10' })
    // given back later: it starts afresh (a start lookup), not where this member left it
    expect(positions.assign([0, 1, 2])).toEqual({ revoked: [], seeks: [{ partition: 1, offset: 50 }], lookUp: [0] })
  })

  it('a revoked partition that was waiting for its start no longer waits', () => {
    const positions = new PartitionPositions()
    positions.assign([0, 1])
    positions.started(1, 0)
    expect(positions.assign([1])).toEqual({ revoked: [0], seeks: [{ partition: 1, offset: 0 }], lookUp: [] })
    expect(positions.isAwaitingStart(0)).toBe(false)
    expect(positions.awaitingStart()).toEqual([])
  })

  it('nothing is queued for partitions that are not assigned', () => {
    const positions = new PartitionPositions()
    expect(positions.canQueue(0)).toBe(false)
    expect(positions.ready()).toEqual([])
    positions.assign([0])
    positions.started(0, 0)
    expect(positions.canQueue(0)).toBe(true)
    expect(positions.canQueue(1)).toBe(false)
  })
})

describe('partition positions: restore from a checkpoint', () => {
  it('uses each restored position the first time its partition is assigned, and only then', () => {
    const positions = new PartitionPositions()
    positions.restore({ '0': '40', '1': '7' })
    expect(positions.assign([0])).toEqual({ revoked: [], seeks: [{ partition: 0, offset: 40 }], lookUp: [] })
    // after the first assignment a checkpoint records the owned partitions only
    expect(positions.checkpoint()).toEqual({ '0': '40' })
    expect(positions.assign([0, 1])).toEqual({
      revoked: [],
      seeks: [
        { partition: 0, offset: 40 },
        { partition: 1, offset: 7 },
      ],
      lookUp: [],
    })
    positions.assign([1])
    expect(positions.assign([0, 1]).lookUp).toEqual([0])
  })

  it('a restored checkpoint, then deliveries, make the next checkpoint', () => {
    const before = started([0, 1], 0)
    before.fetched(0, 0, 20, 19)
    before.handedOut(range(0, 0, 11))
    const checkpoint = before.checkpoint()

    const after = new PartitionPositions()
    after.restore(checkpoint)
    expect(after.assign([0, 1])).toEqual({
      revoked: [],
      seeks: [
        { partition: 0, offset: 12 },
        { partition: 1, offset: 0 },
      ],
      lookUp: [],
    })
    expect(after.fetchFrom(0)).toBe(12)
    after.fetched(0, 12, 15, 14)
    after.handedOut(range(0, 12, 14))
    expect(after.checkpoint()).toEqual({ '0': '15', '1': '0' })
  })
})

describe('start offset of a partition without a checkpoint position', () => {
  const bounds = [
    { partition: 0, low: '3', high: '90' },
    { partition: 1, low: '0', high: '12' },
  ]
  const byTime = [{ partition: 0, offset: '55' }]

  it('is the group committed offset when there is one', () => {
    expect(startOffset(0, 'earliest', new Map([[0, 70]]), bounds, byTime)).toBe(70)
    expect(startOffset(0, { timestamp: 1 }, new Map([[0, 0]]), [], [])).toBe(0)
  })

  it('else the configured start', () => {
    const none = new Map<number, number>()
    expect(startOffset(0, 'earliest', none, bounds, byTime)).toBe(3)
    expect(startOffset(0, 'latest', none, bounds, byTime)).toBe(90)
    expect(startOffset(0, { timestamp: 1_700_000_000_000 }, none, bounds, byTime)).toBe(55)
    expect(startOffset(1, { timestamp: 1_700_000_000_000 }, none, bounds, byTime)).toBeNaN()
    expect(startOffset(2, 'earliest', none, bounds, byTime)).toBeNaN()
  })
})

describe('partition positions: what the group gets', () => {
  it('commits the checkpointed position, but never past a record whose effect is still held in a window', () => {
    const positions = started([0, 1, 2])
    const checkpointed = { '0': '40', '1': '30', '2': '12' }
    expect(positions.commitOffsets(checkpointed)).toEqual(
      new Map([
        [0, 40],
        [1, 30],
        [2, 12],
      ]),
    )
    // partition 0 holds records from 25 on, partition 1 from 30 (nothing before its position)
    expect(positions.commitOffsets(checkpointed, { '0': '25', '1': '30' })).toEqual(
      new Map([
        [0, 25],
        [1, 30],
        [2, 12],
      ]),
    )
    // a held offset past the position (cannot happen, but never moves the commit forward)
    expect(positions.commitOffsets(checkpointed, { '2': '20' }).get(2)).toBe(12)
  })

  it('commits nothing for partitions given up, held or not', () => {
    const positions = started([0, 1])
    positions.assign([1])
    expect(positions.commitOffsets({ '0': '9', '1': '4' }, { '0': '3', '1': '2' })).toEqual(new Map([[1, 2]]))
  })
})

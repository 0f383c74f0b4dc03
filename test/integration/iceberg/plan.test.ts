/**
 * The spec's delete rules in planning, on hand-made manifest entries: a position delete
 * applies to data files of a sequence number <= its own, an equality delete to those of
 * a sequence number < its own, both only within the same spec and partition unless the
 * delete's spec is unpartitioned; event-time pruning by partition (hour, day) and column
 * bounds; overlapping files grouped, in order of their lower time bound.
 */
import { describe, expect, it } from 'vitest'
import type { ContentFile } from '../../../connectors/iceberg/manifests.ts'
import type { PartitionSpecInfo } from '../../../connectors/iceberg/metadata.ts'
import { planScan } from '../../../connectors/iceberg/plan.ts'

const HOUR_US = 3_600_000_000n
const long = (v: bigint) => {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigInt64(0, v, true)
  return b
}

let ordinal = 0
function file(p: Partial<ContentFile> & Pick<ContentFile, 'path'>, min?: bigint, max?: bigint): ContentFile {
  return {
    content: 'data',
    format: 'parquet',
    specId: 0,
    partition: { ts_day: 0 },
    recordCount: 10,
    sequenceNumber: 1,
    lowerBounds: new Map(min === undefined ? [] : [[9, long(min)]]),
    upperBounds: new Map(max === undefined ? [] : [[9, long(max)]]),
    equalityIds: [],
    ordinal: ordinal++,
    ...p,
  }
}

const specs = new Map<number, PartitionSpecInfo>([
  [0, { id: 0, fields: [{ sourceId: 9, fieldId: 1000, name: 'ts_day', transform: 'day' }] }],
  [1, { id: 1, fields: [{ sourceId: 9, fieldId: 1001, name: 'ts_hour', transform: 'hour' }] }],
  [2, { id: 2, fields: [] }],
])

describe('Iceberg scan planning', () => {
  it('assigns deletes by sequence number, spec and partition', () => {
    const d = file({ path: 'd', sequenceNumber: 3 })
    const other = file({ path: 'other-day', sequenceNumber: 1, partition: { ts_day: 1 } })
    const hourly = file({ path: 'hourly', specId: 1, sequenceNumber: 1, partition: { ts_hour: 0 } })
    const posSame = file({ path: 'pos-same', content: 'position-deletes', sequenceNumber: 3 })
    const posOlder = file({ path: 'pos-older', content: 'position-deletes', sequenceNumber: 2 })
    const eqSame = file({ path: 'eq-same', content: 'equality-deletes', sequenceNumber: 3, equalityIds: [3] })
    const eqNewer = file({ path: 'eq-newer', content: 'equality-deletes', sequenceNumber: 4, equalityIds: [3] })
    const eqGlobal = file({ path: 'eq-global', content: 'equality-deletes', specId: 2, partition: {}, sequenceNumber: 5, equalityIds: [3] })
    const plan = planScan([d, other, hourly, posSame, posOlder, eqSame, eqNewer, eqGlobal], specs, { timeFieldId: null })
    const of = (path: string) => plan.groups.flatMap((g) => g.files).find((f) => f.file.path === path)!
    expect(of('d').positionDeletes.map((f) => f.path)).toEqual(['pos-same'])
    expect(of('d').equalityDeletes.map((f) => f.path)).toEqual(['eq-newer', 'eq-global'])
    // another partition of the same spec, and another spec: only the unpartitioned delete
    expect(of('other-day').equalityDeletes.map((f) => f.path)).toEqual(['eq-global'])
    expect(of('other-day').positionDeletes).toEqual([])
    expect(of('hourly').equalityDeletes.map((f) => f.path)).toEqual(['eq-global'])
    expect(plan.dataFiles).toBe(3)
    expect(plan.deleteFiles).toBe(5)
  })

  it('prunes by partition and column bounds, groups overlapping files in time order', () => {
    const day0 = file({ path: 'day0', partition: { ts_day: 0 } }, 0n, 20n * HOUR_US)
    const day1a = file({ path: 'day1a', partition: { ts_day: 1 } }, 25n * HOUR_US, 30n * HOUR_US)
    const day1b = file({ path: 'day1b', partition: { ts_day: 1 } }, 24n * HOUR_US, 26n * HOUR_US)
    const hour50 = file({ path: 'hour50', specId: 1, partition: { ts_hour: 50 } })
    const all = planScan([day0, day1a, day1b, hour50], specs, { timeFieldId: 9 })
    expect(all.groups.map((g) => g.files.map((f) => f.file.path))).toEqual([['day0'], ['day1b', 'day1a'], ['hour50']])
    const range = planScan([day0, day1a, day1b, hour50], specs, { timeFieldId: 9, fromUs: 24n * HOUR_US, toUs: 25n * HOUR_US })
    expect(range.groups.map((g) => g.files.map((f) => f.file.path))).toEqual([['day1b']])
    expect(range.prunedFiles).toBe(3)
    // partition alone prunes a file without bounds
    expect(planScan([hour50], specs, { timeFieldId: 9, toUs: 50n * HOUR_US }).prunedFiles).toBe(1)
    expect(planScan([hour50], specs, { timeFieldId: 9, toUs: 50n * HOUR_US + 1n }).prunedFiles).toBe(0)
  })
})

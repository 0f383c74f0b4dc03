// Type-level checks: `npm test` runs tsc first, so an unused @ts-expect-error (a typo
// that stopped being an error) fails the suite.
import { describe, expect, it } from 'vitest'
import { defineJob, type ValueFormat } from '../../graph/job-definition.ts'

interface Ev {
  accountId: string
  ts: number
}

const base = { topic: 't', value: { format: 'json' } as ValueFormat<Ev>, graph: { nodes: {}, edges: {} } }

describe('job definitions are typed end to end', () => {
  it('rejects misspelled fields at compile time', () => {
    const jobs = [
      defineJob({
        ...base,
        // @ts-expect-error: 'tss' is not a numeric field of the event
        eventTime: 'tss',
        toGraph: () => {},
      }),
      defineJob({
        ...base,
        eventTime: 'ts',
        // @ts-expect-error: 'acountId' does not exist on the event
        filter: (e) => e.acountId !== '',
        toGraph: () => {},
      }),
      defineJob({
        ...base,
        eventTime: 'ts',
        project: (e) => ({ id: e.accountId, ts: e.ts }),
        toGraph: (r, g) => {
          // @ts-expect-error: the projection has 'id', not 'accountId'
          g.node('account', r.accountId, {})
        },
      }),
      defineJob({
        ...base,
        eventTime: 'ts',
        // @ts-expect-error: 'acount' is not a field of the event
        project: ['acount', 'ts'],
        toGraph: () => {},
      }),
      defineJob({
        ...base,
        eventTime: 'ts',
        project: ['ts'],
        // @ts-expect-error: with a field-list projection the filter sees only those fields
        filter: (e) => e.accountId !== '',
        toGraph: () => {},
      }),
      defineJob({
        ...base,
        eventTime: 'ts',
        project: ['accountId', 'ts'],
        filter: (e) => e.accountId !== '',
        toGraph: (r, g) => {
          g.node('account', r.accountId, {})
        },
      }),
    ]
    expect(jobs).toHaveLength(6)
  })
})

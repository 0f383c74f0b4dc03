// Type-level checks: `npm test` runs tsc first, so an unused @ts-expect-error (a typo
// that stopped being an error) fails the suite.
import { describe, expect, it } from 'vitest'
import { avro, defineJob, json, type GraphBuilder, type JobDefinition, type TypedGraphBuilder } from '../../graph/job-definition.ts'
import { defineGraphSchema, type GraphSchema, type PropertiesOf } from '../../graph/schema.ts'

interface Ev {
  accountId: string
  deviceId: string
  ip: string
  country: string | null
  ts: number
}

const graph = defineGraphSchema({
  nodes: {
    account: { properties: {} },
    device: { properties: { deviceType: 'string', trusted: 'boolean?' } },
    ip: { properties: { country: 'string?' } },
  },
  edges: {
    logged_in_from: { from: 'account', to: 'device', direction: 'both', properties: { lastLogin: 'timestamp', attempts: 'number?' } },
    connected_via: { from: 'device', to: 'ip', direction: 'out', properties: {} },
  },
})

const base = { topic: 't', value: json<Ev>(), graph }

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
        // @ts-expect-error: 'accountId' is a field, but not a numeric one
        eventTime: 'accountId',
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
    expect(jobs).toHaveLength(7)
  })

  it('checks toGraph against the graph schema: types, properties, value types, endpoints', () => {
    const job = defineJob({
      ...base,
      eventTime: 'ts',
      toGraph: (e, g) => {
        // @ts-expect-error: 'acount' is not a node type of the schema
        g.node('acount', e.accountId, {})
        // @ts-expect-error: 'loged_in_from' is not an edge type of the schema
        g.edge('loged_in_from', { type: 'account', id: e.accountId }, { type: 'device', id: e.deviceId }, { lastLogin: e.ts })
        // @ts-expect-error: 'deviceTyp' is not a property of device
        g.node('device', e.deviceId, { deviceType: 'tv', deviceTyp: 'tv' })
        // @ts-expect-error: device requires deviceType
        g.node('device', e.deviceId, {})
        // @ts-expect-error: deviceType is a string, not a number
        g.node('device', e.deviceId, { deviceType: 42 })
        // @ts-expect-error: trusted is a boolean
        g.node('device', e.deviceId, { deviceType: 'tv', trusted: 'yes' })
        // @ts-expect-error: account declares no properties
        g.node('account', e.accountId, { plan: 'premium' })
        // @ts-expect-error: lastLogin is a timestamp (epoch ms), not a string
        g.edge('logged_in_from', { type: 'account', id: e.accountId }, { type: 'device', id: e.deviceId }, { lastLogin: String(e.ts) })
        // @ts-expect-error: logged_in_from goes from an account, not from a device
        g.edge('logged_in_from', { type: 'device', id: e.deviceId }, { type: 'device', id: e.deviceId }, { lastLogin: e.ts })
        // @ts-expect-error: connected_via goes to an ip, not to an account
        g.edge('connected_via', { type: 'device', id: e.deviceId }, { type: 'account', id: e.accountId }, {})
        const widened = { type: 'device', id: e.deviceId }
        // @ts-expect-error: a reference in a variable needs `as const` to keep its literal type
        g.edge('connected_via', widened, { type: 'ip', id: e.ip }, {})
      },
    })
    expect(job.graph).toBe(graph)
  })

  it('accepts what the schema allows: optional properties absent, undefined or null, refs as const, event time', () => {
    const job = defineJob({
      topic: 'logins',
      value: avro<Ev>({ type: 'record', name: 'Ev', fields: [] }),
      eventTime: 'ts',
      filter: (e) => e.accountId !== '',
      project: (e) => ({ accountId: e.accountId, deviceId: e.deviceId, ip: e.ip, country: e.country, ts: e.ts }),
      graph,
      toGraph: (e, g) => {
        const device = { type: 'device', id: e.deviceId } as const
        g.node('account', e.accountId, {})
        g.node('device', e.deviceId, { deviceType: 'tv' })
        g.node('device', e.deviceId, { deviceType: 'tv', trusted: true }, e.ts + 1)
        g.node('ip', e.ip, { country: e.country })
        g.node('ip', e.ip, {})
        g.edge('logged_in_from', { type: 'account', id: e.accountId }, device, { lastLogin: e.ts })
        g.edge('logged_in_from', { type: 'account', id: e.accountId }, device, { lastLogin: e.ts, attempts: 3 })
        g.edge('connected_via', device, { type: 'ip', id: e.ip }, {})
      },
    })
    // A typed job is still a JobDefinition, so runJob, compileJob and the registry take it.
    const plain: JobDefinition = job
    expect(plain.topic).toBe('logins')
  })

  it('infers the schema from an inline graph, and stays untyped for a plain GraphSchema', () => {
    const inline = defineJob({
      topic: 'clicks',
      value: json<{ user: string; page: string; ts: number }>(),
      eventTime: 'ts',
      graph: {
        nodes: { user: { properties: {} }, page: { properties: { title: 'string?' } } },
        edges: { visited: { from: 'user', to: 'page', direction: 'both', properties: { at: 'timestamp' } } },
      },
      toGraph: (e, g) => {
        g.edge('visited', { type: 'user', id: e.user }, { type: 'page', id: e.page }, { at: e.ts })
        // @ts-expect-error: inline schemas keep their literal types too
        g.edge('visited', { type: 'page', id: e.page }, { type: 'user', id: e.user }, { at: e.ts })
      },
    })
    const wide: GraphSchema = graph
    const untyped = defineJob({
      topic: 'any',
      value: json<Ev>(),
      eventTime: 'ts',
      graph: wide,
      toGraph: (e, g: GraphBuilder) => g.node('anything', e.accountId, { any: 1 }),
    })
    expect([inline.topic, untyped.topic]).toEqual(['clicks', 'any'])
  })

  it('the untyped runtime builder is assignable to the typed view', () => {
    const runtime: GraphBuilder = { node() {}, edge() {} }
    const view: TypedGraphBuilder<typeof graph> = runtime
    const props: PropertiesOf<typeof graph.nodes.device.properties> = { deviceType: 'phone' }
    view.node('device', 'd1', props)
    expect(props).toEqual({ deviceType: 'phone' })
  })
})

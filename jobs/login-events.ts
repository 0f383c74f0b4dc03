/**
 * login-events: an account signs in from a device and an IP address.
 * Successful logins yield account, device and ip nodes and the logged_in_from and
 * connected_via edges.
 */
import { defineGraphSchema } from '../graph/schema.ts'
import { avro, defineJob } from '../graph/job-definition.ts'

export interface LoginEvent {
  eventId: string
  accountId: string
  deviceId: string
  deviceType: string
  ip: string
  country: string
  success: boolean
  ts: number
  userAgent: string
}

export const loginSchema = {
  type: 'record',
  name: 'LoginEvent',
  namespace: 'rdg.events',
  fields: [
    { name: 'eventId', type: 'string' },
    { name: 'accountId', type: 'string' },
    { name: 'deviceId', type: 'string' },
    { name: 'deviceType', type: 'string' },
    { name: 'ip', type: 'string' },
    { name: 'country', type: 'string' },
    { name: 'success', type: 'boolean' },
    { name: 'ts', type: 'long' },
    { name: 'userAgent', type: 'string' },
  ],
}

export const loginGraph = defineGraphSchema({
  nodes: {
    account: { properties: {} },
    device: { properties: { deviceType: 'string' } },
    ip: { properties: { country: 'string' } },
  },
  edges: {
    logged_in_from: { from: 'account', to: 'device', direction: 'both', properties: { lastLogin: 'timestamp', country: 'string' } },
    connected_via: { from: 'device', to: 'ip', direction: 'both', properties: { lastSeen: 'timestamp' } },
  },
})

export default defineJob({
  topic: 'login-events',
  description: 'which devices and networks each account signs in from',
  value: avro<LoginEvent>(loginSchema),
  eventTime: 'ts',
  watermark: { maxOutOfOrdernessMs: 2_000, idleTimeoutMs: 10_000 },
  filter: (e) => e.success,
  project: (e) => ({ accountId: e.accountId, deviceId: e.deviceId, deviceType: e.deviceType, ip: e.ip, country: e.country, ts: e.ts }),
  graph: loginGraph,
  toGraph: (e, g) => {
    const device = { type: 'device', id: e.deviceId } as const
    g.node('account', e.accountId, {})
    g.node('device', e.deviceId, { deviceType: e.deviceType })
    g.node('ip', e.ip, { country: e.country })
    g.edge('logged_in_from', { type: 'account', id: e.accountId }, device, { lastLogin: e.ts, country: e.country })
    g.edge('connected_via', device, { type: 'ip', id: e.ip }, { lastSeen: e.ts })
  },
  dedup: { windowMs: 5_000 },
})

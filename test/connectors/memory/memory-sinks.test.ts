import { describe, expect, it } from 'vitest'
import { MemoryDeadLetterSink } from '../../../connectors/memory/dead-letter-sink.ts'
import { MemoryGraphSink } from '../../../connectors/memory/graph-sink.ts'
import type { GraphEdge, GraphNode } from '../../../graph/model.ts'

const node = (id: string, plan: string, eventTime: number): GraphNode => ({
  kind: 'node',
  type: 'account',
  id,
  properties: { plan },
  eventTime,
})
const edge = (dst: string, position: number, eventTime: number): GraphEdge => ({
  kind: 'edge',
  type: 'started_watching',
  src: { type: 'profile', id: 'p1' },
  dst: { type: 'title', id: dst },
  properties: { position },
  eventTime,
})

describe('MemoryGraphSink', () => {
  it('upserts by identity, the newest event time wins whatever the arrival order', () => {
    const sink = new MemoryGraphSink()
    sink.write(node('a1', 'basic', 10))
    sink.write(node('a1', 'premium', 30))
    sink.write(node('a1', 'standard', 20)) // late, older: ignored
    sink.write(edge('t1', 100, 5))
    sink.write(edge('t1', 50, 4))
    sink.write(edge('t2', 7, 4))
    expect(sink.node('account', 'a1')?.properties).toEqual({ plan: 'premium' })
    expect(sink.edgesFrom({ type: 'profile', id: 'p1' }, 'started_watching').map((e) => [e.dst.id, e.properties.position])).toEqual([
      ['t1', 100],
      ['t2', 7],
    ])
    expect(sink.edgesTo({ type: 'title', id: 't2' })).toHaveLength(1)
    expect(sink.size).toBe(3)
    expect(sink.stale).toBe(2)
    expect(sink.writes).toBe(6)
  })

  it('a replay of the same records leaves the same contents', () => {
    const records = [node('a1', 'basic', 10), edge('t1', 1, 11), node('a2', 'x', 3), node('a1', 'premium', 12), edge('t1', 2, 13)]
    const once = new MemoryGraphSink()
    for (const r of records) once.write(r)
    const replayed = new MemoryGraphSink()
    for (const r of records.slice(0, 3)) replayed.write(r)
    for (const r of records) replayed.write(r) // restore replays from an earlier position
    expect(replayed.toJSON()).toEqual(once.toJSON())
    expect(Object.keys(once.toJSON())).toEqual(['e|started_watching|profile|p1|title|t1', 'n|account|a1', 'n|account|a2'])
  })

  it('with a schema, passes primitives that do not fit to onReject', () => {
    const rejected: string[] = []
    const schema = { nodes: { account: { properties: { plan: 'string' as const } } }, edges: {} }
    const sink = new MemoryGraphSink({ schema, onReject: (l) => rejected.push(l.reason) })
    sink.write(node('a1', 'basic', 1))
    sink.write(edge('t1', 1, 1))
    expect(sink.size).toBe(1)
    expect(rejected).toEqual(['edge type "started_watching" is not in the graph schema'])
    expect(() => new MemoryGraphSink({ schema }).write(edge('t1', 1, 1))).toThrow('not in the graph schema')
  })
})

describe('MemoryDeadLetterSink', () => {
  it('counts letters per operator and keeps at most `keep` of them', async () => {
    const dlq = new MemoryDeadLetterSink({ keep: 2 })
    for (const operator of ['decode', 'decode', 'late', 'decode'])
      dlq.write({ reason: 'bad', operator, source: null, value: null, eventTime: null })
    await dlq.flush()
    expect(dlq.count).toBe(4)
    expect(dlq.letters).toHaveLength(2)
    expect(Object.fromEntries(dlq.byOperator)).toEqual({ decode: 3, late: 1 })
    expect(dlq.flushedCount).toBe(4)
  })
})

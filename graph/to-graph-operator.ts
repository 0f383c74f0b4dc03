/**
 * Maps one record to the graph primitives it implies (an action yields several nodes and
 * edges), through a reused GraphBuilder. A primitive's event time defaults to the
 * record's. Ids must be ids the store accepts (ids.ts); a record that builds a bad primitive goes to
 * the dead letters with nothing emitted (the flatMap operator's all-or-nothing rule).
 *
 * @example
 * const op = toGraphOperator(operatorId('to-graph'), (e: Login, g) => {
 *   g.node('account', e.accountId, {})
 *   g.edge('logged_in_from', { type: 'account', id: e.accountId }, { type: 'device', id: e.deviceId }, {})
 * })
 */
import type { GraphBuilder } from './job-definition.ts'
import type { StreamOperator } from '../engine/operator.ts'
import type { Collector } from '../engine/process-function.ts'
import type { OperatorId } from '../base/ids.ts'
import type { GraphPrimitive, NodeRef, Properties } from './model.ts'
import { flatMapOperator } from '../operators/flat-map.ts'
import { idProblem, ID_SUSPECT as SUSPECT, previewId } from './ids.ts'

/**
 * Throws unless `id` is an id the graph store accepts (idProblem in ids.ts: non-empty,
 * no control characters, well-formed Unicode, at most MAX_ID_BYTES); `what` and `type`
 * only make the message (built only on failure). The record then becomes a dead letter
 * with nothing of it emitted, instead of a primitive the store refuses later.
 */
export function checkId(what: 'node' | 'edge source' | 'edge destination', type: string, id: unknown): void {
  if (typeof id === 'string' && id.length > 0 && id.length < 1_365 && !SUSPECT.test(id)) return // the common case, one regex test
  const whose = what.startsWith('edge') ? `edge ${type}${what.slice(4)}` : `node ${type}`
  if (typeof id !== 'string' || id.length === 0) throw new Error(`${whose} id must be a non-empty string, got ${JSON.stringify(id)}`)
  const problem = idProblem(id)
  if (problem !== null) throw new Error(`${whose} id ${previewId(id)} ${problem}`)
}

export function toGraphOperator<R>(
  id: OperatorId,
  toGraph: (record: R, graph: GraphBuilder) => void,
  description = 'toGraph: record → nodes and edges',
): StreamOperator {
  let out: Collector<GraphPrimitive> | null = null
  let recordTs = 0
  const builder: GraphBuilder = {
    node(type: string, nodeId: string, properties: Properties, eventTime?: number) {
      checkId('node', type, nodeId)
      const ts = eventTime ?? recordTs
      out!.collect({ kind: 'node', type, id: nodeId, properties, eventTime: ts }, ts)
    },
    edge(type: string, src: NodeRef, dst: NodeRef, properties: Properties, eventTime?: number) {
      checkId('edge source', type, src.id)
      checkId('edge destination', type, dst.id)
      const ts = eventTime ?? recordTs
      out!.collect({ kind: 'edge', type, src, dst, properties, eventTime: ts }, ts)
    },
  }
  return flatMapOperator<R, GraphPrimitive>(
    id,
    (record, collector, timestamp) => {
      out = collector
      recordTs = timestamp
      toGraph(record, builder)
    },
    description,
  )
}

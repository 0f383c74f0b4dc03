/**
 * The GraphBuilder a chained toGraph writes into: one record's primitives in parallel
 * arrays reused from record to record (no object per primitive), which the dedup operator
 * merges into its batch once toGraph has returned without throwing.
 *
 * @example
 * const staged = new StagedPrimitives()
 * const graph = staged.builder()
 * staged.start(recordTime)
 * toGraph(record, graph) // then staged.kinds[0..staged.count), staged.ids[…], …
 * staged.release() // at the end of the batch
 */
import type { GraphBuilder } from '../job-definition.ts'
import type { NodeRef, Properties } from '../model.ts'
import { checkId } from '../to-graph-operator.ts'

/**
 * The primitives one record's toGraph emitted, in parallel arrays reused from record to
 * record (no object per primitive); merged into the batch once toGraph returns.
 */
export class StagedPrimitives {
  count = 0
  recordTime = 0
  readonly kinds: Array<'node' | 'edge'> = []
  readonly types: string[] = []
  readonly ids: string[] = []
  readonly srcs: Array<NodeRef | null> = []
  readonly dsts: Array<NodeRef | null> = []
  readonly properties: Properties[] = []
  readonly times: number[] = []

  start(recordTime: number): void {
    this.count = 0
    this.recordTime = recordTime
  }

  /** Drops the references to the last record's objects (at the end of a batch). */
  release(): void {
    for (let s = 0; s < this.srcs.length; s++) {
      this.srcs[s] = null
      this.dsts[s] = null
      this.properties[s] = EMPTY
    }
    this.count = 0
  }

  builder(): GraphBuilder {
    const stage = (
      kind: 'node' | 'edge',
      type: string,
      id: string,
      src: NodeRef | null,
      dst: NodeRef | null,
      properties: Properties,
      eventTime: number | undefined,
    ): void => {
      const s = this.count++
      this.kinds[s] = kind
      this.types[s] = type
      this.ids[s] = id
      this.srcs[s] = src
      this.dsts[s] = dst
      this.properties[s] = properties
      this.times[s] = eventTime ?? this.recordTime
    }
    return {
      node(type, nodeId, properties, eventTime) {
        checkId('node', type, nodeId)
        stage('node', type, nodeId, null, null, properties, eventTime)
      },
      edge(type, src, dst, properties, eventTime) {
        checkId('edge source', type, src.id)
        checkId('edge destination', type, dst.id)
        stage('edge', type, src.id, src, dst, properties, eventTime)
      },
    }
  }
}

const EMPTY: Properties = {}

/**
 * The job graph the runtime executes: plain data, a tree of operators with stable ids
 * fed by one source, whose kinds are a closed union. The DataStream API
 * (operators/datastream.ts) builds it; `describeGraph` flattens it for `rdg-job describe`.
 *
 * @example
 * for (const line of describeGraph(graph)) console.log('  '.repeat(line.depth) + line.id)
 */
import type { DeadLetter, Decoder, Sink, Source } from './connector.ts'
import type { StreamOperator } from './operator.ts'
import type { WatermarkSpec } from './watermarks.ts'

export interface SourceSpec<E> {
  readonly id: string
  readonly decode: Decoder<E>
  /** Event time of a decoded event, epoch ms; a non-finite result sends the record to the dead letters. */
  readonly eventTime: (event: E) => number
  /** Field name used in messages about a missing event time. */
  readonly eventTimeField?: string
  readonly watermark?: WatermarkSpec
}

/** A node of the job graph: one operator, what consumes its output, and what consumes its side outputs. */
export interface GraphVertex {
  readonly operator: StreamOperator
  readonly children: GraphVertex[]
  readonly sideChildren: Map<string, GraphVertex[]>
}

export interface JobGraph {
  readonly name: string
  readonly source: { readonly spec: SourceSpec<any>; readonly connector: Source<unknown> }
  /** Operators fed directly by the source. */
  readonly roots: GraphVertex[]
}

/** One line per operator, indented by depth: what `rdg-job describe` prints. */
export interface OperatorDescription {
  readonly id: string
  readonly kind: string
  readonly description: string
  readonly depth: number
  /** Set when this operator consumes a side output of its parent. */
  readonly sideOutput?: string
}

/** Flattens a job graph for printing. */
export function describeGraph(graph: JobGraph): OperatorDescription[] {
  const lines: OperatorDescription[] = [
    {
      id: graph.source.spec.id,
      kind: 'source',
      description: `source ${graph.source.connector.id}, event time ${graph.source.spec.eventTimeField ?? '(function)'}`,
      depth: 0,
    },
  ]
  const walk = (vertices: readonly GraphVertex[], depth: number, sideOutput?: string): void => {
    for (const v of vertices) {
      const op = v.operator
      let d = depth
      for (const c of op.chained ?? []) lines.push({ id: c.id, kind: c.kind, description: c.description, depth: d++ })
      const line: OperatorDescription = {
        id: op.id,
        kind: op.keyed ? `keyBy → ${op.kind}` : op.kind,
        description: op.description,
        depth: d,
      }
      lines.push(sideOutput ? { ...line, sideOutput } : line)
      walk(v.children, d + 1)
      for (const [tag, children] of v.sideChildren) walk(children, d + 1, tag)
    }
  }
  walk(graph.roots, 1)
  return lines
}

/** Where dead letters go is chosen at run time; this type names that sink. */
export type DeadLetterSink = Sink<DeadLetter>

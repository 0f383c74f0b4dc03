/**
 * The lower-level, DataStream-style API: build a job graph from a source with map,
 * filter, flatMap, keyBy + process, side outputs and sinks. `defineJob` compiles to
 * this (engine/compile-job.ts); jobs that need more than the declarative form use it
 * directly. The result is a `JobGraph`: plain data (a tree of operators with stable
 * ids, whose kinds are a closed union) that the runtime executes and the CLI prints.
 *
 * @example
 * const env = new StreamEnvironment('word-count')
 * env.fromSource(source, { id: 'lines', decode: (raw) => String(raw), eventTime: () => 0 })
 *   .flatMap((line: string, out) => line.split(' ').forEach((w) => out.collect(w)), 'split')
 *   .keyBy((w) => w)
 *   .process(counter, 'count')
 *   .sinkTo(sink, 'out')
 * const graph = env.build()
 */
import type { DeadLetter, Sink, Source } from './connector.ts'
import type { OutputTag } from './elements.ts'
import type { EnrichSpec, GraphBuilder, SideInputSpec, WatermarkSpec } from './job-definition.ts'
import type { StreamOperator } from './operator.ts'
import type { Collector, KeyedProcessFunction, StateDeclarations } from './process-function.ts'
import type { Decoder } from './run-options.ts'
import { operatorId, type OperatorId } from './types.ts'
import type { GraphPrimitive } from '../graph/model.ts'
import { filterOperator } from '../operators/filter.ts'
import { projectOperator } from '../operators/project.ts'
import { flatMapOperator } from '../operators/flat-map.ts'
import { enrichOperator } from '../operators/enrich.ts'
import { toGraphOperator } from '../operators/to-graph.ts'
import { keyedProcess, type KeySelector } from '../operators/process.ts'
import { dedupOperator, graphDedupOperator } from '../operators/dedup.ts'
import { sinkOperator } from '../operators/sink.ts'

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

export class StreamEnvironment {
  private graph: { source: JobGraph['source']; roots: GraphVertex[] } | null = null
  private readonly ids = new Set<string>()

  constructor(readonly name: string) {}

  fromSource<E>(connector: Source<unknown>, spec: SourceSpec<E>): DataStream<E> {
    if (this.graph) throw new Error(`job ${this.name} already has a source`)
    this.claim(spec.id)
    this.graph = { source: { spec, connector }, roots: [] }
    return new DataStream<E>(this, this.graph.roots)
  }

  /** @internal Reserves an operator id; ids must be unique and stable. */
  claim(id: string): OperatorId {
    if (!/^[a-z0-9][a-z0-9._-]*$/i.test(id)) throw new Error(`operator id "${id}" must be letters, digits, '.', '_' or '-'`)
    if (this.ids.has(id)) throw new Error(`operator id "${id}" is used twice in job ${this.name}`)
    this.ids.add(id)
    return operatorId(id)
  }

  build(): JobGraph {
    if (!this.graph) throw new Error(`job ${this.name} has no source`)
    return { name: this.name, source: this.graph.source, roots: this.graph.roots }
  }
}

export class DataStream<T> {
  /** @internal */
  constructor(
    protected readonly env: StreamEnvironment,
    /** Where operators appended to this stream attach. */
    protected readonly attach: GraphVertex[],
    private readonly vertex: GraphVertex | null = null,
  ) {}

  /** Appends a custom operator. */
  transform<O>(operator: StreamOperator): DataStream<O> {
    const vertex: GraphVertex = { operator, children: [], sideChildren: new Map() }
    this.attach.push(vertex)
    return new DataStream<O>(this.env, vertex.children, vertex)
  }

  filter(predicate: (value: T) => boolean, id: string, description?: string): DataStream<T> {
    return this.transform(filterOperator(this.env.claim(id), predicate, description))
  }

  map<O>(fn: (value: T) => O, id: string, description?: string): DataStream<O> {
    return this.transform(projectOperator(this.env.claim(id), fn, description))
  }

  flatMap<O>(fn: (value: T, out: Collector<O>) => void, id: string, description?: string): DataStream<O> {
    return this.transform(flatMapOperator(this.env.claim(id), fn, description))
  }

  enrich<R, S extends Record<string, SideInputSpec<any>>>(spec: EnrichSpec<T, R, S>, id: string): DataStream<R> {
    return this.transform(enrichOperator(this.env.claim(id), spec))
  }

  toGraph(fn: (record: T, graph: GraphBuilder) => void, id: string): DataStream<GraphPrimitive> {
    return this.transform(toGraphOperator(this.env.claim(id), fn))
  }

  /** The RDG dedup of graph primitives, keyed by identity (the keyBy is implied). */
  dedup(this: DataStream<GraphPrimitive>, windowMs: number, id: string): DataStream<GraphPrimitive> {
    return this.transform(dedupOperator(this.env.claim(id), windowMs))
  }

  /** `toGraph(fn, toGraphId).dedup(windowMs, dedupId)` as one chained operator (same ids, same output, less work). */
  toGraphDeduped(fn: (record: T, graph: GraphBuilder) => void, toGraphId: string, windowMs: number, dedupId: string): DataStream<GraphPrimitive> {
    return this.transform(graphDedupOperator(this.env.claim(toGraphId), fn, this.env.claim(dedupId), windowMs))
  }

  keyBy(selector: KeySelector<T>): KeyedStream<T> {
    return new KeyedStream<T>(this.env, this.attach, selector)
  }

  /** The records an operator sent to `tag` (its side output). */
  sideOutput<X>(tag: OutputTag<X>): DataStream<X> {
    if (!this.vertex) throw new Error('a source has no side outputs; use the dead-letter sink')
    let list = this.vertex.sideChildren.get(tag.id)
    if (!list) this.vertex.sideChildren.set(tag.id, (list = []))
    return new DataStream<X>(this.env, list)
  }

  sinkTo(sink: Sink<T>, id: string, description?: string): void {
    this.transform(sinkOperator(this.env.claim(id), sink, description))
  }
}

export class KeyedStream<T> {
  /** @internal */
  constructor(
    private readonly env: StreamEnvironment,
    private readonly attach: GraphVertex[],
    private readonly selector: KeySelector<T>,
  ) {}

  process<O, D extends StateDeclarations>(fn: KeyedProcessFunction<T, O, D>, id: string, description?: string): DataStream<O> {
    return new DataStream<T>(this.env, this.attach).transform<O>(keyedProcess(this.env.claim(id), this.selector, fn, description))
  }
}

/** Flattens a job graph for printing. */
export function describeGraph(graph: JobGraph): OperatorDescription[] {
  const lines: OperatorDescription[] = [{ id: graph.source.spec.id, kind: 'source', description: `source ${graph.source.connector.id}, event time ${graph.source.spec.eventTimeField ?? '(function)'}`, depth: 0 }]
  const walk = (vertices: readonly GraphVertex[], depth: number, sideOutput?: string): void => {
    for (const v of vertices) {
      const op = v.operator
      let d = depth
      for (const c of op.chained ?? []) lines.push({ id: c.id, kind: c.kind, description: c.description, depth: d++ })
      const line: OperatorDescription = { id: op.id, kind: op.keyed ? `keyBy → ${op.kind}` : op.kind, description: op.description, depth: d }
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

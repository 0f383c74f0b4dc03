/**
 * The lower-level, DataStream-style API: build a job graph from a source with map,
 * filter, flatMap, keyBy + process, side outputs and sinks. `defineJob` compiles to
 * this (graph/compile-job.ts), which adds the graph steps with \`transform\`; jobs that need more than the declarative form use it
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
import { operatorId, type OperatorId } from '../base/ids.ts'
import type { Sink, Source } from '../engine/connector.ts'
import type { OutputTag } from '../engine/elements.ts'
import type { GraphVertex, JobGraph, SourceSpec } from '../engine/job-graph.ts'
import type { StreamOperator } from '../engine/operator.ts'
import type { Collector, KeyedProcessFunction, StateDeclarations } from '../engine/process-function.ts'
import { enrichOperator } from './enrich.ts'
import { filterOperator } from './filter.ts'
import { flatMapOperator } from './flat-map.ts'
import { keyedProcess, type KeySelector } from './process.ts'
import { projectOperator } from './project.ts'
import type { EnrichSpec, SideInputSpec } from './side-input.ts'
import { sinkOperator } from './sink.ts'

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

  /** Reserves an operator id; ids must be unique and stable. Custom operators passed to `transform` claim theirs here. */
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

  /** The environment this stream belongs to (to claim ids for custom operators). */
  get environment(): StreamEnvironment {
    return this.env
  }

  /** Appends a custom operator; claim its id with `environment.claim(id)`. */
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

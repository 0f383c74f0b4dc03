/**
 * An in-memory graph sink for tests and benchmarks: upserts every primitive by its
 * identity with last-writer-wins by event time, like the KV stores do, so records
 * replayed after a restore leave exactly the same contents.
 *
 * @example
 * const graph = new MemoryGraphSink()
 * await runJob(job, { ..., graphSinks: [graph] }).done
 * graph.node('account', 'acct-00001')?.properties
 * graph.edgesFrom({ type: 'profile', id: 'acct-00001-p0' }, 'started_watching')
 *
 * With a `schema`, a primitive that does not fit is passed to `onReject` as a dead
 * letter instead (as the KV graph sink does), so tests see schema mistakes.
 */
import type { DeadLetter, Sink } from '../../engine/connector.ts'
import { operatorId, type OperatorId } from '../../base/ids.ts'
import { identityOf, type GraphEdge, type GraphNode, type GraphPrimitive, type NodeRef } from '../../graph/model.ts'
import type { GraphSchema } from '../../graph/schema.ts'
import { validatePrimitive } from '../../graph/validate.ts'

export interface MemoryGraphSinkOptions {
  readonly id?: string
  /** Validate writes against this schema; misfits go to `onReject`. */
  readonly schema?: GraphSchema
  /** Receives rejected primitives as dead letters. Default: throw (a test should not ignore them). */
  readonly onReject?: (letter: DeadLetter) => void
}

export class MemoryGraphSink implements Sink<GraphPrimitive> {
  readonly id: OperatorId
  readonly backpressured = false
  /** Primitives written, including ones an older event time lost to. */
  writes = 0
  /** Writes ignored because the stored primitive is newer. */
  stale = 0
  flushes = 0
  /** Writes the schema rejected. */
  rejected = 0
  private readonly byIdentity = new Map<string, GraphPrimitive>()

  constructor(private readonly options: MemoryGraphSinkOptions = {}) {
    this.id = operatorId(options.id ?? 'memory-graph')
  }

  async open(): Promise<void> {}

  /** Upsert; an equal event time replaces too, so the latest write of a tie wins. */
  write(value: GraphPrimitive): void {
    this.writes++
    if (this.options.schema) {
      const problem = validatePrimitive(this.options.schema, value)
      if (problem !== null) {
        this.rejected++
        const letter: DeadLetter = { reason: problem, operator: this.id, source: null, value, eventTime: value.eventTime }
        if (!this.options.onReject) throw new Error(`${this.id}: ${problem}`)
        this.options.onReject(letter)
        return
      }
    }
    const key = identityOf(value)
    const prev = this.byIdentity.get(key)
    if (prev !== undefined && prev.eventTime > value.eventTime) {
      this.stale++
      return
    }
    this.byIdentity.set(key, value)
  }

  async drain(): Promise<void> {}

  async flush(): Promise<void> {
    this.flushes++
  }

  async close(): Promise<void> {}

  /** Distinct nodes and edges held. */
  get size(): number {
    return this.byIdentity.size
  }

  /** The primitive stored under an identity (see `identityOf`). */
  get(identity: string): GraphPrimitive | undefined {
    return this.byIdentity.get(identity)
  }

  node(type: string, id: string): GraphNode | undefined {
    return this.byIdentity.get(`n|${type}|${id}`) as GraphNode | undefined
  }

  nodes(type?: string): GraphNode[] {
    const out: GraphNode[] = []
    for (const p of this.byIdentity.values()) if (p.kind === 'node' && (type === undefined || p.type === type)) out.push(p)
    return out
  }

  edges(type?: string): GraphEdge[] {
    const out: GraphEdge[] = []
    for (const p of this.byIdentity.values()) if (p.kind === 'edge' && (type === undefined || p.type === type)) out.push(p)
    return out
  }

  /** Outgoing edges of a node, optionally of one type. */
  edgesFrom(src: NodeRef, type?: string): GraphEdge[] {
    return this.edges(type).filter((e) => e.src.type === src.type && e.src.id === src.id)
  }

  /** Incoming edges of a node, optionally of one type. */
  edgesTo(dst: NodeRef, type?: string): GraphEdge[] {
    return this.edges(type).filter((e) => e.dst.type === dst.type && e.dst.id === dst.id)
  }

  /** Everything held, sorted by identity: a stable value to compare with a golden file. */
  toJSON(): Record<string, GraphPrimitive> {
    const out: Record<string, GraphPrimitive> = {}
    for (const key of [...this.byIdentity.keys()].sort()) out[key] = this.byIdentity.get(key)!
    return out
  }
}

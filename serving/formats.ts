/**
 * A node's neighbourhood as text a person can look at: Graphviz DOT or a Mermaid
 * flowchart, from the steps of a traversal (one step: a node's neighbours). Nodes are
 * labelled `type id`, edges with their type; ids are quoted and escaped, never trusted.
 *
 * @example
 * const steps = await g.traverse(start, [{ edge: 'started_watching' }])
 * console.log(toDot(start, steps))      // dot -Tsvg > n.svg
 * console.log(toMermaid(start, steps))  // paste into a Markdown ```mermaid block
 */
import type { NodeRef } from '../graph/model.ts'
import type { TraversalStep } from '../store/graph-query.ts'

interface Drawn {
  readonly nodes: Map<string, NodeRef>
  readonly edges: Array<{ from: string; to: string; label: string }>
}

const keyOf = (r: NodeRef) => `${r.type}:${r.id}`

function collect(start: NodeRef, steps: readonly TraversalStep[]): Drawn {
  const nodes = new Map<string, NodeRef>([[keyOf(start), start]])
  const seen = new Set<string>()
  const edges: Drawn['edges'] = []
  for (const s of steps) {
    for (const r of s.reached) {
      nodes.set(keyOf(r.from), r.from)
      nodes.set(keyOf(r.node), r.node)
      // the drawing follows the edge's own direction: an `in` hop reached the edge's source
      const [from, to] = s.hop.direction === 'in' ? [keyOf(r.node), keyOf(r.from)] : [keyOf(r.from), keyOf(r.node)]
      const id = `${from}\u0000${to}\u0000${s.hop.edge}`
      if (seen.has(id)) continue
      seen.add(id)
      edges.push({ from, to, label: s.hop.edge })
    }
  }
  return { nodes, edges }
}

const dotString = (s: string) =>
  `"${s
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/[\r\n]/g, ' ')}"`

/** Graphviz DOT of the start node and what the steps reached. */
export function toDot(start: NodeRef, steps: readonly TraversalStep[]): string {
  const g = collect(start, steps)
  const lines = ['digraph rdg {', '  rankdir=LR;', '  node [shape=box, style=rounded];']
  for (const [k, n] of g.nodes)
    lines.push(`  ${dotString(k)} [label=${dotString(`${n.type} ${n.id}`)}${k === keyOf(start) ? ', style="rounded,bold"' : ''}];`)
  for (const e of g.edges) lines.push(`  ${dotString(e.from)} -> ${dotString(e.to)} [label=${dotString(e.label)}];`)
  lines.push('}')
  return lines.join('\n') + '\n'
}

/** Mermaid needs plain node ids: n0, n1, … with the real names in quoted labels. */
const mermaidLabel = (s: string) =>
  `"${s
    .replace(/"/g, '#quot;')
    .replace(/[\r\n]/g, ' ')
    .replace(/[<>]/g, (c) => (c === '<' ? '#lt;' : '#gt;'))}"`

/** A Mermaid flowchart of the start node and what the steps reached. */
export function toMermaid(start: NodeRef, steps: readonly TraversalStep[]): string {
  const g = collect(start, steps)
  const ids = new Map<string, string>()
  const lines = ['flowchart LR']
  for (const [k, n] of g.nodes) {
    const id = `n${ids.size}`
    ids.set(k, id)
    lines.push(`  ${id}[${mermaidLabel(`${n.type} ${n.id}`)}]`)
  }
  for (const e of g.edges) lines.push(`  ${ids.get(e.from)!} -->|${mermaidLabel(e.label)}| ${ids.get(e.to)!}`)
  lines.push(`  style ${ids.get(keyOf(start))!} stroke-width:3px`)
  return lines.join('\n') + '\n'
}

/** The drawing in `format`, with its content type. */
export function drawing(format: 'dot' | 'mermaid', start: NodeRef, steps: readonly TraversalStep[]): { body: string; contentType: string } {
  return format === 'dot'
    ? { body: toDot(start, steps), contentType: 'text/vnd.graphviz; charset=utf-8' }
    : { body: toMermaid(start, steps), contentType: 'text/plain; charset=utf-8' }
}

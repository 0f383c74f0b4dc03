/**
 * DOT and Mermaid drawings: edges in their own direction (an `in` hop is drawn
 * source → destination), quoted and escaped labels, the start node marked.
 */
import { describe, expect, it } from 'vitest'
import { toDot, toMermaid } from '../../serving/formats.ts'
import type { TraversalStep } from '../../store/graph-query.ts'

const start = { type: 'title', id: 't"1' }
const steps: TraversalStep[] = [
  {
    hop: { edge: 'started_watching', direction: 'in' },
    reached: [{ from: start, node: { type: 'profile', id: 'p<1>' }, properties: {}, eventTime: 1 }],
  },
]

describe('drawings', () => {
  it('DOT draws the edge from its source and escapes quotes', () => {
    const dot = toDot(start, steps)
    expect(dot).toContain('"profile:p<1>" -> "title:t\\"1" [label="started_watching"];')
    expect(dot).toContain('"title:t\\"1" [label="title t\\"1", style="rounded,bold"];')
  })

  it('Mermaid uses plain ids and escaped labels', () => {
    const m = toMermaid(start, steps)
    expect(m).toBe(
      [
        'flowchart LR',
        '  n0["title t#quot;1"]',
        '  n1["profile p#lt;1#gt;"]',
        '  n1 -->|"started_watching"| n0',
        '  style n0 stroke-width:3px',
        '',
      ].join('\n'),
    )
  })
})

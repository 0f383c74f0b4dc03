/**
 * `rdg-job query`: read the graph — a node, the neighbours of a node over one edge
 * type, or a multi-hop traversal — from the embedded graph store.
 */
import type { Argv, CommandModule } from 'yargs'
import { ConfigError } from '../../engine/errors.ts'
import { mergeGraphSchemas } from '../../graph/schema.ts'
import { GraphReader, type Hop } from '../../graph/query.ts'
import { builtInJobs } from '../../jobs/registry.ts'
import { RocksDbKvStore } from '../../kv/rocksdb-store.ts'
import { formatTime } from '../output.ts'

interface QueryArgs {
  type: string
  id: string
  edge?: string
  in?: boolean
  limit: number
  order: 'latest' | 'any'
  hop?: string[]
  json: boolean
  store: string
}

const schema = () => mergeGraphSchemas(...[...builtInJobs.values()].map((j) => j.graph))

async function withReader<T>(store: string, fn: (reader: GraphReader) => Promise<T>): Promise<T> {
  const kv = await RocksDbKvStore.open(store)
  try {
    return await fn(new GraphReader(kv, schema()))
  } finally {
    await kv.close()
  }
}

/** `edgeType[:in][:limit]` */
export function parseHop(spec: string): Hop {
  const [edge, ...rest] = spec.split(':')
  if (!edge) throw new ConfigError(`bad --hop "${spec}"`, 'use edgeType[:in][:limit], e.g. --hop has_profile --hop started_watching:5')
  let direction: 'out' | 'in' = 'out'
  let limit: number | undefined
  for (const part of rest) {
    if (part === 'in' || part === 'out') direction = part
    else if (/^\d+$/.test(part)) limit = Number(part)
    else throw new ConfigError(`bad --hop "${spec}"`, 'use edgeType[:in][:limit]')
  }
  return { edge, direction, ...(limit !== undefined ? { limit } : {}) }
}

function checkEdge(edge: string): void {
  if (!schema().edges[edge]) throw new ConfigError(`unknown edge type "${edge}"`, `known: ${Object.keys(schema().edges).join(', ')}`)
}

const common = (y: Argv) =>
  y
    .positional('type', { type: 'string', demandOption: true, describe: 'node type, e.g. account' })
    .positional('id', { type: 'string', demandOption: true, describe: 'node id' })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
    .option('store', { type: 'string', default: '.rdg/graph', describe: 'embedded graph store directory' })

export const queryCommand: CommandModule = {
  command: 'query',
  describe: 'Read the graph: a node, its neighbours, or a traversal',
  builder: (y) =>
    y
      .command<QueryArgs>({
        command: 'node <type> <id>',
        describe: 'Print a node and its properties',
        builder: (q) => common(q) as never,
        handler: async (a) => {
          const node = await withReader(a.store, (r) => r.node({ type: a.type, id: a.id }))
          if (a.json) return console.log(JSON.stringify(node))
          if (!node) return console.log(`no ${a.type} ${a.id}`)
          console.log(`${a.type} ${a.id} (updated ${formatTime(node.eventTime)}) ${JSON.stringify(node.properties)}`)
        },
      })
      .command<QueryArgs>({
        command: 'neighbors <type> <id> <edge>',
        describe: 'Neighbours of a node over one edge type',
        builder: (q) =>
          common(q)
            .positional('edge', { type: 'string', demandOption: true })
            .option('in', { type: 'boolean', default: false, describe: 'follow the edge backwards' })
            .option('limit', { type: 'number', default: 200 })
            .option('order', { choices: ['latest', 'any'] as const, default: 'latest' as const }) as never,
        handler: async (a) => {
          checkEdge(a.edge!)
          const list = await withReader(a.store, (r) => r.neighbors({ type: a.type, id: a.id }, a.edge!, { direction: a.in ? 'in' : 'out', limit: a.limit, order: a.order }))
          if (a.json) return console.log(JSON.stringify(list))
          for (const n of list) console.log(`${n.node.type} ${n.node.id}  ${formatTime(n.eventTime)}  ${JSON.stringify(n.properties)}`)
          if (list.length === 0) console.log('(none)')
        },
      })
      .command<QueryArgs>({
        command: 'traverse <type> <id>',
        describe: 'Breadth-first traversal, one --hop edgeType[:in][:limit] per hop',
        builder: (q) => common(q).option('hop', { type: 'string', array: true, demandOption: true }) as never,
        handler: async (a) => {
          const hops = (a.hop ?? []).map(parseHop)
          hops.forEach((h) => checkEdge(h.edge))
          const steps = await withReader(a.store, (r) => r.traverse({ type: a.type, id: a.id }, hops))
          if (a.json) return console.log(JSON.stringify(steps))
          steps.forEach((s, i) => {
            console.log(`hop ${i + 1}: ${s.hop.edge}${s.hop.direction === 'in' ? ' (in)' : ''} → ${s.reached.length} nodes`)
            for (const r of s.reached.slice(0, 20)) console.log(`  ${r.from.id} → ${r.node.type} ${r.node.id}`)
          })
        },
      })
      .demandCommand(1, 'say what to query: node, neighbors or traverse'),
  handler: () => {},
}

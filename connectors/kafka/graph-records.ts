/**
 * How graph primitives look on Kafka: one topic per node type and per edge type, Avro
 * records keyed by the primitive's identity, so a topic can be compacted to the latest
 * value per node or edge. Property values are a union of null, boolean, double and
 * string (the graph model's PropertyValue).
 *
 * @example
 * nodeTopic('rdg', 'account')      // 'rdg.node.account'
 * edgeTopic('rdg', 'has_profile')  // 'rdg.edge.has_profile'
 */
import type { GraphSchema } from '../../graph/schema.ts'

const properties = { type: 'map', values: ['null', 'boolean', 'double', 'string'] }

/** Value schema of `<prefix>.node.<type>` topics. */
export const graphNodeSchema = {
  type: 'record',
  name: 'GraphNode',
  namespace: 'rdg.graph',
  fields: [
    { name: 'type', type: 'string' },
    { name: 'id', type: 'string' },
    { name: 'properties', type: properties },
    { name: 'eventTime', type: 'long' },
  ],
}

/** Value schema of `<prefix>.edge.<type>` topics. */
export const graphEdgeSchema = {
  type: 'record',
  name: 'GraphEdge',
  namespace: 'rdg.graph',
  fields: [
    { name: 'type', type: 'string' },
    {
      name: 'src',
      type: {
        type: 'record',
        name: 'NodeRef',
        fields: [
          { name: 'type', type: 'string' },
          { name: 'id', type: 'string' },
        ],
      },
    },
    { name: 'dst', type: 'NodeRef' },
    { name: 'properties', type: properties },
    { name: 'eventTime', type: 'long' },
  ],
}

export function nodeTopic(prefix: string, type: string): string {
  return `${prefix}.node.${type}`
}

export function edgeTopic(prefix: string, type: string): string {
  return `${prefix}.edge.${type}`
}

/** Every topic a graph schema's primitives go to. */
export function graphTopics(prefix: string, graph: GraphSchema): { nodes: Map<string, string>; edges: Map<string, string> } {
  return {
    nodes: new Map(Object.keys(graph.nodes).map((t) => [t, nodeTopic(prefix, t)])),
    edges: new Map(Object.keys(graph.edges).map((t) => [t, edgeTopic(prefix, t)])),
  }
}

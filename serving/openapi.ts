/**
 * The OpenAPI 3.1 document of the query service, with the graph schema's node and edge
 * types as enums and the service limits as maxima, so a client sees what it may ask.
 *
 * @example
 * http.route('GET', '/openapi.json', () => ({ body: openApiDocument(schema, limits) }))
 */
import type { GraphSchema } from '../graph/schema.ts'
import type { ServingLimits } from './limits.ts'

export function openApiDocument(schema: GraphSchema, limits: ServingLimits): Record<string, unknown> {
  const nodeTypes = Object.keys(schema.nodes)
  const edgeTypes = Object.keys(schema.edges)
  const error = {
    description: 'a mistake in the request',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  }
  const unavailable = {
    description: 'the graph store is unavailable for now, or the request ran out of its time budget',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  }
  const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } })
  const drawings = {
    'text/vnd.graphviz': { schema: { type: 'string' } },
    'text/plain': { schema: { type: 'string', description: 'Mermaid flowchart' } },
  }
  const p = (
    name: string,
    where: 'path' | 'query',
    schemaOf: Record<string, unknown>,
    description: string,
    required = where === 'path',
  ) => ({ name, in: where, required, description, schema: schemaOf })
  const hop = {
    type: 'object',
    required: ['edge'],
    additionalProperties: false,
    properties: {
      edge: { type: 'string', enum: edgeTypes },
      direction: { type: 'string', enum: ['out', 'in'], default: 'out' },
      limit: { type: 'integer', minimum: 1, maximum: limits.maxEdgesPerNode, default: 100, description: 'edges per node' },
      lookback: {
        oneOf: [
          { type: 'integer', minimum: 0 },
          { type: 'string', pattern: '^\\d+(\\.\\d+)?(ms|s|m|h|d|w)?$' },
        ],
        description: "only edges whose event time is within this before now (ms, or '7d')",
      },
      order: { type: 'string', enum: ['latest', 'any'], default: 'latest' },
      prefix: { type: 'string', description: 'only neighbours whose id starts with this' },
      select: { type: 'array', items: { type: 'string' }, description: 'edge properties to return' },
    },
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'rdg graph query service',
      version: '1',
      description:
        `Reads the real-time graph while jobs write it. Limits: ${limits.maxHops} hops, ${limits.maxEdgesPerNode} edges per node, ` +
        `${limits.maxEdgesPerHop} edges per hop, ${limits.maxBatchNodes} nodes per batch, ${limits.maxBodyBytes} body bytes, ${limits.timeBudgetMs} ms per request.`,
    },
    paths: {
      '/v1/nodes/{type}/{id}': {
        get: {
          summary: 'A node and its properties',
          parameters: [
            p('type', 'path', { type: 'string', enum: nodeTypes }, 'node type'),
            p('id', 'path', { type: 'string' }, 'node id'),
            p('select', 'query', { type: 'string' }, 'properties to return, comma-separated'),
          ],
          responses: { 200: { description: 'the node', content: json('Node') }, 400: error, 404: error, 503: unavailable },
        },
      },
      '/v1/nodes:batch': {
        post: {
          summary: 'Several nodes in one request (null where a node is not stored)',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['nodes'],
                  properties: {
                    nodes: { type: 'array', maxItems: limits.maxBatchNodes, items: { $ref: '#/components/schemas/NodeRef' } },
                    select: { type: 'array', items: { type: 'string' } },
                  },
                },
              },
            },
          },
          responses: {
            200: {
              description: 'the nodes in request order',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: { nodes: { type: 'array', items: { oneOf: [{ $ref: '#/components/schemas/Node' }, { type: 'null' }] } } },
                  },
                },
              },
            },
            400: error,
            503: unavailable,
          },
        },
      },
      '/v1/nodes/{type}/{id}/edges/{edgeType}': {
        get: {
          summary: 'One page of the neighbours of a node over an edge type',
          parameters: [
            p('type', 'path', { type: 'string', enum: nodeTypes }, 'node type'),
            p('id', 'path', { type: 'string' }, 'node id'),
            p('edgeType', 'path', { type: 'string', enum: edgeTypes }, 'edge type'),
            p(
              'direction',
              'query',
              { type: 'string', enum: ['out', 'in'], default: 'out' },
              'in: follow the edge backwards (edge types kept both ways)',
            ),
            p('limit', 'query', { type: 'integer', minimum: 1, maximum: limits.maxEdgesPerNode, default: 100 }, 'neighbours per page'),
            p('order', 'query', { type: 'string', enum: ['latest', 'any'], default: 'latest' }, 'newest first, or key order (cheaper)'),
            p('lookback', 'query', { type: 'string' }, "only edges newer than this (ms, or '7d', '12h')"),
            p('prefix', 'query', { type: 'string' }, 'only neighbours whose id starts with this'),
            p('page', 'query', { type: 'string' }, 'the `next` of the previous page'),
            p('select', 'query', { type: 'string' }, 'edge properties to return, comma-separated'),
            p('format', 'query', { type: 'string', enum: ['json', 'dot', 'mermaid'], default: 'json' }, 'a drawing instead of JSON'),
          ],
          responses: {
            200: { description: 'a page of neighbours', content: { ...json('NeighborPage'), ...drawings } },
            400: error,
            503: unavailable,
          },
        },
      },
      '/v1/traverse': {
        post: {
          summary: 'Breadth-first traversal from a start node, one batch of lookups per hop',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['start', 'hops'],
                  additionalProperties: false,
                  properties: {
                    start: { $ref: '#/components/schemas/NodeRef' },
                    hops: { type: 'array', minItems: 1, maxItems: limits.maxHops, items: hop },
                    excludeVisited: {
                      type: 'boolean',
                      default: false,
                      description: 'leave out nodes reached by an earlier hop (and the start)',
                    },
                    select: {
                      oneOf: [{ type: 'boolean' }, { type: 'array', items: { type: 'string' } }],
                      description: 'properties of the reached nodes (true: all)',
                    },
                    format: { type: 'string', enum: ['json', 'dot', 'mermaid'], default: 'json' },
                  },
                },
              },
            },
          },
          responses: {
            200: { description: 'what each hop reached', content: { 'application/json': { schema: { type: 'object' } }, ...drawings } },
            400: error,
            413: error,
            503: unavailable,
          },
        },
      },
      '/v1/schema': {
        get: {
          summary: 'The graph schema',
          responses: { 200: { description: 'node and edge types', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
      '/healthz': { get: { summary: 'Liveness: the service answers and its store is open', responses: { 200: { description: 'ok' } } } },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          responses: { 200: { description: 'text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
    },
    components: {
      schemas: {
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' }, hint: { type: 'string' } } },
        NodeRef: {
          type: 'object',
          required: ['type', 'id'],
          properties: { type: { type: 'string', enum: nodeTypes }, id: { type: 'string', minLength: 1 } },
        },
        Node: {
          type: 'object',
          properties: { type: { type: 'string' }, id: { type: 'string' }, properties: { type: 'object' }, eventTime: { type: 'number' } },
        },
        NeighborPage: {
          type: 'object',
          properties: {
            node: { $ref: '#/components/schemas/NodeRef' },
            edge: { type: 'string' },
            direction: { type: 'string' },
            neighbors: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  node: { $ref: '#/components/schemas/NodeRef' },
                  properties: { type: 'object' },
                  eventTime: { type: 'number' },
                },
              },
            },
            next: { type: ['string', 'null'] },
          },
        },
      },
    },
  }
}

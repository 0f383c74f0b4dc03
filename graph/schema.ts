/**
 * Declared shape of a graph: node types and edge mappings with typed properties.
 * Jobs declare the part they produce; the KV layer validates writes against it and
 * keeps a reverse adjacency list for two-directional edge types.
 *
 * @example
 * const schema = defineGraphSchema({
 *   nodes: { account: { properties: { plan: 'string?' } }, profile: { properties: {} } },
 *   edges: { has_profile: { from: 'account', to: 'profile', direction: 'both', properties: {} } },
 * })
 */

/** Property type; a trailing `?` makes the property optional. */
export type PropertyType = 'string' | 'number' | 'boolean' | 'timestamp' | 'string?' | 'number?' | 'boolean?' | 'timestamp?'

export interface NodeTypeDecl {
  readonly properties: Readonly<Record<string, PropertyType>>
  readonly description?: string
}

interface EdgeTypeBase {
  readonly from: string
  readonly to: string
  readonly properties: Readonly<Record<string, PropertyType>>
  readonly description?: string
}

/**
 * `direction`: 'out' keeps only source → destinations; 'both' also keeps destination →
 * sources. `latestIndex`: keep a newest-first index of these adjacency lists ('in' and
 * 'both' need direction 'both'), so LATEST reads of wide nodes (a title's viewers) read a
 * page, not the whole list; each edge write then writes one more item per indexed direction.
 */
export type EdgeTypeDecl = EdgeTypeBase &
  (
    | { readonly direction: 'out'; readonly latestIndex?: 'out' }
    | { readonly direction: 'both'; readonly latestIndex?: 'out' | 'in' | 'both' }
  )

/** The directions of an edge type whose adjacency lists keep the newest-first index. */
export function indexedDirections(decl: EdgeTypeDecl): ReadonlyArray<'out' | 'in'> {
  switch (decl.latestIndex) {
    case 'out':
      return ['out']
    case 'in':
      return ['in']
    case 'both':
      return ['out', 'in']
    default:
      return []
  }
}

export interface GraphSchema {
  readonly nodes: Readonly<Record<string, NodeTypeDecl>>
  readonly edges: Readonly<Record<string, EdgeTypeDecl>>
}

/** Identity helper that keeps literal types (type names, `from`/`to`, property types) and checks the shape. */
export function defineGraphSchema<const S extends GraphSchema>(schema: S): S {
  return schema
}

/** The TypeScript type of a value of a property type: 'timestamp' is epoch milliseconds. */
export type PropertyValueOf<T extends PropertyType> = T extends 'string' | 'string?'
  ? string
  : T extends 'boolean' | 'boolean?'
    ? boolean
    : number

type OptionalKeys<D> = { [K in keyof D]-?: D[K] extends `${string}?` ? K : never }[keyof D]
type RequiredKeys<D> = Exclude<keyof D, OptionalKeys<D>>

/**
 * The properties object a declaration asks for: required ones of their type, `?` ones
 * optional (absent, undefined or null). No declared properties means none may be given.
 */
export type PropertiesOf<D extends Readonly<Record<string, PropertyType>>> = keyof D extends never
  ? { readonly [name: string]: never }
  : { readonly [K in RequiredKeys<D>]: PropertyValueOf<D[K]> } & { readonly [K in OptionalKeys<D>]?: PropertyValueOf<D[K]> | null }

/** Node type names of a schema. */
export type NodeTypeOf<S extends GraphSchema> = keyof S['nodes'] & string
/** Edge type names of a schema. */
export type EdgeTypeOf<S extends GraphSchema> = keyof S['edges'] & string

/** Union of several schemas (e.g. of all jobs); a type declared twice must be declared the same way. */
export function mergeGraphSchemas(...schemas: readonly GraphSchema[]): GraphSchema {
  const nodes: Record<string, NodeTypeDecl> = {}
  const edges: Record<string, EdgeTypeDecl> = {}
  for (const s of schemas) {
    for (const [name, decl] of Object.entries(s.nodes)) {
      const prev = nodes[name]
      if (prev && JSON.stringify(prev) !== JSON.stringify(decl))
        throw new Error(`node type "${name}" is declared twice with different properties`)
      nodes[name] = decl
    }
    for (const [name, decl] of Object.entries(s.edges)) {
      const prev = edges[name]
      if (prev && JSON.stringify(prev) !== JSON.stringify(decl)) throw new Error(`edge type "${name}" is declared twice differently`)
      edges[name] = decl
    }
  }
  return { nodes, edges }
}

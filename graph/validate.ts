/**
 * Checks a primitive against the graph schema: known type, right endpoint types for an
 * edge, declared properties of the declared types. Returns the reason it does not fit,
 * or null.
 *
 * @example
 * validatePrimitive(schema, node) // null, or 'node type "acount" is not in the graph schema'
 */
import type { GraphPrimitive, PropertyValue } from './model.ts'
import type { GraphSchema, PropertyType } from './schema.ts'

function checkProperties(where: string, declared: Readonly<Record<string, PropertyType>>, props: Readonly<Record<string, PropertyValue>>): string | null {
  for (const [name, type] of Object.entries(declared)) {
    const optional = type.endsWith('?')
    const base = optional ? type.slice(0, -1) : type
    const v = props[name]
    if (v === undefined || v === null) {
      if (!optional) return `${where}: property "${name}" is required`
      continue
    }
    const ok = base === 'string' ? typeof v === 'string' : base === 'boolean' ? typeof v === 'boolean' : typeof v === 'number' && Number.isFinite(v)
    if (!ok) return `${where}: property "${name}" must be ${base}, got ${JSON.stringify(v)}`
  }
  for (const name of Object.keys(props)) if (!(name in declared)) return `${where}: property "${name}" is not declared`
  return null
}

export function validatePrimitive(schema: GraphSchema, p: GraphPrimitive): string | null {
  if (p.kind === 'node') {
    const decl = schema.nodes[p.type]
    if (!decl) return `node type "${p.type}" is not in the graph schema`
    return checkProperties(`node ${p.type}`, decl.properties, p.properties)
  }
  const decl = schema.edges[p.type]
  if (!decl) return `edge type "${p.type}" is not in the graph schema`
  if (p.src.type !== decl.from || p.dst.type !== decl.to) return `edge ${p.type} goes ${decl.from} → ${decl.to}, not ${p.src.type} → ${p.dst.type}`
  return checkProperties(`edge ${p.type}`, decl.properties, p.properties)
}

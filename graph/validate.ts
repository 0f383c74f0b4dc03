/**
 * Checks a primitive against the graph schema: known type, right endpoint types for an
 * edge, ids the store accepts (ids.ts), declared properties of the declared types, at
 * most MAX_PROPERTIES_BYTES of them. Returns the reason it does not fit,
 * or null.
 *
 * @example
 * validatePrimitive(schema, node) // null, or 'node type "acount" is not in the graph schema'
 */
import { ID_SUSPECT, idProblem, MAX_PROPERTIES_BYTES, previewId } from './ids.ts'
import type { GraphPrimitive, PropertyValue } from './model.ts'
import type { GraphSchema, PropertyType } from './schema.ts'

function checkProperties(
  where: string,
  declared: Readonly<Record<string, PropertyType>>,
  props: Readonly<Record<string, PropertyValue>>,
): string | null {
  for (const [name, type] of Object.entries(declared)) {
    const optional = type.endsWith('?')
    const base = optional ? type.slice(0, -1) : type
    const v = props[name]
    if (v === undefined || v === null) {
      if (!optional) return `${where}: property "${name}" is required`
      continue
    }
    const ok =
      base === 'string' ? typeof v === 'string' : base === 'boolean' ? typeof v === 'boolean' : typeof v === 'number' && Number.isFinite(v)
    if (!ok) return `${where}: property "${name}" must be ${base}, got ${JSON.stringify(v)}`
  }
  for (const name of Object.keys(props)) if (!(name in declared)) return `${where}: property "${name}" is not declared`
  return null
}

/** Why an id the store would refuse cannot be stored (ids.ts), or null; one regex test in the common case. */
function checkIdOf(where: string, id: unknown): string | null {
  if (typeof id === 'string' && id.length > 0 && id.length < 1_365 && !ID_SUSPECT.test(id)) return null
  const problem = idProblem(id)
  return problem === null ? null : `${where} id ${previewId(id)} ${problem}`
}

/** Why the properties are too large to store as one item, or null. */
function checkSize(where: string, props: Readonly<Record<string, PropertyValue>>): string | null {
  let chars = 0
  for (const k in props) {
    const v = props[k]
    chars += k.length + (typeof v === 'string' ? v.length : 8)
  }
  if (chars * 3 <= MAX_PROPERTIES_BYTES) return null
  const bytes = Buffer.byteLength(JSON.stringify(props), 'utf8')
  return bytes > MAX_PROPERTIES_BYTES ? `${where}: properties are ${bytes} bytes as JSON, more than ${MAX_PROPERTIES_BYTES}` : null
}

/** `ids: false` skips the id rule (job-lint's synthetic records carry made-up ids). */
export function validatePrimitive(schema: GraphSchema, p: GraphPrimitive, options: { readonly ids?: boolean } = {}): string | null {
  const ids = options.ids ?? true
  if (p.kind === 'node') {
    const decl = schema.nodes[p.type]
    if (!decl) return `node type "${p.type}" is not in the graph schema`
    return (
      (ids ? checkIdOf(`node ${p.type}`, p.id) : null) ??
      checkProperties(`node ${p.type}`, decl.properties, p.properties) ??
      checkSize(`node ${p.type}`, p.properties)
    )
  }
  const decl = schema.edges[p.type]
  if (!decl) return `edge type "${p.type}" is not in the graph schema`
  if (p.src.type !== decl.from || p.dst.type !== decl.to)
    return `edge ${p.type} goes ${decl.from} → ${decl.to}, not ${p.src.type} → ${p.dst.type}`
  return (
    (ids ? (checkIdOf(`edge ${p.type} source`, p.src.id) ?? checkIdOf(`edge ${p.type} destination`, p.dst.id)) : null) ??
    checkProperties(`edge ${p.type}`, decl.properties, p.properties) ??
    checkSize(`edge ${p.type}`, p.properties)
  )
}

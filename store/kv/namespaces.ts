/**
 * Namespace names and patterns: which configuration entry applies to a namespace (its
 * default TTL, its route). A pattern is an exact name or a glob where `*` matches any run
 * of characters (`edge.*`, `*.in`). An exact name beats any glob; among globs the one
 * with the most literal characters wins, so `edge.started_watching*` beats `edge.*`.
 *
 * @example
 * const pick = new PatternTable({ 'edge.*': 'cassandra', 'node.account': 'rocks' })
 * pick.lookup('edge.started_watching') // 'cassandra'
 * pick.lookup('node.title')            // undefined
 */
import { ConfigError } from '../../base/errors.ts'
import { ID_SUSPECT, idProblem, previewId } from '../../graph/ids.ts'

/** Per-namespace settings a store applies. */
export interface NamespaceSettings {
  /** Default TTL of items written to the namespace; 0 or absent = never expire. */
  readonly ttlMs?: number
}

/**
 * Throws a ConfigError unless `name` can be a namespace or record id: the id rule of
 * graph/ids.ts, the same toGraph applies where primitives are made, so a primitive that
 * reaches a store is never refused here.
 */
export function checkName(kind: 'namespace' | 'record id', name: string): void {
  if (typeof name !== 'string' || name.length === 0)
    throw new ConfigError(`${kind} must be a non-empty string, got ${JSON.stringify(name)}`)
  if (name.length < 1_365 && !ID_SUSPECT.test(name)) return
  const problem = idProblem(name)
  if (problem !== null)
    throw new ConfigError(
      `${kind} ${previewId(name)} ${problem}`,
      'ids and names must be printable Unicode text of at most 4 096 UTF-8 bytes',
    )
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*')
  return new RegExp(`^${body}$`)
}

/** Maps namespace patterns to values; lookups are cached. */
export class PatternTable<T> {
  private readonly exact = new Map<string, T>()
  private readonly globs: Array<{ pattern: string; re: RegExp; literal: number; value: T }> = []
  private readonly cache = new Map<string, T | undefined>()

  constructor(entries: Readonly<Record<string, T>> | Iterable<readonly [string, T]>) {
    const list =
      Symbol.iterator in Object(entries) ? [...(entries as Iterable<readonly [string, T]>)] : Object.entries(entries as Record<string, T>)
    for (const [pattern, value] of list) {
      if (!pattern)
        throw new ConfigError('an empty namespace pattern in the KV configuration', 'use an exact name or a glob such as edge.*')
      if (pattern.includes('*')) this.globs.push({ pattern, re: globToRegExp(pattern), literal: pattern.replaceAll('*', '').length, value })
      else this.exact.set(pattern, value)
    }
    // most specific first; ties keep declaration order
    this.globs.sort((a, b) => b.literal - a.literal)
  }

  lookup(namespace: string): T | undefined {
    if (this.cache.has(namespace)) return this.cache.get(namespace)
    const value = this.exact.has(namespace) ? this.exact.get(namespace) : this.globs.find((g) => g.re.test(namespace))?.value
    this.cache.set(namespace, value)
    return value
  }
}

/** The default TTL of each namespace, from a pattern → settings map. */
export class NamespacePolicy {
  private readonly table: PatternTable<NamespaceSettings>

  constructor(settings: Readonly<Record<string, NamespaceSettings>> = {}) {
    for (const [pattern, s] of Object.entries(settings)) {
      if (s.ttlMs !== undefined && !(Number.isFinite(s.ttlMs) && s.ttlMs >= 0))
        throw new ConfigError(`namespace ${pattern}: ttlMs must be a number of milliseconds >= 0, got ${String(s.ttlMs)}`)
    }
    this.table = new PatternTable(settings)
  }

  /** Default TTL in ms for writes to `namespace`, or 0 for none. */
  defaultTtlMs(namespace: string): number {
    return this.table.lookup(namespace)?.ttlMs ?? 0
  }
}

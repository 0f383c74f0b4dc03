/**
 * The state a keyed function sees, bound to the key being processed: `ctx.state.x`.
 * The engine owns one mutable `KeyScope` per keyed operator and sets its key before
 * each synchronous call; the facades read it, so nothing is allocated per record.
 *
 * @example
 * const scope: KeyScope = { key: '' }
 * const state = createStateAccessors(backend, operatorId('count'), { n: valueState('n', codecs.number()) }, scope)
 * scope.key = 'alice'
 * state.n.update((state.n.value() ?? 0) + 1)
 */
import type { OperatorId, StateKey } from '../base/ids.ts'
import type { KeyedStateBackend, StateDescriptor, StateTable } from './types.ts'

export interface KeyScope {
  key: StateKey
}

export interface ValueState<T> {
  value(): T | undefined
  update(value: T): void
  clear(): void
}

export interface MapState<V> {
  get(key: string): V | undefined
  put(key: string, value: V): void
  remove(key: string): void
  has(key: string): boolean
  keys(): string[]
  entries(): Array<[string, V]>
  readonly size: number
  isEmpty(): boolean
  clear(): void
}

export interface ListState<T> {
  get(): readonly T[]
  add(value: T): void
  update(values: readonly T[]): void
  clear(): void
}

/** Maps declarations to their facades: value → ValueState, map → MapState, list → ListState. */
export type StateAccessors<D> = {
  readonly [N in keyof D]: D[N] extends StateDescriptor<infer T, 'value'>
    ? ValueState<T>
    : D[N] extends StateDescriptor<Record<string, infer V>, 'map'>
      ? MapState<V>
      : D[N] extends StateDescriptor<Array<infer T>, 'list'>
        ? ListState<T>
        : never
}

class ValueFacade<T> implements ValueState<T> {
  constructor(
    private readonly table: StateTable<T>,
    private readonly scope: KeyScope,
  ) {}
  value(): T | undefined {
    return this.table.get(this.scope.key)
  }
  update(value: T): void {
    if (value === undefined) this.table.delete(this.scope.key)
    else this.table.put(this.scope.key, value)
  }
  clear(): void {
    this.table.delete(this.scope.key)
  }
}

class MapFacade<V> implements MapState<V> {
  constructor(
    private readonly table: StateTable<Record<string, V>>,
    private readonly scope: KeyScope,
  ) {}
  private current(): Record<string, V> | undefined {
    return this.table.get(this.scope.key)
  }
  get(key: string): V | undefined {
    const m = this.current()
    return m && Object.hasOwn(m, key) ? m[key] : undefined
  }
  put(key: string, value: V): void {
    const m = { ...(this.current() ?? {}) }
    m[key] = value
    this.table.put(this.scope.key, m)
  }
  remove(key: string): void {
    const cur = this.current()
    if (!cur || !Object.hasOwn(cur, key)) return
    const m = { ...cur }
    Reflect.deleteProperty(m, key)
    if (Object.keys(m).length === 0) this.table.delete(this.scope.key)
    else this.table.put(this.scope.key, m)
  }
  has(key: string): boolean {
    const m = this.current()
    return !!m && Object.hasOwn(m, key)
  }
  keys(): string[] {
    return Object.keys(this.current() ?? {})
  }
  entries(): Array<[string, V]> {
    return Object.entries(this.current() ?? {})
  }
  get size(): number {
    return this.keys().length
  }
  isEmpty(): boolean {
    return this.size === 0
  }
  clear(): void {
    this.table.delete(this.scope.key)
  }
}

class ListFacade<T> implements ListState<T> {
  constructor(
    private readonly table: StateTable<T[]>,
    private readonly scope: KeyScope,
  ) {}
  get(): readonly T[] {
    return this.table.get(this.scope.key) ?? []
  }
  add(value: T): void {
    // copy on write: the stored array may be shared with a cached or checkpointed copy
    this.table.put(this.scope.key, [...this.get(), value])
  }
  update(values: readonly T[]): void {
    if (values.length === 0) this.table.delete(this.scope.key)
    else this.table.put(this.scope.key, [...values])
  }
  clear(): void {
    this.table.delete(this.scope.key)
  }
}

export function createStateAccessors<D extends Readonly<Record<string, StateDescriptor<any, any>>>>(
  backend: KeyedStateBackend,
  operatorId: OperatorId,
  declarations: D,
  scope: KeyScope,
): StateAccessors<D> {
  const out: Record<string, unknown> = {}
  for (const [name, descriptor] of Object.entries(declarations)) {
    // eslint-disable-next-line @typescript-eslint/no-unsafe-argument -- declarations are StateDescriptor<any, any> by design (the facade restores the types)
    const table = backend.table(operatorId, descriptor)
    out[name] =
      descriptor.kind === 'value'
        ? new ValueFacade(table, scope)
        : descriptor.kind === 'map'
          ? new MapFacade(table as StateTable<Record<string, unknown>>, scope)
          : new ListFacade(table as StateTable<unknown[]>, scope)
  }
  return out as StateAccessors<D>
}

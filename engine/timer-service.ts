/**
 * Event-time and processing-time timers of one keyed operator.
 *
 * Timers are keyed state: each key's registered timestamps live in a state table (so they
 * are checkpointed, key-grouped and rescalable with the rest of the state); a min-heap
 * in memory orders them for firing. One timer per (key, timestamp, domain): registering
 * it twice is a no-op. Deleting only updates the table; the heap entry is skipped when it
 * comes up (lazy deletion).
 *
 * @example
 * const timers = new TimerService(table)
 * timers.register('event', 'alice', 5_000)   // inside alice's processElement
 * const due = timers.popDue('event', watermark) // entries with ts <= watermark, in order
 */
import type { Codec, StateTable } from '../state/types.ts'
import type { StateKey } from '../base/ids.ts'

export type TimeDomain = 'event' | 'processing'

/** Per-key persisted timers: event-time and processing-time timestamps. */
export interface KeyTimers {
  e: number[]
  p: number[]
}

/** Compact codec: [count of event timers, ...event, ...processing] as float64. */
export const keyTimersCodec: Codec<KeyTimers> = {
  encode(v) {
    const arr = new Float64Array(1 + v.e.length + v.p.length)
    arr[0] = v.e.length
    arr.set(v.e, 1)
    arr.set(v.p, 1 + v.e.length)
    return new Uint8Array(arr.buffer)
  },
  decode(bytes) {
    const copy = new Uint8Array(bytes.byteLength)
    copy.set(bytes)
    const arr = new Float64Array(copy.buffer)
    const ne = arr[0] ?? 0
    return { e: Array.from(arr.subarray(1, 1 + ne)), p: Array.from(arr.subarray(1 + ne)) }
  },
}

export interface TimerEntry {
  readonly timestamp: number
  readonly key: StateKey
  readonly seq: number
}

/** Binary min-heap ordered by (timestamp, registration sequence). */
export class TimerHeap {
  private readonly items: TimerEntry[] = []
  get size(): number {
    return this.items.length
  }
  peek(): TimerEntry | undefined {
    return this.items[0]
  }
  push(e: TimerEntry): void {
    const a = this.items
    a.push(e)
    let i = a.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!less(a[i]!, a[parent]!)) break
      const t = a[i]!
      a[i] = a[parent]!
      a[parent] = t
      i = parent
    }
  }
  pop(): TimerEntry | undefined {
    const a = this.items
    const top = a[0]
    const last = a.pop()
    if (a.length > 0 && last !== undefined) {
      a[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && less(a[l]!, a[m]!)) m = l
        if (r < a.length && less(a[r]!, a[m]!)) m = r
        if (m === i) break
        const t = a[i]!
        a[i] = a[m]!
        a[m] = t
        i = m
      }
    }
    return top
  }
  toArray(): readonly TimerEntry[] {
    return [...this.items].sort((x, y) => (less(x, y) ? -1 : 1))
  }
}

function less(a: TimerEntry, b: TimerEntry): boolean {
  return a.timestamp < b.timestamp || (a.timestamp === b.timestamp && a.seq < b.seq)
}

export class TimerService {
  private readonly heaps: Record<TimeDomain, TimerHeap> = { event: new TimerHeap(), processing: new TimerHeap() }
  private seq = 0

  constructor(readonly table: StateTable<KeyTimers>) {}

  /** Registers a timer for `key` (whose state must be loaded). No-op if it exists. */
  register(domain: TimeDomain, key: StateKey, timestamp: number): void {
    const current = this.table.get(key)
    const list = domain === 'event' ? current?.e : current?.p
    if (list !== undefined && list.includes(timestamp)) return
    const next: KeyTimers = current ? { e: current.e.slice(), p: current.p.slice() } : { e: [], p: [] }
    ;(domain === 'event' ? next.e : next.p).push(timestamp)
    this.table.put(key, next)
    this.heaps[domain].push({ timestamp, key, seq: this.seq++ })
  }

  /** Deletes a timer of `key` (whose state must be loaded), if registered. */
  delete(domain: TimeDomain, key: StateKey, timestamp: number): void {
    const current = this.table.get(key)
    if (!current) return
    const list = domain === 'event' ? current.e : current.p
    const at = list.indexOf(timestamp)
    if (at < 0) return
    const next: KeyTimers = { e: current.e.slice(), p: current.p.slice() }
    ;(domain === 'event' ? next.e : next.p).splice(at, 1)
    if (next.e.length === 0 && next.p.length === 0) this.table.delete(key)
    else this.table.put(key, next)
  }

  /** True when a timer (possibly a deleted one) is at or before `upTo`; safe with upTo = +∞. */
  hasDue(domain: TimeDomain, upTo: number): boolean {
    const top = this.heaps[domain].peek()
    return top !== undefined && top.timestamp <= upTo
  }

  /** Earliest pending timestamp in a domain (may be a deleted timer), or +∞. */
  next(domain: TimeDomain): number {
    return this.heaps[domain].peek()?.timestamp ?? Number.POSITIVE_INFINITY
  }

  /**
   * Removes and returns up to `limit` heap entries with timestamp <= `upTo`, in firing
   * order (not yet checked against the table).
   */
  popDue(domain: TimeDomain, upTo: number, limit = Number.POSITIVE_INFINITY): TimerEntry[] {
    const heap = this.heaps[domain]
    const due: TimerEntry[] = []
    while (due.length < limit && heap.size > 0 && heap.peek()!.timestamp <= upTo) due.push(heap.pop()!)
    return due
  }

  /**
   * Claims a popped entry for firing: true if it is still registered (and removes it from
   * the table), false if it was deleted meanwhile. The key's state must be loaded.
   */
  claim(domain: TimeDomain, entry: TimerEntry): boolean {
    const current = this.table.get(entry.key)
    if (!current) return false
    const list = domain === 'event' ? current.e : current.p
    if (!list.includes(entry.timestamp)) return false
    this.delete(domain, entry.key, entry.timestamp)
    return true
  }

  /** Pending timers, for the test harness and the CLI. */
  pending(domain: TimeDomain): readonly TimerEntry[] {
    const seen = new Set<string>()
    return this.heaps[domain].toArray().filter((e) => {
      const id = `${e.key}\u0000${e.timestamp}`
      if (seen.has(id)) return false
      seen.add(id)
      let timers: KeyTimers | undefined
      try {
        timers = this.table.get(e.key)
      } catch {
        return true // key not loaded (RocksDB): report it as pending
      }
      return (domain === 'event' ? timers?.e : timers?.p)?.includes(e.timestamp) ?? false
    })
  }

  /** Rebuilds the heaps from the table after a restore. `load` makes a chunk of keys readable. */
  async rebuild(load: (keys: readonly StateKey[]) => Promise<void> | null): Promise<void> {
    const chunk: StateKey[] = []
    const flush = async (): Promise<void> => {
      const pending = load(chunk)
      if (pending) await pending
      for (const key of chunk) {
        const t = this.table.get(key)
        if (!t) continue
        for (const ts of t.e) this.heaps.event.push({ timestamp: ts, key, seq: this.seq++ })
        for (const ts of t.p) this.heaps.processing.push({ timestamp: ts, key, seq: this.seq++ })
      }
      chunk.length = 0
    }
    for await (const key of this.table.keys()) {
      chunk.push(key)
      if (chunk.length >= 1000) await flush()
    }
    await flush()
  }
}

/**
 * What the embedded and in-memory backends share: the value codec, the cell (one stored
 * item version or tombstone), last-writer-wins reconciliation that agrees with Cassandra's,
 * TTL resolution, item selection and paging with opaque resume tokens.
 *
 * @example
 * const cell = putCell(put, policy, clock.now())
 * if (!stored || supersedes(stored, cell)) save(cell)
 */
import { ConfigError } from '../../base/errors.ts'
import { DEFAULT_PAGE_ITEMS, type ItemQuery, type KvPut, type PageQuery, type StoredItem } from './api.ts'
import type { NamespacePolicy } from './namespaces.ts'

/** One stored version of an item: a value (encoded) or a tombstone, with its event time and expiry. */
export interface Cell {
  readonly eventTime: number
  /** Epoch ms after which the value is gone, or null. */
  readonly expiresAt: number | null
  readonly deleted: boolean
  /** The encoded value (see encodeValue); empty for a tombstone. */
  readonly value: Uint8Array
}

const BYTES = 0x00
const JSON_TEXT = 0x01
const EMPTY = new Uint8Array(0)

/** Encodes a value: raw bytes stay bytes, anything else is JSON. One tag byte tells them apart. */
export function encodeValue(value: unknown): Buffer {
  if (value instanceof Uint8Array) {
    const out = Buffer.allocUnsafe(value.length + 1)
    out[0] = BYTES
    out.set(value, 1)
    return out
  }
  const text = JSON.stringify(value === undefined ? null : value)
  const out = Buffer.allocUnsafe(Buffer.byteLength(text) + 1)
  out[0] = JSON_TEXT
  out.write(text, 1, 'utf8')
  return out
}

export function decodeValue(bytes: Uint8Array): unknown {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (buf[0] === BYTES) return new Uint8Array(buf.subarray(1))
  if (buf[0] === JSON_TEXT) return JSON.parse(buf.toString('utf8', 1))
  throw new Error(`unknown KV value encoding tag ${String(buf[0])}`)
}

function checkTtl(ttl: number | undefined, what: string): void {
  if (ttl !== undefined && !(Number.isFinite(ttl) && ttl >= 0))
    throw new ConfigError(`${what} must be a number of milliseconds >= 0, got ${String(ttl)}`)
}

/** The TTL in ms a put gets: the item's, else the put's record TTL, else the namespace default; 0 = none. */
export function ttlOf(put: KvPut, policy: NamespacePolicy): number {
  checkTtl(put.item.ttlMs, 'item ttlMs')
  checkTtl(put.recordTtlMs, 'recordTtlMs')
  return put.item.ttlMs ?? put.recordTtlMs ?? policy.defaultTtlMs(put.namespace)
}

export function checkEventTime(t: number): void {
  if (!Number.isFinite(t)) throw new ConfigError(`event time must be a finite number of epoch milliseconds, got ${String(t)}`)
}

/** The cell a put writes, received at `now`. */
export function putCell(put: KvPut, policy: NamespacePolicy, now: number): Cell {
  checkEventTime(put.item.eventTime)
  const ttl = ttlOf(put, policy)
  return { eventTime: put.item.eventTime, expiresAt: ttl > 0 ? now + ttl : null, deleted: false, value: encodeValue(put.item.value) }
}

export function tombstone(eventTime: number): Cell {
  checkEventTime(eventTime)
  return { eventTime, expiresAt: null, deleted: true, value: EMPTY }
}

/**
 * True when `incoming` replaces `stored`: the later event time wins; at equal times a
 * tombstone wins, then a value with a TTL, then the later expiry, then the greater value
 * bytes (Cassandra's cell reconciliation, so every backend keeps the same version).
 */
export function supersedes(stored: Cell, incoming: Cell): boolean {
  if (incoming.eventTime !== stored.eventTime) return incoming.eventTime > stored.eventTime
  if (incoming.deleted !== stored.deleted) return incoming.deleted
  const inExp = incoming.expiresAt !== null
  const stExp = stored.expiresAt !== null
  if (inExp !== stExp) return inExp
  if (inExp && incoming.expiresAt !== stored.expiresAt) return incoming.expiresAt > stored.expiresAt!
  return Buffer.compare(incoming.value, stored.value) > 0
}

/** True when the cell holds a value readable at `now`, not shadowed by a record deletion at `recordDeletedAt`. */
export function isLive(cell: Cell, now: number, recordDeletedAt: number | null): boolean {
  if (cell.deleted) return false
  if (cell.expiresAt !== null && cell.expiresAt <= now) return false
  return recordDeletedAt === null || cell.eventTime > recordDeletedAt
}

/** Compares item keys in UTF-8 byte order (Cassandra's and RocksDB's order), not UTF-16 code units. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0
  // UTF-16 code units order as UTF-8 bytes do, except around surrogates: compare those as bytes
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i)
    const cb = b.charCodeAt(i)
    if (ca === cb) continue
    if ((ca & 0xf800) === 0xd800 || (cb & 0xf800) === 0xd800) return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
    return ca - cb
  }
  return a.length - b.length
}

/** Throws a ConfigError when a query names more than one way of selecting items, or bad bounds. */
export function checkQuery(q: PageQuery): void {
  const ways = [q.keys !== undefined, q.prefix !== undefined, q.range !== undefined].filter(Boolean).length
  if (ways > 1) throw new ConfigError('a record query takes at most one of keys, prefix and range')
  if (q.limit !== undefined && !(Number.isInteger(q.limit) && q.limit > 0))
    throw new ConfigError(`limit must be a positive integer, got ${String(q.limit)}`)
  if (q.maxBytes !== undefined && !(Number.isFinite(q.maxBytes) && q.maxBytes > 0))
    throw new ConfigError(`maxBytes must be a positive number, got ${String(q.maxBytes)}`)
}

/** Whether an item key is selected by the query (the resume point is applied separately). */
export function selects(q: ItemQuery, key: string): boolean {
  if (q.prefix !== undefined) return key.startsWith(q.prefix)
  if (q.range)
    return (
      (q.range.from === undefined || compareKeys(key, q.range.from) >= 0) && (q.range.to === undefined || compareKeys(key, q.range.to) < 0)
    )
  if (q.keys) return q.keys.includes(key)
  return true
}

/** Resume token of a record page: the last item key returned. */
export function encodeToken(state: Record<string, string>): string {
  return Buffer.from(JSON.stringify(state), 'utf8').toString('base64url')
}

export function decodeToken(token: string, fields: readonly string[]): Record<string, string> {
  try {
    const state = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>
    if (state && typeof state === 'object' && fields.every((f) => typeof state[f] === 'string')) return state as Record<string, string>
  } catch {
    // fall through to the error below
  }
  throw new ConfigError(
    `page token ${JSON.stringify(token.slice(0, 40))} is not one this store handed out`,
    'pass the `next` token of the previous page unchanged',
  )
}

/** Item key a page resumes after, from its token (or null for the first page). */
export function resumeAfter(q: PageQuery): string | null {
  return q.pageToken ? decodeToken(q.pageToken, ['k']).k! : null
}

/** Size of an item for byte-bounded pages. */
export function itemBytes(key: string, encodedValueLength: number): number {
  return Buffer.byteLength(key) + encodedValueLength
}

/**
 * Builds one page from items offered in key order: stops at the item limit or once the
 * byte budget is used (a page holds at least one item), and makes the resume token.
 */
export class PageBuilder<T extends StoredItem = StoredItem> {
  readonly items: T[] = []
  private bytes = 0
  private readonly limit: number
  private readonly maxBytes: number
  /** Set when the page filled up before the source ran out. */
  private full = false

  constructor(q: { readonly limit?: number; readonly maxBytes?: number }) {
    this.limit = q.limit ?? DEFAULT_PAGE_ITEMS
    this.maxBytes = q.maxBytes ?? Number.POSITIVE_INFINITY
  }

  /** Offers the next item; returns false once the page is full (the item was not taken). */
  offer(item: T, size: number): boolean {
    if (this.items.length >= this.limit || (this.items.length > 0 && this.bytes + size > this.maxBytes)) {
      this.full = true
      return false
    }
    this.items.push(item)
    this.bytes += size
    return true
  }

  get isFull(): boolean {
    return this.full || this.items.length >= this.limit || this.bytes >= this.maxBytes
  }

  /** The page; `tokenOf` turns the last item into a resume token (called only if more may follow). */
  finish(moreMayFollow: boolean, tokenOf: (last: T) => string): { items: T[]; next: string | null } {
    const last = this.items[this.items.length - 1]
    return { items: this.items, next: moreMayFollow && last ? tokenOf(last) : null }
  }
}

/** The item a cell reads as. */
export function toItem(key: string, cell: Cell): StoredItem {
  const value = decodeValue(cell.value)
  return cell.expiresAt === null
    ? { key, value, eventTime: cell.eventTime }
    : { key, value, eventTime: cell.eventTime, expiresAt: cell.expiresAt }
}

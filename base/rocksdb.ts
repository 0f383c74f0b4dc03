/**
 * The one module that imports the RocksDB binding (@nxtedition/rocksdb): opens a database
 * with buffer keys and values (the only encoding rdg stores) and gives state/ and the KV
 * store the small typed surface they use: point and batched reads (synchronously when the
 * binding can), atomic write batches, range iterators, synchronous range reads, range clears.
 *
 * `Database` wraps any abstract-level database opened this way, so a comparison engine
 * (LevelDB through classic-level, in test/ and bench/) plugs in behind the same surface.
 *
 * @example
 * const db = rocksDb('.rdg/graph')
 * await db.open()
 * const [v] = db.readsSync ? db.getManySync([key]) : await db.getMany([key])
 * const batch = db.batch(); batch.put(key, value); await batch.write()
 * for await (const [k, v] of db.iterator({ gte: lo, lt: hi })) use(k, v)
 * const rows = db.rangesSync ? db.rangeSync({ gte: lo, lt: hi, limit: 100 }) : null
 * await db.close()
 */
import { mkdir } from 'node:fs/promises'
import { RocksLevel } from '@nxtedition/rocksdb'

/** Buffer keys and values, passed on every call as the binding expects. */
const BUF = { keyEncoding: 'buffer', valueEncoding: 'buffer' } as const

/**
 * Read options of short synchronous range reads (a record's page): the binding's iterator
 * defaults (async I/O prefetch, blocks left out of the block cache) suit long scans and
 * made a 2-row read cost ~40 µs; these take it to ~16 µs.
 */
const SHORT_RANGE = { fillCache: true, asyncIO: false } as const

export type BufferEncodings = typeof BUF

/** Key bounds of a range; `values: false` iterates keys only (values come back undefined). */
export interface Range {
  readonly gt?: Buffer
  readonly gte?: Buffer
  readonly lt?: Buffer
  readonly lte?: Buffer
  readonly limit?: number
  readonly values?: boolean
}

/** An atomic write batch. */
export interface WriteBatch {
  put(key: Buffer, value: Buffer): unknown
  del(key: Buffer): unknown
  readonly length: number
  write(): Promise<void>
  /** Discards the batch without writing. */
  close(): Promise<void>
}

/** Entries of a range in key order. */
export interface EntryIterator extends AsyncIterable<[Buffer, Buffer]> {
  nextv(size: number): Promise<Array<[Buffer, Buffer]>>
  close(): Promise<void>
}

/** What an abstract-level database offers (RocksLevel, classic-level's ClassicLevel); the binding's synchronous extras are optional. */
export interface Level {
  readonly status: string
  open(): Promise<void>
  close(): Promise<void>
  get(key: Buffer, options: object): Promise<Buffer | undefined>
  getMany(keys: Buffer[], options: object): Promise<Array<Buffer | undefined>>
  put(key: Buffer, value: Buffer, options: object): Promise<void>
  batch(): WriteBatch
  clear(options: object): Promise<void>
  iterator(options: object): EntryIterator
  keys(options: object): AsyncIterable<Buffer>
  _getManySync?(keys: Buffer[], options: object): Array<Buffer | undefined | null>
  /** RocksLevel: the rows of a range (key, value, key, value, …) read on the calling thread. */
  querySync?(options: object): { rows: Buffer[]; finished: boolean }
}

/** RocksLevel's iterator step without a thread-pool hop (not in abstract-level). */
interface SyncIterator {
  _nextvSync?(size: number, options: object): { rows: Buffer[]; finished: boolean }
}

export class Database {
  private readonly level: Level

  /** `open` makes the database for `path` (not opened yet) with the given encodings. */
  constructor(
    readonly path: string,
    open: (path: string, options: BufferEncodings) => Level,
  ) {
    this.level = open(path, BUF)
  }

  get isOpen(): boolean {
    return this.level.status === 'open'
  }

  /** True when `getManySync` can be used now (RocksDB, open): no promise, no thread-pool hop. */
  get readsSync(): boolean {
    return this.level.status === 'open' && typeof this.level._getManySync === 'function'
  }

  /** Creates the directory if needed and opens (locks) the database. */
  async open(): Promise<void> {
    await mkdir(this.path, { recursive: true })
    await this.level.open()
  }

  /** Closes the database; a failure names its cause (RocksDB flushes on close: a full disk shows here). */
  async close(): Promise<void> {
    try {
      await this.level.close()
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause
      if (cause instanceof Error) throw new Error(`cannot close the database at ${this.path}: ${cause.message}`, { cause })
      throw err
    }
  }

  /** The value of `key`, undefined when there is none. */
  async get(key: Buffer): Promise<Buffer | undefined> {
    try {
      return await this.level.get(key, BUF)
    } catch (err) {
      if ((err as { code?: string }).code === 'LEVEL_NOT_FOUND') return undefined
      throw err
    }
  }

  getMany(keys: Buffer[]): Promise<Array<Buffer | undefined>> {
    return this.level.getMany(keys, BUF)
  }

  /** A batched read on the calling thread; only when `readsSync`. Missing keys are undefined or null. */
  getManySync(keys: Buffer[]): Array<Buffer | undefined | null> {
    return this.level._getManySync!(keys, BUF)
  }

  /** True when `rangeSync` can be used now (RocksDB, open). */
  get rangesSync(): boolean {
    return this.level.status === 'open' && typeof this.level.querySync === 'function'
  }

  /** Up to `range.limit` entries of a range, read on the calling thread (one binding call, no iterator object); only when `rangesSync`. */
  rangeSync(range: Range): Array<[Buffer, Buffer]> {
    const { rows } = this.level.querySync!({ ...BUF, ...SHORT_RANGE, ...range })
    const out: Array<[Buffer, Buffer]> = []
    for (let n = 0; n < rows.length; n += 2) out.push([rows[n]!, rows[n + 1]!])
    return out
  }

  put(key: Buffer, value: Buffer): Promise<void> {
    return this.level.put(key, value, BUF)
  }

  batch(): WriteBatch {
    return this.level.batch()
  }

  /** Deletes the rows of a bounded range (give bounds: an unbounded clear leaves a costly range tombstone in RocksDB). */
  clear(range: Range): Promise<void> {
    return this.level.clear(range)
  }

  iterator(range: Range): EntryIterator {
    return this.level.iterator({ ...BUF, ...range })
  }

  keys(range: Range): AsyncIterable<Buffer> {
    return this.level.keys({ ...BUF, ...range })
  }
}

/** A RocksDB database in `path`, created and opened by `open()`. */
export function rocksDb(path: string): Database {
  return new Database(path, (location, options) => new RocksLevel(location, options))
}

/** The next `size` entries of an iterator (fewer at the end), synchronously when the binding allows (short reads). */
export async function nextEntries(it: EntryIterator, size: number): Promise<Array<[Buffer, Buffer]>> {
  const i = it as EntryIterator & SyncIterator
  if (typeof i._nextvSync !== 'function') return i.nextv(size)
  const { rows } = i._nextvSync(size, {})
  const out: Array<[Buffer, Buffer]> = []
  for (let n = 0; n < rows.length; n += 2) out.push([rows[n]!, rows[n + 1]!])
  return out
}

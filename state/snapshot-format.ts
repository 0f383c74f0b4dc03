/**
 * The file format state backends write at checkpoints: entries sorted by key group, each
 * `u16 group | u16 tableLen | table | u32 keyLen | key | i32 valueLen (-1 = deleted) | value`,
 * plus an index (group → [offset, length]) kept in the checkpoint's metadata. A process
 * that owns a subset of key groups reads only their byte ranges.
 *
 * @example
 * const w = await SnapshotWriter.create(path)
 * w.add(3, 'dedup/pending', 'n|account|a1', bytes)
 * const index = await w.finish()
 * for await (const e of readSnapshot(path, index, { start: 0, end: 63 })) use(e)
 */
import { open, type FileHandle } from 'node:fs/promises'
import type { KeyGroupRange } from './types.ts'

export interface SnapshotEntry {
  readonly group: number
  readonly table: string
  readonly key: string
  /** Encoded value, or null for a deletion (delta files only). */
  readonly value: Uint8Array | null
}

/** Byte range of each key group in a snapshot file. */
export type GroupIndex = Record<string, readonly [number, number]>

const CHUNK = 1 << 20

export class SnapshotWriter {
  private buf = Buffer.allocUnsafe(CHUNK)
  private used = 0
  private offset = 0
  private currentGroup = -1
  private groupStart = 0
  private readonly index: GroupIndex = {}
  private pending: Promise<unknown> = Promise.resolve()
  entries = 0

  private constructor(private readonly fh: FileHandle) {}

  static async create(path: string): Promise<SnapshotWriter> {
    return new SnapshotWriter(await open(path, 'w'))
  }

  /** Appends an entry; groups must come in ascending order. */
  add(group: number, table: string, key: string, value: Uint8Array | null): void {
    if (group !== this.currentGroup) {
      if (group < this.currentGroup) throw new Error(`snapshot entries out of key-group order (${group} after ${this.currentGroup})`)
      this.closeGroup()
      this.currentGroup = group
      this.groupStart = this.offset
    }
    const tableLen = Buffer.byteLength(table)
    const keyLen = Buffer.byteLength(key)
    const valueLen = value ? value.byteLength : 0
    const size = 2 + 2 + tableLen + 4 + keyLen + 4 + valueLen
    this.reserve(size)
    const b = this.buf
    let p = this.used
    b.writeUInt16BE(group, p)
    p += 2
    b.writeUInt16BE(tableLen, p)
    p += 2
    p += b.write(table, p)
    b.writeUInt32BE(keyLen, p)
    p += 4
    p += b.write(key, p)
    b.writeInt32BE(value ? valueLen : -1, p)
    p += 4
    if (value) {
      b.set(value, p)
      p += valueLen
    }
    this.used = p
    this.offset += size
    this.entries++
  }

  private closeGroup(): void {
    if (this.currentGroup >= 0) this.index[this.currentGroup] = [this.groupStart, this.offset - this.groupStart]
  }

  private reserve(size: number): void {
    if (this.used + size <= this.buf.length) return
    this.spill()
    if (size > this.buf.length) this.buf = Buffer.allocUnsafe(size)
  }

  private spill(): void {
    if (this.used === 0) return
    const data = this.buf.subarray(0, this.used)
    const fh = this.fh
    this.pending = this.pending.then(() => fh.write(data))
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK, this.buf.length))
    this.used = 0
  }

  /** Waits for buffered bytes to reach the file (call now and then in long loops). */
  async drain(): Promise<void> {
    this.spill()
    await this.pending
  }

  /** Writes the rest, fsyncs, closes; returns the group index. */
  async finish(): Promise<GroupIndex> {
    this.closeGroup()
    this.spill()
    try {
      await this.pending
      await this.fh.sync()
    } finally {
      await this.fh.close()
    }
    return this.index
  }
}

/** Reads the entries of the groups in `range`, in file order. */
export async function* readSnapshot(path: string, index: GroupIndex, range: KeyGroupRange): AsyncGenerator<SnapshotEntry> {
  const fh = await open(path, 'r')
  try {
    const groups = Object.keys(index)
      .map(Number)
      .filter((g) => g >= range.start && g <= range.end)
      .sort((a, b) => a - b)
    for (const g of groups) {
      const [offset, length] = index[g]!
      const buf = Buffer.allocUnsafe(length)
      await fh.read(buf, 0, length, offset)
      let p = 0
      while (p < length) {
        const group = buf.readUInt16BE(p)
        p += 2
        const tableLen = buf.readUInt16BE(p)
        p += 2
        const table = buf.toString('utf8', p, p + tableLen)
        p += tableLen
        const keyLen = buf.readUInt32BE(p)
        p += 4
        const key = buf.toString('utf8', p, p + keyLen)
        p += keyLen
        const valueLen = buf.readInt32BE(p)
        p += 4
        let value: Uint8Array | null = null
        if (valueLen >= 0) {
          value = buf.subarray(p, p + valueLen)
          p += valueLen
        }
        yield { group, table, key, value }
      }
    }
  } finally {
    await fh.close()
  }
}

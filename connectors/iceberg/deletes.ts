/**
 * Row-level deletes: position delete files (file_path, pos) give the deleted row
 * positions of one data file; equality delete files give key tuples over their equality
 * field ids. Which delete files apply to which data file is decided in plan.ts; here
 * their contents are read (once per delete file) and matched.
 *
 * @example
 * const deletes = new DeleteIndex()
 * const dead = await deletes.positionsFor(planned.positionDeletes, dataFile.path) // Set of row positions
 */
import { readColumnsById } from './parquet-columns.ts'

const POS_FILE_PATH = 2147483546
const POS_POS = 2147483545

/** A value as a key part: equal values of int/long/string/timestamp give equal parts. */
export function keyPart(v: unknown): string {
  if (v === null || v === undefined) return '\u0000'
  if (v instanceof Uint8Array) return `b:${Buffer.from(v).toString('hex')}`
  if (typeof v === 'string') return `s:${v}`
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return `n:${v}`
  return `j:${JSON.stringify(v)}`
}

export interface EqualityDelete {
  readonly fieldIds: readonly number[]
  readonly keys: ReadonlySet<string>
}

export class DeleteIndex {
  private readonly positionFiles = new Map<string, Promise<Map<string, number[]>>>()
  private readonly equalityFiles = new Map<string, Promise<EqualityDelete>>()

  /** Deleted row positions of `dataPath` from the applicable position delete files. */
  async positionsFor(files: readonly { readonly path: string }[], dataPath: string): Promise<Set<number>> {
    const out = new Set<number>()
    for (const f of files) {
      let p = this.positionFiles.get(f.path)
      if (!p) {
        p = this.readPositions(f.path)
        this.positionFiles.set(f.path, p)
      }
      for (const pos of (await p).get(dataPath) ?? []) out.add(pos)
    }
    return out
  }

  async equality(file: { readonly path: string; readonly equalityIds: readonly number[] }): Promise<EqualityDelete> {
    let p = this.equalityFiles.get(file.path)
    if (!p) {
      p = this.readEquality(file.path, file.equalityIds)
      this.equalityFiles.set(file.path, p)
    }
    return p
  }

  private async readPositions(path: string): Promise<Map<string, number[]>> {
    const { columns } = await readColumnsById(path, [POS_FILE_PATH, POS_POS])
    const paths = columns.get(POS_FILE_PATH) ?? []
    const positions = columns.get(POS_POS) ?? []
    const out = new Map<string, number[]>()
    for (let i = 0; i < paths.length; i++) {
      const key = String(paths[i])
      let list = out.get(key)
      if (!list) out.set(key, (list = []))
      list.push(Number(positions[i]))
    }
    return out
  }

  private async readEquality(path: string, fieldIds: readonly number[]): Promise<EqualityDelete> {
    const { columns, rows } = await readColumnsById(path, fieldIds)
    const keys = new Set<string>()
    const cols = fieldIds.map((id) => columns.get(id) ?? null)
    for (let i = 0; i < rows; i++) keys.add(cols.map((c) => keyPart(c === null ? null : c[i])).join('\u0001'))
    return { fieldIds, keys }
  }
}

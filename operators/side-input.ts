/**
 * A keyed lookup table loaded from a file (a JSON array of rows, or JSON lines), reloaded
 * when the file's modification time or size changes. Checks are rate-limited by the
 * injected clock so the hot path never touches the disk.
 *
 * @example
 * const titles = new FileSideInput<Title>('/data/catalog/titles.json', 'titleId', clock)
 * titles.load()
 * titles.get('t-17')?.name
 */
import { readFileSync, statSync } from 'node:fs'
import type { Clock } from '../base/clock.ts'
import { ConfigError } from '../base/errors.ts'

/** A keyed lookup table loaded from a JSON or JSON-lines file, reloaded when the file changes. */
export interface SideInputSpec<V> {
  /** File path, relative to the job's side-input directory (or absolute). */
  readonly path: string
  /** Field of each row that is its key. */
  readonly key: keyof V & string
  readonly __row?: V
}

export type SideInputLookups<S> = {
  readonly [N in keyof S]: S[N] extends SideInputSpec<infer V> ? (key: string) => V | undefined : never
}

export interface EnrichSpec<P, R, S extends Record<string, SideInputSpec<any>>> {
  readonly sideInputs: S
  /** Pure function of the record and the current side-input contents. */
  readonly apply: (record: P, lookup: SideInputLookups<S>) => R
}

/** Declares a side input for `enrich`. */
export function sideInput<V>(spec: { path: string; key: keyof V & string }): SideInputSpec<V> {
  return spec
}

export class FileSideInput<V> {
  private rows = new Map<string, V>()
  private signature = ''
  private nextCheck = 0
  /** Number of times the file was (re)loaded. */
  loads = 0

  constructor(
    readonly path: string,
    private readonly keyField: string,
    private readonly clock: Clock,
    private readonly checkEveryMs = 1_000,
  ) {}

  get(key: string): V | undefined {
    return this.rows.get(key)
  }

  get size(): number {
    return this.rows.size
  }

  /** Loads the file now; a missing or unparsable file is a configuration error. */
  load(): void {
    let stat
    try {
      stat = statSync(this.path)
    } catch {
      throw new ConfigError(`side input ${this.path} does not exist`, "create it or fix the path in the job's enrich.sideInputs")
    }
    this.signature = `${stat.mtimeMs}:${stat.size}`
    this.rows = this.parse(readFileSync(this.path, 'utf8'))
    this.loads++
  }

  /** Reloads if the file changed; keeps the old contents if the new file cannot be read. */
  reloadIfChanged(): boolean {
    const now = this.clock.now()
    if (now < this.nextCheck) return false
    this.nextCheck = now + this.checkEveryMs
    let stat
    try {
      stat = statSync(this.path)
    } catch {
      return false
    }
    const signature = `${stat.mtimeMs}:${stat.size}`
    if (signature === this.signature) return false
    try {
      this.rows = this.parse(readFileSync(this.path, 'utf8'))
      this.signature = signature
      this.loads++
      return true
    } catch {
      return false // half-written file: try again at the next check
    }
  }

  private parse(text: string): Map<string, V> {
    const trimmed = text.trim()
    let rows: unknown[]
    try {
      rows = trimmed.startsWith('[')
        ? (JSON.parse(trimmed) as unknown[])
        : trimmed
            .split('\n')
            .filter((l) => l.trim() !== '')
            .map((l) => JSON.parse(l) as unknown)
    } catch (err) {
      throw new ConfigError(`side input ${this.path} is not valid JSON or JSON lines: ${(err as Error).message}`)
    }
    const map = new Map<string, V>()
    for (const row of rows) {
      if (row === null || typeof row !== 'object') continue
      const key = (row as Record<string, unknown>)[this.keyField]
      if (key === undefined || key === null) continue
      map.set(typeof key === 'string' ? key : JSON.stringify(key), row as V)
    }
    return map
  }
}

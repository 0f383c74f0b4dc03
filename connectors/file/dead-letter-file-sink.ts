/**
 * Dead letters to a JSON-lines file (one letter per line: reason, operator, source
 * position, value, event time), appended durably at each flush.
 *
 * Exactly once across restarts when given the job's checkpoint directory: every flush
 * (the first step of each checkpoint) also appends `{"checkpoint": <id>, "bytes": <file
 * length>}` to `<path>.index`, the id being the checkpoint that flush belongs to (the
 * newest checkpoint directory + 1). On open, after the engine has restored checkpoint R,
 * the file is cut back to the length recorded for the newest checkpoint ≤ R (empty when
 * there is none): the letters of records after R's source positions are written again
 * by the replay, and only by it.
 *
 * @example
 * const dlq = new DeadLetterFileSink({ path: '.rdg/jobs/playback-events/dead-letters.jsonl', checkpointDir: '.rdg/jobs/playback-events/checkpoints' })
 */
import { existsSync } from 'node:fs'
import { appendFile, mkdir, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { DeadLetter, Sink } from '../../engine/connector.ts'
import { operatorId, type OperatorId } from '../../base/ids.ts'

export interface DeadLetterFileSinkOptions {
  readonly path: string
  readonly id?: string
  /** The job's checkpoint directory (`<data dir>/checkpoints`): makes the file exactly-once across restarts. */
  readonly checkpointDir?: string
  /** The checkpoint the run restores when it is not the newest complete one (`--restore-from`). */
  readonly restoreFrom?: number
}

interface IndexEntry {
  readonly checkpoint: number
  readonly bytes: number
}

export class DeadLetterFileSink implements Sink<DeadLetter> {
  readonly id: OperatorId
  private lines: string[] = []
  readonly backpressured = false
  count = 0
  /** The first few letters, for summaries. */
  readonly samples: DeadLetter[] = []
  private bytes = 0

  constructor(private readonly options: DeadLetterFileSinkOptions) {
    this.id = operatorId(options.id ?? 'dead-letters')
  }

  private get indexPath(): string {
    return `${this.options.path}.index`
  }

  async open(): Promise<void> {
    await mkdir(dirname(this.options.path), { recursive: true })
    const { checkpointDir } = this.options
    if (checkpointDir === undefined) return
    const restored = this.options.restoreFrom ?? (await completeCheckpoints(checkpointDir)).at(-1) ?? null
    const size = existsSync(this.options.path) ? (await stat(this.options.path)).size : 0
    let kept: IndexEntry[]
    if (existsSync(this.indexPath)) {
      kept = (await readIndex(this.indexPath)).filter((e) => restored !== null && e.checkpoint <= restored)
    } else {
      // a file from before the index: what is in it belongs to the restored checkpoint, if any
      kept = restored !== null && size > 0 ? [{ checkpoint: restored, bytes: size }] : []
    }
    const bytes = Math.min(kept.at(-1)?.bytes ?? 0, size)
    if (size > bytes) await truncate(this.options.path, bytes)
    await writeFile(this.indexPath, kept.map((e) => JSON.stringify(e) + '\n').join(''))
    this.bytes = bytes
  }

  write(letter: DeadLetter): void {
    this.count++
    if (this.samples.length < 5) this.samples.push(letter)
    this.lines.push(JSON.stringify(letter))
  }

  async drain(): Promise<void> {}

  async flush(): Promise<void> {
    if (this.lines.length === 0) return
    const text = this.lines.join('\n') + '\n'
    this.lines = []
    await appendFile(this.options.path, text)
    this.bytes += Buffer.byteLength(text, 'utf8')
    const { checkpointDir } = this.options
    if (checkpointDir === undefined) return
    // flushed as the first step of the checkpoint after the newest one on disk
    const checkpoint = ((await checkpointIds(checkpointDir)).at(-1) ?? 0) + 1
    await appendFile(this.indexPath, JSON.stringify({ checkpoint, bytes: this.bytes } satisfies IndexEntry) + '\n')
  }

  async close(): Promise<void> {
    await this.flush()
  }
}

/** Ids of the checkpoint directories (complete or not), ascending. */
async function checkpointIds(dir: string): Promise<number[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return []
  }
  const ids: number[] = []
  for (const n of names) {
    const m = /^chk-(\d+)$/.exec(n)
    if (m) ids.push(Number(m[1]))
  }
  return ids.sort((a, b) => a - b)
}

/** Ids of the complete checkpoints (with their metadata file), ascending. */
async function completeCheckpoints(dir: string): Promise<number[]> {
  return (await checkpointIds(dir)).filter((id) => existsSync(join(dir, `chk-${id}`, '_metadata.json')))
}

async function readIndex(path: string): Promise<IndexEntry[]> {
  const entries: IndexEntry[] = []
  for (const line of (await readFile(path, 'utf8')).split('\n')) {
    if (!line) continue
    try {
      const e = JSON.parse(line) as Partial<IndexEntry>
      if (typeof e.checkpoint === 'number' && typeof e.bytes === 'number') entries.push({ checkpoint: e.checkpoint, bytes: e.bytes })
    } catch {
      // a line cut by a crash: what follows it was never committed
      break
    }
  }
  return entries
}

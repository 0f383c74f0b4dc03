/**
 * A bounded source over a JSON-lines file: each non-empty line is one record (the raw
 * text; decode it with the job's JSON decoder). The position is the byte offset of the
 * next line, so a restore resumes exactly. Reads in chunks; ends at end of file.
 *
 * @example
 * const source = new JsonLinesFileSource({ path: 'test/fixtures/jobs/login-events.jsonl' })
 */
import { open, type FileHandle } from 'node:fs/promises'
import { StringDecoder } from 'node:string_decoder'
import { ConfigError } from '../../base/errors.ts'
import type { Source, SourceBatch, SourceContext, SourcePositions, SourceRecord } from '../../engine/connector.ts'
import { operatorId, type OperatorId } from '../../base/ids.ts'

export class JsonLinesFileSource implements Source<string> {
  readonly id: OperatorId
  private fh: FileHandle | null = null
  private offset = 0
  private pending = ''
  private pendingStart = 0
  private eof = false
  private readonly utf8 = new StringDecoder('utf8')

  constructor(private readonly options: { path: string; id?: string; chunkBytes?: number }) {
    this.id = operatorId(options.id ?? 'file')
  }

  async open(ctx: SourceContext): Promise<void> {
    try {
      this.fh = await open(this.options.path, 'r')
    } catch {
      throw new ConfigError(`input file ${this.options.path} does not exist or cannot be read`, 'check the path after --source file:')
    }
    this.offset = Number(ctx.restoredPositions?.['0'] ?? 0)
    this.pendingStart = this.offset
  }

  async poll(maxRecords: number): Promise<SourceBatch<string>> {
    const records: SourceRecord<string>[] = []
    const chunk = Buffer.allocUnsafe(this.options.chunkBytes ?? 1 << 16)
    while (records.length < maxRecords) {
      const nl = this.pending.indexOf('\n')
      if (nl >= 0) {
        const line = this.pending.slice(0, nl)
        const start = this.pendingStart
        this.pending = this.pending.slice(nl + 1)
        this.pendingStart += Buffer.byteLength(line) + 1
        if (line.trim() !== '') records.push({ partition: 0, offset: String(start), value: line })
        continue
      }
      if (this.eof) {
        if (this.pending.trim() !== '') records.push({ partition: 0, offset: String(this.pendingStart), value: this.pending })
        this.pendingStart += Buffer.byteLength(this.pending)
        this.pending = ''
        break
      }
      const { bytesRead } = await this.fh!.read(chunk, 0, chunk.length, this.offset)
      if (bytesRead === 0) this.eof = true
      this.offset += bytesRead
      this.pending += bytesRead > 0 ? this.utf8.write(chunk.subarray(0, bytesRead)) : this.utf8.end()
    }
    return { records, end: this.eof && this.pending === '' }
  }

  /** Byte offset of the first line not yet delivered. */
  positions(): SourcePositions {
    return { '0': String(this.pendingStart) }
  }

  async close(): Promise<void> {
    await this.fh?.close()
    this.fh = null
  }
}

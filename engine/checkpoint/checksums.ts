/**
 * Checksums of the files a checkpoint references, written into its metadata and verified
 * whenever the checkpoint is read for a restore: a truncated, overwritten or deleted state
 * file is found before any of it is loaded, and the file is named.
 *
 * Files under a checkpoint root never change once written (incremental state adds new
 * files and references old ones), so a digest is computed once per file and remembered.
 *
 * @example
 * const digests = new FileDigests(root)
 * const files = await digests.of(['chk-3/state.bin', 'shared/kg-0001.delta'])
 * const problems = await digests.verify(files) // [] when every file is intact
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'

/** Size and SHA-256 of one file, as recorded in a checkpoint's metadata. */
export interface FileDigest {
  readonly bytes: number
  readonly sha256: string
}

/** Path relative to the checkpoint root → its digest. */
export type FileDigestMap = Readonly<Record<string, FileDigest>>

export class FileDigests {
  private readonly known = new Map<string, FileDigest>()

  constructor(private readonly root: string) {}

  /** Remembers digests already recorded (e.g. read from a restored checkpoint's metadata). */
  remember(files: FileDigestMap): void {
    for (const [path, digest] of Object.entries(files)) this.known.set(path, digest)
  }

  /** Digests of `paths`, hashing only files not seen before. */
  async of(paths: readonly string[]): Promise<FileDigestMap> {
    const out: Record<string, FileDigest> = {}
    for (const path of paths) {
      let digest = this.known.get(path)
      if (!digest) {
        digest = await digestFile(join(this.root, path))
        this.known.set(path, digest)
      }
      out[path] = digest
    }
    return out
  }

  /** One line per file that is missing, has another size, or another content; empty when all are intact. */
  async verify(files: FileDigestMap): Promise<string[]> {
    const problems: string[] = []
    for (const [path, expected] of Object.entries(files)) {
      const full = join(this.root, path)
      let size: number
      try {
        size = (await stat(full)).size
      } catch {
        problems.push(`${full} is missing`)
        continue
      }
      if (size !== expected.bytes) {
        problems.push(`${full} has ${size} bytes, the checkpoint wrote ${expected.bytes} (truncated or overwritten)`)
        continue
      }
      const actual = await digestFile(full)
      if (actual.sha256 !== expected.sha256) problems.push(`${full} does not match its checksum (overwritten or corrupt)`)
      else this.known.set(path, actual)
    }
    return problems
  }
}

async function digestFile(path: string): Promise<FileDigest> {
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of createReadStream(path)) {
    bytes += (chunk as Buffer).length
    hash.update(chunk as Buffer)
  }
  return { bytes, sha256: hash.digest('hex') }
}

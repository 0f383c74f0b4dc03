/**
 * Checks, before a run starts, that a directory it will write can be written: the
 * directory or its nearest existing ancestor must be a directory the process may write.
 * Node's recursive mkdir reports a read-only file system as ENOENT, so without this a
 * read-only disk would surface as a confusing "no such file or directory" later.
 *
 * @example
 * checkWritable('.rdg/jobs', '--data-dir') // throws EROFS/EACCES (printed as one line by printError) or a ConfigError
 */
import { accessSync, constants, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { ConfigError } from '../base/errors.ts'

export function checkWritable(dir: string, flag: string): void {
  let at = resolve(dir)
  for (;;) {
    let isDir: boolean
    try {
      isDir = statSync(at).isDirectory()
    } catch {
      const up = dirname(at)
      if (up === at) return
      at = up
      continue
    }
    if (!isDir) throw new ConfigError(`${flag} ${dir}: ${at} is a file, not a directory`, `name a directory for ${flag}`)
    // access(W_OK) fails with EROFS on a read-only file system, even for root
    accessSync(at, constants.W_OK)
    return
  }
}

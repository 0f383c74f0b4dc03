/**
 * One running job per data directory. Two processes on one directory would overwrite
 * each other's checkpoints and state; the second one is refused with a clear error. A
 * lock left by a process that died (SIGKILL, power loss) is taken over.
 *
 * @example
 * const lock = DataDirLock.acquire('.rdg/jobs/playback-events')
 * try { ... } finally { lock.release() }
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError } from '../../base/errors.ts'

export class DataDirLock {
  private constructor(private readonly path: string) {}

  static acquire(dir: string): DataDirLock {
    mkdirSync(dir, { recursive: true })
    const path = join(dir, 'LOCK')
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = openSync(path, 'wx')
        writeSync(fd, String(process.pid))
        closeSync(fd)
        return new DataDirLock(path)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err
        const holder = Number(readFileSync(path, 'utf8'))
        if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
          throw new ConfigError(
            `data directory ${dir} is in use by ${holder === process.pid ? 'another job of this process' : `process ${holder}`}`,
            'stop that job first, or give this one another --data-dir',
          )
        }
        rmSync(path, { force: true }) // its holder is gone
      }
    }
  }

  release(): void {
    rmSync(this.path, { force: true })
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

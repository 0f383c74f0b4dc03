import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DataDirLock } from '../../engine/checkpoint/data-dir-lock.ts'
import { ConfigError } from '../../base/errors.ts'

describe('one job per data directory', () => {
  it('refuses a second holder with one clear error until the first releases', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdg-lock-'))
    const first = DataDirLock.acquire(dir)
    expect(() => DataDirLock.acquire(dir)).toThrow(ConfigError)
    expect(() => DataDirLock.acquire(dir)).toThrow(`data directory ${dir} is in use by another job of this process`)
    first.release()
    DataDirLock.acquire(dir).release()
  })

  it('takes over a lock whose process died', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdg-lock-'))
    const gone = spawnSync(process.execPath, ['-e', '0']).pid
    writeFileSync(join(dir, 'LOCK'), String(gone))
    const lock = DataDirLock.acquire(dir)
    expect(() => DataDirLock.acquire(dir)).toThrow(ConfigError)
    lock.release()
  })

  it('names the other process', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdg-lock-'))
    writeFileSync(join(dir, 'LOCK'), String(process.ppid))
    expect(() => DataDirLock.acquire(dir)).toThrow(`data directory ${dir} is in use by process ${process.ppid}`)
  })
})

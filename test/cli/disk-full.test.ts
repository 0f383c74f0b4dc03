// A full disk under the graph store or the data directory, for real: a small tmpfs.
// Mounting needs root (as CI and the dev machines run); elsewhere these tests are skipped.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const bin = join(root, 'bin', 'rdg-job.js')

function tryMount(dir: string, size = '64k'): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const probe = mkdtempSync(join(tmpdir(), 'rdg-mount-probe-'))
const canMount = tryMount(probe)
if (canMount) execFileSync('umount', [probe])

describe.skipIf(!canMount)('a full disk', () => {
  const mounted: string[] = []
  const fullDisk = (size?: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'rdg-full-'))
    if (!tryMount(dir, size)) throw new Error(`cannot mount a tmpfs on ${dir}`)
    mounted.push(dir)
    return dir
  }
  afterEach(() => {
    for (const dir of mounted.splice(0)) execFileSync('umount', ['-l', dir])
  })

  const run = (store: string, dataDir: string) =>
    spawnSync(
      process.execPath,
      [bin, 'run', 'login-events', '--source', 'generator', '--count', '20000', '--store', store, '--data-dir', dataDir],
      { encoding: 'utf8', timeout: 60_000 },
    )

  it('under the graph store: one line saying what is wrong, a non-zero exit, within seconds', () => {
    const disk = fullDisk()
    const r = run(`rocksdb:${join(disk, 'graph')}`, join(mkdtempSync(join(tmpdir(), 'rdg-data-')), 'job'))
    expect(r.error).toBeUndefined() // not killed by the timeout: no hang
    expect(r.status).toBe(2)
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('rdg-job:'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      /^rdg-job: the graph store cannot write: no space left on the device \(.*No space left on device.*\); free space on its disk/,
    )
  })

  it('under the data directory: one line saying what is wrong, a non-zero exit, within seconds', () => {
    const disk = fullDisk('32k') // too small for the job's RocksDB state and checkpoints
    mkdirSync(join(disk, 'job'))
    const r = run(`rocksdb:${join(mkdtempSync(join(tmpdir(), 'rdg-graph-')), 'graph')}`, join(disk, 'job'))
    expect(r.error).toBeUndefined()
    expect(r.status).not.toBe(0)
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('rdg-job:'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      /^rdg-job: cannot write.*: no space left on the device \(.*\); free space or make it writable, or use another --data-dir \/ --store$/,
    )
  })

  // chmod does not stop root: a tmpfs remounted read-only does
  const readOnlyDisk = (): string => {
    const dir = fullDisk('1m')
    execFileSync('mount', ['-o', 'remount,ro', dir])
    return dir
  }

  it('a read-only graph store directory: one line, a non-zero exit, no hang', () => {
    const disk = readOnlyDisk()
    const r = run(`rocksdb:${join(disk, 'graph')}`, join(mkdtempSync(join(tmpdir(), 'rdg-data-')), 'job'))
    expect(r.error).toBeUndefined()
    expect(r.status).not.toBe(0)
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('rdg-job:'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/read-only/i)
  })

  it('a read-only data directory: one line, a non-zero exit, no hang', () => {
    const disk = readOnlyDisk()
    const r = run(`rocksdb:${join(mkdtempSync(join(tmpdir(), 'rdg-graph-')), 'graph')}`, join(disk, 'job'))
    expect(r.error).toBeUndefined()
    expect(r.status).not.toBe(0)
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('rdg-job:'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      /^rdg-job: cannot write.*: the file system is read-only \(.*\); free space or make it writable, or use another --data-dir \/ --store$/,
    )
  })
})

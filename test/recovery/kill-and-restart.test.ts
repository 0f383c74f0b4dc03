import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { describe, expect, it } from 'vitest'
import type { GraphPrimitive } from '../../graph/model.ts'
import { identityOf } from '../../graph/model.ts'
import { seededRandom } from '../../connectors/generator/prng.ts'

const RECORDS = 4_000
const RUNS = 20
const child = join(import.meta.dirname, 'child-job.ts')

/** Runs the child job; kills it with SIGKILL once it has read `killAt` records (if given). */
let restoredRuns = 0

function runChild(dataDir: string, sinkFile: string, killAt?: number): Promise<'killed' | 'done'> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, dataDir, sinkFile, String(RECORDS)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    let killed = false
    proc.stderr.on('data', (d) => (stderr += String(d)))
    createInterface({ input: proc.stdout }).on('line', (line) => {
      const done = /^done (.*)$/.exec(line)
      if (done && (JSON.parse(done[1]!) as { restoredFrom: number | null }).restoredFrom !== null) restoredRuns++
      const m = /^progress (\d+)$/.exec(line)
      if (m && killAt !== undefined && !killed && Number(m[1]) >= killAt) {
        killed = true
        proc.kill('SIGKILL')
      }
    })
    proc.on('exit', (code, signal) => {
      if (killed && signal === 'SIGKILL') resolve('killed')
      else if (code === 0) resolve('done')
      else reject(new Error(`child exited with ${code ?? signal}: ${stderr.slice(-2000)}`))
    })
  })
}

/** What an idempotent last-writer-wins store holds after applying the sink's lines in order. */
function contents(sinkFile: string): Map<string, GraphPrimitive> {
  const out = new Map<string, GraphPrimitive>()
  if (!existsSync(sinkFile)) return out
  for (const line of readFileSync(sinkFile, 'utf8').split('\n')) {
    if (!line) continue
    const p = JSON.parse(line) as GraphPrimitive
    const prev = out.get(identityOf(p))
    if (!prev || p.eventTime >= prev.eventTime) out.set(identityOf(p), p)
  }
  return out
}

const rng = seededRandom

describe('recovery: SIGKILL at random points, restart from checkpoints', () => {
  it(`ends with the same sink contents as an uninterrupted run, ${RUNS} times`, { timeout: 600_000 }, async () => {
    const base = mkdtempSync(join(tmpdir(), 'rdg-recovery-'))
    try {
      const expectedFile = join(base, 'expected.jsonl')
      expect(await runChild(join(base, 'expected'), expectedFile)).toBe('done')
      const expected = contents(expectedFile)
      expect(expected.size).toBeGreaterThan(150)

      const random = rng(20261122)
      for (let run = 0; run < RUNS; run++) {
        const dir = join(base, `run-${run}`)
        const sinkFile = join(base, `run-${run}.jsonl`)
        // one or two kills per run, at random numbers of records read
        const kills = [Math.floor(random() * RECORDS)]
        if (random() < 0.5) kills.push(Math.floor(random() * RECORDS))
        for (const killAt of kills) await runChild(dir, sinkFile, killAt)
        expect(await runChild(dir, sinkFile)).toBe('done')
        const actual = contents(sinkFile)
        expect({ run, kills, size: actual.size }).toEqual({ run, kills, size: expected.size })
        for (const [id, p] of expected) expect(actual.get(id), `run ${run} (kills at ${kills.join(', ')}): ${id}`).toEqual(p)
      }
      // most restarts must have resumed from a checkpoint, not replayed from the start
      expect(restoredRuns).toBeGreaterThanOrEqual(RUNS / 2)
    } finally {
      rmSync(base, { recursive: true, force: true })
    }
  })
})

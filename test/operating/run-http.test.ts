/**
 * `rdg-job run` with its HTTP server, as a user runs it: the address from RDG_HTTP (the
 * same as --http), JSON logs on stderr, /metrics scraped while the job runs, and a
 * SIGINT that ends the run cleanly.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { systemClock } from '../../base/clock.ts'
import { startCli } from '../infra/cli-process.ts'

const root = resolve(import.meta.dirname, '../..')

describe('rdg-job run --http', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rdg-run-http-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('serves /metrics while the job runs and logs JSON', async () => {
    const job = await startCli(
      [
        'run',
        'login-events',
        '--source',
        'generator',
        '--rate',
        '2000',
        '--count',
        '10000000',
        '--store',
        'memory',
        '--state',
        'heap',
        '--data-dir',
        dir,
        '--log-format',
        'json',
      ],
      /dashboard and metrics on (http:\/\/127\.0\.0\.1:\d+\/)/,
      { spawn: { cwd: root, env: { ...process.env, RDG_HTTP: '127.0.0.1:0' } } },
    )
    const url = job.match[1]!
    const stderr = job.output()
    const logLine = stderr.split('\n').find((l) => l.includes('dashboard and metrics on'))!
    expect(JSON.parse(logLine)).toMatchObject({ level: 30, component: 'http' })
    // scrape until the job has counted records (each scrape reads the live counters)
    let text = ''
    const deadline = systemClock.now() + 30_000
    while (systemClock.now() < deadline) {
      text = await (await fetch(`${url}metrics`)).text()
      if (/rdg_records_in_total\{job="login-events"\} [1-9]/.test(text)) break
      await systemClock.sleep(100)
    }
    expect(text).toMatch(/rdg_records_in_total\{job="login-events"\} [1-9]/)
    expect(text).toContain('rdg_operator_records_out_total{operator="dedup",job="login-events"}')
    expect((await fetch(`${url}healthz`)).status).toBe(200)
    expect(await job.stop('SIGINT')).toBe(0)
  })
})

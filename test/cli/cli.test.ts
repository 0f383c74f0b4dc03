import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const bin = join(import.meta.dirname, '..', '..', 'bin', 'rdg-job.js')
const root = join(import.meta.dirname, '..', '..')

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env } })
  return { code: r.status, out: r.stdout, err: r.stderr.split('\n').filter((l) => l && !l.includes('nodedir')) }
}

describe('rdg-job', () => {
  it('lists jobs with the node and edge types they produce', () => {
    const r = cli('list')
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/playback-events/)
    expect(r.out).toMatch(/edges: logged_in_from \(account → device, both ways\)/)
    expect(r.out).toMatch(/game-events/)
  })

  it('describes the compiled operator graph with ids', () => {
    const r = cli('describe', 'playback-events')
    expect(r.code).toBe(0)
    for (const id of ['source', 'filter', 'project', 'enrich', 'to-graph', 'dedup']) expect(r.out).toContain(id)
  })

  it.each([
    [['run', 'nope'], /^rdg-job: no job for topic "nope"; known topics: playback-events/],
    [
      ['run', 'playback-events'],
      /^rdg-job: no source given; pass --source generator, --source file:<path.jsonl>, or --brokers <host:port> for Kafka/,
    ],
    [['run', 'playback-events', '--source', 'ftp://x'], /^rdg-job: unknown source "ftp:\/\/x"/],
    [['run', 'playback-events', '--source', 'generator', '--count', '-5'], /^rdg-job: --count must be a positive number/],
    [['run', 'playback-events', '--brokers', 'localhost'], /^rdg-job: --brokers "localhost" is not host:port/],
    [['run', 'playback-events', '--brokers', '127.0.0.1:9', '--source', 'generator'], /^rdg-job: --source and --brokers both given/],
    [
      [
        'run',
        'playback-events',
        '--source',
        'file:/no/such/file.jsonl',
        '--data-dir',
        mkdtempSync(join(tmpdir(), 'rdg-cli-')),
        '--store',
        mkdtempSync(join(tmpdir(), 'rdg-cli-')),
      ],
      /^rdg-job: input file \/no\/such\/file.jsonl does not exist/,
    ],
    [['frobnicate'], /^rdg-job: unknown command "frobnicate"; see rdg-job --help for the commands$/],
    [
      ['query', 'neighbors', 'account', 'a1', 'no_such_edge', '--store', mkdtempSync(join(tmpdir(), 'rdg-cli-'))],
      /^rdg-job: unknown edge type "no_such_edge"/,
    ],
    [['query', 'node', 'account', 'a1', '--store', '/no/such/graph'], /^rdg-job: no graph store at \/no\/such\/graph; check --store/],
  ])('%j: one clear line, exit code 2', (args, message) => {
    const r = cli(...args)
    expect(r.err).toHaveLength(1)
    expect(r.err[0]).toMatch(message)
    expect(r.code).toBe(2)
  })

  it('rejects a malformed job module with one line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdg-cli-'))
    const mod = join(dir, 'bad-job.ts')
    writeFileSync(mod, "export default { topic: 'x', value: { format: 'json' }, eventTime: 'ts', graph: { nodes: {}, edges: {} } }\n")
    const r = cli('describe', mod)
    expect(r.err).toEqual([expect.stringMatching(/job module .*bad-job.ts: "toGraph" must be a function/)])
    expect(r.code).toBe(2)
  })

  it('runs a user job module given by path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdg-cli-'))
    const mod = join(dir, 'clicks.ts')
    writeFileSync(
      mod,
      `import { defineJob } from '${join(root, 'graph/job-definition.ts')}'
export default defineJob({
  topic: 'clicks',
  value: { format: 'json' },
  eventTime: 'ts',
  graph: { nodes: { user: { properties: {} } }, edges: {} },
  toGraph: (e: { user: string; ts: number }, g) => g.node('user', e.user, {}),
})
`,
    )
    const input = join(dir, 'clicks.jsonl')
    writeFileSync(input, '{"user":"u1","ts":1000}\n{"user":"u2","ts":2000}\n{"user":"u1","ts":3000}\n')
    const store = join(dir, 'graph')
    const r = cli('run', mod, '--source', `file:${input}`, '--data-dir', join(dir, 'jobs'), '--store', store)
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/clicks: end-of-input/)
    expect(r.out).toMatch(/primitives\s+3 → 2 after dedup/)
    const q = cli('query', 'node', 'user', 'u1', '--store', store, '--job', mod, '--json')
    expect(JSON.parse(q.out)).toMatchObject({ ref: { type: 'user', id: 'u1' }, eventTime: 3000 })
  })

  it('takes options from RDG_* environment variables and a config file, flags first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdg-cli-'))
    const config = join(dir, 'rdg.json')
    writeFileSync(config, JSON.stringify({ source: 'ftp://from-config' }))
    expect(cli('run', 'playback-events', '--config', config).err[0]).toMatch(/unknown source "ftp:\/\/from-config"/)
    const r = spawnSync(process.execPath, [bin, 'run', 'playback-events', '--config', config], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, RDG_SOURCE: 'ftp://from-env' },
    })
    expect(r.stderr).toMatch(/unknown source "ftp:\/\/from-env"/)
    expect(cli('run', 'playback-events', '--config', config, '--source', 'ftp://from-flag').err[0]).toMatch(/ftp:\/\/from-flag/)
  })
})

describe('rdg-job run, long-running', () => {
  it('stops on SIGINT after a final checkpoint and resumes from it on the next run', async () => {
    const { spawn } = await import('node:child_process')
    const { createInterface } = await import('node:readline')
    const dir = mkdtempSync(join(tmpdir(), 'rdg-cli-'))
    const args = [
      bin,
      'run',
      'login-events',
      '--source',
      'generator',
      '--rate',
      '2000',
      '--checkpoint-interval',
      '300',
      '--data-dir',
      join(dir, 'jobs'),
      '--store',
      join(dir, 'graph'),
    ]
    const first = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    first.stdout.on('data', (d) => (out += String(d)))
    // wait for a progress line (the job is running and has checkpointed), then interrupt
    await new Promise<void>((resolve) => {
      createInterface({ input: first.stderr }).on('line', (line) => {
        if (/records, .* checkpoint \d+/.test(line)) resolve()
      })
    })
    first.kill('SIGINT')
    const code = await new Promise<number | null>((resolve) => first.on('exit', (c) => resolve(c)))
    expect(code).toBe(0)
    expect(out).toMatch(/login-events: signal/)
    const again = cli(...args.slice(1), '--count', '1') // already past 1 event: ends at once, after restoring
    expect(again.out).toMatch(/resumed from checkpoint \d+/)
  })
})

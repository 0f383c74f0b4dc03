// Issue 14 point 6 and issue 12's first-contact mistakes: each is one line on stderr that
// says what is wrong and how to fix it, with exit code 2; and a record with a NUL in an id
// is one dead letter, once, however often the job restarts.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
const bin = join(root, 'bin', 'rdg-job.js')
const work = mkdtempSync(join(tmpdir(), 'rdg-mistakes-'))
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RDG_')))

function cli(args: readonly string[], env: Record<string, string> = {}, cwd = work) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...cleanEnv, ...env }, timeout: 60_000 })
  return { code: r.status, out: r.stdout, err: r.stderr.split('\n').filter((l) => l && !l.includes('nodedir')) }
}

const job = (topic: string, exportLine = 'export default') => `import { defineJob, json } from 'rdg'
${exportLine} defineJob({ topic: ${JSON.stringify(topic)}, value: json<{ a: string; ts: number }>(), eventTime: 'ts',
  graph: { nodes: { a: { properties: {} } }, edges: {} }, toGraph: (e, g) => { g.node('a', e.a, {}) } })
`
writeFileSync(join(work, 'escaped.ts'), job('../../escaped'))
writeFileSync(join(work, 'named.ts'), job('named', 'export const clicks ='))
writeFileSync(join(work, 'syntax.ts'), 'export default {{{ topic:\n')
writeFileSync(join(work, 'bad.json'), '{"store": ')
writeFileSync(join(work, 'typo.json'), '{"stat": "heap"}')
mkdirSync(join(work, 'src'))
const gen = ['run', 'login-events', '--source', 'generator', '--count', '10', '--store', 'memory']

describe('a user mistake is one line with exit code 2', () => {
  it.each<[string, readonly string[], Record<string, string>, RegExp]>([
    [
      'an unparseable --config',
      ['list', '--config', 'bad.json'],
      {},
      /^rdg-job: config file bad\.json is not valid JSON: .*; fix it: one JSON object/,
    ],
    [
      'a --config that does not exist',
      ['list', '--config', 'nope.json'],
      {},
      /^rdg-job: config file nope\.json cannot be read \(no such file\); check --config$/,
    ],
    [
      '--data-dir naming a file',
      [...gen, '--data-dir', join(root, 'README.md')],
      {},
      /^rdg-job: --data-dir .*README\.md is a file, not a directory; name a directory/,
    ],
    [
      '--source file: on a directory',
      ['run', 'login-events', '--source', 'file:src', '--store', 'memory'],
      {},
      /^rdg-job: input src is a directory, not a JSON-lines file; name a file after --source file:/,
    ],
    [
      '--state bogus',
      [...gen, '--state', 'bogus'],
      {},
      /^rdg-job: --state "bogus" is not one of "heap", "rocksdb"; pick one, e.g. --state heap$/,
    ],
    ['RDG_STATE=bogus', gen, { RDG_STATE: 'bogus' }, /^rdg-job: RDG_STATE="bogus" is not one of "heap", "rocksdb"/],
    [
      'a syntax error in a job module',
      ['run', join(work, 'syntax.ts'), '--source', 'generator'],
      {},
      /^rdg-job: job module .*syntax\.ts failed to load: .*syntax\.ts:1:\d+: ERROR: /,
    ],
    [
      'a job module with a named export only',
      ['run', join(work, 'named.ts'), '--source', 'generator'],
      {},
      /^rdg-job: job module .*named\.ts has no default export/,
    ],
    [
      'a topic that would escape --data-dir',
      ['run', join(work, 'escaped.ts'), '--source', 'generator', '--store', 'memory'],
      {},
      /^rdg-job: job module .*escaped\.ts: "topic" "\.\.\/\.\.\/escaped" may only contain ASCII letters, digits/,
    ],
    [
      'an RDG_* variable that is no option',
      ['list'],
      { RDG_DIR: 'x' },
      /^rdg-job: environment variable RDG_DIR names no option of rdg-job list/,
    ],
    [
      'a config-file key that is no option',
      [...gen, '--config', 'typo.json'],
      {},
      /^rdg-job: config file typo\.json has the key "stat", which is no option of rdg-job run; did you mean "state"\?$/,
    ],
    ['a misspelled command', ['lsit'], {}, /^rdg-job: unknown command "lsit"; did you mean "list"\?/],
    [
      'a misspelled flag',
      ['run', 'login-events', '--sorce', 'generator'],
      {},
      /^rdg-job: unknown option --sorce for rdg-job run; did you mean --source\?$/,
    ],
    [
      'RDG_STORE=bogus',
      ['run', 'login-events', '--source', 'generator', '--count', '10'],
      { RDG_STORE: 'bogus' },
      /^rdg-job: RDG_STORE=bogus names no known store; use .*say rocksdb:bogus$/,
    ],
    [
      '--schema-dir before produce made it',
      ['run', 'playback-events', '--brokers', '127.0.0.1:9', '--schema-dir', 'schemas'],
      {},
      /^rdg-job: schema directory schemas does not exist; the producer writes it: rdg-job produce playback-events --brokers 127\.0\.0\.1:9 --schema-dir schemas/,
    ],
    [
      '--dead-letter-stop-ratio out of range',
      [...gen, '--dead-letter-stop-ratio', '2'],
      {},
      /^rdg-job: --dead-letter-stop-ratio must be in \(0, 1\], got 2/,
    ],
    [
      '--dead-letter-check not a count',
      [...gen, '--dead-letter-check', '-1'],
      {},
      /^rdg-job: --dead-letter-check must be a whole number of records >= 0/,
    ],
  ])('%s', (_, args, env, line) => {
    const r = cli(args, env)
    expect(r.err).toHaveLength(1)
    expect(r.err[0]).toMatch(line)
    expect(r.code).toBe(2)
    expect(readdirSync(work)).not.toContain('bogus') // RDG_STORE=bogus created nothing
  })

  it('--version and -h work', () => {
    const v = cli(['--version'])
    expect(v.code).toBe(0)
    expect(v.out.trim()).toBe((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version)
    const h = cli(['-h'])
    expect(h.code).toBe(0)
    for (const c of ['list', 'describe', 'run', 'check', 'demo', 'query', 'produce']) expect(h.out).toContain(`rdg-job ${c}`)
  })
})

describe('bad records and restarts through the CLI', () => {
  const lines = readFileSync(join(root, 'examples', 'login-events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
  const event = JSON.parse(lines[0]!) as Record<string, unknown>
  const input = join(work, 'with-nul.jsonl')
  writeFileSync(
    input,
    [...lines.slice(0, 20), JSON.stringify({ ...event, accountId: 'acct\u0000x' }), 'not json', ...lines.slice(20)].join('\n') + '\n',
  )

  it('a NUL in an id is a dead letter with its reason; the run ends well, and a restart does not write the letters again', () => {
    const dataDir = join(work, 'jobs-nul')
    const store = `rocksdb:${join(work, 'graph-nul')}`
    const args = ['run', 'login-events', '--source', `file:${input}`, '--data-dir', dataDir, '--store', store, '--state', 'heap']
    const first = cli(args)
    expect(first.err).toEqual([])
    expect(first.code).toBe(0)
    expect(first.out).toMatch(/dead letters\s+2 /)
    expect(first.out).toMatch(/\n\s+1\s+to-graph failed\n/)
    expect(first.out).toMatch(/\n\s+1\s+cannot decode\n/)
    const file = join(dataDir, 'login-events', 'dead-letters.jsonl')
    const letters = () => readFileSync(file, 'utf8').split('\n').filter(Boolean)
    expect(letters()).toHaveLength(2)
    expect(letters().join('\n')).toMatch(/to-graph failed: node account id \\"acct\\\\u0000x\\" contains the control character U\+0000/)
    for (let i = 0; i < 2; i++) {
      const again = cli(args)
      expect(again.code).toBe(0)
      expect(letters()).toHaveLength(2)
    }
    // and afresh (no checkpoint to resume): the file is rewritten, not appended to
    const fresh = cli([...args.slice(0, -4), '--store', 'memory'])
    expect(fresh.code).toBe(0)
    expect(
      readFileSync(join(dataDir, 'memory-run', 'login-events', 'dead-letters.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean),
    ).toHaveLength(2)
    expect(readdirSync(dataDir).filter((d) => d.startsWith('memory-run-'))).toEqual([])
  })

  it('--on-dead-letter fail stops at the first dead letter with one line', () => {
    const r = cli([
      'run',
      'login-events',
      '--source',
      `file:${input}`,
      '--data-dir',
      join(work, 'jobs-fail'),
      '--store',
      'memory',
      '--on-dead-letter',
      'fail',
    ])
    expect(r.code).toBe(2)
    expect(r.err).toHaveLength(1)
    expect(r.err[0]).toMatch(/^rdg-job: stopped at the first dead letter \(on dead letter: fail\): /)
  })
})

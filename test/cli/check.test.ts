/**
 * `rdg-job check`: a job module with each common mistake (a misspelled field in the
 * filter, a wrong event-time field, a node type toGraph emits but `graph` does not
 * declare, a projected field the schema lacks, a syntax error) exits 2 with a
 * `file:line:col` line naming it; the built-in jobs check clean; and `run` refuses a
 * semantically wrong module before it reads any input.
 *
 * @example
 * npx vitest run --project unit test/cli/check.test.ts
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
const bin = join(root, 'bin', 'rdg-job.js')

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env } })
  return {
    code: r.status,
    out: r.stdout.split('\n').filter((l) => l),
    err: r.stderr.split('\n').filter((l) => l && !l.includes('nodedir')),
  }
}

/** A directory where `import ... from 'rdg'` resolves at run time too (as after `npm install rdg`). */
function projectDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rdg-check-'))
  mkdirSync(join(dir, 'node_modules'))
  symlinkSync(root, join(dir, 'node_modules', 'rdg'), 'dir')
  return dir
}

const CLEAN = `import { defineGraphSchema, defineJob, type ValueFormat } from 'rdg'

interface Click {
  user: string
  page: string
  ts: number
}

const schema = {
  type: 'record',
  name: 'Click',
  fields: [
    { name: 'user', type: 'string' },
    { name: 'page', type: 'string' },
    { name: 'ts', type: 'long' },
  ],
}

const graph = defineGraphSchema({
  nodes: { user: { properties: {} }, page: { properties: {} } },
  edges: { viewed: { from: 'user', to: 'page', direction: 'both', properties: { lastSeen: 'timestamp' } } },
})

export default defineJob({
  topic: 'clicks',
  value: { format: 'avro', schema } as ValueFormat<Click>,
  eventTime: 'ts',
  filter: (e) => e.page !== '',
  graph,
  toGraph: (e, g) => {
    g.node('user', e.user, {})
    g.node('page', e.page, {})
    g.edge('viewed', { type: 'user', id: e.user }, { type: 'page', id: e.page }, { lastSeen: e.ts })
  },
})
`

/** Writes CLEAN with `from` replaced by `to` (which must occur once) as `<name>.ts`. */
function jobModule(dir: string, name: string, from?: string, to?: string): string {
  let text = CLEAN
  if (from !== undefined) {
    expect(text.split(from)).toHaveLength(2)
    text = text.replace(from, to!)
  }
  const path = join(dir, `${name}.ts`)
  writeFileSync(path, text)
  return path
}

/** 1-based line and column of `needle` in the module text. */
function positionOf(text: string, needle: string): string {
  const at = text.indexOf(needle)
  expect(at).toBeGreaterThanOrEqual(0)
  const before = text.slice(0, at).split('\n')
  return `${before.length}:${before[before.length - 1]!.length + 1}`
}

describe('rdg-job check', () => {
  const dir = projectDir()

  it('passes a correct module importing rdg, and says what it checked', () => {
    const path = jobModule(dir, 'clean')
    const r = cli('check', path)
    expect(r.err).toEqual([])
    expect(r.out).toEqual([expect.stringMatching(/^ok: .*clean\.ts \(\d+ checks, type check \d+ ms\)$/)])
    expect(r.code).toBe(0)
  })

  it.each([
    [
      'misspelled field in filter',
      "filter: (e) => e.page !== ''",
      "filter: (e) => e.pag !== ''",
      'e.pag',
      /filter reads "pag", which its records do not have \(did you mean "page"\?\)/,
    ],
    [
      'eventTime of a missing field',
      "eventTime: 'ts'",
      "eventTime: 'tss'",
      "'tss'",
      /eventTime "tss" is not a field of the value schema \(did you mean "ts"\?\)/,
    ],
    [
      'node type not declared in graph',
      "g.node('page', e.page, {})",
      "g.node('pages', e.page, {})",
      "'pages'",
      /toGraph emits node type "pages", which graph does not declare \(did you mean "page"\?\)/,
    ],
    [
      'latest index of a list not kept',
      "direction: 'both', properties: { lastSeen: 'timestamp' } }",
      "direction: 'out', latestIndex: 'in', properties: { lastSeen: 'timestamp' } }",
      'viewed',
      /edge type "viewed": latestIndex 'in' indexes the reverse lists, which need direction 'both'/,
    ],
    [
      'projection of a missing field',
      "filter: (e) => e.page !== '',",
      "filter: (e) => e.page !== '',\n  project: ['user', 'page', 'referrer'],",
      "'referrer'",
      /project keeps "referrer", which is not a field of the value schema/,
    ],
  ])('%s: exit 2 and a file:line:col line naming it', (name, from, to, needle, message) => {
    const path = jobModule(dir, name.replace(/\W+/g, '-'), from, to)
    const text = CLEAN.replace(from, to)
    const r = cli('check', path)
    const at = positionOf(text, needle).split(':')
    const column = needle.startsWith('e.') ? Number(at[1]) + 2 : Number(at[1])
    // the semantic problem at the offending spot; the type error (tsc's wording) too
    expect(r.out).toContainEqual(
      expect.stringMatching(new RegExp(`^.*${name.replace(/\W+/g, '-')}\\.ts:${at[0]}:${column} ${message.source}`)),
    )
    expect(r.out.some((l) => / \(TS\d+\)$/.test(l))).toBe(true)
    expect(r.err).toEqual([expect.stringMatching(/^rdg-job: \d+ problems? in .*\.ts$/)])
    expect(r.code).toBe(2)
  })

  it('a syntax error: its position, exit 2, and no attempt to load the module', () => {
    const path = jobModule(dir, 'syntax', "    g.node('user', e.user, {})\n", "    g.node('user', e.user, {}\n")
    const r = cli('check', path)
    expect(r.out[0]).toMatch(/syntax\.ts:\d+:\d+ .*expected\. \(TS1005\)$/)
    expect(r.out.join('\n')).not.toMatch(/failed to load/)
    expect(r.code).toBe(2)
  })

  it('a JSON-valued job: what needs a schema is skipped, and the output says so', () => {
    const path = join(dir, 'json-job.ts')
    writeFileSync(
      path,
      `import { defineJob, type ValueFormat } from 'rdg'
export default defineJob({
  topic: 'visits',
  value: { format: 'json' } as ValueFormat<{ user: string; ts: number }>,
  eventTime: 'ts',
  graph: { nodes: { user: { properties: {} } }, edges: {} },
  toGraph: (e, g) => g.node('user', e.user, {}),
})
`,
    )
    const r = cli('check', path)
    expect(r.out).toContainEqual(expect.stringMatching(/^note: .*json-job\.ts: value is JSON without a schema/))
    expect(r.out[r.out.length - 1]).toMatch(/^ok: .*json-job\.ts/)
    expect(r.code).toBe(0)
  })

  it.each(['playback-events', 'login-events', 'game-events'])('built-in job %s checks clean', (topic) => {
    const r = cli('check', topic)
    expect(r.out).toEqual([expect.stringMatching(new RegExp(`^ok: jobs/${topic}\\.ts \\(\\d+ checks, type check \\d+ ms\\)$`))])
    expect(r.code).toBe(0)
  })

  it('also checks a built-in job given by its path', () => {
    const r = cli('check', 'jobs/playback-events.ts')
    expect(r.out).toEqual([expect.stringMatching(/^ok: jobs\/playback-events\.ts/)])
    expect(r.code).toBe(0)
  })
})

describe('rdg-job run validates the job first', () => {
  it('refuses a module whose toGraph emits an undeclared node type, before reading any input', () => {
    const dir = projectDir()
    const path = jobModule(dir, 'undeclared', "g.node('page', e.page, {})", "g.node('pages', e.page, {})")
    const input = join(dir, 'clicks.jsonl')
    writeFileSync(input, '{"user":"u1","page":"p1","ts":1000}\n')
    const store = join(dir, 'graph')
    const data = join(dir, 'jobs')
    const r = cli('run', path, '--source', `file:${input}`, '--data-dir', data, '--store', store)
    expect(r.err).toEqual([
      expect.stringMatching(/^rdg-job: job module .*undeclared\.ts: toGraph emits node type "pages", which graph does not declare/),
    ])
    expect(r.out).toEqual([])
    expect(r.code).toBe(2)
    // nothing started: no store opened, no data directory (checkpoints, dead letters)
    expect(existsSync(store)).toBe(false)
    expect(existsSync(data)).toBe(false)
  })
})

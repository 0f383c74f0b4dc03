// A job author's module outside the repository, importing `from 'rdg'` and its subpaths:
// the real CLI runs it with no node_modules near it (package-hooks.ts resolves rdg to the
// CLI's own package), and the author's tsc type-checks it against rdg's types.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
const bin = join(root, 'bin', 'rdg-job.js')

const clicksJob = `import { defineGraphSchema, defineJob, json } from 'rdg'
import { MemoryGraphSink } from 'rdg/connectors'
import { CollectingSink, ManualClock } from 'rdg/testing'

interface Click { user: string; page: string; ts: number; ua: string }

const graph = defineGraphSchema({
  nodes: { user: { properties: {} }, page: { properties: { path: 'string' } } },
  edges: { visited: { from: 'user', to: 'page', direction: 'both', properties: { at: 'timestamp' } } },
})

// where rdg came from, and that the subpaths loaded
console.log('rdg is ' + import.meta.resolve('rdg'))
console.log('subpaths: ' + [MemoryGraphSink, CollectingSink, ManualClock].map((c) => c.name).join(' '))

export default defineJob({
  topic: 'clicks',
  value: json<Click>(),
  eventTime: 'ts',
  filter: (e) => e.page !== '/health',
  project: ['user', 'page', 'ts'],
  graph,
  toGraph: (e, g) => {
    const user = { type: 'user', id: e.user } as const
    g.node('user', e.user, {})
    g.node('page', e.page, { path: e.page })
    g.edge('visited', user, { type: 'page', id: e.page }, { at: e.ts })
  },
})
`

const events = [
  '{"user":"u1","page":"/a","ts":1000,"ua":"x"}',
  '{"user":"u2","page":"/a","ts":2000,"ua":"x"}',
  '{"user":"u1","page":"/health","ts":2500,"ua":"x"}',
  '{"user":"u1","page":"/a","ts":3000,"ua":"x"}',
]

function authorDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rdg-author-'))
  writeFileSync(join(dir, 'clicks.ts'), clicksJob)
  writeFileSync(join(dir, 'events.jsonl'), events.join('\n') + '\n')
  return dir
}

function cli(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env } })
  return { code: r.status, out: r.stdout, err: r.stderr.split('\n').filter((l) => l && !l.includes('nodedir')) }
}

describe("a job module importing 'rdg' from outside the repository", () => {
  it('runs through the real CLI, with rdg resolved to the CLI’s own package', () => {
    const dir = authorDir()
    const r = cli(
      dir,
      'run',
      join(dir, 'clicks.ts'),
      '--source',
      `file:${join(dir, 'events.jsonl')}`,
      '--store',
      'memory',
      '--data-dir',
      join(dir, 'jobs'),
    )
    expect(r.err).toEqual([])
    expect(r.code).toBe(0)
    expect(r.out).toContain(`rdg is ${pathToFileURL(join(root, 'index.ts')).href}\n`)
    expect(r.out).toContain('subpaths: MemoryGraphSink CollectingSink ManualClock\n')
    expect(r.out).toMatch(/clicks: end-of-input/)
    expect(r.out).toMatch(/records in\s+4/)
    expect(r.out).toMatch(/filtered out\s+1/)
    // 3 clicks × (user, page, visited) = 9; u1, u2, /a, u1→/a, u2→/a remain after dedup
    expect(r.out).toMatch(/primitives\s+9 → 5 after dedup/)
    expect(r.out).toMatch(/dead letters\s+0/)
  })

  it('names the exported subpaths when a job imports one that does not exist', () => {
    const dir = authorDir()
    writeFileSync(join(dir, 'bad.ts'), "import { x } from 'rdg/engine'\nexport default x\n")
    const r = cli(dir, 'describe', join(dir, 'bad.ts'))
    expect(r.err).toEqual([
      expect.stringMatching(
        /failed to load: "rdg\/engine" is not exported by rdg \(it exports rdg, rdg\/connectors, rdg\/store, rdg\/testing/,
      ),
    ])
    expect(r.code).toBe(2)
  })

  it("type-checks with the author's tsc when rdg is installed (npm install links it into node_modules)", () => {
    const dir = authorDir()
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-jobs', type: 'module', dependencies: { rdg: `file:${root}` } }))
    mkdirSync(join(dir, 'node_modules'))
    symlinkSync(root, join(dir, 'node_modules', 'rdg'), 'dir')
    writeFileSync(
      join(dir, 'typo.ts'),
      `import { defineJob, json } from 'rdg'
export default defineJob({
  topic: 'typo',
  value: json<{ user: string; ts: number }>(),
  eventTime: 'ts',
  graph: { nodes: { user: { properties: {} } }, edges: {} },
  toGraph: (e, g) => {
    // @ts-expect-error: 'usr' is not a node type of the graph
    g.node('usr', e.user, {})
  },
})
`,
    )
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        // rdg ships its TypeScript sources, whose imports end in .ts
        allowImportingTsExtensions: true,
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [join(root, 'node_modules', '@types')],
      },
      include: ['*.ts'],
    }
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))
    const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], {
      cwd: dir,
      encoding: 'utf8',
    })
    expect(r.stdout + r.stderr).toBe('')
    expect(r.status).toBe(0)
  }, 120_000)
})

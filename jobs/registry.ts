/**
 * The built-in jobs by topic, and loading of a user's job module by path.
 * Adding a topic is adding a module here (or passing its path to `rdg-job run`); the
 * engine does not change. A job module may live anywhere: its `import … from 'rdg'`
 * (and `rdg/connectors`, `rdg/store`, `rdg/testing`) resolves to this package, the one
 * the CLI runs (package-hooks.ts).
 *
 * @example
 * const job = await resolveJob('playback-events')   // built-in
 * const mine = await resolveJob('./jobs/my-topic.ts') // a user's module
 */
import { existsSync, readFileSync } from 'node:fs'
import { register } from 'node:module'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { tsImport } from 'tsx/esm/api'
import { ConfigError } from '../base/errors.ts'
import { untypedJob, type JobDefinition } from '../graph/job-definition.ts'
import { validateJobDefinition } from '../graph/job-validation.ts'
import type { PackageHooksData } from './package-hooks.ts'
import playback from './playback-events.ts'
import login from './login-events.ts'
import game from './game-events.ts'

export const builtInJobs: ReadonlyMap<string, JobDefinition> = new Map<string, JobDefinition>([
  [playback.topic, untypedJob(playback)],
  [login.topic, untypedJob(login)],
  [game.topic, untypedJob(game)],
])

/** A built-in topic, or a path to a module whose default export is a defineJob(...). */
export async function resolveJob(topicOrPath: string): Promise<JobDefinition> {
  const builtIn = builtInJobs.get(topicOrPath)
  if (builtIn) return builtIn
  const looksLikePath = /[/\\]|\.(ts|js|mjs|mts)$/.test(topicOrPath)
  if (!looksLikePath) {
    throw new ConfigError(
      `no job for topic "${topicOrPath}"`,
      `known topics: ${[...builtInJobs.keys()].join(', ')} (or pass the path of a job module)`,
    )
  }
  const path = resolve(topicOrPath)
  if (!existsSync(path)) throw new ConfigError(`job module ${topicOrPath} does not exist`, 'check the path')
  let mod: { default?: unknown }
  try {
    mod = (await importJobModule(path)) as { default?: unknown }
  } catch (err) {
    // esbuild's "Transform failed with 1 error:" is followed by the line that says where and what
    const lines = (err as Error).message.split('\n').filter((l) => l.trim() !== '')
    const what = /^Transform failed with \d+ errors?:?$/.test(lines[0] ?? '') && lines[1] ? lines[1].trim() : (lines[0] ?? String(err))
    throw new ConfigError(`job module ${topicOrPath} failed to load: ${what}`, 'fix the module (rdg-job check <module> type-checks it)')
  }
  // A module tsx compiled as CommonJS arrives with its exports under `default`.
  let exported = mod.default
  if (exported && typeof exported === 'object' && 'default' in exported && !('topic' in exported)) exported = exported.default
  return validateJobDefinition(exported, topicOrPath)
}

let packageHooks: boolean | undefined

/**
 * Registers package-hooks.ts once; false when it cannot be, i.e. no TypeScript loader
 * runs in the module hooks thread (bin/rdg-job.js registers tsx before anything else).
 */
function registerPackageHooks(): boolean {
  if (packageHooks !== undefined) return packageHooks
  const root = new URL('../', import.meta.url)
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { name: string; exports: Record<string, string> }
  const data: PackageHooksData = { name: pkg.name, root: root.href, exports: pkg.exports }
  try {
    register('./package-hooks.ts', { parentURL: import.meta.url, data })
    packageHooks = true
  } catch {
    packageHooks = false
  }
  return packageHooks
}

/**
 * Imports a job module through the tsx loader the CLI runs under, with `rdg` resolving to
 * this package; without it (no tsx in the hooks thread), through tsImport, where `rdg`
 * resolves only as Node would resolve it from the module.
 */
async function importJobModule(path: string): Promise<unknown> {
  if (registerPackageHooks()) return import(pathToFileURL(path).href)
  return tsImport(path, import.meta.url)
}

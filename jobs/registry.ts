/**
 * The built-in jobs by topic, and loading of a user's job module by path.
 * Adding a topic is adding a module here (or passing its path to `rdg-job run`); the
 * engine does not change.
 *
 * @example
 * const job = await resolveJob('playback-events')   // built-in
 * const mine = await resolveJob('./jobs/my-topic.ts') // a user's module
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { tsImport } from 'tsx/esm/api'
import { ConfigError } from '../base/errors.ts'
import type { JobDefinition } from '../graph/job-definition.ts'
import { validateJobDefinition } from '../graph/job-validation.ts'
import playback from './playback-events.ts'
import login from './login-events.ts'
import game from './game-events.ts'

export const builtInJobs: ReadonlyMap<string, JobDefinition> = new Map<string, JobDefinition>([
  [playback.topic, playback as JobDefinition],
  [login.topic, login as JobDefinition],
  [game.topic, game as JobDefinition],
])

/** A built-in topic, or a path to a module whose default export is a defineJob(...). */
export async function resolveJob(topicOrPath: string): Promise<JobDefinition> {
  const builtIn = builtInJobs.get(topicOrPath)
  if (builtIn) return builtIn
  const looksLikePath = /[/\\]|\.(ts|js|mjs|mts)$/.test(topicOrPath)
  if (!looksLikePath) {
    throw new ConfigError(`no job for topic "${topicOrPath}"`, `known topics: ${[...builtInJobs.keys()].join(', ')} (or pass the path of a job module)`)
  }
  const path = resolve(topicOrPath)
  if (!existsSync(path)) throw new ConfigError(`job module ${topicOrPath} does not exist`, 'check the path')
  let mod: { default?: unknown }
  try {
    // tsx loads TypeScript job modules wherever they live, whatever their package says.
    mod = (await tsImport(path, import.meta.url)) as { default?: unknown }
  } catch (err) {
    throw new ConfigError(`job module ${topicOrPath} failed to load: ${(err as Error).message.split('\n')[0]}`)
  }
  // A module tsx compiled as CommonJS arrives with its exports under `default`.
  let exported = mod.default
  if (exported && typeof exported === 'object' && 'default' in exported && !('topic' in exported)) exported = (exported as { default: unknown }).default
  return validateJobDefinition(exported, topicOrPath)
}

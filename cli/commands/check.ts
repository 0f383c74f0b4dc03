/**
 * `rdg-job check <job>`: finds a job module's mistakes without running it. Type-checks the
 * module (cli/type-check.ts), loads it, and validates what the definition means
 * (graph/job-lint.ts: event-time and projected fields against the Avro schema, the node
 * and edge types toGraph emits against `graph`, ...). Prints each problem as
 * `file:line:col message` and exits 2 when there is one, else prints
 * `ok: <module> (<n> checks, type check <ms> ms)`.
 *
 * @example
 * rdg-job check ./jobs/clicks.ts
 * rdg-job check playback-events
 */
import { existsSync } from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'
import type { CommandModule } from 'yargs'
import { ConfigError } from '../../base/errors.ts'
import type { JobDefinition } from '../../graph/job-definition.ts'
import { lintJob } from '../../graph/job-lint.ts'
import { JobDefinitionError } from '../../graph/job-validation.ts'
import { builtInJobs, resolveJob } from '../../jobs/registry.ts'
import { PACKAGE_ROOT } from '../job-io.ts'
import { typeCheckJobModule, type SourceDiagnostic } from '../type-check.ts'

/** The module file of a built-in topic (jobs/<topic>.ts) or of a path. */
function modulePathOf(job: string): string {
  if (builtInJobs.has(job)) return join(PACKAGE_ROOT, 'jobs', `${job}.ts`)
  const path = resolve(job)
  if (!existsSync(path)) {
    if (!/[/\\]|\.(ts|js|mjs|mts)$/.test(job))
      throw new ConfigError(
        `no job for topic "${job}"`,
        `known topics: ${[...builtInJobs.keys()].join(', ')} (or pass the path of a job module)`,
      )
    throw new ConfigError(`job module ${job} does not exist`, 'check the path')
  }
  return path
}

/** A path for messages: relative to the working directory when below it. */
function shown(path: string): string {
  const r = relative(process.cwd(), path)
  return r.startsWith('..') || isAbsolute(r) ? path : r
}

export const checkCommand: CommandModule<object, { job: string }> = {
  command: 'check <job>',
  describe: 'Type-check a job module (or a built-in topic) and validate its definition without running it',
  builder: (y) => y.positional('job', { type: 'string', demandOption: true, describe: 'path to a job module, or a built-in topic' }),
  handler: async (args) => {
    const path = modulePathOf(args.job)
    const types = await typeCheckJobModule(path)
    const found: SourceDiagnostic[] = [...types.diagnostics]
    const notes: string[] = []
    let checks = 1
    const at = (problem: { field: string; message: string; token?: string }): SourceDiagnostic => ({
      file: path,
      ...types.locate(problem),
      message: problem.message,
    })
    // a module that does not parse cannot be loaded either; its syntax errors say it all
    if (!types.syntaxErrors) {
      let job: JobDefinition | null = null
      try {
        job = await resolveJob(builtInJobs.has(args.job) ? args.job : path)
      } catch (err) {
        // malformed: lintJob reports the shape problems and, where it can, the rest
        if (err instanceof JobDefinitionError && err.definition !== undefined) job = err.definition as JobDefinition
        else if (err instanceof JobDefinitionError) found.push(...err.problems.map(at))
        else if (err instanceof ConfigError)
          found.push({ file: path, line: 1, col: 1, message: err.message.replace(/^job module \S+ /, '') })
        else throw err
      }
      if (job) {
        const report = lintJob(job)
        checks += report.checks
        found.push(...report.problems.map(at))
        notes.push(...report.notes)
      }
    }
    found.sort((a, b) =>
      a.file === b.file ? a.line - b.line || a.col - b.col : a.file === path ? -1 : b.file === path ? 1 : a.file.localeCompare(b.file),
    )
    for (const d of found) console.log(`${shown(d.file)}:${d.line}:${d.col} ${d.message}`)
    for (const note of notes) console.log(`note: ${shown(path)}: ${note}`)
    if (found.length > 0) throw new ConfigError(`${found.length} problem${found.length > 1 ? 's' : ''} in ${shown(path)}`)
    console.log(`ok: ${shown(path)} (${checks} checks, type check ${Math.round(types.ms)} ms)`)
  },
}

/**
 * rdg-job: run, inspect and query rdg jobs. Configuration comes from flags, then
 * environment variables (RDG_*, e.g. RDG_STORE), then a JSON config file (--config, or
 * ./rdg.config.json), in that order of precedence. A user mistake prints one line and
 * exits with code 2.
 *
 * Commands load lazily: COMMANDS below names each one's usage and description, and its
 * module is imported only when that command runs (or its --help is asked for), so
 * `rdg-job --help` or `list` does not load Kafka, RocksDB, Cassandra and every job first.
 * To add a command, add one line to COMMANDS; its module exports a yargs CommandModule
 * whose `command` and `describe` match the line.
 *
 * @example
 * const code = await main(['run', 'login-events', '--source', 'generator', '--count', '100'])
 */
import { existsSync, readFileSync } from 'node:fs'
import yargs, { type Argv, type CommandModule } from 'yargs'
import { hideBin } from 'yargs/helpers'
import { ConfigError } from '../base/errors.ts'
import { printError } from './output.ts'

interface LazyCommand {
  /** Usage, as in the module's CommandModule (`run <topic>`). */
  readonly command: string
  readonly describe: string
  readonly load: () => Promise<CommandModule<object, never>>
}

/** Every command of rdg-job, loaded on demand. */
const COMMANDS: readonly LazyCommand[] = [
  {
    command: 'list',
    describe: 'List the jobs, their topics and the node and edge types each produces',
    load: async () => (await import('./commands/list.ts')).listCommand as never,
  },
  {
    command: 'describe <topic>',
    describe: 'Print the compiled operator graph of a job (a topic or a job module path)',
    load: async () => (await import('./commands/describe.ts')).describeCommand as never,
  },
  {
    command: 'run <topic>',
    describe: 'Run the job of a topic (or a job module path) from a source into the graph store',
    load: async () => (await import('./commands/run.ts')).runCommand as never,
  },
  {
    command: 'check <job>',
    describe: 'Type-check a job module (or a built-in topic) and validate its definition without running it',
    load: async () => (await import('./commands/check.ts')).checkCommand as never,
  },
  {
    command: 'demo',
    describe: 'Run the three jobs on generated events into an embedded graph and show a member journey',
    load: async () => (await import('./commands/demo.ts')).demoCommand as never,
  },
  {
    command: 'query',
    describe: 'Read the graph: a node, its neighbours, or a traversal',
    load: async () => (await import('./commands/query.ts')).queryCommand as never,
  },
  {
    command: 'serve',
    describe: 'Serve the graph over HTTP JSON (nodes, edges, traversals, /openapi.json, /metrics)',
    load: async () => (await import('./commands/serve.ts')).serveCommand as never,
  },
  {
    command: 'produce <topic>',
    describe: "Write generator events to a Kafka topic in the topic's wire format",
    load: async () => (await import('./commands/produce.ts')).produceCommand as never,
  },
  {
    command: 'backfill <topic>',
    describe: "Run a topic's job over a snapshot of its Iceberg export into the graph store (bounded, resumable)",
    load: async () => (await import('./commands/backfill.ts')).backfillCommand as never,
  },
]

const nameOf = (usage: string): string => usage.split(' ')[0]!

/** The command argv names: its first word that is neither an option nor the value of --config. */
function commandName(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--') return undefined
    if (a === '--config') i++
    else if (!a.startsWith('-')) return a
  }
  return undefined
}

/** The config file: `--config <path>`, else ./rdg.config.json if there is one. */
function configPath(argv: readonly string[]): { path: string; explicit: boolean } | null {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--config') return { path: argv[i + 1] ?? '', explicit: true }
    if (a.startsWith('--config=')) return { path: a.slice('--config='.length), explicit: true }
  }
  return existsSync('rdg.config.json') ? { path: 'rdg.config.json', explicit: false } : null
}

function loadConfig(path: string): Record<string, unknown> {
  if (!path) throw new ConfigError('--config needs a file', 'e.g. --config rdg.json')
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as { code?: string }).code
    throw new ConfigError(
      `config file ${path} cannot be read (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : (code ?? (err as Error).message)})`,
      'check --config',
    )
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(
      `config file ${path} is not valid JSON: ${(err as Error).message}`,
      'fix it: one JSON object of option names to values, e.g. {"store": "rocksdb:.rdg/graph"}',
    )
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError(
      `config file ${path} is not a JSON object`,
      'write one object of option names to values, e.g. {"store": "rocksdb:.rdg/graph"}',
    )
  return value as Record<string, unknown>
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = cur
    }
  }
  return row[b.length]!
}

function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestD = Infinity
  for (const k of known) {
    // at equal distance a name that extends the given one wins ("stat" → "state", not "start")
    const d = distance(name, k) - (k.startsWith(name) ? 0.5 : 0)
    if (d < bestD) [best, bestD] = [k, d]
  }
  return bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined
}

const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
const envName = (option: string): string => `RDG_${kebab(option).replace(/-/g, '_').toUpperCase()}`

/** yargs' message for a mistake, as one line that says where the mistake came from and what to do. */
function explain(
  msg: string,
  argv: readonly string[],
  known: readonly string[],
  command: string | undefined,
  config: { path: string; values: Record<string, unknown> } | null,
): ConfigError {
  const where = command !== undefined && COMMANDS.some((c) => nameOf(c.command) === command) ? `rdg-job ${command}` : 'rdg-job'
  const unknown = /^Unknown arguments?: (.+)$/.exec(msg)
  if (unknown) {
    const name = unknown[1]!.split(', ')[0]!
    const options = known.filter((k) => k.length > 1 && !/[A-Z]/.test(k))
    const guess = closest(kebab(name), options)
    if (config && (name in config.values || kebab(name) in config.values)) {
      return new ConfigError(
        `config file ${config.path} has the key "${name}", which is no option of ${where}`,
        guess ? `did you mean "${guess}"?` : `remove it; see ${where} --help`,
      )
    }
    const env = envName(name)
    if (process.env[env] !== undefined) {
      return new ConfigError(
        `environment variable ${env} names no option of ${where} (RDG_* variables set options)`,
        guess ? `did you mean ${envName(guess)}? Or unset ${env}` : `unset or rename it; see ${where} --help`,
      )
    }
    if (command === undefined || !COMMANDS.some((c) => nameOf(c.command) === command)) {
      const cmd = closest(
        name,
        COMMANDS.map((c) => nameOf(c.command)),
      )
      return new ConfigError(
        `unknown command "${name}"`,
        cmd ? `did you mean "${cmd}"? See rdg-job --help` : 'see rdg-job --help for the commands',
      )
    }
    return new ConfigError(
      `unknown option ${name.length === 1 ? '-' : '--'}${name} for ${where}`,
      guess ? `did you mean --${guess}?` : `see ${where} --help`,
    )
  }
  const recommended = /^Did you mean (\S+)\?$/.exec(msg)
  if (recommended) {
    const [, guess] = recommended
    const given = argv.filter((a) => !a.startsWith('-') && a !== guess).find((a) => closest(a, [guess!]) === guess)
    return new ConfigError(`unknown command${given ? ` "${given}"` : ''}`, `did you mean "${guess}"? See ${where} --help`)
  }
  const invalid = /^Invalid values:\s*Argument: (\S+), Given: (.+), Choices: (.+)$/s.exec(msg.replace(/\n\s*/g, ' '))
  if (invalid) {
    const [, name, given, choices] = invalid
    const fromEnv = process.env[envName(name!)] !== undefined && !process.argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`))
    return new ConfigError(
      `${fromEnv ? `${envName(name!)}=` : `--${name} `}${given!.trim()} is not one of ${choices!.trim()}`,
      `pick one, e.g. --${name} ${choices!.split(',')[0]!.trim().replace(/^"|"$/g, '')}`,
    )
  }
  return new ConfigError(msg.replace(/\n\s*/g, ' ').trim(), `see ${where} --help`)
}

export async function main(argv: string[]): Promise<number> {
  try {
    const command = commandName(argv)
    const cfgPath = configPath(argv)
    const config = cfgPath ? { path: cfgPath.path, values: loadConfig(cfgPath.path) } : null
    let parser: Argv = yargs(argv)
      .scriptName('rdg-job')
      .usage('$0 <command> [options]\n\nTurns event streams into a real-time property graph.')
      .env('RDG')
      .option('debug', { type: 'boolean', hidden: true, describe: 'print stack traces of unexpected errors' })
      .option('config', { type: 'string', describe: 'JSON config file of option values (default ./rdg.config.json)' })
    if (config) parser = parser.config(config.values)
    for (const c of COMMANDS) {
      if (nameOf(c.command) === command) parser = parser.command(await c.load())
      else parser = parser.command(c.command, c.describe)
    }
    let known: readonly string[] = []
    await parser
      .demandCommand(1, 'say which command to run')
      .recommendCommands()
      .strict()
      .help()
      .alias('h', 'help')
      .version(version())
      .fail((msg, err) => {
        if (err) throw err
        // the parser is in the failing command's context here: its options are the known ones
        known = Object.keys((parser as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key)
        throw explain(msg, argv, known, command, config)
      })
      .parseAsync()
    return 0
  } catch (err) {
    return printError(err, argv.includes('--debug') || !!process.env.RDG_DEBUG)
  }
}

const code = await main(hideBin(process.argv))
process.exitCode = code

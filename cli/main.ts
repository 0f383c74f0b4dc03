/**
 * rdg-job: run, inspect and query rdg jobs. Configuration comes from flags, then
 * environment variables (RDG_*, e.g. RDG_STORE), then a JSON config file (--config, or
 * ./rdg.config.json), in that order of precedence. A user mistake prints one line and
 * exits with code 2.
 */
import { existsSync, readFileSync } from 'node:fs'
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { ConfigError } from '../base/errors.ts'
import { checkCommand } from './commands/check.ts'
import { demoCommand } from './commands/demo.ts'
import { describeCommand } from './commands/describe.ts'
import { listCommand } from './commands/list.ts'
import { produceCommand } from './commands/produce.ts'
import { queryCommand } from './commands/query.ts'
import { runCommand } from './commands/run.ts'
import { printError } from './output.ts'

function loadConfig(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
  } catch (err) {
    throw new ConfigError(`config file ${path} cannot be read: ${(err as Error).message}`)
  }
}

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0
  const parser = yargs(argv)
    .scriptName('rdg-job')
    .usage('$0 <command> [options]\n\nTurns event streams into a real-time property graph.')
    .env('RDG')
    .option('debug', { type: 'boolean', hidden: true, describe: 'print stack traces of unexpected errors' })
    .config('config', 'JSON config file (default ./rdg.config.json)', loadConfig)
    .command(listCommand)
    .command(describeCommand)
    .command(runCommand as never)
    .command(checkCommand)
    .command(demoCommand as never)
    .command(queryCommand)
    .command(produceCommand as never)
    .demandCommand(1, 'say which command to run (see --help)')
    .strict()
    .help()
    .version(false)
    .fail((msg, err) => {
      throw err ?? new ConfigError(msg.split('\n')[0]!, 'see rdg-job --help')
    })
  if (existsSync('rdg.config.json') && !argv.includes('--config')) parser.config(loadConfig('rdg.config.json'))
  try {
    await parser.parseAsync()
  } catch (err) {
    exitCode = printError(err, argv.includes('--debug') || !!process.env.RDG_DEBUG)
  }
  return exitCode
}

const code = await main(hideBin(process.argv))
process.exitCode = code

/**
 * How the CLI talks: one-line errors (exit code 2 for user mistakes), plain summaries.
 *
 * @example
 * fail(new ConfigError('no job for topic "x"', 'known topics: ...'))
 */
import { RdgError } from '../base/errors.ts'

export function printError(err: unknown, debug = false): number {
  if (err instanceof RdgError && !err.retriable) {
    process.stderr.write(`rdg-job: ${err.message}\n`)
    return 2
  }
  const msg = err instanceof Error ? err.message : String(err)
  process.stderr.write(`rdg-job: ${msg}\n`)
  if (debug && err instanceof Error) process.stderr.write(`${err.stack}\n`)
  return 1
}

export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')

export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z')
}

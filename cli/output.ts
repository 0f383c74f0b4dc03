/**
 * How the CLI talks: one-line errors (exit code 2 for user mistakes), plain summaries.
 *
 * @example
 * fail(new ConfigError('no job for topic "x"', 'known topics: ...'))
 */
import { diskFailure, RdgError } from '../base/errors.ts'

export function printError(err: unknown, debug = false): number {
  if (err instanceof RdgError && !err.retriable) {
    process.stderr.write(`rdg-job: ${err.message}\n`)
    return 2
  }
  const msg = err instanceof Error ? err.message : String(err)
  const disk = diskFailure(err)
  if (disk) {
    // a full or read-only disk under --data-dir or the store: say so, and what to do
    const path = (err as { path?: unknown }).path
    process.stderr.write(
      `rdg-job: cannot write${typeof path === 'string' ? ` ${path}` : ''}: ${disk} (${msg.split('\n')[0]}); free space or make it writable, or use another --data-dir / --store\n`,
    )
    if (debug && err instanceof Error) process.stderr.write(`${err.stack}\n`)
    return 1
  }
  process.stderr.write(`rdg-job: ${msg}\n`)
  if (debug && err instanceof Error) process.stderr.write(`${err.stack}\n`)
  return 1
}

export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')

export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z')
}

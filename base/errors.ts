/**
 * Errors that carry what to do about them. `retriable` tells the runtime whether a
 * retry with backoff can help (a broker restarting) or not (a misspelled option).
 *
 * @example
 * throw new ConfigError('--brokers is empty', 'pass --brokers host:port')
 */
export class RdgError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
    readonly hint?: string,
  ) {
    super(hint ? `${message}; ${hint}` : message)
    this.name = new.target.name
  }
}

/** A user mistake in configuration, arguments or a job module. The CLI prints it as one line and exits 2. */
export class ConfigError extends RdgError {
  constructor(message: string, hint?: string) {
    super(message, false, hint)
  }
}

/** A failure of an external system that may heal by itself (broker or store down). */
export class TransientError extends RdgError {
  constructor(message: string, hint?: string) {
    super(message, true, hint)
  }
}

const DISK_CODES: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'an I/O error',
}
const DISK_MESSAGES: ReadonlyArray<readonly [RegExp, string]> = [
  [/no space left/i, 'no space left on the device'],
  [/quota exceeded/i, 'the disk quota is exceeded'],
  [/read-only file system/i, 'the file system is read-only'],
  [/permission denied/i, 'permission denied'],
  [/\bIO error\b/i, 'an I/O error'],
]

/**
 * What is wrong when `err` is a local disk failure (full, read-only, not permitted, I/O
 * error), else null. Such a failure does not heal while a job retries, so callers stop
 * after a few attempts with one clear line instead of retrying forever.
 *
 * @example
 * diskFailure(Object.assign(new Error('write failed'), { code: 'ENOSPC' })) // 'no space left on the device'
 */
export function diskFailure(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string' && DISK_CODES[code]) return DISK_CODES[code]
  const message = err instanceof Error ? err.message : typeof err === 'string' ? err : ''
  for (const [pattern, what] of DISK_MESSAGES) if (pattern.test(message)) return what
  return null
}

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

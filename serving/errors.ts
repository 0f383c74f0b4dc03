/**
 * An HTTP failure with its status and a message for the client (sent as `{ error, hint? }`).
 *
 * @example
 * throw new HttpError(400, 'unknown node type "usr"', 'known: account, profile, title')
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly hint?: string,
  ) {
    super(message)
    this.name = 'HttpError'
  }
}

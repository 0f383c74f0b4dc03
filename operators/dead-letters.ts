/**
 * Builds dead letters for records a user function could not handle, so one bad record
 * never stops a job.
 *
 * @example
 * side.deadLetter(userFunctionFailed(op.id, err, record, ts))
 */
import type { DeadLetter } from '../engine/connector.ts'

export function userFunctionFailed(operator: string, err: unknown, value: unknown, eventTime: number): DeadLetter {
  const reason = err instanceof Error ? err.message : String(err)
  return { reason: `${operator} failed: ${reason}`, operator, source: null, value, eventTime }
}

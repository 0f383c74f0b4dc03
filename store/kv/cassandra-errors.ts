/**
 * Sorts cassandra-driver failures into what a retry can heal (no host reachable, time-outs,
 * overload, a node starting) and what it can not (invalid statements, missing rights), as
 * rdg errors naming the operation and the namespace.
 *
 * @example
 * try { await client.execute(q) } catch (err) { throw classifyCassandraError(err, 'write', 'edge.watch') }
 */
import cassandra from 'cassandra-driver'
import { RdgError, TransientError } from '../../base/errors.ts'

const codes = cassandra.types.responseErrorCodes
const PERMANENT = new Set<number>([
  codes.syntaxError,
  codes.unauthorized,
  codes.invalid,
  codes.configError,
  codes.alreadyExists,
  codes.badCredentials,
  codes.protocolError,
  codes.functionFailure,
])

/** True for the server's answer that a table or keyspace does not exist. */
export function isMissingTable(err: unknown): boolean {
  return (
    err instanceof cassandra.errors.ResponseError &&
    err.code === (codes.invalid as number) &&
    /unconfigured table|does not exist|keyspace .* does not exist/i.test(err.message)
  )
}

export function classifyCassandraError(err: unknown, operation: string, namespace: string): RdgError {
  if (err instanceof RdgError) return err
  const message = `Cassandra ${operation} on namespace ${namespace} failed: ${(err as Error)?.message ?? String(err)}`
  if (err instanceof cassandra.errors.ResponseError && PERMANENT.has(err.code))
    return new RdgError(message, false, 'check the statement, the keyspace settings and the data; retrying will not help')
  if (
    err instanceof cassandra.errors.ArgumentError ||
    err instanceof cassandra.errors.NotSupportedError ||
    err instanceof TypeError ||
    err instanceof RangeError
  )
    return new RdgError(message, false)
  return new TransientError(message, 'the cluster may be down or overloaded; retrying with backoff')
}

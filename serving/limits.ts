/**
 * Limits that keep one request from exhausting the query service: hops per traversal,
 * edges per node and per hop, nodes per batch lookup, LATEST scan depth, body and URL size,
 * and a time budget per request (past it the client gets a 503 and the traversal stops
 * before its next hop).
 *
 * @example
 * const limits = resolveLimits({ timeBudgetMs: 500 })
 */
export interface ServingLimits {
  /** Hops of one traversal. */
  readonly maxHops: number
  /** Edges per node and hop (the `limit` of a hop or an edge page). */
  readonly maxEdgesPerNode: number
  /** Edges read by one hop over all the nodes of its frontier. */
  readonly maxEdgesPerHop: number
  /** Distinct nodes carried on to the next hop. */
  readonly maxFrontier: number
  /** Nodes of one batch lookup. */
  readonly maxBatchNodes: number
  /** LATEST reads at most this many edges of a node to order them. */
  readonly maxScan: number
  readonly maxBodyBytes: number
  readonly maxUrlBytes: number
  /** Wall time of one request. */
  readonly timeBudgetMs: number
}

export const DEFAULT_LIMITS: ServingLimits = {
  maxHops: 4,
  maxEdgesPerNode: 1_000,
  maxEdgesPerHop: 20_000,
  maxFrontier: 5_000,
  maxBatchNodes: 1_000,
  maxScan: 5_000,
  maxBodyBytes: 64 * 1024,
  maxUrlBytes: 8 * 1024,
  timeBudgetMs: 5_000,
}

export function resolveLimits(overrides: Partial<ServingLimits> = {}): ServingLimits {
  return { ...DEFAULT_LIMITS, ...overrides }
}

/**
 * Core value types shared by every layer. Branded so that an operator id can not be
 * passed where a state name is expected, and an event time not where a count is.
 *
 * @example
 * const id = operatorId('dedup-nodes')
 */

declare const brand: unique symbol
export type Brand<T, B extends string> = T & { readonly [brand]: B }

/** Stable id of an operator, source or sink; state is addressed by it, never by graph position. */
export type OperatorId = Brand<string, 'OperatorId'>
/** Milliseconds since the epoch, taken from a field of the event. */
export type EventTime = number
/** Monotonic id of a checkpoint within one job. */
export type CheckpointId = Brand<number, 'CheckpointId'>

export const operatorId = (id: string): OperatorId => id as OperatorId
export const checkpointId = (id: number): CheckpointId => id as CheckpointId

/** Watermark value before any record has been seen. */
export const MIN_WATERMARK = Number.NEGATIVE_INFINITY
/** Watermark that means "no more records will ever come" (end of a bounded input). */
export const MAX_WATERMARK = Number.POSITIVE_INFINITY

/** Keys are normalised to strings before hashing and state access. */
export type StateKey = string

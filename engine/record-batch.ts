/**
 * A micro-batch of records in columnar form: values, event times and origins in parallel
 * arrays, reused from batch to batch so the hot path allocates almost nothing. A record's
 * origin is the index of the source record it came from in the micro-batch being pushed
 * (-1 when none: timer output, side outputs), so a record an operator rejects becomes a
 * dead letter with its source position; row-to-row operators pass their input's on.
 *
 * @example
 * const batch = new RecordBatch()
 * batch.push({ id: 1 }, 1_000)
 * for (let i = 0; i < batch.length; i++) out.push(f(batch.values[i]), batch.timestamps[i]!, batch.origins[i])
 * batch.clear()
 */
export class RecordBatch<T = unknown> {
  values: T[] = []
  timestamps: number[] = []
  origins: number[] = []
  length = 0

  push(value: T, timestamp: number, origin = -1): void {
    const n = this.length
    this.values[n] = value
    this.timestamps[n] = timestamp
    this.origins[n] = origin
    this.length = n + 1
  }

  /** Forgets the records; keeps the arrays (and drops references so values can be collected). */
  clear(): void {
    if (this.length > 4096) {
      this.values = []
      this.timestamps = []
      this.origins = []
    } else {
      this.values.fill(undefined as T, 0, this.length)
    }
    this.length = 0
  }
}

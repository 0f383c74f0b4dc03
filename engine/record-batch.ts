/**
 * A micro-batch of records in columnar form: values and event times in two parallel
 * arrays, reused from batch to batch so the hot path allocates almost nothing.
 *
 * @example
 * const batch = new RecordBatch()
 * batch.push({ id: 1 }, 1_000)
 * for (let i = 0; i < batch.length; i++) use(batch.values[i], batch.timestamps[i])
 * batch.clear()
 */
export class RecordBatch<T = unknown> {
  values: T[] = []
  timestamps: number[] = []
  length = 0

  push(value: T, timestamp: number): void {
    const n = this.length
    this.values[n] = value
    this.timestamps[n] = timestamp
    this.length = n + 1
  }

  /** Forgets the records; keeps the arrays (and drops references so values can be collected). */
  clear(): void {
    if (this.length > 4096) {
      this.values = []
      this.timestamps = []
    } else {
      this.values.fill(undefined as T, 0, this.length)
    }
    this.length = 0
  }
}

/**
 * V8 settings the micro-batch runtime wants, applied once per process when a job starts.
 *
 * Allocation-site pretenuring: V8 moves an allocation site to the old generation once
 * most of its objects survive a young-generation collection. A micro-batch keeps its
 * records alive until the batch is through the operators, so whether a site crosses that
 * threshold depends on where collections happen to fall; once it does, every later
 * record from that site is garbage in the old generation. Measured on the playback
 * benchmark (bench/playback.ts, 1 M events, heap state): runs split between ~160k and
 * ~110k events/s at random with peak RSS 600 vs 1 200 MiB; with pretenuring off every run
 * was in the fast group.
 */
import v8 from 'node:v8'

let applied = false

export function tuneV8ForMicroBatches(): void {
  if (applied) return
  applied = true
  v8.setFlagsFromString('--no-allocation-site-pretenuring')
}

/**
 * Test helpers, `import … from 'rdg/testing'`: the operator test harness (drive one
 * operator or keyed process function by hand: elements, watermarks, processing time,
 * timers, snapshot and restore), a scripted test source, a collecting sink, a source
 * that crashes on cue, and the manual clock.
 *
 * @example
 * import { runJob } from 'rdg'
 * import { CollectingSink, ManualClock, TestSource } from 'rdg/testing'
 *
 * const graph = new CollectingSink<GraphPrimitive>('graph')
 * await runJob(clicks, {
 *   source: new TestSource('in', [{ user: 'u1', page: '/', ts: 1_000 }]),
 *   decode: (raw) => raw as Click,
 *   graphSinks: [graph],
 *   deadLetterSink: new CollectingSink<DeadLetter>('dlq'),
 *   dataDir: mkdtempSync(join(tmpdir(), 'clicks-')),
 *   clock: new ManualClock(0),
 * }).done
 * expect(graph.flushed).toHaveLength(1)
 */
// A package consumer's tsc checks these sources: it needs the declaration of the untyped RocksDB binding.
/// <reference path="../base/nxtedition-rocksdb.d.ts" />
export { OperatorTestHarness } from './harness.ts'
export type { HarnessOptions, HarnessSnapshot, PendingTimer } from './harness.ts'
export { TestSource, ABORT, END } from './test-source.ts'
export type { TestElement } from './test-source.ts'
export { CollectingSink } from './collecting-sink.ts'
export { CrashingSource } from './crashing-source.ts'
export { ManualClock } from '../base/clock.ts'

/**
 * The public API for writing jobs: `import { defineJob } from 'rdg'`.
 *
 * @example
 * import { defineJob, type ValueFormat } from 'rdg'
 */
export { defineJob } from './graph/job-definition.ts'
export type { JobDefinition, ValueFormat, GraphBuilder } from './graph/job-definition.ts'
export { sideInput } from './operators/side-input.ts'
export type { SideInputSpec, EnrichSpec } from './operators/side-input.ts'
export type { WatermarkSpec } from './engine/watermarks.ts'
export { defineGraphSchema } from './graph/schema.ts'
export type { GraphSchema, PropertyType } from './graph/schema.ts'
export type { GraphNode, GraphEdge, GraphPrimitive, NodeRef, Properties } from './graph/model.ts'
export { StreamEnvironment, DataStream, KeyedStream } from './operators/datastream.ts'
export { processFunction } from './engine/process-function.ts'
export type { KeyedProcessFunction, KeyedContext, TimerContext, Collector } from './engine/process-function.ts'
export { outputTag } from './engine/elements.ts'
export { valueState, mapState, listState } from './state/descriptors.ts'
export { codecs } from './state/codecs.ts'
export { runGraph } from './engine/run-graph.ts'
export { runJob } from './graph/run-job.ts'
export { OperatorTestHarness } from './testing/harness.ts'
export { ManualClock, SystemClock } from './base/clock.ts'

/**
 * The public API for writing jobs: `import { defineJob } from 'rdg'`.
 *
 * @example
 * import { defineJob, type ValueFormat } from 'rdg'
 */
export { defineJob, sideInput } from './engine/job-definition.ts'
export type { JobDefinition, ValueFormat, GraphBuilder, WatermarkSpec, SideInputSpec, EnrichSpec } from './engine/job-definition.ts'
export { defineGraphSchema } from './graph/schema.ts'
export type { GraphSchema, PropertyType } from './graph/schema.ts'
export type { GraphNode, GraphEdge, GraphPrimitive, NodeRef, Properties } from './graph/model.ts'
export { StreamEnvironment, DataStream, KeyedStream } from './engine/datastream.ts'
export { processFunction } from './engine/process-function.ts'
export type { KeyedProcessFunction, KeyedContext, TimerContext, Collector } from './engine/process-function.ts'
export { outputTag } from './engine/elements.ts'
export { valueState, mapState, listState } from './state/descriptors.ts'
export { codecs } from './state/codecs.ts'
export { runJob, runGraph } from './engine/run-job.ts'
export { OperatorTestHarness } from './engine/testing/harness.ts'
export { ManualClock, SystemClock } from './engine/clock.ts'

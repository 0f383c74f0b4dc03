/**
 * The public API for writing and running jobs, `import … from 'rdg'`: defineJob and the
 * graph schema, the DataStream API with keyed process functions and state, and
 * runJob/runGraph with every type a caller of them needs. Connectors, the graph store
 * and test helpers are the subpaths `rdg/connectors`, `rdg/store` and `rdg/testing`.
 *
 * @example
 * import { defineJob, defineGraphSchema, json } from 'rdg'
 *
 * interface Click { user: string; page: string; ts: number }
 * const graph = defineGraphSchema({
 *   nodes: { user: { properties: {} }, page: { properties: {} } },
 *   edges: { visited: { from: 'user', to: 'page', direction: 'both', properties: { at: 'timestamp' } } },
 * })
 * export default defineJob({
 *   topic: 'clicks',
 *   value: json<Click>(),
 *   eventTime: 'ts',
 *   graph,
 *   toGraph: (e, g) => g.edge('visited', { type: 'user', id: e.user }, { type: 'page', id: e.page }, { at: e.ts }),
 * })
 */
// A package consumer's tsc checks these sources: it needs the declaration of the untyped RocksDB binding.
/// <reference path="./base/nxtedition-rocksdb.d.ts" />

// declarative jobs
export { defineJob, avro, json, readFieldsOf } from './graph/job-definition.ts'
export type {
  JobDefinition,
  ProjectingJobDefinition,
  ValueFormat,
  NumericKeys,
  FieldList,
  GraphBuilder,
  TypedGraphBuilder,
  GraphBuilderFor,
  TypedNodeRef,
} from './graph/job-definition.ts'
export { sideInput } from './operators/side-input.ts'
export type { SideInputSpec, SideInputLookups, EnrichSpec } from './operators/side-input.ts'
export type { WatermarkSpec } from './engine/watermarks.ts'
export { describeJob, compileJob } from './graph/compile-job.ts'
export type { JobIo } from './graph/compile-job.ts'

// the graph: schema and primitives
export { defineGraphSchema, mergeGraphSchemas } from './graph/schema.ts'
export type {
  GraphSchema,
  NodeTypeDecl,
  EdgeTypeDecl,
  PropertyType,
  PropertyValueOf,
  PropertiesOf,
  NodeTypeOf,
  EdgeTypeOf,
} from './graph/schema.ts'
export { identityOf, nodeIdentity, edgeIdentity } from './graph/model.ts'
export type { GraphNode, GraphEdge, GraphPrimitive, NodeRef, Properties, PropertyValue } from './graph/model.ts'
export { validatePrimitive } from './graph/validate.ts'

// the DataStream API, process functions and keyed state
export { StreamEnvironment, DataStream, KeyedStream } from './operators/datastream.ts'
export type { KeySelector } from './operators/process.ts'
export { processFunction } from './engine/process-function.ts'
export type {
  KeyedProcessFunction,
  KeyedContext,
  TimerContext,
  TimerControl,
  Collector,
  StateDeclarations,
} from './engine/process-function.ts'
export { outputTag } from './engine/elements.ts'
export type { OutputTag } from './engine/elements.ts'
export type { StreamOperator, OperatorKind } from './engine/operator.ts'
export { valueState, mapState, listState } from './state/descriptors.ts'
export type { StateOptions, ValueStateDescriptor, MapStateDescriptor, ListStateDescriptor } from './state/descriptors.ts'
export type { ValueState, MapState, ListState, StateAccessors } from './state/keyed-state.ts'
export type { Codec, StateDescriptor, StateKind } from './state/types.ts'
export { codecs } from './state/codecs.ts'

// running: runJob (declarative jobs) and runGraph (DataStream graphs)
export { runJob, graphMetrics } from './graph/run-job.ts'
export type { RunOptions, GraphJobMetrics } from './graph/run-job.ts'
export { runGraph } from './engine/run-graph.ts'
export type { RunGraphOptions, JobHandle, JobResult, JobMetrics, OperatorCounts } from './engine/run-options.ts'
export type { JobGraph, SourceSpec, OperatorDescription } from './engine/job-graph.ts'
export { describeGraph } from './engine/job-graph.ts'
export type {
  Source,
  SourceContext,
  SourceBatch,
  SourceRecord,
  SourcePositions,
  Sink,
  SinkContext,
  Decoder,
  DeadLetter,
} from './engine/connector.ts'
export { operatorId, checkpointId } from './base/ids.ts'
export type { OperatorId, CheckpointId, EventTime } from './base/ids.ts'
export { ManualClock, SystemClock, systemClock } from './base/clock.ts'
export type { Clock } from './base/clock.ts'
export { RdgError, ConfigError, TransientError } from './base/errors.ts'

// kept for jobs written before rdg/testing existed
export { OperatorTestHarness } from './testing/harness.ts'

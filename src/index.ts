/** The library: everything the CLI does is importable without it. */
export * from './model/events.js';
export { TraceFormatError, UsageError } from './model/errors.js';
export { PackedSegmentList } from './model/segments.js';
export { crc32c, Crc32cWindow } from './model/crc32c.js';
export { TaskBatch, RowKind, RowFlag, keyOf, taskKeyAt, targetKeyAt, type BatchMessage } from './model/batch.js';
export { BatchBuilder, batchToEvents, eventBatches, batchOf, type SubmitRecord, type CompleteRecord } from './model/batch-builder.js';
export { SubmitView, CompleteView, TaskView } from './model/batch-view.js';
export { newReadStats, type ReadStats } from './model/stats.js';
export { TraceWriter, writeTraceToBytes, createTraceFileWriter } from './formats/native/writer.js';
export type { WriterOptions, SubmitInput, CompleteInput, HbaEventInput, DigestInput, SegmentInput } from './formats/native/writer.js';
export { NativeDecoder, readNative, decodeNative } from './formats/native/reader.js';
export { openTrace, type OpenedTrace, type OpenOptions } from './formats/open.js';
export { formats, sniffFormat, formatById } from './formats/index.js';
export { TaskMatcher, InFlightTable, taskKey, type TaskRecord, type TaskKey, type MatchResult } from './analysis/tasks.js';
export { Pairer, type PairerOptions } from './analysis/pairer.js';
export { PairedPipeline, type PairedConsumer, type TraceEnd } from './analysis/pipeline.js';
export { writeTaskText, writeTaskJson, jsonLine, textStyle, type TextStyle } from './report/decode.js';
export { GapLedger, completionMayBeLost, describeGap } from './analysis/gaps.js';
export { jsonInteger, jsonTime } from './model/json.js';
export { taskJson, taskJsonAt, type TaskJson } from './report/task-view.js';
export * from './scsi/index.js';
export {
  createChecker,
  checkEvents,
  failsAt,
  selectRules,
  type Checker,
  type CheckOptions,
  type CheckResult,
  type Finding,
  type FindingGroup,
  type Severity,
} from './checks/engine.js';
export { checkTrace, type CheckTraceResult } from './checks/check-trace.js';
export { constraintConfig, resolveConstraints, CONSTRAINTS, type ConstraintConfig, type ResolvedConstraints, type Limits } from './checks/constraints.js';
export { loadConstraintFile, loadConstraintFiles } from './checks/constraints-file.js';
export { explainConstraints } from './checks/constraints-explain.js';
export { defineRule, type Rule } from './checks/rule.js';
export { allRules } from './checks/rules/index.js';
export { findingsRenderers } from './report/findings/index.js';
export * from './report/summary/index.js';
export {
  diffTraces,
  diffEvents,
  buildDiff,
  diffRenderers,
  renderDiffText,
  renderDiffHtml,
  DIFF_SCHEMA,
  type Diff,
  type DiffFormat,
  type DiffInput,
  type RunDiffOptions,
} from './report/diff/index.js';
export { TraceProfile } from './analysis/diff/profile.js';
export { Aligner } from './analysis/diff/align.js';
export * from './analysis/stats/index.js';
export { scenarios, synthesize, synthesizeToFile, writeBenchTrace, SAMPLE_TRACES } from './synth/index.js';
export { decodeCapture, CaptureDecoder, pcapFormat, pcapngFormat } from './formats/pcap/index.js';
export { JsonlDecoder, decodeJsonl, eventToJson, jsonToEvent, jsonlFormat } from './formats/jsonl/index.js';
export { decodeFtrace, FtraceDecoder } from './formats/ftrace/reader.js';
export { decodeOslog, OslogDecoder } from './formats/oslog/reader.js';
export { decodeUsbmon, readUsbmon, UsbmonDecoder } from './formats/usbmon/reader.js';
export { decodeTraceDat, readTraceDat } from './formats/tracedat/reader.js';
export { encodeUnitLines } from './formats/oslog/encoding.js';
export {
  TaskLanes,
  IntervalLanes,
  sglShape,
  type LaidOutTask,
  type LunGroup,
  type LaneHandlers,
  type TaskLanesOptions,
  type SglShape,
  type TaskOutcome,
} from './analysis/task-lanes.js';
export { PerfettoWriter, type PerfettoOptions } from './report/timeline/perfetto.js';
export { TimelineCollector, type TimelineData } from './report/timeline/collect.js';
export { ParquetTables, TASK_COLUMNS, FINDING_COLUMNS, type ParquetOptions } from './report/parquet.js';

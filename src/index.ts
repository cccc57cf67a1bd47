/** The library: everything the CLI does is importable without it. */
export * from './model/events.js';
export { TraceFormatError, UsageError } from './model/errors.js';
export { PackedSegmentList } from './model/segments.js';
export { crc32c } from './model/crc32c.js';
export { newReadStats, type ReadStats } from './model/stats.js';
export { TraceWriter, writeTraceToBytes, createTraceFileWriter } from './formats/native/writer.js';
export type { WriterOptions, SubmitInput, CompleteInput, HbaEventInput, DigestInput, SegmentInput } from './formats/native/writer.js';
export { NativeDecoder, readNative, decodeNative } from './formats/native/reader.js';
export { openTrace, type OpenedTrace, type OpenOptions } from './formats/open.js';
export { formats, sniffFormat, formatById } from './formats/index.js';
export { TaskMatcher, type TaskRecord } from './analysis/tasks.js';
export { taskJson, type TaskJson } from './report/task-view.js';
export * from './scsi/index.js';

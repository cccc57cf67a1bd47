/**
 * Parquet output (`convert --format parquet`): a directory holding `tasks.parquet` (one row per
 * task, plus one per completion that matched no task) and `findings.parquet` (one row per checker
 * finding), for DuckDB, Spark, pandas/Polars and the like (docs/fleet.md has the schema and the
 * queries). Written with hyparquet-writer, in row groups of ROW_GROUP rows: memory is one row
 * group of columns plus the tasks in flight, whatever the trace's length.
 *
 * 64-bit unsigned values (task ids, target ids, LBAs, addresses) are stored as Parquet INT64,
 * which is signed: a value at or past 2^63 reads back as its two's complement (negative).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';
import { TaskLanes, type LaidOutTask } from '../analysis/task-lanes.js';
import type { PairedConsumer, TraceEnd } from '../analysis/pipeline.js';
import type { TaskBatch } from '../model/batch.js';
import type { Finding } from '../checks/engine.js';
import { ServiceResponse, type TaskCompleted } from '../model/events.js';
import { toHex } from '../model/hex.js';
import { cdbHeadline, cdbServiceAction, quickSense, taskStatusName } from '../scsi/index.js';
import { directionName } from './task-view.js';

/** Rows per row group (and the most rows held in memory per table). */
export const ROW_GROUP = 16_384;

type ColumnType = 'INT32' | 'INT64' | 'STRING' | 'BOOLEAN';
type Value = number | bigint | string | boolean | null;

interface ColumnDef {
  name: string;
  type: ColumnType;
  nullable: boolean;
  doc: string;
}

const col = (name: string, type: ColumnType, nullable: boolean, doc: string): ColumnDef => ({ name, type, nullable, doc });

/** The tasks table, column by column (docs/fleet.md is generated from the same list's docs). */
export const TASK_COLUMNS: readonly ColumnDef[] = [
  col('source_file', 'STRING', false, 'the trace file the task was read from, as given to convert'),
  col(
    'outcome',
    'STRING',
    false,
    'completed | never-completed | reused (its task id was submitted again while it was in flight) | orphan (a completion whose task was not in flight: submission columns are null)',
  ),
  col('task_id', 'INT64', false, 'task id as the source numbers it'),
  col('target_id', 'INT64', true, 'target id'),
  col('target_label', 'STRING', true, "the source's name for the target (Linux host:channel:id), if any"),
  col('lun', 'INT32', true, 'logical unit number'),
  col('tag', 'INT64', true, 'task tag'),
  col('direction', 'STRING', true, 'none | to-device | from-device | bidirectional'),
  col('opcode', 'INT32', true, 'CDB byte 0'),
  col('service_action', 'INT32', true, 'service action, for opcodes named by one (0x7F, 0x9E, 0xA3, ...)'),
  col('command', 'STRING', true, 'T10 command name, e.g. READ(10)'),
  col('cdb', 'STRING', true, 'the CDB in hex'),
  col('lba', 'INT64', true, 'first LBA, for commands that address blocks'),
  col('transfer_length', 'INT64', true, 'transfer length field of the CDB'),
  col('transfer_unit', 'STRING', true, 'blocks | bytes: the unit of transfer_length'),
  col('requested_bytes', 'INT64', true, 'bytes the initiator asked to move'),
  col('timeout_ms', 'INT64', true, 'timeout given to the task (0 = none)'),
  col('submit_ns', 'INT64', true, "submission time, ns from the trace's time origin"),
  col('complete_ns', 'INT64', true, 'completion time, ns from the same origin (null when never completed)'),
  col('latency_ns', 'INT64', true, 'complete_ns - submit_ns, floored to whole ns (as summary records it)'),
  col('service_response', 'INT32', true, 'SAM service response code (2 = TASK COMPLETE)'),
  col('status', 'INT32', true, 'SAM status (or delivery status when the service response is a failure)'),
  col('status_name', 'STRING', true, 'status as summary and decode name it'),
  col('good', 'BOOLEAN', true, 'TASK COMPLETE with GOOD or CONDITION MET'),
  col('sense_key', 'INT32', true, 'sense key, when sense data was returned and readable'),
  col('asc', 'INT32', true, 'additional sense code'),
  col('ascq', 'INT32', true, 'additional sense code qualifier'),
  col('sense_hex', 'STRING', true, 'the sense data in hex'),
  col('bytes_transferred', 'INT64', true, 'bytes the completion says were moved'),
  col('residual', 'INT64', true, 'residual count, when the completion flags one'),
  col('sgl_recorded', 'BOOLEAN', true, 'whether the trace recorded the SGL the driver programmed'),
  col('sgl_segments', 'INT32', true, 'segments in that SGL'),
  col('sgl_bytes', 'INT64', true, 'sum of segment lengths'),
  col('sgl_max_address', 'INT64', true, 'highest byte address any segment covers'),
  col('sgl_above_4gib', 'BOOLEAN', true, 'some segment reaches past 0xFFFFFFFF'),
  col('buffer_address', 'INT64', true, 'the DriverKit buffer (fBufferIOVMAddr), when recorded'),
  col('buffer_length', 'INT64', true, 'bytes that buffer covers'),
  col('record_offset', 'INT64', false, 'byte offset of the submission (orphans: the completion) in the source file'),
  col('record_index', 'INT64', false, 'record index of the same'),
  col('complete_offset', 'INT64', true, 'byte offset of the completion in the source file'),
];

export const FINDING_COLUMNS: readonly ColumnDef[] = [
  col('source_file', 'STRING', false, 'the trace file'),
  col('rule_id', 'STRING', false, 'the rule (docs/rules/<rule_id>.md)'),
  col('severity', 'STRING', false, 'error | warning | info'),
  col('message_id', 'STRING', false, 'message id within the rule'),
  col('message', 'STRING', false, 'the message check prints'),
  col('task_id', 'INT64', true, 'the task the finding is about, if one (join with tasks.task_id and source_file)'),
  col('command', 'STRING', true, "the task's decoded CDB"),
  col('time_ns', 'INT64', false, "time of the evidence, ns from the trace's time origin"),
  col('record_offset', 'INT64', false, 'byte offset of the evidence record in the source file'),
  col('record_index', 'INT64', false, 'record index of the evidence'),
  col('evidence', 'STRING', false, "the rule's evidence values, as a JSON object"),
];

function schemaOf(columns: readonly ColumnDef[]): SchemaElement[] {
  return [
    { name: 'schema', num_children: columns.length },
    ...columns.map((c): SchemaElement => {
      const repetition_type = c.nullable ? 'OPTIONAL' : 'REQUIRED';
      if (c.type === 'STRING') return { name: c.name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type };
      return { name: c.name, type: c.type, repetition_type };
    }),
  ];
}

/** A ByteWriter that hands its bytes to a file descriptor whenever it holds over 1 MiB, and after each row group. */
function fdWriter(fd: number): ByteWriter {
  const w = new ByteWriter(1 << 16);
  const flush = (): void => {
    let at = 0;
    const bytes = new Uint8Array(w.buffer, 0, w.index);
    while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
    w.index = 0;
  };
  const ensure = w.ensure.bind(w);
  w.ensure = (size: number) => {
    if (w.index > 1 << 20) flush();
    ensure(size);
  };
  (w as { flush?: () => void }).flush = flush;
  w.finish = flush;
  return w;
}

/**
 * hyparquet-writer returns a promise only when the sink's flush does; ours writes synchronously,
 * so a promise here would mean a row group still being encoded when the file is closed.
 */
function synchronous(result: void | Promise<void>): void {
  if (result instanceof Promise) throw new Error('parquet writer went asynchronous: its sink flushes synchronously');
}

/** One Parquet file written a row group at a time. */
class TableFile {
  private readonly fd: number;
  private readonly writer: ParquetWriter;
  private readonly data: Value[][];
  private rows = 0;
  total = 0;

  constructor(
    path: string,
    private readonly columns: readonly ColumnDef[],
    kv: Record<string, string>,
  ) {
    this.fd = openSync(path, 'w');
    this.writer = new ParquetWriter({
      writer: fdWriter(this.fd),
      schema: schemaOf(columns),
      kvMetadata: Object.entries(kv).map(([key, value]) => ({ key, value })),
      createdBy: 'scsitrace (hyparquet-writer)',
    });
    this.data = columns.map(() => []);
  }

  add(row: readonly Value[]): void {
    if (row.length !== this.columns.length) throw new Error(`parquet row of ${row.length} values for ${this.columns.length} columns`);
    for (let i = 0; i < row.length; i++) this.data[i]!.push(row[i]!);
    this.rows++;
    this.total++;
    if (this.rows >= ROW_GROUP) this.flush();
  }

  private flush(): void {
    if (!this.rows) return;
    synchronous(
      this.writer.write({
        columnData: this.columns.map((c, i) => ({ name: c.name, data: this.data[i]! as never })),
        rowGroupSize: this.rows,
      }),
    );
    for (const d of this.data) d.length = 0;
    this.rows = 0;
  }

  close(): void {
    this.flush();
    synchronous(this.writer.finish());
    closeSync(this.fd);
  }
}

const I64_MIN = -(2n ** 63n);
/** A u64 as Parquet's signed INT64 (two's complement past 2^63). */
function i64(v: bigint): bigint {
  return v >= -I64_MIN ? BigInt.asIntN(64, v) : v;
}
function ns(v: number): bigint | null {
  return Number.isFinite(v) ? BigInt(Math.round(v)) : null;
}

export interface ParquetOptions {
  /** The directory to write tasks.parquet and findings.parquet into (made if missing). */
  tasksPath: string;
  findingsPath: string;
  /** Name of the trace in the source_file column. */
  sourceFile: string;
  /** Metadata stored in both files' key-value metadata. */
  metadata?: Record<string, string>;
}

/**
 * Streams tasks (a consumer of a PairedPipeline) and findings (through onFinding) into the two
 * Parquet files; after the pipeline's finish(), finish().
 */
export class ParquetTables implements PairedConsumer {
  private readonly lanes: TaskLanes;
  private readonly tasks: TableFile;
  private readonly findings: TableFile;
  private readonly source: string;

  constructor(o: ParquetOptions) {
    const kv = { 'scsitrace.schema': 'scsitrace.parquet/1', ...(o.metadata ?? {}) };
    this.source = o.sourceFile;
    this.tasks = new TableFile(o.tasksPath, TASK_COLUMNS, { ...kv, 'scsitrace.table': 'tasks' });
    this.findings = new TableFile(o.findingsPath, FINDING_COLUMNS, { ...kv, 'scsitrace.table': 'findings' });
    this.lanes = new TaskLanes({ task: (t) => this.onTask(t), orphan: (c) => this.onOrphan(c) }, { sgl: true });
  }

  rows(b: TaskBatch, from: number, to: number): void {
    this.lanes.rows(b, from, to);
  }

  endTrace(end: TraceEnd): void {
    this.lanes.endTrace(end);
  }

  onFinding(f: Finding): void {
    this.findings.add([
      this.source,
      f.ruleId,
      f.severity,
      f.messageId,
      f.message,
      f.taskId === undefined ? null : i64(f.taskId),
      f.command ?? null,
      ns(f.timeNs) ?? 0n,
      BigInt(f.offset),
      BigInt(f.recordIndex),
      JSON.stringify(f.evidence),
    ]);
  }

  /** Ends both files (the pipeline has ended the trace); returns the rows written. */
  finish(): { tasks: number; findings: number } {
    this.tasks.close();
    this.findings.close();
    return { tasks: this.tasks.total, findings: this.findings.total };
  }

  private onTask(t: LaidOutTask): void {
    const s = t.submit;
    const c = t.complete;
    const h = cdbHeadline(s.cdb);
    const sgl = t.sgl!;
    const sa = s.cdb.length ? cdbServiceAction(s.cdb) : undefined;
    this.tasks.add([
      this.source,
      t.outcome,
      i64(s.taskId),
      i64(s.targetId),
      s.targetLabel ?? null,
      s.lun,
      i64(s.tag),
      directionName(s.direction),
      s.cdb.length ? s.cdb[0]! : null,
      sa ?? null,
      h.name,
      toHex(s.cdb),
      h.lba === undefined ? null : i64(h.lba),
      h.transferLength === undefined ? null : BigInt(h.transferLength),
      h.transferLength === undefined ? null : (h.transferUnit ?? null),
      BigInt(s.requestedBytes),
      BigInt(s.timeoutMs),
      ns(s.timeNs),
      c ? ns(c.timeNs) : null,
      c ? BigInt(Math.max(0, Math.floor(c.timeNs - s.timeNs))) : null,
      ...this.completionColumns(c),
      sgl.recorded,
      sgl.segments,
      BigInt(sgl.bytes),
      sgl.maxAddress === undefined ? null : i64(sgl.maxAddress),
      sgl.above4GiB,
      s.buffer ? i64(s.buffer.address) : null,
      s.buffer ? BigInt(s.buffer.length) : null,
      BigInt(s.offset),
      BigInt(s.index),
      c ? BigInt(c.offset) : null,
    ]);
  }

  /** service_response .. residual. */
  private completionColumns(c: TaskCompleted | undefined): Value[] {
    if (!c) return [null, null, null, null, null, null, null, null, null, null];
    const q = c.sense.length ? quickSense(c.sense) : undefined;
    const good = c.serviceResponse === ServiceResponse.TaskComplete && (c.status === 0 || c.status === 4);
    return [
      c.serviceResponse,
      c.status,
      taskStatusName(c.serviceResponse, c.status),
      good,
      q ? q.key : null,
      q ? q.asc : null,
      q ? q.ascq : null,
      c.sense.length ? toHex(c.sense) : null,
      BigInt(c.bytesTransferred),
      c.residualFlags ? BigInt(c.residual) : null,
    ];
  }

  private onOrphan(c: TaskCompleted): void {
    const row: Value[] = [this.source, 'orphan', i64(c.taskId)];
    // target_id .. timeout_ms, submit_ns: unknown without a submission.
    for (let i = 3; i < 18; i++) row.push(null);
    row.push(ns(c.timeNs), null, ...this.completionColumns(c));
    for (let i = 0; i < 7; i++) row.push(null);
    row.push(BigInt(c.offset), BigInt(c.index), BigInt(c.offset));
    this.tasks.add(row);
  }
}

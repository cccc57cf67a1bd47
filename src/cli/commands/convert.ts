import { batchToEvents } from '../../model/batch-builder.js';
import { Command } from 'commander';
import { TraceWriter } from '../../formats/native/writer.js';
import { eventToJson } from '../../model/json.js';
import type { TraceEvent } from '../../model/events.js';
import { PackedSegmentList } from '../../model/segments.js';
import { UsageError } from '../../model/errors.js';
import { ExitCode } from '../exit-codes.js';
import { problemTotals, readInputs, stderrProblems, type ProblemOptions, type ReadResult } from '../input.js';
import { choiceOption, inputOptions, type CliContext } from '../context.js';
import { openOutput, type OutputTarget } from '../target.js';
import { createChecker, type Checker, type Finding } from '../../checks/engine.js';
import { PairedPipeline, type PairedConsumer } from '../../analysis/pipeline.js';
import { PerfettoWriter } from '../../report/timeline/perfetto.js';
import { ParquetTables } from '../../report/parquet.js';
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

interface ConvertOptions {
  output: string;
  format: 'sct' | 'jsonl' | 'perfetto' | 'parquet';
  check: boolean;
  inputFormat?: string;
  iscsiPort?: string;
  maxProblems?: string;
}

/** Where converted events go: the native writer or JSON Lines. */
interface EventSink {
  write(e: TraceEvent): void;
  close(): void;
}

export function convertCommand(ctx: CliContext): Command {
  return new Command('convert')
    .description('convert any supported trace or capture to the native format, JSON Lines, a Perfetto timeline or Parquet tables')
    .argument('<input>', 'trace or capture (format detected from content)')
    .requiredOption('-o, --output <path>', 'file to write ("-" is standard output); for parquet, a directory')
    .addOption(choiceOption('-f, --format <format>', 'output format', ['sct', 'jsonl', 'perfetto', 'parquet'], 'sct'))
    .option('--no-check', 'perfetto and parquet: do not run the checker (no finding markers, an empty findings table)')
    .addOption(inputOptions.inputFormat())
    .addOption(inputOptions.iscsiPort())
    .addOption(inputOptions.maxProblems())
    .addHelpText(
      'after',
      `
Every event the input yields is written: tasks (with their target labels, buffers and SGLs),
completions, HBA events (iSCSI and UAS task management), constraints, digests, notes and
capture gaps. Damage in the input is reported on stderr (exit
2) and the intact events are still written. Decoding the output gives the same tasks as
decoding the input.

--format perfetto writes Chrome/Perfetto trace-event JSON (open it in ui.perfetto.dev or
chrome://tracing): a process per target with a row per LUN lane (tasks in flight together get
different lanes), tasks as slices named by their decoded CDB with the task in the arguments,
HBA events, capture gaps and checker findings on the "HBA" process, queue depth and
throughput as counters (docs/timeline.md).

--format parquet writes a directory: <dir>/tasks.parquet (one row per task) and
<dir>/findings.parquet (one row per checker finding). Query a directory of them with DuckDB
or Spark (docs/fleet.md).

Examples:
  $ scsitrace convert traces/iscsi-libiscsi.pcapng -o iscsi.sct
  $ scsitrace convert --format perfetto traces/mixed-workload.sct -o mixed.json
  $ scsitrace convert --format parquet traces/mixed-workload.sct -o fleet/mixed-workload
  $ scsitrace convert --format jsonl traces/usb-bot.pcap -o usb-bot.jsonl
  $ scsitrace convert --iscsi-port 13260 capture.pcap -o capture.sct`,
    )
    .action(async (input: string, o: ConvertOptions) => {
      ctx.exitCode = await runConvert(input, o, ctx);
    });
}

async function runConvert(input: string, o: ConvertOptions, ctx: CliContext): Promise<number> {
  if (!o.output) throw new UsageError('convert: -o/--output is required');
  const problems = stderrProblems(ctx, o.maxProblems);
  if (o.format === 'parquet') return runTables(input, o, ctx, problems);
  if (o.format === 'perfetto') return runTimeline(input, o, ctx, problems);
  // Opened before reading: a bad path is reported at once, and the input is never the output.
  const target = openOutput(o.output, ctx, [input]);
  let sink: EventSink | undefined;
  let written = 0;
  const open = (first: TraceEvent | undefined): EventSink => {
    if (o.format === 'jsonl') return jsonlSink(target);
    const header = first?.kind === 'header' ? first : undefined;
    const w = new TraceWriter((bytes) => target.write(bytes), {
      producer: header ? `scsitrace convert (${header.format}${header.producer ? `: ${header.producer}` : ''})` : 'scsitrace convert',
      startWallNs: header?.startWallNs ?? 0n,
      // Event times count from the input's time origin; the file's timestamps count from 0 again.
      ...(header?.timeOriginNs !== undefined ? { timeOriginNs: header.timeOriginNs } : {}),
    });
    return nativeSink(w);
  };
  const result = await readInputs(
    [input],
    ctx.openOptions(o),
    (batch) => {
      const events = batchToEvents(batch);
      if (!sink) sink = open(events[0]);
      for (const e of events) {
        if (e.kind === 'diagnostic') continue;
        sink.write(e);
        written++;
      }
    },
    undefined,
    undefined,
    undefined,
    problems,
  );
  if (!sink) sink = open(undefined);
  sink.close();
  await target.close();
  const totals = problemTotals(result);
  for (const line of totals) ctx.error(line);
  const damaged = result.diagnosticCount > 0 || totals.length > 0;
  if (written === 0 && !damaged) ctx.warn(`${input}: no events to convert`);
  return damaged ? ExitCode.BadInput : ExitCode.Ok;
}

function nativeSink(w: TraceWriter): EventSink {
  let headerSeen = false;
  return {
    write(e) {
      switch (e.kind) {
        case 'header':
          // The first header became the file header; later ones (several inputs) are noted.
          if (headerSeen) w.note(e.timeNs, `input header: ${e.format} ${e.version} ${e.producer}`);
          headerSeen = true;
          return;
        case 'submit':
          w.submit({
            timeNs: e.timeNs,
            taskId: e.taskId,
            targetId: e.targetId,
            lun: e.lun,
            tag: e.tag,
            attribute: e.attribute,
            direction: e.direction,
            requestedBytes: e.requestedBytes,
            timeoutMs: e.timeoutMs,
            cdb: e.cdb,
            segments:
              e.segments instanceof PackedSegmentList
                ? e.segments.bytes
                : Array.from({ length: e.segments.count }, (_, i) => ({ address: e.segments.address(i), length: e.segments.length(i) })),
            ...(e.sglRecorded !== undefined ? { sglRecorded: e.sglRecorded } : {}),
            ...(e.buffer !== undefined ? { buffer: e.buffer } : {}),
            ...(e.targetLabel !== undefined ? { targetLabel: e.targetLabel } : {}),
            ...(e.bundleSlot !== undefined ? { bundleSlot: e.bundleSlot } : {}),
          });
          return;
        case 'complete':
          w.complete({
            timeNs: e.timeNs,
            taskId: e.taskId,
            serviceResponse: e.serviceResponse,
            status: e.status,
            bytesTransferred: e.bytesTransferred,
            residual: e.residual,
            residualFlags: e.residualFlags,
            sense: e.sense,
          });
          return;
        case 'constraints':
          w.constraints(e.timeNs, e.entries);
          return;
        case 'hba':
          w.hba({
            timeNs: e.timeNs,
            kind: e.hbaKind,
            phase: e.phase,
            ...(e.taskId !== undefined ? { taskId: e.taskId } : {}),
            status: e.status,
            durationNs: e.durationNs,
            arg0: e.arg0,
            arg1: e.arg1,
            detail: e.detail,
          });
          return;
        case 'digest':
          w.digest({
            timeNs: e.timeNs,
            taskId: e.taskId,
            ...(e.lba !== undefined ? { lba: e.lba } : {}),
            byteCount: e.byteCount,
            direction: e.direction,
            crc32c: e.crc32c,
            chunkBytes: e.chunkBytes,
            chunkDigests: e.chunkDigests,
          });
          return;
        case 'note':
          w.note(e.timeNs, e.text, e.taskId);
          return;
        case 'gap':
          w.gap({
            timeNs: e.timeNs,
            endNs: e.endNs,
            lost: e.lost,
            unit: e.unit,
            affects: e.affects,
            ...(e.targetId !== undefined ? { targetId: e.targetId } : {}),
            detail: e.detail,
          });
          return;
        case 'diagnostic':
          return;
      }
    },
    close: () => w.flush(),
  };
}

function jsonlSink(target: OutputTarget): EventSink {
  let parts: string[] = [];
  let size = 0;
  const flush = () => {
    if (!parts.length) return;
    target.write(parts.join(''));
    parts = [];
    size = 0;
  };
  return {
    write(e) {
      const j = eventToJson(e);
      if (!j) return;
      const line = `${JSON.stringify(j)}\n`;
      parts.push(line);
      size += line.length;
      if (size > 1 << 20) flush();
    },
    close() {
      flush();
    },
  };
}

/**
 * Reads the input once through one pipeline: the checker (when on), then the output, over the
 * same paired rows. Findings reach the output before the rows that follow them, and for the
 * task they are about before that task's row or slice is written (the checker sees rows first).
 */
async function analyse(
  input: string,
  o: ConvertOptions,
  ctx: CliContext,
  out: PairedConsumer & { onFinding(f: Finding): void },
  problems: ProblemOptions,
): Promise<ReadResult> {
  const checker: Checker | undefined = o.check ? createChecker({ onFinding: (f) => out.onFinding(f), maxExamples: 0 }) : undefined;
  const pipeline = new PairedPipeline([...(checker ? [checker.consumer] : []), out]);
  const result = await readInputs(
    [input],
    ctx.openOptions(o),
    (batch) => pipeline.push(batch),
    (trace) => pipeline.startFile(trace.path),
    undefined,
    undefined,
    problems,
  );
  pipeline.finish();
  return result;
}

async function runTimeline(input: string, o: ConvertOptions, ctx: CliContext, problems: ProblemOptions): Promise<number> {
  const target = openOutput(o.output, ctx, [input]);
  const writer = new PerfettoWriter({ write: (text) => target.write(text), producer: `scsitrace convert ${input}` });
  const result = await analyse(input, o, ctx, writer, problems);
  writer.finish();
  await target.close();
  return endOfInput(result, ctx);
}

async function runTables(input: string, o: ConvertOptions, ctx: CliContext, problems: ProblemOptions): Promise<number> {
  const dir = o.output;
  if (dir === '-') throw new UsageError('convert --format parquet: -o names a directory (Parquet needs two files: tasks.parquet and findings.parquet)');
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
    if (!isDir) throw new UsageError(`convert --format parquet: ${dir} exists and is not a directory`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
  }
  if (resolve(dir) === resolve(input)) throw new UsageError(`convert: ${dir} is the input`);
  try {
    if (!isDir) mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(`convert --format parquet: cannot make directory ${dir}: ${(e as Error).message}`);
  }
  const tables = new ParquetTables({
    tasksPath: join(dir, 'tasks.parquet'),
    findingsPath: join(dir, 'findings.parquet'),
    sourceFile: input,
    metadata: { 'scsitrace.checked': String(o.check) },
  });
  const result = await analyse(input, o, ctx, tables, problems);
  tables.finish();
  return endOfInput(result, ctx);
}

/** The totals of damaged input on stderr (each problem was reported as found), and the exit code. */
function endOfInput(result: ReadResult, ctx: CliContext): number {
  const totals = problemTotals(result);
  for (const line of totals) ctx.error(line);
  return result.diagnosticCount || totals.length ? ExitCode.BadInput : ExitCode.Ok;
}

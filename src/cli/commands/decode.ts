import { Command, Option } from 'commander';
import { matchesFilterAt, parseFilter, type TaskFilter } from '../../analysis/filter.js';
import { GapLedger, describeGap } from '../../analysis/gaps.js';
import { PairedPipeline, type PairedConsumer, type TraceEnd } from '../../analysis/pipeline.js';
import type { TaskKey } from '../../analysis/slot-table.js';
import { keyOf, RowFlag, RowKind, TaskBatch } from '../../model/batch.js';
import { bigintAt } from '../../model/batch-builder.js';
import { taskKey } from '../../analysis/slot-table.js';
import { linkedEventText, writeTaskJson, segmentLines, textStyle, writeTaskText, type TextStyle } from '../../report/decode.js';
import type { LinkedEvent } from '../../report/task-view.js';
import { formatTimestamp } from '../../report/time.js';
import type { CaptureGap, TraceEvent, TraceHeader } from '../../model/events.js';
import { UsageError, describeOffset } from '../../model/errors.js';
import type { OpenedTrace } from '../../formats/open.js';
import { ExitCode } from '../exit-codes.js';
import { problemTotals, readInputs, stderrProblems, type TraceInfo } from '../input.js';
import { LineOutput } from '../output.js';
import { plural } from '../../model/units.js';
import { inputOptions, parseJobs, type CliContext } from '../context.js';
import { readInputsOnWorkers } from '../parallel-input.js';
import { canRunParallel, RemotePipeline } from '../../pipeline/parallel.js';

/** Completions without a submission are worth a warning each, up to a point. */
const MAX_ORPHAN_WARNINGS = 10;
/** Capture gaps get a warning line each, up to a point; the count at the end covers them all. */
const MAX_GAP_WARNINGS = 20;
/** Events kept per task for --with-events; more are counted. */
const MAX_LINKED_EVENTS = 256;

interface DecodeOptions {
  format: 'text' | 'json';
  lun?: string[];
  opcode?: string[];
  status?: string[];
  since?: string;
  until?: string;
  limit?: string;
  segments?: boolean;
  withEvents?: boolean;
  inputFormat?: string;
  iscsiPort?: string;
  jobs?: string;
  maxProblems?: string;
}

/** Repeatable options accumulate (variadic ones would swallow the trace paths after them). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function decodeCommand(ctx: CliContext): Command {
  return new Command('decode')
    .description('decode every task: time, latency, target:LUN, task id and tag, command, status and sense')
    .argument('<trace...>', 'trace files (native .sct or any supported capture; format detected from content)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--lun <n>', 'only these LUNs (comma-separated or repeated)', collect)
    .option('--opcode <op>', 'only these opcodes, hex or decimal; opcode/service-action as 0x9e/0x10 (comma-separated or repeated)', collect)
    .option('--status <s>', 'only these outcomes: good, check, failed, incomplete, or a SAM status code (comma-separated or repeated)', collect)
    .option('--since <seconds>', 'only tasks submitted at or after this time since capture start')
    .option('--until <seconds>', 'only tasks submitted at or before this time since capture start')
    .option('--limit <n>', 'stop after this many tasks')
    .option('--segments', "with each task, the buffer the framework handed the driver and the driver's SGL")
    .option('--with-events', 'with each task, the notes, data digests and HBA events that name it')
    .addOption(inputOptions.inputFormat())
    .addOption(inputOptions.iscsiPort())
    .addOption(inputOptions.jobs())
    .addOption(inputOptions.maxProblems())
    .addHelpText(
      'after',
      `
Tasks are printed as they complete (completion order); tasks still in flight at the end of
a trace are printed last, marked NEVER COMPLETED, or COMPLETION NOT CAPTURED when the capture
lost something after they were submitted (a capture gap: each is warned about on stderr).
Times are seconds since the trace's timestamp 0; tags are in hex. JSON output is one object per
line; its fields are listed in README.md and docs/schemas/decode.schema.json.

Examples:
  $ scsitrace decode traces/healthy-copy.sct
  $ scsitrace decode --opcode 0x35,0x91 --format json traces/lsi3108-buffered-copy.sct
  $ scsitrace decode --segments --with-events --limit 5 traces/lsi3108-buffered-copy.sct
  $ scsitrace decode --status check,failed --limit 20 capture.pcapng`,
    )
    .action(async (paths: string[], o: DecodeOptions) => {
      ctx.exitCode = await runDecode(paths, o, ctx);
    });
}

/** What decode knows of the file being read. */
interface FileState {
  path: string;
  originNs: bigint;
  style: TextStyle;
  filter: TaskFilter;
  /** The file's capture gaps, for the summary warning at its end. */
  gaps: GapLedger;
  notCaptured: number;
  tasks: number;
  firstNote: string | undefined;
}

/**
 * decode's printer: a consumer of paired batches (src/analysis/pipeline.ts). Tasks are printed
 * as they complete; a task given up (its id reused) or left in flight at the end of its trace is
 * printed then, marked NEVER COMPLETED or COMPLETION NOT CAPTURED. With --with-events, the
 * notes, digests and HBA events naming a task are printed under it: the task that completed
 * last is held (a copy) until the next task record, so that a digest written just after its
 * completion joins it.
 */
class DecodePrinter implements PairedConsumer {
  printed = 0;
  orphans = 0;
  gapWarnings = 0;
  /** Output flushes started while writing a batch; awaited (settle) before the next. */
  readonly flushes: Array<Promise<void>> = [];
  st: FileState;
  private readonly linked = new Map<TaskKey, LinkedEvent[]>();
  private held: { batch: TaskBatch; key: TaskKey; events: LinkedEvent[] } | undefined;
  private readonly heldBatch = new TaskBatch(4, 1024);
  /** The CLI printed the trace's left-over tasks itself (awaiting output between batches). */
  leftPrinted = false;

  constructor(
    private readonly o: DecodeOptions,
    private readonly out: LineOutput,
    private readonly baseFilter: TaskFilter,
    private readonly limit: number,
    private readonly colors: boolean,
    private readonly ctx: CliContext,
  ) {
    this.st = this.newState('');
  }

  newState(path: string): FileState {
    return {
      path,
      originNs: 0n,
      style: textStyle(this.colors),
      filter: this.baseFilter,
      gaps: new GapLedger(),
      notCaptured: 0,
      tasks: 0,
      firstNote: undefined,
    };
  }

  startFile(path: string): void {
    this.st = this.newState(path);
    this.linked.clear();
    this.held = undefined;
  }

  async settle(): Promise<void> {
    if (this.flushes.length) await Promise.all(this.flushes.splice(0));
  }

  private pending(w: Promise<void> | undefined): void {
    if (w) this.flushes.push(w);
  }

  private onHeader(h: TraceHeader): void {
    const st = this.st;
    const origin = h.timeOriginNs ?? 0n;
    if (origin === st.originNs) return;
    st.originNs = origin;
    st.style = textStyle(this.colors, origin);
    // --since/--until are seconds since timestamp 0, as printed; times here count from the origin.
    const shift = Number(origin);
    const base = this.baseFilter;
    st.filter = {
      ...base,
      ...(base.sinceNs !== undefined ? { sinceNs: base.sinceNs - shift } : {}),
      ...(base.untilNs !== undefined ? { untilNs: base.untilNs - shift } : {}),
    };
  }

  private onGap(g: CaptureGap): void {
    const st = this.st;
    st.gaps.add(g);
    if (++this.gapWarnings <= MAX_GAP_WARNINGS) {
      this.ctx.warn(`${st.path}: ${describeOffset(g.offset, g.index)}: at ${formatTimestamp(g.timeNs, st.style.originSeconds)} s, ${describeGap(g)}`);
    }
  }

  private orphan(b: TaskBatch, r: number): void {
    if (++this.orphans > MAX_ORPHAN_WARNINGS) return;
    const flags = b.flags[r]!;
    const again = (flags & RowFlag.AlreadyCompleted) !== 0;
    const lost = !again && (flags & RowFlag.SubmissionLostBefore) !== 0;
    const taskId = bigintAt(b.taskIdHi, b.taskIdLo, r);
    // Not an orphan when a gap before it may hold its submission: the capture lost it.
    const what = lost
      ? `completion for task id ${taskId}, whose submission was not captured (a capture gap before it may have lost it)`
      : `completion for unknown task id ${taskId}${again ? ' (already completed)' : ''}`;
    this.ctx.warn(`${this.st.path}: ${describeOffset(b.offset[r]!, b.index[r])}: ${what}`);
  }

  /** Prints the task in row r (a Complete, GivenUp or NeverCompleted row) if it passes the filters and the limit. */
  emit(b: TaskBatch, r: number, events: readonly LinkedEvent[] | undefined): void {
    const st = this.st;
    const completed = b.kind[r] === RowKind.Complete;
    const notCaptured = !completed && (b.flags[r]! & RowFlag.CompletionMayBeLost) !== 0;
    if (notCaptured) st.notCaptured++;
    if (this.printed >= this.limit || !matchesFilterAt(st.filter, b, r)) return;
    this.printed++;
    const o = this.o;
    if (o.format !== 'text') {
      this.pending(
        writeTaskJson(this.out, b, r, {
          originNs: st.originNs,
          completionNotCaptured: notCaptured,
          ...(o.segments ? { segments: true } : {}),
          ...(o.withEvents ? { events: events ?? [] } : {}),
        }),
      );
      return;
    }
    this.pending(writeTaskText(this.out, b, r, st.style, notCaptured));
    if (o.segments) for (const l of segmentLines(b, r)) this.pending(this.out.line(l));
    if (events) for (const e of events) this.pending(this.out.line(linkedEventText(e, st.style)));
  }

  /** The events linked to a task, taken out of the table (--with-events). */
  private eventsOf(key: TaskKey): LinkedEvent[] | undefined {
    if (!this.o.withEvents) return undefined;
    const list = this.linked.get(key) ?? [];
    this.linked.delete(key);
    return list;
  }

  private release(): void {
    const h = this.held;
    if (!h) return;
    this.held = undefined;
    this.emit(h.batch, 0, h.events);
  }

  rows(b: TaskBatch, from: number, to: number): void {
    const withEvents = this.o.withEvents === true;
    for (let r = from; r < to; r++) {
      const kind = b.kind[r]!;
      if (kind === RowKind.Submit) {
        this.st.tasks++;
        if (withEvents) this.release();
        if (b.flags[r]! & RowFlag.Reused) {
          const side = b.link[r]!;
          this.emit(b, side, this.eventsOf(keyOf(b.taskIdHi[side]!, b.taskIdLo[side]!)));
        }
      } else if (kind === RowKind.Complete) {
        if (withEvents) {
          this.release();
          const key = keyOf(b.taskIdHi[r]!, b.taskIdLo[r]!);
          const copy = this.heldBatch;
          copy.clear();
          copy.appendCopy(b, r);
          this.held = { batch: copy, key, events: this.eventsOf(key)! };
        } else {
          this.emit(b, r, undefined);
        }
      } else if (kind === RowKind.Orphan) {
        if (withEvents) this.release();
        this.orphan(b, r);
      } else if (kind === RowKind.Event) {
        this.event(b, r, b.events[b.link[r]!]!);
      }
    }
  }

  private event(b: TaskBatch, r: number, ev: TraceEvent): void {
    switch (ev.kind) {
      case 'header':
        this.onHeader(ev);
        return;
      case 'gap':
        this.onGap(ev);
        return;
      case 'note':
        if (ev.taskId === undefined && this.st.firstNote === undefined) this.st.firstNote = ev.text;
        if (this.o.withEvents) this.link(b, r, ev);
        return;
      case 'digest':
      case 'hba':
        if (this.o.withEvents) this.link(b, r, ev);
        return;
      default:
        return;
    }
  }

  /** Joins an event to the task it names: the held one (completed last), or one in flight. */
  private link(b: TaskBatch, r: number, e: LinkedEvent): void {
    if (e.taskId === undefined) return;
    const key = taskKey(e.taskId);
    let list: LinkedEvent[] | undefined;
    if (this.held && this.held.key === key) list = this.held.events;
    else if (b.flags[r]! & RowFlag.LinkedInFlight) {
      list = this.linked.get(key);
      if (!list) this.linked.set(key, (list = []));
    }
    if (list && list.length < MAX_LINKED_EVENTS) list.push(e);
  }

  /** The trace's left-over tasks, printed (synchronously, for a trace that ends mid-file). */
  endTrace(end: TraceEnd): void {
    this.release();
    if (this.leftPrinted) {
      this.leftPrinted = false;
      return;
    }
    for (const b of end.left()) for (let r = 0; r < b.length; r++) this.emit(b, r, this.eventsOf(keyOf(b.taskIdHi[r]!, b.taskIdLo[r]!)));
  }

  /** The left-over tasks of the file's last trace, awaiting the output between batches. */
  async printLeft(pairer: { left(): Iterable<TaskBatch> }): Promise<void> {
    this.release();
    for (const b of pairer.left()) {
      for (let r = 0; r < b.length; r++) this.emit(b, r, this.eventsOf(keyOf(b.taskIdHi[r]!, b.taskIdLo[r]!)));
      await this.settle();
    }
    this.leftPrinted = true;
  }
}

async function runDecode(paths: string[], o: DecodeOptions, ctx: CliContext): Promise<number> {
  const baseFilter = parseFilter(o);
  const problems = stderrProblems(ctx, o.maxProblems);
  const limit = o.limit === undefined ? Infinity : Number(o.limit);
  if (!(limit >= 0) || (!Number.isInteger(limit) && limit !== Infinity)) throw new UsageError(`--limit: "${o.limit}" is not a whole number`);
  const text = o.format === 'text';
  const colors = text && ctx.useColor(ctx.stdout);
  const out = new LineOutput(ctx.stdout);
  const printer = new DecodePrinter(o, out, baseFilter, limit, colors, ctx);
  // --segments prints each task's SGL when it completes: the pairer keeps the lists until then.
  const keepSegments = o.segments === true;
  const endFile = async (trace: TraceInfo, left: { left(): Iterable<TaskBatch> }, endTrace: () => void): Promise<void> => {
    const st = printer.st;
    if (st.tasks === 0) ctx.warn(`${trace.path}: no SCSI tasks found (read as ${trace.format.id})${st.firstNote ? `: ${st.firstNote}` : ''}`);
    await printer.printLeft(left);
    endTrace();
    await printer.settle();
    if (st.gaps.count) {
      const lost = st.gaps.totals().lost;
      const what = (Object.keys(lost) as Array<keyof typeof lost>).filter((k) => k !== 'unknown' && lost[k] > 0).map((k) => plural(lost[k], k.slice(0, -1), k));
      ctx.warn(
        `${trace.path}: the capture is incomplete: ${plural(st.gaps.count, 'capture gap')}${what.length ? ` (${what.join(', ')} lost)` : ''}${printer.gapWarnings > MAX_GAP_WARNINGS ? `, first ${MAX_GAP_WARNINGS} shown` : ''}; the completions of ${plural(st.notCaptured, 'task')} not captured`,
      );
    }
  };
  const jobs = parseJobs(o.jobs);
  let result;
  if (canRunParallel(paths, jobs)) {
    // Read workers pair; this thread prints the same rows in the same order.
    const pipeline = new RemotePipeline([printer]);
    result = await readInputsOnWorkers(
      paths,
      ctx.openOptions(o),
      pipeline,
      {
        onTraceStart: (trace) => pipeline.startFile(trace.path),
        afterBatch: () => printer.settle(),
        onTraceEnd: (trace) => endFile(trace, pipeline, () => pipeline.endTrace()),
      },
      { jobs, keepSegments, problems },
      ctx,
    );
  } else {
    const pipeline = new PairedPipeline([printer], { keepSegments });
    result = await readInputs(
      paths,
      ctx.openOptions(o),
      async (batch) => {
        pipeline.push(batch);
        await printer.settle();
      },
      (trace: OpenedTrace) => pipeline.startFile(trace.path),
      (trace) => endFile(trace, pipeline.pairer, () => pipeline.endTrace()),
      ctx,
      problems,
    );
  }
  await out.flush();
  if (printer.orphans > MAX_ORPHAN_WARNINGS) ctx.warn(`${printer.orphans} completions for unknown task ids in all (first ${MAX_ORPHAN_WARNINGS} shown)`);
  const totals = problemTotals(result);
  for (const line of totals) ctx.error(line);
  return result.diagnosticCount || totals.length ? ExitCode.BadInput : ExitCode.Ok;
}

import { Command, Option } from 'commander';
import { TaskMatcher, taskKey, type TaskKey, type TaskRecord } from '../../analysis/tasks.js';
import { matchesFilter, parseFilter, type TaskFilter } from '../../analysis/filter.js';
import { GapLedger, completionMayBeLost, describeGap } from '../../analysis/gaps.js';
import { jsonLine, linkedEventText, newTaskLine, segmentLines, taskLineOf, textStyle, writeTaskText, type TaskLine, type TextStyle } from '../../report/decode.js';
import { TaskLineMatcher } from '../../report/task-lines.js';
import type { LinkedEvent } from '../../report/task-view.js';
import { formatTimestamp } from '../../report/time.js';
import type { TaskSink } from '../../model/task-sink.js';
import { GapAffects, type CaptureGap, type TraceEvent, type TraceHeader } from '../../model/events.js';
import { UsageError, describeOffset } from '../../model/errors.js';
import type { OpenedTrace } from '../../formats/open.js';
import { ExitCode } from '../exit-codes.js';
import { problemTotals, readInputs, stderrProblems } from '../input.js';
import { LineOutput } from '../output.js';
import { plural } from '../../model/units.js';
import { inputOptions, type CliContext } from '../context.js';

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

/** What decode knows of the trace being read. */
interface TraceState {
  path: string;
  originNs: bigint;
  style: TextStyle;
  filter: TaskFilter;
  gaps: GapLedger;
  gapsSeen: WeakSet<CaptureGap>;
  notCaptured: number;
  tasks: number;
  firstNote: string | undefined;
}

async function runDecode(paths: string[], o: DecodeOptions, ctx: CliContext): Promise<number> {
  const baseFilter = parseFilter(o);
  const problems = stderrProblems(ctx, o.maxProblems);
  const limit = o.limit === undefined ? Infinity : Number(o.limit);
  if (!(limit >= 0) || !Number.isInteger(limit) && limit !== Infinity) throw new UsageError(`--limit: "${o.limit}" is not a whole number`);
  const text = o.format === 'text';
  const details = o.segments === true || o.withEvents === true;
  const colors = text && ctx.useColor(ctx.stdout);
  const out = new LineOutput(ctx.stdout);
  const scratch = newTaskLine();
  let printed = 0;
  let orphans = 0;
  let gapWarnings = 0;
  /** Output flushes started while a reader's task sink was writing; awaited after each batch. */
  const flushes: Array<Promise<void>> = [];
  const pending = (w: Promise<void> | undefined) => {
    if (w) flushes.push(w);
  };
  const settle = async () => {
    if (flushes.length) await Promise.all(flushes.splice(0));
  };

  const newState = (path: string): TraceState => ({
    path,
    originNs: 0n,
    style: textStyle(colors),
    filter: baseFilter,
    gaps: new GapLedger(),
    gapsSeen: new WeakSet(),
    notCaptured: 0,
    tasks: 0,
    firstNote: undefined,
  });
  let st = newState('');

  const onHeader = (h: TraceHeader) => {
    const origin = h.timeOriginNs ?? 0n;
    if (origin === st.originNs) return;
    st.originNs = origin;
    st.style = textStyle(colors, origin);
    // --since/--until are seconds since timestamp 0, as printed; times here count from the origin.
    const shift = Number(origin);
    st.filter = {
      ...baseFilter,
      ...(baseFilter.sinceNs !== undefined ? { sinceNs: baseFilter.sinceNs - shift } : {}),
      ...(baseFilter.untilNs !== undefined ? { untilNs: baseFilter.untilNs - shift } : {}),
    };
  };
  const onGap = (g: CaptureGap) => {
    if (st.gapsSeen.has(g)) return; // the same gap, from the task sink and as an event
    st.gapsSeen.add(g);
    st.gaps.add(g);
    if (++gapWarnings <= MAX_GAP_WARNINGS) {
      ctx.warn(`${st.path}: ${describeOffset(g.offset, g.index)}: at ${formatTimestamp(g.timeNs, st.style.originSeconds)} s, ${describeGap(g)}`);
    }
  };
  const orphan = (ev: { offset: number; index: number; timeNs: number; taskId: bigint | number }, alreadyCompleted: boolean) => {
    if (++orphans <= MAX_ORPHAN_WARNINGS) {
      const lost = !alreadyCompleted && st.gaps.lostBefore(ev.timeNs, GapAffects.Submissions) !== undefined;
      // Not an orphan when a gap before it may hold its submission: the capture lost it.
      const what = lost ? `completion for task id ${ev.taskId}, whose submission was not captured (a capture gap before it may have lost it)` : `completion for unknown task id ${ev.taskId}${alreadyCompleted ? ' (already completed)' : ''}`;
      ctx.warn(`${describeOffset(ev.offset, ev.index)}: ${what}`);
    }
  };
  /** Marks a line that never completed whose completion a capture gap may have swallowed. */
  const judge = (line: TaskLine) => {
    if (!line.completed && completionMayBeLost(st.gaps, line.timeNs, line.targetId)) {
      line.completionNotCaptured = true;
      st.notCaptured++;
    }
  };
  /** Whether a task passes the filters and the limit (and counts it when it does). */
  const take = (line: TaskLine): boolean => {
    if (printed >= limit || !matchesFilter(st.filter, line)) return false;
    printed++;
    return true;
  };
  const emit = (t: TaskRecord, events: readonly LinkedEvent[] | undefined): void => {
    const line = taskLineOf(t, scratch);
    judge(line);
    if (!take(line)) return;
    if (!text) {
      pending(
        out.line(
          jsonLine(t, {
            originNs: st.originNs,
            completionNotCaptured: line.completionNotCaptured,
            ...(o.segments ? { segments: true } : {}),
            ...(o.withEvents ? { events: events ?? [] } : {}),
          }),
        ),
      );
      return;
    }
    pending(writeTaskText(out, line, st.style));
    if (o.segments) for (const l of segmentLines(t.submit)) pending(out.line(l));
    if (events) for (const e of events) pending(out.line(linkedEventText(e, st.style)));
  };

  // --with-events: the events naming each task in flight, and the task that completed last, held
  // back until the next task record so that a digest written just after its completion joins it.
  const linked = new Map<TaskKey, LinkedEvent[]>();
  let held: { task: TaskRecord; events: LinkedEvent[] } | undefined;
  const release = () => {
    if (held) emit(held.task, held.events);
    held = undefined;
  };
  const eventsOf = (id: bigint): LinkedEvent[] => {
    const key = taskKey(id);
    const list = linked.get(key) ?? [];
    linked.delete(key);
    return list;
  };
  const link = (e: LinkedEvent, matcher: TaskMatcher) => {
    if (e.taskId === undefined) return;
    let list: LinkedEvent[] | undefined;
    if (held && held.task.submit.taskId === e.taskId) list = held.events;
    else if (matcher.inFlight.get(taskKey(e.taskId))) {
      const key = taskKey(e.taskId);
      list = linked.get(key);
      if (!list) linked.set(key, (list = []));
    }
    if (list && list.length < MAX_LINKED_EVENTS) list.push(e);
  };

  // Text output from a reader that can hand tasks over without events (native traces) takes
  // the lean path: tasks go from the record bytes to the output line with no object per task.
  // Everything else goes through events and TaskMatcher; both print through writeTaskText.
  let matcher = new TaskMatcher();
  const newLean = () =>
    new TaskLineMatcher((line) => {
      judge(line);
      if (take(line)) pending(writeTaskText(out, line, st.style));
    }, orphan);
  let lean = newLean();
  const taskSink: TaskSink = {
    header: onHeader,
    gap: onGap,
    submit: (f) => {
      st.tasks++;
      lean.submit(f);
    },
    complete: (f) => lean.complete(f),
  };
  const openOptions = text && !details ? { ...ctx.openOptions(o), taskSink } : ctx.openOptions(o);

  const onEvent = (ev: TraceEvent) => {
    switch (ev.kind) {
      case 'submit': {
        st.tasks++;
        if (o.withEvents) release();
        const r = matcher.submit(ev);
        if (r?.kind === 'reused') emit({ submit: r.previous }, o.withEvents ? eventsOf(r.previous.taskId) : undefined);
        return;
      }
      case 'complete': {
        if (o.withEvents) release();
        const r = matcher.complete(ev);
        if (r.kind === 'task') {
          if (o.withEvents) held = { task: r.task, events: eventsOf(r.task.submit.taskId) };
          else emit(r.task, undefined);
        } else if (r.kind === 'orphan') {
          orphan(ev, r.alreadyCompleted);
        }
        return;
      }
      case 'header':
        onHeader(ev);
        return;
      case 'gap':
        onGap(ev);
        return;
      case 'note':
        if (ev.taskId === undefined && st.firstNote === undefined) st.firstNote = ev.text;
        if (o.withEvents) link(ev, matcher);
        return;
      case 'digest':
      case 'hba':
        if (o.withEvents) link(ev, matcher);
        return;
      default:
        return;
    }
  };

  const result = await readInputs(
    paths,
    openOptions,
    async (batch) => {
      await settle();
      for (const ev of batch) {
        onEvent(ev);
        if (flushes.length) await settle();
      }
    },
    (trace: OpenedTrace) => {
      matcher = new TaskMatcher();
      lean = newLean();
      linked.clear();
      held = undefined;
      st = newState(trace.path);
    },
    async (trace) => {
      if (st.tasks === 0) ctx.warn(`${trace.path}: no SCSI tasks found (read as ${trace.format.id})${st.firstNote ? `: ${st.firstNote}` : ''}`);
      release();
      lean.drain();
      for (const t of matcher.drain()) emit(t, o.withEvents ? eventsOf(t.submit.taskId) : undefined);
      await settle();
      if (st.gaps.count) {
        const lost = st.gaps.totals().lost;
        const what = (Object.keys(lost) as Array<keyof typeof lost>).filter((k) => k !== 'unknown' && lost[k] > 0).map((k) => plural(lost[k], k.slice(0, -1), k));
        ctx.warn(
          `${trace.path}: the capture is incomplete: ${plural(st.gaps.count, 'capture gap')}${what.length ? ` (${what.join(', ')} lost)` : ''}${gapWarnings > MAX_GAP_WARNINGS ? `, first ${MAX_GAP_WARNINGS} shown` : ''}; the completions of ${plural(st.notCaptured, 'task')} not captured`,
        );
      }
    },
    ctx,
    problems,
  );
  await out.flush();
  if (orphans > MAX_ORPHAN_WARNINGS) ctx.warn(`${orphans} completions for unknown task ids in all (first ${MAX_ORPHAN_WARNINGS} shown)`);
  const totals = problemTotals(result);
  for (const line of totals) ctx.error(line);
  return result.diagnosticCount || totals.length ? ExitCode.BadInput : ExitCode.Ok;
}

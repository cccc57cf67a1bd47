import { Command, Option } from 'commander';
import { TaskMatcher, type TaskRecord } from '../../analysis/tasks.js';
import { matchesFilter, parseFilter } from '../../analysis/filter.js';
import { jsonLine, newTaskLine, taskLineOf, writeTaskText, type TaskLine } from '../../report/decode.js';
import { TaskLineMatcher } from '../../report/task-lines.js';
import type { TaskSink } from '../../model/task-sink.js';
import { UsageError } from '../../model/errors.js';
import { ExitCode } from '../exit-codes.js';
import { diagnosticLines, readInputs } from '../input.js';
import { LineOutput } from '../output.js';
import { inputOptions, type CliContext } from '../context.js';

/** Completions without a submission are worth a warning each, up to a point. */
const MAX_ORPHAN_WARNINGS = 10;

interface DecodeOptions {
  format: 'text' | 'json';
  lun?: string[];
  opcode?: string[];
  status?: string[];
  since?: string;
  until?: string;
  limit?: string;
  inputFormat?: string;
  iscsiPort?: string;
}

/** Repeatable options accumulate (variadic ones would swallow the trace paths after them). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function decodeCommand(ctx: CliContext): Command {
  return new Command('decode')
    .description('decode every task: time, latency, target:LUN, tag, command, status and sense')
    .argument('<trace...>', 'trace files (native .sct or any supported capture; format detected from content)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--lun <n>', 'only these LUNs (comma-separated or repeated)', collect)
    .option('--opcode <op>', 'only these opcodes, hex or decimal; opcode/service-action as 0x9e/0x10 (comma-separated or repeated)', collect)
    .option('--status <s>', 'only these outcomes: good, check, failed, incomplete, or a SAM status code (comma-separated or repeated)', collect)
    .option('--since <seconds>', 'only tasks submitted at or after this time since capture start')
    .option('--until <seconds>', 'only tasks submitted at or before this time since capture start')
    .option('--limit <n>', 'stop after this many tasks')
    .addOption(inputOptions.inputFormat())
    .addOption(inputOptions.iscsiPort())
    .addHelpText(
      'after',
      `
Tasks are printed as they complete (completion order); tasks still in flight at the end of
a trace are printed last, marked NEVER COMPLETED. JSON output is one object per line; its
fields are listed in README.md.

Examples:
  $ scsitrace decode traces/healthy-copy.sct
  $ scsitrace decode --opcode 0x35,0x91 --format json traces/lsi3108-buffered-copy.sct
  $ scsitrace decode --status check,failed --limit 20 capture.pcapng`,
    )
    .action(async (paths: string[], o: DecodeOptions) => {
      ctx.exitCode = await runDecode(paths, o, ctx);
    });
}

async function runDecode(paths: string[], o: DecodeOptions, ctx: CliContext): Promise<number> {
  const filter = parseFilter(o);
  const limit = o.limit === undefined ? Infinity : Number(o.limit);
  if (!(limit >= 0) || !Number.isInteger(limit) && limit !== Infinity) throw new UsageError(`--limit: "${o.limit}" is not a whole number`);
  const text = o.format === 'text';
  const colors = text && ctx.useColor(ctx.stdout);
  const out = new LineOutput(ctx.stdout);
  const scratch = newTaskLine();
  let printed = 0;
  let orphans = 0;
  // A trace with no task at all gets a word on stderr, with the reader's own note if it left one
  // (e.g. a capture with no iSCSI or USB mass-storage traffic), instead of silent empty output.
  let tasksInTrace = 0;
  let firstNote: string | undefined;
  /** Output flushes started while a reader's task sink was writing; awaited after each batch. */
  const flushes: Array<Promise<void>> = [];

  const orphan = (ev: { offset: number; index: number; taskId: bigint | number }, alreadyCompleted: boolean) => {
    if (++orphans <= MAX_ORPHAN_WARNINGS) {
      ctx.warn(`at byte 0x${ev.offset.toString(16)} (record ${ev.index}): completion for unknown task id ${ev.taskId}${alreadyCompleted ? ' (already completed)' : ''}`);
    }
  };
  /** Whether a task passes the filters and the limit (and counts it when it does). */
  const take = (line: TaskLine): boolean => {
    if (printed >= limit || !matchesFilter(filter, line)) return false;
    printed++;
    return true;
  };
  const emit = (t: TaskRecord): Promise<void> | undefined => {
    const line = taskLineOf(t, scratch);
    if (!take(line)) return undefined;
    return text ? writeTaskText(out, line, colors) : out.line(jsonLine(t));
  };

  // Text output from a reader that can hand tasks over without events (native traces) takes
  // the lean path: tasks go from the record bytes to the output line with no object per task.
  // Everything else goes through events and TaskMatcher; both print through writeTaskText.
  let matcher = new TaskMatcher();
  const newLean = () =>
    new TaskLineMatcher((line) => {
      if (take(line)) {
        const w = writeTaskText(out, line, colors);
        if (w) flushes.push(w);
      }
    }, orphan);
  let lean = newLean();
  const taskSink: TaskSink = {
    submit: (f) => {
      tasksInTrace++;
      lean.submit(f);
    },
    complete: (f) => lean.complete(f),
  };
  const openOptions = text ? { ...ctx.openOptions(o), taskSink } : ctx.openOptions(o);

  const result = await readInputs(
    paths,
    openOptions,
    async (batch) => {
      if (flushes.length) await Promise.all(flushes.splice(0));
      for (const ev of batch) {
        if (ev.kind === 'submit') {
          tasksInTrace++;
          const r = matcher.submit(ev);
          if (r?.kind === 'reused') {
            const w = emit({ submit: r.previous });
            if (w) await w;
          }
        } else if (ev.kind === 'complete') {
          const r = matcher.complete(ev);
          if (r.kind === 'task') {
            const w = emit(r.task);
            if (w) await w;
          } else if (r.kind === 'orphan') {
            orphan(ev, r.alreadyCompleted);
          }
        } else if (ev.kind === 'note' && ev.taskId === undefined && firstNote === undefined) {
          firstNote = ev.text;
        }
      }
    },
    () => {
      matcher = new TaskMatcher();
      lean = newLean();
      tasksInTrace = 0;
      firstNote = undefined;
    },
    async (trace) => {
      if (tasksInTrace === 0) ctx.warn(`${trace.path}: no SCSI tasks found (read as ${trace.format.id})${firstNote ? `: ${firstNote}` : ''}`);
      lean.drain();
      for (const t of matcher.drain()) {
        const w = emit(t);
        if (w) await w;
      }
      if (flushes.length) await Promise.all(flushes.splice(0));
    },
    ctx,
  );
  await out.flush();
  if (orphans > MAX_ORPHAN_WARNINGS) ctx.warn(`${orphans} completions for unknown task ids in all (first ${MAX_ORPHAN_WARNINGS} shown)`);
  const problems = diagnosticLines(result);
  for (const line of problems) ctx.error(line);
  return problems.length ? ExitCode.BadInput : ExitCode.Ok;
}

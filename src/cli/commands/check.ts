import { Command } from 'commander';
import { createRequire } from 'node:module';
import { createChecker, failsAt, type CheckResult, type Checker } from '../../checks/engine.js';
import { SEVERITIES, type Severity } from '../../checks/rule.js';
import { UsageError } from '../../model/errors.js';
import { findingsRenderers, findingsWriters, type FindingsFormat, type FindingsHead } from '../../report/findings/index.js';
import { ExitCode } from '../exit-codes.js';
import { commandConstraints, diagnosticLines, problemTotals, readInputs, stderrProblems } from '../input.js';
import { LineOutput, paint } from '../output.js';
import { choiceOption, inputOptions, parseJobs, type CliContext } from '../context.js';
import { readInputsOnWorkers } from '../parallel-input.js';
import { canRunParallel, RemotePipeline } from '../../pipeline/parallel.js';
import { FileTally, fileEntries, fileLines } from '../../pipeline/per-file.js';
import { PairedPipeline } from '../../analysis/pipeline.js';

const require = createRequire(import.meta.url);
const { version } = require('../../../package.json') as { version: string };

interface CheckCliOptions {
  constraints?: string[];
  controller?: string;
  rule?: string[];
  disable?: string[];
  failOn: Severity;
  exitZero?: boolean;
  format: FindingsFormat;
  maxExamples: string;
  maxResults?: string;
  inputFormat?: string;
  iscsiPort?: string;
  jobs?: string;
  maxProblems?: string;
}

/** Repeated options accumulate: `--rule a,b --rule c`. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `--rule a,b --rule c` → [a, b, c]. */
function ids(values: string[] | undefined): string[] | undefined {
  return values
    ?.flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

/** A count option: a whole number, or "all" when allowed. */
function parseCount(flag: string, text: string, all: boolean): number {
  if (all && text.trim().toLowerCase() === 'all') return Infinity;
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`${flag}: "${text}" is not a whole number${all ? ' or "all"' : ''}`);
  return n;
}

export function checkCommand(ctx: CliContext): Command {
  return new Command('check')
    .description('check traces against HBA constraints and the rules a driver must keep')
    .argument('<trace...>', 'trace files (native .sct or any supported capture; format detected from content)')
    .option(
      '-c, --constraints <file>',
      "constraints file: JSON, or ioreg -a / ioreg -l output of the controller; overrides the trace's own constraints record; repeat to merge, later over earlier; - reads standard input (see docs/constraints.md)",
      collect,
    )
    .option('--controller <name>', 'with an ioreg dump holding several controllers: the one to use (name, class, IOUserClass, bundle id or registry id)')
    .option('--rule <ids>', 'run only these rules (comma-separated or repeated)', collect)
    .option('--disable <ids>', 'do not run these rules (comma-separated or repeated)', collect)
    .addOption(choiceOption('--fail-on <severity>', 'exit 1 when a finding at or above this severity is found', SEVERITIES, 'error'))
    .option('--exit-zero', 'report findings but exit 0 (still 2 for bad usage or damaged input)')
    .addOption(choiceOption('-f, --format <format>', 'output format', Object.keys(findingsRenderers), 'text'))
    .option('--max-examples <n>', 'examples shown per finding group, or "all" (text output and JSON groups)', '3')
    .option('--max-results <n>', 'list at most this many findings one by one (SARIF results, JSON findings); the rest are counted')
    .addOption(inputOptions.inputFormat())
    .addOption(inputOptions.iscsiPort())
    .addOption(inputOptions.jobs())
    .addOption(inputOptions.maxProblems())
    .addHelpText(
      'after',
      `
Text output groups findings per rule (and per command where that helps) with a count and the
first examples: time, task, decoded CDB, message, byte offset and evidence. \`scsitrace rules\`
lists the rules; \`scsitrace rules <id>\` explains one.

SARIF has one result per finding and JSON lists every finding (besides the groups); both are
written as findings are found, so memory stays flat however many there are. --max-results N
bounds them (GitHub code scanning rejects runs of more than 25,000 results and shows 5,000);
what is left out is counted in the document. Only the groups' examples are kept in memory:
--max-examples all keeps every finding, which a long trace can make large. JSON output has a stable
schema ("scsitrace.check/1", docs/schemas/check.schema.json).

Exit status: 0 when nothing at or above --fail-on was found (or with --exit-zero), 1 when
something was, 2 on bad usage, a bad constraints file, or unreadable or damaged input.

Examples:
  $ scsitrace check traces/healthy-copy.sct
  $ scsitrace check -c traces/lsi3108.constraints.json traces/lsi3108-buffered-copy.sct
  $ scsitrace check --format sarif --fail-on warning capture.sct > scsitrace.sarif
  $ scsitrace check --rule segment-above-address-limit,segment-count-exceeded big.sct`,
    )
    .action(async (paths: string[], o: CheckCliOptions) => {
      ctx.exitCode = await runCheck(paths, o, ctx);
    });
}

async function runCheck(paths: string[], o: CheckCliOptions, ctx: CliContext): Promise<number> {
  const maxExamples = parseCount('--max-examples', o.maxExamples, true);
  const maxResults = o.maxResults === undefined ? undefined : parseCount('--max-results', o.maxResults, false);
  const problemOptions = stderrProblems(ctx, o.maxProblems);
  const constraints = commandConstraints(o, paths);
  const enable = ids(o.rule);
  const disable = ids(o.disable);
  const writer = findingsWriters[o.format];
  const out = new LineOutput(ctx.stdout);
  /** Output flushes started while the checker wrote findings; awaited after each batch. */
  const pending: Array<Promise<void>> = [];
  let written = 0;
  let omitted = 0;
  let checker: Checker | undefined;
  let head: FindingsHead | undefined;
  if (writer) {
    checker = createChecker({
      ...(constraints ? { constraints } : {}),
      ...(enable ? { enable } : {}),
      ...(disable ? { disable } : {}),
      maxExamples,
      onFinding: (f) => {
        if (maxResults !== undefined && written >= maxResults) {
          omitted++;
          return;
        }
        const w = out.text(writer.finding(f, written++, head!));
        if (w) pending.push(w);
      },
    });
    head = { files: paths, rules: checker.rules, failOn: o.failOn, version };
    await write(out, writer.head(head));
  } else {
    checker = createChecker({ ...(constraints ? { constraints } : {}), ...(enable ? { enable } : {}), ...(disable ? { disable } : {}), maxExamples });
  }
  const c = checker;
  const jobs = parseJobs(o.jobs);
  // Over many files: a line per file besides the merged report.
  const tally = paths.length > 1 ? new FileTally(() => c.consumer.findings.counts) : undefined;
  const consumers = tally ? [c.consumer, tally] : [c.consumer];
  const drain = async (): Promise<void> => {
    if (pending.length) await Promise.all(pending.splice(0));
  };
  let input;
  try {
    if (canRunParallel(paths, jobs)) {
      // Read workers pair; this thread runs the rules over the same rows in the same order.
      const pipeline = new RemotePipeline(consumers);
      input = await readInputsOnWorkers(
        paths,
        ctx.openOptions(o),
        pipeline,
        { onTraceStart: (trace) => pipeline.startFile(trace.path), afterBatch: drain },
        { jobs, problems: problemOptions },
        ctx,
      );
      pipeline.finish();
    } else if (tally) {
      const pipeline = new PairedPipeline(consumers);
      input = await readInputs(
        paths,
        ctx.openOptions(o),
        async (batch) => {
          pipeline.push(batch);
          await drain();
        },
        (trace) => pipeline.startFile(trace.path),
        undefined,
        ctx,
        problemOptions,
      );
      pipeline.finish();
    } else {
      input = await readInputs(
        paths,
        ctx.openOptions(o),
        async (batch) => {
          c.pushBatch(batch);
          await drain();
        },
        (trace) => c.startFile(trace.path),
        undefined,
        ctx,
        problemOptions,
      );
    }
  } catch (e) {
    // Close the document already begun, marked incomplete, before the error is reported.
    if (writer && head) {
      let result: CheckResult | undefined;
      try {
        result = c.finish();
      } catch {
        result = undefined;
      }
      if (result) await write(out, writer.tail(result, { written, omitted, maxResults, problems: [], fatal: (e as Error).message }, head));
      await out.flush();
    }
    throw e;
  }
  await drain();
  const result = c.finish();
  tally?.close();
  const problems = diagnosticLines(input);
  const totals = problemTotals(input);
  if (writer && head) {
    const extra = tally && o.format === 'json' ? { perFile: fileEntries(tally.files, input.traces) } : undefined;
    await write(out, writer.tail(result, { written, omitted, maxResults, problems, ...(extra ? { extra } : {}) }, head));
  } else {
    const colors = paint(ctx.useColor(ctx.stdout));
    await write(out, findingsRenderers.text(result, { failOn: o.failOn, paint: colors, version }) + (tally ? fileLines(tally.files, input.traces) : ''));
  }
  await out.flush();
  for (const line of totals) ctx.error(line);
  if (input.diagnosticCount || totals.length) return ExitCode.BadInput;
  return failsAt(result, o.failOn) && !o.exitZero ? ExitCode.Findings : ExitCode.Ok;
}

async function write(out: LineOutput, text: string): Promise<void> {
  const w = out.text(text);
  if (w) await w;
}

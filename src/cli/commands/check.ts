import { Command, Option } from 'commander';
import { createRequire } from 'node:module';
import { createChecker, failsAt } from '../../checks/engine.js';
import { loadConstraintFiles } from '../../checks/constraints-file.js';
import { SEVERITIES, type Severity } from '../../checks/rule.js';
import { UsageError } from '../../model/errors.js';
import { findingsRenderers, type FindingsFormat } from '../../report/findings/index.js';
import { ExitCode } from '../exit-codes.js';
import { diagnosticLines, readInputs } from '../input.js';
import { paint, useColor } from '../output.js';
import { inputOptions, parseJobs, type CliContext } from '../context.js';
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
  inputFormat?: string;
  iscsiPort?: string;
  jobs?: string;
}

/** Repeated options accumulate: `--rule a,b --rule c`. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `--rule a,b --rule c` → [a, b, c]. */
function ids(values: string[] | undefined): string[] | undefined {
  return values?.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

export function checkCommand(ctx: CliContext): Command {
  return new Command('check')
    .description('check traces against HBA constraints and the rules a driver must keep')
    .argument('<trace...>', 'trace files (native .sct or any supported capture; format detected from content)')
    .option('-c, --constraints <file>', "constraints file: JSON, or ioreg -a / ioreg -l output of the controller; overrides the trace's own constraints record; repeat to merge, later over earlier (see docs/constraints.md)", collect)
    .option('--controller <name>', 'with an ioreg dump holding several controllers: the one to use (name, class, IOUserClass, bundle id or registry id)')
    .option('--rule <ids>', 'run only these rules (comma-separated or repeated)', collect)
    .option('--disable <ids>', 'do not run these rules (comma-separated or repeated)', collect)
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding at or above this severity is found').choices([...SEVERITIES]).default('error'))
    .option('--exit-zero', 'report findings but exit 0 (still 2 for bad usage or damaged input)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(Object.keys(findingsRenderers)).default('text'))
    .option('--max-examples <n>', 'examples shown per finding group', '3')
    .addOption(inputOptions.inputFormat())
    .addOption(inputOptions.iscsiPort())
    .addOption(inputOptions.jobs())
    .addHelpText(
      'after',
      `
Findings are grouped per rule (and per command where that helps) with a count and the first
examples: time, task, decoded CDB, message, byte offset and evidence. \`scsitrace rules\` lists
the rules; \`scsitrace rules <id>\` explains one.

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
  const maxExamples = Number(o.maxExamples);
  if (!Number.isInteger(maxExamples) || maxExamples < 0) throw new UsageError(`--max-examples: "${o.maxExamples}" is not a whole number`);
  const constraints = loadConstraintFiles(o.constraints ?? [], o.controller !== undefined ? { controller: o.controller } : {});
  const enable = ids(o.rule);
  const disable = ids(o.disable);
  const checker = createChecker({
    ...(constraints ? { constraints } : {}),
    ...(enable ? { enable } : {}),
    ...(disable ? { disable } : {}),
    maxExamples,
  });
  const jobs = parseJobs(o.jobs);
  // Over many files: a line per file besides the merged report.
  const tally = paths.length > 1 ? new FileTally(() => checker.consumer.findings.counts) : undefined;
  const consumers = tally ? [checker.consumer, tally] : [checker.consumer];
  let input;
  if (canRunParallel(paths, jobs)) {
    // Read workers pair; this thread runs the rules over the same rows in the same order.
    const pipeline = new RemotePipeline(consumers);
    input = await readInputsOnWorkers(paths, ctx.openOptions(o), pipeline, { onTraceStart: (trace) => pipeline.startFile(trace.path) }, { jobs }, ctx);
    pipeline.finish();
  } else if (tally) {
    const pipeline = new PairedPipeline(consumers);
    input = await readInputs(
      paths,
      ctx.openOptions(o),
      (batch) => pipeline.push(batch),
      (trace) => pipeline.startFile(trace.path),
      undefined,
      ctx,
    );
    pipeline.finish();
  } else {
    input = await readInputs(
      paths,
      ctx.openOptions(o),
      (batch) => checker.pushBatch(batch),
      (trace) => checker.startFile(trace.path),
      undefined,
      ctx,
    );
  }
  const result = checker.finish();
  const colors = paint(o.format === 'text' && useColor(ctx.stdout));
  let report = findingsRenderers[o.format](result, { failOn: o.failOn, paint: colors, version });
  if (tally) {
    tally.close();
    if (o.format === 'text') report += fileLines(tally.files, input.traces);
    else if (o.format === 'json') report = `${JSON.stringify({ ...JSON.parse(report), perFile: fileEntries(tally.files, input.traces) }, null, 2)}\n`;
  }
  ctx.stdout.write(report);
  const problems = diagnosticLines(input);
  for (const line of problems) ctx.error(line);
  if (problems.length) return ExitCode.BadInput;
  return failsAt(result, o.failOn) && !o.exitZero ? ExitCode.Findings : ExitCode.Ok;
}

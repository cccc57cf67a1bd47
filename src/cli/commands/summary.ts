import { Command } from 'commander';
import { createRequire } from 'node:module';
import { PairedPipeline } from '../../analysis/pipeline.js';
import { createChecker, type Checker, type Finding } from '../../checks/engine.js';
import { TimelineCollector } from '../../report/timeline/collect.js';
import { constraintDef, type ConstraintConfig, type ConstraintId } from '../../checks/constraints.js';
import { UsageError } from '../../model/errors.js';
import { createSummarizer, summaryRenderers, type Breakdown, type SummaryFormat } from '../../report/summary/index.js';
import { ExitCode } from '../exit-codes.js';
import { commandConstraints, problemTotals, readInputs, stderrProblems } from '../input.js';
import { choiceOption, inputOptions, parseJobs, type CliContext } from '../context.js';
import { openOutput } from '../target.js';
import { formatDuration } from '../../model/units.js';
import { readInputsOnWorkers } from '../parallel-input.js';
import { canRunParallel, RemotePipeline } from '../../pipeline/parallel.js';
import { FileTally, fileEntries, fileLines } from '../../pipeline/per-file.js';

const require = createRequire(import.meta.url);
const { version } = require('../../../package.json') as { version: string };

interface SummaryCliOptions {
  format: SummaryFormat;
  output?: string;
  by?: string[];
  interval?: string;
  check: boolean;
  constraints?: string[];
  controller?: string;
  inputFormat?: string;
  iscsiPort?: string;
  jobs?: string;
  maxProblems?: string;
}

const BREAKDOWNS: readonly Breakdown[] = ['opcode', 'lun', 'target'];

export function summaryCommand(ctx: CliContext): Command {
  return new Command('summary')
    .description('summarise traces: tasks, IOPS, throughput, latency percentiles, queue depth, errors, transfer sizes, HBA events')
    .argument('<trace...>', 'trace files (native .sct or any supported capture; format detected from content)')
    .addOption(choiceOption('-f, --format <format>', 'output format', Object.keys(summaryRenderers), 'text'))
    .option('-o, --output <file>', 'write the report to this file instead of standard output ("-" is standard output)')
    .option(
      '--by <list>',
      `breakdown tables in text and HTML: ${BREAKDOWNS.join(', ')} (comma-separated or repeated; default opcode,lun)`,
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option(
      '--interval <seconds>',
      'interval rates are measured over, in the charts and for peaks (default: at least four median latencies, a round number of timeline slots)',
    )
    .option('--no-check', 'do not run the checker (no findings in the report)')
    .option(
      '-c, --constraints <file>',
      "constraints file (JSON, or ioreg output of the controller) for the checker and the limits marked on the histograms (overrides the trace's own record); repeat to merge",
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option('--controller <name>', 'with an ioreg dump holding several controllers: the one to use')
    .addOption(inputOptions.inputFormat())
    .addOption(inputOptions.iscsiPort())
    .addOption(inputOptions.jobs())
    .addOption(inputOptions.maxProblems())
    .addHelpText(
      'after',
      `
Statistics are streamed: memory stays flat however long the trace. Percentiles come from
log-bucketed histograms and are within 1% of the exact value. Every rate (IOPS, throughput,
the charts) is measured over one interval, the timeline's slots; a peak is the busiest slot.
Bytes count while their task is in flight, so a burst of completions is not a burst of
throughput. The "failed" columns count completions with a status other than GOOD or
CONDITION MET; checker findings are counted under Findings. Several traces are laid end to
end on one timeline. JSON output has a stable schema ("scsitrace.summary/1", docs/schemas/summary.schema.json);
HTML output is one self-contained file with charts and a zoomable timeline of the tasks (a
bounded sample plus every failed or flagged task; docs/timeline.md), for a browser or a bug
report.

Examples:
  $ scsitrace summary traces/healthy-copy.sct
  $ scsitrace summary --format html -o report.html traces/lsi3108-buffered-copy.sct
  $ scsitrace summary --format json --no-check --interval 0.1 capture.pcapng
  $ scsitrace summary --by target,opcode big.sct`,
    )
    .action(async (paths: string[], o: SummaryCliOptions) => {
      ctx.exitCode = await runSummary(paths, o, ctx);
    });
}

function parseBy(values: string[] | undefined): Set<Breakdown> | undefined {
  if (!values?.length) return undefined;
  const by = new Set<Breakdown>();
  for (const v of values
    .flatMap((x) => x.split(','))
    .map((x) => x.trim().toLowerCase())
    .filter(Boolean)) {
    if (!(BREAKDOWNS as readonly string[]).includes(v)) throw new UsageError(`--by: "${v}" is not one of ${BREAKDOWNS.join(', ')}`);
    by.add(v as Breakdown);
  }
  return by;
}

function parseInterval(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const seconds = Number(v);
  if (v.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--interval: "${v}" is not a positive number of seconds`);
  const ns = Math.round(seconds * 1e9);
  if (ns < 1000) throw new UsageError(`--interval: ${v} s is shorter than 1 µs`);
  return ns;
}

/** The transfer limits in a constraints file, under their IOKit keys. */
function limitsFrom(config: ConstraintConfig): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const [id, value] of Object.entries(config.values)) {
    const key = constraintDef(id as ConstraintId).iokitKey;
    if (key && (typeof value === 'number' || typeof value === 'bigint')) limits[key] = Number(value);
  }
  return limits;
}

async function runSummary(paths: string[], o: SummaryCliOptions, ctx: CliContext): Promise<number> {
  const by = parseBy(o.by);
  const intervalNs = parseInterval(o.interval);
  const problems = stderrProblems(ctx, o.maxProblems);
  const constraints = commandConstraints(o, paths);
  // Opened before reading, so a bad path is reported at once, not after a long read.
  const target = openOutput(o.output ?? '-', ctx, paths);
  const summarizer = createSummarizer({
    ...(intervalNs !== undefined ? { intervalNs } : {}),
    ...(constraints ? { limits: limitsFrom(constraints) } : {}),
  });
  // HTML draws a timeline: it reads the same paired rows, after the checker, so that a finding
  // reaches it before the task it names has ended (src/report/timeline/collect.ts).
  const timeline = o.format === 'html' ? new TimelineCollector() : undefined;
  const checker: Checker | undefined = o.check
    ? createChecker({ ...(constraints ? { constraints } : {}), ...(timeline ? { onFinding: (f: Finding) => timeline.onFinding(f) } : {}) })
    : undefined;
  // One pipeline for both: every task is paired once, and the checker and the aggregator read
  // the same paired rows.
  // Over many files: a line per file besides the merged report.
  const tally = paths.length > 1 ? new FileTally(checker ? () => checker.consumer.findings.counts : undefined) : undefined;
  const consumers = [summarizer.consumer, ...(checker ? [checker.consumer] : []), ...(timeline ? [timeline] : []), ...(tally ? [tally] : [])];
  const jobs = parseJobs(o.jobs);
  let input;
  if (canRunParallel(paths, jobs)) {
    // Read workers pair; this thread aggregates (and checks) the same rows in the same order.
    const pipeline = new RemotePipeline(consumers);
    input = await readInputsOnWorkers(
      paths,
      ctx.openOptions(o),
      pipeline,
      { onTraceStart: (trace) => pipeline.startFile(trace.path) },
      { jobs, problems },
      ctx,
    );
    pipeline.finish();
  } else {
    const pipeline = new PairedPipeline(consumers);
    input = await readInputs(
      paths,
      ctx.openOptions(o),
      (batch) => pipeline.push(batch),
      (trace) => pipeline.startFile(trace.path),
      undefined,
      ctx,
      problems,
    );
    pipeline.finish();
  }
  const findings = checker?.finish();
  const summary = summarizer.finish({
    ...(findings ? { findings } : {}),
    files: input.traces.map((t) => ({
      path: t.path,
      sizeBytes: t.sizeBytes,
      records: t.stats.records,
      unknownRecords: t.stats.unknownRecords,
      skippedBytes: t.stats.skippedBytes,
      skippedRecords: t.stats.skippedRecords,
      damagedRegions: t.stats.damagedRegions,
    })),
  });
  if (intervalNs !== undefined && summary.overview.intervalNs !== intervalNs) {
    ctx.warn(
      `--interval ${o.interval}: rates use ${formatDuration(summary.overview.intervalNs)}, a whole number of the timeline's slots for a capture this long`,
    );
  }
  // The report lists the problems stderr lists (at most MAX_KEPT_PROBLEMS of them), each naming its file.
  summary.input.messages = input.diagnostics.map((d) => d.message);
  const width = target.isStdout && ctx.stdout.isTTY && ctx.stdout.columns ? ctx.stdout.columns : 100;
  let text = summaryRenderers[o.format](summary, { width, ...(by ? { by } : {}), version, ...(timeline ? { timeline: timeline.finish() } : {}) });
  if (tally) {
    tally.close();
    if (o.format === 'text') text += fileLines(tally.files, input.traces);
    else if (o.format === 'json') text = `${JSON.stringify({ ...JSON.parse(text), perFile: fileEntries(tally.files, input.traces) }, null, 2)}\n`;
  }
  target.write(text);
  await target.close();
  const totals = problemTotals(input);
  for (const line of totals) ctx.error(line);
  return input.diagnosticCount || totals.length ? ExitCode.BadInput : ExitCode.Ok;
}

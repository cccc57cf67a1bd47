import { Command } from 'commander';
import { createRequire } from 'node:module';
import { SEVERITIES, SEVERITY_RANK, type Severity } from '../../checks/rule.js';
import { UsageError } from '../../model/errors.js';
import type { TaskBatch } from '../../model/batch.js';
import type { Diagnostic } from '../../model/events.js';
import { openTrace, type OpenedTrace } from '../../formats/open.js';
import { diffRenderers, diffTraces, DEFAULT_DIFF_OPTIONS, type Diff, type DiffFormat } from '../../report/diff/index.js';
import { ExitCode } from '../exit-codes.js';
import { commandConstraints, diagnosticLines } from '../input.js';
import { paint } from '../output.js';
import { choiceOption, inputOptions, type CliContext } from '../context.js';
import { openOutput } from '../target.js';

const require = createRequire(import.meta.url);
const { version } = require('../../../package.json') as { version: string };

interface DiffCliOptions {
  format: DiffFormat;
  output?: string;
  failOn: Severity;
  check: boolean;
  constraints?: string[];
  controller?: string;
  alpha?: string;
  minShift?: string;
  inputFormat?: string;
  iscsiPort?: string;
}

/** At most this many diagnostics per trace are kept for printing; the rest are counted. */
const MAX_KEPT_DIAGNOSTICS = 20;

export function diffCommand(ctx: CliContext): Command {
  return new Command('diff')
    .description('compare two traces of the same workload (two drivers, builds or firmwares): what changed, per command kind')
    .argument('<baseline>', 'the trace to compare against (e.g. the KEXT, or the build before the fix)')
    .argument('<candidate>', 'the trace under review (e.g. the DEXT, or the build after the fix)')
    .addOption(choiceOption('-f, --format <format>', 'output format', Object.keys(diffRenderers), 'text'))
    .option('-o, --output <file>', 'write the report to this file instead of standard output ("-" is standard output)')
    .addOption(choiceOption('--fail-on <severity>', 'exit 1 when the candidate has new findings at or above this severity', SEVERITIES, 'error'))
    .option('--no-check', 'do not run the checker (no findings compared; --fail-on never fails)')
    .option(
      '-c, --constraints <file>',
      "constraints file (JSON, or ioreg output) for the checker on both traces (overrides the traces' own records); repeat to merge",
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option('--controller <name>', 'with an ioreg dump holding several controllers: the one to use')
    .option('--alpha <p>', `significance level of the latency tests (default ${DEFAULT_DIFF_OPTIONS.alpha})`)
    .option('--min-shift <percent>', `smallest latency percentile shift reported as a change, in percent (default ${DEFAULT_DIFF_OPTIONS.minShift * 100})`)
    .addOption(inputOptions.inputFormat())
    .addOption(inputOptions.iscsiPort())
    .addHelpText(
      'after',
      `
Both traces are read once, side by side, in any input format, in memory bounded by the tasks
in flight and fixed-size histograms. Per command kind (opcode and service action): task counts,
status and sense mix, latency percentiles with their shift, transfer sizes, scatter/gather
segments (counts, sizes, addresses above 4 GiB) and queue depth. A latency counts as changed
only when a Mann-Whitney or Kolmogorov-Smirnov test on the two histograms gives p < --alpha
AND its p50, p90 or p99 moved by at least --min-shift percent and 1 µs: a few percent of noise
is not a change (docs/diff.md). Also compared: commands one trace issues or answers and the
other does not, controller cache flushes around SYNCHRONIZE CACHE, HBA constraints, checker
findings (new, fixed, more, fewer), HBA events, power transitions, and where the reads and
writes stop lining up (the first block that differs, with both traces' task ids and offsets).
JSON output has a stable schema ("scsitrace.diff/1", docs/schemas/diff.schema.json); HTML
output is one self-contained file with both traces' latencies side by side.

Exit status: 0 when the candidate has no new findings at or above --fail-on, 1 when it has,
2 on bad usage or unreadable or damaged input.

Examples:
  $ scsitrace diff traces/copy-kext.sct traces/copy-dext.sct
  $ scsitrace diff --fail-on warning before.sct after.sct
  $ scsitrace diff --format html -o diff.html kext.pcapng dext.log
  $ scsitrace diff --format json --no-check a.sct b.sct`,
    )
    .action(async (baseline: string, candidate: string, o: DiffCliOptions) => {
      ctx.exitCode = await runDiff(baseline, candidate, o, ctx);
    });
}

function parseFraction(flag: string, text: string | undefined, scale: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text.trim().replace(/%$/, ''));
  if (text.trim() === '' || !Number.isFinite(v) || v <= 0 || v >= max) throw new UsageError(`${flag}: "${text}" is not a number above 0 and below ${max}`);
  return v / scale;
}

/** The candidate's new findings at or above the threshold. */
export function diffFailsAt(d: Diff, threshold: Severity): boolean {
  return SEVERITIES.some((s) => SEVERITY_RANK[s] >= SEVERITY_RANK[threshold] && d.verdict.newFindings[s] > 0);
}

async function runDiff(baselinePath: string, candidatePath: string, o: DiffCliOptions, ctx: CliContext): Promise<number> {
  const alpha = parseFraction('--alpha', o.alpha, 1, 1);
  const minShift = parseFraction('--min-shift', o.minShift, 100, 10000);
  const constraints = commandConstraints(o, [baselinePath, candidatePath]);
  const target = openOutput(o.output ?? '-', ctx, [baselinePath, candidatePath]);
  const openOptions = ctx.openOptions(o);
  const traces: OpenedTrace[] = [];
  const diagnostics: Diagnostic[] = [];
  let diagnosticCount = 0;
  // Both are opened before reading, so a bad path or an unknown format is reported at once.
  for (const path of [baselinePath, candidatePath]) traces.push(await openTrace(path, openOptions));
  async function* noted(trace: OpenedTrace): AsyncGenerator<TaskBatch> {
    let kept = 0;
    for await (const batch of trace.batches) {
      for (const ev of batch.events) {
        if (ev.kind !== 'diagnostic') continue;
        diagnosticCount++;
        if (kept++ < MAX_KEPT_DIAGNOSTICS) diagnostics.push({ ...ev, message: `${trace.path}: ${ev.message}` });
      }
      yield batch;
    }
  }
  const diff = await diffTraces(
    { batches: noted(traces[0]!), path: baselinePath, format: traces[0]!.format.id },
    { batches: noted(traces[1]!), path: candidatePath, format: traces[1]!.format.id },
    {
      check: o.check,
      checkOptions: constraints ? { constraints } : {},
      ...(alpha !== undefined ? { alpha } : {}),
      ...(minShift !== undefined ? { minShift } : {}),
    },
  );
  const width = target.isStdout && ctx.stdout.isTTY && ctx.stdout.columns ? ctx.stdout.columns : 100;
  const colors = paint(target.isStdout && ctx.useColor(ctx.stdout));
  target.write(diffRenderers[o.format](diff, { width, paint: colors, version }));
  await target.close();
  const problems = diagnosticLines({ diagnostics, diagnosticCount, maxProblems: Infinity, traces });
  for (const line of problems) ctx.error(line);
  if (problems.length) return ExitCode.BadInput;
  return diffFailsAt(diff, o.failOn) ? ExitCode.Findings : ExitCode.Ok;
}

import { Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import { checkScenarioOptions, scenarios, synthesizeTo, scenarioByName } from '../../synth/index.js';
import { ExitCode } from '../exit-codes.js';
import type { CliContext } from '../context.js';
import { openOutput } from '../target.js';
import { formatBytes } from '../../model/units.js';
import { createProgress, type Progress } from '../progress.js';

interface SynthOptions {
  output?: string;
  seed: string;
  size?: string;
  list?: boolean;
}

const UNITS: Record<string, number> = { '': 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3 };

/** "4096", "0x10000000", "256MiB", "64m", "1G" → bytes. */
export function parseSize(text: string): number {
  const m = /^\s*(0x[0-9a-f]+|\d+)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new UsageError(`--size: "${text}" is not a size (examples: 262144, 0x10000000, 256MiB, 64M)`);
  return Number(m[1]) * unit;
}

function parseSeed(text: string): number {
  const n = /^(0x[0-9a-f]+|\d+)$/i.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new UsageError(`--seed: "${text}" is not a whole number from 0 to 4294967295`);
  return n;
}

function binarySize(bytes: number): string {
  for (const [unit, n] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const)
    if (bytes >= n && bytes % (n / 4) === 0) return `${bytes / n} ${unit}`;
  return `${bytes} bytes`;
}

function listScenarios(): string {
  const lines: string[] = [];
  for (const s of scenarios) {
    lines.push(`${s.name}`);
    lines.push(`  ${s.summary}`);
    for (const d of s.details) lines.push(`    ${d}`);
    if (s.size) lines.push(`    --size: ${s.size.meaning} (default ${binarySize(s.size.default)}, ${s.size.default} bytes)`);
    lines.push('');
  }
  return lines.join('\n');
}

export function synthCommand(ctx: CliContext): Command {
  return new Command('synth')
    .description('write a realistic, deterministic scenario trace (.sct) for trying out decode and check')
    .argument('[scenario]', 'scenario name (see --list)')
    .option('-o, --output <file>', 'trace file to write ("-" is standard output)')
    .option('--seed <n>', 'random seed: the same seed gives the same bytes', '1')
    .option('--size <bytes>', 'scenario size, e.g. bytes copied (accepts 0x..., KiB, MiB, GiB)')
    .option('--list', 'describe every scenario')
    .addHelpText(
      'after',
      `
Synthesis streams: the trace is written as it is generated, in flat memory, with a progress
bar on a terminal (--no-progress turns it off). "-o -" writes the trace to standard output.

Examples:
  $ scsitrace synth --list
  $ scsitrace synth healthy-copy -o healthy.sct
  $ scsitrace synth lsi3108-buffered-copy --size 256MiB --seed 7 -o lsi.sct`,
    )
    .action(async (name: string | undefined, o: SynthOptions) => {
      if (o.list) {
        ctx.stdout.write(listScenarios());
        ctx.exitCode = ExitCode.Ok;
        return;
      }
      if (!name) throw new UsageError(`synth: name a scenario (one of ${scenarios.map((s) => s.name).join(', ')}) or use --list`);
      if (!o.output) throw new UsageError('synth: -o <file> is required ("-" writes to standard output)');
      const scenario = scenarioByName(name);
      const seed = parseSeed(o.seed);
      const size = o.size === undefined ? undefined : parseSize(o.size);
      checkScenarioOptions(scenario.name, { seed, ...(size !== undefined ? { size } : {}) });
      const target = openOutput(o.output, ctx);
      let bytes = 0;
      // A progress bar on a terminal's stderr (see progress.ts), from the scenario's own count.
      let bar: Progress | undefined;
      const onProgress = (done: number, total: number) => {
        bar ??= createProgress(ctx, { totalBytes: total, records: false });
        bar.bytes(done);
      };
      try {
        synthesizeTo(
          scenario.name,
          (b) => {
            bytes += b.length;
            target.write(b);
          },
          { seed, ...(size !== undefined ? { size } : {}), onProgress },
        );
      } finally {
        bar?.done();
      }
      await target.close();
      // With -o - the trace is the output: the note goes to stderr.
      const note = `wrote ${target.label}: ${scenario.name}, seed ${seed}, ${bytes} bytes (${formatBytes(bytes)})\n`;
      if (target.isStdout) ctx.stderr.write(note);
      else ctx.stdout.write(note);
      ctx.exitCode = ExitCode.Ok;
    });
}

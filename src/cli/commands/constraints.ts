import { Command } from 'commander';
import {
  CONSTRAINTS,
  constraintDef,
  explainConstraints,
  formatSetting,
  jsonSetting,
  loadConstraintFile,
  resolveConstraints,
  describeMask,
  type ConstraintConfig,
  type Explanation,
  type ResolvedConstraints,
} from '../../checks/constraints.js';
import { bytesText } from '../../checks/helpers.js';
import type { ConstraintValue } from '../../model/events.js';
import { openTrace } from '../../formats/open.js';
import { ExitCode } from '../exit-codes.js';
import { choiceOption, inputOptions, type CliContext } from '../context.js';

interface ConstraintsCliOptions {
  trace?: string;
  format: 'text' | 'json';
  inputFormat?: string;
}

export function constraintsCommand(ctx: CliContext): Command {
  return new Command('constraints')
    .description('validate an HBA constraints file and explain what it allows')
    .argument('[file]', 'constraints JSON file (IOKit keys, kIO… constant names or friendly names)')
    .option('-t, --trace <trace>', "also read this trace's own constraints record (the file overrides it)")
    .addOption(choiceOption('-f, --format <format>', 'output format', ['text', 'json'], 'text'))
    .addOption(inputOptions.inputFormat())
    .addHelpText(
      'after',
      `
Prints the values and where each came from, the largest transfer the OS can issue per
direction, how many segments a worst-case page-scattered buffer of that size needs, and
whether buffers above the addressable limit need bouncing. Without arguments, lists every
key the checker accepts. A bad file exits 2 with one line per problem.

Examples:
  $ scsitrace constraints traces/lsi3108.constraints.json
  $ scsitrace constraints --trace traces/lsi3108-buffered-copy.sct
  $ scsitrace constraints`,
    )
    .action(async (file: string | undefined, o: ConstraintsCliOptions) => {
      ctx.exitCode = await runConstraints(file, o, ctx);
    });
}

async function runConstraints(file: string | undefined, o: ConstraintsCliOptions, ctx: CliContext): Promise<number> {
  if (file === undefined && o.trace === undefined) {
    ctx.stdout.write(o.format === 'json' ? JSON.stringify(CONSTRAINTS, null, 2) + '\n' : keyTable());
    return ExitCode.Ok;
  }
  const config = file !== undefined ? loadConstraintFile(file) : undefined;
  const traceEntries = o.trace !== undefined ? await firstConstraintsRecord(o.trace, ctx.openOptions(o)) : undefined;
  const resolved = resolveConstraints(config, traceEntries);
  const explanation = explainConstraints(resolved.limits);
  if (o.format === 'json') {
    ctx.stdout.write(
      JSON.stringify(
        {
          file: file ?? null,
          trace: o.trace ?? null,
          valid: true,
          description: config?.description ?? null,
          values: resolved.entries.map((e) => ({ id: e.id, key: e.key, value: jsonSetting(e.value), source: e.source, overrides: e.overrides ? { value: jsonSetting(e.overrides.value), source: e.overrides.source } : null })),
          unknownTraceKeys: resolved.unknownTraceKeys,
          traceProblems: resolved.traceProblems,
          explanation,
        },
        null,
        2,
      ) + '\n',
    );
    return ExitCode.Ok;
  }
  ctx.stdout.write(explainText(file, o.trace, config, traceEntries, resolved, explanation));
  return ExitCode.Ok;
}

/** Reads a trace only as far as its first constraints record. */
async function firstConstraintsRecord(path: string, options: ReturnType<CliContext['openOptions']>): Promise<Record<string, ConstraintValue>> {
  const trace = await openTrace(path, options);
  for await (const batch of trace.events) {
    for (const ev of batch) if (ev.kind === 'constraints') return ev.entries;
  }
  return {};
}

function keyTable(): string {
  const lines = ['Keys a constraints file may use (IOKit key, C constant, or friendly name; case-insensitive):', ''];
  for (const d of CONSTRAINTS) {
    const names = [d.iokitKey, d.constantName, d.id].filter(Boolean).join(' | ');
    lines.push(`  ${names}`);
    lines.push(`      ${d.description}${d.default !== undefined ? ` (default ${formatSetting(d, d.default)})` : ''}`);
  }
  lines.push('', 'Numbers may be JSON numbers or strings: "0x80000", "524288", or sizes like "512KiB" for byte counts. See docs/constraints.md.');
  return lines.join('\n') + '\n';
}

function explainText(
  file: string | undefined,
  trace: string | undefined,
  config: ConstraintConfig | undefined,
  traceEntries: Record<string, ConstraintValue> | undefined,
  resolved: ResolvedConstraints,
  x: Explanation,
): string {
  const lines: string[] = [];
  if (file !== undefined) lines.push(`${file}: valid (${Object.keys(config!.values).length} keys)`);
  if (trace !== undefined) lines.push(`${trace}: constraints record with ${Object.keys(traceEntries ?? {}).length} keys${file !== undefined ? ' (the file overrides it)' : ''}`);
  if (config?.description) lines.push(`  ${config.description}`);
  lines.push('', 'Values:');
  for (const e of resolved.entries) {
    const def = constraintDef(e.id);
    const spelled = config?.spelled[e.id];
    const src = e.source === 'config' ? `file${spelled && spelled !== e.key ? ` (as "${spelled}")` : ''}` : e.source;
    const over = e.overrides ? `; replaces ${formatSetting(def, e.overrides.value)} from the ${e.overrides.source}` : '';
    lines.push(`  ${e.key.padEnd(38)} ${formatSetting(def, e.value).padEnd(24)} ${src}${over}`);
  }
  for (const k of resolved.unknownTraceKeys) lines.push(`  (trace key "${k}" is not one the checker uses)`);
  for (const p of resolved.traceProblems) lines.push(`  (${p})`);
  lines.push('');
  for (const d of x.directions) {
    const D = d.direction === 'read' ? 'Reads: ' : 'Writes:';
    if (d.largestTransferBytes === undefined) {
      lines.push(`${D} no transfer size limit set${d.maxSegments !== undefined ? `; at most ${d.maxSegments} segments` : ''}`);
      continue;
    }
    lines.push(`${D} largest transfer ${d.largestTransferBytes} bytes (${bytesText(d.largestTransferBytes)}), set by ${d.limitedBy.join(' and ')}`);
    const fit = d.maxSegments === undefined ? 'the HBA sets no segment limit' : d.worstCaseExceedsSegments ? `the HBA takes only ${d.maxSegments}: such buffers must be split or copied` : `the HBA takes ${d.maxSegments}: fits`;
    lines.push(`        worst-case page-scattered buffer of that size: ${d.worstCaseSegments4k} segments with 4 KiB pages, ${d.worstCaseSegments16k} with 16 KiB pages; ${fit}`);
  }
  if (x.blockSizeAssumed && x.directions.some((d) => d.limitedBy.some((w) => w.includes('blocks')))) {
    lines.push(`        (block counts converted with an assumed ${x.blockSize}-byte block; set logicalBlockSize to be exact)`);
  }
  lines.push(
    x.addressLimitBytes !== undefined
      ? `Addressing: ${x.addressBits}-bit DMA; any segment ending above 0x${x.addressLimitBytes.toString(16)} (${bytesText(x.addressLimitBytes)}) must be bounced (copied) or remapped by the DMA mapper before the HBA sees it; the checker flags any it finds`
      : 'Addressing: 64-bit DMA; no bouncing needed',
  );
  lines.push(`Alignment: ${x.minSegmentAlignment > 1 ? `segment addresses and lengths must be multiples of ${x.minSegmentAlignment} bytes` : 'none required'}`);
  const mask = resolved.entries.find((e) => e.id === 'hbaDataAlignmentMask');
  if (mask && typeof mask.value === 'bigint') {
    const m = describeMask(mask.value);
    lines.push(`HBA data (per-task driver memory): ${m.bits} address bits, ${m.alignment}-byte aligned`);
  }
  lines.push(`DMA mapping limit: ${bytesText(x.maxMappedDmaBytes)} across all tasks in flight`);
  for (const note of x.notes) lines.push(`Note: ${note}`);
  return lines.join('\n') + '\n';
}

import { Command } from 'commander';
import {
  CONSTRAINTS,
  PLATFORMS,
  constraintDef,
  describeMask,
  formatSetting,
  jsonSetting,
  resolveConstraints,
  spellings,
  type ConstraintConfig,
  type Platform,
  type ResolvedConstraints,
} from '../../checks/constraints.js';
import { explainConstraints, type DirectionExplanation, type Explanation } from '../../checks/constraints-explain.js';
import { loadConstraintFiles } from '../../checks/constraints-file.js';
import { bytesText } from '../../checks/helpers.js';
import type { ConstraintValue } from '../../model/events.js';
import { openTrace } from '../../formats/open.js';
import { ExitCode } from '../exit-codes.js';
import { choiceOption, inputOptions, type CliContext } from '../context.js';

/** The `schema` id of `constraints --format json` with files (docs/schemas/constraints.schema.json). */
export const CONSTRAINTS_JSON_SCHEMA = 'scsitrace.constraints/1';

interface ConstraintsCliOptions {
  trace?: string;
  format: 'text' | 'json';
  platform?: Platform;
  controller?: string;
  inputFormat?: string;
}

export function constraintsCommand(ctx: CliContext): Command {
  return new Command('constraints')
    .description('validate an HBA constraints file (JSON or ioreg output) and explain what it allows')
    .argument(
      '[files...]',
      'constraints files: JSON (IOKit keys, kIO… constant names or friendly names), or `ioreg -a -l -r -c IOUserSCSIParallelInterfaceController` / `ioreg -l` output; later files override earlier ones',
    )
    .option('-t, --trace <trace>', "also read this trace's own constraints record (the files override it)")
    .addOption(choiceOption('--platform <platform>', 'explain for this platform (overrides the "platform" key)', PLATFORMS))
    .option('--controller <name>', 'with an ioreg dump holding several controllers: the one to use (name, class, IOUserClass, bundle id or registry id)')
    .addOption(choiceOption('-f, --format <format>', 'output format', ['text', 'json'], 'text'))
    .addOption(inputOptions.inputFormat())
    .addHelpText(
      'after',
      `
Prints the values and where each came from, then what they mean on the driver's platform:
for a dext, the one IOVM range the framework hands each task and what the driver's SGL
builder must handle; for a kext or Linux driver, how many segments a worst-case
page-scattered buffer needs. An unknown platform gets both. Contradictions between values
(e.g. 32 addressable bits but a DMA specification with 64) are listed.

Without arguments, lists every key the checker accepts.

Exit status: 0 for a valid config, 1 when its values contradict each other, 2 for a file that
cannot be read (one line per problem, naming the file, the byte offset and the key).

Examples:
  $ scsitrace constraints traces/lsi3108.constraints.json
  $ scsitrace constraints traces/lsi3108-dext.ioreg.plist traces/lsi3108-dext-dma.constraints.json
  $ ioreg -a -l -r -c IOUserSCSIParallelInterfaceController > hba.plist && scsitrace constraints hba.plist
  $ scsitrace constraints --trace traces/lsi3108-buffered-copy.sct
  $ scsitrace constraints`,
    )
    .action(async (files: string[], o: ConstraintsCliOptions) => {
      ctx.exitCode = await runConstraints(files, o, ctx);
    });
}

async function runConstraints(files: string[], o: ConstraintsCliOptions, ctx: CliContext): Promise<number> {
  if (!files.length && o.trace === undefined) {
    ctx.stdout.write(o.format === 'json' ? JSON.stringify(CONSTRAINTS, null, 2) + '\n' : keyTable());
    return ExitCode.Ok;
  }
  const config = loadConstraintFiles(files, o.controller !== undefined ? { controller: o.controller } : {});
  const traceEntries = o.trace !== undefined ? await firstConstraintsRecord(o.trace, ctx.openOptions(o)) : undefined;
  const resolved = resolveConstraints(config, traceEntries);
  const explanation = explainConstraints(resolved.limits, {
    given: new Set(resolved.entries.map((e) => e.id)),
    ...(o.platform ? { platform: o.platform } : {}),
  });
  const contradictions = resolved.notes.filter((n) => n.severity === 'contradiction').length;
  if (o.format === 'json') {
    ctx.stdout.write(
      JSON.stringify(
        {
          schema: CONSTRAINTS_JSON_SCHEMA,
          files,
          trace: o.trace ?? null,
          valid: true,
          contradictions,
          description: config?.description ?? null,
          values: resolved.entries.map((e) => ({
            id: e.id,
            key: e.key,
            value: jsonSetting(e.value),
            source: e.source,
            origin: e.origin ?? null,
            overrides: e.overrides ? { value: jsonSetting(e.overrides.value), source: e.overrides.source } : null,
          })),
          unknownTraceKeys: resolved.unknownTraceKeys,
          unknownTraceKeyCount: resolved.unknownTraceKeyCount,
          traceProblems: resolved.traceProblems,
          notes: resolved.notes,
          explanation,
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    ctx.stdout.write(explainText(files, o.trace, config, traceEntries, resolved, explanation));
  }
  return contradictions ? ExitCode.Findings : ExitCode.Ok;
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
    lines.push(`  ${spellings(d).join(' | ')}`);
    lines.push(`      ${d.description}${d.default !== undefined ? ` (checker default ${formatSetting(d, d.default)})` : ''}`);
    const from = [
      `set by: ${d.origin}${d.hbaConstraints ? ` (${d.hbaConstraints})` : ''}`,
      d.header ? `header: ${d.header}` : '',
      d.appleDefault ? `Apple's default: ${d.appleDefault}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    lines.push(`      ${from}`);
  }
  lines.push(
    '',
    'Numbers may be JSON numbers or strings: "0x80000", "524288", or sizes like "512KiB" for byte counts.',
    'ioreg output is read too: ioreg -a -l -r -c IOUserSCSIParallelInterfaceController > hba.plist. See docs/constraints.md.',
  );
  return lines.join('\n') + '\n';
}

function explainText(
  files: string[],
  trace: string | undefined,
  config: ConstraintConfig | undefined,
  traceEntries: Record<string, ConstraintValue> | undefined,
  resolved: ResolvedConstraints,
  x: Explanation,
): string {
  const lines: string[] = [];
  if (files.length) lines.push(`${files.join(', ')}: valid (${Object.keys(config!.values).length} keys)`);
  if (trace !== undefined)
    lines.push(`${trace}: constraints record with ${Object.keys(traceEntries ?? {}).length} keys${files.length ? ' (the files override it)' : ''}`);
  if (config?.description) lines.push(`  ${config.description}`);
  lines.push('', 'Values:');
  for (const e of resolved.entries) {
    const def = constraintDef(e.id);
    const origin = e.origin;
    const spelled = config?.spelled[e.id];
    const src = e.source === 'config' ? (origin ? `from ${origin}` : `file${spelled && spelled !== e.key ? ` (as "${spelled}")` : ''}`) : e.source;
    const over = e.overrides ? `; replaces ${formatSetting(def, e.overrides.value)} from the ${e.overrides.source}` : '';
    lines.push(`  ${e.key.padEnd(38)} ${formatSetting(def, e.value).padEnd(24)} ${src}${over}`);
  }
  const unknown = resolved.unknownTraceKeys;
  if (unknown.length)
    lines.push(
      `  (trace keys the checker does not use: ${unknown.join(', ')}${resolved.unknownTraceKeyCount > unknown.length ? ` and ${resolved.unknownTraceKeyCount - unknown.length} more` : ''})`,
    );
  for (const p of resolved.traceProblems) lines.push(`  (${p})`);
  lines.push('');
  lines.push(platformLine(x));
  if (x.blockSizeAssumed && x.directions.some((d) => d.limitedBy.some((w) => w.includes('blocks')))) {
    lines.push(`(block counts are converted with an assumed ${x.blockSize}-byte block; set logicalBlockSize to be exact)`);
  }

  if (x.views.includes('driverkit')) {
    lines.push(
      '',
      x.views.length > 1 ? 'If the driver is a dext (DriverKit): what the framework hands it' : 'What the framework hands the driver (DriverKit):',
    );
    lines.push(...driverKitLines(x, resolved));
  }
  if (x.views.includes('page-scatter')) {
    lines.push('', x.views.length > 1 ? 'If the driver is a kext or a Linux driver: page-scattered buffers' : 'Page-scattered buffers (kext / Linux):');
    lines.push(...pageScatterLines(x));
  }
  lines.push('');
  const mask = resolved.entries.find((e) => e.id === 'hbaDataAlignmentMask');
  if (mask && typeof mask.value === 'bigint') {
    const m = describeMask(mask.value);
    lines.push(`HBA data (per-task driver memory, HBA Data Alignment): ${m.bits} address bits, ${m.alignment}-byte aligned`);
  }
  lines.push(
    x.maxMappedDmaBytes !== undefined
      ? `DMA mapping budget (opt-in maxMappedDmaBytes): ${bytesText(x.maxMappedDmaBytes)} across all tasks in flight`
      : 'DMA mapping budget: none set (no Apple source sets one; maxMappedDmaBytes is opt-in)',
  );
  if (x.missing.length) lines.push(`Not given, so not explained: ${x.missing.join(', ')}`);
  if (x.requiredHbaConstraintsMissing.length) {
    const required = CONSTRAINTS.filter((c) => c.hbaConstraints === 'required').length;
    const named = x.requiredHbaConstraintsMissing.map((k) =>
      k === constraintDef('hbaDataAlignmentMask').iokitKey ? `${k} (never published in the registry: add it in a JSON file)` : k,
    );
    lines.push(`UserReportHBAConstraints requires ${required} keys (a dext that leaves one out panics the system); not in this config: ${named.join(', ')}`);
  }
  for (const n of resolved.notes) lines.push(`${n.severity === 'contradiction' ? 'Contradiction' : 'Note'}: ${n.message}`);
  for (const note of x.notes) lines.push(`Note: ${note}`);
  return lines.join('\n') + '\n';
}

function platformLine(x: Explanation): string {
  if (x.platformSource === 'unknown') return 'Platform: not given (set "platform": "dext", "kext" or "linux", or use --platform); both views follow';
  const name = x.platform === 'dext' ? 'dext (DriverKit)' : x.platform === 'kext' ? 'kext' : 'Linux';
  return `Platform: ${name}${x.platformSource === 'inferred' ? ', inferred from the UserGetDMASpecification values given' : ''}`;
}

function transferLine(d: DirectionExplanation): string {
  const D = d.direction === 'read' ? 'Reads: ' : 'Writes:';
  if (d.largestTransferBytes === undefined) return `  ${D} no transfer size limit set`;
  return `  ${D} largest transfer ${d.largestTransferBytes} bytes (${bytesText(d.largestTransferBytes)}), set by ${d.limitedBy.join(' and ')}`;
}

function driverKitLines(x: Explanation, resolved: ResolvedConstraints): string[] {
  const lines: string[] = [];
  lines.push('  Each task: ONE IOVM range, fBufferIOVMAddr for fRequestedTransferCount bytes (SCSIUserParallelTask); no scatter/gather list');
  for (const d of x.directions) lines.push(transferLine(d));
  const hbaLimit = x.addressLimitBytes !== undefined ? `0x${x.addressLimitBytes.toString(16)} (${bytesText(x.addressLimitBytes)})` : '2^64';
  if (x.dmaNumAddressBits === undefined) {
    lines.push(
      `  Addresses: unknown: the range lies below 2^numAddressBits of UserGetDMASpecification, which is not given (dmaNumAddressBits); the HBA reaches below ${hbaLimit}`,
    );
  } else {
    const iova = x.dmaNumAddressBits >= 64 ? '2^64' : `0x${(2 ** x.dmaNumAddressBits).toString(16)} (${bytesText(2 ** x.dmaNumAddressBits)})`;
    lines.push(
      x.iovaMayExceedHba
        ? `  Addresses: below ${iova} (numAddressBits ${x.dmaNumAddressBits}), but the HBA reaches only below ${hbaLimit}: a range can arrive that the HBA cannot address; dropping the high bits corrupts data`
        : `  Addresses: below ${iova} (numAddressBits ${x.dmaNumAddressBits}); the HBA reaches below ${hbaLimit}: every range is addressable`,
    );
  }
  lines.push(
    `  Start: aligned to ${x.dmaAlignment > 1 ? `${x.dmaAlignment} bytes (UserGetDMASpecification alignment; IODMACommand copies buffers that are not)` : "no more than the client's buffer (no DMA alignment given)"}`,
  );
  lines.push("  The driver's SGL builder must:");
  for (const d of x.directions) {
    if (d.largestTransferBytes === undefined) continue;
    const how =
      d.maxSegmentBytes !== undefined
        ? `split a range of up to ${bytesText(d.largestTransferBytes)} into ${d.sglElements} element${d.sglElements === 1 ? '' : 's'} of at most ${d.maxSegmentBytes} bytes (IOMaximumSegmentByteCount${d.direction === 'read' ? 'Read' : 'Write'})`
        : `describe a range of up to ${bytesText(d.largestTransferBytes)} as one element (no element length limit given)`;
    const fit =
      d.maxSegments === undefined
        ? 'no element count limit given'
        : d.sglExceedsSegments
          ? `the HBA takes only ${d.maxSegments}`
          : `the HBA takes ${d.maxSegments}: fits`;
    lines.push(`    - ${d.direction === 'read' ? 'reads: ' : 'writes:'} ${how}; ${fit}`);
  }
  if (x.iovaMayCross4GiB) {
    lines.push(
      `    - split at a 4 GiB boundary if an element may not cross one: ${x.dmaNumAddressBits === undefined ? 'where the range lies is unknown, so it may cross one' : `with ${x.dmaNumAddressBits}-bit IOVM addresses a range can straddle 0x100000000`} (one element more)`,
    );
  } else {
    lines.push('    - no 4 GiB boundary to split at: every range lies below 4 GiB');
  }
  lines.push(
    x.minSegmentAlignment > 1
      ? `    - keep element addresses and lengths multiples of ${x.minSegmentAlignment} bytes (IOMinimumSegmentAlignmentByteCount${x.appleAlignmentDefault ? ": none given, Apple's default" : ''})`
      : '    - no element alignment required (IOMinimumSegmentAlignmentByteCount not given)',
  );
  const tasks = resolved.entries.find((e) => e.id === 'maxTasksInFlight');
  if (x.mappingCeilingBytes !== undefined && tasks) {
    lines.push(`  Mapped at once: at most ${tasks.value} tasks × their ranges = ${bytesText(x.mappingCeilingBytes)} (IOCommandPoolSize × the largest mapping)`);
  }
  return lines;
}

function pageScatterLines(x: Explanation): string[] {
  const lines: string[] = [];
  for (const d of x.directions) {
    lines.push(transferLine(d));
    if (d.largestTransferBytes === undefined) continue;
    const fit =
      d.maxSegments === undefined
        ? 'the HBA sets no segment limit'
        : d.worstCaseExceedsSegments
          ? `the HBA takes only ${d.maxSegments}: such buffers must be split or copied`
          : `the HBA takes ${d.maxSegments}: fits`;
    lines.push(
      `          worst-case page-scattered buffer of that size: ${d.worstCaseSegments4k} segments with 4 KiB pages, ${d.worstCaseSegments16k} with 16 KiB pages; ${fit}`,
    );
  }
  lines.push(
    x.addressLimitBytes !== undefined
      ? `  Addressing: ${x.addressBits}-bit DMA; any segment ending above 0x${x.addressLimitBytes.toString(16)} (${bytesText(x.addressLimitBytes)}) must be bounced (copied) or remapped before the HBA sees it; the checker flags any it finds`
      : '  Addressing: 64-bit DMA; no bouncing needed',
  );
  lines.push(
    `  Alignment: ${x.minSegmentAlignment > 1 ? `segment addresses and lengths must be multiples of ${x.minSegmentAlignment} bytes${x.appleAlignmentDefault ? " (none given: Apple's default)" : ''}` : 'none required'}`,
  );
  return lines;
}

import { Command, Option } from 'commander';
import { decodeCdb, decodeSense, parseHexBytes, renderDecodedCdb, renderDecodedSense } from '../../scsi/index.js';
import type { CliContext } from '../context.js';
import { jsonReplacer } from '../../model/json.js';

/** JSON for decoded structures: bigints as numbers when exact (else decimal strings), bytes as hex. */
function toJson(value: unknown): string {
  return JSON.stringify(value, jsonReplacer, 2);
}

export function cdbCommand(ctx: CliContext): Command {
  return new Command('cdb')
    .description('decode one CDB, every field named')
    .argument('<hex...>', 'CDB bytes in hex: "2a 00 00 00 10 00 00 00 08 00", "2a000000100000000800" or 0x2a,0x00,…')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Examples:
  $ scsitrace cdb 2a 00 00 00 10 00 00 00 08 00        WRITE(10), LBA 4096, 8 blocks
  $ scsitrace cdb 35 02 00 00 00 00 00 00 00 00        SYNCHRONIZE CACHE(10) with IMMED
  $ scsitrace cdb --format json 9e100000000000000000000000200000`,
    )
    .action((hex: string[], o: { format: 'text' | 'json' }) => {
      const decoded = decodeCdb(parseHexBytes(hex.join(' ')));
      ctx.stdout.write((o.format === 'json' ? toJson(decoded) : renderDecodedCdb(decoded)) + '\n');
    });
}

export function senseCommand(ctx: CliContext): Command {
  return new Command('sense')
    .description('decode sense data (fixed or descriptor format), every field named')
    .argument('<hex...>', 'sense bytes in hex')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Examples:
  $ scsitrace sense 70 00 05 00 00 00 00 0a 00 00 00 00 20 00 00 00 00 00
  $ scsitrace sense 72 06 29 00 00 00 00 00                      descriptor format
  $ scsitrace sense --format json 70000500000000 0a00000000240000c0000100`,
    )
    .action((hex: string[], o: { format: 'text' | 'json' }) => {
      const decoded = decodeSense(parseHexBytes(hex.join(' ')));
      ctx.stdout.write((o.format === 'json' ? toJson(decoded) : renderDecodedSense(decoded)) + '\n');
    });
}

import { Command } from 'commander';
import { jsonValue } from '../../model/json.js';
import { decodeCdb, decodeSense, parseHexBytes, renderDecodedCdb, renderDecodedSense } from '../../scsi/index.js';
import type { Truncation } from '../../scsi/types.js';
import { ExitCode } from '../exit-codes.js';
import { choiceOption, type CliContext } from '../context.js';

/** Ids of the JSON documents `cdb` and `sense` print (docs/schemas/cdb.schema.json, sense.schema.json). */
export const CDB_JSON_SCHEMA = 'scsitrace.cdb/1';
export const SENSE_JSON_SCHEMA = 'scsitrace.sense/1';

/** The decoder's result as a JSON document naming its schema first (bigints and bytes as model/json writes them). */
function jsonDocument(schema: string, decoded: object): string {
  return JSON.stringify({ schema, ...(jsonValue(decoded) as object) }, null, 2);
}

/**
 * Prints what could be decoded; a truncated input then says what is missing on stderr and
 * exits 2 (sg_decode_sense, too, leaves out ASC/ASCQ it was not given rather than print 00/00).
 */
function finish(ctx: CliContext, command: string, text: string, truncated: Truncation | undefined): void {
  ctx.stdout.write(`${text}\n`);
  if (truncated) {
    ctx.error(`${command}: truncated input: ${truncated.missing}`);
    ctx.exitCode = ExitCode.BadInput;
  }
}

export function cdbCommand(ctx: CliContext): Command {
  return new Command('cdb')
    .description('decode one CDB, every field named')
    .argument('<hex...>', 'CDB bytes in hex: "2a 00 00 00 10 00 00 00 08 00", "2a000000100000000800" or 0x2a,0x00,…')
    .addOption(choiceOption('-f, --format <format>', 'output format', ['text', 'json'], 'text'))
    .addHelpText(
      'after',
      `
A CDB shorter than its command needs is decoded as far as it goes; then the missing bytes are
named on stderr and the exit status is 2. JSON output has a stable schema ("scsitrace.cdb/1",
docs/schemas/cdb.schema.json), printed for a truncated CDB too.

Examples:
  $ scsitrace cdb 2a 00 00 00 10 00 00 00 08 00        WRITE(10), LBA 4096, 8 blocks
  $ scsitrace cdb 35 02 00 00 00 00 00 00 00 00        SYNCHRONIZE CACHE(10) with IMMED
  $ scsitrace cdb --format json 9e100000000000000000000000200000`,
    )
    .action((hex: string[], o: { format: 'text' | 'json' }) => {
      const decoded = decodeCdb(parseHexBytes(hex.join(' ')));
      finish(ctx, 'cdb', o.format === 'json' ? jsonDocument(CDB_JSON_SCHEMA, decoded) : renderDecodedCdb(decoded), decoded.truncated);
    });
}

export function senseCommand(ctx: CliContext): Command {
  return new Command('sense')
    .description('decode sense data (fixed or descriptor format), every field named')
    .argument('<hex...>', 'sense bytes in hex')
    .addOption(choiceOption('-f, --format <format>', 'output format', ['text', 'json'], 'text'))
    .addHelpText(
      'after',
      `
Sense data that stops before its header (8 bytes) or before the length its ADDITIONAL SENSE
LENGTH declares is decoded as far as it goes; ASC/ASCQ are never shown as 00/00 when they are
not there. The missing bytes are named on stderr and the exit status is 2. JSON output has a
stable schema ("scsitrace.sense/1", docs/schemas/sense.schema.json), printed for truncated
sense data too.

Examples:
  $ scsitrace sense 70 00 05 00 00 00 00 0a 00 00 00 00 20 00 00 00 00 00
  $ scsitrace sense 72 06 29 00 00 00 00 00                      descriptor format
  $ scsitrace sense --format json 70000500000000 0a00000000240000c0000100`,
    )
    .action((hex: string[], o: { format: 'text' | 'json' }) => {
      const decoded = decodeSense(parseHexBytes(hex.join(' ')));
      finish(ctx, 'sense', o.format === 'json' ? jsonDocument(SENSE_JSON_SCHEMA, decoded) : renderDecodedSense(decoded), decoded.truncated);
    });
}

import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { decodeCommand } from './decode.js';
import { convertCommand } from './convert.js';
import { checkCommand } from './check.js';
import { constraintsCommand } from './constraints.js';
import { rulesCommand } from './rules.js';
import { synthCommand } from './synth.js';
import { cdbCommand, senseCommand } from './cdb.js';
import { summaryCommand } from './summary.js';
import { diffCommand } from './diff.js';

/** Every subcommand, in the order `--help` lists them. Adding a command is adding a line. */
export const commandFactories: ReadonlyArray<(ctx: CliContext) => Command> = [
  decodeCommand,
  checkCommand,
  summaryCommand,
  diffCommand,
  constraintsCommand,
  rulesCommand,
  cdbCommand,
  senseCommand,
  synthCommand,
  convertCommand,
];

import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { TraceFormatError, UsageError } from '../model/errors.js';
import { ExitCode } from './exit-codes.js';
import { createContext, type CliContext } from './context.js';
import { commandFactories } from './commands/index.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

/** Builds the whole program; tests call it with their own streams and exitOverride. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('scsitrace')
    .description('Decode, check and summarise SCSI command traces from HBA drivers and captures')
    .version(version, '-V, --version')
    .option('--debug', 'show stack traces for errors')
    .option('--no-progress', 'never show a progress bar (shown only when stderr is a terminal)')
    .configureOutput({
      writeOut: (s) => void ctx.stdout.write(s),
      writeErr: (s) => void ctx.stderr.write(s),
    })
    .showHelpAfterError('(run with --help for usage)')
    .hook('preAction', (cmd) => {
      ctx.debug = Boolean(cmd.opts()['debug']);
      ctx.progress = cmd.opts()['progress'] !== false;
    });
  for (const make of commandFactories) program.addCommand(make(ctx));
  return program;
}

/** Runs the CLI and returns the exit code; never throws for bad input. */
export async function runCli(argv: string[], ctx: CliContext = createContext(process.stdout, process.stderr)): Promise<number> {
  const program = buildProgram(ctx);
  program.exitOverride();
  for (const sub of program.commands) sub.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are exit 0; every other commander error is a usage error.
      return e.exitCode === 0 ? ExitCode.Ok : ExitCode.BadInput;
    }
    if (e instanceof TraceFormatError || e instanceof UsageError) {
      ctx.error(e.message);
      if (ctx.debug) ctx.stderr.write(`${e.stack}\n`);
      return ExitCode.BadInput;
    }
    const err = e as NodeJS.ErrnoException;
    if (err && err.code === 'EPIPE') return ctx.exitCode;
    ctx.error(`internal error: ${err?.message ?? String(e)}${ctx.debug ? '' : ' (run with --debug for a stack trace)'}`);
    if (ctx.debug) ctx.stderr.write(`${err?.stack}\n`);
    return ExitCode.BadInput;
  }
}

import { Command, CommanderError, Option } from 'commander';
import { createRequire } from 'node:module';
import { TraceFormatError, UsageError } from '../model/errors.js';
import { ExitCode } from './exit-codes.js';
import { createContext, type CliContext } from './context.js';
import { COLOR_MODES, type ColorMode } from './output.js';
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
    .addOption(
      new Option('--color <when>', 'colour the output: auto (on a terminal; FORCE_COLOR and NO_COLOR are honoured), always, never').argParser((v: string) => {
        if (!(COLOR_MODES as readonly string[]).includes(v)) throw new UsageError(`--color: "${v}" is not one of ${COLOR_MODES.join(', ')}`);
        return v;
      }),
    )
    .option('--no-color', 'never colour the output (same as --color=never)')
    .hook('preSubcommand', (_program, sub) => {
      ctx.command = sub.name();
    })
    .hook('preAction', (cmd) => {
      const o = cmd.opts();
      ctx.debug = Boolean(o['debug']);
      ctx.progress = o['progress'] !== false;
      // --no-color sets false.
      const color = o['color'] as string | boolean | undefined;
      ctx.color = color === undefined ? 'auto' : color === false ? 'never' : (color as ColorMode);
    });
  for (const make of commandFactories) program.addCommand(make(ctx));
  // Commander's own error text ("error: option '...' argument 'x' is invalid.") is never
  // printed: runCli turns every CommanderError into one line in scsitrace's voice.
  for (const c of [program, ...program.commands]) {
    c.configureOutput({
      writeOut: (s) => void ctx.stdout.write(s),
      writeErr: (s) => void ctx.stderr.write(s),
      outputError: () => undefined,
    });
  }
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
      if (e.exitCode === 0) return ExitCode.Ok;
      ctx.error(usageLine(ctx.command, commanderMessage(e, ctx.command)));
      return ExitCode.BadInput;
    }
    if (e instanceof UsageError) {
      ctx.error(usageLine(ctx.command, e.message));
      if (ctx.debug) ctx.stderr.write(`${e.stack}\n`);
      return ExitCode.BadInput;
    }
    if (e instanceof TraceFormatError) {
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

/** Every usage error reads `scsitrace: <command>: <what is wrong>`. */
function usageLine(command: string | undefined, message: string): string {
  if (!command || message.startsWith(`${command}: `)) return message;
  return `${command}: ${message}`;
}

/** A flag as people type it: "-o, --output <file>" → "-o/--output <file>". */
function flagText(flags: string): string {
  return flags.replace(/, /g, '/');
}

/** Commander's error as one sentence of ours (commander 14's messages, by error code). */
export function commanderMessage(e: CommanderError, command: string | undefined): string {
  const text = e.message.replace(/^error: /, '');
  const [first, ...rest] = text.split('\n');
  const suggestion = /\(Did you mean (.+)\?\)/.exec(rest.join(' '))?.[1];
  const hint = suggestion ? `; did you mean ${suggestion}?` : '';
  const help = `scsitrace ${command ? `${command} ` : ''}--help`;
  let m: RegExpExecArray | null;
  switch (e.code) {
    case 'commander.unknownCommand':
      if ((m = /unknown command '(.*)'/.exec(first!))) return `unknown command "${m[1]}"${hint} (scsitrace --help lists the commands)`;
      break;
    case 'commander.unknownOption':
      if ((m = /unknown option '(.*)'/.exec(first!))) return `unknown option ${m[1]}${hint} (${help} lists the options)`;
      break;
    case 'commander.missingArgument':
      if ((m = /missing required argument '(.*)'/.exec(first!))) return `missing <${m[1]}> (${help} shows the usage)`;
      break;
    case 'commander.optionMissingArgument':
      if ((m = /option '(.*)' argument missing/.exec(first!))) return `${/--[\w-]+/.exec(m[1]!)?.[0] ?? flagText(m[1]!)} needs a value (${help} describes it)`;
      break;
    case 'commander.missingMandatoryOptionValue':
      if ((m = /required option '(.*)' not specified/.exec(first!))) return `${flagText(m[1]!)} is required`;
      break;
    case 'commander.excessArguments':
      if ((m = /Expected (\d+) arguments? but got (\d+)/.exec(first!)))
        return `too many arguments: expected at most ${m[1]}, got ${m[2]} (${help} shows the usage)`;
      break;
    case 'commander.invalidArgument':
      if ((m = /option '(.*)' argument '(.*)' is invalid\. Allowed choices are (.*)\.$/.exec(first!))) {
        return `${/--[\w-]+/.exec(m[1]!)?.[0] ?? flagText(m[1]!)}: "${m[2]}" is not one of ${m[3]}`;
      }
      break;
  }
  return first!.replace(/\.$/, '');
}

import { Option } from 'commander';
import { availableParallelism } from 'node:os';
import type { Writable } from 'node:stream';
import type { OpenOptions } from '../formats/open.js';
import { UsageError } from '../model/errors.js';
import { colorEnabled, type ColorMode } from './output.js';

/** What commands need from the outside world; tests pass their own streams. */
export interface CliContext {
  stdout: Writable & { isTTY?: boolean; columns?: number; fd?: number };
  stderr: Writable & { isTTY?: boolean };
  /** Environment the colour decision reads (FORCE_COLOR, NO_COLOR, TERM); process.env by default. */
  env: Record<string, string | undefined>;
  exitCode: number;
  debug: boolean;
  /** Progress bars allowed (global --no-progress turns them off; they show only on a TTY stderr). */
  progress: boolean;
  /** Clock and delays for progress bars instead of the real ones (tests). */
  progressTiming?: { now?: () => number; delayMs?: number; intervalMs?: number };
  /** Global --color: auto (the default), always or never. */
  color: ColorMode;
  /** The subcommand being run, for error messages (`scsitrace: check: ...`). */
  command?: string;
  /** Whether to colour what goes to `stream` (--color, FORCE_COLOR, NO_COLOR, a terminal). */
  useColor(stream: { isTTY?: boolean }): boolean;
  error(line: string): void;
  warn(line: string): void;
  openOptions(o: { inputFormat?: string; iscsiPort?: string }): OpenOptions;
}

export function createContext(stdout: CliContext['stdout'], stderr: CliContext['stderr'], env: CliContext['env'] = process.env): CliContext {
  const ctx: CliContext = {
    stdout,
    stderr,
    env,
    exitCode: 0,
    debug: false,
    progress: true,
    color: 'auto',
    useColor: (stream) => colorEnabled(ctx.color, stream, ctx.env),
    error: (line) => void stderr.write(`scsitrace: ${line}\n`),
    warn: (line) => void stderr.write(`scsitrace: warning: ${line}\n`),
    openOptions: (o) => {
      const options: OpenOptions = {};
      if (o.inputFormat) options.inputFormat = o.inputFormat;
      if (o.iscsiPort !== undefined) {
        const port = Number(o.iscsiPort);
        if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--iscsi-port: "${o.iscsiPort}" is not a TCP port (1 to 65535)`);
        options.iscsiPort = port;
      }
      return options;
    },
  };
  return ctx;
}

/**
 * An option taking one of a fixed set of values. Commander lists the choices in --help; a
 * value outside them is a UsageError in scsitrace's own words, listing them
 * (`--fail-on: "fatal" is not one of error, warning, info`).
 */
export function choiceOption(flags: string, description: string, choices: readonly string[], defaultValue?: string): Option {
  const option = new Option(flags, description).choices(choices);
  if (defaultValue !== undefined) option.default(defaultValue);
  return option.argParser((value: string) => {
    if (!choices.includes(value)) throw new UsageError(`${option.long ?? flags}: "${value}" is not one of ${choices.join(', ')}`);
    return value;
  });
}

/** Options every trace-reading command shares. */
export const inputOptions = {
  jobs: () =>
    new Option(
      '-j, --jobs <n>',
      'files read at once, each on a worker thread beside the one that runs the analysis; 1 reads on one thread (default: the number of cores)',
    ),
  inputFormat: () => new Option('--input-format <id>', 'input format instead of detecting it from content (native, pcap, ...)'),
  iscsiPort: () => new Option('--iscsi-port <port>', 'TCP port carrying iSCSI in captures (default: detect by content)'),
  maxProblems: () =>
    new Option('--max-problems <n>', 'report at most this many input problems (damaged stretches, bad lines) one by one; the count stays exact (default: all)'),
};

/** --jobs as a number: a whole number from 1 (default: the machine's cores). */
export function parseJobs(v: string | undefined): number {
  if (v === undefined) return availableParallelism();
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--jobs: "${v}" is not a whole number from 1 to 256`);
  return n;
}

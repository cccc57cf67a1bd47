import { Writable } from 'node:stream';
import { runCli } from '../../src/cli/program.js';
import { createContext } from '../../src/cli/context.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export class Capture extends Writable {
  text = '';
  isTTY = false;
  columns = 100;
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** Runs the CLI in-process with captured, non-TTY stdout and stderr. */
export async function runScsitrace(...argv: string[]): Promise<CliRun> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(argv, createContext(stdout, stderr));
  return { code, stdout: stdout.text, stderr: stderr.text };
}

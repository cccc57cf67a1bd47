/**
 * Where `-o/--output` goes: a file, or standard output for `-` (the Unix convention). Opening
 * failures are usage errors that say what is wrong in words (`directory out does not exist`),
 * and an output that is one of the inputs is refused before anything is truncated.
 */
import { closeSync, existsSync, openSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../model/errors.js';
import type { CliContext } from './context.js';

export interface OutputTarget {
  /** The path as given; '-' for standard output. */
  readonly path: string;
  /** For messages: the path, or "standard output". */
  readonly label: string;
  readonly isStdout: boolean;
  /** Writes everything, synchronously for files and a descriptor-backed stdout. */
  write(data: Uint8Array | string): void;
  /** Waits until standard output has taken what was written; closes a file. */
  close(): Promise<void>;
}

/** The path that means standard output. */
export const STDOUT_PATH = '-';

export function openOutput(path: string, ctx: Pick<CliContext, 'stdout'>, inputs: readonly string[] = []): OutputTarget {
  if (path === STDOUT_PATH) return stdoutTarget(ctx.stdout);
  refuseInput(path, inputs);
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (e) {
    throw cannotWrite(path, e);
  }
  return {
    path,
    label: path,
    isStdout: false,
    write(data) {
      try {
        writeAll(fd, data);
      } catch (e) {
        throw cannotWrite(path, e);
      }
    },
    async close() {
      closeSync(fd);
    },
  };
}

function stdoutTarget(stdout: CliContext['stdout']): OutputTarget {
  // process.stdout has a descriptor: write to it directly, so that synchronous producers
  // (synth) go at the reader's pace in flat memory. Streams without one (tests) get writes.
  const fd = typeof stdout.fd === 'number' ? stdout.fd : undefined;
  let last: Promise<void> = Promise.resolve();
  return {
    path: STDOUT_PATH,
    label: 'standard output',
    isStdout: true,
    write(data) {
      if (fd !== undefined) {
        writeAll(fd, data);
        return;
      }
      last = new Promise((res, rej) => stdout.write(data, (err) => (err ? rej(err) : res())));
    },
    close: () => last,
  };
}

/** writeSync until everything is written; waits briefly when a non-blocking pipe is full. */
function writeAll(fd: number, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(fd, bytes, off, bytes.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
    }
  }
}

/** Writing over an input would truncate it before it is read. */
function refuseInput(path: string, inputs: readonly string[]): void {
  let out;
  try {
    out = statSync(path);
  } catch {
    return;
  }
  for (const input of inputs) {
    if (input === STDOUT_PATH) continue;
    try {
      const st = statSync(input);
      if (st.dev === out.dev && st.ino === out.ino) throw new UsageError(`-o ${path}: that is the input ${input}; write the output somewhere else`);
    } catch (e) {
      if (e instanceof UsageError) throw e;
    }
  }
}

/** An open or write failure as a usage error in words. */
export function cannotWrite(path: string, e: unknown): UsageError {
  const err = e as NodeJS.ErrnoException;
  const why = (() => {
    switch (err?.code) {
      case 'ENOENT':
        return `directory ${missingDirectory(path)} does not exist`;
      case 'ENOTDIR':
        return 'a part of the path is a file, not a directory';
      case 'EISDIR':
        return 'it is a directory';
      case 'EACCES':
      case 'EPERM':
        return 'permission denied';
      case 'EROFS':
        return 'the file system is read-only';
      case 'ENOSPC':
        return 'no space left on the device';
      case 'EDQUOT':
        return 'disk quota exceeded';
      default:
        return err?.message ?? String(e);
    }
  })();
  return new UsageError(`cannot write ${path}: ${why}`);
}

/** The first directory on the way to `path` that is not there. */
function missingDirectory(path: string): string {
  let dir = dirname(path);
  for (;;) {
    const parent = dirname(dir);
    if (parent === dir || existsSync(parent)) return dir;
    dir = parent;
  }
}

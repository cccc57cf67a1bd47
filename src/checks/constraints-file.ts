/**
 * Reading a constraints file, whatever form it has, detected from its content:
 *
 * - a JSON object (docs/constraints.md, "File format");
 * - `ioreg -a -l -r -c IOUserSCSIParallelInterfaceController` output (an XML property list);
 * - `ioreg -l` text output, with the same objects.
 *
 * Every problem is one short line naming the file, the place (byte offset and line) and the
 * key; bad files throw UsageError (exit 2). Several files merge, later over earlier.
 */
import { readFileSync, readSync, statSync } from 'node:fs';
import { UsageError } from '../model/errors.js';
import { JsonObject, JsonSyntaxError, parseJson } from './config-json.js';
import {
  constraintDef,
  describeRaw,
  displayKey,
  formatSetting,
  parseConfigEntries,
  problemLines,
  type ConstraintConfig,
  type ConstraintId,
} from './constraints.js';
import { RegistrySelectionError, constraintsFromRegistry, type ControllerChoice } from './ioreg/extract.js';
import { registryFromPlist } from './ioreg/plist.js';
import { RegistryFormatError } from './ioreg/registry.js';
import { looksLikeIoregText, registryFromText } from './ioreg/text.js';

/** Larger than any registry dump of a controller subtree (a whole machine's `ioreg -l` is a few MB). */
export const MAX_CONSTRAINTS_FILE_BYTES = 64 * 1024 * 1024;

export type ConstraintsFileKind = 'json' | 'ioreg-plist' | 'ioreg-text';

/** What a file holds, from its first bytes. */
export function detectConstraintsFile(text: string): ConstraintsFileKind | undefined {
  const head = text
    .slice(0, 4096)
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (head.startsWith('{') || head.startsWith('[')) return 'json';
  if (head.startsWith('<?xml') || head.startsWith('<!DOCTYPE plist') || head.startsWith('<plist')) return 'ioreg-plist';
  if (looksLikeIoregText(text)) return 'ioreg-text';
  return undefined;
}

export type LoadOptions = ControllerChoice;

/** Reads and validates one constraints file; every problem in one UsageError, one line each. */
export function loadConstraintFile(path: string, options: LoadOptions = {}): ConstraintConfig {
  const text = readText(path);
  const kind = detectConstraintsFile(text);
  switch (kind) {
    case 'json':
      return loadJson(path, text);
    case 'ioreg-plist':
    case 'ioreg-text':
      return loadIoreg(path, text, kind, options);
    default: {
      if (text.startsWith('bplist')) throw new UsageError(`${path}: a binary property list; ioreg -a writes XML (convert with: plutil -convert xml1 ${path})`);
      const first = text
        .replace(/^\uFEFF/, '')
        .trimStart()
        .slice(0, 16);
      throw new UsageError(
        `${path}: not a constraints file: expected a JSON object, ioreg -a XML or ioreg -l text; it starts with ${first ? JSON.stringify(first) : 'nothing (the file is empty)'}`,
      );
    }
  }
}

/** Several files merged in order: a later file's value replaces an earlier one's, and a note says so. */
export function loadConstraintFiles(paths: readonly string[], options: LoadOptions = {}): ConstraintConfig | undefined {
  if (!paths.length) return undefined;
  if (paths.filter((p) => p === STDIN_PATH).length > 1) throw new UsageError(`${STDIN_PATH} (standard input) can be given only once`);
  const configs = paths.map((p) => loadConstraintFile(p, options));
  return configs.length === 1 ? configs[0] : mergeConfigs(configs);
}

export function mergeConfigs(configs: readonly ConstraintConfig[]): ConstraintConfig {
  const merged: ConstraintConfig = { source: configs.map((c) => c.source).join(', '), values: {}, spelled: {}, origin: {}, notes: [] };
  const from: Partial<Record<ConstraintId, string>> = {};
  const descriptions: string[] = [];
  for (const c of configs) {
    if (c.description) descriptions.push(c.description);
    merged.notes!.push(...(c.notes ?? []).map((n) => `${c.source}: ${n}`));
    for (const [id, value] of Object.entries(c.values) as Array<[ConstraintId, NonNullable<ConstraintConfig['values'][ConstraintId]>]>) {
      const before = merged.values[id];
      if (before !== undefined && before !== value) {
        const def = constraintDef(id);
        merged.notes!.push(`${displayKey(def)}: ${formatSetting(def, value)} from ${c.source} replaces ${formatSetting(def, before)} from ${from[id]}`);
      }
      merged.values[id] = value;
      merged.spelled[id] = c.spelled[id] ?? displayKey(constraintDef(id));
      from[id] = c.source;
      merged.origin![id] = c.origin?.[id] ?? c.source;
    }
  }
  if (descriptions.length) merged.description = descriptions.join(' + ');
  return merged;
}

/** '-' names standard input, as for traces. */
export const STDIN_PATH = '-';

function readText(path: string): string {
  let bytes: Buffer;
  if (path === STDIN_PATH) bytes = readStdin();
  else
    try {
      const size = statSync(path).size;
      if (size > MAX_CONSTRAINTS_FILE_BYTES)
        throw new UsageError(`${path}: ${size} bytes is larger than a constraints file can be (${MAX_CONSTRAINTS_FILE_BYTES})`);
      bytes = readFileSync(path);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(`${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`);
    }
  if (bytes.length > MAX_CONSTRAINTS_FILE_BYTES) throw new UsageError(`${path}: larger than a constraints file can be (${MAX_CONSTRAINTS_FILE_BYTES} bytes)`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    throw new UsageError(`${path}: at byte 0x${bad.toString(16)}: not UTF-8 text`);
  }
}

/**
 * Standard input read to its end (at most one byte past the size limit, so that a larger input
 * is refused without reading it all). Synchronous like the file reads: constraints are loaded
 * before any trace is opened, so stdin is still untouched. A non-blocking stdin (EAGAIN) is
 * waited for.
 */
function readStdin(): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (total <= MAX_CONSTRAINTS_FILE_BYTES) {
    const buf = Buffer.allocUnsafe(Math.min(65536, MAX_CONSTRAINTS_FILE_BYTES + 1 - total));
    let n: number;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(pause, 0, 0, 5);
        continue;
      }
      if (code === 'EOF') break;
      throw new UsageError(`${STDIN_PATH}: standard input cannot be read (${(e as Error).message})`);
    }
    if (n === 0) break;
    parts.push(buf.subarray(0, n));
    total += n;
  }
  return Buffer.concat(parts, total);
}

/** Offset of the first byte that breaks UTF-8 (for the message). */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k >= b.length || (b[i + k]! & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return i;
}

function loadJson(path: string, text: string): ConstraintConfig {
  let json;
  try {
    json = parseJson(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new UsageError(`${path}: at byte 0x${e.offset.toString(16)} (line ${e.line}): not valid JSON: ${e.detail}`);
    throw e;
  }
  if (!(json instanceof JsonObject)) throw new UsageError(`${path}: a constraints file must hold one JSON object, got ${describeRaw(json)}`);
  const entries = json.members.map((m) => ({ key: m.key, value: m.value instanceof JsonObject ? {} : m.value, offset: m.offset, line: m.line }));
  const { config, problems } = parseConfigEntries(entries, path);
  if (problems.length) throw new UsageError(problemLines(path, problems).join('\n'));
  return config;
}

function loadIoreg(path: string, text: string, kind: 'ioreg-plist' | 'ioreg-text', options: LoadOptions): ConstraintConfig {
  let roots;
  try {
    roots = kind === 'ioreg-plist' ? registryFromPlist(text) : registryFromText(text);
  } catch (e) {
    if (e instanceof RegistryFormatError)
      throw new UsageError(
        `${path}: at byte 0x${e.offset.toString(16)} (line ${e.line}): ${kind === 'ioreg-plist' ? 'ioreg -a plist' : 'ioreg text'}: ${e.detail}`,
      );
    throw e;
  }
  try {
    const { config, problems } = constraintsFromRegistry(roots, path, options);
    if (problems.length) throw new UsageError(problemLines(path, problems).join('\n'));
    return config;
  } catch (e) {
    if (e instanceof RegistrySelectionError) throw new UsageError(`${path}: ${e.message}`);
    throw e;
  }
}

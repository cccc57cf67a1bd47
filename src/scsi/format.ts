/**
 * Text in and out for `scsitrace cdb <hex>` and `scsitrace sense <hex>`: parse hex bytes typed
 * by a person, and render decoded CDBs and sense data with every field named.
 */
import { UsageError } from '../model/errors.js';
import { hex } from './hex.js';
import type { CdbField, DecodedCdb, DecodedSense } from './types.js';

/** "2a 00 00 00 10 00 00 00 08 00": lower-case hex bytes separated by spaces. */
export function formatCdbHex(cdb: Uint8Array): string {
  let out = '';
  for (let i = 0; i < cdb.length; i++) {
    if (i > 0) out += ' ';
    out += cdb[i]!.toString(16).padStart(2, '0');
  }
  return out;
}

/** Largest input parseHexBytes accepts: far beyond any CDB or sense buffer, small for memory. */
export const MAX_HEX_BYTES = 65536;

/**
 * Parses hex bytes as people type them: "2a 00 00", "2a000000", "0x2a,0x00", "2a:00", with
 * `|` allowed as a visual separator. A token is either "0x" plus one or two digits, or an even
 * number of digits (bytes run together), or a single digit. Throws UsageError naming the bad
 * token.
 */
export function parseHexBytes(text: string): Uint8Array {
  const tokens = text.split(/[\s,;:|]+/).filter((t) => t.length > 0);
  if (tokens.length === 0) throw new UsageError('no hex bytes given');
  const bytes: number[] = [];
  for (const [index, token] of tokens.entries()) {
    const bad = (why: string): never => {
      throw new UsageError(`bad hex byte "${token}" (token ${index + 1}): ${why}`);
    };
    const prefixed = /^0x/i.test(token);
    const digits = prefixed ? token.slice(2) : token;
    if (digits.length === 0) bad('no digits after 0x');
    if (!/^[0-9a-f]+$/i.test(digits)) bad('not hexadecimal');
    if (prefixed && digits.length > 2) bad('one byte per 0x token, e.g. 0x2a 0x00');
    if (!prefixed && digits.length > 1 && digits.length % 2 === 1) bad('odd number of hex digits');
    if (digits.length <= 2) bytes.push(Number.parseInt(digits, 16));
    else for (let i = 0; i < digits.length; i += 2) bytes.push(Number.parseInt(digits.slice(i, i + 2), 16));
    if (bytes.length > MAX_HEX_BYTES) bad(`more than ${MAX_HEX_BYTES} bytes`);
  }
  return Uint8Array.from(bytes);
}

/** A field's value as text: flags 0/1, codes in hex, counts in decimal with hex for big ones. */
export function formatFieldValue(f: CdbField): string {
  const { value } = f;
  let out: string;
  const extra: string[] = [];
  if (typeof value === 'boolean') out = value ? '1' : '0';
  else if (typeof value === 'string') out = value;
  else if (f.hex) out = hex(value);
  else {
    out = value.toString();
    if (f.unit !== undefined) out += ` ${f.unit}`;
    else if (value >= 256) extra.push(hex(value));
  }
  if (f.text !== undefined) extra.push(f.text);
  return extra.length ? `${out} (${extra.join('; ')})` : out;
}

function fieldLines(fields: readonly CdbField[], indent: string): string[] {
  return fields.map((f) => `${indent}${f.name}: ${formatFieldValue(f)}`);
}

/**
 * Multi-line description of a decoded CDB: the command name, every field, the data it moves
 * and any problems.
 *
 *   WRITE(10)
 *     OPERATION CODE: 0x2A (WRITE(10))
 *     ...
 *     LBA: 4096 (0x1000)
 *     TRANSFER LENGTH: 8 blocks
 */
export function renderDecodedCdb(d: DecodedCdb): string {
  const lines = [d.name, ...fieldLines(d.fields, '  ')];
  if (d.direction !== undefined) {
    const amount = d.transferLength !== undefined && d.direction !== 'none' ? `, ${d.transferLength} ${d.transferUnit ?? 'bytes'}` : '';
    lines.push(`  data: ${d.direction}${amount}`);
  }
  for (const p of d.problems) lines.push(`  problem: ${p}`);
  return lines.join('\n');
}

/**
 * Multi-line description of decoded sense data: the one-line summary, every header field, each
 * descriptor with its fields, and any problems.
 */
export function renderDecodedSense(d: DecodedSense): string {
  const lines = [d.summary, ...fieldLines(d.fields, '  ')];
  for (const desc of d.descriptors) {
    lines.push(`  descriptor ${hex(desc.type)} ${desc.name} at byte ${desc.offset} (${desc.additionalLength + 2} bytes)`);
    lines.push(...fieldLines(desc.fields, '    '));
  }
  for (const p of d.problems) lines.push(`  problem: ${p}`);
  return lines.join('\n');
}

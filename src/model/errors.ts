/**
 * The one error family for bad input. The message always names the byte offset, so a user
 * can find the damage with a hex viewer: `at byte 0x1f40 (record 812): ...`.
 */
export class TraceFormatError extends Error {
  override readonly name = 'TraceFormatError';
  constructor(
    readonly offset: number,
    readonly detail: string,
    readonly recordIndex?: number,
  ) {
    super(`${describeOffset(offset, recordIndex)}: ${detail}`);
  }
}

/** Bad usage or a bad config: not about a byte offset. Exit code 2 as well. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function describeOffset(offset: number, recordIndex?: number): string {
  const at = `at byte 0x${offset.toString(16)}`;
  return recordIndex === undefined ? at : `${at} (record ${recordIndex})`;
}

/**
 * A value from the input as a message may quote it: short and on one line (error messages
 * never carry a whole bad value: one line of a 0.5 MB string helps nobody).
 */
export function quoteValue(v: unknown, max = 40): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v !== null && typeof v === 'object') return 'an object';
  const s = typeof v === 'number' || typeof v === 'bigint' ? String(v) : printable(JSON.stringify(v));
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length} characters)`;
}

/** Characters that would break a line or hide in it: C0 and C1 controls, DEL, the Unicode line and paragraph separators. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Text taken from the input (a name, a version, a label read from the file) as a message or a
 * one-line field may show it: every control character escaped (`\n`, `\x1b`, `\x85`), so that
 * damaged bytes can neither break the line nor hide in it. Readers echo file strings through
 * this or through quoteValue, which uses it.
 */
export function printable(text: string): string {
  return text.replace(
    UNPRINTABLE,
    (c) => SHORT_ESCAPES[c] ?? (c.charCodeAt(0) <= 0xff ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : `\\u${c.charCodeAt(0).toString(16)}`),
  );
}

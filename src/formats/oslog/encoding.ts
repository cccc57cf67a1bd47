/**
 * The SCT1 line encoding of native units (records or the file header) for text logs:
 * docs/FORMAT.md "Carrying records in a text log". `emit/scsitrace.h` writes the same lines.
 */
import { printable } from '../../model/errors.js';

export type LineEncoding = 'base64' | 'hex';

/** Most fragments a reader accepts for one unit. */
export const MAX_PARTS = 4096;

/**
 * The longest message a DriverKit extension can log: its os_log reaches the kernel through the
 * log_data() syscall, which keeps OS_LOG_DATA_MAX_SIZE = 256 - 16 = 240 bytes, NUL included
 * (xnu bsd/kern/sys_generic.c log_data, libkern/os/log.h). A longer line is cut there.
 */
export const DEXT_MESSAGE_MAX = 239;

/*
 * Bytes per fragment: the largest that keeps every line within DEXT_MESSAGE_MAX. The prefix
 * "SCT1B ssssssss pppp/nnnn " takes at most 25 characters (8 seq digits, at most 4096 parts),
 * which leaves 214 for the payload (docs/FORMAT.md "The line"). emit/scsitrace.h uses the
 * same (SCT_OSLOG_FRAGMENT_BASE64, SCT_OSLOG_FRAGMENT_HEX).
 */
/** Base64: 4 * ceil(159 / 3) = 212 payload characters, lines of at most 237. */
export const FRAGMENT_BYTES_BASE64 = 159;
/** Hex: 2 * 107 = 214 payload characters, lines of at most 239. */
export const FRAGMENT_BYTES_HEX = 107;

/**
 * The marker: at the start of a message or after a character that cannot be part of a base64
 * payload, and not followed by one (so "SCT1Bx" in other text is not a marker).
 */
const MARKER = /(?:^|[^A-Za-z0-9+/])SCT1([BX])(?![A-Za-z0-9+/=])/;
/** A marker with a damaged encoding letter, still followed by a sequence number. */
const DAMAGED_MARKER = /(?:^|[^A-Za-z0-9+/])SCT1(.) [0-9A-Fa-f]{8} \d/u;
const SEQ = /^[0-9A-Fa-f]{1,8}$/;
const PART = /^(\d{1,5})\/(\d{1,5})$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const HEX = /^[0-9A-Fa-f]*$/;

export interface ParsedLine {
  encoding: LineEncoding;
  seq: number;
  part: number;
  parts: number;
  payload: Uint8Array;
}

/** A line with the marker whose fields do not follow the grammar; what is known of it. */
export interface LineProblem {
  problem: string;
  seq?: number;
  part?: number;
  parts?: number;
}

/** Why a line whose payload was cut short is probably not damage but the log's own limit. */
export const TRUNCATED_BY_LOG = `the line looks truncated by the log (a dext's os_log keeps ${DEXT_MESSAGE_MAX} characters of a message, so a line carrying a fragment too long for it loses its end)`;

/** A field as it appeared, short enough for a one-line message. */
function quote(text: string): string {
  return printable(JSON.stringify(text.length > 16 ? `${text.slice(0, 16)}…` : text));
}

/**
 * Finds and decodes the SCT1 fragment in a message. Undefined when there is no marker; a
 * LineProblem naming the first field that breaks the grammar when there is one.
 */
export function parseLine(message: string): ParsedLine | LineProblem | undefined {
  if (!message.includes('SCT1')) return undefined;
  const m = MARKER.exec(message);
  if (!m) {
    const d = DAMAGED_MARKER.exec(message);
    return d ? { problem: `SCT1 line: unknown encoding ${quote(d[1]!)} after SCT1 (B for base64, X for hex)` } : undefined;
  }
  const marker = `SCT1${m[1]}`;
  const start = m.index + m[0].length - marker.length;
  const fields = message.slice(start + marker.length);
  // Up to four space-separated fields; the payload ends at whitespace or a quote.
  const f = /^ (\S*)(?: (\S*)(?: ([^\s"]*))?)?/.exec(fields);
  if (!f) return { problem: `${marker} line: no space after the marker` };
  const [, seqText = '', partText, payloadText] = f;
  if (!SEQ.test(seqText)) return { problem: `${marker} line: sequence number ${quote(seqText)} is not 1 to 8 hex digits` };
  const seq = parseInt(seqText, 16);
  const unit = `${marker} line (unit 0x${seq.toString(16)}`;
  const pm = partText === undefined ? null : PART.exec(partText);
  if (!pm) return { problem: `${unit}): part field ${quote(partText ?? '')} is not part/parts`, seq };
  const part = Number(pm[1]);
  const parts = Number(pm[2]);
  if (parts < 1 || parts > MAX_PARTS) return { problem: `${unit}): ${parts} parts is outside 1..${MAX_PARTS}`, seq };
  if (part < 1 || part > parts) return { problem: `${unit}): part ${part} of ${parts}`, seq, parts };
  const where = `${unit}, part ${part}/${parts})`;
  const known = { seq, part, parts };
  if (!payloadText) return { problem: `${where}: no payload`, ...known };
  const encoding: LineEncoding = m[1] === 'B' ? 'base64' : 'hex';
  let payload: Buffer;
  if (encoding === 'base64') {
    if (!BASE64.test(payloadText)) return { problem: `${where}: payload is not base64`, ...known };
    if (payloadText.length % 4 !== 0 && payloadText.endsWith('='))
      return { problem: `${where}: payload is not base64 (padded, but not a multiple of 4 characters)`, ...known };
    if (payloadText.length % 4 !== 0)
      return { problem: `${where}: payload of ${payloadText.length} base64 characters is cut short (not a multiple of 4): ${TRUNCATED_BY_LOG}`, ...known };
    payload = Buffer.from(payloadText, 'base64');
  } else {
    if (!HEX.test(payloadText)) return { problem: `${where}: payload is not hex`, ...known };
    if (payloadText.length % 2 !== 0)
      return { problem: `${where}: payload of ${payloadText.length} hex digits is cut short (an odd count): ${TRUNCATED_BY_LOG}`, ...known };
    payload = Buffer.from(payloadText, 'hex');
  }
  if (payload.length === 0) return { problem: `${where}: no payload`, ...known };
  return { encoding, seq, part, parts, payload: new Uint8Array(payload.buffer, payload.byteOffset, payload.length) };
}

export function isProblem(p: ParsedLine | LineProblem): p is LineProblem {
  return 'problem' in p;
}

/**
 * Encodes one unit as its lines (without newlines), in fragments of `fragmentBytes`: by
 * default the largest whose lines a dext's os_log keeps whole, as emit/scsitrace.h writes them.
 */
export function encodeUnitLines(
  unit: Uint8Array,
  seq: number,
  encoding: LineEncoding = 'base64',
  fragmentBytes = encoding === 'hex' ? FRAGMENT_BYTES_HEX : FRAGMENT_BYTES_BASE64,
): string[] {
  if (unit.length === 0) throw new RangeError('empty unit');
  const parts = Math.ceil(unit.length / fragmentBytes);
  if (parts > MAX_PARTS) throw new RangeError(`unit of ${unit.length} bytes needs ${parts} parts (max ${MAX_PARTS})`);
  const marker = encoding === 'base64' ? 'SCT1B' : 'SCT1X';
  const seqHex = (seq >>> 0).toString(16).padStart(8, '0');
  const lines: string[] = [];
  for (let k = 0; k < parts; k++) {
    const fragment = Buffer.from(unit.buffer, unit.byteOffset + k * fragmentBytes, Math.min(fragmentBytes, unit.length - k * fragmentBytes));
    lines.push(`${marker} ${seqHex} ${k + 1}/${parts} ${fragment.toString(encoding)}`);
  }
  return lines;
}

/** The message of an ndjson/json `log` line (the "eventMessage" string), or the line itself. */
export function messageOf(line: string): string {
  const at = line.indexOf('"eventMessage"');
  if (at < 0) return line;
  const m = /"eventMessage"\s*:\s*("(?:[^"\\]|\\.)*")/.exec(line.slice(at));
  if (!m) return line;
  try {
    return JSON.parse(m[1]!) as string;
  } catch {
    return line;
  }
}

/**
 * The SCT1 line encoding of native units (records or the file header) for text logs:
 * docs/FORMAT.md "Carrying records in a text log". `emit/scsitrace.h` writes the same lines.
 */

export type LineEncoding = 'base64' | 'hex';

/** Fragment size scsitrace.h uses by default: a base64 line stays under 550 characters. */
export const DEFAULT_FRAGMENT_BYTES = 384;
/** Most fragments a reader accepts for one unit. */
export const MAX_PARTS = 4096;

/**
 * The marker at the start of a line or after a character that cannot be part of a base64
 * payload, then seq, part/parts and the payload up to whitespace, a quote or the end.
 */
export const LINE_PATTERN = /(?:^|[^A-Za-z0-9+/])SCT1([BX]) ([0-9A-Fa-f]{1,8}) (\d{1,5})\/(\d{1,5}) ([^\s"]+)/;

export interface ParsedLine {
  encoding: LineEncoding;
  seq: number;
  part: number;
  parts: number;
  payload: Uint8Array;
}

/** Encodes one unit as its lines (without newlines). */
export function encodeUnitLines(unit: Uint8Array, seq: number, encoding: LineEncoding = 'base64', fragmentBytes = DEFAULT_FRAGMENT_BYTES): string[] {
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

/**
 * Finds and decodes the SCT1 fragment in a message. Undefined when there is none; a message
 * (string) when there is one but it is malformed.
 */
export function parseLine(message: string): ParsedLine | string | undefined {
  if (!message.includes('SCT1')) return undefined;
  const m = LINE_PATTERN.exec(message);
  if (!m) return undefined;
  const [, enc, seqText, partText, partsText, payloadText] = m as unknown as [string, string, string, string, string, string];
  const part = Number(partText);
  const parts = Number(partsText);
  if (parts < 1 || parts > MAX_PARTS) return `SCT1 line: ${parts} parts is outside 1..${MAX_PARTS}`;
  if (part < 1 || part > parts) return `SCT1 line: part ${part} of ${parts}`;
  const encoding: LineEncoding = enc === 'B' ? 'base64' : 'hex';
  let payload: Buffer;
  if (encoding === 'base64') {
    if (payloadText.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(payloadText)) return 'SCT1B line: payload is not padded base64';
    payload = Buffer.from(payloadText, 'base64');
  } else {
    if (payloadText.length % 2 !== 0 || !/^[0-9A-Fa-f]+$/.test(payloadText)) return 'SCT1X line: payload is not an even number of hex digits';
    payload = Buffer.from(payloadText, 'hex');
  }
  return { encoding, seq: parseInt(seqText, 16), part, parts, payload: new Uint8Array(payload.buffer, payload.byteOffset, payload.length) };
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

/**
 * Sense data (SPC-6 4.4): fixed format (70h/71h) and descriptor format (72h/73h), current and
 * deferred. Every length is checked against the buffer; what is malformed is described in
 * `problems`, never thrown.
 */
import { JSON_READY } from '../model/json.js';
import { hex, hexByte } from './hex.js';
import { ascName } from './names.js';
import { senseKeyName } from './status.js';
import type { CdbField, DecodedSense, SenseDescriptor, SenseKeySpecific, Truncation } from './types.js';

/**
 * Sense key, ASC and ASCQ without decoding anything else. Hot path (called per completed task):
 * no allocation beyond the result. Undefined when the bytes are not fixed or descriptor sense.
 */
export function quickSense(sense: Uint8Array): { key: number; asc: number; ascq: number } | undefined {
  const n = sense.length;
  if (n < 2) return undefined;
  const code = sense[0]! & 0x7f;
  if (code === 0x70 || code === 0x71) {
    if (n < 3) return undefined;
    return { key: sense[2]! & 0x0f, asc: n > 12 ? sense[12]! : 0, ascq: n > 13 ? sense[13]! : 0 };
  }
  if (code === 0x72 || code === 0x73) {
    return { key: sense[1]! & 0x0f, asc: n > 2 ? sense[2]! : 0, ascq: n > 3 ? sense[3]! : 0 };
  }
  return undefined;
}

function readBigUint(bytes: Uint8Array, start: number, size: number): bigint {
  let value = 0n;
  for (let i = 0; i < size; i++) value = (value << 8n) | BigInt(bytes[start + i] ?? 0);
  return value;
}

const percent = (fraction: number): string => `${(fraction * 100).toFixed(1).replace(/\.0$/, '')}%`;

/**
 * SPC-6 sense-key specific information: three bytes whose meaning depends on the sense key.
 * Only called when SKSV (bit 7 of the first byte) is set.
 */
export function decodeSenseKeySpecific(senseKey: number, b0: number, b1: number, b2: number): SenseKeySpecific {
  const raw = (b0 << 16) | (b1 << 8) | b2;
  const pointer = (b1 << 8) | b2;
  switch (senseKey) {
    case 0x5: {
      // ILLEGAL REQUEST: field pointer. C/D = 1 means the CDB, 0 the parameter data.
      const commandData = (b0 & 0x40) !== 0;
      const bpv = (b0 & 0x08) !== 0;
      const result: SenseKeySpecific = {
        kind: 'field-pointer',
        raw,
        commandData,
        fieldPointer: pointer,
        text: `error in ${commandData ? 'CDB' : 'parameter data'} byte ${pointer}${bpv ? ` bit ${b0 & 7}` : ''}`,
      };
      if (bpv) result.bitPointer = b0 & 7;
      return result;
    }
    case 0x1:
    case 0x3:
    case 0x4:
      // RECOVERED, MEDIUM and HARDWARE ERROR: actual retry count.
      return { kind: 'actual-retry-count', raw, actualRetryCount: pointer, text: `${pointer} retries` };
    case 0x0:
    case 0x2: {
      // NO SENSE and NOT READY: progress indication, a fraction of 65536.
      const progress = pointer / 65536;
      return { kind: 'progress-indication', raw, progress, text: `${percent(progress)} done` };
    }
    case 0xa: {
      // COPY ABORTED: segment pointer. SD = 1: relative to the segment descriptor.
      const segmentDescriptor = (b0 & 0x20) !== 0;
      const bpv = (b0 & 0x08) !== 0;
      const result: SenseKeySpecific = {
        kind: 'segment-pointer',
        raw,
        segmentDescriptor,
        fieldPointer: pointer,
        text: `error in ${segmentDescriptor ? 'segment descriptor' : 'parameter list'} byte ${pointer}${bpv ? ` bit ${b0 & 7}` : ''}`,
      };
      if (bpv) result.bitPointer = b0 & 7;
      return result;
    }
    case 0x6: {
      // UNIT ATTENTION: unit attention condition queue overflow.
      const overflow = (b0 & 0x01) !== 0;
      return {
        kind: 'unit-attention-queue-overflow',
        raw,
        overflow,
        text: overflow ? 'unit attention queue overflowed' : 'no unit attention queue overflow',
      };
    }
    default:
      return { kind: 'reserved', raw, text: `reserved for this sense key (${hex(raw, 6)})` };
  }
}

/** SPC-6 sense data descriptor types. */
const DESCRIPTOR_NAMES: ReadonlyMap<number, string> = new Map([
  [0x00, 'INFORMATION'],
  [0x01, 'COMMAND-SPECIFIC INFORMATION'],
  [0x02, 'SENSE KEY SPECIFIC'],
  [0x03, 'FIELD REPLACEABLE UNIT'],
  [0x04, 'STREAM COMMANDS'],
  [0x05, 'BLOCK COMMANDS'],
  [0x06, 'OSD OBJECT IDENTIFICATION'],
  [0x07, 'OSD RESPONSE INTEGRITY CHECK VALUE'],
  [0x08, 'OSD ATTRIBUTE IDENTIFICATION'],
  [0x09, 'ATA STATUS RETURN'], // SAT-5
  [0x0a, 'ANOTHER PROGRESS INDICATION'],
  [0x0b, 'USER DATA SEGMENT REFERRAL'],
  [0x0c, 'FORWARDED SENSE DATA'],
  [0x0d, 'DIRECT-ACCESS BLOCK DEVICE'], // SBC-5
  [0x0e, 'DEVICE DESIGNATION'],
  [0x0f, 'MICROCODE ACTIVATION'],
]);

export function senseDescriptorName(type: number): string {
  return DESCRIPTOR_NAMES.get(type) ?? (type >= 0x80 ? `VENDOR SPECIFIC ${hex(type)}` : `DESCRIPTOR TYPE ${hex(type)}`);
}

/** ADDITIONAL LENGTH each descriptor type defines (others vary). */
const DESCRIPTOR_LENGTHS: ReadonlyMap<number, number> = new Map([
  [0x00, 0x0a],
  [0x01, 0x0a],
  [0x02, 0x06],
  [0x03, 0x02],
  [0x04, 0x02],
  [0x05, 0x02],
  [0x09, 0x0c],
  [0x0a, 0x06],
  [0x0d, 0x16],
  [0x0f, 0x06],
]);

/** Mutable state the two formats fill in; becomes a DecodedSense. */
class SenseBuilder {
  readonly fields: CdbField[] = [];
  readonly problems: string[] = [];
  readonly descriptors: SenseDescriptor[] = [];
  senseKey = 0;
  asc = 0;
  ascq = 0;
  valid = false;
  information?: bigint;
  commandSpecific?: bigint;
  filemark = false;
  eom = false;
  ili = false;
  senseDataOverflow = false;
  fru?: number;
  senseKeySpecific?: SenseKeySpecific;
  length = 0;
  /** ASC and ASCQ were in the bytes (not defaulted to 00/00). */
  ascPresent = false;
  truncated?: Truncation;

  constructor(readonly bytes: Uint8Array) {}

  /**
   * Notes a header shorter than 8 bytes, or ADDITIONAL SENSE LENGTH declaring more than is
   * there (SPC-6 4.4.1: the sense data is 8 + ADDITIONAL SENSE LENGTH bytes).
   */
  checkLength(format: string, ascAt: string): void {
    const n = this.bytes.length;
    if (n < 8) {
      this.truncated = { length: n, needs: 8, missing: `${format} sense data is ${n} byte${n === 1 ? '' : 's'}; its header needs 8 (${ascAt})` };
      return;
    }
    const declared = 8 + this.bytes[7]!;
    if (declared > n) {
      this.truncated = { length: n, needs: declared, missing: `ADDITIONAL SENSE LENGTH says ${declared} bytes, but only ${n} are present` };
    }
  }
}

/** Adds a field; a clear flag drops its text, which explains what setting it means. */
function field(fields: CdbField[], name: string, value: CdbField['value'], extra?: Omit<CdbField, 'name' | 'value'>): void {
  const f: CdbField = value === false || extra === undefined ? { name, value } : { name, value, ...extra };
  // A 64-bit field carries a bigint: JSON_READY lets JSON.stringify write it (a number when exact).
  fields.push(typeof value === 'bigint' ? Object.assign(Object.create(JSON_READY) as object, f) : f);
}

/** SPC-6 fixed format sense data (response codes 70h, 71h). */
function decodeFixed(s: SenseBuilder): void {
  const b = s.bytes;
  const n = b.length;
  s.checkLength('fixed format', 'ASC and ASCQ are bytes 12 and 13');
  if (s.truncated) s.problems.push(s.truncated.missing);
  const declared = n >= 8 ? 8 + b[7]! : n;
  s.length = Math.min(declared, n);
  // Fields up to ASCQ are read from the buffer even when ADDITIONAL SENSE LENGTH leaves them
  // out, so a short length still shows what the device put there; the problem says so.
  if (n >= 8 && b[7]! < 6 && n >= 14) s.problems.push(`ADDITIONAL SENSE LENGTH ${b[7]} is too short to include ASC and ASCQ`);

  s.valid = (b[0]! & 0x80) !== 0;
  field(s.fields, 'VALID', s.valid, { text: 'INFORMATION is defined' });
  if (n >= 3) {
    const b2 = b[2]!;
    s.filemark = (b2 & 0x80) !== 0;
    s.eom = (b2 & 0x40) !== 0;
    s.ili = (b2 & 0x20) !== 0;
    s.senseDataOverflow = (b2 & 0x10) !== 0;
    s.senseKey = b2 & 0x0f;
    field(s.fields, 'FILEMARK', s.filemark);
    field(s.fields, 'EOM', s.eom);
    field(s.fields, 'ILI', s.ili, { text: 'incorrect length indicator' });
    field(s.fields, 'SDAT_OVFL', s.senseDataOverflow, { text: 'sense data overflow' });
    field(s.fields, 'SENSE KEY', s.senseKey, { hex: true, text: senseKeyName(s.senseKey) });
    if (s.senseDataOverflow) s.problems.push('SDAT_OVFL: the device had more sense data than it could return');
  }
  if (n >= 7) {
    const info = readBigUint(b, 3, 4);
    field(s.fields, 'INFORMATION', info, s.valid ? undefined : { text: 'not valid' });
    if (s.valid) s.information = info;
  }
  if (n >= 8) field(s.fields, 'ADDITIONAL SENSE LENGTH', b[7]!, { unit: 'bytes' });
  if (n >= 12) {
    const specific = readBigUint(b, 8, 4);
    field(s.fields, 'COMMAND-SPECIFIC INFORMATION', specific, { hex: true });
    if (specific !== 0n) s.commandSpecific = specific;
  }
  if (n >= 13) {
    s.asc = b[12]!;
    field(s.fields, 'ADDITIONAL SENSE CODE', s.asc, { hex: true });
  }
  if (n >= 14) {
    s.ascq = b[13]!;
    s.ascPresent = true;
    field(s.fields, 'ADDITIONAL SENSE CODE QUALIFIER', s.ascq, { hex: true, text: ascName(s.asc, s.ascq) });
  } else if (n >= 8) {
    s.problems.push(`fixed format sense data is ${n} bytes; ASC and ASCQ are in bytes 12 and 13`);
  }
  if (n >= 15) {
    field(s.fields, 'FIELD REPLACEABLE UNIT CODE', b[14]!, { hex: true });
    if (b[14] !== 0) s.fru = b[14]!;
  }
  if (n >= 18) {
    const sksv = (b[15]! & 0x80) !== 0;
    field(s.fields, 'SKSV', sksv, { text: 'sense-key specific information is valid' });
    if (sksv) {
      s.senseKeySpecific = decodeSenseKeySpecific(s.senseKey, b[15]!, b[16]!, b[17]!);
      field(s.fields, 'SENSE KEY SPECIFIC', s.senseKeySpecific.raw & 0x7fffff, {
        hex: true,
        text: s.senseKeySpecific.text,
      });
    }
  }
  if (s.asc === 0x00 && s.ascq === 0x1d && n >= 12) ataFixedRegisters(s);
  if (s.length > 18) {
    const extra = Array.from(b.subarray(18, s.length), (x) => hexByte(x).toLowerCase()).join(' ');
    field(s.fields, 'ADDITIONAL SENSE BYTES', extra, { text: `bytes 18-${s.length - 1}` });
  }
}

/**
 * SAT-5 fixed format sense for ATA PASS-THROUGH (ASC/ASCQ 00/1D): the ATA registers are packed
 * into the INFORMATION (ERROR, STATUS, DEVICE, COUNT 7:0) and COMMAND-SPECIFIC INFORMATION
 * (EXTEND, upper-bytes-nonzero flags, LOG INDEX, LBA 7:0, 15:8, 23:16) fields.
 */
function ataFixedRegisters(s: SenseBuilder): void {
  const b = s.bytes;
  field(s.fields, 'ATA ERROR', b[3]!, { hex: true });
  field(s.fields, 'ATA STATUS', b[4]!, { hex: true, ...ataStatusText(b[4]!) });
  field(s.fields, 'ATA DEVICE', b[5]!, { hex: true });
  field(s.fields, 'ATA COUNT (7:0)', b[6]!);
  field(s.fields, 'EXTEND', (b[8]! & 0x80) !== 0);
  field(s.fields, 'COUNT UPPER NONZERO', (b[8]! & 0x40) !== 0);
  field(s.fields, 'LBA UPPER NONZERO', (b[8]! & 0x20) !== 0);
  field(s.fields, 'LOG INDEX', b[8]! & 0x0f);
  field(s.fields, 'ATA LBA (23:0)', (b[11]! << 16) | (b[10]! << 8) | b[9]!, { hex: true });
}

/** Names of the ATA STATUS bits that matter to a driver (ACS-5). */
function ataStatusText(status: number): { text?: string } {
  const bits = [status & 0x80 ? 'BSY' : '', status & 0x40 ? 'DRDY' : '', status & 0x20 ? 'DF' : '', status & 0x08 ? 'DRQ' : '', status & 0x01 ? 'ERR' : '']
    .filter(Boolean)
    .join(' ');
  return bits ? { text: bits } : {};
}

/** One descriptor's fields; sets the top-level values it carries. */
function decodeDescriptor(s: SenseBuilder, d: Uint8Array, offset: number): SenseDescriptor {
  const type = d[0]!;
  const additionalLength = d[1]!;
  const fields: CdbField[] = [];
  const has = (i: number, size = 1): boolean => i + size <= d.length;
  const expected = DESCRIPTOR_LENGTHS.get(type);
  if (expected !== undefined && additionalLength !== expected) {
    s.problems.push(`${senseDescriptorName(type)} descriptor at byte ${offset} has ADDITIONAL LENGTH ${additionalLength}; it should be ${expected}`);
  }
  switch (type) {
    case 0x00: // Information
      if (has(2)) {
        const valid = (d[2]! & 0x80) !== 0;
        field(fields, 'VALID', valid);
        if (has(4, 8)) {
          const info = readBigUint(d, 4, 8);
          field(fields, 'INFORMATION', info, valid ? undefined : { text: 'not valid' });
          if (valid) {
            s.valid = true;
            s.information = info;
          }
        }
      }
      break;
    case 0x01: // Command-specific information
      if (has(4, 8)) {
        s.commandSpecific = readBigUint(d, 4, 8);
        field(fields, 'COMMAND-SPECIFIC INFORMATION', s.commandSpecific, { hex: true });
      }
      break;
    case 0x02: // Sense key specific
      if (has(4, 3)) {
        const sksv = (d[4]! & 0x80) !== 0;
        field(fields, 'SKSV', sksv);
        if (sksv) {
          s.senseKeySpecific = decodeSenseKeySpecific(s.senseKey, d[4]!, d[5]!, d[6]!);
          field(fields, 'SENSE KEY SPECIFIC', s.senseKeySpecific.raw & 0x7fffff, {
            hex: true,
            text: s.senseKeySpecific.text,
          });
        }
      }
      break;
    case 0x03: // Field replaceable unit
      if (has(3)) {
        field(fields, 'FIELD REPLACEABLE UNIT CODE', d[3]!, { hex: true });
        if (d[3] !== 0) s.fru = d[3]!;
      }
      break;
    case 0x04: // Stream commands (SSC)
      if (has(3)) {
        s.filemark = (d[3]! & 0x80) !== 0;
        s.eom = (d[3]! & 0x40) !== 0;
        s.ili = (d[3]! & 0x20) !== 0;
        field(fields, 'FILEMARK', s.filemark);
        field(fields, 'EOM', s.eom);
        field(fields, 'ILI', s.ili);
      }
      break;
    case 0x05: // Block commands (SBC)
      if (has(3)) {
        s.ili = (d[3]! & 0x20) !== 0;
        field(fields, 'ILI', s.ili);
      }
      break;
    case 0x09: // ATA Status Return (SAT-5): registers, high bytes interleaved with the low.
      if (has(2, 12)) {
        const extend = (d[2]! & 1) !== 0;
        field(fields, 'EXTEND', extend);
        field(fields, 'ERROR', d[3]!, { hex: true });
        const count = extend ? (d[4]! << 8) | d[5]! : d[5]!;
        const lba = (extend ? d[10]! * 2 ** 40 + d[8]! * 2 ** 32 + d[6]! * 2 ** 24 : 0) + ((d[11]! << 16) | (d[9]! << 8) | d[7]!);
        field(fields, 'COUNT', count);
        field(fields, 'LBA', BigInt(lba), { hex: true });
        field(fields, 'DEVICE', d[12]!, { hex: true });
        field(fields, 'STATUS', d[13]!, { hex: true, ...ataStatusText(d[13]!) });
      }
      break;
    case 0x0a: // Another progress indication
      if (has(2, 6)) {
        field(fields, 'SENSE KEY', d[2]! & 0x0f, { hex: true, text: senseKeyName(d[2]! & 0x0f) });
        field(fields, 'ADDITIONAL SENSE CODE', d[3]!, { hex: true });
        field(fields, 'ADDITIONAL SENSE CODE QUALIFIER', d[4]!, { hex: true, text: ascName(d[3]!, d[4]!) });
        const progress = ((d[6]! << 8) | d[7]!) / 65536;
        field(fields, 'PROGRESS INDICATION', (d[6]! << 8) | d[7]!, { text: `${percent(progress)} done` });
      }
      break;
    case 0x0c: // Forwarded sense data
      if (has(2, 2)) {
        field(fields, 'FSDT', (d[2]! & 0x80) !== 0, { text: 'forwarded sense data truncated' });
        field(fields, 'SENSE DATA SOURCE', d[2]! & 0x0f);
        field(fields, 'FORWARDED STATUS', d[3]!, { hex: true });
        if (d.length > 4) {
          const inner = quickSense(d.subarray(4));
          const bytes = Array.from(d.subarray(4), (x) => hexByte(x).toLowerCase()).join(' ');
          field(fields, 'FORWARDED SENSE DATA', bytes, inner ? { text: `${senseKeyName(inner.key)}: ${ascName(inner.asc, inner.ascq)}` } : undefined);
        }
      }
      break;
    case 0x0d: // Direct-access block device (SBC-5)
      if (has(2, 22)) {
        const valid = (d[2]! & 0x80) !== 0;
        s.ili = (d[2]! & 0x20) !== 0;
        field(fields, 'VALID', valid);
        field(fields, 'ILI', s.ili);
        const sksv = (d[4]! & 0x80) !== 0;
        field(fields, 'SKSV', sksv);
        if (sksv) {
          s.senseKeySpecific = decodeSenseKeySpecific(s.senseKey, d[4]!, d[5]!, d[6]!);
          field(fields, 'SENSE KEY SPECIFIC', s.senseKeySpecific.raw & 0x7fffff, { hex: true, text: s.senseKeySpecific.text });
        }
        field(fields, 'FIELD REPLACEABLE UNIT CODE', d[7]!, { hex: true });
        if (d[7] !== 0) s.fru = d[7]!;
        const info = readBigUint(d, 8, 8);
        field(fields, 'INFORMATION', info, valid ? undefined : { text: 'not valid' });
        if (valid) {
          s.valid = true;
          s.information = info;
        }
        s.commandSpecific = readBigUint(d, 16, 8);
        field(fields, 'COMMAND-SPECIFIC INFORMATION', s.commandSpecific, { hex: true });
      }
      break;
    case 0x0f: // Microcode activation
      if (has(6, 2)) field(fields, 'MICROCODE ACTIVATION TIME', (d[6]! << 8) | d[7]!, { unit: 'seconds' });
      break;
    default:
      if (d.length > 2) field(fields, 'DATA', Array.from(d.subarray(2), (x) => hexByte(x).toLowerCase()).join(' '));
  }
  return { type, name: senseDescriptorName(type), offset, additionalLength, fields, raw: d };
}

/** SPC-6 descriptor format sense data (response codes 72h, 73h). */
function decodeDescriptorFormat(s: SenseBuilder): void {
  const b = s.bytes;
  const n = b.length;
  s.checkLength('descriptor format', 'ASC and ASCQ are bytes 2 and 3');
  if (s.truncated && n < 8) s.problems.push(s.truncated.missing);
  if (n >= 2) {
    s.senseKey = b[1]! & 0x0f;
    field(s.fields, 'SENSE KEY', s.senseKey, { hex: true, text: senseKeyName(s.senseKey) });
  }
  if (n >= 3) {
    s.asc = b[2]!;
    field(s.fields, 'ADDITIONAL SENSE CODE', s.asc, { hex: true });
  }
  if (n >= 4) {
    s.ascq = b[3]!;
    s.ascPresent = true;
    field(s.fields, 'ADDITIONAL SENSE CODE QUALIFIER', s.ascq, { hex: true, text: ascName(s.asc, s.ascq) });
  }
  if (n >= 5) {
    s.senseDataOverflow = (b[4]! & 0x80) !== 0;
    field(s.fields, 'SDAT_OVFL', s.senseDataOverflow, { text: 'sense data overflow' });
    if (s.senseDataOverflow) s.problems.push('SDAT_OVFL: the device had more sense data than it could return');
  }
  if (n >= 8) field(s.fields, 'ADDITIONAL SENSE LENGTH', b[7]!, { unit: 'bytes' });
  const declared = n >= 8 ? 8 + b[7]! : n;
  if (declared > n) s.problems.push(`ADDITIONAL SENSE LENGTH says ${declared} bytes, but only ${n} are present`);
  const end = Math.min(declared, n);
  s.length = end;
  let offset = 8;
  // Each step advances by at least 2 bytes, so the loop ends within the buffer.
  while (offset < end) {
    if (offset + 2 > end) {
      s.problems.push(`descriptor at byte ${offset} is cut off after its type byte`);
      break;
    }
    const size = 2 + b[offset + 1]!;
    if (offset + size > end) {
      s.problems.push(`${senseDescriptorName(b[offset]!)} descriptor at byte ${offset} needs ${size} bytes; only ${end - offset} remain`);
      s.descriptors.push(decodeDescriptor(s, b.subarray(offset, end), offset));
      break;
    }
    s.descriptors.push(decodeDescriptor(s, b.subarray(offset, offset + size), offset));
    offset += size;
  }
}

const FORMAT_TEXT: Record<number, string> = {
  0x70: 'fixed, current',
  0x71: 'fixed, deferred',
  0x72: 'descriptor, current',
  0x73: 'descriptor, deferred',
};

/**
 * Decodes sense data of either format. Malformed input (short, lengths past the end, unknown
 * response code) is described in `problems`; the function never throws.
 */
export function decodeSense(sense: Uint8Array): DecodedSense {
  const s = new SenseBuilder(sense);
  const responseCode = sense.length > 0 ? sense[0]! & 0x7f : 0;
  const empty = sense.every((x) => x === 0);
  let format: DecodedSense['format'];
  if (empty) {
    format = 'empty';
  } else {
    field(s.fields, 'RESPONSE CODE', responseCode, {
      hex: true,
      text: FORMAT_TEXT[responseCode] ?? (responseCode === 0x7f ? 'vendor specific format' : 'not a sense data format'),
    });
    if (responseCode === 0x70 || responseCode === 0x71) {
      format = 'fixed';
      decodeFixed(s);
    } else if (responseCode === 0x72 || responseCode === 0x73) {
      format = 'descriptor';
      decodeDescriptorFormat(s);
    } else {
      format = 'unknown';
      s.length = sense.length;
      s.problems.push(
        responseCode === 0x7f
          ? 'RESPONSE CODE 7Fh: vendor specific sense data format'
          : `RESPONSE CODE ${hex(responseCode)} is not a sense data format (70h-73h)`,
      );
    }
  }
  const deferred = responseCode === 0x71 || responseCode === 0x73;
  const known = format === 'fixed' || format === 'descriptor';
  const keyName = senseKeyName(s.senseKey);
  const name = ascName(s.asc, s.ascq);
  // Fixed format has its sense key in byte 2, descriptor format in byte 1.
  const keyPresent = sense.length > (format === 'fixed' ? 2 : 1);
  const byteCount = `${sense.length} byte${sense.length === 1 ? '' : 's'}`;
  let summary: string;
  if (format === 'empty') summary = 'no sense data';
  else if (!known) summary = `unrecognised sense data (RESPONSE CODE ${hex(responseCode)})`;
  else if (!keyPresent) summary = `truncated sense data (${byteCount})`;
  // Never headline ASC/ASCQ 00/00 (NO ADDITIONAL SENSE INFORMATION) for bytes that are not there.
  else if (!s.ascPresent)
    summary = `${keyName}, no ASC/ASCQ (${s.truncated ? `truncated sense data, ${byteCount}` : `ADDITIONAL SENSE LENGTH ${sense[7] ?? 0} leaves them out`})${deferred ? ' [deferred]' : ''}`;
  else summary = `${keyName}: ${name} (${hexByte(s.asc)}/${hexByte(s.ascq)})${deferred ? ' [deferred]' : ''}`;

  // JSON_READY: JSON.stringify(decodeSense(...)) works as is (INFORMATION is a bigint).
  const decoded: DecodedSense = Object.assign(Object.create(JSON_READY) as object, {
    format,
    responseCode,
    current: responseCode === 0x70 || responseCode === 0x72,
    deferred,
    senseKey: s.senseKey,
    senseKeyName: keyName,
    asc: s.asc,
    ascq: s.ascq,
    ascName: name,
    valid: s.valid,
    filemark: s.filemark,
    eom: s.eom,
    ili: s.ili,
    senseDataOverflow: s.senseDataOverflow,
    descriptors: s.descriptors,
    fields: s.fields,
    length: format === 'empty' ? 0 : s.length,
    problems: s.problems,
    summary,
  });
  if (s.truncated) decoded.truncated = s.truncated;
  if (s.information !== undefined) decoded.information = s.information;
  if (s.commandSpecific !== undefined) decoded.commandSpecific = s.commandSpecific;
  if (s.fru !== undefined) decoded.fru = s.fru;
  if (s.senseKeySpecific !== undefined) decoded.senseKeySpecific = s.senseKeySpecific;
  return decoded;
}

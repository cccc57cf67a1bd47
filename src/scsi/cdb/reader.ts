/**
 * The toolkit the per-command decoders use: read a field, name it, and record it in CDB order.
 * A field whose bytes are missing (short CDB) is skipped, never invented; the dispatcher has
 * already said the CDB is short.
 */
import type { CdbField, DataTransferDirection } from '../types.js';
import { JSON_READY } from '../../model/json.js';
import { hex } from '../hex.js';

export interface FieldOptions {
  unit?: string;
  hex?: boolean;
  /** Meaning of the value, or a function from the value to its meaning. */
  text?: string | ((value: number) => string | undefined);
}

/** Where a field lies in the CDB: bytes [byte, byte + bytes), or bits [bit, bit + width) of one byte. */
export interface FieldSpan {
  field: CdbField;
  byte: number;
  bytes: number;
  /** Lowest bit of a bit field (undefined for whole bytes). */
  bit?: number;
  width?: number;
}

export class CdbReader {
  readonly fields: CdbField[] = [];
  /** Positions of the fields read from fixed places (computed fields have none). */
  readonly spans: FieldSpan[] = [];
  readonly problems: string[] = [];
  /** Words after the command name in the one-line summary. */
  readonly summary: string[] = [];
  lba?: bigint;
  transferLength?: number;
  transferUnit?: 'blocks' | 'bytes';
  blockCount?: number;
  direction?: DataTransferDirection;

  constructor(
    readonly cdb: Uint8Array,
    readonly name: string,
  ) {}

  /** Whether bytes [start, start + size) are in the CDB. */
  has(start: number, size = 1): boolean {
    return start + size <= this.cdb.length;
  }

  /** Byte i, or 0 past the end (only for deciding, never for reporting). */
  byte(i: number): number {
    return this.cdb[i] ?? 0;
  }

  /** Records a field computed by the caller (values spread over bytes, derived values). */
  add(name: string, value: CdbField['value'], options?: FieldOptions): void {
    this.push(name, value, options, typeof value === 'number' ? value : undefined);
  }

  private push(name: string, value: CdbField['value'], options: FieldOptions | undefined, numeric?: number, span?: Omit<FieldSpan, 'field'>): void {
    // A 64-bit field carries a bigint: JSON_READY lets JSON.stringify write it (a number when exact).
    const field: CdbField = typeof value === 'bigint' ? Object.assign(Object.create(JSON_READY) as object, { name, value }) : { name, value };
    if (span) this.spans.push({ field, ...span });
    if (options?.unit !== undefined) field.unit = options.unit;
    if (options?.hex) field.hex = true;
    const text = typeof options?.text === 'function' ? options.text(numeric ?? 0) : options?.text;
    // A flag's text explains what setting it means, so a clear flag shows none.
    if (text !== undefined && value !== false) field.text = text;
    this.fields.push(field);
  }

  /** Big-endian unsigned integer of 1 to 6 bytes at `start`. */
  uint(name: string, start: number, size: number, options?: FieldOptions): number {
    if (!this.has(start, size)) return 0;
    let value = 0;
    for (let i = 0; i < size; i++) value = value * 256 + this.cdb[start + i]!;
    this.push(name, value, options, value, { byte: start, bytes: size });
    return value;
  }

  /** Big-endian 64-bit integer at `start`. */
  uint64(name: string, start: number, options?: Omit<FieldOptions, 'text'> & { text?: string }): bigint {
    if (!this.has(start, 8)) return 0n;
    let value = 0n;
    for (let i = 0; i < 8; i++) value = (value << 8n) | BigInt(this.cdb[start + i]!);
    this.push(name, value, options, undefined, { byte: start, bytes: 8 });
    return value;
  }

  /** Bit field of `width` bits whose lowest bit is `shift`, in byte `index`. */
  bits(name: string, index: number, shift: number, width: number, options?: FieldOptions): number {
    if (!this.has(index)) return 0;
    const value = (this.cdb[index]! >> shift) & ((1 << width) - 1);
    this.push(name, value, options, value, { byte: index, bytes: 1, bit: shift, width });
    return value;
  }

  /** Single-bit field; recorded as a boolean. */
  flag(name: string, index: number, bit: number, text?: string): boolean {
    if (!this.has(index)) return false;
    const value = ((this.cdb[index]! >> bit) & 1) === 1;
    this.push(name, value, text === undefined ? undefined : { text }, undefined, { byte: index, bytes: 1, bit, width: 1 });
    return value;
  }

  /** A flag that, when set, also goes into the summary under its own name. */
  noteFlag(name: string, index: number, bit: number, text?: string): boolean {
    const value = this.flag(name, index, bit, text);
    if (value) this.note(name);
    return value;
  }

  /** Bytes [start, end) as a hex string field (undecoded or opaque data). */
  raw(name: string, start: number, end: number): void {
    const stop = Math.min(end, this.cdb.length);
    if (start >= stop) return;
    const parts: string[] = [];
    for (let i = start; i < stop; i++) parts.push(this.cdb[i]!.toString(16).padStart(2, '0'));
    this.push(name, parts.join(' '), { text: stop - start === 1 ? `byte ${start}` : `bytes ${start}-${stop - 1}` }, undefined, {
      byte: start,
      bytes: stop - start,
    });
  }

  /** SAM-6 CONTROL byte: NACA (bit 2); bit 0 was LINK, obsolete. */
  control(index: number): void {
    if (!this.has(index)) return;
    const value = this.cdb[index]!;
    const notes: string[] = [];
    if (value & 0x04) notes.push('NACA');
    if (value & 0xc0) notes.push(`vendor specific bits ${hex(value >> 6, 1)}`);
    if (value & 0x01) {
      notes.push('LINK (obsolete)');
      this.problem('CONTROL byte has the obsolete LINK bit set');
    }
    this.push('CONTROL', value, { hex: true, ...(notes.length ? { text: notes.join(', ') } : {}) }, undefined, { byte: index, bytes: 1 });
  }

  problem(message: string): void {
    this.problems.push(message);
  }

  note(word: string): void {
    this.summary.push(word);
  }

  /** Data the command moves and its direction. */
  transfer(length: number, unit: 'blocks' | 'bytes', direction: DataTransferDirection): void {
    this.transferLength = length;
    this.transferUnit = unit;
    this.direction = length === 0 ? 'none' : direction;
  }

  /** The command has no transfer length at all (TEST UNIT READY): it moves no data. */
  noData(): void {
    this.transferLength = undefined;
    this.transferUnit = undefined;
    this.direction = 'none';
  }
}

/** Lookup helper for name tables used as field texts. */
export function nameOf(table: ReadonlyMap<number, string> | readonly string[]): (v: number) => string | undefined {
  return Array.isArray(table) ? (v: number) => (table as readonly string[])[v] : (v: number) => (table as ReadonlyMap<number, string>).get(v);
}

/** A command decoder: one row of a command set's table. */
export interface CommandDecoder {
  opcode: number;
  /** For commands named by service action (0x9E/0x10): which one. */
  serviceAction?: number;
  /** CDB length the command needs. */
  length: number;
  /** Reads every field after OPERATION CODE (and SERVICE ACTION for service-action commands). */
  decode(r: CdbReader): void;
}

/**
 * Event format files as tracefs prints them (/sys/kernel/tracing/events/<system>/<event>/
 * format, and events/header_page) and trace.dat stores them:
 *
 *   name: scsi_dispatch_cmd_start
 *   ID: 1443
 *   format:
 *   	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
 *   	...
 *   	field:__data_loc unsigned char[] cmnd;	offset:52;	size:4;	signed:0;
 *
 * A field is read by its offset, size and signedness; a __data_loc field is a 32-bit word
 * whose low 16 bits are the offset of the data in the record and high 16 bits its length
 * (__rel_loc: the offset counts from the end of the field). Nothing here assumes a layout:
 * kernels that add, drop or move fields read alike.
 */
import { printable, quoteValue } from '../../model/errors.js';

export type FieldKind = 'scalar' | 'array' | 'data_loc' | 'rel_loc';

export interface FieldFormat {
  name: string;
  offset: number;
  size: number;
  signed: boolean;
  kind: FieldKind;
}

export interface EventFormat {
  system: string;
  name: string;
  id: number;
  fields: Map<string, FieldFormat>;
}

const FIELD = /^\s*field:\s*(.+?);\s*offset:(\d+);\s*size:(\d+);\s*signed:(-?\d+);/;
/** A record is at most a ring-buffer page; larger offsets or sizes are damage. */
const MAX_FIELD_END = 1 << 20;

/** The fields of a format text (an event's, or header_page). */
export function parseFields(text: string): Map<string, FieldFormat> | string {
  const fields = new Map<string, FieldFormat>();
  for (const line of text.split('\n')) {
    const m = FIELD.exec(line);
    if (!m) continue;
    const decl = m[1]!.trim();
    const offset = Number(m[2]);
    const size = Number(m[3]);
    if (offset + size > MAX_FIELD_END) return `field ${quoteValue(decl)} at offset ${offset} of size ${size} is out of range`;
    const name = /([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[[^\]]*\])?$/.exec(decl)?.[1];
    if (!name) return `cannot read the field declaration ${quoteValue(decl)}`;
    const kind: FieldKind = decl.startsWith('__data_loc')
      ? 'data_loc'
      : decl.startsWith('__rel_loc')
        ? 'rel_loc'
        : /\[\s*\d*\s*\]$/.test(decl)
          ? 'array'
          : 'scalar';
    fields.set(name, { name, offset, size, signed: m[4] === '1', kind });
  }
  return fields;
}

/** One event's format file; a string says why it cannot be read. */
export function parseEventFormat(system: string, text: string): EventFormat | string {
  const name = /^name:\s*(\S+)/m.exec(text)?.[1];
  const id = /^ID:\s*(\d+)/m.exec(text)?.[1];
  if (!name || id === undefined) return 'event format without name: or ID:';
  const fields = parseFields(text);
  if (typeof fields === 'string') return `${printable(system)}:${printable(name)}: ${fields}`;
  return { system, name, id: Number(id), fields };
}

/** Reads event records of one byte order. */
export class RecordReader {
  constructor(private readonly littleEndian: boolean) {}

  /** A scalar field as a number (sizes 1, 2, 4; 8 when it fits in 53 bits), or undefined when outside the record. */
  number(rec: DataView, f: FieldFormat): number | undefined {
    if (f.offset + f.size > rec.byteLength) return undefined;
    const le = this.littleEndian;
    switch (f.size) {
      case 1:
        return f.signed ? rec.getInt8(f.offset) : rec.getUint8(f.offset);
      case 2:
        return f.signed ? rec.getInt16(f.offset, le) : rec.getUint16(f.offset, le);
      case 4:
        return f.signed ? rec.getInt32(f.offset, le) : rec.getUint32(f.offset, le);
      case 8: {
        const v = f.signed ? rec.getBigInt64(f.offset, le) : rec.getBigUint64(f.offset, le);
        return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined;
      }
      default:
        return undefined;
    }
  }

  /** The bytes of an array or dynamic-array field, or a string saying why they are not in the record. */
  bytes(rec: DataView, f: FieldFormat): Uint8Array | string {
    let start = f.offset;
    let length = f.size;
    if (f.kind === 'data_loc' || f.kind === 'rel_loc') {
      if (f.offset + 4 > rec.byteLength) return `${f.name}: the record ends inside the field`;
      const loc = rec.getUint32(f.offset, this.littleEndian);
      start = (loc & 0xffff) + (f.kind === 'rel_loc' ? f.offset + f.size : 0);
      length = loc >>> 16;
    }
    if (start + length > rec.byteLength) return `${f.name}: ${length} bytes at offset ${start} run past the ${rec.byteLength}-byte record`;
    return new Uint8Array(rec.buffer, rec.byteOffset + start, length);
  }
}

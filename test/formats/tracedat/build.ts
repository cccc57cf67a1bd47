/**
 * A small trace.dat version 6 writer for tests (trace-cmd.dat.v6(5)), so that kernels other
 * than the one the real captures come from can be tried: any scsi event layout, either byte
 * order, events with time extends, absolute time stamps and lost-event pages.
 */

export type FieldSpec = [name: string, decl: string, size: number, signed?: boolean];

export interface FormatSpec {
  system: string;
  name: string;
  id: number;
  fields: FieldSpec[];
}

export interface Layout {
  text: string;
  offsets: Map<string, { offset: number; size: number }>;
  /** Bytes of the fixed part. */
  size: number;
}

const COMMON: FieldSpec[] = [
  ['common_type', 'unsigned short common_type', 2],
  ['common_flags', 'unsigned char common_flags', 1],
  ['common_preempt_count', 'unsigned char common_preempt_count', 1],
  ['common_pid', 'int common_pid', 4, true],
];

/** The format text tracefs would print, with naturally aligned offsets. */
export function layout(f: FormatSpec): Layout {
  let o = 0;
  const offsets = new Map<string, { offset: number; size: number }>();
  const lines = [];
  for (const [i, [name, decl, size, signed]] of [...COMMON, ...f.fields].entries()) {
    o = Math.ceil(o / Math.min(size, 4)) * Math.min(size, 4);
    offsets.set(name, { offset: o, size });
    lines.push(`\tfield:${decl};\toffset:${o};\tsize:${size};\tsigned:${signed ? 1 : 0};`);
    if (i === COMMON.length - 1) lines.push('');
    o += size;
  }
  return { text: `name: ${f.name}\nID: ${f.id}\nformat:\n${lines.join('\n')}\n\nprint fmt: "..."\n`, offsets, size: o };
}

export interface EventSpec {
  /** Absolute trace-clock time, ns. */
  ts: bigint;
  format: FormatSpec;
  values: Record<string, number>;
  /** For the cmnd __data_loc field. */
  cmnd?: number[];
}

export interface BuildOptions {
  bigEndian?: boolean;
  /** Pages: each a list of events; `lost` marks a page after lost events (count stored). */
  pages: { events: EventSpec[]; lost?: number; absoluteFirst?: boolean }[];
  formats: FormatSpec[];
  /** v6 options (id, data) before the data. */
  options?: [number, Buffer][];
  /** A latency trace: this text instead of flyrecord pages. */
  latency?: string;
}

const PAGE = 4096;

export function buildTraceDat(o: BuildOptions): Uint8Array {
  const le = !o.bigEndian;
  const parts: Buffer[] = [];
  const u16 = (n: number) => {
    const b = Buffer.alloc(2);
    if (le) b.writeUInt16LE(n);
    else b.writeUInt16BE(n);
    return b;
  };
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    if (le) b.writeUInt32LE(n >>> 0);
    else b.writeUInt32BE(n >>> 0);
    return b;
  };
  const u64 = (n: bigint | number) => {
    const b = Buffer.alloc(8);
    if (le) b.writeBigUInt64LE(BigInt(n));
    else b.writeBigUInt64BE(BigInt(n));
    return b;
  };
  const sized8 = (text: string) => [u64(Buffer.byteLength(text)), Buffer.from(text)];
  parts.push(Buffer.from([0x17, 0x08, 0x44]), Buffer.from('tracing6\0'), Buffer.from([le ? 0 : 1, 8]), u32(PAGE));
  const headerPage = `\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n\tfield: char data;\toffset:16;\tsize:${PAGE - 16};\tsigned:1;\n`;
  const headerEvent =
    '# compressed entry header\n\ttype_len    :    5 bits\n\ttime_delta  :   27 bits\n\tarray       :   32 bits\n\n\tpadding     : type == 29\n\ttime_extend : type == 30\n\ttime_stamp : type == 31\n\tdata max type_len  == 28\n';
  parts.push(Buffer.from('header_page\0'), ...sized8(headerPage), Buffer.from('header_event\0'), ...sized8(headerEvent));
  parts.push(u32(0)); // ftrace event formats
  const systems = [...new Set(o.formats.map((f) => f.system))];
  parts.push(u32(systems.length));
  for (const s of systems) {
    const fs = o.formats.filter((f) => f.system === s);
    parts.push(Buffer.from(`${s}\0`), u32(fs.length));
    for (const f of fs) parts.push(...sized8(layout(f).text));
  }
  parts.push(u32(0), u32(0), u64(0)); // kallsyms, printk, cmdlines
  parts.push(u32(1));
  if (o.options) {
    parts.push(Buffer.from('options  \0'));
    for (const [id, data] of o.options) parts.push(u16(id), u32(data.length), data);
    parts.push(u16(0));
  }
  if (o.latency !== undefined) {
    parts.push(Buffer.from('latency  \0'), Buffer.from(o.latency));
    return Buffer.concat(parts);
  }
  parts.push(Buffer.from('flyrecord\0'));
  const headerLength = parts.reduce((n, p) => n + p.length, 0) + 16;
  const dataOffset = Math.ceil(headerLength / PAGE) * PAGE;
  parts.push(u64(dataOffset), u64(o.pages.length * PAGE), Buffer.alloc(dataOffset - headerLength));
  for (const p of o.pages) parts.push(page(p, le, u32, u64));
  return Buffer.concat(parts);
}

function record(e: EventSpec, le: boolean): Buffer {
  const l = layout(e.format);
  const cmnd = Buffer.from(e.cmnd ?? []);
  const b = Buffer.alloc(l.size + cmnd.length);
  const put = (name: string, v: number) => {
    const f = l.offsets.get(name)!;
    if (f.size === 1) b.writeUInt8(v & 0xff, f.offset);
    else if (f.size === 2) {
      if (le) b.writeUInt16LE(v & 0xffff, f.offset);
      else b.writeUInt16BE(v & 0xffff, f.offset);
    } else if (le) b.writeUInt32LE(v >>> 0, f.offset);
    else b.writeUInt32BE(v >>> 0, f.offset);
  };
  put('common_type', e.format.id);
  for (const [k, v] of Object.entries(e.values)) put(k, v);
  if (l.offsets.has('cmnd')) put('cmnd', (cmnd.length << 16) | l.size);
  cmnd.copy(b, l.size);
  return b;
}

function page(p: BuildOptions['pages'][number], le: boolean, u32: (n: number) => Buffer, u64: (n: bigint | number) => Buffer): Buffer {
  const data: Buffer[] = [];
  const word = (typeLen: number, delta: number) => u32(le ? (typeLen | (delta << 5)) >>> 0 : ((typeLen << 27) | delta) >>> 0);
  const first = p.events[0]?.ts ?? 0n;
  let last = first;
  if (p.absoluteFirst) {
    // An absolute time stamp (type 31): bits 0..26 in time_delta, 27..58 in the next word.
    data.push(word(31, Number(first & 0x7ffffffn)), u32(Number(first >> 27n)));
  }
  for (const e of p.events) {
    let delta = e.ts - last;
    last = e.ts;
    if (delta >= 1n << 27n) {
      data.push(word(30, Number(delta & 0x7ffffffn)), u32(Number(delta >> 27n)));
      delta = 0n;
    }
    const r = record(e, le);
    const padded = Buffer.concat([r, Buffer.alloc((4 - (r.length % 4)) % 4)]);
    if (padded.length <= 28 * 4) data.push(word(padded.length / 4, Number(delta)), padded);
    else data.push(word(0, Number(delta)), u32(r.length + 4), padded);
  }
  const body = Buffer.concat(data);
  const lostFlags = p.lost !== undefined ? 0xc000_0000 : 0;
  const out = Buffer.concat([
    u64(p.absoluteFirst ? 0n : first),
    u64(BigInt((body.length | lostFlags) >>> 0)),
    body,
    p.lost !== undefined ? u64(p.lost) : Buffer.alloc(0),
  ]);
  return Buffer.concat([out, Buffer.alloc(PAGE - out.length)]);
}

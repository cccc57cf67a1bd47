/**
 * trace-cmd's binary trace.dat, versions 6 and 7 (trace-cmd.dat.v6(5), trace-cmd.dat.v7(5);
 * trace-cmd's lib/trace-cmd/trace-output.c writes it), read front to back:
 *
 *   "\x17\x08\x44tracing" version"\0" endian(1) long-size(1) page-size(4)
 *   v6: header_page and header_event formats, ftrace event formats, event formats by system,
 *       kallsyms, printk formats, saved cmdlines, CPU count, options, then "flyrecord" with
 *       an (offset, size) per CPU, the CPUs' ring-buffer pages at those offsets (or
 *       "latency" and the trace as text).
 *   v7: compression name"\0"version"\0", offset of the first options section, then sections
 *       (id u16, flags u16 (1 = compressed), description string id u32, size u64): options (0),
 *       header info (16), ftrace events (17), event formats (18), kallsyms (19), printk (20),
 *       cmdlines (21), strings (15), buffer flyrecord (3: per CPU, page-aligned, the pages, or
 *       when compressed a chunk count and (compressed size, size, data) chunks), buffer text
 *       (22). The BUFFER option that says which CPU each run of pages belongs to comes after
 *       the data; it is not needed: every page carries its own time.
 *
 * Events are decoded from their binary fields through the scsi event formats the file carries
 * (event-format.ts, scsi-event.ts) and handed to the ftrace reader, which turns them into tasks
 * as it does tracepoint text. Per-CPU pages are stored one CPU after another, so events are
 * held (as decoded lines, not pages) and merged by time at the end; past MAX_HELD_EVENTS they
 * are merged in windows and a diagnostic says so. Pages that record lost events and CPU
 * statistics with overruns become capture gaps.
 */
import { inflateSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { GapAffects, GapUnit, type CaptureGap, type Diagnostic, type TraceEvent } from '../../model/events.js';
import { describeOffset, quoteValue } from '../../model/errors.js';
import { newReadStats, type ReadStats } from '../../model/stats.js';
import { FtraceDecoder } from '../ftrace/reader.js';
import type { ScsiTraceLine } from '../ftrace/parse.js';
import { parseEventFormat, parseFields, RecordReader, type EventFormat, type FieldFormat } from './event-format.js';
import { decodePage, type PageLayout } from './ring-page.js';
import { isScsiEvent, scsiTraceLine } from './scsi-event.js';
import { ByteSource } from './source.js';

export const TRACEDAT_MAGIC = [0x17, 0x08, 0x44, 0x74, 0x72, 0x61, 0x63, 0x69, 0x6e, 0x67]; // \x17\x08D"tracing"

/** Decoded SCSI events held for the merge across CPUs; past this they are merged in windows. */
const MAX_HELD_EVENTS = 1 << 20;
/** Events handed on in batches of about this many. */
const BATCH_EVENTS = 4096;
/** Diagnostics kept; the rest are counted. */
const MAX_DIAGNOSTICS = 1000;
/** Bounds on lengths read from the file. */
const MAX_HEADER_TEXT = 64 * 1024;
const MAX_FORMAT_TEXT = 1 << 20;
const MAX_SECTION_BYTES = 64 * 1024 * 1024;
const MAX_CHUNK_BYTES = 16 * 1024 * 1024;
const MAX_CPUS = 8192;
const MAX_OPTION_BYTES = 16 * 1024 * 1024;
const MAX_EVENT_NAMES = 100_000;

/** Section and option ids (trace-cmd.dat.v7(5), trace-cmd's enum tracecmd_file_options). */
const Id = {
  Done: 0,
  Date: 1,
  CpuStat: 2,
  Buffer: 3,
  TraceClock: 4,
  Uname: 5,
  Version: 9,
  Strings: 15,
  HeaderInfo: 16,
  FtraceEvents: 17,
  EventFormats: 18,
  Kallsyms: 19,
  Printk: 20,
  Cmdlines: 21,
  BufferText: 22,
} as const;

/** A decoded event waiting for the merge: a SCSI tracepoint or a page that lost events. */
interface Held {
  timestamp: bigint;
  /** The flyrecord section (v7) the event came from, to tell instance buffers apart. */
  section: number;
  offset: number;
  bytes: number;
  event?: ScsiTraceLine | string;
  /** Events lost before this page (-1: unknown count). */
  lost?: number;
}

class Fatal extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

export class TraceDatReader {
  private readonly src: ByteSource;
  private version = 0;
  private littleEndian = true;
  private pageSize = 4096;
  private codec = 'none';
  private codecVersion = '';
  private layout: PageLayout | undefined;
  private records = new RecordReader(true);
  private commonType: FieldFormat = { name: 'common_type', offset: 0, size: 2, signed: false, kind: 'scalar' };
  private readonly scsiFormats = new Map<number, EventFormat>();
  private readonly eventNames = new Map<number, string>();
  private held: Held[] = [];
  private readonly out: TraceEvent[] = [];
  private diagnostics = 0;
  private readonly ftrace: FtraceDecoder;
  private clock = '';
  private uname = '';
  private producerVersion = '';
  /** v7 BUFFER options: flyrecord section offset → instance name ("" = the top buffer). */
  private readonly buffers = new Map<number, string>();
  private readonly cpuStats: string[] = [];
  private windows = 0;
  private baseTimestamp: bigint | undefined;

  constructor(
    chunks: AsyncIterable<Uint8Array>,
    private readonly stats: ReadStats,
    /** Events held for the merge across CPUs before merging in windows (tests lower it). */
    private readonly maxHeld = MAX_HELD_EVENTS,
  ) {
    this.src = new ByteSource(chunks, 0, (n) => (stats.bytesRead += n));
    this.ftrace = new FtraceDecoder(stats);
  }

  async *read(): AsyncGenerator<TraceEvent[]> {
    try {
      await this.fileHeader();
      if (this.version === 6) yield* this.readV6();
      else yield* this.readV7();
    } catch (e) {
      if (!(e instanceof Fatal)) throw e;
      this.diag(e.offset, e.message, true);
    }
    this.merge(this.held.length);
    this.ftrace.end(this.out);
    this.finish();
    yield this.out.splice(0);
  }

  // ---- file structure -------------------------------------------------------------------

  private async fileHeader(): Promise<void> {
    const magic = await this.src.read(10);
    if (magic.length < 10 || TRACEDAT_MAGIC.some((b, i) => magic[i] !== b)) throw new Fatal(0, 'not a trace-cmd trace.dat file (no \\x17\\x08Dtracing magic)');
    const at = this.src.offset;
    const version = await this.src.cstring(16);
    if (version !== '6' && version !== '7')
      throw new Fatal(at, `trace.dat version ${version === undefined ? '(unterminated)' : quoteValue(version)} is not supported (6 and 7 are)`);
    this.version = Number(version);
    const fixed = await this.need(6, 'file header');
    if (fixed[0]! > 1) throw new Fatal(at + 2, `endianness byte ${fixed[0]} is neither 0 (little) nor 1 (big)`);
    this.littleEndian = fixed[0] === 0;
    this.records = new RecordReader(this.littleEndian);
    this.pageSize = this.u32(fixed, 2);
    if (this.pageSize < 256 || this.pageSize > 1 << 24 || (this.pageSize & (this.pageSize - 1)) !== 0) {
      throw new Fatal(at + 4, `page size ${this.pageSize} is not a power of two between 256 bytes and 16 MiB`);
    }
    if (this.version === 7) {
      const name = await this.src.cstring(64);
      const ver = await this.src.cstring(64);
      if (name === undefined || ver === undefined) throw new Fatal(this.src.offset, 'compression name and version are not NUL-terminated strings');
      this.codec = name;
      this.codecVersion = ver;
      await this.need(8, 'offset of the first options section');
    }
  }

  private async *readV6(): AsyncGenerator<TraceEvent[]> {
    await this.headerInfo(this.src);
    const ftraceCount = this.u32(await this.need(4, 'ftrace event format count'), 0);
    for (let i = 0; i < ftraceCount; i++) await this.skipSized(this.src, 8, 'ftrace event format');
    await this.eventFormats(this.src);
    await this.skipSized(this.src, 4, 'kallsyms');
    await this.skipSized(this.src, 4, 'printk formats');
    await this.skipSized(this.src, 8, 'saved cmdlines');
    const cpusAt = this.src.offset;
    const cpus = this.u32(await this.need(4, 'CPU count'), 0);
    if (cpus > MAX_CPUS) throw new Fatal(cpusAt, `CPU count ${cpus} exceeds ${MAX_CPUS}`);
    let label = await this.label();
    if (label === 'options  ') {
      await this.options(this.src, true);
      label = await this.label();
    }
    if (label === 'latency  ') {
      await this.latencyText(this.src);
      return;
    }
    if (label !== 'flyrecord') throw new Fatal(this.src.offset - 10, `${quoteValue(label)} where "flyrecord" or "latency" should be`);
    const table = await this.need(16 * cpus, 'per-CPU data offsets');
    const regions = Array.from({ length: cpus }, (_, cpu) => ({
      cpu,
      offset: this.u64(table, 16 * cpu, 'CPU data offset'),
      size: this.u64(table, 16 * cpu + 8, 'CPU data size'),
    }));
    regions.sort((a, b) => a.offset - b.offset);
    for (const r of regions) {
      if (r.size === 0) continue;
      if (r.offset < this.src.offset) {
        this.diag(this.src.offset, `CPU ${r.cpu} data at byte 0x${r.offset.toString(16)} overlaps what was already read; skipped`);
        continue;
      }
      if ((await this.src.skip(r.offset - this.src.offset)) < r.offset - this.src.offset || (await this.src.atEnd())) {
        throw new Fatal(this.src.offset, `the file ends before CPU ${r.cpu}'s data at byte 0x${r.offset.toString(16)}`);
      }
      yield* this.pages(this.src, r.size, 0);
    }
  }

  private async *readV7(): AsyncGenerator<TraceEvent[]> {
    while (!(await this.src.atEnd())) {
      const start = this.src.offset;
      const h = await this.need(16, 'section header');
      const id = this.u16(h, 0);
      const compressed = (this.u16(h, 2) & 1) !== 0;
      const size = this.u64(h, 8, 'section size');
      const end = start + 16 + size;
      if (id === Id.Buffer) {
        yield* this.flyrecordSection(start, end, compressed);
      } else if (id === Id.HeaderInfo || id === Id.EventFormats || id === Id.Done || id === Id.BufferText) {
        const body = compressed ? await this.decompressSection(start, end) : this.src;
        if (id === Id.HeaderInfo) await this.headerInfo(body);
        else if (id === Id.EventFormats) await this.eventFormats(body);
        else if (id === Id.Done) await this.options(body, false);
        else await this.latencyText(body, compressed ? undefined : end);
      }
      // Whatever the section held beyond what was read (or all of it, for the sections that
      // SCSI events do not need: kallsyms, printk formats, cmdlines, strings, ftrace events).
      const left = end - this.src.offset;
      if (left < 0) throw new Fatal(start, `section ${id} of ${size} bytes is shorter than its contents`);
      if ((await this.src.skip(left)) < left) throw new Fatal(start, `section ${id} of ${size} bytes runs past the end of the file`);
    }
  }

  /** A compressed section's body: <u32 compressed size> <u32 size> <data> (trace-cmd.dat.v7(5)). */
  private async decompressSection(start: number, end: number): Promise<ByteSource> {
    const h = await this.need(8, 'compression header');
    const csize = this.u32(h, 0);
    const usize = this.u32(h, 4);
    if (start + 24 + csize > end) throw new Fatal(start, `compressed section of ${csize} bytes does not fit its ${end - start - 16}-byte section`);
    if (usize > MAX_SECTION_BYTES) throw new Fatal(start, `section of ${usize} bytes uncompressed exceeds ${MAX_SECTION_BYTES}`);
    const data = await this.need(csize, 'compressed section');
    const plain = this.decompress(data, usize);
    if (typeof plain === 'string') throw new Fatal(start, plain);
    return ByteSource.decompressed(plain, start);
  }

  private decompress(data: Uint8Array, size: number): Uint8Array | string {
    try {
      if (this.codec === 'zstd') {
        const out = zstdDecompress(data, new Uint8Array(size));
        return out.length === size ? out : `zstd data gives ${out.length} bytes where ${size} were announced`;
      }
      if (this.codec === 'zlib') {
        const out = inflateSync(data, { maxOutputLength: Math.max(size, 1) });
        return out.length === size
          ? new Uint8Array(out.buffer, out.byteOffset, out.length)
          : `zlib data gives ${out.length} bytes where ${size} were announced`;
      }
      return `compression ${quoteValue(this.codec)} ${quoteValue(this.codecVersion)} is not supported (zstd and zlib are)`;
    } catch (e) {
      return `${this.codec} data is damaged (${(e as Error).message})`;
    }
  }

  private async headerInfo(s: ByteSource): Promise<void> {
    const texts: Record<string, string> = {};
    for (const expected of ['header_page', 'header_event']) {
      const at = s.offset;
      const name = await s.cstring(16);
      if (name !== expected) throw new Fatal(at, `${quoteValue(name ?? '')} where "${expected}" should be`);
      const size = this.u64(await this.needFrom(s, 8, `${expected} size`), 0, `${expected} size`);
      if (size > MAX_HEADER_TEXT) throw new Fatal(at, `${expected} of ${size} bytes exceeds ${MAX_HEADER_TEXT}`);
      texts[expected] = Buffer.from(await this.needFrom(s, size, expected)).toString('latin1');
    }
    const fields = parseFields(texts.header_page!);
    if (typeof fields === 'string') throw new Fatal(s.offset, `header_page: ${fields}`);
    const ts = fields.get('timestamp');
    const commit = fields.get('commit');
    const data = fields.get('data');
    if (
      !ts ||
      !commit ||
      !data ||
      ts.size !== 8 ||
      (commit.size !== 4 && commit.size !== 8) ||
      data.offset < commit.offset + commit.size ||
      data.offset >= this.pageSize
    ) {
      throw new Fatal(s.offset, 'header_page lacks a usable timestamp, commit or data field');
    }
    this.layout = {
      pageSize: this.pageSize,
      timestampOffset: ts.offset,
      commitOffset: commit.offset,
      commitSize: commit.size,
      dataOffset: data.offset,
      littleEndian: this.littleEndian,
    };
    // The ring buffer's event header (kernel 2.6.31 on): 5-bit type_len, 27-bit time_delta.
    const ev = texts.header_event!;
    if (!/type_len\s*:\s*5 bits/.test(ev) || !/time_delta\s*:\s*27 bits/.test(ev) || !/padding\s*:\s*type == 29/.test(ev)) {
      throw new Fatal(
        s.offset,
        'header_event is not the 5-bit type_len / 27-bit time_delta ring buffer layout (Linux 2.6.31 on); older kernels are not supported',
      );
    }
  }

  private async eventFormats(s: ByteSource): Promise<void> {
    const systems = this.u32(await this.needFrom(s, 4, 'event system count'), 0);
    for (let i = 0; i < systems; i++) {
      const at = s.offset;
      const system = await s.cstring(256);
      if (system === undefined) throw new Fatal(at, 'event system name is not a NUL-terminated string');
      const count = this.u32(await this.needFrom(s, 4, 'event count'), 0);
      for (let k = 0; k < count; k++) {
        const fat = s.offset;
        const size = this.u64(await this.needFrom(s, 8, 'event format size'), 0, 'event format size');
        if (size > MAX_FORMAT_TEXT) throw new Fatal(fat, `event format of ${size} bytes exceeds ${MAX_FORMAT_TEXT}`);
        const text = Buffer.from(await this.needFrom(s, size, 'event format')).toString('latin1');
        const f = parseEventFormat(system, text);
        if (typeof f === 'string') {
          this.diag(fat, `${quoteValue(system)}: ${f}; its events will not be decoded`);
          continue;
        }
        if (this.eventNames.size < MAX_EVENT_NAMES) this.eventNames.set(f.id, `${system}:${f.name}`);
        const ct = f.fields.get('common_type');
        if (ct && (ct.size === 1 || ct.size === 2 || ct.size === 4)) this.commonType = ct;
        if (isScsiEvent(f)) this.scsiFormats.set(f.id, f);
      }
    }
  }

  /** Options (trace-cmd.dat.v7(5) OPTIONS): id u16, size u32, data; id 0 ends them. */
  private async options(s: ByteSource, v6: boolean): Promise<void> {
    for (;;) {
      const at = s.offset;
      const id = this.u16(await this.needFrom(s, 2, 'option id'), 0);
      if (v6 && id === Id.Done) return;
      const size = this.u32(await this.needFrom(s, 4, 'option size'), 0);
      if (size > MAX_OPTION_BYTES) throw new Fatal(at, `option ${id} of ${size} bytes exceeds ${MAX_OPTION_BYTES}`);
      const data = await this.needFrom(s, size, `option ${id}`);
      const text = () => Buffer.from(data).toString('latin1').replace(/\0.*$/s, '');
      switch (id) {
        case Id.Done:
          return;
        case Id.TraceClock:
          this.clock = /\[(\S+)\]/.exec(text())?.[1] ?? '';
          break;
        case Id.Uname:
          this.uname = text();
          break;
        case Id.Version:
          this.producerVersion = text();
          break;
        case Id.CpuStat:
          if (this.cpuStats.length < MAX_CPUS) this.cpuStats.push(text());
          break;
        case Id.Buffer:
          // v7: offset of the flyrecord section, then the instance name; v6: an instance's data.
          if (!v6 && size >= 9)
            this.buffers.set(
              this.u64(data, 0, 'buffer offset'),
              Buffer.from(data.subarray(8, data.indexOf(0, 8) < 0 ? size : data.indexOf(0, 8))).toString('latin1'),
            );
          else if (v6)
            this.diag(
              at,
              `instance buffer ${quoteValue(Buffer.from(data.subarray(8)).toString('latin1').replace(/\0.*$/s, ''))} is not read (only the top buffer is)`,
            );
          break;
        default:
      }
    }
  }

  /** A BUFFER FLYRECORD section: per CPU, from the next page boundary, pages or compressed chunks of pages. */
  private async *flyrecordSection(start: number, end: number, compressed: boolean): AsyncGenerator<TraceEvent[]> {
    for (;;) {
      const aligned = Math.ceil(this.src.offset / this.pageSize) * this.pageSize;
      if (aligned >= end) return;
      if ((await this.src.skip(aligned - this.src.offset)) < aligned - this.src.offset)
        throw new Fatal(this.src.offset, 'the file ends inside a flyrecord section');
      if (!compressed) {
        yield* this.pages(this.src, end - aligned, start);
        return;
      }
      const count = this.u32(await this.need(4, 'chunk count'), 0);
      for (let c = 0; c < count; c++) {
        const at = this.src.offset;
        const h = await this.need(8, 'chunk header');
        const csize = this.u32(h, 0);
        const usize = this.u32(h, 4);
        if (at + 8 + csize > end) throw new Fatal(at, `compressed chunk of ${csize} bytes runs past its section`);
        if (usize > MAX_CHUNK_BYTES || usize % this.pageSize !== 0)
          throw new Fatal(at, `chunk of ${usize} bytes uncompressed is not a whole number of ${this.pageSize}-byte pages up to ${MAX_CHUNK_BYTES}`);
        const plain = this.decompress(await this.need(csize, 'compressed chunk'), usize);
        if (typeof plain === 'string') {
          this.diag(at, `${plain}; chunk of ${usize / this.pageSize} pages skipped`, false, csize);
          continue;
        }
        yield* this.pages(ByteSource.decompressed(plain, at), usize, start, at);
      }
    }
  }

  /** `size` bytes of ring-buffer pages. `fixedOffset`: where to say events are (a compressed chunk). */
  private async *pages(s: ByteSource, size: number, section: number, fixedOffset?: number): AsyncGenerator<TraceEvent[]> {
    const layout = this.layout;
    if (!layout) throw new Fatal(s.offset, 'ring-buffer pages before the header_page format');
    for (let done = 0; done < size; done += this.pageSize) {
      const pageAt = s.offset;
      const page = await s.read(Math.min(this.pageSize, size - done));
      if (page.length < this.pageSize) {
        if (page.length === 0 || page.every((b) => b === 0)) return;
        throw new Fatal(pageAt, `the data ends inside a ${this.pageSize}-byte ring-buffer page (${page.length} bytes)`);
      }
      const where = (o: number) => fixedOffset ?? pageAt + o;
      const p = decodePage(page, layout);
      for (const d of p.damage) this.diag(where(d.offset), `ring-buffer page: ${d.message}`, false, d.message.endsWith('skipped') ? page.length - d.offset : 0);
      if (p.lost !== 0) this.hold({ timestamp: p.timestamp, section, offset: where(0), bytes: 0, lost: p.lost });
      for (const e of p.events) {
        const type = this.records.number(e.record, this.commonType);
        const f = type === undefined ? undefined : this.scsiFormats.get(type);
        if (!f) {
          const name = (type !== undefined && this.eventNames.get(type)) || `event type ${type ?? '?'}`;
          this.stats.unknownRecords++;
          if (this.stats.unknownTypes.size < 1024 || this.stats.unknownTypes.has(name))
            this.stats.unknownTypes.set(name, (this.stats.unknownTypes.get(name) ?? 0) + 1);
          continue;
        }
        this.hold({
          timestamp: e.timestamp,
          section,
          offset: where(e.offset),
          bytes: e.record.byteLength,
          event: scsiTraceLine(f, e.record, this.records, e.timestamp),
        });
      }
      if (this.out.length >= BATCH_EVENTS) yield this.out.splice(0);
    }
  }

  /** A latency trace (v6 "latency", v7 BUFFER TEXT): the trace as text, read as tracepoint text. */
  private async latencyText(s: ByteSource, end?: number): Promise<void> {
    for (;;) {
      const n = end === undefined ? 1 << 16 : Math.min(1 << 16, end - s.offset);
      const chunk = n > 0 ? await s.read(n) : new Uint8Array(0);
      if (chunk.length === 0) return;
      this.ftrace.push(chunk, this.out);
    }
  }

  // ---- events -----------------------------------------------------------------------------

  private hold(h: Held): void {
    this.held.push(h);
    if (this.held.length >= this.maxHeld) {
      if (this.windows++ === 0) {
        this.diag(
          h.offset,
          `more than ${this.maxHeld} SCSI events held to merge the CPUs by time: from here they are merged in windows of that many, so order across CPUs may be wrong at window edges`,
        );
      }
      this.merge(this.held.length >> 1);
    }
  }

  /** Hands the `count` earliest held events, in time order, to the tracepoint decoder. */
  private merge(count: number): void {
    const top = this.topBuffer();
    this.held.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
    const batch = this.held.splice(0, count);
    for (const h of batch) {
      if (top !== undefined && h.section !== top) continue;
      if (h.event === undefined) {
        this.gapAt(h);
        continue;
      }
      if (typeof h.event !== 'string') this.baseTimestamp ??= h.timestamp;
      this.ftrace.events([{ event: h.event, offset: h.offset, bytes: h.bytes }], this.out);
    }
  }

  /** The top instance's flyrecord section, when BUFFER options named several buffers. */
  private topBuffer(): number | undefined {
    if (this.buffers.size < 2) return undefined;
    for (const [offset, name] of this.buffers) if (name === '') return offset;
    return undefined;
  }

  private gapAt(h: Held): void {
    const timeNs = this.baseTimestamp === undefined || h.timestamp < this.baseTimestamp ? 0 : Number(h.timestamp - this.baseTimestamp);
    const gap: CaptureGap = {
      kind: 'gap',
      offset: h.offset,
      index: -1,
      timeNs,
      endNs: timeNs,
      lost: Math.max(h.lost!, 0),
      unit: GapUnit.Records,
      affects: GapAffects.All,
      detail: `ring buffer: ${h.lost! > 0 ? `${h.lost} events` : 'events'} lost before the page at byte 0x${h.offset.toString(16)} (the reader fell behind the kernel)`,
    };
    this.out.push(gap);
  }

  /** The header names the file; CPU statistics with overruns become gaps. */
  private finish(): void {
    const header = this.out.find((e) => e.kind === 'header');
    const what =
      `trace-cmd trace.dat v${this.version}${this.codec !== 'none' && this.version === 7 ? ` (${this.codec} ${this.codecVersion})` : ''}` +
      `${this.producerVersion ? ` by trace-cmd ${this.producerVersion}` : ''}${this.uname ? ` on ${this.uname}` : ''}${this.clock ? `, clock ${this.clock}` : ''}`;
    if (header && header.kind === 'header') {
      header.format = 'tracedat';
      header.version = `${this.version}; ${header.version}`;
      header.producer = `${what}: ${header.producer}`;
    }
    for (const text of this.cpuStats) {
      const num = (k: string) => Number(new RegExp(`^${k}:\\s*(\\d+)`, 'm').exec(text)?.[1] ?? 0);
      const lost = num('overrun') + num('dropped events');
      if (lost === 0) continue;
      this.out.push({
        kind: 'gap',
        offset: 0,
        index: -1,
        timeNs: 0,
        endNs: 0,
        lost,
        unit: GapUnit.Records,
        affects: GapAffects.All,
        detail: `ring buffer ${/^CPU:\s*(\d+)/m.exec(text)?.[0] ?? 'CPU ?'}: ${lost} events overwritten or dropped before trace-cmd read them`,
      });
    }
    if (this.version && this.clock && !/^(local|global|mono|mono_raw|boot|perf|tai)$/.test(this.clock)) {
      this.out.push({
        kind: 'note',
        offset: 0,
        index: -1,
        timeNs: 0,
        text: `trace clock ${quoteValue(this.clock)} does not count nanoseconds: times are its raw counts`,
      });
    }
  }

  // ---- primitives -------------------------------------------------------------------------

  private async need(n: number, what: string): Promise<Uint8Array> {
    return this.needFrom(this.src, n, what);
  }

  private async needFrom(s: ByteSource, n: number, what: string): Promise<Uint8Array> {
    const at = s.offset;
    const b = await s.read(n);
    if (b.length < n) throw new Fatal(at, `the data ends inside the ${what} (${b.length} of ${n} bytes)`);
    return b;
  }

  private async skipSized(s: ByteSource, sizeBytes: 4 | 8, what: string): Promise<void> {
    const at = s.offset;
    const h = await this.needFrom(s, sizeBytes, `${what} size`);
    const size = sizeBytes === 4 ? this.u32(h, 0) : this.u64(h, 0, `${what} size`);
    if ((await s.skip(size)) < size) throw new Fatal(at, `${what} of ${size} bytes runs past the end of the file`);
  }

  private async label(): Promise<string> {
    return Buffer.from(await this.need(10, 'section label'))
      .toString('latin1')
      .replace(/\0$/, '');
  }

  private u16(b: Uint8Array, o: number): number {
    return this.littleEndian ? b[o]! | (b[o + 1]! << 8) : (b[o]! << 8) | b[o + 1]!;
  }

  private u32(b: Uint8Array, o: number): number {
    return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(o, this.littleEndian);
  }

  /** A 64-bit size or offset; past 2^53 it cannot be one, so that is damage. */
  private u64(b: Uint8Array, o: number, what: string): number {
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(o, this.littleEndian);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Fatal(this.src.offset, `${what} ${v} is not a file offset or size`);
    return Number(v);
  }

  private diag(offset: number, message: string, fatal = false, skippedBytes = 0): void {
    if (fatal || skippedBytes) this.stats.damagedRegions++;
    this.stats.skippedBytes += skippedBytes;
    if (this.diagnostics++ >= MAX_DIAGNOSTICS) return;
    const d: Diagnostic = {
      kind: 'diagnostic',
      offset,
      index: -1,
      timeNs: 0,
      message: `${describeOffset(offset)}: ${message}`,
      skippedBytes,
      skippedRecords: 0,
      fatal,
    };
    this.out.push(d);
  }
}

/** Reads a trace.dat from a stream of chunks. */
export function readTraceDat(chunks: AsyncIterable<Uint8Array>, stats: ReadStats = newReadStats()): AsyncGenerator<TraceEvent[]> {
  return new TraceDatReader(chunks, stats).read();
}

/** Decodes a trace.dat held in memory (tests, small tools). */
export async function decodeTraceDat(bytes: Uint8Array, stats: ReadStats = newReadStats()): Promise<TraceEvent[]> {
  const out: TraceEvent[] = [];
  for await (const batch of readTraceDat(
    (async function* () {
      yield bytes;
    })(),
    stats,
  ))
    out.push(...batch);
  return out;
}

/**
 * trace-cmd's binary trace.dat, versions 6 and 7 (trace-cmd.dat.v6(5), trace-cmd.dat.v7(5);
 * trace-cmd's lib/trace-cmd/trace-output.c writes it):
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
 *       (22). The BUFFER option, in an options section after the data, names each flyrecord
 *       section's instance and where each CPU's data starts and how long it is.
 *
 * Reading goes in two passes over input read at any offset (random-access.ts): first the
 * structure (every section header, the formats and options; section bodies that SCSI events do
 * not need are skipped without reading them), then the CPUs' pages, merged by time: each CPU's
 * pages are in time order, so a k-way merge that holds the current page (or compressed chunk)
 * of each CPU hands the events on in time order, as trace-cmd report does, in memory that does
 * not grow with the file. Events are decoded from their binary fields through the scsi event
 * formats the file carries (event-format.ts, scsi-event.ts) and handed to the ftrace reader,
 * which turns them into tasks as it does tracepoint text. Pages that record lost events and
 * CPU statistics with overruns become capture gaps.
 */
import { inflateSync } from 'node:zlib';
import { Decompress } from 'fzstd';
import { GapAffects, GapUnit, type CaptureGap, type Diagnostic, type TraceEvent } from '../../model/events.js';
import { describeOffset, printable, quoteValue } from '../../model/errors.js';
import { newReadStats, type ReadStats } from '../../model/stats.js';
import { FtraceDecoder } from '../ftrace/reader.js';
import type { ScsiTraceLine } from '../ftrace/parse.js';
import { zstdFramesExceed } from '../compression.js';
import { MemoryAccess, type RandomAccess } from '../random-access.js';
import { CompressedPages, PagesEnd, PlainPages, type ChunkBudget, type PageSource } from './cpu-pages.js';
import { parseEventFormat, parseFields, RecordReader, type EventFormat, type FieldFormat } from './event-format.js';
import { decodePage, type PageLayout } from './ring-page.js';
import { isScsiEvent, scsiTraceLine } from './scsi-event.js';
import { ByteSource } from './source.js';

export const TRACEDAT_MAGIC = [0x17, 0x08, 0x44, 0x74, 0x72, 0x61, 0x63, 0x69, 0x6e, 0x67]; // \x17\x08D"tracing"

/** Events handed on in batches of about this many. */
const BATCH_EVENTS = 4096;
/** Pages merged between turns given to the event loop (reads are synchronous). */
const PAGES_PER_TURN = 256;
/** Diagnostics kept; the rest are counted. */
const MAX_DIAGNOSTICS = 1000;
/** Bounds on lengths read from the file. */
const MAX_HEADER_TEXT = 64 * 1024;
const MAX_FORMAT_TEXT = 1 << 20;
const MAX_SECTION_BYTES = 64 * 1024 * 1024;
const MAX_CHUNK_BYTES = 16 * 1024 * 1024;
/** Decompressed chunks held at once, one per CPU being merged. */
const MAX_HELD_CHUNK_BYTES = 256 * 1024 * 1024;
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

/** A decoded event waiting its turn in the merge: a SCSI tracepoint or a page that lost events. */
interface Held {
  timestamp: bigint;
  offset: number;
  bytes: number;
  event?: ScsiTraceLine | string;
  /** Events lost before this page (-1: unknown count). */
  lost?: number;
}

/** One CPU's place in the merge: the events of its current page not yet handed on. */
interface Cursor {
  pages: PageSource;
  /** Position in file order: of events at the same time, the CPU stored first goes first. */
  order: number;
  items: Held[];
  next: number;
}

/** Where a CPU's data is (v6 flyrecord table, v7 BUFFER option). */
interface CpuData {
  cpu: number;
  offset: number;
  size: number;
}

/** A section found in the first pass, read in the second. */
interface Section {
  start: number;
  end: number;
  compressed: boolean;
}

/** Thrown from the zstd decoder's output callback to stop it at the first block past the announced size. */
class TooMuch extends Error {}

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
  private readonly out: TraceEvent[] = [];
  private diagnostics = 0;
  private readonly ftrace: FtraceDecoder;
  private clock = '';
  private uname = '';
  private producerVersion = '';
  /** v7 BUFFER options: flyrecord section offset → instance name ("" = the top buffer) and its CPUs' data, when readable. */
  private readonly buffers = new Map<number, { name: string; cpus?: CpuData[] }>();
  private readonly cpuStats: string[] = [];
  private baseTimestamp: bigint | undefined;
  private headerNamed = false;
  /** Found in the first pass: v6 CPU data, v7 flyrecord sections, latency text. */
  private v6Cpus: CpuData[] = [];
  private readonly flyrecords: Section[] = [];
  private readonly texts: (Section & { v6?: boolean })[] = [];
  private readonly budget: ChunkBudget = { held: 0, max: MAX_HELD_CHUNK_BYTES };

  constructor(
    private readonly file: RandomAccess,
    private readonly stats: ReadStats,
  ) {
    this.src = new ByteSource(file);
    this.ftrace = new FtraceDecoder(stats);
  }

  async *read(): AsyncGenerator<TraceEvent[]> {
    try {
      this.fileHeader();
      if (this.version === 6) this.readV6();
      else this.readV7();
    } catch (e) {
      if (!(e instanceof Fatal)) throw e;
      this.diag(e.offset, e.message, true);
    }
    for (const t of this.texts) yield* this.latencyText(t);
    yield* this.merge(this.pageSources());
    this.ftrace.end(this.out);
    this.finish();
    this.nameHeader();
    this.stats.bytesRead = this.file.size;
    yield this.out.splice(0);
  }

  // ---- first pass: the file's structure ---------------------------------------------------

  private fileHeader(): void {
    const magic = this.src.read(10);
    if (magic.length < 10 || TRACEDAT_MAGIC.some((b, i) => magic[i] !== b)) throw new Fatal(0, 'not a trace-cmd trace.dat file (no \\x17\\x08Dtracing magic)');
    const at = this.src.offset;
    const version = this.src.cstring(16);
    if (version !== '6' && version !== '7')
      throw new Fatal(at, `trace.dat version ${version === undefined ? '(unterminated)' : quoteValue(version)} is not supported (6 and 7 are)`);
    this.version = Number(version);
    const fixed = this.need(6, 'file header');
    if (fixed[0]! > 1) throw new Fatal(at + 2, `endianness byte ${fixed[0]} is neither 0 (little) nor 1 (big)`);
    this.littleEndian = fixed[0] === 0;
    this.records = new RecordReader(this.littleEndian);
    this.pageSize = this.u32(fixed, 2);
    if (this.pageSize < 256 || this.pageSize > 1 << 24 || (this.pageSize & (this.pageSize - 1)) !== 0) {
      throw new Fatal(at + 4, `page size ${this.pageSize} is not a power of two between 256 bytes and 16 MiB`);
    }
    if (this.version === 7) {
      const name = this.src.cstring(64);
      const ver = this.src.cstring(64);
      if (name === undefined || ver === undefined) throw new Fatal(this.src.offset, 'compression name and version are not NUL-terminated strings');
      this.codec = name;
      this.codecVersion = ver;
      this.need(8, 'offset of the first options section');
    }
  }

  private readV6(): void {
    this.headerInfo(this.src);
    const ftraceCount = this.u32(this.need(4, 'ftrace event format count'), 0);
    for (let i = 0; i < ftraceCount; i++) this.skipSized(this.src, 8, 'ftrace event format');
    this.eventFormats(this.src);
    this.skipSized(this.src, 4, 'kallsyms');
    this.skipSized(this.src, 4, 'printk formats');
    this.skipSized(this.src, 8, 'saved cmdlines');
    const cpusAt = this.src.offset;
    const cpus = this.u32(this.need(4, 'CPU count'), 0);
    if (cpus > MAX_CPUS) throw new Fatal(cpusAt, `CPU count ${cpus} exceeds ${MAX_CPUS}`);
    let label = this.label();
    if (label === 'options  ') {
      this.options(this.src, true);
      label = this.label();
    }
    if (label === 'latency  ') {
      this.texts.push({ start: this.src.offset, end: this.file.size, compressed: false, v6: true });
      return;
    }
    if (label !== 'flyrecord') throw new Fatal(this.src.offset - 10, `${quoteValue(label)} where "flyrecord" or "latency" should be`);
    const table = this.need(16 * cpus, 'per-CPU data offsets');
    const regions = Array.from({ length: cpus }, (_, cpu) => ({
      cpu,
      offset: this.u64(table, 16 * cpu, 'CPU data offset'),
      size: this.u64(table, 16 * cpu + 8, 'CPU data size'),
    }));
    regions.sort((a, b) => a.offset - b.offset);
    let end = this.src.offset;
    for (const r of regions) {
      if (r.size === 0) continue;
      if (r.offset < end) {
        this.diag(end, `CPU ${r.cpu} data at byte 0x${r.offset.toString(16)} overlaps what comes before it; skipped`);
        continue;
      }
      this.v6Cpus.push(r);
      end = r.offset + r.size;
    }
  }

  private readV7(): void {
    while (!this.src.atEnd()) {
      const start = this.src.offset;
      const h = this.need(16, 'section header');
      const id = this.u16(h, 0);
      const compressed = (this.u16(h, 2) & 1) !== 0;
      const size = this.u64(h, 8, 'section size');
      const end = start + 16 + size;
      if (id === Id.Buffer) this.flyrecords.push({ start, end, compressed });
      else if (id === Id.BufferText) this.texts.push({ start, end, compressed });
      else if (id === Id.HeaderInfo || id === Id.EventFormats || id === Id.Done) {
        const body = compressed ? this.decompressSection(this.src, start, end) : this.src;
        if (id === Id.HeaderInfo) this.headerInfo(body);
        else if (id === Id.EventFormats) this.eventFormats(body);
        else this.options(body, false);
      }
      // Whatever the section held beyond what was read (or all of it: the flyrecord and text
      // sections, read in the second pass, and those that SCSI events do not need: kallsyms,
      // printk formats, cmdlines, strings, ftrace events).
      const left = end - this.src.offset;
      if (left < 0) throw new Fatal(start, `section ${id} of ${size} bytes is shorter than its contents`);
      if (this.src.skip(left) < left) throw new Fatal(start, `section ${id} of ${size} bytes runs past the end of the file`);
    }
  }

  /** A compressed section's body: <u32 compressed size> <u32 size> <data> (trace-cmd.dat.v7(5)). */
  private decompressSection(s: ByteSource, start: number, end: number): ByteSource {
    const h = this.needFrom(s, 8, 'compression header');
    const csize = this.u32(h, 0);
    const usize = this.u32(h, 4);
    if (start + 24 + csize > end) throw new Fatal(start, `compressed section of ${csize} bytes does not fit its ${end - start - 16}-byte section`);
    if (usize > MAX_SECTION_BYTES) throw new Fatal(start, `section of ${usize} bytes uncompressed exceeds ${MAX_SECTION_BYTES}`);
    const plain = this.decompress(this.needFrom(s, csize, 'compressed section'), usize);
    if (!(plain instanceof Uint8Array)) throw new Fatal(start, plain.problem);
    return ByteSource.decompressed(plain, start);
  }

  /**
   * A chunk or section decompressed to exactly the `size` bytes it declares. zstd is decoded
   * as a stream of blocks, so that data giving more than declared (a decompression bomb) stops
   * at the first block past it; zlib stops at `size` bytes (maxOutputLength).
   */
  private decompress(data: Uint8Array, size: number): Uint8Array | { problem: string; bomb: boolean } {
    const bomb = (problem: string) => ({ problem, bomb: true });
    const over = `${this.codec} data gives more than the ${size} bytes announced`;
    try {
      if (this.codec === 'zstd') {
        const exceeds = zstdFramesExceed(data, size);
        if (exceeds) return bomb(exceeds);
        const out = new Uint8Array(size);
        let got = 0;
        const z = new Decompress((chunk) => {
          if (got + chunk.length > size) throw new TooMuch();
          out.set(chunk, got);
          got += chunk.length;
        });
        try {
          z.push(data, true);
        } catch (e) {
          if (e instanceof TooMuch) return bomb(over);
          throw e;
        }
        return got === size ? out : { problem: `zstd data gives ${got} bytes where ${size} were announced`, bomb: false };
      }
      if (this.codec === 'zlib') {
        let out: Buffer;
        try {
          out = inflateSync(data, { maxOutputLength: Math.max(size, 1) });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return bomb(over);
          throw e;
        }
        return out.length === size
          ? new Uint8Array(out.buffer, out.byteOffset, out.length)
          : { problem: `zlib data gives ${out.length} bytes where ${size} were announced`, bomb: false };
      }
      return { problem: `compression ${quoteValue(this.codec)} ${printable(this.codecVersion)} is not supported (zstd and zlib are)`, bomb: false };
    } catch (e) {
      return { problem: `${this.codec} data is damaged (${printable((e as Error).message)})`, bomb: false };
    }
  }

  private headerInfo(s: ByteSource): void {
    const texts: Record<string, string> = {};
    for (const expected of ['header_page', 'header_event']) {
      const at = s.offset;
      const name = s.cstring(16);
      if (name !== expected) throw new Fatal(at, `${quoteValue(name ?? '')} where "${expected}" should be`);
      const size = this.u64(this.needFrom(s, 8, `${expected} size`), 0, `${expected} size`);
      if (size > MAX_HEADER_TEXT) throw new Fatal(at, `${expected} of ${size} bytes exceeds ${MAX_HEADER_TEXT}`);
      texts[expected] = Buffer.from(this.needFrom(s, size, expected)).toString('latin1');
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

  private eventFormats(s: ByteSource): void {
    const systems = this.u32(this.needFrom(s, 4, 'event system count'), 0);
    for (let i = 0; i < systems; i++) {
      const at = s.offset;
      const system = s.cstring(256);
      if (system === undefined) throw new Fatal(at, 'event system name is not a NUL-terminated string');
      const count = this.u32(this.needFrom(s, 4, 'event count'), 0);
      for (let k = 0; k < count; k++) {
        const fat = s.offset;
        const size = this.u64(this.needFrom(s, 8, 'event format size'), 0, 'event format size');
        if (size > MAX_FORMAT_TEXT) throw new Fatal(fat, `event format of ${size} bytes exceeds ${MAX_FORMAT_TEXT}`);
        const text = Buffer.from(this.needFrom(s, size, 'event format')).toString('latin1');
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
  private options(s: ByteSource, v6: boolean): void {
    for (;;) {
      const at = s.offset;
      const id = this.u16(this.needFrom(s, 2, 'option id'), 0);
      if (v6 && id === Id.Done) return;
      const size = this.u32(this.needFrom(s, 4, 'option size'), 0);
      if (size > MAX_OPTION_BYTES) throw new Fatal(at, `option ${id} of ${size} bytes exceeds ${MAX_OPTION_BYTES}`);
      const data = this.needFrom(s, size, `option ${id}`);
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
          // v7: the flyrecord section's offset, instance name, clock, page size, then its CPUs'
          // data (id u32, offset u64, size u64); v6: an instance's data, which is not read.
          if (!v6 && size >= 9) this.bufferOption(data);
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

  /** A v7 BUFFER option; its CPU list is left out when it does not read whole (the section is then walked instead). */
  private bufferOption(data: Uint8Array): void {
    const offset = this.u64(data, 0, 'buffer offset');
    const nameEnd = data.indexOf(0, 8);
    const name = Buffer.from(data.subarray(8, nameEnd < 0 ? data.length : nameEnd)).toString('latin1');
    const entry: { name: string; cpus?: CpuData[] } = { name };
    this.buffers.set(offset, entry);
    const clockEnd = nameEnd < 0 ? -1 : data.indexOf(0, nameEnd + 1);
    if (clockEnd < 0 || clockEnd + 9 > data.length) return;
    const count = this.u32(data, clockEnd + 5);
    if (count > MAX_CPUS || clockEnd + 9 + 20 * count > data.length) return;
    const cpus: CpuData[] = [];
    for (let i = 0, p = clockEnd + 9; i < count; i++, p += 20) {
      const v = new DataView(data.buffer, data.byteOffset + p, 20);
      const at = v.getBigUint64(4, this.littleEndian);
      const size = v.getBigUint64(12, this.littleEndian);
      if (at > BigInt(Number.MAX_SAFE_INTEGER) || size > BigInt(Number.MAX_SAFE_INTEGER)) return;
      cpus.push({ cpu: v.getUint32(0, this.littleEndian), offset: Number(at), size: Number(size) });
    }
    entry.cpus = cpus;
  }

  // ---- second pass: the CPUs' pages, merged by time ----------------------------------------

  /** Each CPU's pages, in file order: v6's flyrecord CPUs, or v7's flyrecord sections (the top instance's when BUFFER options name several). */
  private pageSources(): PageSource[] {
    if (this.v6Cpus.length === 0 && this.flyrecords.length === 0) return [];
    if (!this.layout) {
      const at = this.v6Cpus[0]?.offset ?? this.flyrecords[0]!.start;
      this.diag(at, 'ring-buffer pages before the header_page format', true);
      return [];
    }
    if (this.version === 6) return this.v6Cpus.map((c) => new PlainPages(this.file, c.offset, c.size, this.pageSize, `CPU ${c.cpu}`));
    const top = this.topBuffer();
    const sources: PageSource[] = [];
    for (const s of this.flyrecords) {
      if (top !== undefined && s.start !== top) continue;
      for (const c of this.cpusOf(s)) {
        sources.push(
          s.compressed
            ? new CompressedPages({
                file: this.file,
                offset: c.offset,
                end: s.end,
                pageSize: this.pageSize,
                maxChunkBytes: MAX_CHUNK_BYTES,
                littleEndian: this.littleEndian,
                decompress: (data, size) => this.decompress(data, size),
                budget: this.budget,
                skipped: (offset, message, bytes) => this.diag(offset, message, false, bytes),
              })
            : new PlainPages(this.file, c.offset, Math.min(c.size, s.end - c.offset), this.pageSize, `CPU ${c.cpu}`),
        );
      }
    }
    return sources;
  }

  /** The top instance's flyrecord section, when BUFFER options named several buffers. */
  private topBuffer(): number | undefined {
    if (this.buffers.size < 2) return undefined;
    for (const [offset, b] of this.buffers) if (b.name === '') return offset;
    return undefined;
  }

  /**
   * A v7 flyrecord section's CPU data, in file order: from its BUFFER option, or, when the
   * option is missing or unreadable, found by walking the section: compressed, each CPU's
   * chunks from the next page boundary (the chunk headers say how far they go); uncompressed,
   * the pages, a new CPU wherever a page starts earlier than the one before it.
   */
  private cpusOf(s: Section): CpuData[] {
    const body = s.start + 16;
    const listed = this.buffers.get(s.start)?.cpus;
    if (listed) {
      const cpus = listed.filter((c) => c.size > 0).sort((a, b) => a.offset - b.offset);
      const inside = cpus.filter((c) => c.offset >= body && c.offset < s.end);
      if (inside.length < cpus.length)
        this.diag(s.start, `${cpus.length - inside.length} CPUs' data lies outside the flyrecord section it is listed for; skipped`);
      return inside;
    }
    const cpus: CpuData[] = [];
    const src = new ByteSource(this.file, body);
    for (let cpu = 0; ; cpu++) {
      const aligned = Math.ceil(src.offset / this.pageSize) * this.pageSize;
      if (aligned >= s.end || src.skip(aligned - src.offset) < aligned - src.offset || src.atEnd()) break;
      if (!s.compressed) return this.cpusByTime(aligned, Math.min(s.end, this.file.size));
      try {
        const count = this.u32(this.needFrom(src, 4, 'chunk count'), 0);
        for (let c = 0; c < count && src.offset < s.end; c++) {
          const csize = this.u32(this.needFrom(src, 8, 'chunk header'), 0);
          if (src.skip(csize) < csize) break;
        }
      } catch (e) {
        if (!(e instanceof Fatal)) throw e;
        // Damage in the chunk headers: the CPU's pages are read up to it, and it is reported there.
        cpus.push({ cpu, offset: aligned, size: s.end - aligned });
        break;
      }
      cpus.push({ cpu, offset: aligned, size: src.offset - aligned });
    }
    return cpus;
  }

  /** Uncompressed pages without a CPU list: runs of pages whose times do not go back, a CPU each. */
  private cpusByTime(from: number, end: number): CpuData[] {
    const cpus: CpuData[] = [];
    const stamp = new Uint8Array(8);
    const v = new DataView(stamp.buffer);
    let runStart = from;
    let previous = -1n;
    for (let at = from; at + this.pageSize <= end; at += this.pageSize) {
      if (this.file.readInto(at + this.layout!.timestampOffset, stamp) < 8) break;
      const t = v.getBigUint64(0, this.littleEndian);
      if (t < previous) {
        cpus.push({ cpu: cpus.length, offset: runStart, size: at - runStart });
        runStart = at;
      }
      previous = t;
    }
    cpus.push({ cpu: cpus.length, offset: runStart, size: end - runStart });
    return cpus;
  }

  /**
   * The k-way merge: each CPU's next event, earliest first (of equal times, the CPU stored
   * first), handed to the tracepoint decoder. One decoded page per CPU is held.
   */
  private async *merge(sources: PageSource[]): AsyncGenerator<TraceEvent[]> {
    const heap: Cursor[] = [];
    for (const [order, pages] of sources.entries()) {
      const c: Cursor = { pages, order, items: [], next: 0 };
      if (this.fill(c)) heapPush(heap, c);
    }
    let pages = 0;
    while (heap.length) {
      const c = heap[0]!;
      this.emit(c.items[c.next++]!);
      if (c.next < c.items.length) heapDown(heap, 0);
      else if (this.fill(c)) {
        heapDown(heap, 0);
        if (++pages % PAGES_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
      } else heapPop(heap);
      if (this.out.length >= BATCH_EVENTS) {
        this.nameHeader();
        yield this.out.splice(0);
      }
    }
  }

  /** Decodes the cursor's next page that holds something to merge; false when its pages end. */
  private fill(c: Cursor): boolean {
    c.items = [];
    c.next = 0;
    while (c.items.length === 0) {
      let page;
      try {
        page = c.pages.next();
      } catch (e) {
        if (!(e instanceof PagesEnd)) throw e;
        this.diag(e.offset, e.message, true);
        return false;
      }
      if (!page) return false;
      this.decode(page.bytes, page.fixed ? () => page.offset : (o) => page.offset + o, c.items);
    }
    return true;
  }

  /** A page's lost-events mark and SCSI events, as merge items; damage is reported at `where`. */
  private decode(page: Uint8Array, where: (pageOffset: number) => number, items: Held[]): void {
    const p = decodePage(page, this.layout!);
    for (const d of p.damage) this.diag(where(d.offset), `ring-buffer page: ${d.message}`, false, d.message.endsWith('skipped') ? page.length - d.offset : 0);
    if (p.lost !== 0) items.push({ timestamp: p.timestamp, offset: where(0), bytes: 0, lost: p.lost });
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
      items.push({ timestamp: e.timestamp, offset: where(e.offset), bytes: e.record.byteLength, event: scsiTraceLine(f, e.record, this.records, e.timestamp) });
    }
  }

  private emit(h: Held): void {
    if (h.event === undefined) {
      this.gapAt(h);
      return;
    }
    if (typeof h.event !== 'string') this.baseTimestamp ??= h.timestamp;
    this.ftrace.events([{ event: h.event, offset: h.offset, bytes: h.bytes }], this.out);
  }

  /** A latency trace (v6 "latency", v7 BUFFER TEXT): the trace as text, read as tracepoint text. */
  private async *latencyText(t: Section & { v6?: boolean }): AsyncGenerator<TraceEvent[]> {
    let s: ByteSource;
    let end: number | undefined = t.end;
    try {
      s = new ByteSource(this.file, t.v6 ? t.start : t.start + 16);
      if (t.compressed) {
        s = this.decompressSection(s, t.start, t.end);
        end = undefined;
      }
    } catch (e) {
      if (!(e instanceof Fatal)) throw e;
      this.diag(e.offset, e.message, true);
      return;
    }
    for (;;) {
      const n = end === undefined ? 1 << 16 : Math.min(1 << 16, end - s.offset);
      const chunk = n > 0 ? s.read(n) : new Uint8Array(0);
      if (chunk.length === 0) return;
      this.ftrace.push(chunk, this.out);
      if (this.out.length >= BATCH_EVENTS) {
        this.nameHeader();
        yield this.out.splice(0);
      }
    }
  }

  // ---- events -----------------------------------------------------------------------------

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

  /** The header (the tracepoint decoder's, once it has one) names the file: what wrote it, on what, with which clock. */
  private nameHeader(): void {
    if (this.headerNamed) return;
    const header = this.out.find((e) => e.kind === 'header');
    if (!header || header.kind !== 'header') return;
    this.headerNamed = true;
    const what =
      `trace-cmd trace.dat v${this.version}${this.codec !== 'none' && this.version === 7 ? ` (${printable(this.codec)} ${printable(this.codecVersion)})` : ''}` +
      `${this.producerVersion ? ` by trace-cmd ${printable(this.producerVersion)}` : ''}${this.uname ? ` on ${printable(this.uname)}` : ''}${this.clock ? `, clock ${printable(this.clock)}` : ''}`;
    header.format = 'tracedat';
    header.version = `${this.version}; ${header.version}`;
    header.producer = `${what}: ${header.producer}`;
  }

  /** CPU statistics with overruns become gaps; a clock that does not count nanoseconds, a note. */
  private finish(): void {
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

  private need(n: number, what: string): Uint8Array {
    return this.needFrom(this.src, n, what);
  }

  private needFrom(s: ByteSource, n: number, what: string): Uint8Array {
    const at = s.offset;
    const b = s.read(n);
    if (b.length < n) throw new Fatal(at, `the data ends inside the ${what} (${b.length} of ${n} bytes)`);
    return b;
  }

  private skipSized(s: ByteSource, sizeBytes: 4 | 8, what: string): void {
    const at = s.offset;
    const h = this.needFrom(s, sizeBytes, `${what} size`);
    const size = sizeBytes === 4 ? this.u32(h, 0) : this.u64(h, 0, `${what} size`);
    if (s.skip(size) < size) throw new Fatal(at, `${what} of ${size} bytes runs past the end of the file`);
  }

  private label(): string {
    return Buffer.from(this.need(10, 'section label')).toString('latin1').replace(/\0$/, '');
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

/** Reads a trace.dat from input read at any offset (a regular file). */
export function readTraceDatAt(file: RandomAccess, stats: ReadStats = newReadStats()): AsyncGenerator<TraceEvent[]> {
  return new TraceDatReader(file, stats).read();
}

/**
 * Reads a trace.dat from a stream of chunks (standard input, a pipe, a gzip/zstd wrapper):
 * with no way to seek, the stream is held in memory and read from there.
 */
export async function* readTraceDat(chunks: AsyncIterable<Uint8Array>, stats: ReadStats = newReadStats()): AsyncGenerator<TraceEvent[]> {
  yield* readTraceDatAt(await MemoryAccess.of(chunks), stats);
}

/** Decodes a trace.dat held in memory (tests, small tools). */
export async function decodeTraceDat(bytes: Uint8Array, stats: ReadStats = newReadStats()): Promise<TraceEvent[]> {
  const out: TraceEvent[] = [];
  for await (const batch of readTraceDatAt(new MemoryAccess(bytes), stats)) out.push(...batch);
  return out;
}

/** A binary min-heap of cursors by their next event's time, then file order. */
function before(a: Cursor, b: Cursor): boolean {
  const ta = a.items[a.next]!.timestamp;
  const tb = b.items[b.next]!.timestamp;
  return ta < tb || (ta === tb && a.order < b.order);
}

function heapPush(heap: Cursor[], c: Cursor): void {
  heap.push(c);
  for (let i = heap.length - 1; i > 0;) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i]!, heap[parent]!)) break;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

function heapPop(heap: Cursor[]): void {
  const last = heap.pop()!;
  if (heap.length === 0) return;
  heap[0] = last;
  heapDown(heap, 0);
}

function heapDown(heap: Cursor[], i: number): void {
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
    if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
    if (m === i) return;
    [heap[i], heap[m]] = [heap[m]!, heap[i]!];
    i = m;
  }
}

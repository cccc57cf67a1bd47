import fc from 'fast-check';
import type { TraceWriter } from '../../src/formats/native/writer.js';

/**
 * Records described once and fed to both writers: the TypeScript TraceWriter, and the C
 * program test/emit/roundtrip.c (as its stdin lines). tickNs is 1, so times are ticks.
 */
export type ScenarioRecord =
  | { t: 'S'; time: number; task: bigint; target: bigint; lun: number; tag: bigint; requested: number; timeoutMs: number; attribute: 0 | 1 | 2 | 3; direction: 0 | 1 | 2 | 3; slot?: number; cdb: number[]; segments: Array<{ address: bigint; length: number }> }
  | { t: 'C'; time: number; task: bigint; sr: number; status: number; bytes: number; residual: number; flags: number; sense: number[] }
  | { t: 'K'; time: number; entries: Record<string, number | string | boolean> }
  | { t: 'E'; time: number; task?: bigint; kind: number; phase: number; status: number; duration: number; arg0: bigint; arg1: bigint; detail: string }
  | { t: 'D'; time: number; task: bigint; lba?: bigint; bytes: number; direction: 1 | 2; crc: number; chunkBytes: number; chunks: number[] }
  | { t: 'N'; time: number; task?: bigint; text: string };

export interface Scenario {
  producer: string;
  startWallNs: bigint;
  records: ScenarioRecord[];
}

const NO = 0xffff_ffff_ffff_ffffn;
const hex = (b: ArrayLike<number> | string) => {
  const bytes = typeof b === 'string' ? Buffer.from(b, 'utf8') : Buffer.from(Array.from(b));
  return bytes.length ? bytes.toString('hex') : '-';
};

/** The stdin of roundtrip.c for a scenario. */
export function toSpec(s: Scenario): string {
  const lines = [`H 1 ${s.startWallNs} ${hex(s.producer)}`];
  for (const r of s.records) {
    switch (r.t) {
      case 'S':
        lines.push(
          `S ${r.time} ${r.task} ${r.target} ${r.lun} ${r.tag} ${r.requested} ${r.timeoutMs} ${r.attribute} ${r.direction} ${r.slot ?? 0xffff} ${hex(r.cdb)} ${r.segments.length}` +
            r.segments.map((g) => ` ${g.address} ${g.length}`).join(''),
        );
        break;
      case 'C':
        lines.push(`C ${r.time} ${r.task} ${r.sr} ${r.status} ${r.bytes} ${r.residual} ${r.flags} ${hex(r.sense)}`);
        break;
      case 'K': {
        const parts = Object.entries(r.entries).map(([k, v]) =>
          typeof v === 'number' ? `${hex(k)} 0 ${v}` : typeof v === 'boolean' ? `${hex(k)} 2 ${v ? 1 : 0}` : `${hex(k)} 1 ${hex(v)}`,
        );
        lines.push(`K ${r.time} ${parts.length} ${parts.join(' ')}`);
        break;
      }
      case 'E':
        lines.push(`E ${r.time} ${r.task ?? NO} ${r.kind} ${r.phase} ${r.status} ${r.duration} ${r.arg0} ${r.arg1} ${hex(r.detail)}`);
        break;
      case 'D':
        lines.push(`D ${r.time} ${r.task} ${r.lba ?? NO} ${r.bytes} ${r.direction} ${r.crc} ${r.chunkBytes} ${r.chunks.length}${r.chunks.map((c) => ` ${c}`).join('')}`);
        break;
      case 'N':
        lines.push(`N ${r.time} ${r.task ?? NO} ${hex(r.text)}`);
        break;
    }
  }
  return lines.join('\n') + '\n';
}

/** The same records through the TypeScript writer. */
export function writeScenario(s: Scenario, w: TraceWriter): void {
  for (const r of s.records) {
    switch (r.t) {
      case 'S':
        w.submit({ timeNs: r.time, taskId: r.task, targetId: r.target, lun: r.lun, tag: r.tag, requestedBytes: r.requested, timeoutMs: r.timeoutMs, attribute: r.attribute, direction: r.direction, cdb: r.cdb, segments: r.segments, ...(r.slot === undefined ? {} : { bundleSlot: r.slot }) });
        break;
      case 'C':
        w.complete({ timeNs: r.time, taskId: r.task, serviceResponse: r.sr, status: r.status, bytesTransferred: r.bytes, residual: r.residual, residualFlags: r.flags, sense: r.sense });
        break;
      case 'K':
        w.constraints(r.time, r.entries);
        break;
      case 'E':
        w.hba({ timeNs: r.time, kind: r.kind, phase: r.phase, status: r.status, durationNs: r.duration, arg0: r.arg0, arg1: r.arg1, detail: r.detail, ...(r.task === undefined ? {} : { taskId: r.task }) });
        break;
      case 'D':
        w.digest({ timeNs: r.time, taskId: r.task, byteCount: r.bytes, direction: r.direction, crc32c: r.crc, chunkBytes: r.chunkBytes, chunkDigests: r.chunks, ...(r.lba === undefined ? {} : { lba: r.lba }) });
        break;
      case 'N':
        w.note(r.time, r.text, r.task);
        break;
    }
  }
}

/** A driver's session: constraints, a write with its flush, an INQUIRY with CHECK CONDITION, a 32-byte CDB, a big S/G list. */
export function sampleScenario(): Scenario {
  const segments = Array.from({ length: 129 }, (_, i) => ({ address: 0x1_0000_0000n + BigInt(i) * 0x1000n, length: 4096 }));
  return {
    producer: 'MyHBA DEXT 1.4.2 on Mac14,3',
    startWallNs: 1_767_600_000_123_456_789n,
    records: [
      { t: 'K', time: 0, entries: { IOMaximumSegmentCountWrite: 129, IOMaximumByteCountWrite: 528384, IOMaximumSegmentAddressableBitCount: 64, 'HBA Data Alignment': 'none', 'SCSI Hierarchical Logical Unit Support': false } },
      { t: 'S', time: 1000, task: 7n, target: 2n, lun: 0, tag: 7n, requested: 36, timeoutMs: 30000, attribute: 0, direction: 2, cdb: [0x12, 0, 0, 0, 0x24, 0], segments: [{ address: 0x8000n, length: 36 }] },
      { t: 'C', time: 1900, task: 7n, sr: 2, status: 0, bytes: 36, residual: 0, flags: 0, sense: [] },
      { t: 'S', time: 2000, task: 8n, target: 2n, lun: 1, tag: 8n, requested: 528384, timeoutMs: 30000, attribute: 1, direction: 1, cdb: [0x2a, 0x08, 0, 0, 0x10, 0, 0, 0x04, 0x08, 0], segments },
      { t: 'E', time: 2100, task: 8n, kind: 8, phase: 1, status: 0, duration: 0, arg0: 0x40n, arg1: 0n, detail: 'MPI SCSI IO' },
      { t: 'C', time: 9000, task: 8n, sr: 2, status: 0, bytes: 528384, residual: 0, flags: 0, sense: [] },
      { t: 'D', time: 9001, task: 8n, lba: 4096n, bytes: 528384, direction: 1, crc: 0xdeadbeef, chunkBytes: 262144, chunks: [0x11111111, 0x22222222, 0x33333333] },
      { t: 'S', time: 9500, task: 9n, target: 2n, lun: 1, tag: 9n, requested: 0, timeoutMs: 60000, attribute: 0, direction: 0, cdb: [0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0], segments: [] },
      { t: 'E', time: 9600, task: 9n, kind: 1, phase: 0, status: 0, duration: 350, arg0: 0n, arg1: 0n, detail: '' },
      { t: 'C', time: 9990, task: 9n, sr: 2, status: 0, bytes: 0, residual: 0, flags: 0, sense: [] },
      { t: 'S', time: 10000, task: 10n, target: 5n, lun: 300, tag: 0x1234n, requested: 8192, timeoutMs: 0, attribute: 2, direction: 2, slot: 3, cdb: [0x7f, 0, 0, 0, 0, 0, 0, 0x18, 0, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10], segments: [{ address: 0xffff_ffff_ffff_f000n, length: 8192 }] },
      { t: 'C', time: 10500, task: 10n, sr: 2, status: 2, bytes: 0, residual: 8192, flags: 1, sense: [0x70, 0, 5, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0] },
      { t: 'S', time: 11000, task: 0xffff_ffff_ffff_fffen, target: 0xffff_ffff_ffff_ffffn, lun: 16383, tag: 0n, requested: 512, timeoutMs: 4_294_967_295, attribute: 3, direction: 3, cdb: [0xc1], segments: [] },
      { t: 'E', time: 41000, task: 0xffff_ffff_ffff_fffen, kind: 7, phase: 0, status: 0xe00002d6, duration: 30_000_000_000, arg0: 30000n, arg1: 0n, detail: 'driver timer fired' },
      { t: 'C', time: 41001, task: 0xffff_ffff_ffff_fffen, sr: 1, status: 1, bytes: 0, residual: 0, flags: 0, sense: [] },
      { t: 'E', time: 42000, kind: 2, phase: 0, status: 0, duration: 1_200_000, arg0: 2n, arg1: 0n, detail: 'D0 → D3 (sleep)' },
      { t: 'N', time: 43000, text: 'end of session — ok' },
    ],
  };
}

const u64 = fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_fffen });
const time = fc.integer({ min: 0, max: 2 ** 40 });
const bytesArb = (min: number, max: number) => fc.array(fc.integer({ min: 0, max: 255 }), { minLength: min, maxLength: max });

/** Random records of every type, within the format's limits. */
export const recordArb: fc.Arbitrary<ScenarioRecord> = fc.oneof(
  fc.record({
    t: fc.constant('S' as const),
    time,
    task: u64,
    target: u64,
    lun: fc.integer({ min: 0, max: 16383 }),
    tag: u64,
    requested: fc.integer({ min: 0, max: 2 ** 40 }),
    timeoutMs: fc.integer({ min: 0, max: 0xffff_ffff }),
    attribute: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const),
    direction: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const),
    slot: fc.option(fc.integer({ min: 0, max: 0xfffe }), { nil: undefined }),
    cdb: bytesArb(1, 260),
    segments: fc.array(fc.record({ address: fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }), length: fc.integer({ min: 0, max: 2 ** 40 }) }), { maxLength: 80 }),
  }),
  fc.record({ t: fc.constant('C' as const), time, task: u64, sr: fc.integer({ min: 0, max: 5 }), status: fc.integer({ min: 0, max: 255 }), bytes: fc.integer({ min: 0, max: 2 ** 40 }), residual: fc.integer({ min: 0, max: 2 ** 32 }), flags: fc.integer({ min: 0, max: 3 }), sense: bytesArb(0, 255) }),
  fc.record({ t: fc.constant('N' as const), time, task: fc.option(u64, { nil: undefined }), text: fc.string({ maxLength: 600 }).filter((s) => !s.includes('\u0000')) }),
  fc.record({
    t: fc.constant('E' as const),
    time,
    task: fc.option(u64, { nil: undefined }),
    kind: fc.integer({ min: 1, max: 8 }),
    phase: fc.integer({ min: 0, max: 2 }),
    status: fc.integer({ min: 0, max: 0xffff_ffff }),
    duration: fc.integer({ min: 0, max: 2 ** 40 }),
    arg0: u64,
    arg1: u64,
    detail: fc.string({ maxLength: 80 }).filter((s) => !s.includes('\u0000')),
  }),
);

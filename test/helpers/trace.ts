import { decodeNative } from '../../src/formats/native/reader.js';
import { TraceWriter, writeTraceToBytes, type CompleteInput, type SubmitInput } from '../../src/formats/native/writer.js';
import { DataDirection, GapAffects, GapUnit, type CaptureGap, type TraceEvent } from '../../src/model/events.js';
import { newReadStats } from '../../src/model/stats.js';

/**
 * A trace builder for tests: tasks get increasing ids and times unless given, so a test
 * states only what it is about.
 */
export class TraceBuilder {
  private nextId = 1;
  timeNs = 0;
  /** Capture gaps, by the marker note written where each belongs. */
  readonly gaps: Array<Omit<CaptureGap, 'offset' | 'index'>> = [];
  constructor(readonly w: TraceWriter) {}

  /**
   * A capture gap at the current time, lasting `ns` (the clock moves past it). Written as a
   * marker note that buildTraceEvents turns into the CaptureGap event, in its place in the stream.
   */
  gap(g: { ns?: number; lost?: number; unit?: GapUnit; affects?: GapAffects; targetId?: bigint; detail?: string } = {}): this {
    const start = this.timeNs;
    this.timeNs += g.ns ?? 1_000_000;
    const gap: Omit<CaptureGap, 'offset' | 'index'> = {
      kind: 'gap',
      timeNs: start,
      endNs: this.timeNs,
      lost: g.lost ?? 3,
      unit: g.unit ?? GapUnit.Lines,
      affects: g.affects ?? GapAffects.All,
      detail: g.detail ?? 'test gap',
    };
    if (g.targetId !== undefined) gap.targetId = g.targetId;
    this.w.note(start, `${GAP_MARKER}${this.gaps.length}`);
    this.gaps.push(gap);
    return this;
  }

  /** Advances the clock. */
  wait(ns: number): this {
    this.timeNs += ns;
    return this;
  }

  submit(t: Partial<SubmitInput> & { cdb: SubmitInput['cdb'] }): number {
    const id = Number(t.taskId ?? this.nextId++);
    this.w.submit({ timeNs: this.timeNs, taskId: id, ...t });
    return id;
  }

  complete(taskId: number, c: Partial<CompleteInput> = {}): void {
    this.w.complete({ timeNs: this.timeNs, taskId, ...c });
  }

  /** Submits and completes GOOD after latencyNs, moving requestedBytes. */
  task(t: Partial<SubmitInput> & { cdb: SubmitInput['cdb'] }, c: Partial<CompleteInput> = {}, latencyNs = 10_000): number {
    const id = this.submit(t);
    this.wait(latencyNs);
    this.complete(id, { bytesTransferred: t.requestedBytes ?? 0, ...c });
    return id;
  }
}

const GAP_MARKER = '\u0000test-gap:';

export function buildTraceBytes(build: (b: TraceBuilder) => void, producer = 'test'): Uint8Array {
  return writeTraceToBytes({ producer }, (w) => build(new TraceBuilder(w)));
}

export function buildTraceEvents(build: (b: TraceBuilder) => void): TraceEvent[] {
  let builder!: TraceBuilder;
  const bytes = writeTraceToBytes({ producer: 'test' }, (w) => build((builder = new TraceBuilder(w))));
  const events = decodeNative(bytes, newReadStats());
  if (!builder.gaps.length) return events;
  return events.map((e) =>
    e.kind === 'note' && e.text.startsWith(GAP_MARKER) ? { ...builder.gaps[Number(e.text.slice(GAP_MARKER.length))]!, offset: e.offset, index: e.index } : e,
  );
}

/** READ(10)/WRITE(10) CDBs. */
export function rw10(write: boolean, lba: number, blocks: number): number[] {
  return [write ? 0x2a : 0x28, 0, (lba >>> 24) & 0xff, (lba >>> 16) & 0xff, (lba >>> 8) & 0xff, lba & 0xff, 0, (blocks >> 8) & 0xff, blocks & 0xff, 0];
}

export { DataDirection };

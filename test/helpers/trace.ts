import { decodeNative } from '../../src/formats/native/reader.js';
import { TraceWriter, writeTraceToBytes, type CompleteInput, type SubmitInput } from '../../src/formats/native/writer.js';
import { DataDirection, type TraceEvent } from '../../src/model/events.js';
import { newReadStats } from '../../src/model/stats.js';

/**
 * A trace builder for tests: tasks get increasing ids and times unless given, so a test
 * states only what it is about.
 */
export class TraceBuilder {
  private nextId = 1;
  timeNs = 0;
  constructor(readonly w: TraceWriter) {}

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

export function buildTraceBytes(build: (b: TraceBuilder) => void, producer = 'test'): Uint8Array {
  return writeTraceToBytes({ producer }, (w) => build(new TraceBuilder(w)));
}

export function buildTraceEvents(build: (b: TraceBuilder) => void): TraceEvent[] {
  return decodeNative(buildTraceBytes(build), newReadStats());
}

/** READ(10)/WRITE(10) CDBs. */
export function rw10(write: boolean, lba: number, blocks: number): number[] {
  return [write ? 0x2a : 0x28, 0, (lba >>> 24) & 0xff, (lba >>> 16) & 0xff, (lba >>> 8) & 0xff, lba & 0xff, 0, (blocks >> 8) & 0xff, blocks & 0xff, 0];
}

export { DataDirection };

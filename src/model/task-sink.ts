import type { CaptureGap, Completion, EventOrigin, TraceHeader } from './events.js';

/**
 * A lean way to receive tasks, for consumers that need only the fields below (decode's text
 * lines): a reader that supports it (the native one) fills one reused object per record type and
 * calls the sink, instead of building TaskSubmitted/TaskCompleted events with their copies of
 * the CDB, segment list and sense. Everything else still arrives as events.
 *
 * The objects are reused: their fields hold only during the call. `cdb` and `sense` are views
 * of the reader's read chunk (bytes [cdbAt, cdbAt + cdbLength) and [senseAt, senseAt +
 * senseLength)), so a sink copies what it keeps. Ids are given as map keys (TaskKey: numbers up
 * to 2^53, bigints beyond); targetId and tag likewise.
 */
export interface SubmitFields extends EventOrigin {
  taskId: number | bigint;
  targetId: number | bigint;
  lun: number;
  tag: number | bigint;
  /** The source's name of the target (TaskSubmitted.targetLabel), when it has one. */
  targetLabel: string | undefined;
  requestedBytes: number;
  cdb: Uint8Array;
  cdbAt: number;
  cdbLength: number;
}

export interface CompleteFields extends Completion {
  taskId: number | bigint;
  sense: Uint8Array;
  senseAt: number;
  senseLength: number;
}

export interface TaskSink {
  /**
   * The trace's header, before any task of the trace (it is also an event, but events reach
   * their consumer only after the tasks of the same read chunk went to the sink).
   */
  header?(h: TraceHeader): void;
  /** A capture gap, as it is read (also an event; see header). */
  gap?(g: CaptureGap): void;
  submit(f: SubmitFields): void;
  complete(f: CompleteFields): void;
}

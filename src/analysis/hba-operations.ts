/**
 * HBA operations from HBA events: an *issued* event and the *completed* event of the same kind
 * and task id make one operation, timed by their timestamps; an *instant* event (or a completed
 * event whose issued event is not in the trace) is one operation of its own recorded duration
 * (docs/FORMAT.md, HBA_EVENT). Timestamps win over a recorded duration when both exist: they
 * are what the capture saw; the duration field is the producer's own arithmetic.
 */
import { HbaEventPhase, type HbaEvent } from '../model/events.js';

/** Issued operations awaiting completion; past this the oldest is dropped (counted in `dropped`). */
const MAX_OPEN = 1024;

export interface HbaOperation {
  /** The completed (or instant) event. */
  event: HbaEvent;
  /** The issued event it pairs with, when the trace has one. */
  issued?: HbaEvent;
  /** Duration in ns: completed − issued timestamps for a pair, else the recorded duration (0 = unknown). */
  durationNs: number;
  /** Where durationNs came from. */
  source: 'timestamps' | 'recorded' | 'unknown';
  /** The completed event's own duration field (0 = none). */
  recordedNs: number;
}

export class HbaOperationPairer {
  private readonly open = new Map<string, HbaEvent>();
  /** Issued events dropped because too many were open at once. */
  dropped = 0;

  /** An issued event is remembered (returns undefined); a completed or instant event is an operation. */
  push(e: HbaEvent): HbaOperation | undefined {
    const key = `${e.hbaKind}:${e.taskId ?? ''}`;
    if (e.phase === HbaEventPhase.Issued) {
      this.open.delete(key);
      if (this.open.size >= MAX_OPEN) {
        this.open.delete(this.open.keys().next().value!);
        this.dropped++;
      }
      this.open.set(key, e);
      return undefined;
    }
    const issued = e.phase === HbaEventPhase.Completed ? this.open.get(key) : undefined;
    if (issued) {
      this.open.delete(key);
      return { event: e, issued, durationNs: Math.max(0, e.timeNs - issued.timeNs), source: 'timestamps', recordedNs: e.durationNs };
    }
    return { event: e, durationNs: e.durationNs, source: e.durationNs > 0 ? 'recorded' : 'unknown', recordedNs: e.durationNs };
  }

  /** Issued operations that never completed, oldest first; forgets them. */
  drain(): HbaEvent[] {
    const left = [...this.open.values()];
    this.open.clear();
    return left;
  }
}

/** True when a recorded duration and the timestamps disagree by more than 1 ms and 1 %. */
export function durationsDisagree(op: HbaOperation): boolean {
  if (op.source !== 'timestamps' || op.recordedNs <= 0) return false;
  const diff = Math.abs(op.recordedNs - op.durationNs);
  return diff > 1e6 && diff > 0.01 * Math.max(op.recordedNs, op.durationNs);
}

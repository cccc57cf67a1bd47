import { decodeNative } from '../../src/formats/native/reader.js';
import type { DataDigest, HbaEvent, TaskCompleted, TaskSubmitted, TraceEvent } from '../../src/model/events.js';
import { newReadStats, type ReadStats } from '../../src/model/stats.js';
import { SAMPLE_TRACES, synthesize } from '../../src/synth/index.js';

/** One task: its submission, its completion (when it completed) and the digests of its data. */
export interface Task {
  submit: TaskSubmitted;
  complete?: TaskCompleted;
  digests: DataDigest[];
}

export interface Decoded {
  bytes: Uint8Array;
  events: TraceEvent[];
  stats: ReadStats;
  /** Every task in submission order, paired with its completion by id while in flight (ids come back to a dext's pool). */
  tasks: Task[];
  /** By task id, the last one: only for traces whose ids are never reused (kext scenarios, the benchmark). */
  submits: Map<bigint, TaskSubmitted>;
  completions: Map<bigint, TaskCompleted>;
  hba: HbaEvent[];
  /** The task a digest belongs to: in flight with its id, or the last one with its id to complete. */
  taskOf(d: DataDigest): Task;
}

const cache = new Map<string, Decoded>();

export function decode(bytes: Uint8Array): Decoded {
  const stats = newReadStats();
  const events = decodeNative(bytes, stats);
  const tasks: Task[] = [];
  const inFlight = new Map<bigint, Task>();
  const lastDone = new Map<bigint, Task>();
  const ofDigest = new Map<DataDigest, Task>();
  const submits = new Map<bigint, TaskSubmitted>();
  const completions = new Map<bigint, TaskCompleted>();
  const hba: HbaEvent[] = [];
  for (const e of events) {
    if (e.kind === 'submit') {
      const t: Task = { submit: e, digests: [] };
      tasks.push(t);
      inFlight.set(e.taskId, t);
      submits.set(e.taskId, e);
    } else if (e.kind === 'complete') {
      const t = inFlight.get(e.taskId);
      if (t) {
        t.complete = e;
        inFlight.delete(e.taskId);
        lastDone.set(e.taskId, t);
      }
      completions.set(e.taskId, e);
    } else if (e.kind === 'digest') {
      const t = inFlight.get(e.taskId) ?? lastDone.get(e.taskId);
      if (t) {
        t.digests.push(e);
        ofDigest.set(e, t);
      }
    } else if (e.kind === 'hba') hba.push(e);
  }
  const taskOf = (d: DataDigest): Task => {
    const t = ofDigest.get(d);
    if (!t) throw new Error(`digest of task ${d.taskId} belongs to no task`);
    return t;
  };
  return { bytes, events, stats, tasks, submits, completions, hba, taskOf };
}

/** The sample trace of a scenario, synthesized once per test file with its committed seed and size. */
export function sample(scenario: string): Decoded {
  let d = cache.get(scenario);
  if (!d) {
    const s = SAMPLE_TRACES.find((x) => x.scenario === scenario)!;
    d = decode(synthesize(s.scenario, { seed: s.seed, ...(s.size !== undefined ? { size: s.size } : {}) }));
    cache.set(scenario, d);
  }
  return d;
}

export const opcodeOf = (s: TaskSubmitted): number => s.cdb[0]!;
export const isSync = (s: TaskSubmitted): boolean => s.cdb[0] === 0x35 || s.cdb[0] === 0x91;
export const isRw = (s: TaskSubmitted): boolean => [0x28, 0x2a, 0x88, 0x8a].includes(s.cdb[0]!);

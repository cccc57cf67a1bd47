import { decodeNative } from '../../src/formats/native/reader.js';
import type { HbaEvent, TaskCompleted, TaskSubmitted, TraceEvent } from '../../src/model/events.js';
import { newReadStats, type ReadStats } from '../../src/model/stats.js';
import { SAMPLE_TRACES, synthesize } from '../../src/synth/index.js';

export interface Decoded {
  bytes: Uint8Array;
  events: TraceEvent[];
  stats: ReadStats;
  submits: Map<bigint, TaskSubmitted>;
  completions: Map<bigint, TaskCompleted>;
  hba: HbaEvent[];
}

const cache = new Map<string, Decoded>();

export function decode(bytes: Uint8Array): Decoded {
  const stats = newReadStats();
  const events = decodeNative(bytes, stats);
  const submits = new Map<bigint, TaskSubmitted>();
  const completions = new Map<bigint, TaskCompleted>();
  const hba: HbaEvent[] = [];
  for (const e of events) {
    if (e.kind === 'submit') submits.set(e.taskId, e);
    else if (e.kind === 'complete') completions.set(e.taskId, e);
    else if (e.kind === 'hba') hba.push(e);
  }
  return { bytes, events, stats, submits, completions, hba };
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

/**
 * Properties of diff on random traces: a trace compared with itself shows no change, and
 * diff B A is the mirror image of diff A B (sides swapped, shifts negated, new ↔ fixed,
 * slower ↔ faster, ...).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffEvents, type Change, type CommandDiff, type Diff, type DirectionAlignmentJson, type LatencyComparison } from '../../src/report/diff/index.js';
import { DataDirection, DeliveryStatus, HbaEventKind, HbaEventPhase, SamStatus, ServiceResponse, type TraceEvent } from '../../src/model/events.js';
import { buildTraceEvents, rw10 } from '../helpers/trace.js';

interface TaskSpec {
  kind: number;
  latencyUs: number;
  outcome: number;
  lba: number;
  blocks: number;
  high: boolean;
  flushed: boolean;
  thinkUs: number;
}

interface TraceSpec {
  tasks: TaskSpec[];
  addressBits: 32 | 64 | 0;
  /** Every latency times this: traces of one workload on a faster or slower driver. */
  scale: number;
  power: Array<{ from: number; to: number; ms: number }>;
}

const taskSpec: fc.Arbitrary<TaskSpec> = fc.record({
  kind: fc.integer({ min: 0, max: 4 }),
  latencyUs: fc.integer({ min: 1000, max: 2000 }),
  outcome: fc.integer({ min: 0, max: 9 }),
  lba: fc.integer({ min: 0, max: 4096 }),
  blocks: fc.integer({ min: 1, max: 64 }),
  high: fc.boolean(),
  flushed: fc.boolean(),
  thinkUs: fc.integer({ min: 0, max: 200 }),
});

const traceSpec: fc.Arbitrary<TraceSpec> = fc.record({
  tasks: fc.array(taskSpec, { maxLength: 50, size: 'max' }),
  addressBits: fc.constantFrom(32 as const, 64 as const, 0 as const),
  scale: fc.constantFrom(1, 1.05, 4, 0.25),
  power: fc.array(fc.record({ from: fc.integer({ min: 0, max: 2 }), to: fc.integer({ min: 0, max: 2 }), ms: fc.integer({ min: 1, max: 5000 }) }), {
    maxLength: 3,
  }),
});

const SENSE_INVALID_OPCODE = [0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x20, 0x00, 0, 0, 0, 0];

function build(spec: TraceSpec): TraceEvent[] {
  return buildTraceEvents((b) => {
    if (spec.addressBits) b.w.constraints(b.timeNs, { IOMaximumSegmentAddressableBitCount: spec.addressBits });
    for (const t of spec.tasks) {
      b.wait(t.thinkUs * 1000);
      const latencyUs = Math.max(1, Math.round(t.latencyUs * spec.scale));
      const cdb =
        t.kind === 0
          ? rw10(false, t.lba, t.blocks)
          : t.kind === 1
            ? rw10(true, t.lba, t.blocks)
            : t.kind === 2
              ? [0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0]
              : t.kind === 3
                ? [0x12, 0, 0, 0, 36, 0]
                : [0xc5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
      const bytes = t.kind <= 1 ? t.blocks * 512 : t.kind === 3 ? 36 : 0;
      const address = t.high ? 0x1_2000_0000 + t.lba * 4096 : 0x1000_0000 + t.lba * 4096;
      const id = b.submit({
        cdb,
        direction: t.kind === 1 ? DataDirection.ToDevice : bytes ? DataDirection.FromDevice : DataDirection.None,
        requestedBytes: bytes,
        ...(bytes ? { segments: [{ address, length: bytes }] } : {}),
      });
      if (t.kind === 2 && t.flushed) {
        b.wait(1000);
        b.w.hba({ timeNs: b.timeNs, kind: HbaEventKind.ControllerCacheFlush, phase: HbaEventPhase.Issued, taskId: id });
        b.wait(latencyUs * 500);
        b.w.hba({ timeNs: b.timeNs, kind: HbaEventKind.ControllerCacheFlush, phase: HbaEventPhase.Completed, taskId: id });
        b.wait(latencyUs * 500);
      } else b.wait(latencyUs * 1000);
      if (t.outcome === 0) b.complete(id, { status: SamStatus.CheckCondition, sense: SENSE_INVALID_OPCODE });
      else if (t.outcome === 1 || t.kind === 4)
        b.complete(id, { serviceResponse: ServiceResponse.ServiceDeliveryOrTargetFailure, status: DeliveryStatus.DeliveryFailure });
      else if (t.outcome !== 2) b.complete(id, { bytesTransferred: bytes }); // outcome 2: never completed
    }
    for (const p of spec.power) {
      b.w.hba({ timeNs: b.timeNs, kind: HbaEventKind.PowerStateChange, phase: HbaEventPhase.Issued, arg0: p.from, arg1: p.to });
      b.wait(p.ms * 1_000_000);
      b.w.hba({
        timeNs: b.timeNs,
        kind: HbaEventKind.PowerStateChange,
        phase: HbaEventPhase.Completed,
        arg0: p.from,
        arg1: p.to,
        durationNs: p.ms * 1_000_000,
      });
    }
  });
}

const MIRROR_IDS: Record<string, string> = {
  'only-in-baseline': 'only-in-candidate',
  'now-refused': 'now-answered',
  slower: 'faster',
  'flush-dropped': 'flush-added',
  larger: 'smaller',
  more: 'fewer',
  deeper: 'shallower',
  'above-4gib-appeared': 'above-4gib-gone',
  new: 'fixed',
  'more-failed': 'fewer-failed',
  'baseline-longer': 'candidate-longer',
};
for (const [k, v] of Object.entries(MIRROR_IDS)) MIRROR_IDS[v] = k;
const mirrorId = (id: string): string => MIRROR_IDS[id] ?? id;

function mirrorChange(c: Change): Omit<Change, 'text'> {
  return { area: c.area, id: mirrorId(c.id), subject: c.subject, baseline: c.candidate, candidate: c.baseline };
}
const withoutText = ({ text: _text, ...c }: Change): Omit<Change, 'text'> => c;

/** −x without a negative zero (toEqual tells −0 from 0). */
const neg = (x: number): number => (x === 0 ? 0 : -x);

function mirrorLatency(l: LatencyComparison | null): unknown {
  if (!l) return null;
  return {
    shiftNs: { p50: neg(l.shiftNs.p50), p90: neg(l.shiftNs.p90), p99: neg(l.shiftNs.p99), max: neg(l.shiftNs.max) },
    verdict: l.verdict === 'slower' ? 'faster' : l.verdict === 'faster' ? 'slower' : l.verdict,
    decidedBy: l.decidedBy,
    test: l.test ? { n1: l.test.n2, n2: l.test.n1, z: neg(l.test.z), pMannWhitney: l.test.pMannWhitney, ksD: l.test.ksD, pKs: l.test.pKs } : null,
  };
}
function latencyCore(l: LatencyComparison | null): unknown {
  if (!l) return null;
  return {
    shiftNs: l.shiftNs,
    verdict: l.verdict,
    decidedBy: l.decidedBy,
    test: l.test ? { n1: l.test.n1, n2: l.test.n2, z: l.test.z, pMannWhitney: l.test.pMannWhitney, ksD: l.test.ksD, pKs: l.test.pKs } : null,
  };
}

function mirrorCommand(c: CommandDiff): unknown {
  return {
    key: c.key,
    presence: c.presence === 'baseline' ? 'candidate' : c.presence === 'candidate' ? 'baseline' : 'both',
    baseline: c.candidate,
    candidate: c.baseline,
    latency: mirrorLatency(c.latency),
    latencyBins: c.latencyBins.map((b) => ({ ...b, baseline: b.candidate, candidate: b.baseline })),
  };
}
function commandCore(c: CommandDiff): unknown {
  return { key: c.key, presence: c.presence, baseline: c.baseline, candidate: c.candidate, latency: latencyCore(c.latency), latencyBins: c.latencyBins };
}

function mirrorAlignment(a: DirectionAlignmentJson): DirectionAlignmentJson {
  return {
    outcome: a.outcome === 'baseline-longer' ? 'candidate-longer' : a.outcome === 'candidate-longer' ? 'baseline-longer' : a.outcome,
    blocks: a.blocks,
    commands: { baseline: a.commands.candidate, candidate: a.commands.baseline },
    seen: { baseline: a.seen.candidate, candidate: a.seen.baseline },
    divergence: a.divergence ? { baseline: a.divergence.candidate, candidate: a.divergence.baseline } : null,
  };
}

/** Everything of diff(A, B) as diff(B, A) must show it. */
function mirror(d: Diff): unknown {
  const fixedBy = { error: 0, warning: 0, info: 0 };
  for (const f of d.findings ?? []) if (f.baseline > f.candidate) fixedBy[f.severity] += f.baseline - f.candidate;
  return {
    verdict: { changes: d.verdict.changes, newFindings: fixedBy },
    changes: d.changes.map(mirrorChange),
    commands: d.commands.map(mirrorCommand),
    constraints: d.constraints.map((c) => ({ key: c.key, baseline: c.candidate, candidate: c.baseline })),
    findings:
      d.findings?.map((f) => ({
        ruleId: f.ruleId,
        severity: f.severity,
        subject: f.subject,
        baseline: f.candidate,
        candidate: f.baseline,
        status: mirrorId(f.status),
      })) ?? null,
    hbaEvents: d.hbaEvents.map((h) => ({ ...h, baseline: h.candidate, candidate: h.baseline })),
    powerTransitions: d.powerTransitions.map((p) => ({
      from: p.from,
      to: p.to,
      baseline: p.candidate,
      candidate: p.baseline,
      duration: mirrorLatency(p.duration),
    })),
    alignment: { reads: mirrorAlignment(d.alignment.reads), writes: mirrorAlignment(d.alignment.writes) },
  };
}
function core(d: Diff): unknown {
  return {
    verdict: d.verdict,
    changes: d.changes.map(withoutText),
    commands: d.commands.map(commandCore),
    constraints: d.constraints,
    findings: d.findings?.map(({ example: _e, ...f }) => f) ?? null,
    hbaEvents: d.hbaEvents,
    powerTransitions: d.powerTransitions.map((p) => ({
      from: p.from,
      to: p.to,
      baseline: p.baseline,
      candidate: p.candidate,
      duration: latencyCore(p.duration),
    })),
    alignment: d.alignment,
  };
}

describe('diff properties', () => {
  it('diff A A reports no change', async () => {
    await fc.assert(
      fc.asyncProperty(traceSpec, async (spec) => {
        const events = build(spec);
        const d = await diffEvents(events, events);
        expect(d.changes).toEqual([]);
        expect(d.verdict).toEqual({ changes: 0, newFindings: { error: 0, warning: 0, info: 0 } });
        for (const c of d.commands) {
          expect(c.presence).toBe('both');
          expect(['same', 'too-few']).toContain(c.latency?.verdict ?? 'too-few');
          if (c.latency) expect(c.latency.shiftNs).toEqual({ p50: 0, p90: 0, p99: 0, max: 0 });
        }
        for (const f of d.findings ?? []) expect(f.status).toBe('same');
        expect(['same', 'none']).toContain(d.alignment.reads.outcome);
        expect(['same', 'none']).toContain(d.alignment.writes.outcome);
      }),
      { numRuns: 25 },
    );
  });

  it('diff B A is the mirror image of diff A B', async () => {
    let latencyChanges = 0;
    await fc.assert(
      fc.asyncProperty(traceSpec, traceSpec, async (a, b) => {
        const ea = build(a);
        const eb = build(b);
        const ab = await diffEvents(ea, eb);
        const ba = await diffEvents(eb, ea);
        expect(core(ba)).toEqual(mirror(ab));
        if (ab.changes.some((c) => c.area === 'latency')) latencyChanges++;
        // Ratios are inverted (each rounded to 4 significant digits).
        for (let i = 0; i < ab.commands.length; i++) {
          const x = ab.commands[i]!.latency?.ratio.p50;
          const y = ba.commands[i]!.latency?.ratio.p50;
          if (x && y) expect(x * y).toBeCloseTo(1, 3);
        }
      }),
      // A fixed seed: the guard below counts what the random pairs covered, and that count must not
      // depend on the run (unseeded, about one run in three drew too few latency changes).
      { numRuns: 25, seed: 42 },
    );
    // The random pairs do differ in latency now and then (otherwise the mirror of a verdict is untested).
    expect(latencyChanges).toBeGreaterThan(3);
  });

  it('a real change is seen both ways: SYNCHRONIZE CACHE answered in 9 µs instead of 30 ms, without its flush', async () => {
    const sync = (latencyUs: number, flushed: boolean): TaskSpec => ({ kind: 2, latencyUs, outcome: 9, lba: 0, blocks: 1, high: false, flushed, thinkUs: 50 });
    const kext = build({ tasks: Array.from({ length: 8 }, (_, i) => sync(30_000 + i * 100, true)), addressBits: 64, scale: 1, power: [] });
    const dext = build({ tasks: Array.from({ length: 8 }, (_, i) => sync(9 + (i % 3), false)), addressBits: 64, scale: 1, power: [] });
    const d = await diffEvents(kext, dext);
    const ids = d.changes.map((c) => `${c.area}:${c.id}`);
    expect(ids).toContain('latency:faster');
    expect(ids).toContain('flush:flush-dropped');
    expect(ids).toContain('hba-events:only-in-baseline');
    const back = await diffEvents(dext, kext);
    expect(back.changes.map((c) => `${c.area}:${c.id}`)).toEqual(
      expect.arrayContaining(['latency:slower', 'flush:flush-added', 'hba-events:only-in-candidate']),
    );
  });
});

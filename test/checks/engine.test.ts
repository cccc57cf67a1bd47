import { describe, expect, it } from 'vitest';
import { checkEvents, createChecker, failsAt, parseLunNote } from '../../src/checks/engine.js';
import { constraintConfig } from '../../src/checks/constraints.js';
import { UsageError } from '../../src/model/errors.js';
import { buildTraceEvents } from '../helpers/trace.js';
import { CHECK_CONDITION, DataDirection, TUR, constraints, rw10, writeTask } from './fixtures.js';

describe('check engine', () => {
  it('groups repeated findings: exact count, first N examples in trace order', () => {
    const events = buildTraceEvents((b) => {
      for (let i = 0; i < 50; i++) b.task({ cdb: TUR }, { status: CHECK_CONDITION });
    });
    const r = checkEvents(events, { maxExamples: 3 });
    const g = r.groups.find((x) => x.ruleId === 'check-condition-without-sense')!;
    expect(g.count).toBe(50);
    expect(g.examples.map((f) => f.taskId)).toEqual([1n, 2n, 3n]);
    expect(g.examples[0]).toMatchObject({ severity: 'error', command: 'TEST UNIT READY', recordIndex: 1 });
    expect(g.examples[0]!.offset).toBeGreaterThan(0);
    expect(r.counts).toEqual({ error: 50, warning: 0, info: 0 });
    expect(r.tasks).toBe(50);
    expect(failsAt(r, 'error')).toBe(true);
  });

  it('orders groups by severity, then rule id', () => {
    const events = buildTraceEvents((b) => {
      b.task({ cdb: [0xc5, 0, 0, 0, 0, 0] });
      b.task({ cdb: TUR }, { status: CHECK_CONDITION });
      b.submit({ cdb: TUR, timeoutMs: 60_000 });
    });
    const r = checkEvents(events);
    expect(r.groups.map((g) => `${g.severity} ${g.ruleId}`)).toEqual([
      'error check-condition-without-sense',
      'warning task-never-completed',
      'info vendor-specific-cdb',
    ]);
    expect(failsAt(r, 'error')).toBe(true);
    const onlyInfo = checkEvents(events, { enable: ['vendor-specific-cdb'] });
    expect(failsAt(onlyInfo, 'error')).toBe(false);
    expect(failsAt(onlyInfo, 'warning')).toBe(false);
    expect(failsAt(onlyInfo, 'info')).toBe(true);
  });

  it('enables and disables rules by id, and rejects unknown ids with a suggestion', () => {
    const events = buildTraceEvents((b) => void b.task({ cdb: TUR }, { status: CHECK_CONDITION }));
    expect(checkEvents(events, { disable: ['check-condition-without-sense'] }).groups).toEqual([]);
    expect(checkEvents(events, { enable: ['task-never-completed'] }).rules).toEqual(['task-never-completed']);
    expect(() => createChecker({ enable: ['check-condition-without-sens'] })).toThrow(UsageError);
    expect(() => createChecker({ disable: ['segment-count'] })).toThrow(/did you mean "segment-count-exceeded"/);
  });

  it("uses the trace's constraints record, overridden by the config, and reports both", () => {
    const events = buildTraceEvents((b) => {
      constraints(b, { IOMaximumSegmentCountWrite: 2, IOMaximumSegmentAddressableBitCount: 64 });
      b.task({
        cdb: rw10(true, 0, 8),
        direction: DataDirection.ToDevice,
        requestedBytes: 4096,
        segments: [0, 1, 2].map((i) => ({ address: 0x1_0000_0000 + i * 0x2000, length: i === 2 ? 0 : 2048 })),
      });
    });
    const fromTrace = checkEvents(events);
    expect(fromTrace.groups.map((g) => g.ruleId)).toEqual(['segment-count-exceeded']);
    const withConfig = checkEvents(events, {
      constraints: constraintConfig({ IOMaximumSegmentCountWrite: 8, IOMaximumSegmentAddressableBitCount: 32 }, 'cfg.json'),
    });
    expect(withConfig.groups.map((g) => g.ruleId)).toEqual(['segment-above-address-limit']);
    expect(withConfig.constraints.entries.find((e) => e.id === 'maxSegmentCountWrite')).toMatchObject({
      value: 8,
      source: 'config',
      overrides: { value: 2, source: 'trace' },
    });
  });

  it('checks several traces in one result, each with its own task ids and constraints', () => {
    const a = buildTraceEvents((b) => {
      constraints(b, { IOMaximumSegmentAddressableBitCount: 32 });
      b.submit({ cdb: TUR });
    });
    const b2 = buildTraceEvents((b) => {
      b.task({ cdb: TUR, taskId: 1 });
      b.task({ cdb: rw10(true, 0, 1), direction: DataDirection.ToDevice, requestedBytes: 512, segments: [{ address: 0x2_0000_0000, length: 512 }] });
    });
    const c = createChecker();
    c.startFile('a.sct');
    c.push(a);
    c.startFile('b.sct');
    c.push(b2);
    const r = c.finish();
    expect(r.files).toEqual(['a.sct', 'b.sct']);
    expect(r.tasks).toBe(3);
    // Task 1 of a.sct never completed; b.sct's task 1 is a different task, and b.sct has no 32-bit limit.
    expect(r.groups.map((g) => [g.ruleId, g.examples[0]!.file])).toEqual([['task-never-completed', 'a.sct']]);
  });

  it('learns logical-unit facts from lun-info notes', () => {
    expect(parseLunNote('lun-info target=1 lun=2 block-size=4096 last-lba=0x3ff write-cache=off')).toEqual({
      targetId: 1n,
      lun: 2,
      blockSize: 4096,
      capacityBlocks: 1024,
      writeCache: false,
    });
    expect(parseLunNote('something else')).toBeUndefined();
    const events = buildTraceEvents((b) => {
      b.w.note(0, 'lun-info target=0 lun=0 block-size=4096 capacity-blocks=100');
      b.task({ cdb: rw10(false, 0, 1), direction: DataDirection.FromDevice, requestedBytes: 4096 });
    });
    const r = checkEvents(events);
    expect(r.groups).toEqual([]);
    expect(r.luns).toEqual([{ targetId: 0n, lun: 0, blockSize: 4096, blockSizeSource: 'note', capacityBlocks: 100, capacitySource: 'note' }]);
  });

  it('keeps memory bounded: grouping keeps only examples, however many findings', () => {
    const events = buildTraceEvents((b) => {
      for (let i = 0; i < 3000; i++) writeTask(b, i * 8, 8, 0x1_0000_0000 + i * 0x10000, 1000);
    });
    const r = checkEvents(events, { constraints: constraintConfig({ addressBits: 32 }), maxExamples: 2 });
    const g = r.groups.find((x) => x.ruleId === 'segment-above-address-limit')!;
    expect(g.count).toBe(3000);
    expect(g.examples).toHaveLength(2);
  });
});

describe('checkTrace (library entry point)', () => {
  it('checks files by path, like the CLI', async () => {
    const { checkTrace } = await import('../../src/checks/check-trace.js');
    const { loadConstraintFile } = await import('../../src/checks/constraints-file.js');
    // The mapped-bytes budget is opt-in (no Apple source sets one): the sample's config sets it.
    const r = await checkTrace('traces/dma-over-2gib.sct', { constraints: loadConstraintFile('traces/dma-2gib-budget.constraints.json') });
    expect(r.files).toEqual(['traces/dma-over-2gib.sct']);
    expect(r.groups.map((g) => g.ruleId)).toEqual(['dma-mapped-bytes-exceeded']);
    expect(r.diagnostics).toEqual([]);
  });
});

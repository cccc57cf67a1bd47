import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { allRules } from '../../src/checks/rules/index.js';
import { runScsitrace } from '../helpers/cli.js';
import { buildTraceBytes } from '../helpers/trace.js';
import { CHECK_CONDITION, DataDirection, TUR, constraints, rw10, sense } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'scsitrace-check-'));
const clean = join(dir, 'clean.sct');
const warnOnly = join(dir, 'warn.sct');
const broken = join(dir, 'broken.sct');
const damaged = join(dir, 'damaged.sct');
const highMemory = join(dir, 'high.sct');

beforeAll(() => {
  writeFileSync(
    clean,
    buildTraceBytes((b) => void b.task({ cdb: TUR })),
  );
  writeFileSync(
    warnOnly,
    buildTraceBytes((b) => void b.task({ cdb: [0xa3, 0x0c, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0] }, { status: CHECK_CONDITION, sense: sense(5, 0x20, 0) })),
  );
  writeFileSync(
    broken,
    buildTraceBytes((b) => (b.task({ cdb: TUR }, { status: CHECK_CONDITION }), b.task({ cdb: TUR }, { status: CHECK_CONDITION }))),
  );
  const good = buildTraceBytes((b) => {
    for (let i = 0; i < 20; i++) b.task({ cdb: TUR });
  });
  const cut = good.slice(0, good.length - 30);
  writeFileSync(damaged, cut);
  writeFileSync(
    highMemory,
    buildTraceBytes((b) => {
      constraints(b, { IOMaximumSegmentAddressableBitCount: 64 });
      b.task({ cdb: rw10(true, 0, 8), direction: DataDirection.ToDevice, requestedBytes: 4096, segments: [{ address: 0x1_8000_0000, length: 4096 }] });
    }),
  );
});

describe('scsitrace check', () => {
  it('exits 0 and says PASS on a clean trace', async () => {
    const r = await runScsitrace('check', clean);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/PASS: no findings in 1 task\n$/);
    expect(r.stderr).toBe('');
  });

  it('exits 1 on errors, with grouped examples, and honours --fail-on', async () => {
    const r = await runScsitrace('check', broken);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('ERROR   check-condition-without-sense  ×2');
    expect(r.stdout).toContain('task 1  TEST UNIT READY');
    expect(r.stdout).toMatch(/at byte 0x[0-9a-f]+ \(record 1\)/);
    expect(r.stdout).toMatch(/FAIL: 2 errors, 0 warnings, 0 info in 2 tasks/);
    expect((await runScsitrace('check', warnOnly)).code).toBe(0);
    expect((await runScsitrace('check', '--fail-on', 'warning', warnOnly)).code).toBe(1);
    expect((await runScsitrace('check', '--disable', 'check-condition-without-sense', broken)).code).toBe(0);
    expect((await runScsitrace('check', '--rule', 'opcode-rejected,task-never-completed', broken)).code).toBe(0);
    const zero = await runScsitrace('check', '--exit-zero', broken);
    expect(zero.code).toBe(0);
    expect(zero.stdout).toContain('ERROR   check-condition-without-sense  ×2');
  });

  it('--max-examples limits the examples shown, not the count', async () => {
    const r = await runScsitrace('check', '--max-examples', '1', broken);
    expect(r.stdout).toContain('×2');
    expect(r.stdout).toContain('… and 1 more');
  });

  it('applies a constraints file over the trace record and says so', async () => {
    const cfg = join(dir, '32bit.json');
    writeFileSync(cfg, JSON.stringify({ IOMaximumSegmentAddressableBitCount: 32 }));
    expect((await runScsitrace('check', highMemory)).code).toBe(0);
    const r = await runScsitrace('check', '-c', cfg, highMemory);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('segment-above-address-limit');
    expect(r.stdout).toMatch(/IOMaximumSegmentAddressableBitCount\s+32\s+config \(.*32bit\.json\); replaces 64 from the trace/);
  });

  it('exits 2 with the key named for a bad constraints file', async () => {
    const cfg = join(dir, 'bad.json');
    writeFileSync(cfg, JSON.stringify({ IOMaximumSegmentCountWrit: 4 }));
    const r = await runScsitrace('check', '-c', cfg, clean);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"IOMaximumSegmentCountWrit": unknown key; did you mean "IOMaximumSegmentCountWrite"?');
    expect(r.stdout).toBe('');
  });

  it('exits 2 on unknown rule ids and bad options', async () => {
    const r = await runScsitrace('check', '--rule', 'no-such-rule', clean);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown rule "no-such-rule"/);
    expect((await runScsitrace('check', '--fail-on', 'fatal', clean)).code).toBe(2);
    expect((await runScsitrace('check', '--max-examples', 'x', clean)).code).toBe(2);
    expect((await runScsitrace('check', join(dir, 'missing.sct'))).code).toBe(2);
  });

  it('exits 2 on damaged input, after reporting findings from the intact records', async () => {
    const r = await runScsitrace('check', damaged);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/at byte 0x[0-9a-f]+/);
    expect(r.stdout).toMatch(/tasks checked/);
  });

  it('writes JSON with a stable schema', async () => {
    const r = await runScsitrace('check', '--format', 'json', broken);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual([
      'schema',
      'files',
      'rules',
      'failOn',
      'findings',
      'findingsOmitted',
      'maxResults',
      'tasks',
      'verdict',
      'counts',
      'capture',
      'groups',
      'constraints',
      'luns',
    ]);
    expect(j.findings).toHaveLength(2);
    expect(j.findingsOmitted).toBe(0);
    expect(j.capture).toMatchObject({ complete: true, gaps: 0 });
    expect(j.schema).toBe('scsitrace.check/1');
    expect(j.verdict).toBe('fail');
    expect(j.groups[0]).toMatchObject({ ruleId: 'check-condition-without-sense', severity: 'error', subject: null, count: 2 });
    expect(Object.keys(j.groups[0].examples[0])).toEqual([
      'ruleId',
      'severity',
      'messageId',
      'message',
      'file',
      'taskId',
      'command',
      'timeNs',
      'offset',
      'record',
      'evidence',
    ]);
    expect(j.groups[0].examples[0]).toMatchObject({ file: broken, taskId: 1, command: 'TEST UNIT READY', record: 1 });
  });

  it('writes SARIF 2.1.0 with the trace as artifact, byte offsets as regions and rule docs as help', async () => {
    const r = await runScsitrace('check', '--format', 'sarif', broken);
    const s = JSON.parse(r.stdout);
    expect(s.version).toBe('2.1.0');
    expect(s.$schema).toMatch(/sarif-2\.1\.0/);
    const run = s.runs[0];
    expect(run.tool.driver.name).toBe('scsitrace');
    expect(run.tool.driver.rules).toHaveLength(allRules.length);
    const rule = run.tool.driver.rules[run.results[0].ruleIndex];
    expect(rule.id).toBe('check-condition-without-sense');
    expect(rule.defaultConfiguration.level).toBe('error');
    expect(rule.help.markdown).toMatch(/^# check-condition-without-sense/);
    expect(rule.fullDescription.text).toMatch(/CHECK CONDITION/);
    expect(run.artifacts[0].location.uri).toContain('broken.sct');
    expect(run.results).toHaveLength(2);
    const loc = run.results[0].locations[0].physicalLocation;
    expect(loc.artifactLocation.index).toBe(0);
    expect(loc.region.byteOffset).toBeGreaterThan(0);
    expect(run.results[0]).toMatchObject({ ruleId: 'check-condition-without-sense', level: 'error' });
    expect(run.results[0].message.text).toMatch(/^TEST UNIT READY: CHECK CONDITION with no sense data/);
  });

  it('maps info findings to SARIF note level', async () => {
    const t = join(dir, 'vendor.sct');
    writeFileSync(
      t,
      buildTraceBytes((b) => void b.task({ cdb: [0xc5, 0, 0, 0, 0, 0] })),
    );
    const s = JSON.parse((await runScsitrace('check', '--format', 'sarif', t)).stdout);
    expect(s.runs[0].results[0].level).toBe('note');
  });
});

describe('scsitrace rules', () => {
  it('lists every rule with its severity and description', async () => {
    const r = await runScsitrace('rules');
    expect(r.code).toBe(0);
    for (const rule of allRules) expect(r.stdout).toMatch(new RegExp(`${rule.meta.severity}\\s+${rule.meta.id}\\s+\\S`));
    expect(r.stdout).toContain('Cache and flush:');
    const j = JSON.parse((await runScsitrace('rules', '--format', 'json')).stdout);
    expect(j).toHaveLength(allRules.length);
  });
  it('prints one rule’s doc', async () => {
    const r = await runScsitrace('rules', 'segment-above-address-limit');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# segment-above-address-limit/);
    expect(r.stdout).toContain('## Fix');
  });
  it('suggests the nearest id for a typo', async () => {
    const r = await runScsitrace('rules', 'segment-above-adress-limit');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('did you mean "segment-above-address-limit"');
  });
});

describe('scsitrace constraints', () => {
  it('validates and explains the LSI 3108 example', async () => {
    const r = await runScsitrace('constraints', 'traces/lsi3108.constraints.json');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('traces/lsi3108.constraints.json: valid (3 keys)');
    expect(r.stdout).toMatch(/Writes: largest transfer 524288 bytes \(512 KiB\), set by IOMaximumByteCountWrite/);
    expect(r.stdout).toMatch(/129 segments with 4 KiB pages.*the HBA takes 129: fits/);
    expect(r.stdout).toMatch(/Addressing: 32-bit DMA; any segment ending above 0x100000000/);
  });
  it('lists every key without arguments', async () => {
    const r = await runScsitrace('constraints');
    expect(r.stdout).toContain('IOMaximumSegmentAddressableBitCount | kIOMaximumSegmentAddressableBitCountKey | addressBits');
  });
  it("reads a trace's own constraints record", async () => {
    const r = await runScsitrace('constraints', '--trace', highMemory, '--format', 'json');
    expect(JSON.parse(r.stdout).values.find((v: { id: string }) => v.id === 'addressBits')).toMatchObject({ value: 64, source: 'trace' });
  });
  it('exits 2 listing every problem of a bad file', async () => {
    const cfg = join(dir, 'bad2.json');
    writeFileSync(cfg, JSON.stringify({ IOMinimumSegmentAlignmentByteCount: 3, addressBits: 16 }));
    const r = await runScsitrace('constraints', cfg);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"IOMinimumSegmentAlignmentByteCount": 3 is not a power of two');
    expect(r.stderr).toContain('"addressBits": 16 address bits is outside 32-64');
  });
});

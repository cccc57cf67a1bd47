import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  constraintConfig,
  explainConstraints,
  loadConstraintFile,
  parseConstraintConfig,
  resolveConstraints,
} from '../../src/checks/constraints.js';
import { UsageError } from '../../src/model/errors.js';

const problems = (json: unknown) => parseConstraintConfig(json, 'x.json').problems.map((p) => `${p.key}: ${p.message}`);

describe('constraint configs', () => {
  it('accepts IOKit keys, C constant names and friendly names, case-insensitively', () => {
    const { config, problems: p } = parseConstraintConfig({
      IOMaximumSegmentCountWrite: 129,
      kIOMaximumByteCountWriteKey: '0x80000',
      addressbits: 32,
      'HBA Data Alignment': '0x0000FFFFFFFFFFFE',
      'SCSI Hierarchical Logical Unit Support': true,
      maxMappedDmaBytes: '1GiB',
      description: 'test',
    });
    expect(p).toEqual([]);
    expect(config.values).toEqual({
      maxSegmentCountWrite: 129,
      maxByteCountWrite: 0x80000,
      addressBits: 32,
      hbaDataAlignmentMask: 0x0000_ffff_ffff_fffen,
      hierarchicalLunSupport: true,
      maxMappedDmaBytes: 1 << 30,
    });
    expect(config.description).toBe('test');
  });

  it('names the key and the problem for every bad entry', () => {
    expect(problems({ IOMaximumSegmentCountWrit: 3 })).toEqual(['IOMaximumSegmentCountWrit: unknown key; did you mean "IOMaximumSegmentCountWrite"?']);
    expect(problems({ IOMaximumByteCountRead: 'lots' })[0]).toMatch(/^IOMaximumByteCountRead: expected a number .*got "lots"/);
    expect(problems({ IOMaximumByteCountRead: 1.5 })[0]).toMatch(/whole number/);
    expect(problems({ IOMaximumByteCountRead: -4 })[0]).toMatch(/must not be negative/);
    expect(problems({ IOMaximumByteCountRead: 0 })[0]).toMatch(/below the minimum of 1/);
    expect(problems({ writeCacheEnabled: 'maybe' })[0]).toMatch(/expected true or false/);
    expect(problems({ IOMinimumSegmentAlignmentByteCount: 24 })).toEqual(['IOMinimumSegmentAlignmentByteCount: 24 is not a power of two']);
    expect(problems({ IOMaximumSegmentAddressableBitCount: 31 })).toEqual(['IOMaximumSegmentAddressableBitCount: 31 address bits is outside 32-64']);
    expect(problems({ IOMaximumSegmentAddressableBitCount: 65 })).toEqual(['IOMaximumSegmentAddressableBitCount: 65 address bits is outside 32-64']);
    expect(problems({ 'HBA Data Alignment': '0xF0F0' })[0]).toMatch(/not a contiguous mask/);
    expect(problems({ 'HBA Data Alignment': 2 ** 60 })[0]).toMatch(/too large to be exact in JSON; write it as a hex string/);
    expect(problems({ IOMaximumSegmentCountRead: 4, kIOMaximumSegmentCountReadKey: 5 })).toEqual(['kIOMaximumSegmentCountReadKey: given twice (also as "IOMaximumSegmentCountRead")']);
    expect(problems([1, 2])[0]).toMatch(/must hold one JSON object/);
  });

  it('rejects a maximum byte count the segment limits can never reach', () => {
    expect(problems({ IOMaximumByteCountWrite: '0x100000', IOMaximumSegmentCountWrite: 16, IOMaximumSegmentByteCountWrite: 4096 })).toEqual([
      'IOMaximumByteCountWrite: 1048576 bytes can never be reached: 16 segments of at most 4096 bytes hold only 65536',
    ]);
    expect(problems({ powerTransitionWarnMs: 30000, powerTransitionErrorMs: 21000 })[0]).toMatch(/above the error limit/);
  });

  it('collects every problem into one UsageError for files', () => {
    expect(() => constraintConfig({ foo: 1, addressBits: 3 }, 'a.json')).toThrow(UsageError);
    try {
      constraintConfig({ foo: 1, addressBits: 3 }, 'a.json');
    } catch (e) {
      expect((e as Error).message.split('\n')).toHaveLength(2);
    }
  });

  it('resolves file over trace over default and says what replaced what', () => {
    const config = constraintConfig({ IOMaximumSegmentCountWrite: 129 }, 'lsi.json');
    const r = resolveConstraints(config, { IOMaximumSegmentCountWrite: 256, IOMaximumSegmentAddressableBitCount: 32, VendorThing: 'x', IOMaximumByteCountRead: 'bad' });
    const byId = Object.fromEntries(r.entries.map((e) => [e.id, e]));
    expect(byId['maxSegmentCountWrite']).toMatchObject({ value: 129, source: 'config', overrides: { value: 256, source: 'trace' } });
    expect(byId['addressBits']).toMatchObject({ value: 32, source: 'trace' });
    expect(byId['maxMappedDmaBytes']).toMatchObject({ value: 2 ** 31, source: 'default' });
    expect(r.unknownTraceKeys).toEqual(['VendorThing']);
    expect(r.traceProblems[0]).toMatch(/IOMaximumByteCountRead/);
    expect(r.configFile).toBe('lsi.json');
    expect(r.limits.maxSegmentCountWrite).toBe(129);
    expect(r.limits.maxSegmentCountRead).toBe(Infinity);
  });

  it('explains the LSI 3108 config: 512 KiB writes need exactly 129 scattered pages', () => {
    const r = resolveConstraints(loadConstraintFile('traces/lsi3108.constraints.json'));
    const x = explainConstraints(r.limits);
    const write = x.directions.find((d) => d.direction === 'write')!;
    expect(write.largestTransferBytes).toBe(0x80000);
    expect(write.worstCaseSegments4k).toBe(129);
    expect(write.worstCaseExceedsSegments).toBe(false);
    expect(x.needsBouncing).toBe(true);
    expect(x.addressLimitBytes).toBe(2 ** 32);
  });

  it('explains when page-scattered buffers cannot fit the segment limit', () => {
    const x = explainConstraints(resolveConstraints(constraintConfig({ IOMaximumByteCountRead: '1MiB', IOMaximumSegmentCountRead: 256 })).limits);
    const read = x.directions.find((d) => d.direction === 'read')!;
    expect(read.worstCaseSegments4k).toBe(257);
    expect(read.worstCaseExceedsSegments).toBe(true);
    expect(x.notes.join()).toMatch(/at most 1044480/);
  });

  it('ships example configs in traces/ that are all valid', () => {
    const files = readdirSync('traces').filter((f) => f.endsWith('.constraints.json'));
    expect(files).toContain('lsi3108.constraints.json');
    for (const f of files) {
      expect(() => loadConstraintFile(`traces/${f}`), f).not.toThrow();
      expect(JSON.parse(readFileSync(`traces/${f}`, 'utf8')).description, f).toBeTypeOf('string');
    }
  });

  it('reports a file that is not JSON with the parser message', () => {
    expect(() => loadConstraintFile('README.md')).toThrow(/README.md: not valid JSON/);
    expect(() => loadConstraintFile('no/such.json')).toThrow(/no such file/);
  });
});

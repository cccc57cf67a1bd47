import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CONSTRAINTS,
  constraintConfig,
  parseConstraintConfig,
  problemLines,
  resolveConstraints,
  spellings,
  type ConstraintNote,
} from '../../src/checks/constraints.js';
import { explainConstraints } from '../../src/checks/constraints-explain.js';
import { loadConstraintFile } from '../../src/checks/constraints-file.js';
import { UsageError } from '../../src/model/errors.js';

const problems = (json: unknown) => parseConstraintConfig(json, 'x.json').problems.map((p) => `${p.key}: ${p.message}`);
const notesOf = (values: Record<string, unknown>): ConstraintNote[] => resolveConstraints(constraintConfig(values)).notes;

describe('constraint configs', () => {
  it('accepts IOKit keys, C constant names, friendly names and aliases, case-insensitively', () => {
    const { config, problems: p } = parseConstraintConfig({
      IOMaximumSegmentCountWrite: 129,
      kIOMaximumByteCountWriteKey: '0x80000',
      addressbits: 32,
      'HBA Data Alignment': '0x0000FFFFFFFFFFFE',
      'SCSI Hierarchical Logical Unit Support': true,
      maxMappedDmaBytes: '1GiB',
      IOCommandPoolSize: 240,
      maxTransferSize: '512KiB',
      dmaAlignment: 4,
      numAddressBits: 64,
      writeCacheVolatile: false,
      platform: 'DEXT',
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
      maxTasksInFlight: 240,
      dmaMaxTransferSize: 0x80000,
      dmaAlignment: 4,
      dmaNumAddressBits: 64,
      writeCacheVolatile: false,
      platform: 'dext',
    });
    expect(config.description).toBe('test');
  });

  it('names the key and the problem for every bad entry', () => {
    expect(problems({ IOMaximumSegmentCountWrit: 3 })).toEqual(['IOMaximumSegmentCountWrit: unknown key']);
    expect(problemLines('x.json', parseConstraintConfig({ IOMaximumSegmentCountWrit: 3 }, 'x.json').problems)).toEqual([
      'x.json: "IOMaximumSegmentCountWrit": unknown key; did you mean "IOMaximumSegmentCountWrite"?',
    ]);
    expect(problems({ IOMaximumByteCountRead: 'lots' })[0]).toMatch(/^IOMaximumByteCountRead: expected a number .*got "lots"/);
    expect(problems({ IOMaximumByteCountRead: 1.5 })[0]).toMatch(/whole number/);
    expect(problems({ IOMaximumByteCountRead: -4 })[0]).toMatch(/must not be negative/);
    expect(problems({ IOMaximumByteCountRead: 0 })[0]).toMatch(/below the minimum of 1/);
    expect(problems({ writeCacheEnabled: 'maybe' })[0]).toMatch(/expected true or false/);
    expect(problems({ platform: 'windows' })).toEqual(['platform: expected one of dext, kext, linux, got "windows"']);
    expect(problems({ IOMinimumSegmentAlignmentByteCount: 24 })).toEqual(['IOMinimumSegmentAlignmentByteCount: 24 is not a power of two']);
    expect(problems({ IOMinimumSegmentAlignmentByteCount: 3 * 2 ** 32 })).toEqual([`IOMinimumSegmentAlignmentByteCount: ${3 * 2 ** 32} is not a power of two`]);
    expect(problems({ IOMaximumSegmentAddressableBitCount: 31 })).toEqual(['IOMaximumSegmentAddressableBitCount: 31 address bits is outside 32-64']);
    expect(problems({ IOMaximumSegmentAddressableBitCount: 65 })).toEqual(['IOMaximumSegmentAddressableBitCount: 65 address bits is outside 32-64']);
    expect(problems({ dmaNumAddressBits: 8 })).toEqual(['dmaNumAddressBits: 8 address bits is outside 12-64']);
    expect(problems({ dmaNumAddressBits: 0 })[0]).toMatch(/0 stands for 64 bits with a 64-bit segment type and 32 with a 32-bit one/);
    expect(problems({ 'HBA Data Alignment': '0xF0F0' })[0]).toMatch(/not a contiguous mask/);
    expect(problems({ 'HBA Data Alignment': 2 ** 60 })[0]).toMatch(/too large to be exact in JSON; write it as a hex string/);
    expect(problems({ IOMaximumSegmentCountRead: 4, kIOMaximumSegmentCountReadKey: 5 })).toEqual([
      'kIOMaximumSegmentCountReadKey: given twice (also as "IOMaximumSegmentCountRead")',
    ]);
    expect(problems([1, 2])[0]).toMatch(/must hold one JSON object, got a list of 2/);
  });

  it('says what is missing instead of "undefined"', () => {
    const p = problems({ IOMaximumByteCountRead: undefined, writeCacheEnabled: undefined });
    expect(p).toEqual(['IOMaximumByteCountRead: no value given', 'writeCacheEnabled: no value given']);
    expect(p.join()).not.toMatch(/undefined/);
  });

  it('collects every problem into one UsageError for configs built in code', () => {
    expect(() => constraintConfig({ foo: 1, addressBits: 3 }, 'a.json')).toThrow(UsageError);
    try {
      constraintConfig({ foo: 1, addressBits: 3 }, 'a.json');
    } catch (e) {
      expect((e as Error).message.split('\n')).toHaveLength(2);
    }
  });

  it('accepts 0 for the DMA specification where IODMACommand gives 0 a meaning', () => {
    const r = resolveConstraints(constraintConfig({ dmaMaxTransferSize: 0, dmaAlignment: 0 }));
    expect(r.limits.dmaMaxTransferSize).toBe(Infinity);
    expect(r.limits.dmaAlignment).toBe(1);
  });
});

describe('quoting is bounded (issue 11: constraints files)', () => {
  it('quotes at most a short excerpt of a huge value, with its length', () => {
    const lines = problemLines('big.json', parseConstraintConfig({ IOMaximumByteCountRead: 'x'.repeat(500_000) }, 'big.json').problems);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.length).toBeLessThan(200);
    expect(lines[0]).toContain('(500000 characters)');
  });

  it('quotes at most a short excerpt of a huge key, and suggests nothing for it', () => {
    const key = 'IOMaximumSegmentCountWrite'.repeat(120_000); // ~3 MB
    const lines = problemLines('big.json', [{ key, message: 'unknown key' }]);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.length).toBeLessThan(200);
    expect(lines[0]).not.toContain('did you mean');
    expect(lines[0]).toContain(`(${key.length} characters)`);
  });

  it('lists at most 20 problems of 200,000 unknown keys, then counts the rest', () => {
    const json: Record<string, number> = {};
    for (let i = 0; i < 200_000; i++) json[`IOMaximumSegmentCountWrit${i}`] = i;
    const { problems: p } = parseConstraintConfig(json, 'many.json');
    expect(p).toHaveLength(200_000);
    const lines = problemLines('many.json', p);
    expect(lines).toHaveLength(21);
    expect(lines[20]).toBe('many.json: … and 199980 more problems (200000 in all)');
  });

  it('caps what a trace constraints record lists', () => {
    const entries: Record<string, number | string> = {};
    for (let i = 0; i < 5000; i++) entries[`Vendor${i}`] = i;
    for (let i = 0; i < 50; i++) entries[`IOMaximumByteCountRead${'_'.repeat(i)}`] = 1;
    entries['IOMaximumSegmentCountRead'] = 'y'.repeat(100_000);
    const r = resolveConstraints(undefined, entries);
    expect(r.unknownTraceKeys).toHaveLength(20);
    expect(r.unknownTraceKeyCount).toBe(5049); // the first underscored key is a known one
    expect(r.traceProblems.join('\n').length).toBeLessThan(400);
  });
});

describe('resolution', () => {
  it('resolves file over trace over default and says what replaced what', () => {
    const config = constraintConfig({ IOMaximumSegmentCountWrite: 129 }, 'lsi.json');
    const r = resolveConstraints(config, {
      IOMaximumSegmentCountWrite: 256,
      IOMaximumSegmentAddressableBitCount: 32,
      VendorThing: 'x',
      IOMaximumByteCountRead: 'bad',
    });
    const byId = Object.fromEntries(r.entries.map((e) => [e.id, e]));
    expect(byId['maxSegmentCountWrite']).toMatchObject({ value: 129, source: 'config', overrides: { value: 256, source: 'trace' } });
    expect(byId['addressBits']).toMatchObject({ value: 32, source: 'trace' });
    expect(r.unknownTraceKeys).toEqual(['VendorThing']);
    expect(r.traceProblems[0]).toMatch(/IOMaximumByteCountRead/);
    expect(r.configFile).toBe('lsi.json');
    expect(r.limits.maxSegmentCountWrite).toBe(129);
    expect(r.limits.maxSegmentCountRead).toBe(Infinity);
  });

  it('sets no DMA mapping budget unless asked: no Apple source sets one (issue 10 §4)', () => {
    const r = resolveConstraints();
    expect(r.entries.find((e) => e.id === 'maxMappedDmaBytes')).toBeUndefined();
    expect(r.limits.maxMappedDmaBytes).toBe(Infinity);
    expect(resolveConstraints(constraintConfig({ maxMappedDmaBytes: '2GiB' })).limits.maxMappedDmaBytes).toBe(2 ** 31);
  });

  it('leaves the write cache volatility unknown unless set', () => {
    expect(resolveConstraints().limits.writeCacheVolatile).toBeUndefined();
    expect(resolveConstraints(constraintConfig({ writeCacheVolatile: 'no' })).limits.writeCacheVolatile).toBe(false);
    expect(resolveConstraints(undefined, { writeCacheVolatile: true }).limits.writeCacheVolatile).toBe(true);
  });

  it('documents every key, every spelling and every Limits field in docs/constraints.md', () => {
    const doc = readFileSync('docs/constraints.md', 'utf8');
    for (const c of CONSTRAINTS) for (const name of spellings(c)) expect(doc, name).toContain(`\`${name}\``);
    const limitsTable = doc.slice(doc.indexOf('| `Limits` field |'), doc.indexOf('A range is addressable'));
    for (const field of Object.keys(resolveConstraints().limits)) {
      const named =
        limitsTable.includes(`\`${field}\``) ||
        (/^(maxSegmentCount|maxSegmentByteCount|maxByteCount|maxBlockCount)(Read|Write)$/.test(field) &&
          limitsTable.includes(`\`${field.replace(/(Read|Write)$/, '')}{Read,Write}\``));
      const other = /^(logicalBlockSize|capacityBlocks|taskTimeoutMs|powerTransition(Warn|Error)Ms|syncCacheFastThresholdUs)$/.test(field);
      expect(named || other, field).toBe(true);
    }
  });

  it('exports every table key to Limits (rules read them there)', () => {
    const limits = resolveConstraints().limits as unknown as Record<string, unknown>;
    for (const c of CONSTRAINTS) if (c.id !== 'hbaDataAlignmentMask') expect(Object.keys(limits), c.id).toContain(c.id);
  });
});

describe('contradictions (notes, never fatal)', () => {
  it('a maximum byte count the segment limits can never reach', () => {
    const n = notesOf({ IOMaximumByteCountWrite: '0x100000', IOMaximumSegmentCountWrite: 16, IOMaximumSegmentByteCountWrite: 4096 });
    expect(n).toEqual([
      {
        severity: 'contradiction',
        keys: ['IOMaximumByteCountWrite', 'IOMaximumSegmentCountWrite', 'IOMaximumSegmentByteCountWrite'],
        message: 'IOMaximumByteCountWrite 1048576 can never be reached: 16 elements of at most 4096 bytes hold only 65536',
      },
    ]);
    expect(notesOf({ powerTransitionWarnMs: 30000, powerTransitionErrorMs: 21000 })[0]!.message).toMatch(/above the error limit/);
  });

  it('32 addressable bits but a DMA specification with 64: IOVM addresses above 4 GiB', () => {
    const [n] = notesOf({ IOMaximumSegmentAddressableBitCount: 32, dmaNumAddressBits: 64 });
    expect(n!.severity).toBe('contradiction');
    expect(n!.message).toMatch(/numAddressBits 64.*may lie above 4 GiB, which the HBA cannot reach/);
    expect(notesOf({ IOMaximumSegmentAddressableBitCount: 32, dmaNumAddressBits: 32 })).toEqual([]);
    expect(notesOf({ IOMaximumSegmentAddressableBitCount: 64, dmaNumAddressBits: 32 })[0]!.severity).toBe('note');
  });

  it('a byte limit above the DMA specification’s maxTransferSize: those tasks fail to map', () => {
    const [n] = notesOf({ IOMaximumByteCountRead: '1MiB', dmaMaxTransferSize: '512KiB' });
    expect(n).toMatchObject({ severity: 'contradiction', keys: ['IOMaximumByteCountRead', 'dmaMaxTransferSize'] });
    expect(n!.message).toMatch(/kIOReturnNoSpace/);
  });

  it('HBA data that may be allocated where the HBA cannot reach it', () => {
    const [n] = notesOf({ 'HBA Data Alignment': '0xFFFFFFFFFFFFFFFC', IOMaximumSegmentAddressableBitCount: 32 });
    expect(n).toMatchObject({ severity: 'contradiction', keys: ['HBA Data Alignment', 'IOMaximumSegmentAddressableBitCount'] });
    expect(notesOf({ 'HBA Data Alignment': '0x00000000FFFFFFFC', IOMaximumSegmentAddressableBitCount: 32 })).toEqual([]);
  });

  it('a DMA alignment above the segment alignment means copies', () => {
    const [n] = notesOf({ dmaAlignment: 512 });
    expect(n).toMatchObject({ severity: 'note' });
    expect(n!.message).toMatch(/double-buffered/);
  });
});

describe('explanation', () => {
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
    const x = explainConstraints(
      resolveConstraints(constraintConfig({ IOMaximumByteCountRead: '1MiB', IOMaximumSegmentCountRead: 256, platform: 'kext' })).limits,
    );
    const read = x.directions.find((d) => d.direction === 'read')!;
    expect(read.worstCaseSegments4k).toBe(257);
    expect(read.worstCaseExceedsSegments).toBe(true);
    expect(x.notes.join()).toMatch(/at most 1044480/);
  });

  it('for a dext: one IOVM range split by the SGL builder, no page-scatter view', () => {
    const r = resolveConstraints(
      constraintConfig({
        platform: 'dext',
        IOMaximumByteCountWrite: '512KiB',
        IOMaximumSegmentCountWrite: 128,
        IOMaximumSegmentByteCountWrite: 4096,
        dmaNumAddressBits: 64,
        IOMaximumSegmentAddressableBitCount: 32,
        IOCommandPoolSize: 64,
        dmaMaxTransferSize: '512KiB',
      }),
    );
    const x = explainConstraints(r.limits, { given: new Set(r.entries.map((e) => e.id)) });
    expect(x.views).toEqual(['driverkit']);
    const write = x.directions.find((d) => d.direction === 'write')!;
    expect(write.sglElements).toBe(128);
    // 128 elements fill the HBA's 128; a range that straddles 4 GiB needs one more.
    expect(x.iovaMayCross4GiB).toBe(true);
    expect(write.sglExceedsSegments).toBe(true);
    expect(x.iovaMayExceedHba).toBe(true);
    expect(x.mappingCeilingBytes).toBe(64 * 512 * 1024);
  });

  it('the eight UserReportHBAConstraints keys: seven required, the hierarchical-LUN key optional (the .iig)', () => {
    const keys = CONSTRAINTS.filter((c) => c.origin === 'UserReportHBAConstraints');
    expect(keys.map((c) => [c.constantName, c.hbaConstraints])).toEqual([
      ['kIOMaximumSegmentCountReadKey', 'required'],
      ['kIOMaximumSegmentCountWriteKey', 'required'],
      ['kIOMaximumSegmentByteCountReadKey', 'required'],
      ['kIOMaximumSegmentByteCountWriteKey', 'required'],
      ['kIOMinimumSegmentAlignmentByteCountKey', 'required'],
      ['kIOMaximumSegmentAddressableBitCountKey', 'required'],
      ['kIOMinimumHBADataAlignmentMaskKey', 'required'],
      ['kIOHierarchicalLogicalUnitSupportKey', 'optional'],
    ]);
    expect(CONSTRAINTS.filter((c) => c.hbaConstraints !== undefined).length).toBe(8);
    // A dext includes SCSIControllerDriverKit's SCSIDefinitions.h for the last two, a kext IOSCSIParallelControllerCharacteristics.h.
    for (const c of keys.slice(6)) expect(c.header).toMatch(/SCSIDefinitions\.h.*IOSCSIParallelControllerCharacteristics\.h/);
  });

  it('for a dext: names the required UserReportHBAConstraints keys the config lacks', () => {
    const r = resolveConstraints(constraintConfig({ platform: 'dext', IOMaximumSegmentAddressableBitCount: 32, IOMaximumSegmentCountWrite: 129 }));
    const x = explainConstraints(r.limits, { given: new Set(r.entries.map((e) => e.id)) });
    expect(x.requiredHbaConstraintsMissing).toEqual([
      'IOMaximumSegmentCountRead',
      'IOMaximumSegmentByteCountRead',
      'IOMaximumSegmentByteCountWrite',
      'IOMinimumSegmentAlignmentByteCount',
      'HBA Data Alignment',
    ]);
    const all = resolveConstraints(
      constraintConfig({
        platform: 'dext',
        IOMaximumSegmentCountRead: 129,
        IOMaximumSegmentCountWrite: 129,
        IOMaximumSegmentByteCountRead: 4096,
        IOMaximumSegmentByteCountWrite: 4096,
        IOMinimumSegmentAlignmentByteCount: 4,
        IOMaximumSegmentAddressableBitCount: 32,
        'HBA Data Alignment': '0x00000000FFFFFFFC',
      }),
    );
    expect(explainConstraints(all.limits, { given: new Set(all.entries.map((e) => e.id)) }).requiredHbaConstraintsMissing).toEqual([]);
    // Not a dext: the dictionary is a DriverKit (or kext base-class) matter, not Linux's.
    expect(explainConstraints(resolveConstraints(constraintConfig({ platform: 'linux' })).limits).requiredHbaConstraintsMissing).toEqual([]);
  });

  it('uses Apple’s 65535-block default only on Apple platforms', () => {
    const dext = explainConstraints(resolveConstraints(constraintConfig({ platform: 'dext' })).limits);
    expect(dext.directions[0]!.largestTransferBytes).toBe(65535 * 512);
    expect(dext.directions[0]!.appleBlockDefault).toBe(true);
    const linux = explainConstraints(resolveConstraints(constraintConfig({ platform: 'linux' })).limits);
    expect(linux.directions[0]!.largestTransferBytes).toBeUndefined();
    expect(linux.views).toEqual(['page-scatter']);
  });

  it('infers a dext from DMA-specification keys and shows both views when nothing tells', () => {
    expect(explainConstraints(resolveConstraints(constraintConfig({ dmaNumAddressBits: 40 })).limits)).toMatchObject({
      platform: 'dext',
      platformSource: 'inferred',
    });
    expect(explainConstraints(resolveConstraints().limits)).toMatchObject({ platformSource: 'unknown', views: ['driverkit', 'page-scatter'] });
    expect(explainConstraints(resolveConstraints().limits, { platform: 'kext' })).toMatchObject({
      platform: 'kext',
      platformSource: 'set',
      views: ['page-scatter'],
    });
  });

  it('ships example configs in traces/ that are all valid', () => {
    const files = readdirSync('traces').filter((f) => f.endsWith('.constraints.json'));
    expect(files).toContain('lsi3108.constraints.json');
    for (const f of files) {
      expect(() => loadConstraintFile(`traces/${f}`), f).not.toThrow();
      expect(JSON.parse(readFileSync(`traces/${f}`, 'utf8')).description, f).toBeTypeOf('string');
    }
  });
});

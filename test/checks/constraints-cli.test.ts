/** `scsitrace constraints` and `check -c` with every form of constraints file. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScsitrace } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'scsitrace-constraints-cli-'));
const PLIST = 'traces/lsi3108-dext.ioreg.plist';
const TEXT = 'traces/two-hbas.ioreg.txt';
const DMA = 'traces/lsi3108-dext-dma.constraints.json';

describe('scsitrace constraints, by platform', () => {
  it('explains a dext from its ioreg dump: one IOVM range, what the SGL builder must handle; no page-scatter view', async () => {
    const r = await runScsitrace('constraints', PLIST);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`${PLIST}: valid (14 keys)`);
    expect(r.stdout).toContain('Platform: dext (DriverKit)');
    expect(r.stdout).toContain('Each task: ONE IOVM range, fBufferIOVMAddr for fRequestedTransferCount bytes');
    expect(r.stdout).toMatch(
      /writes: split a range of up to 512 KiB into 128 elements of at most 4096 bytes \(IOMaximumSegmentByteCountWrite\); the HBA takes 129: fits/,
    );
    expect(r.stdout).toMatch(/Addresses: unknown: .*dmaNumAddressBits/);
    expect(r.stdout).toContain('Not given, so not explained: dmaNumAddressBits, dmaMaxTransferSize');
    expect(r.stdout).not.toContain('page-scattered');
    expect(r.stdout).toMatch(
      /IOMaximumByteCountRead\s+524288 \(0x80000\)\s+from traces\/lsi3108-dext\.ioreg\.plist: IOSCSIPeripheralDeviceType00 \(line \d+\)/,
    );
  });

  it('exits 1 and names the contradiction when the DMA specification maps above what the HBA reaches', async () => {
    const r = await runScsitrace('constraints', PLIST, DMA);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Addresses: below 2\^64 \(numAddressBits 64\), but the HBA reaches only below 0x100000000 \(4 GiB\)/);
    expect(r.stdout).toMatch(/^Contradiction: IOMaximumSegmentAddressableBitCount 32 but the DMA specification's numAddressBits 64/m);
    expect(r.stdout).toContain('split at a 4 GiB boundary if an element may not cross one: with 64-bit IOVM addresses a range can straddle 0x100000000');
    const j = JSON.parse((await runScsitrace('constraints', PLIST, DMA, '--format', 'json')).stdout);
    expect(j.contradictions).toBe(1);
    expect(j.notes.find((n: { severity: string }) => n.severity === 'contradiction').keys).toEqual([
      'IOMaximumSegmentAddressableBitCount',
      'dmaNumAddressBits',
    ]);
    expect(j.explanation).toMatchObject({ platform: 'dext', views: ['driverkit'], iovaMayExceedHba: true, mappingCeilingBytes: 240 * 524288 });
  });

  it('explains a kext HBA from ioreg text with the page-scatter view, and says it chose the first controller', async () => {
    const r = await runScsitrace('constraints', TEXT);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Platform: kext');
    expect(r.stdout).toMatch(/worst-case page-scattered buffer of that size: 257 segments with 4 KiB pages.*the HBA takes only 256/);
    expect(r.stdout).not.toContain('IOVM range');
    expect(r.stdout).toMatch(/Note: the dump has 2 SCSI controllers; used the first/);
  });

  it('picks another controller with --controller, and exits 2 in one line when none matches', async () => {
    const r = await runScsitrace('constraints', TEXT, '--controller', 'LSI3108Controller');
    expect(r.stdout).toContain('Platform: dext (DriverKit)');
    const bad = await runScsitrace('constraints', TEXT, '--controller', 'nope');
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/no controller here matches --controller "nope"/);
  });

  it('--platform overrides the platform key; Linux gets no Apple defaults', async () => {
    const r = await runScsitrace('constraints', 'traces/generic-64bit.constraints.json', '--platform', 'linux');
    expect(r.stdout).toContain('Platform: Linux');
    expect(r.stdout).not.toContain('IOVM');
    expect(r.stdout).not.toContain("Apple's default");
  });

  it('shows both views, labelled, when the platform is not known', async () => {
    const r = await runScsitrace('constraints', 'traces/lsi3108.constraints.json');
    expect(r.stdout).toContain('Platform: not given');
    expect(r.stdout).toContain('If the driver is a dext (DriverKit): what the framework hands it');
    expect(r.stdout).toContain('If the driver is a kext or a Linux driver: page-scattered buffers');
  });

  it('says no DMA mapping budget is set unless one is given', async () => {
    expect((await runScsitrace('constraints', 'traces/generic-64bit.constraints.json')).stdout).toContain(
      'DMA mapping budget: none set (no Apple source sets one; maxMappedDmaBytes is opt-in)',
    );
    const cfg = join(dir, 'budget.json');
    writeFileSync(cfg, '{"maxMappedDmaBytes": "2GiB"}');
    expect((await runScsitrace('constraints', cfg)).stdout).toContain('DMA mapping budget (opt-in maxMappedDmaBytes): 2 GiB across all tasks in flight');
  });

  it('lists each key with who sets it, its header and Apple’s default', async () => {
    const r = await runScsitrace('constraints');
    expect(r.stdout).toContain('dmaNumAddressBits | numAddressBits');
    expect(r.stdout).toMatch(
      /set by: UserGetDMASpecification; header: IOUserSCSIParallelInterfaceController\.iig; Apple's default: 32 \(kext base class\); a dext must return it/,
    );
    // IOCommandPoolSize is the registry property (kIOCommandPoolSizeKey, IOKitKeys.h) a trace's record carries: shown by that name.
    expect(r.stdout).toMatch(/IOCommandPoolSize \| kIOCommandPoolSizeKey \| maxTasksInFlight/);
    const seed = await runScsitrace('constraints', '--trace', 'traces/lsi3108-buffered-copy.sct');
    expect(seed.stdout).toMatch(/^ {2}IOCommandPoolSize\s+240\s+trace$/m);
  });

  it('says which UserReportHBAConstraints keys are required, and which a dext config lacks', async () => {
    const keys = await runScsitrace('constraints');
    expect(keys.stdout).toMatch(/set by: UserReportHBAConstraints \(required\); header: SCSIControllerDriverKit\/SCSIDefinitions\.h/);
    expect(keys.stdout).toMatch(/set by: UserReportHBAConstraints \(optional\)/);
    // A registry dump never shows HBA Data Alignment: the line says so rather than blaming the driver.
    const dump = await runScsitrace('constraints', 'traces/lsi3108-dext.ioreg.plist');
    expect(dump.stdout).toContain(
      'UserReportHBAConstraints requires 7 keys (a dext that leaves one out panics the system); not in this config: HBA Data Alignment (never published in the registry: add it in a JSON file)',
    );
    const full = await runScsitrace('constraints', 'traces/lsi3108-dext.ioreg.plist', 'traces/lsi3108-dext-dma.constraints.json');
    expect(full.stdout).not.toContain('UserReportHBAConstraints requires');
  });

  it('exits 2 with at most 20 short problem lines and a count for a file of 5,000 bad keys', async () => {
    const json: Record<string, string> = {};
    for (let i = 0; i < 5000; i++) json[`Vendor${i}`] = 'v'.repeat(1000);
    const cfg = join(dir, 'many.json');
    writeFileSync(cfg, JSON.stringify(json));
    const r = await runScsitrace('constraints', cfg);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(21);
    expect(lines[20]).toContain('… and 4980 more problems (5000 in all)');
    for (const l of lines) expect(l.length).toBeLessThan(200);
  });
});

describe('check -c with ioreg dumps', () => {
  it('reads an ioreg plist and a JSON file together, and puts the contradiction in the constraints section', async () => {
    const r = await runScsitrace('check', '-c', PLIST, '-c', DMA, 'traces/healthy-copy.sct');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      /IOMaximumSegmentAddressableBitCount\s+32\s+config \(traces\/lsi3108-dext\.ioreg\.plist: LSI3108Controller\); replaces 64 from the trace/,
    );
    expect(r.stdout).toMatch(/dmaNumAddressBits\s+64\s+config \(traces\/lsi3108-dext-dma\.constraints\.json\)/);
    expect(r.stdout).toMatch(/^ {2}Contradiction: IOMaximumSegmentAddressableBitCount 32 but the DMA specification's numAddressBits 64/m);
    const j = JSON.parse((await runScsitrace('check', '-c', PLIST, '-c', DMA, '--format', 'json', 'traces/healthy-copy.sct')).stdout);
    expect(j.constraints.notes.some((n: { severity: string }) => n.severity === 'contradiction')).toBe(true);
  });

  it('diff takes the same files: both traces are checked against the dump', async () => {
    const [base, cand] = ['traces/copy-dext.sct', 'traces/copy-dext-fixed.sct'];
    expect((await runScsitrace('diff', base, cand)).stdout).not.toContain('new error: segment-above-address-limit');
    // The fixed port's 64-bit SGL elements above 4 GiB, judged against the 32 bits the dump declares.
    const r = await runScsitrace('diff', '-c', PLIST, '-c', DMA, base, cand);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('new error: segment-above-address-limit');
  });

  it('reads ioreg text with --controller', async () => {
    const r = await runScsitrace('check', '-c', TEXT, '--controller', '0x100000a31', '--format', 'json', 'traces/healthy-copy.sct');
    const values = JSON.parse(r.stdout).constraints.values as Array<{ id: string; value: unknown; source: string }>;
    expect(values.find((v) => v.id === 'platform')).toMatchObject({ value: 'dext', source: 'config' });
    expect(values.find((v) => v.id === 'maxTasksInFlight')).toMatchObject({ value: 240 });
  });

  it('summary takes the same files', async () => {
    const r = await runScsitrace('summary', '--format', 'json', '-c', TEXT, '--controller', 'LSI3108Controller', 'traces/healthy-copy.sct');
    expect(JSON.parse(r.stdout).limits).toMatchObject({ IOMaximumByteCountWrite: 524288, IOMaximumSegmentCountWrite: 129 });
  });

  it('exits 2 naming the byte offset for a damaged dump', async () => {
    const cfg = join(dir, 'cut.plist');
    writeFileSync(
      cfg,
      '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<array>\n\t<dict>\n\t\t<key>IOObjectClass</key>\n\t\t<string>IOUserSCSIParallelInterfaceController',
    );
    const r = await runScsitrace('check', '-c', cfg, 'traces/healthy-copy.sct');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/cut\.plist: at byte 0x[0-9a-f]+ \(line 6\): ioreg -a plist: <string> is never closed/);
  });
});

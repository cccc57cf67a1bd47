/**
 * Constraints files of every form, detected from content: JSON (with byte offsets in every
 * message), `ioreg -a` XML and `ioreg -l` text. Samples: traces/lsi3108-dext.ioreg.plist (one
 * dext controller) and traces/two-hbas.ioreg.txt (a kext HBA, then the same dext).
 */
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConstraints } from '../../src/checks/constraints.js';
import { detectConstraintsFile, loadConstraintFile, loadConstraintFiles, MAX_CONSTRAINTS_FILE_BYTES } from '../../src/checks/constraints-file.js';
import { registryFromPlist } from '../../src/checks/ioreg/plist.js';
import { registryFromText } from '../../src/checks/ioreg/text.js';
import { UsageError } from '../../src/model/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'scsitrace-constraints-'));
const PLIST = 'traces/lsi3108-dext.ioreg.plist';
const TEXT = 'traces/two-hbas.ioreg.txt';

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
}

/** What the LSI 3108 dext publishes, in both samples. */
const DEXT_VALUES = {
  maxSegmentCountRead: 129,
  maxSegmentCountWrite: 129,
  maxSegmentByteCountRead: 4096,
  maxSegmentByteCountWrite: 4096,
  maxByteCountRead: 524288,
  maxByteCountWrite: 524288,
  maxBlockCountRead: 1024,
  maxBlockCountWrite: 1024,
  minSegmentAlignment: 4,
  addressBits: 32,
  maxTasksInFlight: 240,
  logicalBlockSize: 512,
  capacityBlocks: 3905945600,
  platform: 'dext',
};

describe('content detection', () => {
  it('tells JSON, ioreg XML and ioreg text apart whatever the file is called', () => {
    expect(detectConstraintsFile(readFileSync('traces/lsi3108.constraints.json', 'utf8'))).toBe('json');
    expect(detectConstraintsFile(readFileSync(PLIST, 'utf8'))).toBe('ioreg-plist');
    expect(detectConstraintsFile(readFileSync(TEXT, 'utf8'))).toBe('ioreg-text');
    const renamed = file('hba.json', readFileSync(PLIST));
    expect(loadConstraintFile(renamed).values.platform).toBe('dext');
  });

  it('refuses anything else with one line saying what it expected', () => {
    expect(errorOf(() => loadConstraintFile(file('x.txt', 'hello world\n')))).toMatch(
      /x\.txt: not a constraints file: expected a JSON object, ioreg -a XML or ioreg -l text; it starts with "hello world\\n"/,
    );
    expect(errorOf(() => loadConstraintFile(file('empty', '')))).toMatch(/it starts with nothing \(the file is empty\)/);
    expect(errorOf(() => loadConstraintFile(file('b.plist', Buffer.from('bplist00\x00\x01binary'))))).toMatch(/binary property list.*plutil -convert xml1/);
    expect(errorOf(() => loadConstraintFile(file('latin1.json', Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d]))))).toMatch(
      /latin1\.json: at byte 0x2: not UTF-8 text/,
    );
    expect(errorOf(() => loadConstraintFile(join(dir, 'missing.json')))).toMatch(/no such file/);
  });

  it('refuses a file larger than any constraints file without reading it', () => {
    const path = file('huge.json', '{}');
    truncateSync(path, MAX_CONSTRAINTS_FILE_BYTES + 1);
    expect(errorOf(() => loadConstraintFile(path))).toMatch(/larger than a constraints file can be/);
  });
});

describe('JSON constraints files', () => {
  it('names the byte offset and line of a bad key', () => {
    const path = file('typo.json', '{\n  "IOMaximumSegmentCountWrite": 129,\n  "IOMaximumSegmentCountWrit": 4\n}\n');
    expect(errorOf(() => loadConstraintFile(path))).toBe(
      `${path}: at byte 0x29 (line 3): "IOMaximumSegmentCountWrit": unknown key; did you mean "IOMaximumSegmentCountWrite"?`,
    );
  });

  it('catches a key given twice in the file, which JSON.parse would silently drop', () => {
    const path = file('twice.json', '{"IOMaximumByteCountRead": 4096, "IOMaximumByteCountRead": 8192}');
    expect(errorOf(() => loadConstraintFile(path))).toMatch(/at byte 0x21 \(line 1\): "IOMaximumByteCountRead": given twice/);
  });

  it('reports syntax errors with offset and line, in one short line', () => {
    const msg = errorOf(() => loadConstraintFile(file('syntax.json', '{"a": 1,\n "b": x' + 'y'.repeat(10_000) + '}')));
    expect(msg).toMatch(/syntax\.json: at byte 0xf \(line 2\): not valid JSON: expected a value, found "xyyyyyyyyyyy"…/);
    expect(msg.split('\n')).toHaveLength(1);
    expect(msg.length).toBeLessThan(200);
    expect(errorOf(() => loadConstraintFile(file('open.json', '{"IOMaximumByteCountRead": 4096')))).toMatch(
      /at byte 0x1f \(line 1\): not valid JSON: unexpected end of file inside an object/,
    );
  });

  it('refuses nesting 500,000 deep without overflowing the stack', () => {
    const msg = errorOf(() => loadConstraintFile(file('deep.json', '{"a":' + '['.repeat(500_000) + ']'.repeat(500_000) + '}')));
    expect(msg).toMatch(/deep\.json: at byte 0x[0-9a-f]+ \(line 1\): not valid JSON: nested deeper than 64 levels/);
  });

  it('reads a 64-bit mask written as a plain number exactly', () => {
    const config = loadConstraintFile(file('mask.json', '{"HBA Data Alignment": 18446744073709551614}'));
    expect(config.values.hbaDataAlignmentMask).toBe(0xffff_ffff_ffff_fffen);
  });

  it('reads a file that starts with a byte-order mark', () => {
    expect(loadConstraintFile(file('bom.json', '\uFEFF{"addressBits": 40}')).values.addressBits).toBe(40);
  });

  it('says "a list" for a file holding an array', () => {
    expect(errorOf(() => loadConstraintFile(file('arr.json', '[1,2,3]')))).toMatch(/must hold one JSON object, got a list of 3/);
  });
});

describe('ioreg -a (XML property list)', () => {
  it('reads the dext controller, its disk object and its media', () => {
    const config = loadConstraintFile(PLIST);
    expect(config.values).toEqual(DEXT_VALUES);
    expect(config.description).toMatch(/LSI3108Controller \(IOUserSCSIParallelInterfaceController, id 0x100000a31, SCSI domain 2/);
    expect(config.origin?.maxByteCountRead).toMatch(/^traces\/lsi3108-dext\.ioreg\.plist: IOSCSIPeripheralDeviceType00 \(line \d+\)$/);
    expect(config.origin?.maxSegmentCountRead).toBe(`${PLIST}: LSI3108Controller`);
    expect(config.notes!.join('\n')).toMatch(/not in the registry: UserGetDMASpecification.*"HBA Data Alignment"/);
  });

  it('keeps the registry tree: names, locations, classes, ids', () => {
    const [root] = registryFromPlist(readFileSync(PLIST, 'utf8'));
    expect(root).toMatchObject({ name: 'LSI3108Controller', className: 'IOUserSCSIParallelInterfaceController', id: 0x100000a31n });
    const device = root!.children[0]!;
    expect(device).toMatchObject({ name: 'IOSCSIParallelInterfaceDevice', location: '0', className: 'IOSCSIParallelInterfaceDevice' });
    expect(device.parent).toBe(root);
  });

  it('follows ioreg -t output, where an ancestor holds its child as a dictionary', () => {
    const plist = readFileSync(PLIST, 'utf8');
    const body = plist.slice(plist.indexOf('<array>') + '<array>'.length, plist.lastIndexOf('</array>'));
    const withParent =
      plist.slice(0, plist.indexOf('<array>')) +
      '<dict>\n<key>IORegistryEntryName</key><string>pci1000,5d@0</string>\n<key>IOObjectClass</key><string>IOPCIDevice</string>\n<key>IORegistryEntryChildren</key>' +
      body +
      '</dict>\n</plist>\n';
    const config = loadConstraintFile(file('tree.plist', withParent));
    expect(config.values).toEqual(DEXT_VALUES);
  });

  it('reports damage with the byte offset and line', () => {
    const plist = readFileSync(PLIST, 'utf8');
    expect(errorOf(() => loadConstraintFile(file('cut.plist', plist.slice(0, 5000))))).toMatch(
      /cut\.plist: at byte 0x[0-9a-f]+ \(line \d+\): ioreg -a plist: <\w+> is never closed/,
    );
    expect(errorOf(() => loadConstraintFile(file('int.plist', plist.replace('<integer>129</integer>', '<integer>12x9</integer>'))))).toMatch(
      /at byte 0x[0-9a-f]+ \(line \d+\): ioreg -a plist: <integer> "12x9" is not an integer/,
    );
    expect(errorOf(() => loadConstraintFile(file('el.plist', plist.replace('<true/>', '<maybe/>'))))).toMatch(/unknown element <maybe\/>/);
    expect(errorOf(() => loadConstraintFile(file('ent.plist', plist.replace('12 Gigabit', '12 &giga;'))))).toMatch(/unknown entity "&giga;/);
    const deep = '<?xml version="1.0"?>\n<plist version="1.0">' + '<array>'.repeat(200_000) + '</array>'.repeat(200_000) + '</plist>';
    expect(errorOf(() => loadConstraintFile(file('deep.plist', deep)))).toMatch(/nested deeper than \d+ levels/);
  });

  it('says what a plist without a controller needs', () => {
    const path = file(
      'usb.plist',
      '<?xml version="1.0"?>\n<plist version="1.0">\n<array>\n<dict><key>IORegistryEntryName</key><string>USB3.0 Hub</string><key>IOObjectClass</key><string>IOUSBHostDevice</string></dict>\n</array>\n</plist>\n',
    );
    expect(errorOf(() => loadConstraintFile(path))).toMatch(
      /no SCSI parallel controller in this ioreg dump .* ioreg -a -l -r -c IOUserSCSIParallelInterfaceController/,
    );
  });

  it('reports a value of the wrong type with the object and line it sits on', () => {
    const plist = readFileSync(PLIST, 'utf8').replace(
      '<key>IOCommandPoolSize</key>\n\t\t<integer>240</integer>',
      '<key>IOCommandPoolSize</key>\n\t\t<string>lots</string>',
    );
    expect(errorOf(() => loadConstraintFile(file('type.plist', plist)))).toMatch(
      /type\.plist: line \d+: "IOCommandPoolSize": expected a number .* got "lots" \(on LSI3108Controller, line \d+\)/,
    );
  });
});

describe('ioreg -l (text)', () => {
  it('uses the first of several controllers and says which, and how to choose', () => {
    const config = loadConstraintFile(TEXT);
    expect(config.values.platform).toBe('kext');
    expect(config.values.maxSegmentCountRead).toBe(256);
    expect(config.values.logicalBlockSize).toBe(4096);
    expect(config.values.capacityBlocks).toBeUndefined();
    const notes = config.notes!.join('\n');
    expect(notes).toMatch(/the dump has 2 SCSI controllers; used the first, com_example_driver_SAS2308 .*choose another with --controller/);
    expect(notes).toMatch(/2 logical units under the controller: capacities differ per unit/);
  });

  it('picks a controller by name, IOUserClass, bundle id or registry id, and reads it as the plist does', () => {
    for (const choice of ['LSI3108Controller', 'lsi3108controller', 'com.example.driver.MegaRAID3108', '0x100000a31', '100000a31']) {
      expect(loadConstraintFile(TEXT, { controller: choice }).values, choice).toEqual(DEXT_VALUES);
    }
    expect(loadConstraintFile(TEXT, { controller: 'com_example_driver_SAS2308' }).values.platform).toBe('kext');
  });

  it('says which controllers there are when the choice matches none', () => {
    expect(errorOf(() => loadConstraintFile(TEXT, { controller: 'nope' }))).toMatch(
      /no controller here matches --controller "nope"; the controllers are: com_example_driver_SAS2308 .*; LSI3108Controller/,
    );
  });

  it('parses ioreg’s value syntax: dictionaries, arrays, data, Yes/No, hex numbers', () => {
    const roots = registryFromText(readFileSync(TEXT, 'utf8'));
    const dext = roots[1]!;
    expect(dext.properties.get('IOUserClasses')).toEqual(['LSI3108Controller', 'IOUserSCSIParallelInterfaceController', 'IOService', 'OSObject']);
    expect((dext.properties.get('Protocol Characteristics') as Map<string, unknown>).get('SCSI Domain Identifier')).toBe(2n);
    expect(dext.properties.get('Manages Targets')).toBe(true);
    const hex = registryFromText(
      '+-o X  <class IOSCSIParallelInterfaceController, id 0x10, registered, matched, active, busy 0, retain 5>\n    {\n      "IOMaximumSegmentCountRead" = 0x81\n    }\n',
    );
    expect(hex[0]!.properties.get('IOMaximumSegmentCountRead')).toBe(0x81n);
  });

  it('does not misread values clipped at the terminal width, and says so', () => {
    const clipped = readFileSync(TEXT, 'utf8').replace(/("IOMaximumSegmentCountRead" = )129/, '$1' + '12$');
    const config = loadConstraintFile(file('clipped.txt', clipped), { controller: 'LSI3108Controller' });
    expect(config.values.maxSegmentCountRead).toBeUndefined();
    expect(config.notes!.join('\n')).toMatch(
      /"IOMaximumSegmentCountRead" on LSI3108Controller \(line \d+\) was clipped at the terminal width \('\$'\); rerun ioreg with -w0/,
    );
  });

  it('reads ioreg -i output (the class as its inheritance chain)', () => {
    const text =
      '+-o Foo  <class OSObject:IORegistryEntry:IOService:IOSCSIParallelInterfaceController:com_example_Foo, id 0x100000123, registered, matched, active, busy 0, retain 7>\n    {\n      "IOMaximumSegmentCountWrite" = 17\n    }\n    \n\n';
    const config = loadConstraintFile(file('inherit.txt', text));
    expect(config.values).toMatchObject({ platform: 'kext', maxSegmentCountWrite: 17 });
  });

  it('refuses a property line before any object, with its offset and line', () => {
    const text = '+-o Root  <class IORegistryEntry, id 0x100000100, retain 12>\n'.replace('+-o Root', '"IOMaximumSegmentCountRead" = 4\n+-o Root');
    expect(errorOf(() => loadConstraintFile(file('orphan.txt', text)))).toMatch(
      /orphan\.txt: at byte 0x0 \(line 1\): ioreg text: a property line before any object line/,
    );
  });
});

describe('several files', () => {
  it('merge in order, later over earlier, and the DMA specification completes the registry', () => {
    const config = loadConstraintFiles([PLIST, 'traces/lsi3108-dext-dma.constraints.json'])!;
    expect(config.values).toMatchObject({
      ...DEXT_VALUES,
      dmaNumAddressBits: 64,
      dmaMaxTransferSize: 524288,
      dmaAlignment: 4,
      hbaDataAlignmentMask: 0xfffffffcn,
    });
    const r = resolveConstraints(config);
    expect(r.notes.filter((n) => n.severity === 'contradiction').map((n) => n.keys)).toEqual([['IOMaximumSegmentAddressableBitCount', 'dmaNumAddressBits']]);
  });

  it('say when a later file replaces a value', () => {
    const later = file('later.json', '{"IOMaximumSegmentCountRead": 64}');
    const config = loadConstraintFiles([PLIST, later])!;
    expect(config.values.maxSegmentCountRead).toBe(64);
    expect(config.notes!.join('\n')).toContain(`IOMaximumSegmentCountRead: 64 from ${later} replaces 129 from ${PLIST}`);
  });
});

describe('robustness: mutated samples', () => {
  /** xorshift32, seeded: the same mutants every run. */
  function prng(seed: number): () => number {
    let x = seed >>> 0 || 1;
    return () => {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      return x / 2 ** 32;
    };
  }

  it('every truncation, bit flip and splice ends in a config or one-line errors naming the file', () => {
    const rnd = prng(0x5c51);
    const sources = [PLIST, TEXT, 'traces/lsi3108.constraints.json', 'traces/lsi3108-dext-dma.constraints.json'].map((p) => readFileSync(p));
    let configs = 0;
    let errors = 0;
    for (let i = 0; i < 240; i++) {
      const src = sources[i % sources.length]!;
      const b = Buffer.from(src);
      let mutant: Buffer;
      switch (i % 3) {
        case 0:
          mutant = b.subarray(0, Math.floor(rnd() * b.length));
          break;
        case 1:
          for (let k = 0; k < 1 + Math.floor(rnd() * 8); k++) b[Math.floor(rnd() * b.length)]! ^= 1 << Math.floor(rnd() * 8);
          mutant = b;
          break;
        default: {
          const at = Math.floor(rnd() * b.length);
          const from = Math.floor(rnd() * b.length);
          mutant = Buffer.concat([b.subarray(0, at), b.subarray(from, from + Math.floor(rnd() * 4000)), b.subarray(at)]);
        }
      }
      const path = file(`mutant-${i}`, mutant);
      try {
        loadConstraintFile(path);
        configs++;
      } catch (e) {
        expect(e, `mutant ${i}`).toBeInstanceOf(UsageError);
        for (const line of (e as Error).message.split('\n')) {
          expect(line.startsWith(`${path}: `), `mutant ${i}: ${line}`).toBe(true);
          expect(line.length, `mutant ${i}: ${line.slice(0, 200)}`).toBeLessThan(600);
        }
        expect((e as Error).message.split('\n').length).toBeLessThanOrEqual(21);
        errors++;
      }
    }
    expect(configs).toBeGreaterThan(0);
    expect(errors).toBeGreaterThan(0);
  });
});

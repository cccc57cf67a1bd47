import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sniffFormat } from '../../../src/formats/index.js';
import { parseUsbmonLine } from '../../../src/formats/usbmon/line.js';
import { decodeUsbmon } from '../../../src/formats/usbmon/reader.js';
import { runScsitrace } from '../../helpers/cli.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('usbmon text lines (Documentation/usb/usbmon.rst, mon_text.c)', () => {
  it("reads a 'u' bulk submission with its data words", () => {
    const l = parseUsbmonLine('ffff8af742add6c0 3809217 S Bo:2:002:2 -115 31 = 55534243 01000000 24000000 80000612 00000024 00000000 00000000 000000');
    expect(l).toMatchObject({
      tag: 'ffff8af742add6c0',
      timestampUs: 3809217,
      type: 'S',
      layout: 'u',
      transfer: 3,
      in: false,
      bus: 2,
      device: 2,
      endpoint: 2,
      status: -115,
      length: 31,
    });
    expect(typeof l !== 'string' && Buffer.from(l.data).toString('hex')).toBe('5553424301000000240000008000061200000024000000000000000000000000'.slice(0, 62));
  });

  it("reads a 't' line (no bus), a control setup, an interrupt and an ISO URB", () => {
    expect(parseUsbmonLine('ffff8af742add600 2576546 S Ci:001:00 s a3 00 0000 0001 0004 4 <')).toMatchObject({
      layout: 't',
      bus: undefined,
      transfer: 2,
      setup: Uint8Array.from([0xa3, 0, 0, 0, 1, 0, 4, 0]),
      length: 4,
      dataFlag: '<',
    });
    expect(parseUsbmonLine('d5ea89a0 3575914555 C Ii:1:001:1 0:8 1 = 02')).toMatchObject({ transfer: 1, status: 0, length: 1, data: Uint8Array.from([2]) });
    // ISO callback: status:interval:start_frame:error_count, descriptor count, descriptors.
    expect(parseUsbmonLine(`f7d0a4c0 1090390 C Zi:1:003:1 0:1:2330:0 2 0:0:192 0:192:192 384 = ${'00000000 '.repeat(8).trim()}`)).toMatchObject({
      transfer: 0,
      length: 384,
    });
    expect(parseUsbmonLine('d5ea89a0 3575914555 S Bo:1:003:2 Z __ __ ____ ____ ____ 0')).toMatchObject({ length: 0 });
  });

  it('says what is wrong with a line that is not usbmon text', () => {
    expect(parseUsbmonLine('ffff 1 X Bo:1:002:2 -115 31')).toMatch(/event type "X"/);
    expect(parseUsbmonLine('ffff 1 S Bq:1:002:2 -115 31')).toMatch(/address/);
    expect(parseUsbmonLine('ffff 1 S Bo:1:002:2 -115 31 = 5553')).toMatch(/2 data bytes where the length 31 says 31/);
    expect(parseUsbmonLine('ffff 1 S Bo:1:002:2 -115 64 = ' + '00112233 '.repeat(9).trim())).toMatch(/36 data bytes where the length 64 says 32/);
    expect(parseUsbmonLine('ffff 99999999999 S Bo:1:002:2 -115 0')).toMatch(/timestamp/);
  });

  it('unwraps the 32-bit timestamp (seconds modulo 4096)', () => {
    const cbw = (tag: string, us: number) => `${tag} ${us} S Bo:1:002:2 -115 31 = 55534243 01000000 00000000 00000000 00000000 00000000 00000000 000000`;
    const text = [
      cbw('aa', 4095_999_000),
      'aa 4095999500 C Bo:1:002:2 0 31 >',
      'bb 1000 S Bi:1:002:1 -115 13 <',
      'bb 2000 C Bi:1:002:1 0 13 = 55534253 01000000 00000000 00',
    ].join('\n');
    const evs = decodeUsbmon(text);
    const done = evs.find((e) => e.kind === 'complete')!;
    expect(done.timeNs).toBe((4096_000_000 + 2000 - 4095_999_000) * 1000);
  });

  it('is detected from content, and not confused with other text', () => {
    expect(sniffFormat(readFileSync('traces/usbmon-bot.0u.txt').subarray(0, 65536))?.id).toBe('usbmon');
    expect(sniffFormat(readFileSync('traces/usbmon-uas.2t.txt').subarray(0, 65536))?.id).toBe('usbmon');
    expect(sniffFormat(enc('# tracer: nop\n'))?.id).not.toBe('usbmon');
    expect(sniffFormat(enc('hello world 1 2 3\n'))).toBeUndefined();
  });
});

describe('usbmon damage', () => {
  it('a bad line is one diagnostic with its byte offset; decode exits 2', async () => {
    const good = readFileSync('traces/usbmon-bot.0u.txt', 'latin1').split('\n');
    const bad = 'ffff8af742add6c0 3809217 S Bo:2:002:2 -115 31 = 5553424';
    const lines = [...good.slice(0, 300), bad, ...good.slice(300)];
    const offset = Buffer.byteLength(lines.slice(0, 300).join('\n') + '\n');
    const evs = decodeUsbmon(lines.join('\n'));
    const diags = evs.filter((e) => e.kind === 'diagnostic');
    expect(diags.map((d) => d.kind === 'diagnostic' && d.message)).toEqual([
      `at byte 0x${offset.toString(16)}: not a usbmon text line: data word "5553424" is not hex bytes; line skipped`,
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'usbmon-'));
    writeFileSync(join(dir, 'bad.txt'), lines.join('\n'));
    const run = await runScsitrace('decode', join(dir, 'bad.txt'));
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([
      `scsitrace: ${join(dir, 'bad.txt')}: at byte 0x${offset.toString(16)}: not a usbmon text line: data word "5553424" is not hex bytes; line skipped`,
      `scsitrace: ${join(dir, 'bad.txt')}: read 1,223 records; skipped 55 bytes in 1 damaged region and 1 bad record`,
    ]);
  });

  it('a UAS Command IU longer than 32 bytes keeps 16 CDB bytes, with a note on the task', () => {
    // READ(32) (0x7F, service action 0x0009): Command IU with ADDITIONAL CDB LENGTH 4 words.
    const iu = '01000001 00001000 00000000 00000000 7f000000 00000018 00090000 00000000';
    const evs = decodeUsbmon(`aa 100 S Bo:1:002:4 -115 48 = ${iu}\n`);
    const submit = evs.find((e) => e.kind === 'submit');
    expect(submit && submit.kind === 'submit' && submit.cdb.length).toBe(16);
    expect(evs.find((e) => e.kind === 'note')).toMatchObject({
      taskId: submit?.kind === 'submit' ? submit.taskId : -1n,
      text: 'CDB: only 16 of 32 bytes are in the capture',
    });
  });

  // Random damage: test/formats/ftrace/robustness.test.ts (the text readers' fuzz corpus).

  it('huge numbers and long lines are bounded', () => {
    const evs = decodeUsbmon(
      ['ffff 1 S Bo:1:002:2 -115 4294967295 <', 'ffff 1 S Bo:1:002:2 -115 99999999999 <', `ffff 1 S Bo:1:002:2 -115 31 = ${'00'.repeat(2_000_000)}`].join('\n'),
    );
    expect(evs.filter((e) => e.kind === 'diagnostic')).toHaveLength(2);
  });
});

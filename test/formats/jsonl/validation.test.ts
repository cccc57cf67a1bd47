import { describe, expect, it } from 'vitest';
import { decodeJsonl, eventToJson } from '../../../src/formats/jsonl/index.js';
import { writeTraceToBytes } from '../../../src/formats/native/writer.js';
import { decodeNative } from '../../../src/formats/native/reader.js';
import { GapAffects, GapUnit } from '../../../src/model/events.js';
import { newReadStats } from '../../../src/model/stats.js';

const enc = new TextEncoder();
const SUBMIT = '{"kind":"submit","timeNs":0,"taskId":1,"cdb":"000000000000"}';

/** The diagnostics of a JSON Lines text whose first line is a good submission. */
function problems(...lines: string[]): string[] {
  return decodeJsonl(enc.encode([SUBMIT, ...lines].join('\n')))
    .filter((e) => e.kind === 'diagnostic')
    .map((e) => (e.kind === 'diagnostic' ? e.message : ''));
}

describe('JSON Lines: every field checked against the model, one short line per bad line', () => {
  it.each([
    ['{"kind":"complete","timeNs":1,"taskId":1,"serviceResponse":1e308}', '"complete" event, field "serviceResponse": must be an integer 0…255, got 1e+308'],
    ['{"kind":"complete","timeNs":1,"taskId":1,"status":-1}', '"complete" event, field "status": must be an integer 0…255, got -1'],
    ['{"kind":"complete","timeNs":1,"taskId":1,"residualFlags":1.5}', '"complete" event, field "residualFlags": must be an integer 0…255, got 1.5'],
    ['{"kind":"note","timeNs":1,"text":{"a":1}}', '"note" event, field "text": must be a string, got an object'],
    ['{"kind":"complete","timeNs":1}', '"complete" event, field "taskId": missing'],
    ['{"kind":"submit","taskId":2,"cdb":"00"}', '"submit" event, field "timeNs": missing'],
    ['{"kind":"submit","timeNs":1,"taskId":2,"cdb":"00","lun":16384}', '"submit" event, field "lun": must be an integer 0…16383, got 16384'],
    ['{"kind":"submit","timeNs":1,"taskId":2,"cdb":"00","attribute":4}', '"submit" event, field "attribute": must be an integer 0…3, got 4'],
    [
      '{"kind":"submit","timeNs":1,"taskId":2,"cdb":"00","timeoutMs":4294967296}',
      '"submit" event, field "timeoutMs": must be an integer 0…4294967295, got 4294967296',
    ],
    [
      '{"kind":"submit","timeNs":1,"taskId":"18446744073709551616","cdb":"00"}',
      '"submit" event, field "taskId": must be an unsigned 64-bit integer (a number below 2^53 or a decimal string), got "18446744073709551616"',
    ],
    [
      '{"kind":"submit","timeNs":1,"taskId":2,"cdb":"00","segments":[[1]]}',
      '"submit" event, field "segments[0]": must be [address, length], got an array of 1',
    ],
    [
      '{"kind":"submit","timeNs":1,"taskId":2,"cdb":"00","buffer":[4096,-1]}',
      '"submit" event, field "buffer length": must be an integer 0…9007199254740991, got -1',
    ],
    ['{"kind":"submit","timeNs":1,"taskId":2,"cdb":"00","sglRecorded":"yes"}', '"submit" event, field "sglRecorded": must be true or false, got "yes"'],
    ['{"kind":"hba","timeNs":1,"hbaKind":70000}', '"hba" event, field "hbaKind": must be an integer 0…65535, got 70000'],
    [
      '{"kind":"digest","timeNs":1,"taskId":1,"byteCount":1,"crc32c":1,"chunkDigests":[1,"x"]}',
      '"digest" event, field "chunkDigests[1]": must be an integer 0…4294967295, got "x"',
    ],
    ['{"kind":"gap","timeNs":10,"endNs":5}', '"gap" event, field "endNs": 5 is before its timeNs 10'],
    ['{"kind":"gap","timeNs":10,"unit":9}', '"gap" event, field "unit": must be an integer 0…4, got 9'],
    [
      '{"kind":"constraints","timeNs":1,"entries":{"IOMaximumSegmentCountWrite":-3}}',
      '"constraints" event, entry "IOMaximumSegmentCountWrite": must be an integer 0…9007199254740991, a string or a boolean, got -3',
    ],
    ['{"kind":"bogus","timeNs":1}', 'field "kind": unknown event kind "bogus"'],
    ['{"timeNs":1}', 'field "kind": missing'],
    ['[1,2]', 'not a JSON object, got an array of 2'],
  ])('%s', (line, message) => {
    expect(problems(line)).toEqual([`at byte 0x${(SUBMIT.length + 1).toString(16)} (line 2): ${message}`]);
  });

  it('quotes at most a short piece of a bad value', () => {
    const [m] = problems(`{"kind":"complete","timeNs":1,"taskId":"${'9'.repeat(500_000)}"}`);
    expect(m!.length).toBeLessThan(250);
    expect(m).toMatch(/got "9{39}… \(500002 characters\)$/);
  });

  it('says a line nested 500,000 deep is nested too deep, not that it is not UTF-8 text', () => {
    const [m] = problems(`${'['.repeat(500_000)}${']'.repeat(500_000)}`);
    expect(m).toMatch(/\(line 2\): JSON nested more than 1000 deep; an event is at most 16$/);
  });

  it('says where a line stops being UTF-8', () => {
    const bytes = new Uint8Array([...enc.encode(`${SUBMIT}\n{"kind":"note","timeNs":1,"text":"ab`), 0xff, ...enc.encode('"}\n')]);
    const d = decodeJsonl(bytes).filter((e) => e.kind === 'diagnostic');
    expect(d.map((e) => e.kind === 'diagnostic' && e.message)).toEqual([
      `at byte 0x${(SUBMIT.length + 1).toString(16)} (line 2): not UTF-8 text (byte 0x${(SUBMIT.length + 1 + 36).toString(16)})`,
    ]);
  });

  it('reads the 1.1 fields back: buffer, SGL recorded, target label, capture gaps, the time origin', () => {
    const events = decodeNative(
      writeTraceToBytes({ timeOriginNs: 1n << 60n }, (w) => {
        w.submit({
          timeNs: 0,
          taskId: 1,
          targetId: 131072,
          targetLabel: '0:2:0',
          cdb: [0, 0, 0, 0, 0, 0],
          sglRecorded: true,
          buffer: { address: 1n << 40n, length: 512 },
        });
        w.gap({ timeNs: 5, endNs: 9, lost: 3, unit: GapUnit.Lines, affects: GapAffects.Completions, targetId: 131072, detail: 'lines lost' });
      }),
    );
    const text = events.map((e) => JSON.stringify(eventToJson(e))).join('\n');
    const stats = newReadStats();
    const back = decodeJsonl(enc.encode(text), stats);
    const strip = (e: object) => {
      const { offset: _o, index: _i, segments: _s, ...rest } = e as Record<string, unknown>;
      return rest;
    };
    expect(back.map(strip)).toEqual(events.map(strip));
    expect(back[0]).toMatchObject({ kind: 'header', timeOriginNs: 1_152_921_504_000_000_000n });
    expect(back[1]).toMatchObject({ targetLabel: '0:2:0', sglRecorded: true, buffer: { address: 1n << 40n, length: 512 } });
    expect(back[2]).toMatchObject({ kind: 'gap', lost: 3, targetId: 131072n });
  });
});

describe('JSON Lines HBA events: timed as the native reader times them (issue 11)', () => {
  const hba = (timeNs: number, phase: number, durationNs: number) =>
    `{"kind":"hba","timeNs":${timeNs},"hbaKind":1,"phase":${phase},"taskId":1,"status":0,"durationNs":${durationNs},"arg0":0,"arg1":0,"detail":""}`;

  it('an issued→completed pair takes its duration from the timestamps; a duration field that disagrees is reported with both lines', () => {
    const lines = [SUBMIT, hba(1000, 1, 0), hba(501_000, 2, 0), hba(600_000, 1, 0), hba(700_000, 2, 7), hba(800_000, 2, 3000)];
    const events = decodeJsonl(enc.encode(lines.join('\n')));
    const line5 = lines.slice(0, 4).reduce((n, l) => n + l.length + 1, 0);
    const completed = events.filter((e) => e.kind === 'hba' && e.phase === 2).map((e) => (e.kind === 'hba' ? e.durationNs : -1));
    // 500 µs from the timestamps (no duration given), 100 µs from the timestamps (7 ns disagreed), 3 µs recorded (no issued event).
    expect(completed).toEqual([500_000, 100_000, 3000]);
    const d = events.filter((e) => e.kind === 'diagnostic');
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({
      offset: line5,
      message: `at byte 0x${line5.toString(16)} (line 5): "hba" event, field "durationNs": 7 disagrees with its issued event (line 4) 100000 ns earlier; the timestamps are used`,
    });
  });

  it('reads the pairs of a native trace converted to JSON Lines back without a word', () => {
    const events = decodeNative(
      writeTraceToBytes({ tickNs: 1000 }, (w) => {
        w.hba({ timeNs: 1e6, kind: 1, phase: 1, taskId: 4 });
        w.hba({ timeNs: 3e6, kind: 1, phase: 2, taskId: 4 });
      }),
    );
    const back = decodeJsonl(
      enc.encode(events.map((e) => JSON.stringify(eventToJson(e), (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).join('\n')),
    );
    expect(back.filter((e) => e.kind === 'diagnostic')).toEqual([]);
    expect(back.filter((e) => e.kind === 'hba').map((e) => (e.kind === 'hba' ? e.durationNs : -1))).toEqual([0, 2e6]);
  });
});

import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectGolden } from '../helpers/golden.js';
import { DataDirection, GapAffects, GapUnit, HbaEventKind, HbaEventPhase } from '../../src/model/events.js';
import { writeTraceToBytes } from '../../src/formats/native/writer.js';
import { buildTraceBytes, rw10 } from '../helpers/trace.js';
import { runScsitrace } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'scsitrace-decode-'));
const trace = join(dir, 'small.sct');

beforeAll(() => {
  writeFileSync(
    trace,
    buildTraceBytes((b) => {
      b.task({ cdb: [0x12, 0, 0, 0, 0x24, 0], direction: DataDirection.FromDevice, requestedBytes: 36 }, {}, 40_000);
      b.task({
        cdb: rw10(true, 4096, 8),
        direction: DataDirection.ToDevice,
        requestedBytes: 4096,
        segments: [{ address: 0x1_0000_0000n, length: 4096 }],
        lun: 1,
      });
      const sync = b.submit({ cdb: [0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0] });
      b.wait(2_000_000);
      b.w.hba({ timeNs: b.timeNs, kind: HbaEventKind.ControllerCacheFlush, phase: HbaEventPhase.Completed, taskId: sync });
      b.complete(sync);
      b.task({ cdb: [0xc5, 0, 0, 0, 0, 0] }, { serviceResponse: 1, status: 0x05 });
      b.task(
        { cdb: [0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0], direction: DataDirection.FromDevice, requestedBytes: 32 },
        { status: 2, sense: [0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x20, 0x00, 0, 0, 0, 0] },
      );
      b.task({ cdb: rw10(false, 0, 16), direction: DataDirection.FromDevice, requestedBytes: 8192 }, { bytesTransferred: 4096 });
      b.submit({ cdb: [0x00, 0, 0, 0, 0, 0] });
    }),
  );
});

async function expectDecodeGolden(name: string, text: string) {
  expectGolden(new URL(`./golden/${name}`, import.meta.url), text);
}

describe('scsitrace decode', () => {
  it('prints one line per task, in completion order, never-completed last (golden)', async () => {
    const r = await runScsitrace('decode', trace);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    await expectDecodeGolden('small.decode.txt', r.stdout);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[6]).toMatch(/TEST UNIT READY.*NEVER COMPLETED/);
  });

  it('writes JSON Lines with the documented fields (golden)', async () => {
    const r = await runScsitrace('decode', '--format', 'json', trace);
    expect(r.code).toBe(0);
    await expectDecodeGolden('small.decode.jsonl', r.stdout);
    const first = JSON.parse(r.stdout.split('\n')[1]!);
    expect(first).toMatchObject({ command: 'WRITE(10)', lba: 4096, transferLength: 8, lun: 1, status: 'GOOD', completed: true });
  });

  it('filters by opcode, status, LUN, time and count', async () => {
    const only = async (...args: string[]) =>
      (await runScsitrace('decode', '--format', 'json', ...args, trace)).stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    expect((await only('--opcode', '0x2a,0x28')).map((t) => t.command)).toEqual(['WRITE(10)', 'READ(10)']);
    expect((await only('--opcode', '0x9e/0x10')).map((t) => t.opcode)).toEqual([0x9e]);
    expect((await only('--status', 'check')).map((t) => t.sense.asc)).toEqual([0x20]);
    expect((await only('--status', 'incomplete')).map((t) => t.command)).toEqual(['TEST UNIT READY']);
    expect((await only('--status', 'failed')).map((t) => t.opcode)).toEqual([0xc5]);
    expect((await only('--lun', '1')).map((t) => t.lun)).toEqual([1]);
    expect(await only('--limit', '2')).toHaveLength(2);
    expect((await only('--since', '0.002')).every((t) => t.startNs >= 2e6)).toBe(true);
  });

  it('rejects a bad filter with exit 2 and one line', async () => {
    const r = await runScsitrace('decode', '--lun', 'x', trace);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--lun: "x" is not a number/);
  });

  it('says a file that is not a trace is not one, at byte 0, exit 2, no stack trace', async () => {
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, 'this is not a trace at all\n');
    const r = await runScsitrace('decode', junk);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/at byte 0x0: .*not a trace/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('prints every intact task of a truncated trace, then the damage and exit 2', async () => {
    const full = readFileSync(trace);
    const cut = join(dir, 'cut.sct');
    writeFileSync(cut, full.subarray(0, full.length - 10));
    const r = await runScsitrace('decode', cut);
    expect(r.code).toBe(2);
    expect(r.stdout.trim().split('\n')).toHaveLength(6); // the cut record was the never-completed TEST UNIT READY
    expect(r.stderr).toMatch(/at byte 0x[0-9a-f]+ \(record \d+\): truncated record/);
  });

  it("says so on stderr when a trace holds no task, quoting the reader's note", async () => {
    const empty = join(dir, 'empty.sct');
    writeFileSync(
      empty,
      buildTraceBytes((b) => b.w.note(0, 'capture started late')),
    );
    const r = await runScsitrace('decode', empty);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/empty\.sct: no SCSI tasks found \(read as native\): capture started late/);
  });

  it('reports a missing file as usage error', async () => {
    const r = await runScsitrace('decode', join(dir, 'nope.sct'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no such file/);
  });

  it('--segments lists the buffer the framework handed the driver and the SGL it programmed (text and JSON)', async () => {
    const path = join(dir, 'segments.sct');
    writeFileSync(
      path,
      writeTraceToBytes({}, (w) => {
        w.submit({
          timeNs: 1000,
          taskId: 1,
          cdb: rw10(true, 0, 16),
          direction: DataDirection.ToDevice,
          requestedBytes: 8192,
          buffer: { address: 0x1_2345_6000n, length: 8192 },
          segments: [
            { address: 0x2345_6000, length: 4096 },
            { address: 0x2345_7000, length: 4096 },
          ],
        });
        w.complete({ timeNs: 5000, taskId: 1, bytesTransferred: 8192 });
        w.submit({ timeNs: 6000, taskId: 2, cdb: [0, 0, 0, 0, 0, 0], sglRecorded: true });
        w.complete({ timeNs: 7000, taskId: 2 });
        w.submit({ timeNs: 8000, taskId: 3, cdb: [0, 0, 0, 0, 0, 0] });
        w.complete({ timeNs: 9000, taskId: 3 });
      }),
    );
    const text = await runScsitrace('decode', '--segments', path);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n').map((l) => l.trim())).toEqual([
      expect.stringMatching(/task 1 tag 0x1 WRITE\(10\) LBA 0 len 16 → GOOD$/),
      'buffer 0x123456000 len 8192',
      'SGL 2 segments, 8192 bytes',
      '[0] 0x23456000 len 4096',
      '[1] 0x23457000 len 4096',
      expect.stringMatching(/task 2 tag 0x2 TEST UNIT READY → GOOD$/),
      'buffer not recorded',
      'SGL 0 segments, 0 bytes',
      expect.stringMatching(/task 3 tag 0x3 TEST UNIT READY → GOOD$/),
      'buffer not recorded',
      'SGL not recorded',
      '',
    ]);
    const json = (await runScsitrace('decode', '--segments', '--format', 'json', path)).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(json.map((t) => [t.buffer, t.sgl])).toEqual([
      [
        { address: 0x1_2345_6000, length: 8192 },
        [
          [0x2345_6000, 4096],
          [0x2345_7000, 4096],
        ],
      ],
      [null, []],
      [null, null],
    ]);
    // Without --segments the JSON keeps its documented fields only.
    expect(JSON.parse((await runScsitrace('decode', '--format', 'json', path)).stdout.split('\n')[0]!)).not.toHaveProperty('sgl');
  });

  it('--with-events shows the notes, digests and HBA events that name a task with it (text and JSON)', async () => {
    const path = join(dir, 'events.sct');
    writeFileSync(
      path,
      writeTraceToBytes({}, (w) => {
        w.submit({ timeNs: 1000, taskId: 1, cdb: [0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0] });
        w.submit({ timeNs: 1100, taskId: 2, cdb: rw10(false, 8, 1), direction: DataDirection.FromDevice, requestedBytes: 512 });
        w.hba({ timeNs: 1500, kind: HbaEventKind.ControllerCacheFlush, phase: HbaEventPhase.Issued, taskId: 1, detail: 'MR_DCMD_CTRL_CACHE_FLUSH' });
        w.hba({ timeNs: 2_001_500, kind: HbaEventKind.ControllerCacheFlush, phase: HbaEventPhase.Completed, taskId: 1 });
        w.note(2_002_000, 'not about any task');
        w.complete({ timeNs: 2_002_500, taskId: 1 });
        w.complete({ timeNs: 2_003_000, taskId: 2, bytesTransferred: 512 });
        w.digest({ timeNs: 2_003_001, taskId: 2, lba: 8, byteCount: 512, direction: DataDirection.FromDevice, crc32c: 0xdeadbeef });
        w.note(2_003_002, 'read back for verification', 2);
        w.submit({ timeNs: 3_000_000, taskId: 3, cdb: [0, 0, 0, 0, 0, 0] });
        w.note(3_000_001, 'after task 3 was submitted', 2);
      }),
    );
    const text = await runScsitrace('decode', '--with-events', path);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n').map((l) => l.trim().replace(/\s+/g, ' '))).toEqual([
      expect.stringMatching(/task 1 tag 0x1 SYNCHRONIZE CACHE\(10\) .*→ GOOD$/),
      '0.000001500 HBA controller cache flush issued: MR_DCMD_CTRL_CACHE_FLUSH',
      '0.002001500 HBA controller cache flush completed in 2 ms',
      expect.stringMatching(/task 2 tag 0x2 READ\(10\) LBA 8 len 1 → GOOD$/),
      '0.002003001 digest: read LBA 8, 512 bytes, CRC32C 0xdeadbeef',
      '0.002003002 note: read back for verification',
      expect.stringMatching(/task 3 tag 0x3 TEST UNIT READY → NEVER COMPLETED$/),
      '',
    ]);
    const json = (await runScsitrace('decode', '--with-events', '--format', 'json', path)).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(json.map((t) => t.events.map((e: { kind: string }) => e.kind))).toEqual([['hba', 'hba'], ['digest', 'note'], []]);
    expect(json[0].events[1]).toMatchObject({
      kind: 'hba',
      hbaKind: HbaEventKind.ControllerCacheFlush,
      phase: HbaEventPhase.Completed,
      taskId: 1,
      durationNs: 2_000_000,
    });
  });

  it('says which kind a JSON residual is', async () => {
    const path = join(dir, 'residual.sct');
    writeFileSync(
      path,
      buildTraceBytes((b) => {
        b.task({ cdb: rw10(false, 0, 8), requestedBytes: 4096 }, { bytesTransferred: 2048, residual: 2048, residualFlags: 1 });
        b.task({ cdb: rw10(false, 0, 8), requestedBytes: 4096 }, { residual: 512, residualFlags: 2 });
        b.task({ cdb: rw10(false, 0, 8), requestedBytes: 4096 });
      }),
    );
    const json = (await runScsitrace('decode', '--format', 'json', path)).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(json.map((t) => [t.residual, t.residualKind])).toEqual([
      [2048, 'underflow'],
      [512, 'overflow'],
      [null, null],
    ]);
  });

  it('prints times past 2^53 ns exactly: decimal strings in JSON, latencies to the ns', async () => {
    const path = join(dir, 'uptime.sct');
    const base = 9_007_199_254_740_993n; // 2^53 + 1 ns: not a double
    writeFileSync(
      path,
      writeTraceToBytes({ timeOriginNs: base }, (w) => {
        w.submit({ timeNs: 0, taskId: 1, cdb: rw10(false, 0, 1) });
        w.complete({ timeNs: 7, taskId: 1 });
      }),
    );
    const t = JSON.parse((await runScsitrace('decode', '--format', 'json', path)).stdout);
    expect(t).toMatchObject({ startNs: '9007199254740993', endNs: '9007199254741000', latencyNs: 7 });
    const line = (await runScsitrace('decode', path)).stdout;
    expect(line).toMatch(/^9007199\.254740993 +\+7 ns /);
    // --since/--until are seconds since timestamp 0, as printed.
    expect((await runScsitrace('decode', '--since', '9007199.2', path)).stdout).toBe(line);
    expect((await runScsitrace('decode', '--since', '9007199.3', path)).stdout).toBe('');
  });

  it('warns about each capture gap with its offset and time, counts them, and prints COMPLETION NOT CAPTURED for tasks they may have swallowed', async () => {
    const path = join(dir, 'gaps.sct');
    writeFileSync(
      path,
      writeTraceToBytes({}, (w) => {
        w.submit({ timeNs: 1000, taskId: 1, targetId: 1, cdb: rw10(false, 0, 1) }); // before the gap: exposed
        w.submit({ timeNs: 2000, taskId: 2, targetId: 2, cdb: rw10(false, 0, 1) }); // another target: not exposed
        w.gap({ timeNs: 3000, endNs: 9000, lost: 17, unit: GapUnit.Lines, affects: GapAffects.All, targetId: 1, detail: 'SCT1 lines 0x10..0x20' });
        w.submit({ timeNs: 10_000, taskId: 3, targetId: 1, cdb: rw10(false, 0, 1) }); // after the gap: not exposed
        w.gap({ timeNs: 20_000, endNs: 20_000, affects: GapAffects.Submissions, detail: 'commands lost' }); // lost commands cannot hide a completion
      }),
    );
    const r = await runScsitrace('decode', path);
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.replace(/^.* task (\d).*→ /, '$1 ')),
    ).toEqual(['1 COMPLETION NOT CAPTURED', '2 NEVER COMPLETED', '3 NEVER COMPLETED']);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/gaps\.sct: at byte 0x[0-9a-f]+ \(record 2\): at 0\.000003000 s, capture gap: 17 lines lost: SCT1 lines 0x10\.\.0x20$/),
      expect.stringMatching(/gaps\.sct: at byte 0x[0-9a-f]+ \(record 4\): at 0\.000020000 s, capture gap: an unknown amount lost \(commands\): commands lost$/),
      expect.stringMatching(/gaps\.sct: the capture is incomplete: 2 capture gaps \(17 lines lost\); the completions of 1 task not captured$/),
    ]);
    const json = (await runScsitrace('decode', '--format', 'json', path)).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(json.map((t) => [t.taskId, t.completed, t.completionNotCaptured])).toEqual([
      [1, false, true],
      [2, false, false],
      [3, false, false],
    ]);
  });

  it('shows a target by its label, as the source named it', async () => {
    const path = join(dir, 'labels.sct');
    writeFileSync(
      path,
      writeTraceToBytes({}, (w) => w.submit({ timeNs: 1000, taskId: 1, targetId: 131072, targetLabel: '0:2:0', lun: 0, cdb: rw10(false, 0, 1) })),
    );
    expect((await runScsitrace('decode', path)).stdout).toMatch(/ 0:2:0:0 task 1 /);
    expect(JSON.parse((await runScsitrace('decode', '--format', 'json', path)).stdout)).toMatchObject({ target: 131072, targetLabel: '0:2:0' });
  });
});

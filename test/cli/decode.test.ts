import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataDirection, HbaEventKind, HbaEventPhase } from '../../src/model/events.js';
import { buildTraceBytes, rw10 } from '../helpers/trace.js';
import { runScsitrace } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'scsitrace-decode-'));
const trace = join(dir, 'small.sct');
const golden = (name: string) => readFileSync(new URL(`./golden/${name}`, import.meta.url), 'utf8');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

beforeAll(() => {
  writeFileSync(
    trace,
    buildTraceBytes((b) => {
      b.task({ cdb: [0x12, 0, 0, 0, 0x24, 0], direction: DataDirection.FromDevice, requestedBytes: 36 }, {}, 40_000);
      b.task({ cdb: rw10(true, 4096, 8), direction: DataDirection.ToDevice, requestedBytes: 4096, segments: [{ address: 0x1_0000_0000n, length: 4096 }], lun: 1 });
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

async function expectGolden(name: string, text: string) {
  if (UPDATE) writeFileSync(new URL(`./golden/${name}`, import.meta.url), text);
  expect(text).toBe(golden(name));
}

describe('scsitrace decode', () => {
  it('prints one line per task, in completion order, never-completed last (golden)', async () => {
    const r = await runScsitrace('decode', trace);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    await expectGolden('small.decode.txt', r.stdout);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[6]).toMatch(/TEST UNIT READY.*NEVER COMPLETED/);
  });

  it('writes JSON Lines with the documented fields (golden)', async () => {
    const r = await runScsitrace('decode', '--format', 'json', trace);
    expect(r.code).toBe(0);
    await expectGolden('small.decode.jsonl', r.stdout);
    const first = JSON.parse(r.stdout.split('\n')[1]!);
    expect(first).toMatchObject({ command: 'WRITE(10)', lba: 4096, transferLength: 8, lun: 1, status: 'GOOD', completed: true });
  });

  it('filters by opcode, status, LUN, time and count', async () => {
    const only = async (...args: string[]) => (await runScsitrace('decode', '--format', 'json', ...args, trace)).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
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

  it('says so on stderr when a trace holds no task, quoting the reader\'s note', async () => {
    const empty = join(dir, 'empty.sct');
    writeFileSync(empty, buildTraceBytes((b) => b.w.note(0, 'capture started late')));
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
});

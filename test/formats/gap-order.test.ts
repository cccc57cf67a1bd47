/**
 * TraceFormat.read's promise, reader by reader: events come in capture order, capture gaps
 * included, so a gap comes before every event captured after the loss. The case that shows it:
 * a submission lost in a gap and its completion after the gap. `check` reports the completion
 * as one whose submission was not captured (info), not as a driver error, and `decode` says the
 * submission may have been lost instead of warning about a completion for an unknown task.
 *
 * Native: CAPTURE_GAP records are delivered where they are in the file (a writer puts one before
 * the records captured after the loss). JSON Lines: events in file order. os_log SCT1 lines: the
 * reader finds the loss from sequence numbers and holds back what follows it until it knows
 * (test/formats/oslog/sequence.test.ts has the cases). The iSCSI reader reports a TCP hole as a
 * diagnostic, not (yet) as a capture gap: it has no case here.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTraceToBytes } from '../../src/formats/native/writer.js';
import { encodeUnitLines } from '../../src/formats/oslog/encoding.js';
import { GapAffects, GapUnit } from '../../src/model/events.js';
import { runScsitrace } from '../helpers/cli.js';
import { rw10 } from '../helpers/trace.js';

/** Tasks 1-6 at 1 ms steps, each completed 100 µs later; the submission of task 4 is lost. */
function trace(withGapRecord: boolean): Uint8Array {
  return writeTraceToBytes({ producer: 'gap-order', tickNs: 1, startWallNs: 1n }, (w) => {
    for (let id = 1; id <= 6; id++) {
      const t = id * 1_000_000;
      if (id === 4) {
        if (withGapRecord)
          w.gap({ timeNs: t - 900_000, endNs: t + 100_000, lost: 1, unit: GapUnit.Records, affects: GapAffects.All, detail: 'ring overrun: 1 record' });
      } else {
        w.submit({ timeNs: t, taskId: id, cdb: rw10(false, id * 8, 8), requestedBytes: 4096, segments: [{ address: 0x1000 * id, length: 4096 }] });
      }
      w.complete({ timeNs: t + 100_000, taskId: id, bytesTransferred: 4096 });
    }
  });
}

/** The units of a native trace (file header, then each record), as an SCT1 emitter logs them. */
function units(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const out = [bytes.subarray(0, view.getUint32(12, true))];
  for (let p = out[0]!.length; p < bytes.length; p += 16 + view.getUint32(p + 8, true)) out.push(bytes.subarray(p, p + 16 + view.getUint32(p + 8, true)));
  return out;
}

async function expectLostSubmissionExplained(path: string): Promise<void> {
  const check = await runScsitrace('check', path);
  expect(check.code, check.stdout + check.stderr).toBe(0);
  expect(check.stdout).not.toMatch(/^ERROR/m);
  expect(check.stdout).toMatch(/^INFO +completion-for-unknown-task +×1$/m);
  expect(check.stdout).toContain('completion for task id 4, whose submission was not captured');
  const decode = await runScsitrace('decode', path);
  expect(decode.code).toBe(0);
  expect(decode.stderr).not.toContain('completion for unknown task');
  // The warning names its file like every other line about the input (several files may be read).
  expect(decode.stderr).toMatch(
    new RegExp(
      `^scsitrace: warning: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: at byte 0x[0-9a-f]+ \\(\\w+ \\d+\\): completion for task id 4, whose submission was not captured \\(a capture gap before it may have lost it\\)$`,
      'm',
    ),
  );
}

describe('a capture gap comes before what was captured after the loss, in every reader that reports gaps', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scsitrace-gap-order-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('native: a CAPTURE_GAP record before the completion', async () => {
    const path = join(dir, 'gap.sct');
    writeFileSync(path, trace(true));
    await expectLostSubmissionExplained(path);
  });

  it('JSON Lines: a gap event before the completion (the native trace converted)', async () => {
    const sct = join(dir, 'for-jsonl.sct');
    writeFileSync(sct, trace(true));
    const path = join(dir, 'gap.jsonl');
    expect((await runScsitrace('convert', '--format', 'jsonl', sct, '-o', path)).code).toBe(0);
    await expectLostSubmissionExplained(path);
  });

  it('os_log SCT1 lines: the unit holding the submission never arrived; also once converted to .sct', async () => {
    // Unit 0 is the file header, then submit/complete pairs: task 4's submission would be unit 7.
    const all = units(trace(false));
    const lines = all.map((u, k) => encodeUnitLines(u, k < 7 ? k : k + 1, 'base64'));
    const path = join(dir, 'gap.log');
    writeFileSync(path, `${lines.flat().join('\n')}\n`);
    await expectLostSubmissionExplained(path);
    const sct = join(dir, 'from-log.sct');
    expect((await runScsitrace('convert', path, '-o', sct)).code).toBe(0);
    await expectLostSubmissionExplained(sct);
  });
});

/**
 * Issue 10 §1, end to end: a line the kernel log drops never turns into a driver finding. Each
 * SCT1 unit of the emitter's sample export is removed in turn (as `log` loses a message under
 * load) and the export checked: the capture is reported incomplete, no error or warning appears
 * that the whole export does not have, and a task whose completion was in the lost unit is
 * "completion not captured" (info), not task-never-completed (error). The same for a capture with
 * TCP holes: the real iSCSI capture with packets removed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTrace } from '../../src/checks/check-trace.js';
import type { Finding } from '../../src/checks/findings.js';
import { concat } from '../helpers/pcap.js';

const dir = mkdtempSync(join(tmpdir(), 'scsitrace-lost-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sample = (name: string) => readFileSync(new URL(`../../traces/${name}`, import.meta.url));

async function findings(name: string, bytes: Uint8Array | string) {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  const r = await checkTrace(path, { maxExamples: Infinity });
  return { result: r, all: r.groups.flatMap((g) => g.examples) };
}

/** Errors and warnings as comparable keys: rule, message id, task. */
const serious = (fs: Finding[]) => fs.filter((f) => f.severity !== 'info').map((f) => `${f.ruleId}/${f.messageId}/${f.taskId ?? '-'}`);

describe('a lost SCT1 unit is a capture gap, never a driver finding', () => {
  const text = sample('emitter-log-show-compact.log').toString('utf8');
  const lines = text.split('\n');
  /** Line indexes of each unit, by sequence number, in order of first appearance. */
  const units = new Map<string, number[]>();
  lines.forEach((l, i) => {
    const m = / SCT1[BX] ([0-9a-f]{8}) /.exec(l);
    if (m) units.set(m[1]!, [...(units.get(m[1]!) ?? []), i]);
  });
  /** The record type of a one-line base64 unit (a TASK_COMPLETED is 2) and its task id: a 12-byte header, then time, task id (docs/FORMAT.md). */
  const recordOf = (line: string) => {
    const b = Buffer.from(line.slice(line.lastIndexOf(' ') + 1), 'base64');
    return b.length >= 28 ? { type: b.readUInt16LE(4), taskId: b.readBigUInt64LE(20) } : undefined;
  };

  it('each unit removed in turn', async () => {
    const whole = await findings('whole.log', text);
    expect(whole.result.capture.complete).toBe(true);
    const wholeSerious = new Set(serious(whole.all));
    const seqs = [...units.keys()];
    expect(seqs.length).toBeGreaterThan(15);
    let completionsLost = 0;
    for (const [k, seq] of seqs.entries()) {
      const drop = new Set(units.get(seq));
      const lossy = await findings(`without-${seq}.log`, lines.filter((_, i) => !drop.has(i)).join('\n'));
      // A unit lost before the first or after the last that arrived cannot be seen in the numbers.
      const seen = k > 0 && k < seqs.length - 1;
      if (seen) expect(lossy.result.capture.complete, `unit ${seq}`).toBe(false);
      expect(
        serious(lossy.all).filter((f) => !wholeSerious.has(f)),
        `unit ${seq} lost`,
      ).toEqual([]);
      const rec = drop.size === 1 ? recordOf(lines[[...drop][0]!]!) : undefined;
      if (rec?.type === 2 && seen) {
        completionsLost++;
        const never = lossy.all.filter((f) => f.ruleId === 'task-never-completed' && f.taskId === rec.taskId);
        expect(
          never.map((f) => [f.messageId, f.severity]),
          `completion of task ${rec.taskId} lost`,
        ).toEqual([['completionNotCaptured', 'info']]);
      }
    }
    expect(completionsLost).toBeGreaterThanOrEqual(3);
  }, 60_000);
});

describe('a capture with TCP holes: the same notion of gap, consulted by the same rules', () => {
  /** The real iSCSI capture with every `every`-th Enhanced Packet Block removed. */
  function dropPackets(file: Uint8Array, every: number): Uint8Array {
    const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
    const kept: Uint8Array[] = [];
    let epb = 0;
    for (let p = 0; p + 12 <= file.length;) {
      const type = v.getUint32(p, true);
      const total = v.getUint32(p + 4, true);
      if (!(type === 6 && epb++ % every === every - 1)) kept.push(file.subarray(p, p + total));
      p += total;
    }
    return concat(kept);
  }

  it('packets removed: incomplete, no error or warning the whole capture lacks, unanswered tasks not captured (info)', async () => {
    const capture = sample('iscsi-libiscsi.pcapng');
    const whole = await findings('whole.pcapng', capture);
    const wholeSerious = new Set(serious(whole.all));
    for (const every of [13, 40]) {
      const lossy = await findings(`lossy-${every}.pcapng`, dropPackets(capture, every));
      expect(lossy.result.capture.complete).toBe(false);
      expect(serious(lossy.all).filter((f) => !wholeSerious.has(f))).toEqual([]);
      const never = lossy.all.filter((f) => f.ruleId === 'task-never-completed');
      expect(never.filter((f) => f.severity === 'info').length).toBeGreaterThan(0);
    }
  }, 120_000);
});

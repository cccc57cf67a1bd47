import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../../src/analysis/tasks.js';
import { tasksOf } from './tasks.js';
import { decodeFtrace } from '../../../src/formats/ftrace/reader.js';
import { STATUS_BYTE } from '../../../src/formats/ftrace/names.js';
import { DeliveryStatus, ServiceResponse } from '../../../src/model/events.js';

/**
 * The real captures: Debian's 6.1 kernel under QEMU with virtio-scsi and usb-storage (BOT and
 * UAS) disks, scsi:* tracepoints on through tracefs while sg3-utils, dd and deliberate errors
 * ran (scripts/capture-ftrace-qemu.sh). Checked against a plain reading of the same text.
 */
const CAPTURES = [
  'linux-ftrace-6.1.0-56-amd64-virtio-scsi.txt',
  'linux-ftrace-6.1.0-56-amd64-virtio-scsi.pipe.txt',
  'linux-ftrace-6.1.0-56-amd64-usb-bot.txt',
  'linux-ftrace-6.1.0-56-amd64-usb-uas.txt',
  'linux-ftrace-6.1.0-56-amd64-usb-uas-hs.txt',
];

/**
 * An independent reading: each done line closes the last start with the same
 * host:channel:id:lun and driver_tag (the kernel never reuses a tag while its request is in
 * flight); a timeout line marks it; a start with a tag that is still open means the error
 * handler took the earlier attempt back.
 */
function plainReading(text: string): { opcode: number; outcome: string }[] {
  const open = new Map<string, { opcode: number; timedOut: boolean; order: number }>();
  const out: { opcode: number; outcome: string; order: number }[] = [];
  let order = 0;
  for (const line of text.split('\n')) {
    const m =
      / scsi_dispatch_cmd_(start|done|timeout|error): host_no=(\d+) channel=(\d+) id=(\d+) lun=(\d+) .*driver_tag=(-?\d+) .*raw=([0-9a-f]{2})[^)]*\)(.*)$/.exec(
        line,
      );
    if (!m) continue;
    const [, ev, h, c, i, l, tag, op, rest] = m as unknown as string[];
    const key = `${h}:${c}:${i}:${l}/${tag}`;
    if (ev === 'start') {
      const prev = open.get(key);
      if (prev) out.push({ opcode: prev.opcode, outcome: 'timeout', order: prev.order });
      open.set(key, { opcode: parseInt(op!, 16), timedOut: false, order: order++ });
      continue;
    }
    const p = open.get(key)!;
    expect(p, line).toBeDefined();
    if (ev === 'timeout') {
      p.timedOut = true;
      continue;
    }
    open.delete(key);
    if (ev === 'error') {
      out.push({ opcode: p.opcode, outcome: 'refused', order: p.order });
      continue;
    }
    const host = /host=(\w+)/.exec(rest!)![1]!;
    const status = /status=(\w+)/.exec(rest!)![1]!;
    const outcome = host === 'DID_OK' ? status : host === 'DID_BAD_TARGET' || host === 'DID_NO_CONNECT' ? 'not present' : host;
    out.push({ opcode: p.opcode, outcome, order: p.order });
  }
  for (const p of open.values()) out.push({ opcode: p.opcode, outcome: p.timedOut ? 'timeout' : 'open', order: p.order });
  return out.sort((a, b) => a.order - b.order).map(({ opcode, outcome }) => ({ opcode, outcome }));
}

const SAM_NAME = new Map(Object.entries(STATUS_BYTE).map(([k, v]) => [v, k]));
function outcomeOf(t: TaskRecord): string {
  const c = t.complete!;
  if (c.serviceResponse === ServiceResponse.TaskComplete) return SAM_NAME.get(c.status)!;
  if (c.status === DeliveryStatus.TaskTimeoutOccurred) return 'timeout';
  if (c.status === DeliveryStatus.DeliveryFailure) return 'refused';
  if (c.status === DeliveryStatus.DeviceNotPresent) return 'not present';
  return `failure ${c.status}`;
}

describe('real Linux 6.1 tracepoint captures (QEMU)', () => {
  for (const name of CAPTURES) {
    it(`${name}: every dispatch matched, opcodes and outcomes as the text says`, () => {
      const text = readFileSync(new URL(`../../../traces/${name}`, import.meta.url), 'utf8');
      const evs = decodeFtrace(text);
      expect(evs.filter((e) => e.kind === 'diagnostic')).toEqual([]);
      const starts = text.split('\n').filter((l) => l.includes(' scsi_dispatch_cmd_start: ')).length;
      const { done, open, orphans } = tasksOf(evs);
      expect(evs.filter((e) => e.kind === 'submit')).toHaveLength(starts);
      expect(open).toEqual([]);
      expect(orphans).toBe(0);
      expect(done).toHaveLength(starts);
      const mine = done
        .slice()
        .sort((a, b) => Number(a.submit.taskId - b.submit.taskId))
        .map((t) => ({ opcode: t.submit.cdb[0]!, outcome: outcomeOf(t) }));
      expect(mine).toEqual(plainReading(text));
    });
  }

  it('the deliberate errors are there: CHECK CONDITION, queuecommand refusals, timeouts', () => {
    const count = (name: string, outcome: string) =>
      tasksOf(decodeFtrace(readFileSync(new URL(`../../../traces/${name}`, import.meta.url)))).done.filter((t) => outcomeOf(t) === outcome).length;
    expect(count('linux-ftrace-6.1.0-56-amd64-virtio-scsi.txt', 'refused')).toBe(4);
    expect(count('linux-ftrace-6.1.0-56-amd64-usb-bot.txt', 'timeout')).toBe(7);
    expect(count('linux-ftrace-6.1.0-56-amd64-usb-bot.txt', 'SAM_STAT_CHECK_CONDITION')).toBeGreaterThan(5);
  });
});

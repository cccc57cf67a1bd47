/**
 * Tracepoint text as people paste it: hard-wrapped by a mail client (the space at the break
 * eaten, or kept at the line's end), cut by `fold` at a fixed width, or mangled. Wrapped events
 * are joined back and read exactly as the unwrapped file; a mangled event line is a diagnostic
 * with its offset, never dropped without a word; a ring-buffer overrun is a capture gap.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeFtrace } from '../../../src/formats/ftrace/reader.js';
import { GapAffects, GapUnit, type TraceEvent } from '../../../src/model/events.js';
import { tasksOf } from './tasks.js';

const SAMPLES = [
  'linux-ftrace-6.1.0-56-amd64-megasas.txt',
  'linux-ftrace-6.1.0-56-amd64-usb-bot.txt',
  'linux-ftrace-fixture-6.6-tracefs.txt',
  'linux-ftrace-fixture-6.1-perf.txt',
  'linux-ftrace-fixture-5.10-trace-cmd.txt',
];
const sample = (name: string) => readFileSync(new URL(`../../../traces/${name}`, import.meta.url), 'utf8');

/** Mail-client wrap: break at the last space before `width`, dropping it (or keeping it, flowed). */
function mailWrap(text: string, width: number, flowed: boolean): string {
  return text
    .split('\n')
    .flatMap((line) => {
      const out: string[] = [];
      let rest = line;
      while (rest.length > width) {
        const cut = rest.lastIndexOf(' ', width);
        if (cut <= 0) break;
        out.push(flowed ? rest.slice(0, cut + 1) : rest.slice(0, cut));
        rest = rest.slice(cut + 1);
      }
      out.push(rest);
      return out;
    })
    .join('\n');
}

/** `fold -w width`: cut every line at exactly `width` characters. */
function fold(text: string, width: number): string {
  return text
    .split('\n')
    .flatMap((line) => {
      const out: string[] = [];
      for (let i = 0; i < line.length; i += width) out.push(line.slice(i, i + width));
      return out.length ? out : [''];
    })
    .join('\n');
}

/** What a user sees of each task: command, target, status, sense, and the line's time. */
function seen(events: TraceEvent[]): string[] {
  const { done, open } = tasksOf(events);
  return [...done, ...open].map(
    (t) =>
      `${t.submit.timeNs} ${t.submit.targetLabel} ${t.submit.lun} ${Buffer.from(t.submit.cdb).toString('hex')} → ${t.complete ? `${t.complete.serviceResponse}/${t.complete.status} ${Buffer.from(t.complete.sense).toString('hex')}` : 'open'}`,
  );
}

const diagnostics = (events: TraceEvent[]) => events.filter((e) => e.kind === 'diagnostic');

describe('hard-wrapped tracepoint text', () => {
  it.each(
    SAMPLES.flatMap(
      (name) =>
        [
          [name, 'mail wrap at 72', (t: string) => mailWrap(t, 72, false)],
          [name, 'format=flowed at 78', (t: string) => mailWrap(t, 78, true)],
          [name, 'fold -w 80', (t: string) => fold(t, 80)],
          [name, 'fold -w 64', (t: string) => fold(t, 64)],
        ] as const,
    ),
  )('%s, %s: the same tasks as the unwrapped file', (name, _how, wrap) => {
    const text = sample(name);
    const plain = decodeFtrace(text);
    const wrapped = decodeFtrace(wrap(text));
    expect(seen(plain).length).toBeGreaterThan(3);
    expect(diagnostics(wrapped)).toEqual([]);
    expect(seen(wrapped)).toEqual(seen(plain));
  });

  it('a file whose every line is wrapped before the event name still reads, never as zero tasks with exit 0', () => {
    const text = sample('linux-ftrace-6.1.0-56-amd64-megasas.txt').replace(/: (scsi_dispatch_cmd_\w+|scsi_eh_wakeup): /g, ':\n$1: ');
    const events = decodeFtrace(text);
    expect(diagnostics(events)).toEqual([]);
    expect(seen(events)).toEqual(seen(decodeFtrace(sample('linux-ftrace-6.1.0-56-amd64-megasas.txt'))));
  });
});

describe('mangled tracepoint lines', () => {
  const text = sample('linux-ftrace-6.1.0-56-amd64-megasas.txt');
  const doneAt = text.indexOf('scsi_dispatch_cmd_done: host_no=0 channel=2');
  const lineStart = text.lastIndexOf('\n', doneAt) + 1;

  it.each([
    ['event name', (t: string) => t.slice(0, doneAt + 17) + 'dXne' + t.slice(doneAt + 21)],
    ['timestamp', (t: string) => t.slice(0, doneAt - 4) + 'x' + t.slice(doneAt - 3)],
    ['colon after the timestamp', (t: string) => t.slice(0, doneAt - 2) + ';' + t.slice(doneAt - 1)],
  ])('a scsi_dispatch_cmd_done line with a mangled %s is a diagnostic at its offset', (_, mangle) => {
    const events = decodeFtrace(mangle(text));
    const d = diagnostics(events);
    expect(d).toHaveLength(1);
    expect(d[0]!.kind === 'diagnostic' && d[0]!.message).toMatch(new RegExp(`^at byte 0x${lineStart.toString(16)}: `));
  });
});

describe('ring buffer overruns', () => {
  it('"CPU:N [LOST M EVENTS]" and trace-cmd\'s "[M EVENTS DROPPED]" are capture gaps', () => {
    const lines = sample('linux-ftrace-fixture-6.6-tracefs.txt').split('\n');
    const at = lines.findIndex((l) => l.includes('scsi_dispatch_cmd_start')) + 1;
    lines.splice(at, 0, 'CPU:1 [LOST 1234 EVENTS]', 'CPU:0 [56 EVENTS DROPPED]');
    const events = decodeFtrace(lines.join('\n'));
    const gaps = events.filter((e) => e.kind === 'gap');
    expect(gaps.map((g) => (g.kind === 'gap' ? [g.lost, g.unit, g.affects] : []))).toEqual([
      [1234, GapUnit.Records, GapAffects.All],
      [56, GapUnit.Records, GapAffects.All],
    ]);
    expect(diagnostics(events)).toEqual([]);
  });
});

/**
 * Real trace.dat files recorded inside a QEMU guest with Debian's trace-cmd 3.1.6
 * (scripts/capture-tracedat-qemu.sh: `trace-cmd extract`, which writes version 7 with zstd
 * sections, and `trace-cmd convert` of that file to version 6 and to uncompressed version 7),
 * against `trace-cmd report`'s text of the same file read by the ftrace reader: task by task;
 * once against the checked-in `traces/*.report.txt`, once against `trace-cmd report` run here
 * on each file (scripts/ensure-system-deps.sh installs Debian's trace-cmd; a missing one fails).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkEvents } from '../../../src/checks/engine.js';
import { decodeFtrace } from '../../../src/formats/ftrace/reader.js';
import { sniffFormat } from '../../../src/formats/index.js';
import { decodeTraceDat } from '../../../src/formats/tracedat/reader.js';
import type { TraceEvent } from '../../../src/model/events.js';
import { tasksOf } from '../ftrace/tasks.js';

const KVER = '6.1.0-57-amd64';
const CAPTURES = [
  { name: `linux-tracecmd-${KVER}-virtio-scsi`, versions: ['dat'], cpus: 1 },
  { name: `linux-tracecmd-${KVER}-megasas-2cpu`, versions: ['dat', 'v6.dat', 'v7.dat'], cpus: 2 },
] as const;

interface Row {
  target: string;
  lun: number;
  tag: bigint;
  cdb: string;
  timeNs: number;
  serviceResponse?: number;
  status?: number;
  sense?: string;
  doneNs?: number;
}

function rows(evs: TraceEvent[]): { rows: Row[]; open: number; orphans: number; hba: string[] } {
  const { done, open, orphans } = tasksOf(evs);
  const all = [...done, ...open].sort((a, b) => a.submit.index - b.submit.index);
  return {
    rows: all.map(({ submit: s, complete: c }) => ({
      target: s.targetLabel ?? String(s.targetId),
      lun: s.lun,
      tag: s.tag,
      cdb: Buffer.from(s.cdb).toString('hex'),
      timeNs: s.timeNs,
      ...(c ? { serviceResponse: c.serviceResponse, status: c.status, sense: Buffer.from(c.sense).toString('hex'), doneNs: c.timeNs } : {}),
    })),
    open: open.length,
    orphans,
    hba: evs.flatMap((e) => (e.kind === 'hba' ? [`${e.hbaKind}:${e.detail}`] : [])),
  };
}

/** `trace-cmd report -i path`, run here: its text, or an error that fails the test (never a skip). */
function liveReport(path: string): Buffer {
  try {
    return execFileSync('trace-cmd', ['report', '-i', path], { maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'trace-cmd is not installed (scripts/ensure-system-deps.sh installs it)' : String(e);
    throw new Error(`trace-cmd report -i ${path}: ${why}`);
  }
}

/** The trace.dat read by the tracedat reader and `report` read by the ftrace reader agree task by task; returns the summary line. */
async function agree(path: string, version: string, report: Buffer, cpus: number): Promise<string> {
  expect(existsSync(path)).toBe(true);
  const bytes = readFileSync(path);
  expect(sniffFormat(bytes.subarray(0, 65536))?.id).toBe('tracedat');
  const dat = await decodeTraceDat(bytes);
  expect(dat.filter((e) => e.kind === 'diagnostic')).toEqual([]);
  const text = decodeFtrace(report);
  expect(report.toString('latin1').startsWith(`cpus=${cpus}\n`)).toBe(true);
  const ours = rows(dat);
  const theirs = rows(text);
  expect(ours.rows.length).toBeGreaterThan(400);
  expect(ours.rows.length).toBe(theirs.rows.length);
  const json = (r: object) => JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? String(v) : v));
  const differences: string[] = [];
  for (let i = 0; i < ours.rows.length; i++) {
    const a = ours.rows[i]!;
    const b = theirs.rows[i]!;
    // report prints microseconds: the times agree to within one.
    const { timeNs: at, doneNs: ad, ...restA } = a;
    const { timeNs: bt, doneNs: bd, ...restB } = b;
    if (json(restA) !== json(restB)) differences.push(`task ${i}: ${json(restA)} vs ${json(restB)}`);
    if (Math.abs(at - bt) >= 1000 || (ad !== undefined && Math.abs(ad - bd!) >= 1000)) differences.push(`task ${i}: times ${at}/${ad} vs ${bt}/${bd}`);
  }
  expect(differences).toEqual([]);
  expect([ours.open, ours.orphans]).toEqual([theirs.open, theirs.orphans]);
  expect(ours.hba).toEqual(theirs.hba);
  // check finds the same things in both.
  const findings = (evs: TraceEvent[]) => checkEvents(evs).groups.map((g) => `${g.ruleId}${g.subject ? ` [${g.subject}]` : ''} ×${g.count}`);
  expect(findings(dat)).toEqual(findings(text));
  const header = dat.find((e) => e.kind === 'header');
  expect(header).toMatchObject({ format: 'tracedat', version: `${version === 'v6.dat' ? 6 : 7}; linux-6.0-6.4` });
  return `${ours.rows.length - differences.length} of ${ours.rows.length} tasks agree (target, LUN, tag, CDB, response, status, sense, times within 1 µs); ${ours.hba.length} timeouts agree`;
}

describe.each(CAPTURES)('$name', ({ name, versions, cpus }) => {
  const report = `traces/${name}.report.txt`;

  it.each(versions)('.%s agrees with the checked-in trace-cmd report task by task', async (version) => {
    const summary = await agree(`traces/${name}.${version}`, version, readFileSync(report), cpus);
    console.log(`${name}.${version} vs ${report}: ${summary}`);
  });

  it.each(versions)('.%s agrees with trace-cmd report run here task by task', async (version) => {
    const path = `traces/${name}.${version}`;
    const summary = await agree(path, version, liveReport(path), cpus);
    console.log(`${name}.${version} vs live \`trace-cmd report\`: ${summary}`);
  });

  it('spreads events over the CPUs it says', async () => {
    const text = readFileSync(report, 'latin1');
    for (let cpu = 0; cpu < cpus; cpu++) expect(text).toContain(`[${String(cpu).padStart(3, '0')}]`);
  });
});

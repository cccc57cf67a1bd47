/**
 * The seed case through the other channel a dext has: its records as the SCT1 lines
 * emit/scsitrace.h hands to os_log (one unit per line group, 239 characters at most), in a
 * `log show --style compact` export where the lines belong to process `kernel`. `check` must
 * find the same defects, tied the same way, as in the ring-drained `.sct`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeUnitLines } from '../../src/formats/oslog/encoding.js';
import { runScsitrace } from '../helpers/cli.js';
import { wrapInLogStyle } from '../formats/oslog/styles.js';
import { sample } from './helpers.js';

interface Json {
  findings: Array<{ ruleId: string; evidence: Record<string, unknown> }>;
}

/** The native bytes as the units a dext logs: the file header, then each record. */
function units(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(12, true);
  const out: Uint8Array[] = [bytes.subarray(0, headerLength)];
  for (let p = headerLength; p < bytes.length;) {
    const length = 16 + view.getUint32(p + 8, true);
    out.push(bytes.subarray(p, p + length));
    p += length;
  }
  return out;
}

const countByRule = (j: Json): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const f of j.findings) counts[f.ruleId] = (counts[f.ruleId] ?? 0) + 1;
  return counts;
};

describe('the seed case captured through os_log', () => {
  const bytes = sample('lsi3108-buffered-copy').bytes;
  const lines = units(bytes).flatMap((u, i) => encodeUnitLines(u, i));
  const dir = mkdtempSync(join(tmpdir(), 'scsitrace-seed-log-'));
  const sct = join(dir, 'capture.sct');
  const log = join(dir, 'capture.log');
  writeFileSync(sct, bytes);
  writeFileSync(log, wrapInLogStyle(lines, 'show-compact'));

  it('every line fits what a dext’s os_log keeps', () => {
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(239);
  });

  it('check finds the same defects, and ties each corrupt read-back to its write, as from the ring', async () => {
    const fromRing = JSON.parse((await runScsitrace('check', '--format', 'json', '--max-examples', 'all', sct)).stdout) as Json;
    const fromLog = JSON.parse((await runScsitrace('check', '--format', 'json', '--max-examples', 'all', log)).stdout) as Json;
    expect(countByRule(fromLog)).toEqual(countByRule(fromRing));
    const mismatches = fromLog.findings.filter((f) => f.ruleId === 'read-back-mismatch');
    expect(mismatches.length).toBeGreaterThan(20);
    for (const m of mismatches) {
      expect(m.evidence['likelyCauseTaskId']).toBeDefined();
      expect(m.evidence['flushCanExplain']).toBe(false);
    }
  });
});

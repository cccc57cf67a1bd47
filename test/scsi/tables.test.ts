import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
// The generator is plain JS; importing it lets the test rebuild the tables and compare.
import { generateTables } from '../../scripts/gen-scsi-tables.mjs';
import { ascName, opcodeName, serviceActionName } from '../../src/scsi/index.js';
import { ASC_ASCQ_RANGES, ASC_ASCQ_ROWS } from '../../src/scsi/tables/asc-ascq.js';
import { OPCODE_ROWS } from '../../src/scsi/tables/opcodes.js';
import { SERVICE_ACTION_ROWS } from '../../src/scsi/tables/service-actions.js';

const repoRoot = resolve(__dirname, '../..');
/** Test-time only: the tool itself never reads this folder. */
const referenceDir = resolve(repoRoot, '../shared/reference');

function tsv(file: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(join(referenceDir, file), 'utf8').split(/\r?\n/).filter(Boolean);
  const columns = header!.split('\t');
  return lines.map((line) => Object.fromEntries(line.split('\t').map((cell, i) => [columns[i], cell])));
}
const num = (s: string | undefined): number => Number.parseInt(s!, 16);

/** Where T10's name is not the upper-cased sg3_utils name (kept short on purpose). */
const T10_RENAMES: Record<string, string> = {
  'Extended cdb (XCBD)': 'EXTENDED CDB',
  'Atomic write(32)': 'WRITE ATOMIC(32)',
};
const expectedName = (raw: string): string => T10_RENAMES[raw] ?? raw.replace(/\s+/g, ' ').trim().toUpperCase();

describe('reference tables', () => {
  it('has every opcode row of the reference, in T10 upper case', () => {
    const rows = tsv('opcodes.tsv');
    expect(rows.length).toBeGreaterThanOrEqual(189);
    expect(OPCODE_ROWS.length).toBeGreaterThanOrEqual(189);
    for (const row of rows) {
      const match = OPCODE_ROWS.find((r) => r.opcode === num(row.opcode) && r.deviceTypes === row.device_types);
      expect(match, `opcode ${row.opcode} ${row.device_types}`).toBeDefined();
      expect(match!.name).toBe(expectedName(row.name!));
    }
  });

  it('has every service action row of the reference', () => {
    const rows = tsv('service-actions.tsv');
    expect(rows.length).toBeGreaterThanOrEqual(214);
    expect(SERVICE_ACTION_ROWS.length).toBeGreaterThanOrEqual(214);
    for (const row of rows) {
      const match = SERVICE_ACTION_ROWS.find(
        (r) => r.opcode === num(row.opcode) && r.serviceAction === num(row.service_action) && r.deviceTypes === row.device_types,
      );
      expect(match, `${row.opcode}/${row.service_action} ${row.device_types}`).toBeDefined();
      expect(match!.name).toBe(expectedName(row.name!));
    }
  });

  it('names every ASC/ASCQ of the reference exactly as T10 prints it', () => {
    const rows = tsv('asc-ascq.tsv');
    expect(rows.length).toBeGreaterThanOrEqual(766);
    expect(ASC_ASCQ_ROWS.length).toBeGreaterThanOrEqual(766);
    for (const row of rows) {
      expect(ascName(num(row.asc), num(row.ascq)), `${row.asc}/${row.ascq}`).toBe(expectedName(row.name!));
    }
  });

  it('has every ranged ASC pattern, each filling in the ASCQ', () => {
    const rows = tsv('asc-ascq-ranges.tsv');
    expect(rows.length).toBe(6);
    expect(ASC_ASCQ_RANGES.length).toBe(rows.length);
    for (const row of rows) {
      const asc = num(row.asc);
      const ascq = num(row.ascq_max);
      const exact = ASC_ASCQ_ROWS.some(([key]) => key === ((asc << 8) | ascq));
      if (exact) continue;
      const name = ascName(asc, ascq);
      const stem = row
        .name_pattern!.replace(/\[?0x%x\]?/, '')
        .trim()
        .toUpperCase();
      expect(name.startsWith(stem), `${name} starts with ${stem}`).toBe(true);
      expect(name).toContain(`0x${ascq.toString(16).toUpperCase().padStart(2, '0')}`);
    }
  });

  it('keys ASC rows (asc << 8) | ascq, sorted and unique', () => {
    for (let i = 1; i < ASC_ASCQ_ROWS.length; i++) {
      expect(ASC_ASCQ_ROWS[i]![0]).toBeGreaterThan(ASC_ASCQ_ROWS[i - 1]![0]);
    }
    for (let i = 1; i < OPCODE_ROWS.length; i++) expect(OPCODE_ROWS[i]!.opcode).toBeGreaterThanOrEqual(OPCODE_ROWS[i - 1]!.opcode);
  });

  it('committed tables are what the generator makes from the reference', () => {
    const generated = generateTables(referenceDir) as Record<string, string>;
    expect(Object.keys(generated).sort()).toEqual(['src/scsi/tables/asc-ascq.ts', 'src/scsi/tables/opcodes.ts', 'src/scsi/tables/service-actions.ts']);
    for (const [path, content] of Object.entries(generated)) {
      expect(readFileSync(join(repoRoot, path), 'utf8'), `${path} is stale: run node scripts/gen-scsi-tables.mjs`).toBe(content);
    }
  });

  it('names commands as T10 does', () => {
    expect(opcodeName(0x28)).toBe('READ(10)');
    expect(opcodeName(0x35)).toBe('SYNCHRONIZE CACHE(10)');
    expect(opcodeName(0x8a)).toBe('WRITE(16)');
    expect(opcodeName(0xa0)).toBe('REPORT LUNS');
    expect(opcodeName(0x9e, 0x10)).toBe('READ CAPACITY(16)');
    expect(opcodeName(0xa3, 0x0c)).toBe('REPORT SUPPORTED OPERATION CODES');
    expect(opcodeName(0x7f, 0x000f)).toBe('WRITE ATOMIC(32)');
    expect(serviceActionName(0x5f, 0x01)).toBe('RESERVE');
    expect(ascName(0x20, 0x00)).toBe('INVALID COMMAND OPERATION CODE');
  });
});

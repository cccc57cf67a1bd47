/** Lining up two traces' data commands block by block (src/analysis/diff/align.ts). */
import { describe, expect, it } from 'vitest';
import { Aligner } from '../../src/analysis/diff/align.js';
import type { Extent } from '../../src/analysis/diff/profile.js';

let nextId = 1n;
const ext = (lba: number, blocks: number, lun = 0): Extent => ({
  lun,
  lba,
  blocks,
  taskId: nextId++,
  offset: 64 * Number(nextId),
  recordIndex: Number(nextId),
  timeNs: 0,
  name: 'WRITE(10)',
});

function align(a: Extent[], b: Extent[]) {
  const al = new Aligner();
  for (const e of a) al.push(0, true, e);
  for (const e of b) al.push(1, true, e);
  al.end(0);
  al.end(1);
  return al.result()[1];
}

describe('Aligner', () => {
  it('one 1024-block write lines up with eight of 128 blocks', () => {
    const r = align(
      [ext(0, 1024)],
      Array.from({ length: 8 }, (_, i) => ext(i * 128, 128)),
    );
    expect(r.outcome).toBe('same');
    expect(r.blocks).toBe(1024);
    expect(r.commands).toEqual([1, 8]);
  });

  it('the first differing block is the divergence, with both commands and how far into them', () => {
    const a = [ext(0, 256), ext(256, 256)];
    const b = [ext(0, 128), ext(128, 64), ext(999, 8)];
    const r = align(a, b);
    expect(r.outcome).toBe('diverged');
    expect(r.blocks).toBe(192);
    expect(r.divergence![0]).toMatchObject({ command: 0, blocksIn: 192, extent: { lba: 0 } });
    expect(r.divergence![1]).toMatchObject({ command: 2, blocksIn: 0, extent: { lba: 999 } });
  });

  it('a different LUN at the same LBA diverges', () => {
    expect(align([ext(0, 8, 0)], [ext(0, 8, 1)]).outcome).toBe('diverged');
  });

  it('one trace going on after the other ended', () => {
    const r = align([ext(0, 8), ext(8, 8)], [ext(0, 8)]);
    expect(r.outcome).toBe('baseline-longer');
    expect(r.divergence![0]).toMatchObject({ command: 1, extent: { lba: 8 } });
    expect(r.divergence![1]).toBeNull();
    expect(align([ext(0, 8)], [ext(0, 8), ext(8, 8)]).outcome).toBe('candidate-longer');
  });

  it('none when neither trace has commands of the direction', () => {
    expect(align([], []).outcome).toBe('none');
  });

  it('pending extents are released once decided', () => {
    const al = new Aligner();
    al.push(0, true, ext(0, 8));
    al.push(1, true, ext(5, 8));
    for (let i = 0; i < 1000; i++) al.push(0, true, ext(8 + i * 8, 8));
    expect(al.pending(0)).toBe(0);
    expect(al.result()[1].seen).toEqual([1001, 1]);
  });
});

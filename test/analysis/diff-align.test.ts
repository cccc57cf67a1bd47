/** Lining up two traces' data commands block by block (src/analysis/diff/align.ts). */
import { describe, expect, it } from 'vitest';
import { Aligner } from '../../src/analysis/diff/align.js';
import { TaskBatch, RowKind } from '../../src/model/batch.js';
import { setU64 } from '../../src/model/batch-builder.js';
import { rw10 } from '../helpers/trace.js';

/** A WRITE(10) extent: lines up by LUN and LBA. */
interface Ext {
  lba: number;
  blocks: number;
  lun: number;
}
const ext = (lba: number, blocks: number, lun = 0): Ext => ({ lba, blocks, lun });

let nextId = 1;
/** Pushes each extent as a Submit row of a batch (what the profile hands the aligner). */
function pushAll(al: Aligner, side: 0 | 1, exts: Ext[]): void {
  const b = new TaskBatch();
  for (const e of exts) {
    const r = b.addRow(RowKind.Submit);
    const id = nextId++;
    setU64(b.taskIdHi, b.taskIdLo, r, id);
    b.lun[r] = e.lun;
    b.subOffset[r] = 64 * id;
    b.subIndex[r] = id;
    b.subTimeNs[r] = 0;
    const cdb = Uint8Array.from(rw10(true, e.lba, e.blocks));
    b.cdbLength[r] = cdb.length;
    b.cdbAt[r] = b.copyToSlab(cdb, 0, cdb.length);
    al.push(side, true, b, r, e.lba, e.blocks);
  }
}

function align(a: Ext[], b: Ext[]) {
  const al = new Aligner();
  pushAll(al, 0, a);
  pushAll(al, 1, b);
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
    expect(r.divergence![0]).toMatchObject({ command: 0, blocksIn: 192, extent: { lba: 0, blocks: 256, name: 'WRITE(10)' } });
    expect(r.divergence![1]).toMatchObject({ command: 2, blocksIn: 0, extent: { lba: 999, blocks: 8, name: 'WRITE(10)' } });
    // The commands are named by task id, record and byte offset.
    const [x, y] = [r.divergence![0]!.extent, r.divergence![1]!.extent];
    expect(y.taskId - x.taskId).toBe(4n);
    expect(y.offset - x.offset).toBe(4 * 64);
    expect(y.recordIndex - x.recordIndex).toBe(4);
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

  it('long queues line up as the other side reaches them, and the divergence still names its command', () => {
    const al = new Aligner();
    const first = nextId;
    // Baseline: 7,000 one-block writes; candidate: the same blocks in 100-block writes, then a stray one.
    const small = Array.from({ length: 7000 }, (_, i) => ext(i, 1));
    const large = [...Array.from({ length: 69 }, (_, i) => ext(i * 100, 100)), ext(6900, 50), ext(99_999, 50)];
    for (let k = 0; k < 10; k++) {
      pushAll(al, 0, small.slice(k * 700, (k + 1) * 700));
      if (k < 9) pushAll(al, 1, large.slice(k * 6, (k + 1) * 6));
    }
    pushAll(al, 1, large.slice(54));
    al.end(0);
    al.end(1);
    const r = al.result()[1];
    expect(r.outcome).toBe('diverged');
    expect(r.blocks).toBe(6950);
    expect(r.commands).toEqual([6950, 70]);
    expect(r.divergence![0]).toMatchObject({ command: 6950, blocksIn: 0, extent: { lba: 6950, blocks: 1 } });
    expect(r.divergence![1]).toMatchObject({ command: 70, blocksIn: 0, extent: { lba: 99_999, blocks: 50 } });
    // Rows are numbered in push order: nine rounds of 700 + 6 before the baseline's 6,950th; all 7,000 + 70 before the stray one.
    expect(r.divergence![0]!.extent.recordIndex - first).toBe(9 * 706 + 650);
    expect(r.divergence![1]!.extent.recordIndex - first).toBe(7000 + 70);
  });

  it('pending extents are released once decided', () => {
    const al = new Aligner();
    pushAll(al, 0, [ext(0, 8)]);
    pushAll(al, 1, [ext(5, 8)]);
    pushAll(
      al,
      0,
      Array.from({ length: 1000 }, (_, i) => ext(8 + i * 8, 8)),
    );
    expect(al.pending(0)).toBe(0);
    expect(al.result()[1].seen).toEqual([1001, 1]);
  });
});

import { crc32c } from '../../src/model/crc32c.js';

/**
 * A test-local encoder of what native format 1.1 adds (HELPERS.md "Native format 1.1", to be
 * docs/FORMAT.md): the TASK_SUBMITTED extension, TARGET_INFO (7) and CAPTURE_GAP (8). Written
 * from the spec alone so that emit/scsitrace.h is checked against the spec, not against itself;
 * once the TypeScript writer speaks 1.1 the emitter tests can compare with it instead.
 */

const pad8 = (n: number) => (n + 7) & ~7;

class Body {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  constructor(length: number) {
    this.bytes = new Uint8Array(length);
    this.view = new DataView(this.bytes.buffer);
  }
  u8(at: number, v: number) { this.view.setUint8(at, v); }
  u16(at: number, v: number) { this.view.setUint16(at, v, true); }
  u32(at: number, v: number) { this.view.setUint32(at, v, true); }
  u64(at: number, v: bigint | number) { this.view.setBigUint64(at, BigInt(v), true); }
  put(at: number, b: ArrayLike<number>) { this.bytes.set(b, at); }
}

/** Record framing: sync, type, flags, body length, body, CRC32C of type … body. */
function frame(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + body.length);
  const v = new DataView(out.buffer);
  out.set([0xa5, 0x5a, 0xc3, 0x3c], 0);
  v.setUint16(4, type, true);
  v.setUint32(8, body.length, true);
  out.set(body, 12);
  v.setUint32(12 + body.length, crc32c(out, 4, 12 + body.length), true);
  return out;
}

export interface Submit11 {
  time: number; task: bigint; target: bigint; lun: number[]; tag: bigint; requested: number; timeoutMs: number;
  attribute: number; direction: number; slot: number; cdb: number[]; segments: Array<{ address: bigint; length: number }>;
  /** absent: a 1.0 body */
  extension?: { address: bigint; length: bigint; flags: number };
}

export function submit11(r: Submit11): Uint8Array {
  const c = r.cdb.length;
  const segAt = 64 + pad8(c);
  const extAt = segAt + 16 * r.segments.length;
  const b = new Body(extAt + (r.extension ? 24 : 0));
  b.u64(0, r.time);
  b.u64(8, r.task);
  b.u64(16, r.target);
  b.put(24, r.lun);
  b.u64(32, r.tag);
  b.u64(40, r.requested);
  b.u32(48, r.timeoutMs);
  b.u8(52, r.attribute);
  b.u8(53, r.direction);
  b.u16(54, c);
  b.u32(56, r.segments.length);
  b.u16(60, r.slot);
  b.put(64, r.cdb);
  r.segments.forEach((s, i) => {
    b.u64(segAt + 16 * i, s.address);
    b.u64(segAt + 16 * i + 8, s.length);
  });
  if (r.extension) {
    b.u64(extAt, r.extension.address);
    b.u64(extAt + 8, r.extension.length);
    b.u32(extAt + 16, r.extension.flags);
  }
  return frame(1, b.bytes);
}

export function targetInfo(time: number, target: bigint, label: string): Uint8Array {
  const l = Buffer.from(label, 'utf8');
  const b = new Body(24 + pad8(l.length));
  b.u64(0, time);
  b.u64(8, target);
  b.u16(16, l.length);
  b.put(24, l);
  return frame(7, b.bytes);
}

export interface Gap11 { time: number; end: number; lost: bigint; target: bigint; unit: number; affects: number; detail: string }

export function captureGap(g: Gap11): Uint8Array {
  const d = Buffer.from(g.detail, 'utf8');
  const b = new Body(40 + pad8(d.length));
  b.u64(0, g.time);
  b.u64(8, g.end);
  b.u64(16, g.lost);
  b.u64(24, g.target);
  b.u8(32, g.unit);
  b.u8(33, g.affects);
  b.u16(34, d.length);
  b.put(40, d);
  return frame(8, b.bytes);
}

/**
 * Compares `scsitrace decode --format json` with a tshark oracle (scripts/tshark-oracle*.mjs,
 * one JSON object per SCSI command), command by command. Commands are matched by frame: the
 * oracle's `frame` is the frame where tshark shows the command, our `record` is the packet
 * index where the command's PDU (or CBW / Command IU) completed, so frame = record + 1.
 *
 * Every disagreement must be explained by a named reason that is checked against the bytes,
 * not just accepted: a test using this fails on any unexplained difference.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PacketContainerReader, type CapturedPacket } from '../../../src/formats/pcap/container.js';
import { newReadStats } from '../../../src/model/stats.js';
import type { TaskJson } from '../../../src/report/task-view.js';
import { decodeCdb } from '../../../src/scsi/index.js';
import { runScsitrace } from '../../helpers/cli.js';

export interface OracleRecord {
  frame: number;
  responseFrame: number | null;
  stream?: number;
  itt?: number;
  tag?: number;
  lun: number | null;
  opcode: number | null;
  serviceAction: number | null;
  lba: number | string | null;
  transferLength: number | null;
  status: number | null;
  senseKey: number | null;
  asc: number | null;
  ascq: number | null;
  responseTimeNs: number | null;
}

export const COMPARED_FIELDS = ['opcode', 'lba', 'blocks', 'status', 'senseKey', 'asc', 'ascq', 'responseTimeNs'] as const;
export type ComparedField = (typeof COMPARED_FIELDS)[number];

export interface Difference {
  frame: number;
  field: ComparedField;
  ours: unknown;
  theirs: unknown;
}

export interface Comparison {
  oracleCommands: number;
  ourCommands: number;
  matched: number;
  /** Matched commands equal in every compared field. */
  agreed: number;
  differences: Difference[];
  /** Oracle commands we have no task for. */
  missing: OracleRecord[];
  /** Our tasks at frames where the oracle has no command. */
  extra: TaskJson[];
}

/** The block count a command covers, as tshark's TRANSFER/VERIFICATION LENGTH fields mean it. */
export function blocksOf(t: TaskJson): number | null {
  const d = decodeCdb(hexBytes(t.cdb));
  if (d.blockCount !== undefined) return d.blockCount;
  return d.transferUnit === 'blocks' ? (d.transferLength ?? null) : null;
}

export function hexBytes(hex: string): Uint8Array {
  const b = new Uint8Array(hex.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return b;
}

function ourValue(t: TaskJson, f: ComparedField): unknown {
  switch (f) {
    case 'opcode':
      return t.opcode;
    case 'lba':
      return t.lba;
    case 'blocks':
      return blocksOf(t);
    case 'status':
      return t.statusCode;
    case 'senseKey':
      return t.sense?.key ?? null;
    case 'asc':
      return t.sense?.asc ?? null;
    case 'ascq':
      return t.sense?.ascq ?? null;
    case 'responseTimeNs':
      return t.latencyNs;
  }
}

function theirValue(o: OracleRecord, f: ComparedField): unknown {
  if (f === 'blocks') return o.transferLength;
  if (f === 'lba' && typeof o.lba === 'string') return o.lba;
  return o[f];
}

export function compare(ours: TaskJson[], oracle: OracleRecord[]): Comparison {
  const byFrame = new Map<number, TaskJson>();
  for (const t of ours) byFrame.set(t.record + 1, t);
  const oracleFrames = new Set(oracle.map((o) => o.frame));
  const c: Comparison = { oracleCommands: oracle.length, ourCommands: ours.length, matched: 0, agreed: 0, differences: [], missing: [], extra: [] };
  for (const o of oracle) {
    const t = byFrame.get(o.frame);
    if (!t) {
      c.missing.push(o);
      continue;
    }
    c.matched++;
    let same = true;
    for (const f of COMPARED_FIELDS) {
      const a = ourValue(t, f);
      const b = theirValue(o, f);
      if ((a ?? null) !== (b ?? null)) {
        same = false;
        c.differences.push({ frame: o.frame, field: f, ours: a, theirs: b });
      }
    }
    if (same) c.agreed++;
  }
  for (const t of ours) if (!oracleFrames.has(t.record + 1)) c.extra.push(t);
  return c;
}

export async function decodeJson(capture: string): Promise<{ tasks: TaskJson[]; stderr: string; code: number }> {
  const r = await runScsitrace('decode', '--format', 'json', capture);
  const tasks = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TaskJson);
  return { tasks, stderr: r.stderr, code: r.code };
}

export function readOracle(path: string): OracleRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as OracleRecord);
}

/** Whether tshark can run here. Under CI=true its absence is an error, not a reason to skip. */
export function tsharkAvailable(): boolean {
  const r = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
  const ok = r.status === 0;
  if (!ok && process.env['CI'] === 'true')
    throw new Error('tshark is not installed, but CI=true requires the live tshark comparison (.ci/run installs tshark)');
  return ok;
}

/** Runs an oracle script on a capture and parses its JSON Lines. */
export function liveOracle(script: string, capture: string): OracleRecord[] {
  const text = execFileSync(process.execPath, [script, capture], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as OracleRecord);
}

/** One line per field: how many commands disagree on it and why. */
export function summarise(name: string, c: Comparison, reasons: Map<string, number>): string {
  const rate = c.oracleCommands ? ((100 * c.agreed) / c.oracleCommands).toFixed(2) : 'n/a';
  const lines = [
    `${name}: ${c.agreed}/${c.oracleCommands} commands agree in every field (${rate}%); matched ${c.matched}, missing ${c.missing.length}, extra ${c.extra.length}`,
  ];
  for (const [why, n] of reasons) lines.push(`  ${n} × ${why}`);
  return lines.join('\n');
}

/** Every packet of a capture file by 1-based frame number (tshark's numbering), for checking a difference against the bytes. */
export function packetsByFrame(path: string): Map<number, CapturedPacket> {
  const packets = new Map<number, CapturedPacket>();
  const reader = new PacketContainerReader({ start() {}, event() {}, dropped() {}, packet: (p) => void packets.set(p.index + 1, p) }, newReadStats());
  reader.push(readFileSync(path));
  reader.end();
  return packets;
}

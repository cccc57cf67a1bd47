/**
 * The capture-completeness part of `check` and `summary` output: what the readers said the
 * capture lost (CaptureGap events), in one JSON shape and one set of text lines for both.
 */
import { GAP_AFFECTS_NAMES, GAP_UNIT_NAMES, lostText, type CaptureReport, type GapLost } from '../analysis/gaps.js';
import { formatTimestamp } from './time.js';
import { jsonInteger } from '../model/json.js';
import { formatCount, formatDuration, plural } from '../model/units.js';

export interface CaptureGapJson {
  file: string | null;
  /** Time of the last thing captured before the loss, ns (in its trace). */
  timeNs: number;
  /** Time of the first thing captured after it (equal to timeNs when unknown). */
  endNs: number;
  offset: number;
  record: number;
  /** Units lost; 0 = not counted. */
  lost: number;
  unit: keyof GapLost;
  affects: 'all' | 'submissions' | 'completions';
  /** The target the gap concerns; null = all targets. Decimal string beyond 2^53. */
  target: number | string | null;
  detail: string;
}

/** `capture` in `check --format json` and `summary --format json` (docs/summary.md, README.md). */
export interface CaptureJson {
  /** False when a reader reported that the capture lost data: the trace is incomplete. */
  complete: boolean;
  gaps: number;
  /** Units lost, per unit, over the gaps that counted their loss. */
  lost: GapLost;
  /** Gaps whose loss was not counted. */
  unknownLoss: number;
  /** Time the capture was blind (sum of gap end − start), ns. */
  blindNs: number;
  byAffects: { all: number; submissions: number; completions: number };
  /** Tasks without a completion at the end whose completion a gap may hold. */
  tasksWithoutCompletion: number;
  /** Completions for no task in flight whose submission a gap may hold. */
  completionsWithoutSubmission: number;
  /** The first gaps (at most 10). */
  examples: CaptureGapJson[];
}

export function captureJson(c: CaptureReport): CaptureJson {
  return {
    complete: c.complete,
    gaps: c.gaps,
    lost: { ...c.lost },
    unknownLoss: c.unknownLoss,
    blindNs: c.blindNs,
    byAffects: { ...c.byAffects },
    tasksWithoutCompletion: c.tasksWithoutCompletion,
    completionsWithoutSubmission: c.completionsWithoutSubmission,
    examples: c.examples.map((g) => ({
      file: g.file ?? null,
      timeNs: g.timeNs,
      endNs: g.endNs,
      offset: g.offset,
      record: g.index,
      lost: g.lost,
      unit: GAP_UNIT_NAMES[g.unit] ?? 'unknown',
      affects: GAP_AFFECTS_NAMES[g.affects] ?? 'all',
      target: g.targetId === undefined ? null : jsonInteger(g.targetId),
      detail: g.detail,
    })),
  };
}

const UNIT_ORDER: Array<keyof GapLost> = ['lines', 'records', 'packets', 'bytes', 'unknown'];
const UNIT_CODE: Record<keyof GapLost, number> = { unknown: 0, lines: 1, records: 2, packets: 3, bytes: 4 };

/**
 * Text lines saying the capture is incomplete, or nothing when it is complete: the headline,
 * what the gaps touch, and the first gaps. `multiFile` shows each gap's file.
 */
export function captureTextLines(c: CaptureJson, multiFile: boolean): string[] {
  if (c.complete) return [];
  const lost = UNIT_ORDER.filter((u) => c.lost[u] > 0).map((u) => lostText(c.lost[u], UNIT_CODE[u]));
  if (c.unknownLoss) lost.push(`${plural(c.unknownLoss, 'gap')} whose loss was not counted`);
  const blind = c.blindNs > 0 ? `, blind for ${formatDuration(c.blindNs)}` : '';
  const lines = [`Capture incomplete: ${plural(c.gaps, 'gap')} (${lost.join(', ')})${blind}.`];
  const touched: string[] = [];
  if (c.tasksWithoutCompletion) touched.push(`${plural(c.tasksWithoutCompletion, 'task')} without a captured completion`);
  if (c.completionsWithoutSubmission) touched.push(`${plural(c.completionsWithoutSubmission, 'completion')} without a captured submission`);
  lines.push(`  ${touched.length ? `${touched.join(', ')}; ` : ''}findings a lost record would explain are reported as such (info), not as driver errors.`);
  for (const g of c.examples) {
    const where = `${multiFile && g.file ? `${g.file} ` : ''}${formatTimestamp(g.timeNs)}${g.endNs > g.timeNs ? `-${formatTimestamp(g.endNs)}` : ''}`;
    const scope = `${g.affects === 'all' ? 'any record' : g.affects}${g.target !== null ? `, target ${g.target}` : ''}`;
    const detail = g.detail.length > 120 ? `${g.detail.slice(0, 119)}…` : g.detail;
    lines.push(`  - ${where}  ${lostText(g.lost, UNIT_CODE[g.unit])} (${scope})${detail ? `: ${detail}` : ''}  at byte 0x${g.offset.toString(16)}`);
  }
  if (c.gaps > c.examples.length) lines.push(`  … and ${formatCount(c.gaps - c.examples.length)} more gaps`);
  return lines;
}

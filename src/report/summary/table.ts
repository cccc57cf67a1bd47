/**
 * cli-table3 tables that fit a terminal width: columns take their natural width, and when the
 * table would be wider than the terminal the one flexible column (names, messages) shrinks and
 * wraps. No colours in borders or headings, so piped output is plain text.
 */
import Table from 'cli-table3';

export type Align = 'left' | 'right';

export interface TableSpec {
  head: string[];
  rows: Array<Array<string | number>>;
  /** Per column; default left for the first, right for the rest. */
  align?: Align[];
  /** The column(s) that shrink (and wrap) to fit, widest first; default the widest column. */
  flex?: number | number[];
  width: number;
}

/** Narrowest a flexible column gets before the table is allowed to overflow. */
const MIN_FLEX = 12;

/** Takes up to `excess` columns from the widest of `which`, none below `floor`; returns what is left. */
function shrink(widths: number[], which: number[], excess: number, floor: number): number {
  while (excess > 0) {
    let widest = -1;
    for (const i of which) if (widths[i]! > floor && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
    if (widest < 0) break;
    widths[widest]!--;
    excess--;
  }
  return excess;
}

function textWidth(s: string): number {
  let w = 0;
  for (const line of s.split('\n')) w = Math.max(w, [...line].length);
  return w;
}

export function renderTable(spec: TableSpec): string {
  const cols = Math.max(spec.head.length, ...spec.rows.map((r) => r.length));
  const natural = Array.from({ length: cols }, (_, i) =>
    Math.max(textWidth(spec.head[i] ?? ''), ...spec.rows.map((r) => textWidth(String(r[i] ?? '')))) + 2,
  );
  // Borders: one per column plus one.
  const total = natural.reduce((a, b) => a + b, 0) + cols + 1;
  const widths = [...natural];
  let wrap = false;
  if (total > spec.width) {
    wrap = true;
    const flex = spec.flex === undefined ? [natural.indexOf(Math.max(...natural))] : typeof spec.flex === 'number' ? [spec.flex] : spec.flex;
    let excess = total - spec.width;
    // Narrow the widest flexible column one step at a time, so that they end up even.
    excess = shrink(widths, flex, excess, MIN_FLEX);
    // Still too wide (a narrow terminal): take the rest from the widest columns, down to 6.
    shrink(widths, widths.map((_, i) => i), excess, 6);
  }
  const table = new Table({
    head: spec.head,
    colWidths: widths,
    colAligns: spec.align ?? natural.map((_, i) => (i === 0 ? 'left' : 'right')),
    wordWrap: wrap,
    wrapOnWordBoundary: true,
    style: { head: [], border: [], 'padding-left': 1, 'padding-right': 1, compact: true },
  });
  for (const r of spec.rows) table.push(r.map((c) => String(c)));
  return table.toString();
}

/** A two-column key/value table without a heading. */
export function renderPairs(pairs: Array<[string, string]>, width: number): string {
  return renderTable({ head: [], rows: pairs, align: ['left', 'left'], flex: 1, width });
}

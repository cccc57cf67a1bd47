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
  /** The column that shrinks (and wraps) to fit; default the widest. */
  flex?: number;
  width: number;
}

/** Narrowest a flexible column gets before the table is allowed to overflow. */
const MIN_FLEX = 12;

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
    const flex = spec.flex ?? natural.indexOf(Math.max(...natural));
    widths[flex] = Math.max(Math.min(MIN_FLEX, natural[flex]!), natural[flex]! - (total - spec.width));
    wrap = true;
    // Still too wide (a narrow terminal): take the rest from the widest columns, down to 6.
    let excess = widths.reduce((a, b) => a + b, 0) + cols + 1 - spec.width;
    while (excess > 0) {
      const widest = widths.indexOf(Math.max(...widths));
      if (widths[widest]! <= 6) break;
      widths[widest]!--;
      excess--;
    }
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

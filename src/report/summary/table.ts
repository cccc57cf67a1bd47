/**
 * cli-table3 tables that fit a terminal width: columns take their natural width, and when the
 * table would be wider than the terminal the flexible columns (names, messages) shrink and their
 * cells wrap — at spaces, or after a hyphen or slash — never below the longest word, so nothing
 * is cut mid-word or lost (a table that cannot fit even so is left wider than the terminal).
 * No colours in borders or headings, so piped output is plain text.
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

/** Narrowest a flexible column gets before others are narrowed too. */
const MIN_FLEX = 12;
/** Cell padding, left and right. */
const PADDING = 2;

/** Takes up to `excess` columns from the widest of `which`, none below its floor; returns what is left. */
function shrink(widths: number[], which: number[], excess: number, floors: number[]): number {
  while (excess > 0) {
    let widest = -1;
    for (const i of which) if (widths[i]! > floors[i]! && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
    if (widest < 0) break;
    widths[widest]!--;
    excess--;
  }
  return excess;
}

function length(s: string): number {
  return [...s].length;
}

function textWidth(s: string): number {
  let w = 0;
  for (const line of s.split('\n')) w = Math.max(w, length(line));
  return w;
}

/** Stands in for the space between a number and its unit, which a line never breaks at. */
const GLUE = '\u0000';

/**
 * "max 9.75 ms" stays on one line: the spaces between a statistic's name, its number and its
 * unit become GLUE (put back by unglue).
 */
function glue(text: string): string {
  return text
    .replace(/(\d) (ns|µs|ms|s|min|h|B|KiB|MiB|GiB|TiB|PiB|EiB)(?=$|[\s,;)·/])/g, `$1${GLUE}$2`)
    .replace(/\b(min|max|mean|peak|p\d+(?:\.\d+)?) (?=\d)/g, `$1${GLUE}`);
}

function unglue(text: string): string {
  return text.split(GLUE).join(' ');
}

/** The pieces a line may break between: words, split again after hyphens and slashes. */
function pieces(line: string, glued: boolean): string[] {
  return (glued ? glue(line) : line).split(' ').flatMap((word) => word.match(/[^-/]*[-/]+|[^-/]+$/g) ?? [word]);
}

/** The widest piece of a cell: it cannot wrap narrower than this without cutting a word. */
function longestPiece(s: string, glued = true): number {
  let w = 0;
  for (const line of s.split('\n')) for (const p of pieces(line, glued)) w = Math.max(w, length(p));
  return w;
}

/**
 * Wraps a cell to `width` characters: at spaces (dropped) or after hyphens and slashes (kept).
 * Only a piece wider than the whole column is broken inside, and then nothing of it is lost.
 */
export function wrapCell(text: string, width: number, glued = true): string {
  const out: string[] = [];
  for (const line of (glued ? glue(text) : text).split('\n')) {
    let current = '';
    const words = line.split(' ');
    for (let w = 0; w < words.length; w++) {
      const parts = words[w]!.match(/[^-/]*[-/]+|[^-/]+$/g) ?? [words[w]!];
      for (let k = 0; k < parts.length; k++) {
        let part = parts[k]!;
        const sep = k === 0 && w > 0 && current ? ' ' : '';
        if (length(current) + length(sep) + length(part) <= width) {
          current += sep + part;
          continue;
        }
        if (current) out.push(current);
        current = '';
        while (length(part) > width) {
          out.push([...part].slice(0, width).join(''));
          part = [...part].slice(width).join('');
        }
        current = part;
      }
    }
    out.push(current);
  }
  return unglue(out.join('\n'));
}

/**
 * Shortens text to at most `max` characters, marking the cut with "…": at the last space, or
 * after the last hyphen or slash (the places wrapCell breaks at), whichever keeps more; only a
 * first word longer than `max` is cut inside.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max);
  // The longest prefix that ends at a break: before a space, or after a hyphen or slash.
  const end = Math.max(head.lastIndexOf(' '), Math.max(head.lastIndexOf('-', max - 2), head.lastIndexOf('/', max - 2)) + 1);
  return `${(end > 0 ? head.slice(0, end) : head.slice(0, max - 1)).trimEnd()}…`;
}

export function renderTable(spec: TableSpec): string {
  const cols = Math.max(spec.head.length, ...spec.rows.map((r) => r.length));
  const natural = Array.from({ length: cols }, (_, i) => Math.max(textWidth(spec.head[i] ?? ''), ...spec.rows.map((r) => textWidth(String(r[i] ?? '')))) + 2);
  // Borders: one per column plus one.
  const total = natural.reduce((a, b) => a + b, 0) + cols + 1;
  const widths = [...natural];
  const align = spec.align ?? natural.map((_, i) => (i === 0 ? 'left' : 'right'));
  // No column narrower than its longest word (a number with its unit counts as one word).
  const floor = (glued: boolean, pad: number[]) =>
    Array.from(
      { length: cols },
      (_, i) => Math.max(longestPiece(spec.head[i] ?? '', glued), ...spec.rows.map((r) => longestPiece(String(r[i] ?? ''), glued))) + pad[i]!,
    );
  let pad = natural.map(() => PADDING);
  let glued = true;
  if (total > spec.width) {
    const flex = spec.flex === undefined ? [natural.indexOf(Math.max(...natural))] : typeof spec.flex === 'number' ? [spec.flex] : spec.flex;
    let excess = total - spec.width;
    const words = floor(true, pad);
    // Narrow the widest flexible column one step at a time, so that they end up even.
    excess = shrink(
      widths,
      flex,
      excess,
      words.map((w) => Math.max(w, MIN_FLEX)),
    );
    // Still too wide (a narrow terminal): take the rest from the widest columns, down to their longest word.
    excess = shrink(
      widths,
      widths.map((_, i) => i),
      excess,
      words,
    );
    // Then right-aligned columns give up their left padding (a full cell touches the border)...
    if (excess > 0) {
      pad = align.map((a) => (a === 'right' ? 1 : PADDING));
      excess = shrink(
        widths,
        widths.map((_, i) => i),
        excess,
        floor(true, pad),
      );
    }
    // ...and last, a unit may go on the line below its number.
    if (excess > 0) {
      glued = false;
      shrink(
        widths,
        widths.map((_, i) => i),
        excess,
        floor(false, pad),
      );
    }
  }
  const fit = (text: string, i: number) => (textWidth(text) + pad[i]! > widths[i]! ? wrapCell(text, widths[i]! - pad[i]!, glued) : text);
  const cell = (text: string, i: number) => (pad[i] === PADDING ? fit(text, i) : { content: fit(text, i), style: { 'padding-left': 0 } });
  const table = new Table({
    head: spec.head.map(cell) as string[],
    colWidths: widths,
    colAligns: align,
    wordWrap: false,
    style: { head: [], border: [], 'padding-left': 1, 'padding-right': 1, compact: true },
  });
  for (const r of spec.rows) table.push(r.map((c, i) => cell(String(c), i)));
  return table.toString();
}

/** A two-column key/value table without a heading. */
export function renderPairs(pairs: Array<[string, string]>, width: number): string {
  return renderTable({ head: [], rows: pairs, align: ['left', 'left'], flex: 1, width });
}

/**
 * Inline SVG charts as strings: line charts over time, bar charts, and a dot timeline. Colours
 * come from CSS custom properties of the page (light and dark palettes), so the same markup
 * works in both schemes and in print. No scripts, no external resources.
 */

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Round to 2 decimals for compact, stable markup. */
function f(n: number): string {
  return String(Math.round(n * 100) / 100);
}

/**
 * A "nice" tick step (1, 2 or 5 × 10^k) giving about `target` ticks over `range`; at least 1 on
 * an axis of whole things (tasks, segments), which has no half-task tick.
 */
export function niceStep(range: number, target = 5, integer = false): number {
  if (!(range > 0)) return 1;
  const raw = range / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm >= 5 ? 10 : norm >= 2 ? 5 : norm >= 1 ? 2 : 1) * mag;
  return integer ? Math.max(1, Math.round(step)) : step;
}

export function niceTicks(max: number, target = 5, integer = false): number[] {
  const step = niceStep(max, target, integer);
  const ticks: number[] = [];
  for (let v = 0; v <= max * 1.0000001 + step * 1e-9; v += step) ticks.push(Math.round(v / step) * step);
  if (ticks[ticks.length - 1]! < max) ticks.push(ticks[ticks.length - 1]! + step);
  return ticks;
}

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const DEFAULT_FRAME: Frame = { width: 760, height: 240, left: 64, right: 16, top: 28, bottom: 40 };

function open(id: string, title: string, frame: Frame, desc: string): string {
  return (
    `<svg class="chart" data-chart="${esc(id)}" role="img" aria-labelledby="${esc(id)}-title" width="${frame.width}" height="${frame.height}" viewBox="0 0 ${frame.width} ${frame.height}" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="${esc(id)}-title">${esc(title)}</title><desc>${esc(desc)}</desc>`
  );
}

function noData(id: string, title: string, frame: Frame, why: string): string {
  return `${open(id, title, frame, why)}<text class="note" x="${frame.width / 2}" y="${frame.height / 2}" text-anchor="middle">${esc(why)}</text></svg>`;
}

export interface Series {
  name: string;
  /** CSS class giving its colour: s1, s2, s3, err. */
  cls: string;
  values: number[];
  /** Drawn as a faint area under the line. */
  area?: boolean;
  dashed?: boolean;
}

export interface LineChartSpec {
  id: string;
  title: string;
  /** x of point i is x0 + i * dx (seconds from capture start), plotted at slot middles... */
  x0: number;
  dx: number;
  /** ...unless given here, point by point (seconds from capture start). */
  xs?: number[];
  xMax: number;
  /** The y axis counts whole things: no fractional ticks. */
  integer?: boolean;
  series: Series[];
  yLabel: string;
  yFormat: (v: number) => string;
  xFormat: (seconds: number) => string;
  frame?: Partial<Frame>;
}

export function lineChart(spec: LineChartSpec): string {
  const fr = { ...DEFAULT_FRAME, ...spec.frame };
  const n = Math.max(0, ...spec.series.map((s) => s.values.length));
  if (n === 0) return noData(spec.id, spec.title, fr, 'no data');
  const yMaxRaw = Math.max(0, ...spec.series.flatMap((s) => s.values));
  const yTicks = niceTicks(yMaxRaw > 0 ? yMaxRaw : 1, 4, spec.integer);
  const yMax = yTicks[yTicks.length - 1]!;
  const xMax = spec.xMax > 0 ? spec.xMax : spec.x0 + n * spec.dx;
  const xAt = (i: number) => spec.xs?.[i] ?? spec.x0 + (i + 0.5) * spec.dx;
  const pw = fr.width - fr.left - fr.right;
  const ph = fr.height - fr.top - fr.bottom;
  const X = (x: number) => fr.left + (x / xMax) * pw;
  const Y = (y: number) => fr.top + ph - (y / yMax) * ph;
  let out = open(spec.id, spec.title, fr, `${spec.title}: ${spec.series.map((s) => s.name).join(', ')} over time`);
  out += axes(
    fr,
    yTicks,
    Y,
    spec.yFormat,
    niceTicks(xMax, 6).filter((t) => t <= xMax * 1.0001),
    X,
    spec.xFormat,
    spec.yLabel,
    'time since capture start',
  );
  for (const s of spec.series) {
    const pts = s.values.map((v, i) => `${f(X(xAt(i)))},${f(Y(v))}`);
    if (pts.length === 1) {
      const [x, y] = pts[0]!.split(',');
      out += `<circle class="dot ${s.cls}" cx="${x}" cy="${y}" r="3"/>`;
      continue;
    }
    if (s.area) {
      out += `<polygon class="area ${s.cls}" points="${f(X(xAt(0)))},${f(Y(0))} ${pts.join(' ')} ${f(X(xAt(s.values.length - 1)))},${f(Y(0))}"/>`;
    }
    out += `<polyline class="line ${s.cls}${s.dashed ? ' dashed' : ''}" points="${pts.join(' ')}"/>`;
  }
  out += legend(fr, spec.series);
  return `${out}</svg>`;
}

function axes(
  fr: Frame,
  yTicks: number[],
  Y: (v: number) => number,
  yFormat: (v: number) => string,
  xTicks: number[],
  X: (v: number) => number,
  xFormat: (v: number) => string,
  yLabel: string,
  xLabel: string,
): string {
  let out = '<g class="axis">';
  for (const t of yTicks) {
    const y = f(Y(t));
    out += `<line class="grid" x1="${fr.left}" x2="${fr.width - fr.right}" y1="${y}" y2="${y}"/>`;
    out += `<text class="tick" x="${fr.left - 6}" y="${y}" dy="0.32em" text-anchor="end">${esc(yFormat(t))}</text>`;
  }
  for (const t of xTicks) {
    const x = f(X(t));
    out += `<line class="tickmark" x1="${x}" x2="${x}" y1="${fr.height - fr.bottom}" y2="${fr.height - fr.bottom + 4}"/>`;
    out += `<text class="tick" x="${x}" y="${fr.height - fr.bottom + 16}" text-anchor="middle">${esc(xFormat(t))}</text>`;
  }
  out += `<line class="baseline" x1="${fr.left}" x2="${fr.width - fr.right}" y1="${fr.height - fr.bottom}" y2="${fr.height - fr.bottom}"/>`;
  out += `<text class="label" x="${fr.left}" y="${fr.top - 10}">${esc(yLabel)}</text>`;
  out += `<text class="label" x="${fr.width - fr.right}" y="${fr.height - 6}" text-anchor="end">${esc(xLabel)}</text>`;
  return `${out}</g>`;
}

function legend(fr: Frame, series: Array<{ name: string; cls: string }>): string {
  if (series.length < 2) return '';
  let x = fr.width - fr.right;
  let out = '<g class="legend">';
  for (const s of [...series].reverse()) {
    const w = 18 + s.name.length * 7;
    x -= w + 8;
    out += `<rect class="swatch ${s.cls}" x="${f(x)}" y="${fr.top - 20}" width="12" height="10" rx="2"/>`;
    out += `<text class="label" x="${f(x + 16)}" y="${fr.top - 11}">${esc(s.name)}</text>`;
  }
  return `${out}</g>`;
}

export interface BarChartSpec {
  id: string;
  title: string;
  labels: string[];
  series: Array<{ name: string; cls: string; values: number[] }>;
  yLabel: string;
  yFormat: (v: number) => string;
  /** Show only every k-th x label (all when 1). */
  labelEvery?: number;
  /** The y axis counts whole things: no fractional ticks. */
  integer?: boolean;
  /** A dashed vertical line after bar `afterIndex`, labelled (the HBA limit). */
  marker?: { afterIndex: number; label: string };
  /** Bars drawn in the error colour (over the limit). */
  highlight?: (index: number) => boolean;
  xLabel: string;
  frame?: Partial<Frame>;
}

export function barChart(spec: BarChartSpec): string {
  const fr = { ...DEFAULT_FRAME, ...spec.frame };
  const n = spec.labels.length;
  const yMaxRaw = Math.max(0, ...spec.series.flatMap((s) => s.values));
  if (n === 0 || yMaxRaw === 0) return noData(spec.id, spec.title, fr, 'no data');
  const yTicks = niceTicks(yMaxRaw, 4, spec.integer);
  const yMax = yTicks[yTicks.length - 1]!;
  const pw = fr.width - fr.left - fr.right;
  const ph = fr.height - fr.top - fr.bottom;
  const band = pw / n;
  const Y = (y: number) => fr.top + ph - (y / yMax) * ph;
  let out = open(spec.id, spec.title, fr, `${spec.title}: ${n} bars`);
  out += axes(fr, yTicks, Y, spec.yFormat, [], (x) => x, String, spec.yLabel, spec.xLabel);
  const every = spec.labelEvery ?? Math.max(1, Math.ceil(n / Math.floor(pw / 56)));
  const groups = spec.series.length;
  const barW = Math.max(1, (band * 0.8) / groups);
  for (let i = 0; i < n; i++) {
    const x0 = fr.left + i * band + band * 0.1;
    spec.series.forEach((s, k) => {
      const v = s.values[i] ?? 0;
      if (v <= 0) return;
      const y = Y(v);
      const cls = spec.highlight?.(i) ? 'err' : s.cls;
      out += `<rect class="bar ${cls}" x="${f(x0 + k * barW)}" y="${f(y)}" width="${f(barW - (groups > 1 ? 1 : 0))}" height="${f(fr.top + ph - y)}"><title>${esc(`${spec.labels[i]}: ${s.name} ${spec.yFormat(v)}`)}</title></rect>`;
    });
    if (i % every === 0) {
      out += `<text class="tick" x="${f(fr.left + (i + 0.5) * band)}" y="${fr.height - fr.bottom + 16}" text-anchor="middle">${esc(spec.labels[i]!)}</text>`;
    }
  }
  if (spec.marker && spec.marker.afterIndex >= 0 && spec.marker.afterIndex < n) {
    const x = f(fr.left + (spec.marker.afterIndex + 1) * band);
    out += `<line class="marker" x1="${x}" x2="${x}" y1="${fr.top}" y2="${fr.height - fr.bottom}"/>`;
    const anchor = spec.marker.afterIndex + 1 > n / 2 ? 'end' : 'start';
    out += `<text class="marker-label" x="${x}" dx="${anchor === 'end' ? -4 : 4}" y="${fr.top + 12}" text-anchor="${anchor}">${esc(spec.marker.label)}</text>`;
  }
  out += legend(fr, spec.series);
  return `${out}</svg>`;
}

export interface TimelineRow {
  label: string;
  /** Shown after the label and never clipped ("×12"). */
  suffix?: string;
  cls: string;
  /** Seconds from capture start. */
  points: number[];
}

export function dotTimeline(spec: { id: string; title: string; rows: TimelineRow[]; xMax: number; xFormat: (s: number) => string }): string {
  const rowH = 22;
  const fr: Frame = { width: 760, height: 0, left: 320, right: 16, top: 12, bottom: 40 };
  fr.height = fr.top + fr.bottom + Math.max(1, spec.rows.length) * rowH;
  if (spec.rows.length === 0) return noData(spec.id, spec.title, { ...fr, height: 80 }, 'no findings');
  const pw = fr.width - fr.left - fr.right;
  const xMax = spec.xMax > 0 ? spec.xMax : 1;
  const X = (x: number) => fr.left + Math.min(1, Math.max(0, x / xMax)) * pw;
  let out = open(spec.id, spec.title, fr, `${spec.title}: ${spec.rows.length} rules`);
  out += '<g class="axis">';
  for (const t of niceTicks(xMax, 6).filter((t) => t <= xMax * 1.0001)) {
    const x = f(X(t));
    out += `<line class="grid" x1="${x}" x2="${x}" y1="${fr.top}" y2="${fr.height - fr.bottom}"/>`;
    out += `<text class="tick" x="${x}" y="${fr.height - fr.bottom + 16}" text-anchor="middle">${esc(spec.xFormat(t))}</text>`;
  }
  out += `<text class="label" x="${fr.width - fr.right}" y="${fr.height - 6}" text-anchor="end">time since capture start</text></g>`;
  spec.rows.forEach((r, i) => {
    const y = fr.top + i * rowH + rowH / 2;
    const room = 46 - (r.suffix ? r.suffix.length + 1 : 0);
    const label = (r.label.length > room ? `${r.label.slice(0, room - 1)}…` : r.label) + (r.suffix ? ` ${r.suffix}` : '');
    out += `<text class="rowlabel" x="${fr.left - 8}" y="${f(y)}" dy="0.32em" text-anchor="end"><title>${esc(`${r.label}${r.suffix ? ` ${r.suffix}` : ''}`)}</title>${esc(label)}</text>`;
    out += `<line class="grid" x1="${fr.left}" x2="${fr.width - fr.right}" y1="${f(y)}" y2="${f(y)}"/>`;
    for (const p of r.points) out += `<circle class="dot ${r.cls}" cx="${f(X(p))}" cy="${f(y)}" r="4"/>`;
  });
  return `${out}</svg>`;
}

/**
 * The report's stylesheet: system fonts only, a light and a dark palette chosen by
 * prefers-color-scheme, and print rules (light palette, no clipped tables, charts kept whole).
 */
export const STYLE = `
:root {
  --bg: #ffffff; --fg: #1b1f24; --muted: #57606a; --grid: #d8dee4; --panel: #f6f8fa; --border: #d0d7de;
  --s1: #1f6feb; --s2: #8250df; --s3: #1a7f37; --err: #cf222e; --warn: #9a6700; --info: #0969da;
  --ok-bg: #dafbe1; --warn-bg: #fff8c5; --bad-bg: #ffebe9;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9da7b3; --grid: #30363d; --panel: #161b22; --border: #30363d;
    --s1: #58a6ff; --s2: #d2a8ff; --s3: #56d364; --err: #ff7b72; --warn: #e3b341; --info: #79c0ff;
    --ok-bg: #12261e; --warn-bg: #2e2a12; --bad-bg: #3a1d1d;
  }
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--fg); }
body { margin: 0 auto; max-width: 1100px; padding: 16px 24px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
h1 { font-size: 22px; margin: 8px 0 2px; }
h2 { font-size: 18px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--border); }
h3 { font-size: 15px; margin: 18px 0 8px; }
.muted { color: var(--muted); }
code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: 12px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 10px; }
.card { background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 10px 12px; }
.card .k { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .v { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .n { color: var(--muted); font-size: 12px; }
.card.ok { background: var(--ok-bg); } .card.warn { background: var(--warn-bg); } .card.bad { background: var(--bad-bg); }
figure { margin: 12px 0; background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 8px; break-inside: avoid; }
figcaption { color: var(--muted); font-size: 12px; padding: 4px 6px 0; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 0 12px; }
svg.chart { display: block; width: 100%; height: auto; color: var(--fg); font-size: 11px; font-family: inherit; }
svg.chart text { fill: currentColor; }
svg.chart .tick, svg.chart .label, svg.chart .note { fill: var(--muted); }
svg.chart .note { font-size: 13px; }
svg.chart .grid { stroke: var(--grid); stroke-width: 1; }
svg.chart .baseline, svg.chart .tickmark { stroke: var(--muted); stroke-width: 1; }
svg.chart .line { fill: none; stroke-width: 1.6; stroke-linejoin: round; }
svg.chart .dashed { stroke-dasharray: 4 3; }
svg.chart .area { stroke: none; opacity: .18; }
svg.chart .s1 { stroke: var(--s1); } svg.chart .s2 { stroke: var(--s2); } svg.chart .s3 { stroke: var(--s3); } svg.chart .err { stroke: var(--err); }
svg.chart .warn { stroke: var(--warn); } svg.chart .info { stroke: var(--info); }
svg.chart .area.s1, svg.chart .bar.s1, svg.chart .swatch.s1, svg.chart .dot.s1 { fill: var(--s1); }
svg.chart .area.s2, svg.chart .bar.s2, svg.chart .swatch.s2, svg.chart .dot.s2 { fill: var(--s2); }
svg.chart .bar.s3, svg.chart .swatch.s3, svg.chart .dot.s3 { fill: var(--s3); }
svg.chart .bar.err, svg.chart .swatch.err, svg.chart .dot.err { fill: var(--err); }
svg.chart .dot.warn { fill: var(--warn); } svg.chart .dot.info { fill: var(--info); }
svg.chart .bar { stroke: none; }
svg.chart .marker { stroke: var(--err); stroke-width: 1.5; stroke-dasharray: 5 3; }
svg.chart .marker-label { fill: var(--err); font-weight: 600; }
svg.chart .rowlabel { font-size: 11px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; margin: 6px 0 10px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--grid); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; border-bottom: 1px solid var(--border); }
td.num, th.num { text-align: right; white-space: nowrap; }
tbody tr:hover { background: var(--panel); }
.hbar { display: inline-block; height: 10px; background: var(--s1); border-radius: 2px; }
td.barcell { width: 35%; }
.hbar.over { background: var(--err); }
.sev { font-weight: 600; text-transform: uppercase; font-size: 11px; }
.sev.error { color: var(--err); } .sev.warning { color: var(--warn); } .sev.info { color: var(--info); }
footer { margin-top: 32px; font-size: 12px; }
@media print {
  :root { --bg: #fff; --fg: #000; --muted: #444; --grid: #ccc; --panel: #fff; --border: #999;
    --s1: #1f6feb; --s2: #8250df; --s3: #1a7f37; --err: #cf222e; --warn: #9a6700; --info: #0969da;
    --ok-bg: #fff; --warn-bg: #fff; --bad-bg: #fff; }
  body { max-width: none; padding: 0; font-size: 11px; }
  .scroll { overflow: visible; }
  section, table, tr { break-inside: avoid-page; }
  h2 { break-after: avoid; }
}
`;

/**
 * The HTML diff: one self-contained file in the summary report's style (inline CSS and SVG, no
 * scripts, fonts or network), with each command kind's latency drawn for both traces side by
 * side on common bins.
 */
import { formatBytes, formatCount, formatDuration, plural } from '../../model/units.js';
import { buffersAbove4GiB, pointText } from '../diff/build.js';
import type { CommandDiff, Diff, DiffSide, DirectionAlignmentJson, KindSide } from '../diff/model.js';
import { verdictLine } from '../diff/text.js';
import { barChart, esc } from './svg.js';
import { STYLE } from './style.js';
import { compact, decadeLabel, figure, section, table, type Cell } from './summary.js';

export interface DiffHtmlOptions {
  version?: string;
  /** Latency charts drawn (busiest kinds and every kind with a change first; default 12). */
  maxCharts?: number;
}

const SMALL = { width: 460, height: 220, left: 48 };

const dur = (v: number | null): string => (v === null ? '-' : formatDuration(v));

function both(c: CommandDiff, f: (k: KindSide) => string): [string, string] {
  return [c.baseline ? f(c.baseline) : '-', c.candidate ? f(c.candidate) : '-'];
}

function sideCard(label: string, s: DiffSide): string {
  const findings = s.findings
    ? `${plural(s.findings.error, 'error')} · ${plural(s.findings.warning, 'warning')} · ${formatCount(s.findings.info)} info`
    : 'not checked';
  return (
    `<div class="card"><div class="k">${esc(label)}</div><div class="v">${esc(formatCount(s.submitted))} tasks</div>` +
    `<div class="n">${esc(s.path ?? '(events)')}</div><div class="n">${esc(`${s.format ?? 'unknown format'} · ${formatDuration(s.spanNs)} · queue depth ≤ ${s.maxQueueDepth}`)}</div>` +
    `<div class="n">${esc(`findings: ${findings}`)}</div></div>`
  );
}

function latencyChart(c: CommandDiff, index: number): string {
  const bins = c.latencyBins;
  const labels = bins.map((b) => (Math.abs(Math.log10(b.lowNs) % 1) < 1e-6 ? decadeLabel(b.lowNs) : ''));
  const svg = barChart({
    id: `latency-${index}`,
    title: `${c.name} latency`,
    labels,
    series: [
      { name: 'baseline', cls: 's1', values: bins.map((b) => b.baseline) },
      { name: 'candidate', cls: 's2', values: bins.map((b) => b.candidate) },
    ],
    labelEvery: 1,
    integer: true,
    yLabel: 'tasks',
    yFormat: compact,
    xLabel: 'latency (log scale, 4 bins per decade)',
    frame: SMALL,
  });
  const l = c.latency;
  const [p50a, p50b] = both(c, (k) => dur(k.latencyNs.p50));
  const verdict = l
    ? l.verdict === 'too-few'
      ? 'too few samples to test'
      : l.verdict === 'same'
        ? 'no significant change'
        : `${l.verdict} (${l.decidedBy})`
    : `only in the ${c.presence}`;
  const test = l?.test ? `; Mann-Whitney p ${l.test.pMannWhitney}, KS D ${l.test.ksD} p ${l.test.pKs}` : '';
  return figure(svg, `${c.name}: median ${p50a} → ${p50b}: ${verdict}${test}.`);
}

function alignmentCell(a: DirectionAlignmentJson): string {
  const matched = `${formatCount(a.blocks)} blocks in ${formatCount(a.commands.baseline)} / ${formatCount(a.commands.candidate)} commands`;
  switch (a.outcome) {
    case 'none':
      return 'none in either trace';
    case 'same':
      return `the same blocks in the same order (${matched})`;
    case 'abandoned':
      return 'not lined up (too far apart)';
    default:
      return `${a.outcome === 'diverged' ? 'diverge' : a.outcome === 'baseline-longer' ? "the candidate's end" : "the baseline's end"} after ${matched}. Baseline: ${pointText(a.divergence?.baseline ?? null) ?? '-'}. Candidate: ${pointText(a.divergence?.candidate ?? null) ?? '-'}.`;
  }
}

export function renderDiffHtml(d: Diff, options: DiffHtmlOptions = {}): string {
  const parts: string[] = [];
  const nf = d.verdict.newFindings;
  const cls = nf.error ? 'bad' : nf.warning || d.verdict.changes ? 'warn' : 'ok';
  parts.push(
    `<section id="overview"><h2>Overview</h2><div class="cards">${sideCard('Baseline', d.baseline)}${sideCard('Candidate', d.candidate)}` +
      `<div class="card ${cls}"><div class="k">Verdict</div><div class="v">${esc(plural(d.verdict.changes, 'change'))}</div><div class="n">${esc(verdictLine(d))}</div></div></div></section>`,
  );
  if (d.changes.length) {
    parts.push(
      section(
        'changes',
        'Changes',
        table(
          ['area', 'what changed'],
          d.changes.map((c) => [c.area, c.text]),
          [false, false],
        ),
      ),
    );
  }

  const rows: Cell[][] = d.commands.map((c) => {
    const l = c.latency;
    return [
      c.name,
      both(c, (k) => formatCount(k.submitted)).join(' → '),
      both(c, (k) => formatCount(k.failed)).join(' → '),
      both(c, (k) => dur(k.latencyNs.p50)).join(' → '),
      both(c, (k) => dur(k.latencyNs.p90)).join(' → '),
      both(c, (k) => dur(k.latencyNs.p99)).join(' → '),
      both(c, (k) => dur(k.latencyNs.max)).join(' → '),
      l?.test ? String(l.test.pMannWhitney) : '-',
      l ? l.verdict : `only in ${c.presence}`,
    ];
  });
  parts.push(
    section(
      'commands',
      'Commands (baseline → candidate)',
      table(['command', 'tasks', 'failed', 'p50', 'p90', 'p99', 'max', 'MW p', 'latency'], rows, [false, true, true, true, true, true, true, true, false]),
    ),
  );

  const maxCharts = options.maxCharts ?? 12;
  const changed = new Set(d.changes.filter((c) => c.area === 'latency').map((c) => c.subject));
  const charted = [...d.commands.filter((c) => changed.has(c.name)), ...d.commands.filter((c) => !changed.has(c.name))]
    .filter((c) => c.latencyBins.length)
    .slice(0, maxCharts);
  if (charted.length) {
    parts.push(section('latency', 'Latency, side by side', `<div class="grid2">${charted.map((c, i) => latencyChart(c, i)).join('')}</div>`));
  }

  const data = d.commands.filter(
    (c) =>
      (c.baseline?.sgl.tasks ?? 0) +
        (c.candidate?.sgl.tasks ?? 0) +
        (c.baseline?.buffer.tasks ?? 0) +
        (c.candidate?.buffer.tasks ?? 0) +
        (c.baseline?.transferBytes.max ?? 0) +
        (c.candidate?.transferBytes.max ?? 0) >
      0,
  );
  if (data.length) {
    const bytes = (v: number | null): string => (v === null ? '-' : formatBytes(v));
    parts.push(
      section(
        'transfers',
        'Transfers and scatter/gather lists (baseline → candidate)',
        table(
          ['command', 'median bytes', 'max bytes', 'max segments', 'max segment', 'SGL > 4 GiB', 'IOVM > 4 GiB', 'p90 queue depth'],
          data.map((c) => [
            c.name,
            both(c, (k) => bytes(k.transferBytes.p50)).join(' → '),
            both(c, (k) => bytes(k.transferBytes.max)).join(' → '),
            both(c, (k) => (k.sgl.segments.max === null ? '-' : formatCount(k.sgl.segments.max))).join(' → '),
            both(c, (k) => bytes(k.sgl.segmentBytes.max)).join(' → '),
            both(c, (k) => formatCount(k.sgl.tasksAbove4GiB)).join(' → '),
            both(c, (k) => (k.buffer.tasks ? formatCount(buffersAbove4GiB(k)) : '-')).join(' → '),
            both(c, (k) => (k.queueDepth.p90 === null ? '-' : formatCount(k.queueDepth.p90))).join(' → '),
          ]),
        ),
      ),
    );
  }

  if (d.findings) {
    parts.push(
      section(
        'findings',
        'Findings',
        d.findings.length
          ? table(
              ['', 'severity', 'rule', 'baseline', 'candidate', 'example'],
              d.findings.map((f) => [
                f.status,
                { html: `<span class="sev ${f.severity}">${esc(f.severity)}</span>` },
                f.subject ? `${f.ruleId} (${f.subject})` : f.ruleId,
                formatCount(f.baseline),
                formatCount(f.candidate),
                f.example ?? '',
              ]),
              [false, false, false, true, true, false],
            )
          : '<p>No findings in either trace.</p>',
      ),
    );
  }
  if (d.constraints.length) {
    parts.push(
      section(
        'constraints',
        'Constraints that differ',
        table(
          ['constraint', 'baseline', 'candidate'],
          d.constraints.map((c) => [c.key, c.baseline === null ? '-' : String(c.baseline), c.candidate === null ? '-' : String(c.candidate)]),
        ),
      ),
    );
  }
  const ev = (x: { count: number; failed: number; durationNs: { p50: number | null } } | null): string =>
    x ? `${formatCount(x.count)}${x.failed ? ` (${formatCount(x.failed)} failed)` : ''}, median ${dur(x.durationNs.p50)}` : '-';
  if (d.hbaEvents.length)
    parts.push(
      section(
        'hba',
        'HBA events',
        table(
          ['event', 'baseline', 'candidate'],
          d.hbaEvents.map((e) => [e.name, ev(e.baseline), ev(e.candidate)]),
        ),
      ),
    );
  if (d.powerTransitions.length) {
    parts.push(
      section(
        'power',
        'Power transitions',
        table(
          ['transition', 'baseline', 'candidate', 'duration'],
          d.powerTransitions.map((t) => [t.from < 0 ? 'other' : `${t.from} → ${t.to}`, ev(t.baseline), ev(t.candidate), t.duration?.verdict ?? '-']),
          [false, true, true, false],
        ),
      ),
    );
  }
  parts.push(
    section(
      'alignment',
      'Where the workloads line up',
      table(
        ['direction', 'outcome'],
        [
          ['reads', alignmentCell(d.alignment.reads)],
          ['writes', alignmentCell(d.alignment.writes)],
        ],
        [false, false],
      ),
    ),
  );

  const o = d.options;
  const title = `${d.baseline.path ?? 'baseline'} → ${d.candidate.path ?? 'candidate'}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="generator" content="scsitrace${options.version ? ` ${esc(options.version)}` : ''}">
<title>scsitrace diff: ${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>scsitrace diff</h1>
<p class="muted">${esc(title)}</p>
</header>
<main>
${parts.join('\n')}
</main>
<footer class="muted">Generated by scsitrace${options.version ? ` ${esc(options.version)}` : ''}. A latency change needs Mann-Whitney or Kolmogorov-Smirnov p &lt; ${o.alpha} on the binned histograms and a percentile shift of at least ${Math.round(o.minShift * 100)} % and ${esc(formatDuration(o.minShiftNs))}. Schema ${esc(d.schema)}.</footer>
</body>
</html>
`;
}

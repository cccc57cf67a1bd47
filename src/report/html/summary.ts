/**
 * The HTML summary: one self-contained file (inline CSS and SVG; one inline script for the
 * zoomable timeline; no fonts, external scripts or network: its Content-Security-Policy allows
 * none), readable in light and dark mode (prefers-color-scheme) and printable.
 */
import { captureTextLines } from '../capture.js';
import { slotDurationNs, type Breakdown, type SizeHistogram, type Summary, type SummaryLun, type SummaryTarget } from '../summary/model.js';
import {
  binLabel,
  FAILED_NOTE,
  commandCells,
  commandLatencyCells,
  count,
  duration,
  headlineCells,
  latencyLine,
  percent,
  perSec,
  rate,
  seconds,
  size,
  transition,
} from '../summary/format.js';
import { barChart, dotTimeline, esc, lineChart, type TimelineRow } from './svg.js';
import { STYLE } from './style.js';
import { plural } from '../../model/units.js';
import { renderTimelineSection, TIMELINE_STYLE } from './timeline.js';
import type { TimelineData } from '../timeline/collect.js';

export interface HtmlOptions {
  /** Which breakdown tables to include (default opcode and lun). */
  by?: ReadonlySet<Breakdown>;
  /** Tool version for the footer. */
  version?: string;
  /** The zoomable timeline's data (TimelineCollector); without it the report has no timeline section. */
  timeline?: TimelineData;
}

export type Cell = string | number | { html: string; cls?: string };

export function table(head: string[], rows: Cell[][], numeric: boolean[] = head.map((_, i) => i > 0)): string {
  const th = head.map((h, i) => `<th${numeric[i] ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
  const body = rows
    .map(
      (r) =>
        `<tr>${r
          .map((c, i) => {
            const cls = [numeric[i] ? 'num' : '', typeof c === 'object' && c.cls ? c.cls : ''].filter(Boolean).join(' ');
            return `<td${cls ? ` class="${cls}"` : ''}>${typeof c === 'object' ? c.html : esc(String(c))}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('\n');
  return `<div class="scroll"><table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

export function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>\n${body}\n</section>`;
}

export function figure(svg: string, caption: string): string {
  return `<figure>${svg}<figcaption>${esc(caption)}</figcaption></figure>`;
}

/** Time axis labels in seconds with as many decimals as the span needs. */
function secondsLabel(spanSec: number): (s: number) => string {
  const digits = spanSec >= 20 ? 0 : spanSec >= 2 ? 1 : spanSec >= 0.2 ? 2 : 3;
  return (s) => `${s.toFixed(digits)} s`;
}

export function compact(v: number): string {
  if (v >= 1e9) return `${(v / 1e9).toFixed(v >= 1e10 ? 0 : 1)}G`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(v >= 1e7 ? 0 : 1)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(v >= 1e4 ? 0 : 1)}k`;
  return String(Math.round(v * 100) / 100);
}

/** Axis labels for powers of ten of nanoseconds: 1µs, 10µs, 100µs, 1ms, ... */
export function decadeLabel(ns: number): string {
  const units: Array<[number, string]> = [
    [1e9, 's'],
    [1e6, 'ms'],
    [1e3, 'µs'],
    [1, 'ns'],
  ];
  for (const [div, unit] of units) if (ns >= div) return `${Math.round(ns / div)} ${unit}`;
  return `${ns} ns`;
}

/** Small-multiple charts sit two to a row: a narrower drawing keeps their text legible. */
const SMALL = { width: 460, height: 220, left: 48 };

const CLASS_TITLES: Record<string, string> = {
  read: 'Reads (READ 6/10/12/16/32)',
  write: 'Writes (WRITE, WRITE SAME, WRITE AND VERIFY, COMPARE AND WRITE)',
  flush: 'Cache flushes (SYNCHRONIZE CACHE 10/16)',
  other: 'Other commands',
};

function timeCharts(s: Summary): string {
  const tl = s.timeline;
  const o = s.overview;
  const spanSec = o.spanNs / 1e9;
  const slotSec = tl.slotNs / 1e9;
  const x0 = o.startNs === null ? 0 : (tl.startNs - o.startNs) / 1e9;
  // Per-second rates over each slot's own duration: the same numbers the peaks are taken from.
  const perSecond = (v: number[]) =>
    v.map((x, i) => {
      const d = slotDurationNs(tl, i);
      return d > 0 ? x / (d / 1e9) : 0;
    });
  const xf = secondsLabel(spanSec);
  const xs = tl.completions.map((_, i) => x0 + (i * tl.slotNs + slotDurationNs(tl, i) / 2) / 1e9);
  const common = { x0, dx: slotSec, xs, xMax: spanSec, xFormat: xf };
  const iops = lineChart({
    id: 'iops',
    title: 'IOPS over time',
    ...common,
    series: [
      { name: 'completions/s', cls: 's1', values: perSecond(tl.completions), area: true },
      { name: 'failed/s', cls: 'err', values: perSecond(tl.errors) },
    ],
    yLabel: 'tasks completed per second',
    yFormat: compact,
  });
  const tput = lineChart({
    id: 'throughput',
    title: 'Throughput over time',
    ...common,
    series: [
      { name: 'read', cls: 's1', values: perSecond(tl.readBytes).map((v) => v / 1048576) },
      { name: 'write', cls: 's2', values: perSecond(tl.writeBytes).map((v) => v / 1048576) },
    ],
    yLabel: 'MiB/s',
    yFormat: compact,
  });
  const qd = lineChart({
    id: 'queue-depth',
    title: 'Queue depth over time',
    ...common,
    series: [
      { name: 'max', cls: 's3', values: tl.queueDepthMax, dashed: true },
      { name: 'mean', cls: 's1', values: tl.queueDepthMean, area: true },
    ],
    yLabel: 'tasks in flight',
    yFormat: compact,
    integer: true,
  });
  const per = `each point is ${duration(tl.slotNs)} of the capture`;
  return (
    figure(iops, `Tasks completed per second (${per}); peak ${perSec(o.iops.peak)} over the busiest ${duration(o.intervalNs)}.`) +
    figure(tput, `Bytes moved per second, reads and writes (${per}).`) +
    figure(qd, `Tasks in flight: time-weighted mean and maximum per point (${per}); overall mean ${o.queueDepth.mean.toFixed(2)}, max ${o.queueDepth.max}.`)
  );
}

function latencyCharts(s: Summary): string {
  return s.latencyHistograms
    .map((h) => {
      // Label the decade bins (1µs, 10µs, ...): every fourth bin starts at a power of ten.
      const labels = h.bins.map((b) => decadeLabel(b.lowNs));
      const decade = h.bins.map((b) => Math.abs(Math.log10(b.lowNs) % 1) < 1e-6);
      const svg = barChart({
        id: `latency-${h.class}`,
        title: `${CLASS_TITLES[h.class]} latency`,
        labels: labels.map((l, i) => (decade[i] ? l : '')),
        series: [{ name: 'tasks', cls: 's1', values: h.bins.map((b) => b.count) }],
        labelEvery: 1,
        integer: true,
        yLabel: 'tasks',
        yFormat: compact,
        xLabel: 'latency (log scale, 4 bins per decade)',
        frame: SMALL,
      });
      return figure(svg, `${CLASS_TITLES[h.class]}: ${count(h.count)} completed tasks by latency.`);
    })
    .join('');
}

function sizeChart(id: string, title: string, h: SizeHistogram, bytes: boolean, cls: string): string {
  if (h.count === 0 || (!bytes && h.max === 0)) return '';
  const markerIndex = h.limit === null ? -1 : h.bins.findIndex((b) => b.atMost === h.limit);
  const limitText = h.limit === null ? '' : `${limitWord(h.limitKey)} ${bytes ? size(h.limit) : count(h.limit)}`;
  const svg = barChart({
    id,
    title,
    labels: h.bins.map((b) => (bytes ? (b.atMost === null ? '∞' : size(b.atMost)) : binLabel(b, false, b.moreThan === 0))),
    series: [{ name: 'tasks', cls, values: h.bins.map((b) => b.count) }],
    integer: true,
    yLabel: 'tasks',
    yFormat: compact,
    xLabel: bytes ? 'requested bytes (bar = up to this size)' : 'segments per task',
    highlight: (i) => h.bins[i]!.overLimit,
    ...(markerIndex >= 0 ? { marker: { afterIndex: markerIndex, label: limitText } } : {}),
    frame: SMALL,
  });
  const over = h.limit === null ? '' : ` ${limitText} (${h.limitKey}): ${h.overLimit ? `${count(h.overLimit)} over the limit, drawn in red` : 'none over'}.`;
  return figure(
    svg,
    `${title}: ${plural(h.count, 'task')}, ${bytes ? size(h.min ?? 0) : count(h.min ?? 0)} to ${bytes ? size(h.max ?? 0) : count(h.max ?? 0)}.${over}`,
  );
}

function limitWord(key: string | null): string {
  if (!key) return 'limit';
  const dir = key.endsWith('Write') ? 'write' : 'read';
  return key.includes('Segment') ? `max ${dir} segments` : `max ${dir}`;
}

function findingsChart(s: Summary): string {
  if (!s.findings) return '';
  const start = s.overview.startNs ?? 0;
  const rows: TimelineRow[] = s.findings.rules.slice(0, 16).map((g) => ({
    label: `${g.ruleId}${g.subject ? ` (${g.subject})` : ''}`,
    suffix: `×${count(g.count)}`,
    cls: g.severity === 'error' ? 'err' : g.severity === 'warning' ? 'warn' : 'info',
    points: g.examples.map((x) => (x.timelineNs - start) / 1e9),
  }));
  const svg = dotTimeline({
    id: 'findings-timeline',
    title: 'Findings on the timeline',
    rows,
    xMax: s.overview.spanNs / 1e9,
    xFormat: secondsLabel(s.overview.spanNs / 1e9),
  });
  return figure(
    svg,
    'Where the first examples of each finding happened (red: error, amber: warning, blue: info). The checker keeps only the first examples of each rule.',
  );
}

function lunRows(rows: Array<SummaryLun | SummaryTarget>): Cell[][] {
  return rows.map((l) => [...headlineCells(l), duration(l.latency.p50Ns), duration(l.latency.p99Ns), duration(l.latency.maxNs)]);
}

function sizeTable(h: SizeHistogram, bytes: boolean): string {
  const peak = Math.max(1, ...h.bins.map((b) => b.count));
  return table(
    [bytes ? 'bytes' : 'segments', 'tasks', 'share', '', 'limit'],
    h.bins.map((b) => [
      binLabel(b, bytes, b.moreThan === 0),
      count(b.count),
      percent(b.count / h.count),
      {
        html: b.count ? `<span class="hbar${b.overLimit ? ' over' : ''}" style="width:${Math.max(1, Math.round((b.count / peak) * 100))}%"></span>` : '',
        cls: 'barcell',
      },
      h.limit !== null && b.atMost === h.limit
        ? `◀ ${bytes ? size(h.limit) : count(h.limit)}: ${limitWord(h.limitKey)}`
        : b.overLimit && b.count
          ? 'OVER LIMIT'
          : '',
    ]),
    [false, true, true, false, false],
  );
}

export function renderSummaryHtml(s: Summary, options: HtmlOptions = {}): string {
  const by = options.by ?? new Set<Breakdown>(['opcode', 'lun']);
  const o = s.overview;
  const t = o.tasks;
  const names = s.traces.map((x) => x.path ?? `${x.format} trace`).join(', ') || 'no input';
  const producers = [...new Set(s.traces.map((x) => x.producer).filter(Boolean))].join('; ');
  const parts: string[] = [];

  const card = (label: string, value: string, note = '', cls = '') =>
    `<div class="card ${cls}"><div class="k">${esc(label)}</div><div class="v">${esc(value)}</div>${note ? `<div class="n">${esc(note)}</div>` : ''}</div>`;
  const findingsCard = s.findings
    ? card(
        'Findings',
        plural(s.findings.counts.error, 'error'),
        `${plural(s.findings.counts.warning, 'warning')} · ${count(s.findings.counts.info)} info`,
        s.findings.counts.error ? 'bad' : s.findings.counts.warning ? 'warn' : 'ok',
      )
    : card('Findings', 'not checked', '--no-check');
  parts.push(
    `<section id="overview"><h2>Overview</h2><div class="cards">` +
      card('Capture', seconds(o.spanNs), s.traces[0]?.startWall ?? '') +
      card('Tasks', count(t.submitted), `${count(t.completed)} completed · ${count(t.good)} good`) +
      card('Failed', count(t.failed), `${count(t.checkCondition)} CHECK CONDITION`, t.failed ? 'warn' : 'ok') +
      card(
        'Never completed',
        count(t.neverCompleted),
        t.orphanCompletions ? `${count(t.orphanCompletions)} completions for unknown tasks` : '',
        t.neverCompleted ? 'bad' : 'ok',
      ) +
      card('IOPS', perSec(o.iops.mean), `peak ${perSec(o.iops.peak)} per ${duration(o.intervalNs)}`) +
      card('Read', size(o.bytes.read), `${rate(o.throughput.readBytesPerSec.mean)} · peak ${rate(o.throughput.readBytesPerSec.peak)}`) +
      card('Written', size(o.bytes.written), `${rate(o.throughput.writeBytesPerSec.mean)} · peak ${rate(o.throughput.writeBytesPerSec.peak)}`) +
      card('Queue depth', o.queueDepth.mean.toFixed(2), `max ${count(o.queueDepth.max)}`) +
      card('Latency p50', duration(o.latency.p50Ns), `p99 ${duration(o.latency.p99Ns)} · max ${duration(o.latency.maxNs)}`) +
      findingsCard +
      (s.capture.complete
        ? ''
        : card(
            'Capture incomplete',
            plural(s.capture.gaps, 'gap'),
            `${plural(s.capture.tasksWithoutCompletion, 'task')} without a captured completion`,
            'warn',
          )) +
      `</div><p class="muted">Latency: ${esc(latencyLine(o.latency))}</p></section>`,
  );

  if (options.timeline) parts.push(renderTimelineSection(options.timeline));
  parts.push(section('activity', 'Activity over time', timeCharts(s)));
  if (s.latencyHistograms.length) parts.push(section('latency', 'Latency by command class', `<div class="grid2">${latencyCharts(s)}</div>`));

  if (s.findings) {
    const rows = s.findings.rules.map((g) => {
      const x = g.examples[0];
      return [
        { html: `<span class="sev ${g.severity}">${esc(g.severity)}</span>` },
        g.subject ? `${g.ruleId} (${g.subject})` : g.ruleId,
        count(g.count),
        x ? `${seconds(x.timeNs)}${x.command ? ` ${x.command}` : ''}: ${x.message}` : '',
      ] as Cell[];
    });
    parts.push(
      section(
        'findings',
        'Findings',
        findingsChart(s) + (rows.length ? table(['severity', 'rule', 'count', 'first example'], rows, [false, false, true, false]) : '<p>No findings.</p>'),
      ),
    );
  }

  if (by.has('opcode') && s.commands.length) {
    parts.push(
      section(
        'commands',
        'Commands',
        table(['command', 'tasks', 'bytes', 'time share', 'failed', 'CHECK CONDITION', 'never completed'], s.commands.map(commandCells)) +
          `<p class="muted">${esc(FAILED_NOTE)}</p>` +
          `<h3>Command latency</h3>` +
          table(['command', 'completed', 'min', 'p50', 'p90', 'p99', 'p99.9', 'max'], s.commands.map(commandLatencyCells)),
      ),
    );
  }

  const c = s.completions;
  if (c.statuses.length) {
    const total = c.statuses.reduce((n, x) => n + x.count, 0);
    let body = table(
      ['service response', 'status', 'tasks', 'share'],
      c.statuses.map((x) => [x.serviceResponse, x.status, count(x.count), percent(x.count / total)]),
      [false, false, true, true],
    );
    if (c.checkConditions.length || c.checkConditionsWithoutSense) {
      const rows: Cell[][] = c.checkConditions.map((x) => [
        x.senseKeyName,
        `${x.asc.toString(16).toUpperCase().padStart(2, '0')}/${x.ascq.toString(16).toUpperCase().padStart(2, '0')} ${x.ascName}`,
        count(x.count),
        x.commands.map((k) => `${k.name} ×${count(k.count)}`).join(', '),
      ]);
      if (c.checkConditionsWithoutSense) rows.push(['(no sense data)', '', count(c.checkConditionsWithoutSense), '']);
      body += `<h3>CHECK CONDITION by sense</h3>${table(['sense key', 'ASC/ASCQ', 'tasks', 'commands'], rows, [false, false, true, false])}`;
    }
    parts.push(section('completions', 'Completions', body));
  }

  const lunHead = ['tasks', 'failed', 'never completed', 'read', 'written', 'IOPS', 'QD mean / max', 'p50', 'p99', 'max'];
  if (by.has('lun') && s.luns.length) parts.push(section('luns', 'Per target:LUN', table(['target:LUN', ...lunHead], lunRows(s.luns))));
  if (by.has('target') && s.targets.length) parts.push(section('targets', 'Per target', table(['target', ...lunHead], lunRows(s.targets))));

  const tr = s.transfers;
  const sizeParts = [
    sizeChart('transfer-sizes-read', 'Transfer sizes, reads', tr.readBytes, true, 's1'),
    sizeChart('transfer-sizes-write', 'Transfer sizes, writes', tr.writeBytes, true, 's2'),
    sizeChart('segments-read', 'Segments per task, reads', tr.readSegments, false, 's1'),
    sizeChart('segments-write', 'Segments per task, writes', tr.writeSegments, false, 's2'),
  ].filter(Boolean);
  if (sizeParts.length) {
    const tables = (
      [
        ['Transfer sizes, reads', tr.readBytes, true],
        ['Transfer sizes, writes', tr.writeBytes, true],
        ['Segments per task, reads', tr.readSegments, false],
        ['Segments per task, writes', tr.writeSegments, false],
      ] as Array<[string, SizeHistogram, boolean]>
    )
      .filter(([, h, bytes]) => h.count && (bytes || h.max !== 0))
      .map(([title, h, bytes]) => `<h3>${esc(title)}</h3>${sizeTable(h, bytes)}`)
      .join('');
    parts.push(section('transfers', 'Transfer sizes and segment counts', `<div class="grid2">${sizeParts.join('')}</div>${tables}`));
  }

  if (s.hbaEvents.length || s.powerTransitions.length) {
    let body = '';
    if (s.hbaEvents.length) {
      body += table(
        ['event', 'count', 'failed', 'min', 'p50', 'p99', 'max'],
        s.hbaEvents.map((e) => [
          e.name,
          count(e.count),
          count(e.failed),
          duration(e.duration.minNs),
          duration(e.duration.p50Ns),
          duration(e.duration.p99Ns),
          duration(e.duration.maxNs),
        ]),
      );
    }
    if (s.powerTransitions.length) {
      body += `<h3>Power transitions</h3>${table(
        ['from → to', 'count', 'failed', 'min', 'p50', 'max'],
        s.powerTransitions.map((p) => [
          transition(p.from, p.to),
          count(p.count),
          count(p.failed),
          duration(p.duration.minNs),
          duration(p.duration.p50Ns),
          duration(p.duration.maxNs),
        ]),
      )}`;
    }
    parts.push(section('hba', 'HBA events', body));
  }

  const capture = captureTextLines(s.capture, s.traces.length > 1);
  if (capture.length) {
    parts.push(
      section(
        'capture',
        'Capture gaps',
        `<p>${esc(capture[0]!)}</p><p>${esc(capture[1]!.trim())}</p><ul>${capture
          .slice(2)
          .map((l) => `<li><code>${esc(l.replace(/^\s*-?\s*/, ''))}</code></li>`)
          .join('')}</ul>`,
      ),
    );
  }

  if (s.input.diagnostics) {
    parts.push(
      section(
        'input',
        'Input problems',
        `<ul>${s.input.messages.map((m) => `<li><code>${esc(m)}</code></li>`).join('')}</ul>${s.input.diagnostics > s.input.messages.length ? `<p>… and ${count(s.input.diagnostics - s.input.messages.length)} more</p>` : ''}`,
      ),
    );
  }

  const traceList = s.traces
    .map(
      (x) =>
        `${x.path ?? `${x.format} trace`} (${x.format} ${x.formatVersion}${x.sizeBytes !== null ? `, ${size(x.sizeBytes)}` : ''}${x.records !== null ? `, ${count(x.records)} records` : ''})`,
    )
    .join('; ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="scsitrace${options.version ? ` ${esc(options.version)}` : ''}">
<title>scsitrace summary: ${esc(names)}</title>
<style>${STYLE}${options.timeline ? TIMELINE_STYLE : ''}</style>
</head>
<body>
<header>
<h1>scsitrace summary</h1>
<p class="muted">${esc(traceList || names)}${producers ? ` · producer: ${esc(producers)}` : ''}</p>
</header>
<main>
${parts.join('\n')}
</main>
<footer class="muted">Generated by scsitrace${options.version ? ` ${esc(options.version)}` : ''}. Percentiles come from log-bucketed histograms (within 1% of the exact value); series are downsampled to fixed slots. Schema ${esc(s.schema)}.</footer>
</body>
</html>
`;
}

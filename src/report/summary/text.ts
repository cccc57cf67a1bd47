/** The text summary: titled cli-table3 tables sized to the terminal. */
import { captureTextLines } from '../capture.js';
import type { Breakdown, SummaryLun, Summary, SizeHistogram, SummaryTarget } from './model.js';
import { plural } from '../../model/units.js';
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
} from './format.js';
import { clip, renderPairs, renderTable } from './table.js';

export interface TextOptions {
  /** Terminal width in columns (100 when not a terminal). */
  width?: number;
  /** Rows per table before the rest is summed into one line (default 40). */
  maxRows?: number;
  /** Breakdown tables to show (default opcode and lun). */
  by?: ReadonlySet<Breakdown>;
}

const BAR_WIDTH = 20;

/** Finding examples are clipped here: `scsitrace check` prints them in full. */
const EXAMPLE_CHARS = 160;

function section(title: string, body: string): string {
  return `${title}\n${body}\n`;
}

/** Wraps prose at spaces to the width. */
function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

function limitName(key: string | null): string {
  if (!key) return '';
  const dir = key.endsWith('Write') ? 'write' : 'read';
  return key.includes('Segment') ? `max ${dir} segments` : `max ${dir} bytes`;
}

function histogramTable(h: SizeHistogram, bytes: boolean, width: number): string {
  const peak = Math.max(1, ...h.bins.map((b) => b.count));
  const rows = h.bins.map((b, i) => {
    const bar = '█'.repeat(Math.max(b.count > 0 ? 1 : 0, Math.round((b.count / peak) * BAR_WIDTH)));
    let note = '';
    if (h.limit !== null && b.atMost === h.limit) note = `◀ ${bytes ? size(h.limit) : count(h.limit)}: ${limitName(h.limitKey)}`;
    else if (b.overLimit && b.count > 0) note = 'OVER LIMIT';
    return [binLabel(b, bytes, i === 0 && b.moreThan === 0), count(b.count), percent(b.count / h.count), bar, note];
  });
  return renderTable({
    head: [bytes ? 'bytes' : 'segments', 'tasks', 'share', '', 'limit'],
    rows,
    align: ['left', 'right', 'right', 'left', 'left'],
    flex: 4,
    width,
  });
}

function histogramCaption(h: SizeHistogram, bytes: boolean): string {
  const fmt = bytes ? size : count;
  let s = `${plural(h.count, 'task')}, ${fmt(h.min ?? 0)} to ${fmt(h.max ?? 0)}`;
  if (h.limit !== null) {
    s += `; ${limitName(h.limitKey)} ${fmt(h.limit)} (${h.limitKey}): ${h.overLimit ? `${count(h.overLimit)} over` : 'none over'}`;
  }
  return s;
}

export function renderSummaryText(s: Summary, options: TextOptions = {}): string {
  const width = options.width ?? 100;
  const maxRows = options.maxRows ?? 40;
  const by = options.by ?? new Set<Breakdown>(['opcode', 'lun']);
  const o = s.overview;
  const out: string[] = [];

  const names = s.traces.map((t) => t.path ?? `${t.format} trace`).join(', ');
  const producers = [...new Set(s.traces.map((t) => t.producer).filter(Boolean))];
  out.push(`${wrap(`scsitrace summary of ${names || 'no input'}${producers.length ? ` (producer: ${producers.join('; ')})` : ''}`, width)}\n`);

  const t = o.tasks;
  const overview: Array<[string, string]> = [
    [
      'Capture',
      `${seconds(o.spanNs)}${s.traces[0]?.startWall ? ` from ${s.traces[0].startWall}` : ''}${s.traces.length > 1 ? ` (${s.traces.length} traces laid end to end)` : ''}`,
    ],
    [
      'Tasks',
      `${count(t.submitted)} submitted · ${count(t.completed)} completed: ${count(t.good)} good, ${count(t.failed)} failed` +
        `${t.checkCondition ? ` (${count(t.checkCondition)} CHECK CONDITION)` : ''} · ${count(t.neverCompleted)} never completed` +
        `${t.orphanCompletions ? ` · ${count(t.orphanCompletions)} completions for unknown tasks` : ''}` +
        `${t.reusedTaskIds ? ` · ${count(t.reusedTaskIds)} task ids reused in flight` : ''}`,
    ],
    ['Bytes', `read ${size(o.bytes.read)} · written ${size(o.bytes.written)}`],
    ['IOPS', `mean ${perSec(o.iops.mean)} · peak ${perSec(o.iops.peak)} (busiest ${duration(o.intervalNs)})`],
    [
      'Throughput',
      `read mean ${rate(o.throughput.readBytesPerSec.mean)}, peak ${rate(o.throughput.readBytesPerSec.peak)} · ` +
        `write mean ${rate(o.throughput.writeBytesPerSec.mean)}, peak ${rate(o.throughput.writeBytesPerSec.peak)}`,
    ],
    ['Queue depth', `mean ${o.queueDepth.mean.toFixed(2)} · max ${count(o.queueDepth.max)}`],
    ['Latency', latencyLine(o.latency)],
    [
      'Findings',
      s.findings
        ? `${plural(s.findings.counts.error, 'error')} · ${plural(s.findings.counts.warning, 'warning')} · ${count(s.findings.counts.info)} info`
        : 'not checked (--no-check)',
    ],
  ];
  if (s.input.diagnostics) overview.push(['Input problems', `${count(s.input.diagnostics)} damaged or unreadable regions (see below)`]);
  if (!s.capture.complete) {
    const c = s.capture;
    overview.push([
      'Incomplete',
      `${count(c.gaps)} capture ${c.gaps === 1 ? 'gap' : 'gaps'} (see below)` +
        `${c.tasksWithoutCompletion ? ` · ${count(c.tasksWithoutCompletion)} of the never-completed tasks may have completed unseen` : ''}` +
        `${c.completionsWithoutSubmission ? ` · ${count(c.completionsWithoutSubmission)} of the completions for unknown tasks may belong to unseen submissions` : ''}`,
    ]);
  }
  out.push(section('Overview', renderPairs(overview, width)));

  if (s.findings && s.findings.rules.length) {
    const rows = s.findings.rules.map((g) => {
      const x = g.examples[0];
      return [
        g.subject ? `${g.ruleId}\n(${g.subject})` : g.ruleId,
        g.severity,
        count(g.count),
        x ? clip(`${seconds(x.timeNs)}: ${x.message}`, EXAMPLE_CHARS) : '',
      ];
    });
    out.push(
      section(
        'Findings',
        renderTable({ head: ['rule', 'severity', 'count', 'first example'], rows, align: ['left', 'left', 'right', 'left'], flex: [0, 3], width }),
      ),
    );
  }

  if (by.has('opcode') && s.commands.length) {
    const shown = s.commands.slice(0, maxRows);
    const rest = s.commands.slice(maxRows);
    const rows: Array<Array<string | number>> = shown.map(commandCells);
    if (rest.length) {
      const sum = (f: (c: Summary['commands'][number]) => number) => count(rest.reduce((n, c) => n + f(c), 0));
      rows.push([
        `${rest.length} more commands`,
        sum((c) => c.submitted),
        size(rest.reduce((n, c) => n + c.bytes, 0)),
        '',
        sum((c) => c.errors),
        sum((c) => c.checkConditions),
        sum((c) => c.neverCompleted),
      ]);
    }
    out.push(
      section(
        'Commands',
        `${renderTable({ head: ['command', 'tasks', 'bytes', 'time\nshare', 'failed', 'CHECK\nCONDITION', 'never\ncompleted'], rows, flex: 0, width })}\n${wrap(FAILED_NOTE, width)}`,
      ),
    );
    const latencyRows = shown.map(commandLatencyCells);
    out.push(
      section(
        'Command latency',
        renderTable({ head: ['command', 'completed', 'min', 'p50', 'p90', 'p99', 'p99.9', 'max'], rows: latencyRows, flex: 0, width }),
      ),
    );
  }

  const c = s.completions;
  if (c.statuses.length) {
    const total = c.statuses.reduce((n, x) => n + x.count, 0);
    out.push(
      section(
        'Completions',
        renderTable({
          head: ['service response', 'status', 'tasks', 'share'],
          rows: c.statuses.map((x) => [x.serviceResponse, x.status, count(x.count), percent(x.count / total)]),
          align: ['left', 'left', 'right', 'right'],
          width,
        }),
      ),
    );
  }
  if (c.checkConditions.length || c.checkConditionsWithoutSense) {
    const rows = c.checkConditions.slice(0, maxRows).map((x) => [
      x.senseKeyName,
      `${hex2(x.asc)}/${hex2(x.ascq)} ${x.ascName}`,
      count(x.count),
      x.commands
        .slice(0, 3)
        .map((k) => `${k.name} ×${count(k.count)}`)
        .join(', ') + (x.commands.length > 3 ? `, ${x.commands.length - 3} more` : ''),
    ]);
    if (c.checkConditionsWithoutSense) {
      rows.push([
        '(no sense data)',
        c.unreadableSense ? `${count(c.unreadableSense)} with sense in no known format` : '',
        count(c.checkConditionsWithoutSense),
        '',
      ]);
    }
    out.push(
      section(
        'CHECK CONDITION by sense',
        renderTable({ head: ['sense key', 'ASC/ASCQ', 'tasks', 'commands'], rows, align: ['left', 'left', 'right', 'left'], flex: [1, 3], width }),
      ),
    );
  }

  const breakdown = (title: string, first: string, all: Array<SummaryLun | SummaryTarget>) => {
    const rows = all.slice(0, maxRows).map((l) => [...headlineCells(l), duration(l.latency.p99Ns)]);
    if (all.length > maxRows) rows.push([`${all.length - maxRows} more`, '', '', '', '', '', '', '', '']);
    out.push(
      section(
        title,
        renderTable({
          head: [first, 'tasks', 'failed', 'never\ndone', 'read', 'written', 'IOPS', 'QD\nmean / max', 'p99\nlatency'],
          rows,
          flex: 0,
          width,
        }),
      ),
    );
  };
  if (by.has('lun') && s.luns.length) breakdown('Per target:LUN', 'target:LUN', s.luns);
  if (by.has('target') && s.targets.length) breakdown('Per target', 'target', s.targets);

  const tr = s.transfers;
  const hist: Array<[string, SizeHistogram, boolean]> = [
    ['Transfer sizes, reads', tr.readBytes, true],
    ['Transfer sizes, writes', tr.writeBytes, true],
    ['Segments per task, reads', tr.readSegments, false],
    ['Segments per task, writes', tr.writeSegments, false],
  ];
  for (const [title, h, bytes] of hist) {
    // Formats without scatter/gather lists (captures) have no segments to show.
    if (h.count === 0 || (!bytes && h.max === 0)) continue;
    out.push(section(wrap(`${title}: ${histogramCaption(h, bytes)}`, width), histogramTable(h, bytes, width)));
  }

  if (s.hbaEvents.length) {
    out.push(
      section(
        'HBA events',
        renderTable({
          head: ['event', 'count', 'failed', 'min', 'p50', 'p99', 'max'],
          rows: s.hbaEvents.map((e) => [
            e.name,
            count(e.count),
            count(e.failed),
            duration(e.duration.minNs),
            duration(e.duration.p50Ns),
            duration(e.duration.p99Ns),
            duration(e.duration.maxNs),
          ]),
          width,
        }),
      ),
    );
  }
  if (s.powerTransitions.length) {
    out.push(
      section(
        'Power transitions',
        renderTable({
          head: ['from → to', 'count', 'failed', 'min', 'p50', 'max'],
          rows: s.powerTransitions.map((p) => [
            transition(p.from, p.to),
            count(p.count),
            count(p.failed),
            duration(p.duration.minNs),
            duration(p.duration.p50Ns),
            duration(p.duration.maxNs),
          ]),
          width,
        }),
      ),
    );
  }

  const capture = captureTextLines(s.capture, s.traces.length > 1);
  if (capture.length) out.push(section('Capture gaps', capture.map((l) => wrap(l, width)).join('\n')));

  if (s.input.diagnostics) {
    const lines = s.input.messages.map((m) => wrap(`  ${m}`, width));
    if (s.input.diagnostics > s.input.messages.length) lines.push(`  ... and ${count(s.input.diagnostics - s.input.messages.length)} more`);
    out.push(section('Input problems', lines.join('\n')));
  }
  return out.join('\n');
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

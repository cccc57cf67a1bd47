/** The text diff: a verdict line, then titled cli-table3 tables sized to the terminal. */
import type { Paint } from '../paint.js';
import { formatBytes, formatCount, formatDuration, plural } from '../../model/units.js';
import { renderPairs, renderTable } from '../summary/table.js';
import { buffersAbove4GiB, pointText } from './build.js';
import type { CommandDiff, Diff, DirectionAlignmentJson, Quantiles } from './model.js';

export interface DiffTextOptions {
  width?: number;
  paint?: Paint;
  /** Command rows shown before the rest is summed into one line (default 40). */
  maxRows?: number;
}

const plain: Paint = { red: (s) => s, yellow: (s) => s, green: (s) => s, dim: (s) => s, bold: (s) => s };

/** New findings in red when errors are among them, yellow otherwise. */
function paintNew(p: Paint, errors: boolean, text: string): string {
  return errors ? p.red(text) : p.yellow(text);
}

function section(title: string, body: string): string {
  return `${title}\n${body}\n`;
}

const ns = (v: number | null): string => (v === null ? '-' : formatDuration(v));
const bytes = (v: number | null): string => (v === null ? '-' : formatBytes(v));
const num = (v: number | null): string => (v === null ? '-' : formatCount(v));

/** "a → b", or just "a" when both are the same. */
function pair(a: string, b: string): string {
  return a === b ? a : `${a} → ${b}`;
}

function signedDuration(v: number): string {
  if (v === 0) return '0';
  return `${v > 0 ? '+' : '−'}${formatDuration(Math.abs(v))}`;
}

function sideFigure(c: CommandDiff, f: (k: NonNullable<CommandDiff['baseline']>) => string): string {
  return pair(c.baseline ? f(c.baseline) : '-', c.candidate ? f(c.candidate) : '-');
}

function q(k: Quantiles, p: 'p50' | 'p90' | 'p99' | 'max', fmt: (v: number | null) => string): string {
  return fmt(k[p]);
}

/** One line: how many changes, and the candidate's new findings. */
export function verdictLine(d: Diff, p: Paint = plain): string {
  const nf = d.verdict.newFindings;
  const newTotal = nf.error + nf.warning + nf.info;
  const changes = d.verdict.changes === 0 ? p.green('no change') : p.bold(plural(d.verdict.changes, 'change'));
  if (!d.findings) return `${changes} (checks not run)`;
  const fixed = d.findings.filter((f) => f.status === 'fixed').length;
  const findings =
    newTotal === 0
      ? 'no new findings'
      : paintNew(p, nf.error > 0, `${plural(newTotal, 'new finding')} (${plural(nf.error, 'error')}, ${plural(nf.warning, 'warning')}, ${nf.info} info)`);
  return `${changes}; candidate: ${findings}${fixed ? `, ${p.green(`${plural(fixed, 'finding')} fixed`)}` : ''}`;
}

function alignmentLine(what: string, a: DirectionAlignmentJson): string {
  const matched = `${formatCount(a.blocks)} blocks in ${formatCount(a.commands.baseline)} / ${formatCount(a.commands.candidate)} commands`;
  switch (a.outcome) {
    case 'none':
      return `${what}: none in either trace`;
    case 'same':
      return `${what}: the same blocks in the same order (${matched})`;
    case 'abandoned':
      return `${what}: not lined up (too far apart: ${formatCount(a.seen.baseline)} / ${formatCount(a.seen.candidate)} commands)`;
    case 'diverged':
      return `${what}: diverge after ${matched}\n  baseline:  ${pointText(a.divergence!.baseline)}\n  candidate: ${pointText(a.divergence!.candidate)}`;
    case 'baseline-longer':
      return `${what}: the candidate's end after ${matched}; the baseline goes on\n  baseline:  ${pointText(a.divergence!.baseline)}`;
    case 'candidate-longer':
      return `${what}: the baseline's end after ${matched}; the candidate goes on\n  candidate: ${pointText(a.divergence!.candidate)}`;
  }
}

export function renderDiffText(d: Diff, options: DiffTextOptions = {}): string {
  const width = options.width ?? 100;
  const p = options.paint ?? plain;
  const maxRows = options.maxRows ?? 40;
  const parts: string[] = [];
  const side = (s: Diff['baseline']): string =>
    `${s.path ?? '(events)'}: ${s.format ?? 'unknown format'}, ${plural(s.submitted, 'task')}, ${formatDuration(s.spanNs)}${s.diagnostics ? `, ${plural(s.diagnostics, 'input problem')}` : ''}${s.gaps ? `, ${plural(s.gaps, 'capture gap')}` : ''}`;
  parts.push(`baseline:  ${side(d.baseline)}\ncandidate: ${side(d.candidate)}\n${verdictLine(d, p)}\n`);

  if (d.changes.length) {
    parts.push(
      section(
        'Changes',
        renderTable({ head: ['area', 'what changed'], rows: d.changes.map((c) => [c.area, c.text]), align: ['left', 'left'], flex: 1, width }),
      ),
    );
  }

  const rows = d.commands.slice(0, maxRows).map((c) => {
    const l = c.latency;
    const shift = l ? signedDuration(l.shiftNs.p50) : '-';
    const test = l?.test ? `${l.test.pMannWhitney}` : '-';
    const verdict = l ? l.verdict : c.presence === 'both' ? '-' : `only ${c.presence}`;
    return [
      c.name,
      sideFigure(c, (k) => formatCount(k.submitted)),
      sideFigure(c, (k) => formatCount(k.failed)),
      sideFigure(c, (k) => q(k.latencyNs, 'p50', ns)),
      sideFigure(c, (k) => q(k.latencyNs, 'p99', ns)),
      shift,
      test,
      verdict,
    ];
  });
  if (d.commands.length > maxRows) rows.push([`... ${plural(d.commands.length - maxRows, 'more command kind')}`, '', '', '', '', '', '', '']);
  parts.push(
    section(
      'Commands (baseline → candidate)',
      renderTable({
        head: ['command', 'tasks', 'failed', 'p50', 'p99', 'p50 shift', 'MW p', 'latency'],
        rows,
        align: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
        flex: [0, 3, 4],
        width,
      }),
    ),
  );

  const dataRows = d.commands
    .filter(
      (c) =>
        (c.baseline?.transferBytes.max ?? 0) > 0 ||
        (c.candidate?.transferBytes.max ?? 0) > 0 ||
        (c.baseline?.sgl.tasks ?? 0) > 0 ||
        (c.candidate?.sgl.tasks ?? 0) > 0 ||
        (c.baseline?.buffer.tasks ?? 0) > 0 ||
        (c.candidate?.buffer.tasks ?? 0) > 0,
    )
    .slice(0, maxRows)
    .map((c) => [
      c.name,
      sideFigure(c, (k) => q(k.transferBytes, 'p50', bytes)),
      sideFigure(c, (k) => q(k.transferBytes, 'max', bytes)),
      sideFigure(c, (k) => q(k.sgl.segments, 'max', num)),
      sideFigure(c, (k) => q(k.sgl.segmentBytes, 'max', bytes)),
      sideFigure(c, (k) => formatCount(k.sgl.tasksAbove4GiB)),
      sideFigure(c, (k) => (k.buffer.tasks ? formatCount(buffersAbove4GiB(k)) : '-')),
      sideFigure(c, (k) => q(k.queueDepth, 'p90', num)),
    ]);
  if (dataRows.length) {
    parts.push(
      section(
        'Transfers and scatter/gather lists',
        renderTable({
          head: ['command', 'median bytes', 'max bytes', 'max segments', 'max segment', 'SGL > 4 GiB', 'IOVM > 4 GiB', 'p90 queue depth'],
          rows: dataRows,
          align: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
          flex: 0,
          width,
        }),
      ),
    );
  }

  const syncs = d.commands.filter((c) => c.baseline?.flush || c.candidate?.flush);
  if (syncs.length) {
    const f = (k: NonNullable<CommandDiff['baseline']>): string =>
      k.flush ? `${k.flush.beforeAnswer} before, ${k.flush.afterAnswer} after, ${k.flush.none} none` : '-';
    parts.push(
      section(
        'Controller cache flush around SYNCHRONIZE CACHE (baseline → candidate)',
        renderTable({
          head: ['command', 'baseline', 'candidate'],
          rows: syncs.map((c) => [c.name, c.baseline ? f(c.baseline) : '-', c.candidate ? f(c.candidate) : '-']),
          align: ['left', 'left', 'left'],
          flex: [1, 2],
          width,
        }),
      ),
    );
  }

  if (d.findings === null) parts.push(section('Findings', 'checks not run (--no-check)'));
  else if (d.findings.length) {
    parts.push(
      section(
        'Findings',
        renderTable({
          head: ['', 'severity', 'rule', 'baseline', 'candidate'],
          rows: d.findings.map((f) => [
            f.status,
            f.severity,
            f.subject ? `${f.ruleId} (${f.subject})` : f.ruleId,
            formatCount(f.baseline),
            formatCount(f.candidate),
          ]),
          align: ['left', 'left', 'left', 'right', 'right'],
          flex: 2,
          width,
        }),
      ),
    );
  } else parts.push(section('Findings', 'none in either trace'));

  if (d.constraints.length) {
    parts.push(
      section(
        'Constraints that differ',
        renderTable({
          head: ['constraint', 'baseline', 'candidate'],
          rows: d.constraints.map((c) => [c.key, c.baseline === null ? '-' : String(c.baseline), c.candidate === null ? '-' : String(c.candidate)]),
          align: ['left', 'right', 'right'],
          flex: 0,
          width,
        }),
      ),
    );
  }

  if (d.hbaEvents.length) {
    const h = (x: { count: number; failed: number; durationNs: Quantiles } | null): string =>
      x ? `${formatCount(x.count)}${x.failed ? ` (${formatCount(x.failed)} failed)` : ''}, median ${ns(x.durationNs.p50)}` : '-';
    parts.push(
      section(
        'HBA events',
        renderTable({
          head: ['event', 'baseline', 'candidate'],
          rows: d.hbaEvents.map((e) => [e.name, h(e.baseline), h(e.candidate)]),
          align: ['left', 'right', 'right'],
          flex: 0,
          width,
        }),
      ),
    );
  }
  if (d.powerTransitions.length) {
    const h = (x: { count: number; failed: number; durationNs: Quantiles } | null): string =>
      x ? `${formatCount(x.count)}${x.failed ? ` (${formatCount(x.failed)} failed)` : ''}, median ${ns(x.durationNs.p50)}` : '-';
    parts.push(
      section(
        'Power transitions',
        renderTable({
          head: ['transition', 'baseline', 'candidate', 'duration'],
          rows: d.powerTransitions.map((t) => [t.from < 0 ? 'other' : `${t.from} → ${t.to}`, h(t.baseline), h(t.candidate), t.duration?.verdict ?? '-']),
          align: ['left', 'right', 'right', 'left'],
          flex: 0,
          width,
        }),
      ),
    );
  }

  parts.push(
    section(
      'Where the workloads line up',
      renderPairs(
        [
          ['reads', alignmentLine('reads', d.alignment.reads).replace(/^reads: /, '')],
          ['writes', alignmentLine('writes', d.alignment.writes).replace(/^writes: /, '')],
        ],
        width,
      ),
    ),
  );
  const o = d.options;
  parts.push(
    p.dim(
      `Latency: a change needs Mann-Whitney or Kolmogorov-Smirnov p < ${o.alpha} on the binned histograms and a p50/p90/p99 shift of at least ${Math.round(o.minShift * 100)} % and ${formatDuration(o.minShiftNs)}, with ${o.minSamples}+ samples a side (docs/diff.md).`,
    ),
  );
  return `${parts.join('\n')}\n`;
}

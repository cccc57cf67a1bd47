/**
 * One line per file for runs over many files (`scsitrace check traces/*.sct`): a consumer of the
 * paired rows beside the checker and the summary, counting each file's tasks, the tasks it left
 * in flight and the findings reported while it was read (the checker's counts at the file's end
 * less those at its start; it must come after the checker in the consumer list, so that findings
 * a trace's end brings are counted in that trace's file).
 */
import type { PairedConsumer, TraceEnd } from '../analysis/pipeline.js';
import { RowFlag, RowKind, type TaskBatch } from '../model/batch.js';
import type { ReadStats } from '../model/stats.js';

export type SeverityCounts = Readonly<Record<'error' | 'warning' | 'info', number>>;

export interface FileTotals {
  file: string;
  /** Tasks submitted. */
  tasks: number;
  completed: number;
  /** Still in flight at the end of the file's traces (or given up: their id was reused). */
  neverCompleted: number;
  /** Completions of no task in flight. */
  orphans: number;
  findings?: { error: number; warning: number; info: number };
}

export class FileTally implements PairedConsumer {
  readonly files: FileTotals[] = [];
  private current: FileTotals | undefined;
  private countsAtStart: SeverityCounts | undefined;

  /** `counts`: the checker's finding counts so far (none: no findings column). */
  constructor(private readonly counts?: () => SeverityCounts) {}

  startFile(path: string): void {
    this.close();
    this.current = { file: path, tasks: 0, completed: 0, neverCompleted: 0, orphans: 0 };
    this.files.push(this.current);
    if (this.counts) this.countsAtStart = { ...this.counts() };
  }

  rows(b: TaskBatch, from: number, to: number): void {
    const f = this.current;
    if (!f) return;
    const kind = b.kind;
    for (let r = from; r < to; r++) {
      const k = kind[r]!;
      if (k === RowKind.Submit) {
        f.tasks++;
        // A task given up (its id reused while in flight) never completed either.
        if (b.flags[r]! & RowFlag.Reused) f.neverCompleted++;
      } else if (k === RowKind.Complete) f.completed++;
      else if (k === RowKind.Orphan) f.orphans++;
    }
  }

  endTrace(end: TraceEnd): void {
    const f = this.current;
    if (!f) return;
    for (const b of end.left()) f.neverCompleted += b.length;
  }

  /** Ends the last file (call after the pipeline's finish). */
  close(): void {
    const f = this.current;
    if (f && this.counts && this.countsAtStart) {
      const now = this.counts();
      const at = this.countsAtStart;
      f.findings = { error: now.error - at.error, warning: now.warning - at.warning, info: now.info - at.info };
    }
    this.current = undefined;
  }
}

/** A file's line: its totals and what reading it skipped. */
export function fileLine(t: FileTotals, stats: ReadStats | undefined, format: string | undefined): string {
  const parts = [`${t.tasks} task${t.tasks === 1 ? '' : 's'}`];
  if (t.neverCompleted) parts.push(`${t.neverCompleted} never completed`);
  if (t.orphans) parts.push(`${t.orphans} completion${t.orphans === 1 ? '' : 's'} of unknown tasks`);
  if (t.findings) {
    const f = t.findings;
    parts.push(`${f.error} error${f.error === 1 ? '' : 's'}, ${f.warning} warning${f.warning === 1 ? '' : 's'}, ${f.info} info`);
  }
  if (stats && (stats.skippedBytes || stats.skippedRecords || stats.damagedRegions)) {
    parts.push(`damaged: ${stats.skippedBytes} bytes in ${stats.damagedRegions} regions and ${stats.skippedRecords} bad records skipped`);
  }
  return `  ${t.file}${format ? ` (${format})` : ''}: ${parts.join(' · ')}`;
}

/** The per-file section of a text report. */
export function fileLines(files: readonly FileTotals[], traces: ReadonlyArray<{ stats: ReadStats; format: { id: string } }>): string {
  return `\nFiles:\n${files.map((t, i) => fileLine(t, traces[i]?.stats, traces[i]?.format.id)).join('\n')}\n`;
}

/** The per-file entries of a JSON report. */
export function fileEntries(files: readonly FileTotals[], traces: ReadonlyArray<{ stats: ReadStats; format: { id: string }; sizeBytes: number }>): object[] {
  return files.map((t, i) => {
    const tr = traces[i];
    return {
      file: t.file,
      format: tr?.format.id ?? null,
      sizeBytes: tr?.sizeBytes ?? null,
      records: tr?.stats.records ?? null,
      tasks: t.tasks,
      completed: t.completed,
      neverCompleted: t.neverCompleted,
      orphans: t.orphans,
      ...(t.findings ? { findings: t.findings } : {}),
      skippedBytes: tr?.stats.skippedBytes ?? null,
      skippedRecords: tr?.stats.skippedRecords ?? null,
      damagedRegions: tr?.stats.damagedRegions ?? null,
    };
  });
}

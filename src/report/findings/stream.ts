/**
 * Findings written out as they are found. SARIF lists one result per finding and JSON lists
 * every finding: a trace of 100 million tasks can have more findings than fit in memory, so
 * the document is written in three parts — the head before the first finding (what is known
 * before reading: files, rules, options), one piece per finding, and the tail (counts, groups,
 * constraints, what went wrong) — and only the per-rule groups (count plus the first examples)
 * are kept.
 */
import type { CheckResult, Finding } from '../../checks/engine.js';
import type { Severity } from '../../checks/rule.js';

/** What is known before the first finding. */
export interface FindingsHead {
  files: readonly string[];
  /** Enabled rule ids. */
  rules: readonly string[];
  failOn: Severity;
  version: string;
}

/** What is known at the end. */
export interface FindingsTail {
  /** Findings written out (at most --max-results). */
  written: number;
  /** Findings found but not written because of --max-results. */
  omitted: number;
  /** The --max-results cap, when one was given. */
  maxResults: number | undefined;
  /** Damaged input and other problems reported on stderr. */
  problems: readonly string[];
  /** Set when reading stopped on an error: the document is closed, but it is not complete. */
  fatal?: string;
  /** Top-level members a JSON document adds at its end (perFile over several files). */
  extra?: Record<string, unknown>;
}

/** A document written in parts: head, one piece per finding, tail. */
export interface FindingsWriter {
  head(h: FindingsHead): string;
  /** `index`: the findings written before this one. */
  finding(f: Finding, index: number, h: FindingsHead): string;
  tail(result: CheckResult, t: FindingsTail, h: FindingsHead): string;
}

/** Marks where the list of findings goes when a document is laid out. */
const LIST_MARK = '\u0000findings\u0000';

/**
 * The text of a pretty-printed (2-space) JSON document around one array, split where the array
 * goes: `doc` holds LIST_MARK where the array belongs. Items are indented to sit in it.
 */
export function splitAtList(doc: unknown): { before: string; after: string; indent: string } {
  const text = JSON.stringify(doc, null, 2);
  const quoted = JSON.stringify(LIST_MARK);
  const at = text.indexOf(quoted);
  if (at < 0) throw new Error('document has no list mark');
  const lineStart = text.lastIndexOf('\n', at) + 1;
  const keyIndent = /^ */.exec(text.slice(lineStart))![0];
  return { before: `${text.slice(0, at)}[`, after: `${text.slice(at + quoted.length)}`, indent: `${keyIndent}  ` };
}

export { LIST_MARK };

/** One list item: its JSON indented to `indent`, after a separator when it is not the first. */
export function listItem(value: unknown, index: number, indent: string): string {
  const json = JSON.stringify(value, null, 2).replace(/\n/g, `\n${indent}`);
  return `${index === 0 ? '\n' : ',\n'}${indent}${json}`;
}

/** Closes the list: `]` on its own line after items, or right after `[` when empty. */
export function closeList(written: number, indent: string): string {
  return written === 0 ? ']' : `\n${indent.slice(2)}]`;
}

/** A whole document from a result that kept its findings (CheckOptions.keepFindings). */
export function renderWhole(writer: FindingsWriter, result: CheckResult, h: FindingsHead, maxResults?: number): string {
  const all = result.findings ?? [];
  const n = maxResults === undefined ? all.length : Math.min(maxResults, all.length);
  let out = writer.head(h);
  for (let i = 0; i < n; i++) out += writer.finding(all[i]!, i, h);
  const total = result.counts.error + result.counts.warning + result.counts.info;
  return out + writer.tail(result, { written: n, omitted: total - n, maxResults, problems: [] }, h);
}

/**
 * Findings as SARIF 2.1.0 (OASIS), for CI systems such as GitHub code scanning: one run, the
 * rules with their docs as help, and one result per finding — the trace file as artifact, the
 * record's byte offset as region. Grouping is the viewer's job; results are written as they are
 * found (see stream.ts), bounded only by --max-results.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CheckResult, Finding } from '../../checks/engine.js';
import { readRuleDoc, ruleDocRelativePath, ruleDocSections } from '../../checks/docs.js';
import type { Severity } from '../../checks/rule.js';
import { allRules } from '../../checks/rules/index.js';
import { crc32c } from '../../model/crc32c.js';
import { plural } from '../../model/units.js';
import { captureJson } from '../capture.js';
import { findingJson, type FindingsRenderOptions } from './common.js';
import { closeList, LIST_MARK, listItem, renderWhole, splitAtList, type FindingsHead, type FindingsTail, type FindingsWriter } from './stream.js';

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

function sarifRules(ids: readonly string[]): Array<Record<string, unknown>> {
  return allRules
    .filter((r) => ids.includes(r.meta.id))
    .map((r) => {
      const doc = readRuleDoc(r.meta.id);
      const s = doc ? ruleDocSections(doc) : undefined;
      return {
        id: r.meta.id,
        name: r.meta.id.replace(/-(\w)/g, (_, c: string) => c.toUpperCase()).replace(/^\w/, (c) => c.toUpperCase()),
        shortDescription: { text: r.meta.description },
        fullDescription: { text: s?.what || r.meta.description },
        ...(doc ? { help: { text: [s!.what, s!.why, s!.fix].filter(Boolean).join('\n\n'), markdown: doc } } : {}),
        defaultConfiguration: { level: LEVEL[r.meta.severity] },
        properties: { category: r.meta.category, doc: ruleDocRelativePath(r.meta.id) },
      };
    });
}

/** The run's rules are listed in the order of allRules; results refer to them by index. */
function ruleIndexOf(h: FindingsHead): Map<string, number> {
  return new Map(allRules.filter((r) => h.rules.includes(r.meta.id)).map((r, i) => [r.meta.id, i]));
}

/** One SARIF result. */
export function sarifResult(f: Finding, h: FindingsHead, ruleIndex: Map<string, number> = ruleIndexOf(h)): Record<string, unknown> {
  const location: Record<string, unknown> = { region: { byteOffset: f.offset } };
  if (f.file !== undefined) {
    const index = h.files.indexOf(f.file);
    location['artifactLocation'] = { uri: toUri(f.file), ...(index >= 0 ? { index } : {}) };
  }
  const j = findingJson(f);
  const message = f.command ? `${f.command}: ${f.message}` : f.message;
  const rule = ruleIndex.get(f.ruleId);
  return {
    ruleId: f.ruleId,
    ...(rule !== undefined ? { ruleIndex: rule } : {}),
    level: LEVEL[f.severity],
    message: { text: message },
    locations: [{ physicalLocation: location }],
    // Identifies the result across runs: where it is, which rule and message, and a hash of the
    // text (two segments of one task can break the same rule at the same record).
    partialFingerprints: {
      'recordOffset/v1': `${f.file ?? ''}:${f.offset}:${f.ruleId}:${f.messageId}:${crc32c(Buffer.from(message)).toString(16).padStart(8, '0')}`,
    },
    properties: {
      taskId: j['taskId'],
      record: f.recordIndex,
      timeNs: f.timeNs,
      messageId: f.messageId,
      evidence: f.evidence,
      ...(f.subject ? { subject: f.subject } : {}),
    },
  };
}

/** SARIF wants URIs: absolute paths become file: URLs; relative ones stay relative (to the working directory). */
function toUri(path: string): string {
  if (isAbsolute(path)) return pathToFileURL(path).href;
  return path.split(/[\\/]/).map(encodeURIComponent).join('/');
}

function run(h: FindingsHead, rest: Record<string, unknown>): unknown {
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{ tool: { driver: { name: 'scsitrace', version: h.version, rules: sarifRules(h.rules) } }, results: LIST_MARK, ...rest }],
  };
}

/**
 * Notifications for what the results do not show: a capture that lost records, results left
 * out, damaged input, an error.
 */
function notifications(result: CheckResult, t: FindingsTail): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  if (!result.capture.complete) {
    out.push({
      level: 'warning',
      message: {
        text: `capture incomplete: ${plural(result.capture.gaps, 'gap')} reported by the trace readers; findings a lost record would explain are notes`,
      },
    });
  }
  if (t.omitted > 0) {
    const why = t.maxResults !== undefined ? `--max-results ${t.maxResults}` : 'the checker did not keep them';
    out.push({ level: 'warning', message: { text: `${t.omitted} more result${t.omitted === 1 ? '' : 's'} found but not written (${why})` } });
  }
  for (const p of t.problems) out.push({ level: 'error', message: { text: p } });
  if (t.fatal) out.push({ level: 'error', message: { text: t.fatal } });
  return out;
}

export const sarifWriter: FindingsWriter = {
  head(h) {
    return layout(h).before;
  },
  finding(f, index, h) {
    const l = layout(h);
    return listItem(sarifResult(f, h, l.ruleIndex), index, l.indent);
  },
  tail(result, t, h) {
    const rest = {
      artifacts: h.files.map((uri) => ({ location: { uri: toUri(uri) }, mimeType: 'application/octet-stream' })),
      invocations: [{ executionSuccessful: !t.fatal && t.problems.length === 0, toolExecutionNotifications: notifications(result, t) }],
      properties: { tasks: result.tasks, counts: result.counts, capture: captureJson(result.capture), resultsWritten: t.written, resultsOmitted: t.omitted },
    };
    const { after, indent } = splitAtList(run(h, rest));
    return closeList(t.written, indent) + after + '\n';
  },
};

/** The head's text, item indent and rule indexes, worked out once per document rather than per result. */
const layouts = new WeakMap<FindingsHead, { before: string; indent: string; ruleIndex: Map<string, number> }>();
function layout(h: FindingsHead): { before: string; indent: string; ruleIndex: Map<string, number> } {
  let l = layouts.get(h);
  if (!l) layouts.set(h, (l = { ...splitAtList(run(h, {})), ruleIndex: ruleIndexOf(h) }));
  return l;
}

/** The whole SARIF document of a result that kept its findings (CheckOptions.keepFindings). */
export function renderFindingsSarif(result: CheckResult, o: FindingsRenderOptions): string {
  return renderWhole(sarifWriter, result, { files: result.files, rules: result.rules, failOn: o.failOn, version: o.version }, o.maxResults);
}

/** The SARIF document as an object (tests, library users). */
export function checkResultSarif(result: CheckResult, o: Pick<FindingsRenderOptions, 'version'> & Partial<FindingsRenderOptions>): Record<string, unknown> {
  return JSON.parse(renderFindingsSarif(result, { failOn: 'error', paint: undefined as never, ...o })) as Record<string, unknown>;
}

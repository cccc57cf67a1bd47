/**
 * Findings as SARIF 2.1.0 (OASIS), for CI systems such as GitHub code scanning: one run, the
 * rules with their docs as help, each finding with the trace file as artifact and the record's
 * byte offset as its region.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CheckResult, Finding } from '../../checks/engine.js';
import { readRuleDoc, ruleDocRelativePath, ruleDocSections } from '../../checks/docs.js';
import type { Severity } from '../../checks/rule.js';
import { allRules } from '../../checks/rules/index.js';
import { captureJson } from '../capture.js';
import { findingJson, type FindingsRenderOptions } from './common.js';

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

export function checkResultSarif(result: CheckResult, o: Pick<FindingsRenderOptions, 'version'>): Record<string, unknown> {
  const rules = allRules.filter((r) => result.rules.includes(r.meta.id));
  const ruleIndex = new Map(rules.map((r, i) => [r.meta.id, i]));
  const artifacts = [...new Set([...result.files, ...result.groups.flatMap((g) => g.examples.map((f) => f.file)).filter((f): f is string => f !== undefined)])];
  const artifactIndex = new Map(artifacts.map((a, i) => [a, i]));
  const results = result.groups.flatMap((g) =>
    g.examples.map((f) => sarifResult(f, ruleIndex.get(f.ruleId) ?? -1, artifactIndex, g.count, g.subject)),
  );
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'scsitrace',
            version: o.version,
            rules: rules.map((r) => {
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
            }),
          },
        },
        artifacts: artifacts.map((uri) => ({ location: { uri: toUri(uri) }, mimeType: 'application/octet-stream' })),
        results,
        ...(result.capture.complete
          ? {}
          : {
              invocations: [
                {
                  executionSuccessful: true,
                  toolExecutionNotifications: [{ level: 'warning', message: { text: `capture incomplete: ${result.capture.gaps} gaps reported by the trace readers; findings a lost record would explain are notes` } }],
                },
              ],
            }),
        properties: { tasks: result.tasks, counts: result.counts, capture: captureJson(result.capture) },
      },
    ],
  };
}

function sarifResult(f: Finding, ruleIndex: number, artifactIndex: Map<string, number>, groupCount: number, subject: string | undefined): Record<string, unknown> {
  const location: Record<string, unknown> = { region: { byteOffset: f.offset } };
  if (f.file !== undefined) location['artifactLocation'] = { uri: toUri(f.file), index: artifactIndex.get(f.file) };
  const j = findingJson(f);
  return {
    ruleId: f.ruleId,
    ...(ruleIndex >= 0 ? { ruleIndex } : {}),
    level: LEVEL[f.severity],
    message: { text: f.command ? `${f.command}: ${f.message}` : f.message },
    locations: [{ physicalLocation: location }],
    partialFingerprints: { recordOffset: `${f.file ?? ''}:${f.offset}:${f.ruleId}:${f.messageId}` },
    properties: { taskId: j['taskId'], record: f.recordIndex, timeNs: f.timeNs, evidence: f.evidence, groupCount, ...(subject ? { subject } : {}) },
  };
}

/** SARIF wants URIs: absolute paths become file: URLs; relative ones stay relative (to the working directory). */
function toUri(path: string): string {
  if (isAbsolute(path)) return pathToFileURL(path).href;
  return path.split(/[\\/]/).map(encodeURIComponent).join('/');
}

export function renderFindingsSarif(result: CheckResult, o: FindingsRenderOptions): string {
  return JSON.stringify(checkResultSarif(result, o), null, 2) + '\n';
}

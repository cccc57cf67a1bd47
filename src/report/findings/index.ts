/**
 * Findings output in two maps, so `--format text|json|sarif` is a lookup, not a branch:
 * whole-document renderers (from a CheckResult), and, for JSON and SARIF, writers that put
 * each finding out as it is found (stream.ts).
 */
import type { FindingsRenderer } from './common.js';
import { jsonWriter, renderFindingsJson } from './json.js';
import { renderFindingsSarif, sarifWriter } from './sarif.js';
import type { FindingsWriter } from './stream.js';
import { renderFindingsText } from './text.js';

export const findingsRenderers = {
  text: renderFindingsText,
  json: renderFindingsJson,
  sarif: renderFindingsSarif,
} as const satisfies Record<string, FindingsRenderer>;

export type FindingsFormat = keyof typeof findingsRenderers;

/** Formats that list every finding, written out as found. */
export const findingsWriters: Partial<Record<FindingsFormat, FindingsWriter>> = { json: jsonWriter, sarif: sarifWriter };

export { checkResultJson, CHECK_JSON_SCHEMA } from './json.js';
export { checkResultSarif } from './sarif.js';
export type { FindingsRenderOptions, FindingsRenderer } from './common.js';
export type { FindingsWriter, FindingsHead, FindingsTail } from './stream.js';

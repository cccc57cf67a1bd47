/** Findings renderers in one map: `--format text|json|sarif` is a lookup, not a branch. */
import type { FindingsRenderer } from './common.js';
import { renderFindingsJson } from './json.js';
import { renderFindingsSarif } from './sarif.js';
import { renderFindingsText } from './text.js';

export const findingsRenderers = {
  text: renderFindingsText,
  json: renderFindingsJson,
  sarif: renderFindingsSarif,
} as const satisfies Record<string, FindingsRenderer>;

export type FindingsFormat = keyof typeof findingsRenderers;
export { checkResultJson, CHECK_JSON_SCHEMA } from './json.js';
export { checkResultSarif } from './sarif.js';
export type { FindingsRenderOptions, FindingsRenderer } from './common.js';

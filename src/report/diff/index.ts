/** The diff: runner, data model and the renderers map (text | json | html). */
import type { Paint } from '../paint.js';
import { renderDiffHtml } from '../html/diff.js';
import type { Diff } from './model.js';
import { renderDiffText } from './text.js';

export { diffTraces, diffEvents, type DiffInput, type RunDiffOptions } from './run.js';
export { buildDiff, compareLatency, DEFAULT_DIFF_OPTIONS, type DiffOptions, type DiffSideInput } from './build.js';
export { renderDiffText, verdictLine, type DiffTextOptions } from './text.js';
export { renderDiffHtml, type DiffHtmlOptions } from '../html/diff.js';
export * from './model.js';

export type DiffFormat = 'text' | 'json' | 'html';

export interface DiffRenderOptions {
  width?: number;
  paint?: Paint;
  version?: string;
}

/** Diff renderers by --format name: plain functions from the diff to text. */
export const diffRenderers: Record<DiffFormat, (d: Diff, o: DiffRenderOptions) => string> = {
  text: (d, o) => renderDiffText(d, { ...(o.width !== undefined ? { width: o.width } : {}), ...(o.paint ? { paint: o.paint } : {}) }),
  json: (d) => `${JSON.stringify(d, null, 2)}\n`,
  html: (d, o) => renderDiffHtml(d, o.version ? { version: o.version } : {}),
};

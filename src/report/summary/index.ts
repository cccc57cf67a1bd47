/** The summary: aggregator, data model and the renderers map (text | json | html). */
import { renderSummaryHtml } from '../html/summary.js';
import type { Breakdown, Summary } from './model.js';
import { renderSummaryText } from './text.js';
import type { TimelineData } from '../timeline/collect.js';

export {
  createSummarizer,
  summarizeTrace,
  type Summarizer,
  type SummarizerOptions,
  type FinishOptions,
  type FindingsInput,
  type TraceFileInfo,
} from './summarizer.js';
export { renderSummaryText, type TextOptions } from './text.js';
export { renderSummaryHtml, type HtmlOptions } from '../html/summary.js';
export * from './model.js';

export type SummaryFormat = 'text' | 'json' | 'html';

export interface RenderOptions {
  /** Terminal width for text (default 100). */
  width?: number;
  /** Breakdown tables in text and HTML (default opcode and lun); JSON always has all. */
  by?: ReadonlySet<Breakdown>;
  version?: string;
  /** HTML: the timeline's data (TimelineCollector). */
  timeline?: TimelineData;
}

/** Summary renderers by --format name: plain functions from the summary to text. */
export const summaryRenderers: Record<SummaryFormat, (s: Summary, o: RenderOptions) => string> = {
  text: (s, o) => renderSummaryText(s, { ...(o.width !== undefined ? { width: o.width } : {}), ...(o.by ? { by: o.by } : {}) }),
  json: (s) => `${JSON.stringify(s, null, 2)}\n`,
  html: (s, o) =>
    renderSummaryHtml(s, { ...(o.by ? { by: o.by } : {}), ...(o.version ? { version: o.version } : {}), ...(o.timeline ? { timeline: o.timeline } : {}) }),
};

/** What every findings renderer gets besides the result. */
import type { CheckResult, Finding } from '../../checks/engine.js';
import type { Severity } from '../../checks/rule.js';
import type { Paint } from '../paint.js';
import { jsonInteger } from '../../model/json.js';
import { plural } from '../../model/units.js';

export interface FindingsRenderOptions {
  failOn: Severity;
  paint: Paint;
  /** Tool version for SARIF. */
  version: string;
  /** At most this many findings listed one by one (SARIF results, JSON findings). */
  maxResults?: number;
}

export type FindingsRenderer = (result: CheckResult, options: FindingsRenderOptions) => string;

/** A finding as the stable JSON object of `check --format json` (README.md documents it). */
export function findingJson(f: Finding): Record<string, unknown> {
  return {
    ruleId: f.ruleId,
    severity: f.severity,
    messageId: f.messageId,
    message: f.message,
    file: f.file ?? null,
    taskId: f.taskId === undefined ? null : jsonInteger(f.taskId),
    command: f.command ?? null,
    timeNs: f.timeNs,
    offset: f.offset,
    record: f.recordIndex,
    evidence: f.evidence,
  };
}

export function verdictWords(result: CheckResult, failOn: Severity, fails: boolean): string {
  const c = result.counts;
  const total = c.error + c.warning + c.info;
  const tally = `${plural(c.error, 'error')}, ${plural(c.warning, 'warning')}, ${c.info} info`;
  const incomplete = result.capture.complete ? '' : `; capture incomplete (${plural(result.capture.gaps, 'gap')})`;
  if (total === 0) return `PASS: no findings in ${plural(result.tasks, 'task')}${incomplete}`;
  return `${fails ? 'FAIL' : 'PASS'}: ${tally} in ${plural(result.tasks, 'task')} (fails on ${failOn}${failOn === 'error' ? '' : ' or worse'})${incomplete}`;
}

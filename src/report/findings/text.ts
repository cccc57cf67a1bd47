/** Findings as text: grouped by rule with severity, count and the first examples, then constraints and a verdict. */
import { failsAt, type CheckResult, type Finding } from '../../checks/engine.js';
import { constraintDef, formatSetting } from '../../checks/constraints.js';
import { findRule } from '../../checks/rules/index.js';
import type { Paint } from '../paint.js';
import { MAX_LUNS } from '../../checks/lun-facts.js';
import { captureJson, captureTextLines } from '../capture.js';
import { formatTimestamp } from '../time.js';
import { plural } from '../../model/units.js';
import { verdictWords, type FindingsRenderOptions } from './common.js';

function severityLabel(s: string, p: Paint): string {
  const label = s.toUpperCase().padEnd(7);
  return s === 'error' ? p.red(label) : s === 'warning' ? p.yellow(label) : p.dim(label);
}

function exampleLines(f: Finding, multiFile: boolean, p: Paint): string[] {
  const head = [multiFile && f.file ? f.file : undefined, formatTimestamp(f.timeNs), f.taskId !== undefined ? `task ${f.taskId}` : undefined, f.command]
    .filter((x) => x !== undefined)
    .join('  ');
  const where = `at byte 0x${f.offset.toString(16)} (record ${f.recordIndex})`;
  const evidence = Object.entries(f.evidence)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return [`  - ${head}`, `      ${f.message}`, `      ${p.dim(evidence ? `${where}; ${evidence}` : where)}`];
}

export function renderFindingsText(result: CheckResult, o: FindingsRenderOptions): string {
  const p = o.paint;
  const lines: string[] = [];
  const files = result.files.length ? `${result.files.join(', ')}: ` : '';
  lines.push(`${files}${plural(result.tasks, 'task')} checked by ${plural(result.rules.length, 'rule')}`);
  const multiFile = result.files.length > 1;
  for (const g of result.groups) {
    lines.push('');
    const rule = findRule(g.ruleId);
    lines.push(`${severityLabel(g.severity, p)} ${p.bold(g.ruleId)}${g.subject ? ` [${g.subject}]` : ''}  ×${g.count}`);
    if (rule) lines.push(`        ${rule.meta.description}`);
    for (const f of g.examples) lines.push(...exampleLines(f, multiFile, p));
    if (g.count > g.examples.length) lines.push(`  … and ${g.count - g.examples.length} more`);
  }
  lines.push('');
  lines.push(constraintsHeading(result));
  for (const e of result.constraints.entries) {
    const def = constraintDef(e.id);
    const file = e.origin ?? result.constraints.configFile;
    const source = e.source === 'config' ? `config${file ? ` (${file})` : ''}` : e.source;
    const over = e.overrides ? `; replaces ${formatSetting(def, e.overrides.value)} from the ${e.overrides.source}` : '';
    lines.push(`  ${e.key.padEnd(38)} ${formatSetting(def, e.value).padEnd(24)} ${source}${over}`);
  }
  const unknown = result.constraints.unknownTraceKeys;
  if (unknown.length)
    lines.push(
      `  (trace keys not used: ${unknown.join(', ')}${result.constraints.unknownTraceKeyCount > unknown.length ? ` and ${result.constraints.unknownTraceKeyCount - unknown.length} more` : ''})`,
    );
  for (const problem of result.constraints.traceProblems) lines.push(`  (${problem})`);
  for (const n of result.constraints.notes) lines.push(`  ${n.severity === 'contradiction' ? 'Contradiction' : 'Note'}: ${n.message}`);
  if (result.luns.length) {
    lines.push('Logical units:');
    for (const l of result.luns) {
      const parts: string[] = [];
      if (l.blockSize) parts.push(`block size ${l.blockSize} (${l.blockSizeSource})`);
      if (l.capacityBlocks) parts.push(`capacity ${l.capacityBlocks} blocks (${l.capacitySource})`);
      if (l.writeCache !== undefined) parts.push(`write cache ${l.writeCache ? 'on' : 'off'} (${l.writeCacheSource})`);
      if (l.writeCacheVolatile !== undefined) parts.push(`write cache ${l.writeCacheVolatile ? 'volatile' : 'non-volatile'} (${l.writeCacheVolatileSource})`);
      lines.push(`  ${multiFile && l.file ? `${l.file} ` : ''}${l.targetId}:${l.lun}  ${parts.join(', ')}`);
    }
  }
  if (result.untrackedLuns)
    lines.push(
      `  (${result.untrackedLuns} more logical unit${result.untrackedLuns === 1 ? '' : 's'} past the first ${MAX_LUNS} per trace: their facts were not tracked)`,
    );
  const capture = captureTextLines(captureJson(result.capture), multiFile);
  if (capture.length) lines.push('', p.yellow(capture[0]!), ...capture.slice(1));
  lines.push('');
  const fails = failsAt(result, o.failOn);
  const verdict = verdictWords(result, o.failOn, fails);
  lines.push(fails ? p.red(verdict) : p.green(verdict));
  return lines.join('\n') + '\n';
}

function constraintsHeading(result: CheckResult): string {
  const sources = new Set(result.constraints.entries.map((e) => e.source));
  const from = [sources.has('config') ? 'the config file' : '', sources.has('trace') ? "the trace's constraints record" : '', 'defaults']
    .filter(Boolean)
    .join(', ');
  return `Constraints used (from ${from}):`;
}

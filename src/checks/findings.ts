/**
 * Finding collection: what rules report, grouped per rule, severity and subject as it comes (a
 * count and the first examples), so memory stays bounded however many findings a trace has.
 * Only kept examples pay for message formatting and CDB decoding.
 */
import { jsonInteger } from '../model/json.js';
import { decodeCdb } from '../scsi/index.js';
import { formatMessage, SEVERITY_RANK, type EvidenceValue, type Report, type Rule, type Severity } from './rule.js';

export interface Finding {
  ruleId: string;
  severity: Severity;
  message: string;
  taskId?: bigint;
  recordIndex: number;
  offset: number;
  timeNs: number;
  evidence: Record<string, string | number | boolean>;
  file?: string;
  /** Decoded CDB of the task ("WRITE(10) LBA 4096 len 8"), when the finding is about one. */
  command?: string;
  /** Message id within the rule. */
  messageId: string;
  /** Finer grouping within the rule (the group's subject, e.g. the rejected command's name). */
  subject?: string;
}

export interface FindingGroup {
  ruleId: string;
  severity: Severity;
  count: number;
  examples: Finding[];
  /** Finer grouping within the rule (e.g. the rejected command's name). */
  subject?: string;
}

/** Groups beyond this many (distinct rule/severity/subject) fold into one "other" subject per rule. */
const MAX_GROUPS = 2000;

export class FindingCollector {
  private readonly groups = new Map<string, FindingGroup>();
  readonly counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  /** The trace file findings are reported in now. */
  file: string | undefined;

  /** Every finding in the order found, when kept (CheckOptions.keepFindings). */
  readonly kept: Finding[] | undefined;

  /**
   * @param maxExamples examples kept per group (Infinity keeps every finding in its group)
   * @param onFinding called with every finding as it is found, fully formatted (SARIF and JSON
   *   streaming write each one out instead of keeping it)
   * @param keep keep every finding in `kept`
   */
  constructor(
    private readonly maxExamples: number,
    private readonly onFinding?: (finding: Finding) => void,
    keep = false,
  ) {
    this.kept = keep ? [] : undefined;
  }

  report(rule: Rule, r: Report): void {
    const severity = r.severity ?? rule.meta.severity;
    this.counts[severity]++;
    const groups = this.groups;
    let key = `${rule.meta.id}\u0000${severity}\u0000${r.subject ?? ''}`;
    let group = groups.get(key);
    if (!group) {
      if (groups.size >= MAX_GROUPS) {
        key = `${rule.meta.id}\u0000${severity}\u0000(other)`;
        group = groups.get(key);
      }
      if (!group) {
        group = { ruleId: rule.meta.id, severity, count: 0, examples: [] };
        const subject = groups.size >= MAX_GROUPS ? '(other)' : r.subject;
        if (subject !== undefined) group.subject = subject;
        groups.set(key, group);
      }
    }
    group.count++;
    const example = group.examples.length < this.maxExamples;
    if (!example && !this.onFinding && !this.kept) return;
    // Only findings someone keeps or writes out pay for message formatting and CDB decoding.
    const template = rule.meta.messages[r.messageId];
    if (template === undefined) throw new Error(`rule ${rule.meta.id} reported unknown message id "${r.messageId}"`);
    const taskId = r.taskId ?? r.task?.taskId;
    const finding: Finding = {
      ruleId: rule.meta.id,
      severity,
      messageId: r.messageId,
      message: formatMessage(template, r.data),
      recordIndex: r.at.index,
      offset: r.at.offset,
      timeNs: r.at.timeNs,
      evidence: plainEvidence(r.evidence),
    };
    if (taskId !== undefined) finding.taskId = taskId;
    if (r.task) finding.command = decodeCdb(r.task.cdb).summary;
    if (this.file !== undefined) finding.file = this.file;
    if (r.subject !== undefined) finding.subject = r.subject;
    if (example) group.examples.push(finding);
    this.kept?.push(finding);
    this.onFinding?.(finding);
  }

  /** The groups, worst first, then by rule id, count and subject. */
  sorted(): FindingGroup[] {
    return [...this.groups.values()].sort(
      (a, b) =>
        SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
        a.ruleId.localeCompare(b.ruleId) ||
        b.count - a.count ||
        (a.subject ?? '').localeCompare(b.subject ?? ''),
    );
  }
}

function plainEvidence(e: Record<string, EvidenceValue> | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  if (!e) return out;
  for (const [k, v] of Object.entries(e)) out[k] = typeof v === 'bigint' ? jsonInteger(v) : v;
  return out;
}

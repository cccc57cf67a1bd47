/**
 * The factory behind the per-task limit rules: a submission measured against one of the HBA's
 * limits (IOMaximumSegmentCountRead/Write, IOMaximumSegmentByteCountRead/Write,
 * IOMaximumByteCountRead/Write and IOMaximumBlockCountRead/Write, IOMinimumSegmentAlignmentByteCount,
 * IOMaximumSegmentAddressableBitCount). Each such rule says only what it measures and how it
 * words the excess; the factory makes the rule (category dma, severity error, one finding per
 * task at most, reported at the task itself).
 */
import type { TaskSubmitted } from '../model/events.js';
import { defineRule, type Report, type Rule, type RuleMeta, type SubmittedTask } from './rule.js';
import type { CheckState, SegmentScan, TaskFacts } from './state.js';

/** What a limit rule found in one task: its report, less where (the task) it is. */
export type LimitExcess<M extends string> = Omit<Report<M>, 'at' | 'task'>;

export interface LimitRuleSpec<M extends string> {
  /** Equal to the rule's file name. */
  id: string;
  description: string;
  messages: Record<M, string>;
  /** The rule reads the segment scan; tasks without segments are not measured. */
  usesSegments?: boolean;
  /** The task's excess over the limit, or undefined when it is within it. */
  measure(s: TaskSubmitted, facts: TaskFacts, scan: SegmentScan | undefined, state: CheckState): LimitExcess<M> | undefined;
}

export function defineLimitRule<M extends string>(spec: LimitRuleSpec<M>): Rule {
  const meta: RuleMeta<M> = {
    id: spec.id,
    category: 'dma',
    severity: 'error',
    description: spec.description,
    messages: spec.messages,
    ...(spec.usesSegments ? { usesSegments: true } : {}),
  };
  const segments = spec.usesSegments === true;
  return defineRule<M>({
    meta,
    create({ state, report }) {
      return {
        submit(s: SubmittedTask, f, scan) {
          if (segments && !scan) return;
          const excess = spec.measure(s, f, scan, state);
          if (excess) report({ ...excess, at: s, task: s });
        },
      };
    },
  });
}

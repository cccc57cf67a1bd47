/**
 * Power-state transitions slower than the limits (docs/rules/slow-power-transition.md says
 * where the kernel's limits come from). An issued/completed pair is timed by its timestamps;
 * an instant event by its own duration (src/analysis/hba-operations.ts).
 */
import { gapText } from '../../analysis/gaps.js';
import { durationsDisagree, HbaOperationPairer } from '../../analysis/hba-operations.js';
import { GapAffects, HbaEventKind, type EventOrigin } from '../../model/events.js';
import { durationText } from '../helpers.js';
import { defineRule, type EvidenceValue } from '../rule.js';

export default defineRule({
  meta: {
    id: 'slow-power-transition',
    category: 'power',
    severity: 'warning',
    description: 'A power-state transition slower than the limits (powerTransitionWarnMs, powerTransitionErrorMs)',
    messages: {
      slow: 'power-state transition {from} → {to} took {duration}, over the {limitSeconds} s {level} limit{recorded}',
      unfinished: 'power-state transition {from} → {to} started {duration} before the end of the trace and never finished',
      unfinishedAfterGap:
        'power-state transition {from} → {to} started {duration} before the end of the trace; its completion was not captured (a {gap} may hold it)',
    },
  },
  create({ state, report }) {
    const pairer = new HbaOperationPairer();
    const judge = (
      at: EventOrigin,
      durationNs: number,
      from: bigint,
      to: bigint,
      messageId: 'slow' | 'unfinished',
      extra: { recorded?: string; evidence?: Record<string, EvidenceValue> } = {},
    ): void => {
      const { powerTransitionWarnMs: warnMs, powerTransitionErrorMs: errorMs } = state.limits;
      const durationMs = durationNs / 1e6;
      if (durationMs <= warnMs) return;
      const level = durationMs > errorMs ? 'error' : 'warning';
      report({
        messageId,
        severity: level,
        data: {
          from,
          to,
          duration: durationText(durationNs),
          limitSeconds: (level === 'error' ? errorMs : warnMs) / 1000,
          level,
          recorded: extra.recorded ?? '',
        },
        at,
        evidence: { fromState: from, toState: to, durationNs, warnMs, errorMs, ...extra.evidence },
      });
    };
    return {
      hba(e) {
        if (e.hbaKind !== HbaEventKind.PowerStateChange) return;
        const op = pairer.push(e);
        if (!op) return;
        const disagree = durationsDisagree(op);
        judge(e, op.durationNs, e.arg0, e.arg1, 'slow', {
          ...(disagree
            ? { recorded: ` (timed from its issued and completed events; the completed event's own duration field says ${durationText(op.recordedNs)})` }
            : {}),
          evidence: { durationFrom: op.source, ...(disagree ? { recordedDurationNs: op.recordedNs } : {}) },
        });
      },
      end(_left, at) {
        for (const started of pairer.drain()) {
          const ageNs = at.timeNs - started.timeNs;
          // The completed event travels like any other record: a gap since the start may hold it.
          const gap = state.gaps.lostSince(started.timeNs, GapAffects.All);
          if (gap) {
            if (ageNs / 1e6 <= state.limits.powerTransitionWarnMs) continue;
            report({
              messageId: 'unfinishedAfterGap',
              severity: 'info',
              data: { from: started.arg0, to: started.arg1, duration: durationText(ageNs), gap: gapText(gap) },
              at: started,
              evidence: { fromState: started.arg0, toState: started.arg1, ageNs, captureGapNs: gap.timeNs },
            });
            continue;
          }
          judge(started, ageNs, started.arg0, started.arg1, 'unfinished');
        }
      },
    };
  },
});

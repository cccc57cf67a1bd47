/**
 * Power-state transitions slower than the limits: the kernel's power management watchdog
 * panics the machine when a driver takes too long (about 21 s on macOS) to change state.
 */
import { HbaEventKind, HbaEventPhase, type HbaEvent } from '../../model/events.js';
import { defineRule } from '../rule.js';
import { durationText } from '../helpers.js';

export default defineRule({
  meta: {
    id: 'slow-power-transition',
    category: 'power',
    severity: 'warning',
    description: 'A power-state transition slower than the limit (default warning 10 s, error 21 s)',
    messages: {
      slow: 'power-state transition {from} → {to} took {duration}, over the {limitSeconds} s {level} limit',
      unfinished: 'power-state transition {from} → {to} started {duration} before the end of the trace and never finished',
    },
  },
  create({ state, report }) {
    let started: HbaEvent | undefined;
    const judge = (e: HbaEvent, durationNs: number, from: bigint, to: bigint, messageId: 'slow' | 'unfinished'): void => {
      const { powerTransitionWarnMs: warnMs, powerTransitionErrorMs: errorMs } = state.limits;
      const durationMs = durationNs / 1e6;
      if (durationMs <= warnMs) return;
      const level = durationMs > errorMs ? 'error' : 'warning';
      report({
        messageId,
        severity: level,
        data: { from, to, duration: durationText(durationNs), limitSeconds: (level === 'error' ? errorMs : warnMs) / 1000, level },
        at: e,
        evidence: { fromState: from, toState: to, durationNs, warnMs, errorMs },
      });
    };
    return {
      hba(e) {
        if (e.hbaKind !== HbaEventKind.PowerStateChange) return;
        if (e.phase === HbaEventPhase.Issued) {
          started = e;
          return;
        }
        const duration = e.durationNs || (started ? e.timeNs - started.timeNs : 0);
        started = undefined;
        judge(e, duration, e.arg0, e.arg1, 'slow');
      },
      end(_left, at) {
        if (started) judge(started, at.timeNs - started.timeNs, started.arg0, started.arg1, 'unfinished');
        started = undefined;
      },
    };
  },
});

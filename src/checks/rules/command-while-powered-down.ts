/**
 * Commands issued while the HBA is powered down (power state 0) or still coming out of it:
 * the controller cannot run them, and a driver that accepts them hangs or loses them. When a
 * capture gap since the power-down could hold the power-up event, the state is not known.
 */
import { gapText } from '../../analysis/gaps.js';
import { GapAffects, HbaEventKind, HbaEventPhase } from '../../model/events.js';
import { durationText } from '../helpers.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'command-while-powered-down',
    category: 'power',
    severity: 'error',
    description: 'Commands issued while the HBA was powered down (power state 0) or still powering up',
    messages: {
      down: 'submitted while the HBA was in power state 0 (for {since})',
      poweringUp: 'submitted while the HBA was still powering up from state 0 (transition to {to} started {since} before)',
      stateNotCaptured: 'submitted after the HBA went to power state 0 (at {at} s), but a {gap} since then may hold its power-up',
    },
  },
  create({ state, report }) {
    let down = false;
    let poweringUp = false;
    let since = 0;
    let target = 0n;
    return {
      hba(e) {
        if (e.hbaKind !== HbaEventKind.PowerStateChange) return;
        if (e.phase === HbaEventPhase.Issued) {
          if (e.arg0 === 0n && e.arg1 !== 0n) {
            down = false;
            poweringUp = true;
            target = e.arg1;
            since = e.timeNs;
          }
          return;
        }
        poweringUp = false;
        down = e.arg1 === 0n;
        if (down) since = e.timeNs;
      },
      submit(s) {
        if (!down && !poweringUp) return;
        // How long the HBA has been down (or powering up) when the command came.
        const sec = durationText(s.timeNs - since);
        // The power-up is an HBA event: only a gap of every kind of record can hold it.
        const gap = state.gaps.lostSince(since, GapAffects.All);
        if (gap) {
          report({
            messageId: 'stateNotCaptured',
            severity: 'info',
            data: { at: +(since / 1e9).toFixed(6), gap: gapText(gap) },
            at: s,
            task: s,
            evidence: { powerState: 0, sinceNs: since, captureGapNs: gap.timeNs },
          });
          return;
        }
        if (down) report({ messageId: 'down', data: { since: sec }, at: s, task: s, evidence: { powerState: 0, sinceNs: since } });
        else
          report({ messageId: 'poweringUp', data: { to: target, since: sec }, at: s, task: s, evidence: { powerState: 0, toState: target, sinceNs: since } });
      },
    };
  },
});

/**
 * ESLint-style rule tester: valid cases must produce no findings; invalid cases must produce
 * exactly the listed findings (message id, and severity or evidence when given), in trace order.
 * An expected message id the rule does not define fails the test, as does a wrong count.
 */
import { describe, expect, it } from 'vitest';
import { checkEvents, type Finding } from '../../src/checks/engine.js';
import { constraintConfig } from '../../src/checks/constraints.js';
import type { Rule, Severity } from '../../src/checks/rule.js';
import type { TraceEvent } from '../../src/model/events.js';
import { buildTraceEvents, type TraceBuilder } from './trace.js';

export interface RuleCase {
  name: string;
  build: (b: TraceBuilder) => void;
  /** Constraints as a config file would give them. */
  constraints?: Record<string, unknown>;
}

export interface ExpectedFinding {
  messageId: string;
  severity?: Severity;
  /** Evidence fields that must match exactly (others are ignored). */
  evidence?: Record<string, string | number | boolean>;
  /** A substring the formatted message must contain. */
  message?: string;
}

export interface InvalidCase extends RuleCase {
  errors: ExpectedFinding[];
}

/** Runs one rule over built events and returns every finding in trace order. */
export function runRule(rule: Rule, events: TraceEvent[], constraints?: Record<string, unknown>): Finding[] {
  const result = checkEvents(events, {
    rules: [rule],
    maxExamples: 1000,
    ...(constraints ? { constraints: constraintConfig(constraints, 'test') } : {}),
  });
  const all = result.groups.flatMap((g) => g.examples);
  const total = result.groups.reduce((n, g) => n + g.count, 0);
  if (total !== all.length) throw new Error(`rule ${rule.meta.id}: ${total} findings but only ${all.length} kept`);
  return all.sort((a, b) => a.recordIndex - b.recordIndex || a.offset - b.offset);
}

/** Checks one valid case: throws when the rule finds anything. */
export function checkValidCase(rule: Rule, c: RuleCase): void {
  const found = runRule(rule, buildTraceEvents(c.build), c.constraints);
  expect(
    found.map((f) => `${f.messageId}: ${f.message}`),
    'findings on a valid case',
  ).toEqual([]);
}

/** Checks one invalid case: throws on an unknown message id, a wrong count, or a mismatch. */
export function checkInvalidCase(rule: Rule, c: InvalidCase): void {
  for (const e of c.errors) {
    if (!(e.messageId in rule.meta.messages)) throw new Error(`unknown message id "${e.messageId}" for rule ${rule.meta.id}`);
  }
  if (c.errors.length === 0) throw new Error(`invalid case "${c.name}" lists no findings`);
  const found = runRule(rule, buildTraceEvents(c.build), c.constraints);
  expect(
    found.map((f) => f.messageId),
    'message ids in trace order',
  ).toEqual(c.errors.map((e) => e.messageId));
  found.forEach((f, i) => {
    const e = c.errors[i]!;
    expect(f.ruleId).toBe(rule.meta.id);
    expect(f.message, 'every placeholder filled').not.toMatch(/\{\w+\}/);
    if (e.severity) expect(f.severity).toBe(e.severity);
    if (e.message) expect(f.message).toContain(e.message);
    if (e.evidence) expect(f.evidence).toMatchObject(e.evidence);
  });
}

export function testRule(rule: Rule, cases: { valid: RuleCase[]; invalid: InvalidCase[] }): void {
  describe(rule.meta.id, () => {
    it('has valid and invalid cases', () => {
      expect(cases.valid.length).toBeGreaterThan(0);
      expect(cases.invalid.length).toBeGreaterThan(0);
    });
    for (const c of cases.valid) it(`valid: ${c.name}`, () => checkValidCase(rule, c));
    for (const c of cases.invalid) it(`invalid: ${c.name}`, () => checkInvalidCase(rule, c));
  });
}

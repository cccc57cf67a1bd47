/** The rule tester must fail when a case is wrong, or every rule test could pass vacuously. */
import { describe, expect, it } from 'vitest';
import rule from '../../src/checks/rules/check-condition-without-sense.js';
import { checkInvalidCase, checkValidCase } from '../helpers/rule-tester.js';
import { CHECK_CONDITION, TUR } from './fixtures.js';

const bad = (b: Parameters<typeof checkValidCase>[1]['build'] extends (x: infer B) => void ? B : never) => {
  b.task({ cdb: TUR }, { status: CHECK_CONDITION });
  b.task({ cdb: TUR }, { status: CHECK_CONDITION });
};

describe('rule tester', () => {
  it('fails a valid case that has findings', () => {
    expect(() => checkValidCase(rule, { name: 'x', build: bad })).toThrow();
  });
  it('fails on an unknown message id', () => {
    expect(() => checkInvalidCase(rule, { name: 'x', build: bad, errors: [{ messageId: 'nope' }, { messageId: 'missing' }] })).toThrow(
      /unknown message id "nope"/,
    );
  });
  it('fails on a wrong finding count', () => {
    expect(() => checkInvalidCase(rule, { name: 'x', build: bad, errors: [{ messageId: 'missing' }] })).toThrow(/message ids/);
  });
  it('fails on a wrong severity or evidence', () => {
    expect(() => checkInvalidCase(rule, { name: 'x', build: bad, errors: [{ messageId: 'missing', severity: 'info' }, { messageId: 'missing' }] })).toThrow();
    expect(() =>
      checkInvalidCase(rule, { name: 'x', build: bad, errors: [{ messageId: 'missing', evidence: { senseLength: 3 } }, { messageId: 'missing' }] }),
    ).toThrow();
  });
  it('passes a correct case', () => {
    expect(() =>
      checkInvalidCase(rule, {
        name: 'x',
        build: bad,
        errors: [
          { messageId: 'missing', severity: 'error' },
          { messageId: 'missing', evidence: { senseLength: 0 } },
        ],
      }),
    ).not.toThrow();
  });
});

import { expect } from 'vitest';
import type { DecodedCdb } from '../../src/scsi/index.js';

/** Value of the named field; fails the test when the field is missing. */
export function fieldValue(d: DecodedCdb | { fields: DecodedCdb['fields'] }, name: string): unknown {
  const field = d.fields.find((f) => f.name === name);
  expect(field, `field ${name} in ${d.fields.map((f) => f.name).join(', ')}`).toBeDefined();
  return field!.value;
}

/** Text of the named field. */
export function fieldText(d: { fields: DecodedCdb['fields'] }, name: string): string | undefined {
  const field = d.fields.find((f) => f.name === name);
  expect(field, `field ${name}`).toBeDefined();
  return field!.text;
}

export function fieldNames(d: { fields: DecodedCdb['fields'] }): string[] {
  return d.fields.map((f) => f.name);
}

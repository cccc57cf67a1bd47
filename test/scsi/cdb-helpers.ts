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

/**
 * Asserts `json` (JSON.parse of JSON.stringify(value)) is `value` as README promises: every
 * member kept, a 64-bit bigint as a JSON number when exact and a decimal string beyond 2^53,
 * bytes as lower-case hex, undefined members left out.
 */
export function expectSameAsJson(value: unknown, json: unknown, path: string): void {
  if (typeof value === 'bigint') {
    expect(typeof json, path).toBe(value <= BigInt(Number.MAX_SAFE_INTEGER) ? 'number' : 'string');
    expect(BigInt(json as number | string), path).toBe(value);
  } else if (value instanceof Uint8Array) {
    expect(json, path).toBe(Buffer.from(value).toString('hex'));
  } else if (Array.isArray(value)) {
    expect(Array.isArray(json) && json.length, path).toBe(value.length);
    value.forEach((v, i) => expectSameAsJson(v, (json as unknown[])[i], `${path}[${i}]`));
  } else if (value !== null && typeof value === 'object') {
    const members = Object.entries(value).filter(([, v]) => v !== undefined);
    expect(Object.keys(json as object).sort(), path).toEqual(members.map(([k]) => k).sort());
    for (const [k, v] of members) expectSameAsJson(v, (json as Record<string, unknown>)[k], `${path}.${k}`);
  } else {
    expect(json, path).toBe(value);
  }
}

/**
 * 64-bit values and byte arrays as JSON. JSON.stringify throws on a bigint and spells a
 * Uint8Array as an object of indices; every JSON output of scsitrace writes them one way: a
 * bigint as a number when it is exact (up to 2^53 - 1), otherwise as a decimal string; bytes
 * as lower-case hex.
 */

/** A 64-bit value as a JSON number when exact, otherwise a decimal string. */
export function jsonInteger(v: bigint): number | string {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
}

/** A deep copy of `value` that JSON.stringify can write (bigints and bytes as above). */
export function jsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return jsonInteger(value);
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = jsonValue(v);
    return out;
  }
  return value;
}

/**
 * A prototype whose toJSON writes the object through jsonValue: results made from it (decoded
 * CDBs and sense data) go straight into JSON.stringify, as a library user would pass them.
 */
export const JSON_READY: object = Object.freeze({
  toJSON(this: object): unknown {
    return jsonValue({ ...this });
  },
});

/**
 * Byte readers: unsigned integers of 16, 32 and 64 bits, big-endian (SCSI CDBs and sense data,
 * SPC-6 3.5: "the most significant byte first"; network headers) and little-endian (the native
 * format, pcap, USB), read from a Uint8Array without a DataView. 64-bit values come back as
 * numbers, exact below 2^53 (callers that need every bit read two 32-bit halves).
 */

const TWO32 = 0x1_0000_0000;

export function u16be(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

export function u24be(b: Uint8Array, at: number): number {
  return (b[at]! << 16) | (b[at + 1]! << 8) | b[at + 2]!;
}

export function u32be(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** A big-endian u64 as a number: exact below 2^53. */
export function u64be(b: Uint8Array, at: number): number {
  return u32be(b, at) * TWO32 + u32be(b, at + 4);
}

export function u16le(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}

export function u32le(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** A little-endian u64 as a number: exact below 2^53. */
export function u64le(b: Uint8Array, at: number): number {
  return u32le(b, at) + u32le(b, at + 4) * TWO32;
}

/** A u64 from its two 32-bit halves, as a bigint. */
export function u64FromHalves(high: number, low: number): bigint {
  return high === 0 ? BigInt(low) : (BigInt(high) << 32n) | BigInt(low);
}

/** The high and low 32-bit halves of a u64 given as a bigint (taken modulo 2^64). */
export function highHalf(v: bigint): number {
  return Number((v >> 32n) & 0xffff_ffffn);
}
export function lowHalf(v: bigint): number {
  return Number(v & 0xffff_ffffn);
}

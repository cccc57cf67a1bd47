/**
 * SAM-6 4.7: the first level of an 8-byte LUN. Peripheral addressing (method 00b) with bus 0
 * gives byte 1; flat addressing (01b) gives 14 bits. Other methods keep the same 14 bits so
 * that distinct LUNs stay distinct.
 */
export function decodeLun(bytes: Uint8Array, at = 0): number {
  const b0 = bytes[at]!;
  const b1 = bytes[at + 1]!;
  const method = b0 >> 6;
  if (method === 0 && (b0 & 0x3f) === 0) return b1;
  return ((b0 & 0x3f) << 8) | b1;
}

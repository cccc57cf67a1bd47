/** Small hex helpers shared by the names, decoders and renderers. */

/** Two upper-case hex digits ("0A"). */
export function hexByte(n: number): string {
  return (n & 0xff).toString(16).toUpperCase().padStart(2, '0');
}

/** "0x" and at least `digits` upper-case hex digits ("0x2A", "0x1000"). */
export function hex(n: number | bigint, digits = 2): string {
  return `0x${n.toString(16).toUpperCase().padStart(digits, '0')}`;
}

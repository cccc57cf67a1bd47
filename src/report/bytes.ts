/**
 * Text written straight into a byte buffer, without building strings: each function writes at
 * position p and returns the position after what it wrote. Used for `decode` lines, where a
 * string per number (and then its UTF-8 encoding) cost more than the rest of decoding.
 */

/** "00" "01" ... "99" as ASCII byte pairs. */
const DIGIT_PAIRS = Uint8Array.from({ length: 200 }, (_, i) => 48 + (i & 1 ? (i >> 1) % 10 : ((i >> 1) / 10) | 0));

/** An integer in decimal, as String(n) writes it (any other number too, through String). */
export function putInt(b: Uint8Array, p: number, n: number): number {
  if (n >= 0 && n <= 0x7fff_ffff && (n | 0) === n) return putSmall(b, p, n);
  if (n > 0 && n <= Number.MAX_SAFE_INTEGER && Math.floor(n) === n) {
    // In two halves, each in 31-bit integer arithmetic.
    const high = Math.floor(n / 1e9);
    return putZeroPadded(b, putInt(b, p, high), n - high * 1e9, 9);
  }
  return putAscii(b, p, String(n));
}

function putSmall(b: Uint8Array, p: number, x: number): number {
  const end = p + (x < 1e5 ? (x < 10 ? 1 : x < 100 ? 2 : x < 1000 ? 3 : x < 1e4 ? 4 : 5) : x < 1e6 ? 6 : x < 1e7 ? 7 : x < 1e8 ? 8 : x < 1e9 ? 9 : 10);
  let q = end;
  while (x >= 100) {
    const d = (x / 100) | 0;
    const r = (x - d * 100) * 2;
    b[--q] = DIGIT_PAIRS[r + 1]!;
    b[--q] = DIGIT_PAIRS[r]!;
    x = d;
  }
  if (x >= 10) {
    b[--q] = DIGIT_PAIRS[x * 2 + 1]!;
    b[--q] = DIGIT_PAIRS[x * 2]!;
  } else {
    b[--q] = 48 + x;
  }
  return end;
}

/** n (0 <= n < 10^width, width <= 9) zero-padded to `width` digits. */
export function putZeroPadded(b: Uint8Array, p: number, n: number, width: number): number {
  const end = p + width;
  let q = end;
  let x = n | 0;
  let i = width;
  for (; i >= 2; i -= 2) {
    const d = (x / 100) | 0;
    const r = (x - d * 100) * 2;
    b[--q] = DIGIT_PAIRS[r + 1]!;
    b[--q] = DIGIT_PAIRS[r]!;
    x = d;
  }
  if (i) b[--q] = 48 + x;
  return end;
}

/** Bytes as they are (pre-encoded text). */
export function putBytes(b: Uint8Array, p: number, src: Uint8Array): number {
  const n = src.length;
  if (n > 32) {
    b.set(src, p);
  } else {
    // Short runs (names, status words) copy faster by hand than through TypedArray#set.
    for (let i = 0; i < n; i++) b[p + i] = src[i]!;
  }
  return p + n;
}

/** A string known to be ASCII. */
export function putAscii(b: Uint8Array, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
  return p;
}

/** Any string, as UTF-8. */
export function putText(b: Buffer, p: number, s: string): number {
  return p + b.write(s, p, 'utf8');
}

/**
 * Right-aligns the bytes [start, end) in a field of `width` characters, where `chars` is their
 * length in characters (UTF-16 units, as String#padStart counts); returns the new end.
 */
export function padStartAt(b: Uint8Array, start: number, end: number, width: number, chars: number): number {
  const pad = width - chars;
  if (pad <= 0) return end;
  for (let i = end - 1; i >= start; i--) b[i + pad] = b[i]!;
  for (let i = start; i < start + pad; i++) b[i] = 0x20;
  return end + pad;
}

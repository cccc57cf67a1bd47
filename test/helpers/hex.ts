/**
 * Annotated hex for small binary inputs in tests (Wireshark-style inline hex):
 *
 *   hex`28 00 | 00 00 10 00 | 00 | 00 08 | 00`   // op | LBA | group | len | control
 *
 * White space and `|` separators are ignored; digits pair up into bytes. `${n}` inserts a byte
 * (a number 0-255) or more hex text (a string). Anything else fails the test loudly.
 */
export function hex(strings: TemplateStringsArray, ...values: Array<number | string>): Uint8Array {
  let text = strings[0] ?? '';
  values.forEach((value, i) => {
    if (typeof value === 'number') {
      if (!Number.isInteger(value) || value < 0 || value > 255) throw new Error(`hex\`\`: ${value} is not a byte`);
      text += value.toString(16).padStart(2, '0');
    } else {
      text += value;
    }
    text += strings[i + 1] ?? '';
  });
  const digits = text.replace(/[\s|]+/g, '');
  if (!/^[0-9a-fA-F]*$/.test(digits)) throw new Error(`hex\`\`: not hex: ${JSON.stringify(text)}`);
  if (digits.length % 2 !== 0) throw new Error(`hex\`\`: odd number of digits in ${JSON.stringify(text)}`);
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(digits.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/**
 * A JSON reader for constraints files that keeps where every member sits (byte offset, line),
 * so a problem names its place, not just its key. RFC 8259 grammar; integers outside the safe
 * range stay exact as bigint (a 64-bit mask may be written as a plain number). Nesting is
 * capped: a constraints file is one flat object.
 */

export type JsonValue = string | number | bigint | boolean | null | JsonValue[] | JsonObject;

export interface JsonMember {
  key: string;
  value: JsonValue;
  /** Byte offset of the key's opening quote. */
  offset: number;
  /** 1-based line of the key. */
  line: number;
}

/** An object keeps its members in file order, duplicates included (JSON.parse would drop all but the last). */
export class JsonObject {
  constructor(readonly members: JsonMember[]) {}
}

export class JsonSyntaxError extends Error {
  constructor(
    readonly offset: number,
    readonly line: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** Deeper than this is not a constraints file. */
export const MAX_JSON_DEPTH = 64;

/** Parses `text` (already decoded); offsets are UTF-8 byte offsets into the original bytes. */
export function parseJson(text: string): JsonValue {
  return new Reader(text).document();
}

class Reader {
  private i = 0;
  private line = 1;
  /** Byte offset of `i`, kept in step (only non-ASCII characters differ from `i`). */
  private byte = 0;

  constructor(private readonly s: string) {}

  document(): JsonValue {
    if (this.s.charCodeAt(0) === 0xfeff) this.advance(1);
    this.ws();
    const v = this.value(0);
    this.ws();
    if (this.i < this.s.length) this.fail(`unexpected ${this.describeHere()} after the end of the JSON value`);
    return v;
  }

  private value(depth: number): JsonValue {
    if (depth > MAX_JSON_DEPTH) this.fail(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    const c = this.s[this.i];
    switch (c) {
      case '{':
        return this.object(depth);
      case '[':
        return this.array(depth);
      case '"':
        return this.string();
      case 't':
        return this.word('true', true);
      case 'f':
        return this.word('false', false);
      case 'n':
        return this.word('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
        return this.fail(c === undefined ? 'unexpected end of file: a value is missing' : `expected a value, found ${this.describeHere()}`);
    }
  }

  private object(depth: number): JsonObject {
    this.advance(1);
    const members: JsonMember[] = [];
    this.ws();
    if (this.s[this.i] === '}') {
      this.advance(1);
      return new JsonObject(members);
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"')
        this.fail(this.i >= this.s.length ? 'unexpected end of file inside an object' : `expected a key in double quotes, found ${this.describeHere()}`);
      const offset = this.byte;
      const line = this.line;
      const key = this.string();
      this.ws();
      if (this.s[this.i] !== ':') this.fail(`expected ':' after a key, found ${this.describeHere()}`);
      this.advance(1);
      this.ws();
      members.push({ key, value: this.value(depth + 1), offset, line });
      this.ws();
      const c = this.s[this.i];
      if (c === ',') {
        this.advance(1);
        continue;
      }
      if (c === '}') {
        this.advance(1);
        return new JsonObject(members);
      }
      this.fail(c === undefined ? 'unexpected end of file inside an object' : `expected ',' or '}' after a value, found ${this.describeHere()}`);
    }
  }

  private array(depth: number): JsonValue[] {
    this.advance(1);
    const items: JsonValue[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.advance(1);
      return items;
    }
    for (;;) {
      this.ws();
      items.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.i];
      if (c === ',') {
        this.advance(1);
        continue;
      }
      if (c === ']') {
        this.advance(1);
        return items;
      }
      this.fail(c === undefined ? 'unexpected end of file inside a list' : `expected ',' or ']' after a value, found ${this.describeHere()}`);
    }
  }

  private string(): string {
    const startByte = this.byte;
    const startLine = this.line;
    this.advance(1);
    let out = '';
    let run = this.i;
    for (;;) {
      const code = this.s.charCodeAt(this.i);
      if (Number.isNaN(code)) throw new JsonSyntaxError(startByte, startLine, 'unexpected end of file inside a string');
      if (code === 0x22) {
        out += this.s.slice(run, this.i);
        this.advance(1);
        return out;
      }
      if (code < 0x20)
        this.fail(
          code === 0x0a
            ? 'a string runs past the end of its line (missing closing quote?)'
            : `control character 0x${code.toString(16).padStart(2, '0')} inside a string`,
        );
      if (code === 0x5c) {
        out += this.s.slice(run, this.i);
        this.advance(1);
        const e = this.s[this.i];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          this.advance(1);
        } else if (e === 'u') {
          const hex = this.s.slice(this.i + 1, this.i + 5);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('\\u must be followed by four hex digits');
          out += String.fromCharCode(parseInt(hex, 16));
          this.advance(5);
        } else {
          this.fail(`unknown escape \\${e === undefined ? '' : e}`);
        }
        run = this.i;
        continue;
      }
      this.advance(1);
    }
  }

  private number(): number | bigint {
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.s.slice(this.i, this.i + 400));
    if (!m) return this.fail(`malformed number at ${this.describeHere()}`);
    const text = m[0];
    if (text.length >= 400) this.fail('number longer than 400 characters');
    this.advance(text.length);
    if (m[1] === undefined && m[2] === undefined) {
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : BigInt(text);
    }
    return Number(text);
  }

  private word<T>(word: string, value: T): T {
    if (this.s.startsWith(word, this.i)) {
      this.advance(word.length);
      return value;
    }
    return this.fail(`expected a value, found ${this.describeHere()}`);
  }

  private ws(): void {
    for (;;) {
      const c = this.s[this.i];
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') this.advance(1);
      else return;
    }
  }

  /** Moves `n` UTF-16 units on, keeping the byte offset and line in step. */
  private advance(n: number): void {
    for (let k = 0; k < n && this.i < this.s.length; k++) {
      const code = this.s.charCodeAt(this.i);
      if (code === 0x0a) this.line++;
      if (code < 0x80) this.byte += 1;
      else if (code < 0x800) this.byte += 2;
      else if (code >= 0xd800 && code <= 0xdbff) this.byte += 4;
      else if (code >= 0xdc00 && code <= 0xdfff) this.byte += 0;
      else this.byte += 3;
      this.i++;
    }
  }

  /** A few characters at the cursor, quoted and escaped, never long. */
  private describeHere(): string {
    if (this.i >= this.s.length) return 'the end of the file';
    return JSON.stringify(this.s.slice(this.i, this.i + 12)) + (this.s.length - this.i > 12 ? '…' : '');
  }

  private fail(detail: string): never {
    throw new JsonSyntaxError(this.byte, this.line, detail);
  }
}

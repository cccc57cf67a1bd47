/**
 * `ioreg -l` text (IOKitTools ioreg.c, show()/showitem()/cfshow()):
 *
 *   +-o MegaRAIDSAS  <class IOUserSCSIParallelInterfaceController, id 0x1000008a1, registered, matched, active, busy 0 (12 ms), retain 11>
 *     {
 *       "IOMaximumSegmentCountRead" = 129
 *       "IOUserClasses" = ("MegaRAIDSAS","IOUserSCSIParallelInterfaceController","IOService","OSObject")
 *     }
 *
 *     +-o IOSCSIParallelInterfaceDevice@0  <class IOSCSIParallelInterfaceDevice, ...>
 *
 * An object line is `+-o ` after two columns per level of depth ("| " or "  "); its
 * properties follow, two columns deeper, between `{` and `}`, one per line, as `"key" = value`.
 * Values: "string" (printed without escaping), unsigned decimal or 0x hex (-x) numbers,
 * Yes/No, <hex bytes> or <"ascii"> data, {k=v,...} dictionaries, (a,b) arrays, [a,b] sets.
 * On a terminal, ioreg clips lines at the window width and ends them with '$'; such a value is
 * marked clipped rather than misread.
 */
import { MAX_REGISTRY_DEPTH, RegistryFormatError, byteAt, type RegistryDict, type RegistryObject, type RegistryValue } from './registry.js';

/** Does this text look like `ioreg` text output (an object line near the start)? */
export function looksLikeIoregText(text: string): boolean {
  const head = text.slice(0, 64 * 1024);
  return /^(?:[| ] )*\+-o \S/m.test(head);
}

const NODE = /^((?:[| ] )*)\+-o (.*)$/;
const MAX_VALUE_DEPTH = 64;

export function registryFromText(text: string): RegistryObject[] {
  const roots: RegistryObject[] = [];
  /** The open object at each depth. */
  const path: RegistryObject[] = [];
  let current: RegistryObject | undefined;
  let lineNo = 0;
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl === -1 ? text.length : nl;
    let line = text.slice(pos, end);
    const lineStart = pos;
    pos = end + 1;
    lineNo++;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const node = NODE.exec(line);
    if (node) {
      const depth = node[1]!.length / 2;
      if (depth > MAX_REGISTRY_DEPTH) throw new RegistryFormatError(byteAt(text, lineStart), lineNo, `objects nested deeper than ${MAX_REGISTRY_DEPTH} levels`);
      const o = objectLine(node[2]!, lineNo);
      // Attach to the nearest open object above this depth (a pasted excerpt may skip levels).
      path.length = Math.min(path.length, depth);
      const parent = path[path.length - 1];
      if (parent) {
        o.parent = parent;
        parent.children.push(o);
      } else roots.push(o);
      path.push(o);
      current = o;
      continue;
    }
    const body = line.replace(/^(?:[| ] )*/, '').trimStart();
    if (!body.startsWith('"')) continue; // braces, blank and '|' lines, -f hex dumps
    if (!current) throw new RegistryFormatError(byteAt(text, lineStart), lineNo, 'a property line before any object line ("+-o ...")');
    const eq = body.indexOf('" = ', 1);
    if (eq === -1) {
      // A key clipped at the terminal width before its value: nothing to read.
      if (body.endsWith('$')) continue;
      throw new RegistryFormatError(byteAt(text, lineStart), lineNo, `property line without ' = ': ${JSON.stringify(body.slice(0, 40))}`);
    }
    const key = body.slice(1, eq);
    const raw = body.slice(eq + 4);
    const value = topValue(raw);
    if (value === undefined) {
      (current.clipped ??= new Set()).add(key);
      continue;
    }
    current.properties.set(key, value);
  }
  if (!roots.length) throw new RegistryFormatError(0, 1, 'no ioreg object lines ("+-o ...") in the file');
  return roots;
}

/** `name@location  <class X, id 0x..., registered, matched, active, busy 0 (0 ms), retain 8>` */
function objectLine(rest: string, line: number): RegistryObject {
  const o: RegistryObject = { name: '', className: '', properties: new Map(), children: [], line };
  const cls = rest.lastIndexOf('  <class ');
  let namePart = cls === -1 ? rest.replace(/\$$/, '') : rest.slice(0, cls);
  if (cls !== -1) {
    const inner = rest
      .slice(cls + 9)
      .replace(/\$$/, '')
      .replace(/>$/, '');
    const [classText, ...fields] = inner.split(', ');
    // With -i the class is the inheritance chain "OSObject:IORegistryEntry:...:Leaf".
    const chain = (classText ?? '').split(':').filter(Boolean);
    o.className = chain[chain.length - 1] ?? '';
    if (chain.length > 1) o.inheritance = chain;
    for (const f of fields) {
      const id = /^id (0x[0-9a-fA-F]{1,16})$/.exec(f);
      if (id) o.id = BigInt(id[1]!);
    }
  }
  const at = namePart.lastIndexOf('@');
  if (at > 0 && /^[0-9A-Za-z,._:-]+$/.test(namePart.slice(at + 1))) {
    o.location = namePart.slice(at + 1);
    namePart = namePart.slice(0, at);
  }
  o.name = namePart;
  return o;
}

/**
 * A property's value as ioreg printed it; undefined when the line was clipped ('$') and the
 * value cannot be read whole. Top-level strings run to the line's last quote, since ioreg does
 * not escape quotes inside strings.
 */
function topValue(raw: string): RegistryValue | undefined {
  if (raw.startsWith('"') && raw.length >= 2 && raw.endsWith('"')) return raw.slice(1, -1);
  const r = new ValueReader(raw);
  try {
    const v = r.value(0);
    if (r.i !== raw.length) return raw.endsWith('$') ? undefined : raw;
    return v;
  } catch {
    // Unreadable (clipped, or a form we do not model): keep the text unless it was clipped.
    return raw.endsWith('$') ? undefined : raw;
  }
}

class ValueReader {
  i = 0;
  constructor(private readonly s: string) {}

  value(depth: number): RegistryValue {
    if (depth > MAX_VALUE_DEPTH) throw new Error('too deep');
    const c = this.s[this.i];
    if (c === '"') return this.string();
    if (c === '{') return this.dict(depth);
    if (c === '(') return this.list(')', depth);
    if (c === '[') return this.list(']', depth);
    if (c === '<') return this.data();
    const m = /^(?:0x[0-9a-fA-F]+|\d+|Yes|No)/.exec(this.s.slice(this.i, this.i + 40));
    if (!m) throw new Error('unknown value');
    this.i += m[0].length;
    if (m[0] === 'Yes') return true;
    if (m[0] === 'No') return false;
    return BigInt(m[0]);
  }

  /** A string ends at the quote followed by a delimiter (ioreg does not escape quotes). */
  private string(): string {
    let j = this.i + 1;
    for (;;) {
      const q = this.s.indexOf('"', j);
      if (q === -1) throw new Error('unterminated string');
      const next = this.s[q + 1];
      if (next === undefined || next === ',' || next === '=' || next === '}' || next === ')' || next === ']') {
        const v = this.s.slice(this.i + 1, q);
        this.i = q + 1;
        return v;
      }
      j = q + 1;
    }
  }

  private dict(depth: number): RegistryDict {
    this.i++;
    const d: RegistryDict = new Map();
    if (this.s[this.i] === '}') {
      this.i++;
      return d;
    }
    for (;;) {
      const k = this.value(depth + 1);
      if (typeof k === 'object') throw new Error('expected a key');
      if (this.s[this.i] !== '=') throw new Error('expected =');
      this.i++;
      d.set(typeof k === 'string' ? k : String(k), this.value(depth + 1));
      const c = this.s[this.i++];
      if (c === '}') return d;
      if (c !== ',') throw new Error('expected , or }');
    }
  }

  private list(close: string, depth: number): RegistryValue[] {
    this.i++;
    const out: RegistryValue[] = [];
    if (this.s[this.i] === close) {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      const c = this.s[this.i++];
      if (c === close) return out;
      if (c !== ',') throw new Error('expected , or ' + close);
    }
  }

  /** <0a1b...> or <"text","text">: kept as ioreg's text. */
  private data(): string {
    const end = this.s.indexOf('>', this.i);
    if (end === -1) throw new Error('unterminated data');
    const v = this.s.slice(this.i, end + 1);
    this.i = end + 1;
    return v;
  }
}

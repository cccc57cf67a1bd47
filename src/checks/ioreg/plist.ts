/**
 * `ioreg -a` output: an XML property list (Apple's PropertyList-1.0 DTD) written by
 * CFPropertyListWrite. With `-r`, the top level is an array with one dictionary per matching
 * object; without it, the registry root's dictionary. Each object dictionary holds its
 * properties plus the keys ioreg adds (IOKitTools ioreg.c, archive()): IORegistryEntryName,
 * IORegistryEntryLocation, IORegistryEntryID, IOObjectClass, IOObjectInheritance (-i),
 * IOObjectRetainCount, IOServiceState, IOServiceBusyState, IOServiceBusyTime, and
 * IORegistryEntryChildren — an array of child dictionaries, or (with -t, for the ancestors of
 * a match) a single dictionary.
 *
 * The parser is iterative (no recursion on input depth) and bounded: nesting, integer and
 * text sizes are capped; every error names the byte offset and line.
 */
import { LineIndex, MAX_REGISTRY_DEPTH, RegistryFormatError, byteAt, lineAt, type RegistryDict, type RegistryObject, type RegistryValue } from './registry.js';

/** Keys ioreg adds to each object's dictionary: not properties of the object. */
const IOREG_KEYS = new Set([
  'IORegistryEntryChildren',
  'IORegistryEntryName',
  'IORegistryEntryLocation',
  'IORegistryEntryID',
  'IOObjectClass',
  'IOObjectInheritance',
  'IOObjectRetainCount',
  'IOServiceState',
  'IOServiceBusyState',
  'IOServiceBusyTime',
]);

const MAX_NESTING = MAX_REGISTRY_DEPTH * 2 + 8;
const MAX_SCALAR_CHARS = 16 * 1024 * 1024;

interface Frame {
  kind: 'plist' | 'dict' | 'array';
  dict?: RegistryDict;
  array?: RegistryValue[];
  key?: string;
  root?: RegistryValue;
  /** Character index of the opening tag. */
  at: number;
}

export interface ParsedPlist {
  root: RegistryValue;
  /** Where each dictionary starts (character index), for messages about objects. */
  dictAt: WeakMap<RegistryDict, number>;
}

/** Parses an XML property list. */
export function parsePlist(text: string): ParsedPlist {
  const dictAt = new WeakMap<RegistryDict, number>();
  const fail = (at: number, detail: string): never => {
    throw new RegistryFormatError(byteAt(text, at), lineAt(text, at), detail);
  };
  const stack: Frame[] = [];
  let root: RegistryValue | undefined;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  const emit = (value: RegistryValue, at: number): void => {
    const top = stack[stack.length - 1];
    if (!top) {
      if (root !== undefined) fail(at, 'a second top-level value after the property list');
      root = value;
      return;
    }
    if (top.kind === 'dict') {
      if (top.key === undefined) fail(at, 'a value inside <dict> without a <key> before it');
      top.dict!.set(top.key!, value);
      top.key = undefined;
    } else if (top.kind === 'array') {
      top.array!.push(value);
    } else {
      if (top.root !== undefined) fail(at, '<plist> holds more than one value');
      top.root = value;
    }
  };

  /** Text up to `</name>`, with entities decoded. */
  const textUntil = (name: string, from: number): { value: string; end: number } => {
    const close = `</${name}>`;
    const end = text.indexOf(close, from);
    if (end === -1) fail(from, `<${name}> is never closed`);
    if (end - from > MAX_SCALAR_CHARS) fail(from, `<${name}> longer than ${MAX_SCALAR_CHARS} characters`);
    return { value: decodeText(text.slice(from, end), from, fail), end: end + close.length };
  };

  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const stop = lt === -1 ? text.length : lt;
    for (let k = i; k < stop; k++) {
      const c = text.charCodeAt(k);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) fail(k, `text ${JSON.stringify(text.slice(k, k + 12))} outside any element`);
    }
    if (lt === -1) break;
    i = lt;
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i);
      if (end === -1) fail(i, 'unterminated <? ... ?>');
      i = end + 2;
      continue;
    }
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i);
      if (end === -1) fail(i, 'unterminated comment');
      i = end + 3;
      continue;
    }
    if (text.startsWith('<!', i)) {
      const end = text.indexOf('>', i);
      if (end === -1) fail(i, 'unterminated <!...>');
      i = end + 1;
      continue;
    }
    const gt = text.indexOf('>', i);
    if (gt === -1) fail(i, 'unterminated tag');
    const raw = text.slice(i + 1, gt);
    const at = i;
    i = gt + 1;
    if (raw.startsWith('/')) {
      const name = raw.slice(1).trim();
      const top = stack[stack.length - 1];
      if (!top || top.kind !== name) fail(at, `</${name.slice(0, 20)}> does not close ${top ? `<${top.kind}>` : 'anything'}`);
      stack.pop();
      if (top!.kind === 'dict') {
        if (top!.key !== undefined) fail(at, `<key>${top!.key.slice(0, 40)}</key> has no value`);
        emit(top!.dict!, top!.at);
      } else if (top!.kind === 'array') {
        emit(top!.array!, top!.at);
      } else {
        if (top!.root === undefined) fail(at, '<plist> is empty');
        emit(top!.root!, top!.at);
      }
      continue;
    }
    const selfClosing = raw.endsWith('/');
    const name = /^[A-Za-z]+/.exec(raw)?.[0] ?? '';
    if (stack.length >= MAX_NESTING) fail(at, `nested deeper than ${MAX_NESTING} levels`);
    switch (name) {
      case 'plist':
        if (selfClosing) fail(at, '<plist/> is empty');
        stack.push({ kind: 'plist', at });
        break;
      case 'dict': {
        const dict: RegistryDict = new Map();
        dictAt.set(dict, at);
        if (selfClosing) emit(dict, at);
        else stack.push({ kind: 'dict', dict, at });
        break;
      }
      case 'array':
        if (selfClosing) emit([], at);
        else stack.push({ kind: 'array', array: [], at });
        break;
      case 'key': {
        const top = stack[stack.length - 1];
        if (!top || top.kind !== 'dict') fail(at, '<key> outside a <dict>');
        if (top!.key !== undefined) fail(at, `<key>${top!.key.slice(0, 40)}</key> has no value`);
        if (selfClosing) top!.key = '';
        else {
          const t = textUntil('key', i);
          top!.key = t.value;
          i = t.end;
        }
        break;
      }
      case 'true':
      case 'false':
        if (!selfClosing) {
          const end = text.indexOf(`</${name}>`, i);
          if (end === -1 || text.slice(i, end).trim() !== '') fail(at, `<${name}> must be empty`);
          i = end + name.length + 3;
        }
        emit(name === 'true', at);
        break;
      case 'string':
      case 'integer':
      case 'real':
      case 'data':
      case 'date': {
        let body = '';
        if (!selfClosing) {
          const t = textUntil(name, i);
          body = t.value;
          i = t.end;
        }
        emit(scalar(name, body, at, fail), at);
        break;
      }
      default:
        fail(at, `unknown element <${raw.slice(0, 20)}>`);
    }
  }
  if (stack.length) fail(stack[stack.length - 1]!.at, `<${stack[stack.length - 1]!.kind}> is never closed`);
  if (root === undefined) fail(0, 'no property list in the file');
  return { root: root!, dictAt };
}

function scalar(name: string, body: string, at: number, fail: (at: number, detail: string) => never): RegistryValue {
  switch (name) {
    case 'string':
    case 'date':
      return body;
    case 'integer': {
      const t = body.trim();
      if (t.length > 40 || !/^(?:[+-]?\d+|0x[0-9a-fA-F]+)$/.test(t)) fail(at, `<integer> ${JSON.stringify(t.slice(0, 24))} is not an integer`);
      return BigInt(t.startsWith('+') ? t.slice(1) : t);
    }
    case 'real': {
      const n = Number(body.trim());
      if (body.trim() === '' || Number.isNaN(n)) fail(at, `<real> ${JSON.stringify(body.trim().slice(0, 24))} is not a number`);
      return n;
    }
    default: {
      const b64 = body.replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) fail(at, '<data> is not base64');
      return new Uint8Array(Buffer.from(b64, 'base64'));
    }
  }
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeText(s: string, at: number, fail: (at: number, detail: string) => never): string {
  if (!s.includes('&') && !s.includes('<![CDATA[')) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    if (s.startsWith('<![CDATA[', i)) {
      const end = s.indexOf(']]>', i);
      if (end === -1) fail(at + i, 'unterminated CDATA section');
      out += s.slice(i + 9, end);
      i = end + 3;
      continue;
    }
    const c = s[i]!;
    if (c !== '&') {
      out += c;
      i++;
      continue;
    }
    const semi = s.indexOf(';', i);
    const ent = semi === -1 || semi - i > 10 ? '' : s.slice(i + 1, semi);
    if (ENTITIES[ent] !== undefined) out += ENTITIES[ent];
    else if (/^#\d{1,7}$/.test(ent) || /^#x[0-9a-fA-F]{1,6}$/.test(ent)) {
      const code = ent[1] === 'x' ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10);
      if (code > 0x10ffff) fail(at + i, `character reference &${ent}; is beyond Unicode`);
      out += String.fromCodePoint(code);
    } else fail(at + i, `unknown entity ${JSON.stringify(s.slice(i, i + 12))}`);
    i = semi + 1;
  }
  return out;
}

/** The registry objects of an `ioreg -a` plist. */
export function registryFromPlist(text: string): RegistryObject[] {
  const { root, dictAt } = parsePlist(text);
  const tops: RegistryDict[] = [];
  if (root instanceof Map) tops.push(root);
  else if (Array.isArray(root)) {
    for (const item of root) {
      if (!(item instanceof Map))
        throw new RegistryFormatError(0, 1, 'not an ioreg -a dump: the top-level array holds something other than object dictionaries');
      tops.push(item);
    }
  } else throw new RegistryFormatError(0, 1, 'not an ioreg -a dump: the property list holds neither an object dictionary nor an array of them');

  const lines = new LineIndex(text);
  const objects: RegistryObject[] = [];
  const pending: Array<{ dict: RegistryDict; parent?: RegistryObject; depth: number }> = tops.map((dict) => ({ dict, depth: 0 }));
  // Depth-first, parents before children; children are attached in file order.
  pending.reverse();
  while (pending.length) {
    const { dict, parent, depth } = pending.pop()!;
    const at = dictAt.get(dict) ?? 0;
    if (depth > MAX_REGISTRY_DEPTH)
      throw new RegistryFormatError(byteAt(text, at), lineAt(text, at), `objects nested deeper than ${MAX_REGISTRY_DEPTH} levels`);
    const o = objectFrom(dict, lines.line(at));
    if (parent) {
      o.parent = parent;
      parent.children.push(o);
    } else objects.push(o);
    const kids = dict.get('IORegistryEntryChildren');
    const list = kids instanceof Map ? [kids] : Array.isArray(kids) ? kids : [];
    for (let k = list.length - 1; k >= 0; k--) {
      const child = list[k];
      if (child instanceof Map) pending.push({ dict: child, parent: o, depth: depth + 1 });
    }
  }
  return objects;
}

function objectFrom(dict: RegistryDict, line: number): RegistryObject {
  const str = (k: string): string | undefined => {
    const v = dict.get(k);
    return typeof v === 'string' ? v : undefined;
  };
  const properties: RegistryDict = new Map();
  for (const [k, v] of dict) if (!IOREG_KEYS.has(k)) properties.set(k, v);
  const o: RegistryObject = {
    name: str('IORegistryEntryName') ?? '',
    className: str('IOObjectClass') ?? '',
    properties,
    children: [],
    line,
  };
  const location = str('IORegistryEntryLocation');
  if (location !== undefined) o.location = location;
  const id = dict.get('IORegistryEntryID');
  if (typeof id === 'bigint') o.id = BigInt.asUintN(64, id);
  const inh = dict.get('IOObjectInheritance');
  if (Array.isArray(inh)) o.inheritance = inh.filter((x): x is string => typeof x === 'string');
  return o;
}

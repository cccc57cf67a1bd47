/**
 * The I/O Registry as `ioreg` prints it: objects with a name, a class, properties and children.
 * Both readers (`ioreg -a` XML plist, `ioreg -l` text) produce this shape; the constraint
 * extraction in ./extract.ts reads only this.
 */

/** A property value: plist types (date kept as its text, data as bytes or ioreg's text form). */
export type RegistryValue = string | bigint | number | boolean | Uint8Array | RegistryValue[] | RegistryDict;
export type RegistryDict = Map<string, RegistryValue>;

export interface RegistryObject {
  /** IORegistryEntryName (a dext's service is named after its IOUserClass). */
  name: string;
  location?: string;
  /** IOObjectClass: the kernel class ('' when the text was clipped before it). */
  className: string;
  /** IOObjectInheritance (ioreg -i), base class first, when present. */
  inheritance?: string[];
  /** IORegistryEntryID. */
  id?: bigint;
  properties: RegistryDict;
  children: RegistryObject[];
  parent?: RegistryObject;
  /** Line (1-based) where the object starts in the file, for messages. */
  line: number;
  /** Properties whose text line was clipped at the terminal width (ioreg prints '$'). */
  clipped?: Set<string>;
}

/** Bad registry text: names the byte offset and line. */
export class RegistryFormatError extends Error {
  constructor(
    readonly offset: number,
    readonly line: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** Deeper than this is not a registry dump (real trees are a few dozen levels). */
export const MAX_REGISTRY_DEPTH = 512;

/** Every object in document order (iterative: a deep tree cannot overflow the stack). */
export function* walk(roots: readonly RegistryObject[]): Generator<RegistryObject> {
  const stack = [...roots].reverse();
  while (stack.length) {
    const o = stack.pop()!;
    yield o;
    for (let i = o.children.length - 1; i >= 0; i--) stack.push(o.children[i]!);
  }
}

/** The object, then its parents up to the top of the dump. */
export function* upward(o: RegistryObject): Generator<RegistryObject> {
  for (let p: RegistryObject | undefined = o; p; p = p.parent) yield p;
}

/** Line number (1-based) of a character index, for one-off messages. */
export function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Line numbers of many character indexes: one pass to index the lines, then a binary search each. */
export class LineIndex {
  private starts: number[] | undefined;
  constructor(private readonly text: string) {}
  line(index: number): number {
    if (!this.starts) {
      this.starts = [0];
      for (let i = this.text.indexOf('\n'); i !== -1; i = this.text.indexOf('\n', i + 1)) this.starts.push(i + 1);
    }
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

/** UTF-8 byte offset of a character index. */
export function byteAt(text: string, index: number): number {
  return Buffer.byteLength(text.slice(0, index), 'utf8');
}

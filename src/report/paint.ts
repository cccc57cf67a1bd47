/** Colours for text reports: ANSI SGR codes, or nothing (see cli/output.ts's useColor). */
export interface Paint {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
const identity = (s: string) => s;

export function paint(enabled: boolean): Paint {
  return enabled
    ? { red: wrap(31, 39), yellow: wrap(33, 39), green: wrap(32, 39), dim: wrap(2, 22), bold: wrap(1, 22) }
    : { red: identity, yellow: identity, green: identity, dim: identity, bold: identity };
}

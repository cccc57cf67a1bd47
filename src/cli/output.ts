export { LineOutput } from '../report/line-output.js';
export { paint, type Paint } from '../report/paint.js';

/** --color: colour on a terminal (auto), always, or never (ripgrep's and grep's values). */
export type ColorMode = 'auto' | 'always' | 'never';
export const COLOR_MODES: readonly ColorMode[] = ['auto', 'always', 'never'];

/**
 * Whether to colour output to `stream`. An explicit --color=always|never wins (a command-line
 * flag overrides the environment, https://no-color.org). In auto mode FORCE_COLOR decides when
 * set, as Node.js documents it: '', '1', '2', '3' or 'true' force colour even into a pipe and
 * take precedence over NO_COLOR; any other value ('0', 'false') turns colour off. Otherwise a
 * non-empty NO_COLOR turns colour off, and colour is used only on a terminal whose TERM is not
 * "dumb".
 */
export function colorEnabled(mode: ColorMode, stream: { isTTY?: boolean }, env: Record<string, string | undefined> = process.env): boolean {
  if (mode !== 'auto') return mode === 'always';
  const force = env['FORCE_COLOR'];
  if (force !== undefined) return ['', '1', '2', '3', 'true'].includes(force);
  if (env['NO_COLOR']) return false;
  return Boolean(stream.isTTY) && env['TERM'] !== 'dumb';
}

/** Auto-mode colour decision for a stream, from the process environment. */
export function useColor(stream: { isTTY?: boolean } = process.stdout): boolean {
  return colorEnabled('auto', stream);
}

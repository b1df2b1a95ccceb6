/**
 * Colour on a terminal only. Precedence as in Node's own tty.hasColors: FORCE_COLOR (any value
 * but 0/false forces colour on, 0/false forces it off), then NO_COLOR (no-color.org: present and
 * not empty turns it off), then TERM=dumb, then whether the stream is a TTY.
 */
export function useColor(env: Readonly<Record<string, string | undefined>>, isTTY: boolean): boolean {
  const force = env['FORCE_COLOR'];
  if (force !== undefined) return !['0', 'false'].includes(force.trim().toLowerCase());
  if ((env['NO_COLOR'] ?? '') !== '') return false;
  if (env['TERM'] === 'dumb') return false;
  return isTTY;
}

export interface Paint {
  readonly red: (s: string) => string;
  readonly green: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly cyan: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly bold: (s: string) => string;
  /** Within-line highlight of the changed part of a diff line. */
  readonly inverse: (s: string) => string;
}

const sgr =
  (open: number, close: number) =>
  (s: string): string =>
    s === '' ? s : `\x1b[${open}m${s}\x1b[${close}m`;

export const ANSI: Paint = {
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  cyan: sgr(36, 39),
  dim: sgr(2, 22),
  bold: sgr(1, 22),
  inverse: sgr(7, 27),
};
const id = (s: string): string => s;
export const PLAIN: Paint = { red: id, green: id, yellow: id, cyan: id, dim: id, bold: id, inverse: id };

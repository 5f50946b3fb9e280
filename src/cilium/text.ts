// How cilium-dbg lays out text: Go's text/tabwriter with (minwidth 5, tabwidth 0, padding 3,
// padchar ' ', flags 0), and the `TablePrinter` helper of `bpf ipcache list` / `bpf endpoint list`.
// Addresses as cilium-dbg prints them.

const MIN_WIDTH = 5;
const PADDING = 3;

/**
 * Go's tabwriter on `text` whose cells are tab-terminated: a column's width is decided per block
 * of consecutive lines that have a cell in it (the last cell of a line is not in any column and is
 * never padded). Widths are max(cell + padding, minwidth).
 */
export function tabwrite(text: string): string {
  const lines = text.split('\n').map((l) => l.split('\t'));
  const hasNewline = text.endsWith('\n');
  if (hasNewline) lines.pop();
  const out: string[] = [];
  const widths: number[] = [];
  format(lines, 0, lines.length, widths, out);
  return out.join('\n') + (hasNewline ? '\n' : '');
}

function format(lines: string[][], line0: number, line1: number, widths: number[], out: string[]): void {
  const column = widths.length;
  let start = line0;
  for (let i = line0; i < line1; i++) {
    if (column >= lines[i].length - 1) continue;
    write(lines, start, i, widths, out);
    start = i;
    let width = MIN_WIDTH;
    for (; i < line1 && column < lines[i].length - 1; i++) width = Math.max(width, lines[i][column].length + PADDING);
    widths.push(width);
    format(lines, start, i, widths, out);
    widths.pop();
    start = i; // the line that ended the block has no cell here: the loop's i++ may skip it
  }
  write(lines, start, line1, widths, out);
}

function write(lines: string[][], from: number, to: number, widths: number[], out: string[]): void {
  for (let i = from; i < to; i++) {
    out.push(lines[i].map((cell, j) => (j < widths.length ? cell.padEnd(widths[j]) : cell)).join(''));
  }
}

/**
 * `TablePrinter(first, second, map[string][]string)`: header, then per key a row `key\tvalue\t`
 * and extra values of the same key with an empty first column. Keys (and a key's values) are
 * sorted by code unit, where cilium-dbg prints Go's random map order.
 */
export function tablePrinter(firstTitle: string, secondTitle: string, rows: readonly (readonly [string, string])[]): string {
  const byKey = new Map<string, string[]>();
  for (const [key, value] of rows) {
    const values = byKey.get(key);
    if (values) values.push(value);
    else byKey.set(key, [value]);
  }
  let text = `${firstTitle}\t${secondTitle}\n`;
  for (const key of [...byKey.keys()].sort(compareCodeUnits)) {
    byKey.get(key)!.sort(compareCodeUnits).forEach((value, i) => {
      text += `${i === 0 ? key : ''}\t${value}\t\n`;
    });
  }
  return tabwrite(text);
}

/** A table whose every line is `cell\t…\tcell\n` (the last column unpadded), as `metrics list` writes it. */
export function columns(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return tabwrite([header, ...rows].map((cells) => `${cells.join('\t')}\n`).join(''));
}

export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Rows sorted cell by cell, each cell compared as a string (how `metrics list` sorts). */
export function compareCells(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareCodeUnits(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

export const FAMILY_IPV4 = 1;
export const FAMILY_IPV6 = 2;
export type Family = 'ipv4' | 'ipv6';

export function familyName(family: number): Family | undefined {
  return family === FAMILY_IPV4 ? 'ipv4' : family === FAMILY_IPV6 ? 'ipv6' : undefined;
}

/** `mac_t` as `Uint64MAC.String` prints it: uppercase, memory order. Records keep lowercase. */
export function upperMac(mac: string): string {
  return mac.toUpperCase();
}

/** Go's `%-<width>d`. */
export function leftPad(value: number, width: number): string {
  return String(value).padEnd(width);
}

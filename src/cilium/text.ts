// How cilium-dbg lays out text: Go's text/tabwriter with (minwidth 5, tabwidth 0, padding 3,
// padchar ' ', flags 0), and the `TablePrinter` helper of `bpf ipcache list` / `bpf endpoint list`.
// Addresses as cilium-dbg prints them.
import { checkFamily, type IpFamily } from './codec';

/** A tabwriter's minwidth and padding (its padchar is ' ' and its flags 0 in every cilium-dbg command). */
export interface TabwriterWidths {
  minWidth: number;
  padding: number;
}

/** `tabwriter.NewWriter(os.Stdout, 5, 0, 3, ' ', 0)`, what nearly every cilium-dbg listing writes through. */
const CILIUM_DBG_WIDTHS: TabwriterWidths = { minWidth: 5, padding: 3 };

/**
 * Go's tabwriter over lines of cells, as written with a tab after every cell but the last: a
 * column's width is decided per block of consecutive lines that have a cell in it (the last cell of
 * a line is in no column and is never padded). Widths are max(cell + padding, minwidth). Every
 * line ends in '\n'.
 */
export function tabwrite(lines: readonly (readonly string[])[], widths: TabwriterWidths = CILIUM_DBG_WIDTHS): string {
  // Pass 1: the column widths of each block of lines. Pass 2: the text, written once into one
  // buffer (the cells are ASCII) instead of as a padded string per cell.
  const blocks: Block[] = [];
  format(lines, 0, lines.length, [], blocks, widths);
  let size = 0;
  for (const { from, to, widths } of blocks) {
    for (let i = from; i < to; i++) {
      const cells = lines[i];
      for (let j = 0; j < cells.length; j++) size += j < widths.length ? Math.max(widths[j], cells[j].length) : cells[j].length;
      size += 1;
    }
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const { from, to, widths } of blocks) {
    for (let i = from; i < to; i++) {
      const cells = lines[i];
      for (let j = 0; j < cells.length; j++) {
        let end = at + out.write(cells[j], at, 'latin1');
        if (j < widths.length) {
          const padded = Math.max(at + widths[j], end);
          out.fill(0x20, end, padded);
          end = padded;
        }
        at = end;
      }
      out[at++] = 0x0a;
    }
  }
  return out.toString('latin1');
}

/** Lines [from, to) and the widths of the columns they are padded to. */
interface Block {
  from: number;
  to: number;
  widths: readonly number[];
}

function format(lines: readonly (readonly string[])[], line0: number, line1: number, widths: number[], out: Block[], settings: TabwriterWidths): void {
  const column = widths.length;
  let start = line0;
  for (let i = line0; i < line1; i++) {
    if (column >= lines[i].length - 1) continue;
    if (i > start) out.push({ from: start, to: i, widths: [...widths] });
    start = i;
    let width = settings.minWidth;
    for (; i < line1 && column < lines[i].length - 1; i++) width = Math.max(width, lines[i][column].length + settings.padding);
    widths.push(width);
    format(lines, start, i, widths, out, settings);
    widths.pop();
    start = i; // the line that ended the block has no cell here: the loop's i++ may skip it
  }
  if (line1 > start) out.push({ from: start, to: line1, widths: [...widths] });
}

/**
 * `TablePrinter(first, second, map[string][]string)`: header `first\tsecond\n`, then per key a row
 * `key\tvalue\t\n` and extra values of the same key with an empty first column. Keys (and a key's
 * values) are sorted by code unit, where cilium-dbg prints Go's random map order.
 */
export function tablePrinter(firstTitle: string, secondTitle: string, rows: readonly (readonly [string, string])[]): string {
  const byKey = new Map<string, string[]>();
  for (const [key, value] of rows) {
    const values = byKey.get(key);
    if (values) values.push(value);
    else byKey.set(key, [value]);
  }
  const lines: string[][] = [[firstTitle, secondTitle]];
  for (const key of [...byKey.keys()].sort(compareCodeUnits)) {
    byKey.get(key)!.sort(compareCodeUnits).forEach((value, i) => lines.push([i === 0 ? key : '', value, '']));
  }
  return tabwrite(lines);
}

/** A table whose every line is `cell\t…\tcell\n` (the last column unpadded), as `metrics list` writes it. */
export function columns(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return tabwrite([header, ...rows]);
}

/** What cilium-dbg's list commands write (to stderr) for an empty map. */
export const NO_ENTRIES = 'No entries found.\n';

/**
 * A cilium-dbg listing of the `bpf egress list` / `bpf srv6 …` kind: the records in the order given
 * under a header, or `No entries found.` for none (which cilium-dbg writes to stderr).
 */
export function listing<R>(what: string, header: readonly string[], cells: (r: R) => string[]): (records: readonly R[]) => string {
  return (records) => {
    if (!Array.isArray(records)) throw new TypeError(`cilium.format.${what}: records must be an array`);
    if (records.length === 0) return NO_ENTRIES;
    return columns(header, records.map(cells));
  };
}

/**
 * The listings cilium-dbg prints map by map, `fmt.Println` of each map's dump (`bpf ct list`, `bpf
 * nat list`): per map in `order` that was read, the lines of its records in the order given, then
 * the empty line Println adds. A map was read when `families` names its family (`mapsOf`: the maps
 * cilium-dbg opens for one) or when a record comes from it: records alone cannot say that an
 * empty map was read.
 */
export function mapByMap<R>(
  what: string,
  order: readonly string[],
  mapsOf: (family: IpFamily) => readonly string[],
  families: unknown,
  records: readonly R[],
  mapOf: (r: R) => string,
  line: (r: R) => string,
): string {
  if (!Array.isArray(families)) throw new TypeError(`cilium.format.${what}: families must be an array of 4 and 6`);
  const read = new Set([...families.flatMap((f) => mapsOf(checkFamily(f))), ...records.map(mapOf)]);
  const unknown = [...read].find((m) => !order.includes(m));
  if (unknown !== undefined) throw new RangeError(`cilium.format.${what}: ${unknown} is not one of ${order.join(', ')}`);
  return order.filter((m) => read.has(m)).map((m) => `${records.filter((r) => mapOf(r) === m).map(line).join('')}\n`).join('');
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

/**
 * An address as Go prints it: `net.IP` writes an IPv4-mapped IPv6 address dotted, `netip.Addr`
 * (what Cilium moved each type to, version by version) as records keep it, `::ffff:a.b.c.d`.
 */
export function goIpText(address: string, netip: boolean): string {
  return !netip && address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** `mac_t` as `Uint64MAC.String` prints it: uppercase, memory order. Records keep lowercase. */
export function upperMac(mac: string): string {
  return mac.toUpperCase();
}

/** Go's `%-<width>d`. */
export function leftPad(value: number, width: number): string {
  return String(value).padEnd(width);
}

/** The suffixes of Kubernetes' DecimalSI quantities, by power of 1000. */
const DECIMAL_SI = ['', 'k', 'M', 'G', 'T', 'P', 'E'];

/**
 * `resource.NewQuantity(value, resource.DecimalSI).String()` of Kubernetes' apimachinery: trailing
 * zeros become a suffix of a power of 1000 (8000000 → 8M, 12500000 → 12500k, 1500 → 1500), as far
 * as a whole power of 1000 goes.
 */
export function decimalQuantity(value: bigint): string {
  if (value === 0n) return '0';
  let mantissa = value;
  let exponent = 0;
  while (mantissa % 1000n === 0n && exponent < DECIMAL_SI.length - 1) {
    mantissa /= 1000n;
    exponent++;
  }
  return `${mantissa}${DECIMAL_SI[exponent]}`;
}

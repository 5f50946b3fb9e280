// Rows from the addon's column tables (native/table.h): a listing of thousands of objects crosses
// the N-API boundary as a few typed arrays, and becomes objects here. Missing values stay missing.

/** The columns of one kind, as native/<kind>.cc declares them. */
export interface TableSchema {
  numbers: string[];
  booleans: string[];
  bigints: string[];
  strings: string[];
  list?: string;
  bigintList?: string;
}

/** A table as the addon returns it. */
export interface NativeTable {
  rows: number;
  numbers: Float64Array; // NaN = missing
  booleans: Uint8Array; // 0, 1, or 2 = missing
  bigints: BigUint64Array;
  hasBigint: Uint8Array;
  stringIds: Uint32Array; // 0 = missing, else the value's index in stringPool.split('\0')
  stringPool: string; // every distinct value, each after a NUL
  list: Uint32Array;
  listEnd: Uint32Array;
  bigintList?: BigUint64Array; // with the schema's bigint list: each row's values, one row after another
  bigintListEnd?: Uint32Array; // where each row's values end
}

/**
 * Properties computed from columns: `from` names one column (or several: the first decides
 * whether the property is present), `convert` turns the value(s) into what the property holds
 * (returning undefined leaves it out). Columns used by a derived property are not also stored
 * under their own names; every other column is, unchanged.
 */
export type DerivedProperties = Record<string, { from: string | string[]; convert?: (...values: never[]) => unknown }>;

export interface TableReaderOptions {
  /** Properties computed from columns (a type number to its name, a ms timestamp to a Date, …). */
  derive?: DerivedProperties;
  /** Put every bigint column into one sub-object of this name (e.g. an interface's `stats`). */
  bigintsInto?: string;
}

/** What a row builder reads besides the table: its strings split out, its u64s as u32 pairs. */
interface TableViews {
  strings: (string | undefined)[]; // by id; id 0 (missing) is undefined
  words: Uint32Array; // the bigints column as u32 pairs (a pair of zeros is 0n)
}

type RowBuilder = (t: NativeTable, views: TableViews, row: number, fns: ((...v: never[]) => unknown)[]) => Record<string, unknown>;

/**
 * Compiles, once per schema, a function that builds one row's object with fixed property names:
 * V8 then keeps every object of a listing on a few hidden-class paths, which a loop over a key
 * array (a keyed store per property) does not. Only present values are set.
 */
function compileRowBuilder(schema: TableSchema, options: TableReaderOptions): { build: RowBuilder; fns: ((...v: never[]) => unknown)[] } {
  const nn = schema.numbers.length, nb = schema.booleans.length, ng = schema.bigints.length, ns = schema.strings.length;
  // How to read each column, and how to tell that it is present.
  const columns = new Map<string, { read: string; present: string }>();
  schema.numbers.forEach((c, i) => columns.set(c, { read: `t.numbers[row * ${nn} + ${i}]`, present: '(v === v)' }));
  schema.booleans.forEach((c, i) => columns.set(c, { read: `(t.booleans[row * ${nb} + ${i}] === 1)`, present: `(t.booleans[row * ${nb} + ${i}] !== 2)` }));
  // Most u64 counters are 0: one shared 0n, not a new BigInt per cell.
  const bigint = (at: string) => `((views.words[2 * (${at})] | views.words[2 * (${at}) + 1]) === 0 ? 0n : t.bigints[${at}])`;
  schema.bigints.forEach((c, i) => columns.set(c, { read: bigint(`row * ${ng} + ${i}`), present: `(t.hasBigint[row * ${ng} + ${i}] === 1)` }));
  schema.strings.forEach((c, i) => columns.set(c, { read: `views.strings[t.stringIds[row * ${ns} + ${i}]]`, present: '(v !== undefined)' }));
  // A row's part of the bigint list, as a view into the table's (an empty one is missing).
  if (schema.bigintList) {
    columns.set(schema.bigintList, { read: 't.bigintList.subarray(row === 0 ? 0 : t.bigintListEnd[row - 1], t.bigintListEnd[row])', present: '(v.length !== 0)' });
  }
  const column = (c: string) => {
    const found = columns.get(c);
    if (!found) throw new Error(`bpfscope: the addon's table has no column ${c}`);
    return found;
  };

  const fns: ((...v: never[]) => unknown)[] = [];
  const lines = ['const o = {}; let v, x;'];
  const derived = Object.entries(options.derive ?? {}).map(([name, d]) => ({ name, from: ([] as string[]).concat(d.from), convert: d.convert }));
  const consumed = new Set(derived.flatMap((d) => d.from));
  const pending = new Map(derived.map((d) => [d.from[0], [] as typeof derived]));
  for (const d of derived) pending.get(d.from[0])!.push(d);

  const emit = (c: string, target: string) => {
    const { read, present } = column(c);
    lines.push(`v = ${read}; if ${present} ${target}[${JSON.stringify(c)}] = v;`);
  };
  // The first number column (the id, the ifindex) leads, then the names, then the rest.
  const [first, ...numbers] = schema.numbers;
  const bigintList = schema.bigintList ? [schema.bigintList] : [];
  const all = [...(first ? [first] : []), ...schema.strings, ...numbers, ...schema.booleans, ...(options.bigintsInto ? [] : schema.bigints), ...bigintList];
  for (const c of all) {
    for (const d of pending.get(c) ?? []) {
      const { read, present } = column(c);
      const args = ['v', ...d.from.slice(1).map((f) => column(f).read)].join(', ');
      if (d.convert) {
        fns.push(d.convert);
        lines.push(`v = ${read}; if ${present} { x = fns[${fns.length - 1}](${args}); if (x !== undefined) o[${JSON.stringify(d.name)}] = x; }`);
      } else {
        lines.push(`v = ${read}; if ${present} o[${JSON.stringify(d.name)}] = v;`);
      }
    }
    if (!consumed.has(c)) emit(c, 'o');
  }
  if (options.bigintsInto) {
    const any = schema.bigints.map((_, i) => `t.hasBigint[row * ${ng} + ${i}]`).join(' || ') || 'false';
    lines.push(`if (${any}) { const s = {};`);
    for (const c of schema.bigints) emit(c, 's');
    lines.push(`o[${JSON.stringify(options.bigintsInto)}] = s; }`);
  }
  if (schema.list) {
    lines.push('{ const start = row === 0 ? 0 : t.listEnd[row - 1], end = t.listEnd[row]; const l = new Array(end - start);');
    lines.push('  for (let i = start; i < end; i++) l[i - start] = t.list[i];');
    lines.push(`  o[${JSON.stringify(schema.list)}] = l; }`);
  }
  lines.push('return o;');
  return { build: new Function('t', 'views', 'row', 'fns', lines.join('\n')) as RowBuilder, fns };
}

/** Turns tables of one schema into objects. */
export class TableReader<T> {
  private readonly build: RowBuilder;
  private readonly fns: ((...v: never[]) => unknown)[];

  constructor(schema: TableSchema, options: TableReaderOptions = {}) {
    ({ build: this.build, fns: this.fns } = compileRowBuilder(schema, options));
  }

  rows(table: NativeTable): T[] {
    const out = new Array<T>(table.rows);
    const strings: (string | undefined)[] = table.stringPool.split('\0');
    strings[0] = undefined;
    const { buffer, byteOffset, length } = table.bigints;
    const views: TableViews = { strings, words: new Uint32Array(buffer, byteOffset, 2 * length) };
    for (let r = 0; r < table.rows; r++) out[r] = this.build(table, views, r, this.fns) as T;
    return out;
  }
}

/**
 * `table → rows` for one kind, compiled on first use (the schema comes from the addon, which
 * loads lazily so that importing bpfscope never fails).
 */
export function tableRowsOf<T>(schema: () => TableSchema, options: TableReaderOptions = {}): (table: NativeTable) => T[] {
  let reader: TableReader<T> | undefined;
  return (table) => (reader ??= new TableReader<T>(schema(), options)).rows(table);
}

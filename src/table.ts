// Rows from the addon's column tables (native/table.h): a listing of thousands of objects crosses
// the N-API boundary as a few typed arrays, and becomes objects here. Missing values stay missing.

/** The columns of one kind, as native/<kind>.cc declares them. */
export interface TableSchema {
  numbers: string[];
  booleans: string[];
  bigints: string[];
  strings: string[];
  list?: string;
}

/** A table as the addon returns it. */
export interface NativeTable {
  rows: number;
  numbers: Float64Array; // NaN = missing
  booleans: Uint8Array; // 0, 1, or 2 = missing
  bigints: BigUint64Array;
  hasBigint: Uint8Array;
  strings: (string | undefined)[];
  list: Uint32Array;
  listEnd: Uint32Array;
}

/** A column whose value is stored under another name, converted (e.g. a type number to its name). */
export type ColumnTransforms = Record<string, { as?: string; convert: (value: never) => unknown }>;

type RowBuilder = (t: NativeTable, row: number, fns: ((v: never) => unknown)[]) => Record<string, unknown>;

/**
 * Compiles, once per schema, a function that builds one row's object with fixed property names:
 * V8 then keeps every object of a listing on one hidden-class path, which a loop over a key array
 * (a keyed store per property) does not. Only present values are set.
 */
function compileRowBuilder(schema: TableSchema, transforms: ColumnTransforms): { build: RowBuilder; fns: ((v: never) => unknown)[] } {
  const fns: ((v: never) => unknown)[] = [];
  const lines = ['const o = {}; let v;'];
  const store = (column: string, expr: string) => {
    const t = transforms[column];
    if (!t) return `o[${JSON.stringify(column)}] = ${expr};`;
    fns.push(t.convert);
    return `o[${JSON.stringify(t.as ?? column)}] = fns[${fns.length - 1}](${expr});`;
  };
  const nn = schema.numbers.length, nb = schema.booleans.length, ng = schema.bigints.length, ns = schema.strings.length;
  schema.numbers.forEach((c, i) => lines.push(`v = t.numbers[row * ${nn} + ${i}]; if (v === v) ${store(c, 'v')}`));
  schema.booleans.forEach((c, i) => lines.push(`v = t.booleans[row * ${nb} + ${i}]; if (v !== 2) ${store(c, 'v === 1')}`));
  schema.bigints.forEach((c, i) => lines.push(`if (t.hasBigint[row * ${ng} + ${i}]) ${store(c, `t.bigints[row * ${ng} + ${i}]`)}`));
  schema.strings.forEach((c, i) => lines.push(`v = t.strings[row * ${ns} + ${i}]; if (v !== undefined) ${store(c, 'v')}`));
  if (schema.list) {
    lines.push('{ const start = row === 0 ? 0 : t.listEnd[row - 1], end = t.listEnd[row]; const l = new Array(end - start);');
    lines.push('  for (let i = start; i < end; i++) l[i - start] = t.list[i];');
    lines.push(`  ${store(schema.list, 'l')} }`);
  }
  lines.push('return o;');
  return { build: new Function('t', 'row', 'fns', lines.join('\n')) as RowBuilder, fns };
}

/** Turns tables of one schema into objects; build it once per schema. */
export class TableReader<T> {
  private readonly build: RowBuilder;
  private readonly fns: ((v: never) => unknown)[];

  constructor(schema: TableSchema, transforms: ColumnTransforms = {}) {
    ({ build: this.build, fns: this.fns } = compileRowBuilder(schema, transforms));
  }

  rows(table: NativeTable): T[] {
    const out = new Array<T>(table.rows);
    for (let r = 0; r < table.rows; r++) out[r] = this.build(table, r, this.fns) as T;
    return out;
  }
}

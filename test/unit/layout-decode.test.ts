// Layout decoding (compiled per layout): every field kind, against values written with Buffer's own methods.
import { expect, it } from 'vitest';
import { defineLayout, formatIpv6 } from 'bpfscope';

it('decodes every field kind of packed records, inline and through readers', () => {
  const layout = defineLayout({
    a: { offset: 0, type: 'u8' },
    b: { offset: 1, type: 'i8' },
    c: { offset: 2, type: 'u16' },
    d: { offset: 4, type: 'i16', endian: 'big' },
    e: { offset: 6, type: 'be16' },
    f: { offset: 8, type: 'u32' },
    g: { offset: 12, type: 'i32' },
    h: { offset: 16, type: 'be32' },
    i: { offset: 20, type: 'u64' },
    j: { offset: 28, type: 'i64' },
    k: { offset: 36, type: 'be64' },
    ip: { offset: 44, type: 'ipv4' },
    ip6: { offset: 48, type: 'ipv6' },
    mac: { offset: 64, type: 'mac' },
    on: { offset: 70, type: 'bool8' },
    raw: { offset: 71, type: { bytes: 3 } },
    name: { offset: 74, type: { cstring: 6 } },
    low: { offset: 80, type: 'u16', bits: [0, 5] },
    high: { offset: 80, type: 'u16', bits: [5, 11] },
    list: { offset: 82, type: 'u16', count: 3 },
  }, 88);
  const stride = 88;
  const buf = Buffer.alloc(stride * 3);
  for (let r = 0; r < 3; r++) {
    const o = r * stride;
    buf.writeUInt8(200 + r, o);
    buf.writeInt8(-100 + r, o + 1);
    buf.writeUInt16LE(60000 + r, o + 2);
    buf.writeInt16BE(-3000 - r, o + 4);
    buf.writeUInt16BE(8080 + r, o + 6);
    buf.writeUInt32LE(4_000_000_000 + r, o + 8);
    buf.writeInt32LE(-2_000_000_000 + r, o + 12);
    buf.writeUInt32BE(0xdeadbeef - r, o + 16);
    buf.writeBigUInt64LE(0xfedcba9876543210n + BigInt(r), o + 20);
    buf.writeBigInt64LE(-5n - BigInt(r), o + 28);
    buf.writeBigUInt64BE(0x0102030405060708n + BigInt(r), o + 36);
    buf.set([10, 3, 0, 115 + r], o + 44);
    buf.set([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, r + 1], o + 48);
    buf.set([0xaa, 0xbb, 0xcc, 0xdd, 0xee, r], o + 64);
    buf[o + 70] = r % 2;
    buf.set([1, 2, 3 + r], o + 71);
    buf.write(`lxc${r}`, o + 74, 'latin1');
    buf.writeUInt16LE((r + 3) | ((1000 + r) << 5), o + 80);
    for (let i = 0; i < 3; i++) buf.writeUInt16LE(r * 10 + i, o + 82 + 2 * i);
  }
  const records = layout.decodeAll(buf);
  expect(records).toHaveLength(3);
  const views = layout.viewAll(buf);
  expect(views).toHaveLength(3);
  records.forEach((rec, r) => {
    // A view reads every field as decode does, through its getters.
    for (const name of Object.keys(rec) as (keyof typeof rec)[]) expect(views[r][name]).toEqual(rec[name]);
    expect(views[r].toObject()).toEqual(rec);
    expect(layout.view(buf, r * stride).toObject()).toEqual(rec);
    expect(rec).toEqual({
      a: 200 + r, b: -100 + r, c: 60000 + r, d: -3000 - r, e: 8080 + r, f: 4_000_000_000 + r, g: -2_000_000_000 + r,
      h: 0xdeadbeef - r, i: 0xfedcba9876543210n + BigInt(r), j: -5n - BigInt(r), k: 0x0102030405060708n + BigInt(r),
      ip: `10.3.0.${115 + r}`, ip6: `2001:db8::${r + 1}`, mac: `aa:bb:cc:dd:ee:0${r}`, on: r % 2 === 1,
      raw: Buffer.from([1, 2, 3 + r]), name: `lxc${r}`, low: r + 3, high: 1000 + r, list: [r * 10, r * 10 + 1, r * 10 + 2],
    });
    expect(layout.decode(buf, r * stride)).toEqual(rec);
  });
  // Records spaced wider than the layout (a per-CPU slot, a larger value): stride and offset apply.
  const narrow = defineLayout({ x: { offset: 0, type: 'u32' } });
  expect(narrow.decodeAll(buf, 3, stride, 8).map((x) => x.x)).toEqual([4_000_000_000, 4_000_000_001, 4_000_000_002]);
  expect(() => narrow.decodeAll(buf, 4, stride, 8)).toThrow(RangeError);
  expect(narrow.viewAll(buf, 3, stride, 8).map((x) => x.x)).toEqual([4_000_000_000, 4_000_000_001, 4_000_000_002]);
  expect(() => narrow.viewAll(buf, 4, stride, 8)).toThrow(RangeError);
  expect(() => narrow.view(buf, buf.length - 3)).toThrow(RangeError);
});

it('views read the buffer when a field is read, and print and serialize as their record', async () => {
  const { inspect } = await import('node:util');
  const layout = defineLayout({ n: { offset: 0, type: 'u32' }, ip: { offset: 4, type: 'ipv4' }, big: { offset: 8, type: 'u64' } });
  const buf = Buffer.alloc(16);
  buf.writeUInt32LE(7, 0);
  buf.set([192, 168, 0, 1], 4);
  buf.writeBigUInt64LE(1n << 60n, 8);
  const view = layout.view(buf);
  expect(view.n).toBe(7);
  buf.writeUInt32LE(8, 0);
  expect(view.n).toBe(8);
  expect(Object.keys(view)).toEqual([]); // fields are getters on the prototype, not own properties
  expect(view.toObject()).toEqual({ n: 8, ip: '192.168.0.1', big: 1n << 60n });
  expect(JSON.stringify(view, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).toBe('{"n":8,"ip":"192.168.0.1","big":"1152921504606846976"}');
  expect(inspect(view)).toBe(inspect({ n: 8, ip: '192.168.0.1', big: 1n << 60n }));
  // u64/i64 read as 64-bit elements when aligned, through the DataView when not: both agree.
  const wide = defineLayout({ u: { offset: 0, type: 'u64' }, i: { offset: 8, type: 'i64' }, be: { offset: 0, type: 'be64' } }, 16);
  const backing = Buffer.alloc(40);
  for (const shift of [0, 1, 4, 8]) {
    const at = backing.subarray(shift, shift + 16);
    at.writeBigUInt64LE(0xfedcba9876543210n, 0);
    at.writeBigInt64LE(-3n, 8);
    const expected = { u: 0xfedcba9876543210n, i: -3n, be: 0x1032547698badcfen };
    expect(wide.decode(at)).toEqual(expected);
    expect(wide.view(at).toObject()).toEqual(expected);
    expect(wide.view(at).u).toBe(expected.u);
  }
  // Names a view keeps for its methods cannot be fields of a viewed layout; decode still works.
  const clash = defineLayout({ toJSON: { offset: 0, type: 'u8' } });
  expect(clash.decode(Buffer.from([5]))).toEqual({ toJSON: 5 });
  expect(() => clash.view(Buffer.from([5]))).toThrow(/toJSON/);
});

it('keeps a field named __proto__ as an own property', () => {
  const record = defineLayout({ ['__proto__']: { offset: 0, type: 'u8' }, x: { offset: 1, type: 'u8' } } as never).decode(Buffer.from([7, 9])) as Record<string, unknown>;
  expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
  expect(Object.getOwnPropertyDescriptor(record, '__proto__')?.value).toBe(7);
  expect(record.x).toBe(9);
});

it('gives the right IPv4 text through its address caches: hits, misses and colliding slots', () => {
  const layout = defineLayout({ ip: { offset: 0, type: 'ipv4' } }, 4);
  // 50,000 addresses over 256 /24s (more than the 16,384 address slots, so slots collide), plus
  // 0.0.0.0, whose key is the one every slot starts with, and 255.255.255.255, whose key is -1.
  const n = 50_000;
  const buf = Buffer.alloc((n + 2) * 4);
  let seed = 12345;
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    buf.writeUInt32BE((0x0a000000 | ((seed >>> 30) << 16) | (((seed >>> 8) & 0x3f) << 8) | (seed & 0xff)) >>> 0, i * 4);
  }
  buf.writeUInt32BE(0xffffffff, n * 4);
  const expected = Array.from({ length: n + 2 }, (_, i) => [...buf.subarray(i * 4, i * 4 + 4)].join('.'));
  expect(expected[n]).toBe('255.255.255.255');
  expect(expected[n + 1]).toBe('0.0.0.0');
  expect(new Set(expected).size).toBeGreaterThan(16_384);
  // Three passes: the first builds every text, the second admits addresses to the cache, the
  // third reads them from it. Views and records go through the same code.
  for (let pass = 0; pass < 3; pass++) {
    expect(layout.decodeAll(buf).map((r) => r.ip)).toEqual(expected);
    expect(layout.viewAll(buf).map((r) => r.ip)).toEqual(expected);
  }
});

it('writes an IPv4-mapped IPv6 address with its dotted tail, as Go and RFC 5952 do', () => {
  const mapped = Buffer.from('00000000000000000000ffff0a030073', 'hex');
  expect(formatIpv6(mapped)).toBe('::ffff:10.3.0.115');
  // Only ::ffff:0:0/96 has the dotted tail; the same bytes under another prefix stay hex groups.
  mapped[9] = 1;
  expect(formatIpv6(mapped)).toBe('::1:ffff:a03:73');
});

it('decodes columns equal to the records, typed arrays for plain integers, at aligned and unaligned offsets', () => {
  // Every scalar type twice: on its own alignment (the fast path) and one byte off (the DataView path).
  const scalars = ['u8', 'i8', 'u16', 'i16', 'be16', 'u32', 'i32', 'be32', 'u64', 'i64', 'be64'] as const;
  const fields: Record<string, { offset: number; type: string; endian?: 'big'; bits?: readonly [number, number]; count?: number }> = {};
  let at = 0;
  for (const type of scalars) {
    const size = type.endsWith('8') && !type.endsWith('64') ? 1 : type.endsWith('16') ? 2 : type.endsWith('32') ? 4 : 8;
    at = Math.ceil(at / size) * size;
    fields[`${type}Aligned`] = { offset: at, type };
    fields[`${type}Off`] = { offset: at + size + 1, type };
    at += 2 * size + 1;
  }
  Object.assign(fields, {
    bigU32: { offset: at, type: 'u32', endian: 'big' },
    ip: { offset: at + 4, type: 'ipv4' },
    flag: { offset: at + 8, type: 'u16', bits: [3, 4] },
    list: { offset: at + 10, type: 'u8', count: 2 },
    on: { offset: at + 12, type: 'bool8' },
  });
  const size = Math.ceil((at + 13) / 8) * 8;
  const layout = defineLayout(fields as never, size);
  const count = 257;
  // Random bytes in records laid out every size + 8 bytes, from offset 8 of a buffer that itself
  // starts 8 bytes into its ArrayBuffer: the column code must add both offsets.
  const stride = size + 8;
  const backing = Buffer.alloc(8 + 8 + count * stride);
  for (let i = 0; i < backing.length; i++) backing[i] = (i * 2654435761) >>> 24;
  const buf = backing.subarray(8);
  for (let i = 0; i < count; i += 3) buf[8 + i * stride + fields.on.offset] = 0; // some false bool8s
  const records = layout.decodeAll(buf, count, stride, 8) as Record<string, unknown>[];
  const columns = layout.decodeColumns(buf, count, stride, 8) as Record<string, ArrayLike<unknown>>;
  for (const name of Object.keys(fields)) {
    expect(Array.from(columns[name]), name).toEqual(records.map((r) => r[name]));
  }
  expect(columns.u64Aligned).toBeInstanceOf(BigUint64Array);
  expect(columns.i64Off).toBeInstanceOf(BigInt64Array);
  expect(columns.be16Aligned).toBeInstanceOf(Uint16Array);
  expect(columns.i32Aligned).toBeInstanceOf(Int32Array);
  expect(columns.ip).toBeInstanceOf(Array);
  expect(columns.flag).toBeInstanceOf(Array);
  expect(columns.on).toBeInstanceOf(Array);
  expect(new Set(Array.from(columns.on))).toEqual(new Set([true, false]));
  expect(() => layout.decodeColumns(buf, count + 1, stride, 8)).toThrow(RangeError);
});

it('gives a field named __proto__ a column of its own, as it gives it a property of its own in records', () => {
  const layout = defineLayout({ ['__proto__']: { offset: 0, type: 'u16' }, ip: { offset: 2, type: 'ipv4' } } as never, 6);
  const buf = Buffer.from([1, 0, 10, 0, 0, 1, 2, 0, 10, 0, 0, 2]);
  const columns = layout.decodeColumns(buf) as Record<string, ArrayLike<unknown>>;
  expect(Object.getPrototypeOf(columns)).toBe(Object.prototype);
  expect(Object.keys(columns)).toEqual(['__proto__', 'ip']);
  expect(Array.from(Object.getOwnPropertyDescriptor(columns, '__proto__')?.value as Uint16Array)).toEqual([1, 2]);
  expect(columns.ip).toEqual(['10.0.0.1', '10.0.0.2']);
});

it('refills the columns of an earlier call (into): in place, as fewer elements, and grown with room when the records outgrow them', () => {
  const layout = defineLayout({
    n: { offset: 0, type: 'u32' },
    big: { offset: 4, type: 'u64' },
    port: { offset: 12, type: 'be16' },
    ip: { offset: 14, type: 'ipv4' },
  }, 18);
  const records = (count: number, seed: number) => {
    const buf = Buffer.alloc(count * 18);
    for (let i = 0; i < count; i++) {
      buf.writeUInt32LE(seed + i, i * 18);
      buf.writeBigUInt64LE(BigInt(seed + i) << 40n, i * 18 + 4);
      buf.writeUInt16BE((seed + i) & 0xffff, i * 18 + 12);
      buf.writeUInt32BE(0x0a000000 + seed + i, i * 18 + 14);
    }
    return buf;
  };
  const same = (columns: Record<string, ArrayLike<unknown>>, fresh: Record<string, ArrayLike<unknown>>) => {
    for (const name of ['n', 'big', 'port', 'ip']) expect(Array.from(columns[name]), name).toEqual(Array.from(fresh[name]));
  };
  const first = layout.decodeColumns(records(100, 1));
  const again = layout.decodeColumns(records(100, 7), undefined, 18, 0, first);
  same(again, layout.decodeColumns(records(100, 7)));
  // The same count: the very arrays of the earlier call, now holding this call's values.
  for (const name of ['n', 'big', 'port', 'ip'] as const) expect(again[name], name).toBe(first[name]);
  expect(Array.from(first.n)).toEqual(Array.from(again.n));

  // Fewer records: views of the first elements of the same memory, and the plain array shortened.
  const fewer = layout.decodeColumns(records(60, 3), undefined, 18, 0, again);
  same(fewer, layout.decodeColumns(records(60, 3)));
  expect(fewer.n.buffer).toBe(first.n.buffer);
  expect(fewer.big.buffer).toBe(first.big.buffer);
  expect(fewer.ip).toBe(first.ip);
  expect(fewer.ip).toHaveLength(60);

  // More than the first call's exact arrays hold: new memory with a quarter more room, which the
  // next, larger call then fills without another allocation.
  const grown = layout.decodeColumns(records(120, 5), undefined, 18, 0, fewer);
  same(grown, layout.decodeColumns(records(120, 5)));
  expect(grown.n.buffer).not.toBe(first.n.buffer);
  expect(grown.n.buffer.byteLength).toBe(150 * 4);
  expect(grown.big.buffer.byteLength).toBe(150 * 8);
  const fuller = layout.decodeColumns(records(150, 9), undefined, 18, 0, grown);
  same(fuller, layout.decodeColumns(records(150, 9)));
  expect(fuller.n.buffer).toBe(grown.n.buffer);
  expect(fuller.big.buffer).toBe(grown.big.buffer);
  expect(fuller.port.buffer).toBe(grown.port.buffer);

  // A caller's own typed array is never written past its length, and one of another class is replaced.
  const own = new Uint32Array(200);
  own.fill(0xdeadbeef);
  const mine = layout.decodeColumns(records(120, 2), undefined, 18, 0, { n: own.subarray(0, 100), big: new Uint32Array(120) as never });
  same(mine, layout.decodeColumns(records(120, 2)));
  expect(mine.n.buffer).not.toBe(own.buffer);
  expect(own.every((x) => x === 0xdeadbeef)).toBe(true);
  expect(mine.big).toBeInstanceOf(BigUint64Array);
});

it('decodes an IPv4/IPv6 union by its deciding byte, and refuses at definition a union it could not read', () => {
  const layout = defineLayout({
    addr: { offset: 0, type: { ip: 16, v6When: { at: 16, mask: 0x0f, value: 0x0a } } },
    family: { offset: 16, type: 'u8' },
  }, 20);
  const buf = Buffer.alloc(40);
  buf.set([10, 0, 0, 1], 0);
  buf[16] = 0xf2; // low nibble 2: IPv4
  buf.set([0x20, 0x01, 0x0d, 0xb8], 20);
  buf[36] = 0x1a; // low nibble 10: IPv6
  expect(layout.decodeAll(buf)).toEqual([{ addr: '10.0.0.1', family: 0xf2 }, { addr: '2001:db8::', family: 0x1a }]);
  expect(layout.view(buf, 20).addr).toBe('2001:db8::');

  const union = (type: unknown, size?: number) => () => defineLayout({ a: { offset: 0, type: type as { ip: 16; v6When: { at: number; mask: number; value: number } } } }, size);
  // The deciding byte must be in the record: past it, a packed buffer's next record decided.
  expect(union({ ip: 16, v6When: { at: 16, mask: 1, value: 1 } })).toThrow(new RangeError("field 'a': v6When.at 16 is past the 16-byte record"));
  expect(union({ ip: 16, v6When: { at: 16, mask: 1, value: 1 } }, 17)).not.toThrow();
  // Its type says 16 bytes: { ip: 4 } read IPv6 text from 16 bytes of a 4-byte field.
  expect(union({ ip: 4, v6When: { at: 0, mask: 0x80, value: 0x80 } })).toThrow(new RangeError("field 'a': an IPv4/IPv6 union holds 16 bytes (ip: 16), got ip: 4"));
  expect(union({ ip: 16 })).toThrow(new TypeError("field 'a': an IPv4/IPv6 union needs v6When: { at, mask, value }"));
  expect(union({ ip: 16, v6When: { at: '3', mask: 1, value: 1 } })).toThrow(new TypeError('field \'a\': v6When.at must be a number, got "3"'));
  expect(union({ ip: 16, v6When: { at: 1.5, mask: 1, value: 1 } }, 20)).toThrow(RangeError);
  expect(union({ ip: 16, v6When: { at: 1, mask: 256, value: 1 } })).toThrow(new RangeError("field 'a': v6When.mask must be an integer 0..255, got 256"));
  expect(union({ ip: 16, v6When: { at: 1, mask: 0x0f, value: 0x10 } })).toThrow(/has bits outside mask 15, so the address would never read as IPv6/);
});

it('reads count: 0 as C reads a flexible array member: no bytes, an empty array', () => {
  // struct { u32 len; u16 items[0]; }: sizeof is 4, and items starts where the struct ends.
  const layout = defineLayout({ len: { offset: 0, type: 'u32' }, items: { offset: 4, type: 'u16', count: 0 } });
  expect(layout.size).toBe(4);
  const buf = Buffer.from([1, 0, 0, 0, 2, 0, 0, 0]);
  expect(layout.decodeAll(buf)).toEqual([{ len: 1, items: [] }, { len: 2, items: [] }]);
  expect(layout.view(buf, 4).toObject()).toEqual({ len: 2, items: [] });
  expect(layout.decodeColumns(buf)).toEqual({ len: new Uint32Array([1, 2]), items: [[], []] });
  expect(layout.encode({ len: 3, items: [] })).toEqual(Buffer.from([3, 0, 0, 0]));
  expect(() => layout.encode({ items: [1] })).toThrow(RangeError);
});

it('reads and writes a Uint8Array as the Buffer over its memory, and refuses what is neither with a TypeError', () => {
  const layout = defineLayout({
    name: { offset: 0, type: { cstring: 4 } },
    raw: { offset: 4, type: { bytes: 2 } },
    n: { offset: 6, type: 'u16' },
  });
  const buf = Buffer.from([0x41, 0x42, 0, 0x43, 7, 8, 0x34, 0x12]);
  // A Uint8Array over the same bytes, at an offset in a larger ArrayBuffer.
  const whole = new Uint8Array(16);
  whole.set(buf, 8);
  const bytes = whole.subarray(8);
  const expected = { name: 'AB', raw: Buffer.from([7, 8]), n: 0x1234 };
  // A Uint8Array's toString took no range: the string field read "65,66,0,67,…".
  expect(layout.decode(bytes)).toEqual(expected);
  expect(Buffer.isBuffer(layout.decode(bytes).raw)).toBe(true);
  expect(layout.decodeAll(bytes)).toEqual([expected]);
  expect(layout.view(bytes).toObject()).toEqual(expected);
  expect(layout.viewAll(bytes)[0].name).toBe('AB');
  expect(layout.decodeColumns(bytes).name).toEqual(['AB']);
  const into = new Uint8Array(8);
  layout.encode(expected, into);
  expect(Buffer.from(into)).toEqual(Buffer.from([0x41, 0x42, 0, 0, 7, 8, 0x34, 0x12]));

  for (const notBytes of ['AB', [0x41, 0x42, 0, 0, 0, 0, 0, 0], null, new ArrayBuffer(8)]) {
    expect(() => layout.decode(notBytes as never)).toThrow(TypeError);
    expect(() => layout.decodeAll(notBytes as never)).toThrow(TypeError);
    expect(() => layout.view(notBytes as never)).toThrow(TypeError);
    expect(() => layout.encode(expected, notBytes as never)).toThrow(TypeError);
  }
  expect(() => layout.decode('ABCDEFGH' as never)).toThrow(new TypeError('a record buffer must be a Buffer or Uint8Array, got string ABCDEFGH'));
});

it('refuses fields that are not an object, and type names that only an object prototype has, as unknown', () => {
  expect(() => defineLayout(null as never)).toThrow(new TypeError('layout fields must be an object of { offset, type } by name, got null'));
  expect(() => defineLayout(undefined as never)).toThrow(TypeError);
  expect(() => defineLayout([{ offset: 0, type: 'u8' }] as never)).toThrow(TypeError);
  for (const type of ['toString', 'constructor', 'hasOwnProperty', '__proto__']) {
    expect(() => defineLayout({ a: { offset: 0, type: type as never } })).toThrow(new TypeError(`field 'a': unknown type "${type}"`));
  }
});

it('looks for a cstring field\'s NUL within the field, not on through the rest of the buffer', () => {
  // Records whose strings fill their field (no NUL): the search for the NUL went on to the
  // buffer's end from each record, so decoding n of them read about n² × 8 / 2 bytes (160,000
  // such records took 1.6 s here, strings that end in their field 0.06 s). The buffer's own
  // indexOf is wrapped to count what it scans.
  const layout = defineLayout({ id: { offset: 0, type: { cstring: 8 } }, tag: { offset: 8, type: { cstring: 4 } } }, 16);
  const count = 2000;
  const buf = Buffer.alloc(count * 16, 0x61);
  for (let i = 0; i < count; i++) buf.write('xyz', i * 16 + 8, 'latin1'); // tag: 'xyz', then 'aaaa…' with no NUL either
  let scanned = 0;
  const indexOf = Buffer.prototype.indexOf;
  buf.indexOf = function (this: Buffer, value: number, from?: number) {
    const start = from ?? 0;
    const found = indexOf.call(this, value, start);
    scanned += (found < 0 ? this.length : found) - start;
    return found;
  } as typeof buf.indexOf;
  const expected = { id: 'aaaaaaaa', tag: 'xyza' };
  expect(layout.decodeAll(buf)).toEqual(Array(count).fill(expected));
  expect(layout.decodeColumns(buf)).toEqual({ id: Array(count).fill('aaaaaaaa'), tag: Array(count).fill('xyza') });
  expect(layout.viewAll(buf).map((v) => v.toObject())).toEqual(Array(count).fill(expected));
  expect(scanned).toBeLessThanOrEqual(3 * count * 12);
});

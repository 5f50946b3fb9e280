// BTF-decoded dumps against the `formatted` values of `bpftool -j map dump` on the same maps.
import { expect, it } from 'vitest';
import { type BtfEntry, type BpfMap } from 'bpfscope';
import { updateElem, type BtfTypeSpec, type CreateMapOptions } from 'bpfscope/testing';
import { describeKernel, run } from '../helpers/kernel';
import { canonical, parseBigJson, sameMeaningAs } from '../helpers/bpftool-json';
import { mustMap } from '../helpers/maps';

// Type ids are positions + 1.
const TYPES: BtfTypeSpec[] = [
  /* 1 */ { kind: 'int', name: 'unsigned int', size: 4 },
  /* 2 */ { kind: 'int', name: 'unsigned short', size: 2 },
  /* 3 */ { kind: 'int', name: 'unsigned char', size: 1 },
  /* 4 */ { kind: 'int', name: 'char', size: 1, signed: true },
  /* 5 */ { kind: 'int', name: 'long long unsigned int', size: 8 },
  /* 6 */ { kind: 'int', name: 'int', size: 4, signed: true },
  /* 7 */ { kind: 'int', name: '_Bool', size: 1, bool: true },
  /* 8 */ { kind: 'array', type: 4, indexType: 1, length: 16 },
  /* 9 */ { kind: 'enum', name: 'state', size: 4, values: [{ name: 'IDLE', value: 0 }, { name: 'ACTIVE', value: 1 }, { name: 'CLOSED', value: 7 }] },
  /* 10 */ { kind: 'typedef', name: '__u64', type: 5 },
  /* 11 */ { kind: 'array', type: 6, indexType: 1, length: 3 },
  /* 12 */ { kind: 'union', name: 'addr', size: 4, members: [{ name: 'v4', type: 1, bitOffset: 0 }, { name: 'half', type: 2, bitOffset: 0 }] },
  /* 13 */ {
    kind: 'struct', name: 'flow_key', size: 8, members: [
      { name: 'ip', type: 1, bitOffset: 0 },
      { name: 'port', type: 2, bitOffset: 32 },
      { name: 'proto', type: 3, bitOffset: 48 },
      { name: 'flags', type: 3, bitOffset: 56, bitSize: 3 },
      { name: 'rest', type: 3, bitOffset: 59, bitSize: 5 },
    ],
  },
  /* 14 */ {
    kind: 'struct', name: 'flow_value', size: 64, members: [
      { name: 'packets', type: 10, bitOffset: 0 },
      { name: 'name', type: 8, bitOffset: 64 },
      { name: 'state', type: 9, bitOffset: 192 },
      { name: 'nums', type: 11, bitOffset: 224 },
      { name: 'addr', type: 12, bitOffset: 320 },
      { name: 'ok', type: 7, bitOffset: 352 },
      { name: 'c', type: 4, bitOffset: 360 },
      { name: 'letter', type: 15, bitOffset: 368 },
      { name: 'delta', type: 6, bitOffset: 384 },
      { name: 'tail', type: 5, bitOffset: 416, bitSize: 40 },
    ],
  },
  /* 15 */ { kind: 'int', name: 'letter_t', size: 1, char: true },
];

interface Flow {
  ip: number; port: number; proto: number; flags: number; rest: number;
  packets: bigint; name: Buffer; state: number; nums: [number, number, number]; v4: number;
  ok: boolean; c: number; letter: number; delta: number; tail: bigint;
}

function encodeKey(f: Flow): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(f.ip, 0);
  b.writeUInt16LE(f.port, 4);
  b[6] = f.proto;
  b[7] = (f.rest << 3) | f.flags;
  return b;
}

function encodeValue(f: Flow): Buffer {
  const b = Buffer.alloc(64);
  b.writeBigUInt64LE(f.packets, 0);
  f.name.copy(b, 8);
  b.writeInt32LE(f.state, 24);
  f.nums.forEach((n, i) => b.writeInt32LE(n, 28 + 4 * i));
  b.writeUInt32LE(f.v4, 40);
  b[44] = f.ok ? 1 : 0;
  b.writeInt8(f.c, 45);
  b[46] = f.letter;
  b.writeInt32LE(f.delta, 48);
  // A 40-bit bitfield at byte 52, running past the struct's last whole u64 (bits 416..455).
  for (let i = 0; i < 5; i++) b[52 + i] = Number((f.tail >> BigInt(8 * i)) & 0xffn);
  return b;
}

const FLOWS: Flow[] = [
  {
    ip: 0x7300030a, port: 8080, proto: 6, flags: 5, rest: 17, packets: 0xfedcba9876543210n,
    name: Buffer.from('lxcb56ea4219379\0'), state: 1, nums: [-1, 0, 2147483647], v4: 0xdeadbeef,
    ok: true, c: -5, letter: 0x41, delta: -123456, tail: 0xab_cdef_0123n,
  },
  {
    ip: 0x9e00030a, port: 53, proto: 17, flags: 0, rest: 31, packets: 42n,
    // Not a string for bpftool: a byte outside printable ASCII before the NUL.
    name: Buffer.from([0x61, 0x01, 0x62, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), state: 5, nums: [1, 2, 3], v4: 1,
    ok: false, c: 100, letter: 0x07, delta: 7, tail: 1n,
  },
  {
    ip: 1, port: 0, proto: 0, flags: 7, rest: 0, packets: 0n,
    // No NUL at all: bpftool prints the characters one by one.
    name: Buffer.from('abcdefghijklmnop'), state: 7, nums: [0, 0, 0], v4: 0,
    ok: true, c: 0, letter: 0x7a, delta: 0, tail: 0xff_ffff_ffffn,
  },
];


async function mustFlowMap(options: Omit<CreateMapOptions, 'type' | 'keySize' | 'valueSize' | 'maxEntries'>): Promise<BpfMap> {
  const { object, map } = await mustMap({ type: 'hash', keySize: 8, valueSize: 64, maxEntries: 16, ...options });
  for (const f of FLOWS) await updateElem(object, encodeKey(f), encodeValue(f));
  return map;
}

function bpftoolFormatted(id: number): unknown[] {
  return parseBigJson<{ formatted?: unknown }[]>(run('bpftool', ['-j', 'map', 'dump', 'id', String(id)])).map((e) => e.formatted);
}

/** bpftool's entries, whole (a map without BTF has no `formatted`). */
function bpftoolEntries(id: number): unknown[] {
  return JSON.parse(run('bpftool', ['-j', 'map', 'dump', 'id', String(id)])) as unknown[];
}

/**
 * One entry, `value`, in an array map whose key is type 1 of `types` (a u32) and whose value is
 * type `valueTypeId`; the map and its dump with that BTF.
 */
async function oneValueDump(types: BtfTypeSpec[], valueTypeId: number, value: Buffer): Promise<{ map: BpfMap; ours: BtfEntry[] }> {
  const { object, map } = await mustMap({ type: 'array', keySize: 4, valueSize: value.length, maxEntries: 1, btf: { types, keyTypeId: 1, valueTypeId } });
  await updateElem(object, Buffer.alloc(4), value);
  return { map, ours: (await map.dump({ format: 'btf' })) as BtfEntry[] };
}

describeKernel('BTF-decoded map dumps', () => {
  it('decodes ints, u64 as bigint, strings, enums, structs, unions, arrays and bitfields like bpftool', async () => {
    const map = await mustFlowMap({ name: 'bpfs_btf', btf: { types: TYPES, keyTypeId: 13, valueTypeId: 14 } });
    expect(map.info.btfId).toBeGreaterThan(0);
    const ours = (await map.dump({ format: 'btf' })) as BtfEntry[];
    expect(ours).toHaveLength(3);
    const theirs = bpftoolFormatted(map.info.id);
    expect(theirs.every((f) => f !== undefined)).toBe(true);
    expect(sameMeaningAs(theirs, ours)).toEqual(canonical(ours));

    const first = ours.find((e) => (e.key as { port: number }).port === 8080) as { key: unknown; value: Record<string, unknown> };
    // Plain objects, as literals would be (toStrictEqual compares prototypes too).
    expect(first.key).toStrictEqual({ ip: 0x7300030a, port: 8080, proto: 6, flags: 5, rest: 17 });
    expect(first.value).toEqual({
      packets: 0xfedcba9876543210n,
      name: 'lxcb56ea4219379',
      state: 'ACTIVE',
      nums: [-1, 0, 2147483647],
      addr: { v4: 0xdeadbeef, half: 0xbeef },
      ok: true,
      c: -5,
      letter: 'A',
      delta: -123456,
      tail: 0xab_cdef_0123n,
    });
    const second = ours.find((e) => (e.key as { port: number }).port === 53) as { value: Record<string, unknown> };
    // Elements of the signed `char` type print as numbers when the array is not a string.
    expect(second.value.name).toEqual([0x61, 1, 0x62, ...Array(13).fill(0)]);
    expect(second.value.state).toBe(5); // no enumerator: the number, as bpftool prints it
    expect(second.value.letter).toBe('\u0007');
    const third = ours.find((e) => (e.key as { ip: number }).ip === 1) as { value: Record<string, unknown> };
    expect(third.value.name).toEqual([...'abcdefghijklmnop'].map((ch) => ch.charCodeAt(0)));
    expect(third.value.state).toBe('CLOSED');

    // The type table is read once per handle and reused by dumpSync.
    expect((await map.btfTypes())?.types['14']).toMatchObject({ kind: 'struct', name: 'flow_value', size: 64 });
    expect(map.dumpSync({ format: 'btf' })).toEqual(ours);
  });

  it('reads enums and ints of every size as signed where C does, 128-bit ints as hex and non-ASCII char arrays as numbers, like bpftool', async () => {
    // Type ids are positions + 1.
    const types: BtfTypeSpec[] = [
      /* 1 */ { kind: 'int', name: 'unsigned int', size: 4 },
      /* 2 */ { kind: 'int', name: 'short', size: 2, signed: true },
      /* 3 */ { kind: 'enum', name: 'tiny', size: 1, values: [{ name: 'NEG', value: -1 }, { name: 'ONE', value: 1 }] },
      /* 4 */ { kind: 'enum', name: 'medium', size: 2, values: [{ name: 'MINUS_TWO', value: -2 }] },
      /* 5 */ { kind: 'enum', name: 'wide', size: 4, values: [{ name: 'BELOW', value: -100 }] },
      /* 6 */ { kind: 'int', name: '__int128 unsigned', size: 16 },
      /* 7 */ { kind: 'int', name: 'char', size: 1, signed: true },
      /* 8 */ { kind: 'array', type: 7, indexType: 1, length: 8 },
      /* 9 */ {
        kind: 'struct', name: 'signs', size: 48, members: [
          { name: 's', type: 2, bitOffset: 0 },
          { name: 'e1', type: 3, bitOffset: 16 },
          { name: 'e2', type: 4, bitOffset: 32 },
          { name: 'e4', type: 5, bitOffset: 64 },
          { name: 'unnamed', type: 3, bitOffset: 96 },
          { name: 'big', type: 6, bitOffset: 128 },
          { name: 'name', type: 8, bitOffset: 256 },
          { name: 'short_max', type: 2, bitOffset: 320 },
        ],
      },
    ];
    const value = Buffer.alloc(48);
    value.writeInt16LE(-2, 0);
    value[2] = 0xff; // -1 as a 1-byte enum: NEG
    value.writeInt16LE(-2, 4);
    value.writeInt32LE(-100, 8);
    value[12] = 0x80; // no enumerator: -128
    value.writeBigUInt64LE(2n, 16);
    value.writeBigUInt64LE(1n, 24);
    Buffer.from([0x61, 0xe9, 0x62, 0]).copy(value, 32); // not a string for bpftool: 0xe9 is past ASCII
    value.writeInt16LE(32767, 40);
    const { map, ours } = await oneValueDump(types, 9, value);
    expect(ours).toEqual([{
      key: 0,
      value: { s: -2, e1: 'NEG', e2: 'MINUS_TWO', e4: 'BELOW', unnamed: -128, big: '0x10000000000000002', name: [0x61, -23, 0x62, 0, 0, 0, 0, 0], short_max: 32767 },
    }]);
    expect(sameMeaningAs(bpftoolFormatted(map.info.id), ours)).toEqual(canonical(ours));
  });

  it('names the values of ENUM64 types of 1, 2 and 4 bytes, signed and unsigned, by the enumerators bpftool lists', async () => {
    // Type ids are positions + 1. The kernel takes ENUM64 of any enum size; clang emits them at 8.
    const types: BtfTypeSpec[] = [
      /* 1 */ { kind: 'int', name: 'unsigned int', size: 4 },
      /* 2 */ { kind: 'enum64', name: 'u4', size: 4, values: [{ name: 'SEVEN', value: 7n }, { name: 'TOP', value: 0xffff_ffffn }, { name: 'FAR', value: 1n << 40n }] },
      /* 3 */ { kind: 'enum64', name: 's2', size: 2, signed: true, values: [{ name: 'MINUS_ONE', value: 0xffff_ffff_ffff_ffffn }] },
      /* 4 */ { kind: 'enum64', name: 'u1', size: 1, values: [{ name: 'TWO', value: 2n }] },
      /* 5 */ {
        kind: 'struct', name: 'small_enum64s', size: 16, members: [
          { name: 'u4', type: 2, bitOffset: 0 },
          { name: 'top', type: 2, bitOffset: 32 },
          { name: 's2', type: 3, bitOffset: 64 },
          { name: 'u1', type: 4, bitOffset: 80 },
          { name: 'none', type: 2, bitOffset: 96 },
        ],
      },
    ];
    const value = Buffer.alloc(16);
    value.writeUInt32LE(7, 0);
    value.writeUInt32LE(0xffff_ffff, 4);
    value.writeInt16LE(-1, 8);
    value[10] = 2;
    value.writeUInt32LE(0, 12); // FAR (1 << 40) does not fit 4 bytes: 0 is no enumerator
    const { map, ours } = await oneValueDump(types, 5, value);
    expect(ours).toEqual([{ key: 0, value: { u4: 'SEVEN', top: 'TOP', s2: 'MINUS_ONE', u1: 'TWO', none: 0 } }]);
    // bpftool's formatted dump reads every ENUM64 as 8 bytes, past a smaller one's end (btf_dumper_enum64),
    // so the names are checked against the enumerators its BTF dump lists.
    const listed = run('bpftool', ['btf', 'dump', 'id', String(map.info.btfId)]);
    for (const line of ["'SEVEN' val=7ULL", "'TOP' val=4294967295ULL", "'MINUS_ONE' val=-1LL", "'TWO' val=2ULL"]) expect(listed).toContain(line);
  });

  it('names a value that several enumerators share by the first of them, as bpftool does', async () => {
    // C aliases (`__MAX = LAST`) give enumerators the same value; bpftool's btf_dumper_enum and
    // btf_dumper_enum64 print the first that matches. Type ids are positions + 1.
    const types: BtfTypeSpec[] = [
      /* 1 */ { kind: 'int', name: 'unsigned int', size: 4 },
      /* 2 */ { kind: 'enum', name: 'proto', size: 4, values: [{ name: 'TCP', value: 6 }, { name: 'UDP', value: 17 }, { name: 'PROTO_MAX', value: 17 }] },
      /* 3 */ { kind: 'enum64', name: 'wide', size: 8, values: [{ name: 'FIRST', value: 1n << 40n }, { name: 'ALIAS', value: 1n << 40n }] },
      /* 4 */ { kind: 'enum', name: 'tiny', size: 1, values: [{ name: 'A', value: 1 }, { name: 'B', value: 2 }, { name: 'ALSO_A', value: 1 }] },
      /* 5 */ {
        kind: 'struct', name: 'aliases', size: 16, members: [
          { name: 'proto', type: 2, bitOffset: 0 },
          { name: 'tiny', type: 4, bitOffset: 32 },
          { name: 'wide', type: 3, bitOffset: 64 },
        ],
      },
    ];
    const value = Buffer.alloc(16);
    value.writeUInt32LE(17, 0);
    value[4] = 1;
    value.writeBigUInt64LE(1n << 40n, 8);
    const { map, ours } = await oneValueDump(types, 5, value);
    expect(ours).toEqual([{ key: 0, value: { proto: 'UDP', tiny: 'A', wide: 'FIRST' } }]);
    expect(sameMeaningAs(bpftoolFormatted(map.info.id), ours)).toEqual(canonical(ours));
  });

  it('decodes a global-data section (datasec of vars, no key type) with enum64, pointers through qualifiers and tags, and floats, like bpftool', async () => {
    // A .data map as libbpf makes one: an array of one entry, value type DATASEC, key type 0.
    // Type ids are positions + 1.
    const scalars: BtfTypeSpec[] = [
      /* 1 */ { kind: 'int', name: 'int', size: 4, signed: true },
      /* 2 */ { kind: 'enum64', name: 'big', size: 8, values: [{ name: 'HUGE', value: 1n << 40n }, { name: 'ALL', value: 0xffff_ffff_ffff_ffffn }] },
      /* 3 */ { kind: 'ptr', type: 1 },
      /* 4 */ { kind: 'const', type: 1 },
      /* 5 */ { kind: 'restrict', type: 3 },
      /* 6 */ { kind: 'type_tag', name: 'user', type: 1 },
      /* 7 */ { kind: 'ptr', type: 6 },
      /* 8 */ { kind: 'fwd', name: 'opaque' },
      /* 9 */ { kind: 'ptr', type: 8 },
      /* 10 */ { kind: 'int', name: 'char', size: 1, char: true },
      /* 11 */ { kind: 'array', type: 10, indexType: 1, length: 8 },
      /* 12 */ { kind: 'float', name: 'double', size: 8 },
      /* 13 */ { kind: 'float', name: 'float', size: 4 },
      /* 14 */ { kind: 'var', name: 'counter', type: 1 },
      /* 15 */ { kind: 'decl_tag', name: 'hot', type: 14 },
      /* 16 */ { kind: 'var', name: 'fixed', type: 4 },
      /* 17 */ { kind: 'var', name: 'mode', type: 2 },
      /* 18 */ { kind: 'var', name: 'mask', type: 2 },
      /* 19 */ { kind: 'var', name: 'where', type: 5 },
      /* 20 */ { kind: 'var', name: 'tagged', type: 7 },
      /* 21 */ { kind: 'var', name: 'handle', type: 9 },
      /* 22 */ { kind: 'var', name: 'label', type: 11 },
      /* 23 */ { kind: 'var', name: 'ratio', type: 12 },
      /* 24 */ { kind: 'var', name: 'half', type: 13 },
    ];
    const vars = [
      { type: 14, offset: 0, size: 4 }, { type: 16, offset: 4, size: 4 }, { type: 17, offset: 8, size: 8 }, { type: 18, offset: 16, size: 8 },
      { type: 19, offset: 24, size: 8 }, { type: 20, offset: 32, size: 8 }, { type: 21, offset: 40, size: 8 }, { type: 22, offset: 48, size: 8 },
    ];
    const floats = [{ type: 23, offset: 56, size: 8 }, { type: 24, offset: 64, size: 4 }];
    const value = Buffer.alloc(72);
    value.writeInt32LE(-5, 0);
    value.writeInt32LE(7, 4);
    value.writeBigUInt64LE(1n << 40n, 8);
    value.writeBigUInt64LE(0x8000_0000_0000_0001n, 16); // no enumerator: a number, signed as bpftool prints it
    value.writeBigUInt64LE(0xffff_8880_1234_5678n, 24);
    value.writeBigUInt64LE(0x1000n, 32);
    value.write('hello', 48);
    value.writeDoubleLE(0.1, 56);
    value.writeFloatLE(1.5, 64);
    const expected = [
      { counter: -5 }, { fixed: 7 }, { mode: 'HUGE' }, { mask: -0x7fff_ffff_ffff_ffffn },
      { where: 0xffff_8880_1234_5678n }, { tagged: 0x1000n }, { handle: 0n }, { label: 'hello' },
    ];

    // bpftool cannot print floats (its JSON breaks off at "(unsupported-kind"), so the section it
    // is compared with has none; the second map's holds them too.
    for (const withFloats of [false, true]) {
      const section = withFloats ? [...vars, ...floats] : vars;
      const size = withFloats ? 72 : 56;
      const { object, map } = await mustMap({
        type: 'array', keySize: 4, valueSize: size, maxEntries: 1,
        btf: { types: [...scalars, { kind: 'datasec', name: '.data', size, vars: section }], keyTypeId: 0, valueTypeId: 25 },
      });
      expect(map.info.btfKeyTypeId).toBe(0);
      await updateElem(object, Buffer.alloc(4), value.subarray(0, size));
      const ours = (await map.dump({ format: 'btf' })) as BtfEntry[];
      expect(ours).toEqual([{ value: { '.data': withFloats ? [...expected, { ratio: 0.1 }, { half: 1.5 }] : expected } }]);
      if (!withFloats) expect(sameMeaningAs(bpftoolFormatted(map.info.id), ours)).toEqual(canonical(ours));
    }
  });

  it('decodes half-precision floats as numbers and long doubles, whose format BTF does not say, as null', async () => {
    // bpftool cannot print floats at all; the kernel takes them of 2, 4, 8, 12 and 16 bytes.
    // Type ids are positions + 1.
    const types: BtfTypeSpec[] = [
      /* 1 */ { kind: 'int', name: 'unsigned int', size: 4 },
      /* 2 */ { kind: 'float', name: '_Float16', size: 2 },
      /* 3 */ { kind: 'float', name: 'long double', size: 16 },
      /* 4 */ { kind: 'float', name: 'long double', size: 12 },
      /* 5 */ { kind: 'array', type: 2, indexType: 1, length: 7 },
      /* 6 */ { kind: 'int', name: 'unsigned short', size: 2 },
      /* 7 */ {
        kind: 'struct', name: 'floats', size: 48, members: [
          { name: 'halves', type: 5, bitOffset: 0 },
          { name: 'after', type: 6, bitOffset: 112 },
          { name: 'quad', type: 3, bitOffset: 128 },
          { name: 'x87', type: 4, bitOffset: 256 },
        ],
      },
    ];
    const value = Buffer.alloc(48);
    // 1, -2, 65504 (the largest half), the smallest subnormal, -0, Infinity, NaN
    [0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00, 0x7e00].forEach((h, i) => value.writeUInt16LE(h, 2 * i));
    value.writeUInt16LE(0xbeef, 14);
    value.fill(0x3f, 16); // long doubles: not read as a double from their first 8 bytes
    const { ours } = await oneValueDump(types, 7, value);
    expect(ours).toEqual([{ key: 0, value: { halves: [1, -2, 65504, 2 ** -24, -0, Infinity, NaN], after: 0xbeef, quad: null, x87: null } }]);
    expect(Object.is((ours[0] as { value: { halves: number[] } }).value.halves[4], -0)).toBe(true);
  });

  it('per-CPU values decode per CPU, equal to bpftool', async () => {
    const { object, map } = await mustMap({
      type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 3,
      btf: { types: TYPES, keyTypeId: 1, valueTypeId: 10 },
    });
    const cpus = map.possibleCpus;
    const block = Buffer.alloc(cpus * 8);
    for (let c = 0; c < cpus; c++) block.writeBigUInt64LE(2n ** 60n + BigInt(c), c * 8);
    await updateElem(object, Buffer.from([1, 0, 0, 0]), block);
    const ours = (await map.dump({ format: 'btf' })) as BtfEntry[];
    expect(ours[1]).toStrictEqual({ key: 1, values: Array.from({ length: cpus }, (_, c) => ({ cpu: c, value: 2n ** 60n + BigInt(c) })) });
    const theirs = bpftoolFormatted(map.info.id);
    expect(sameMeaningAs(theirs, ours)).toEqual(canonical(ours));
  });

  it('entryDecoder decodes one entry from its bytes as the dump decodes it: lookups, watch changes, per-CPU blocks, maps without BTF', async () => {
    const map = await mustFlowMap({ btf: { types: TYPES, keyTypeId: 13, valueTypeId: 14 } });
    const decode = await map.entryDecoder();
    const dumped = (await map.dump({ format: 'btf' })) as BtfEntry[];
    const raw = await map.dump();
    expect(raw.count).toBe(3);
    for (let i = 0; i < raw.count; i++) expect(decode(raw.key(i), raw.value(i))).toEqual(dumped[i]);
    const key = encodeKey(FLOWS[1]);
    expect(decode(key, (await map.lookup(key))!)).toEqual(dumped.find((e) => (e.key as { port: number }).port === 53));
    const changes = map.poller().poll();
    expect(changes.added.map((e) => decode(e.key, e.value))).toEqual(dumped);
    expect(() => decode(key.subarray(1), encodeValue(FLOWS[0]))).toThrow(`map ${map.info.id} has 8-byte keys; got 7 bytes`);
    expect(() => decode(key, encodeValue(FLOWS[0]).subarray(0, 8))).toThrow('has 64-byte values as read; got 8 bytes');
    expect(() => decode('07' as unknown as Buffer, encodeValue(FLOWS[0]))).toThrow(new TypeError('a map key must be a Buffer or Uint8Array, got string 07'));
    expect(() => decode(key, [...encodeValue(FLOWS[0])] as unknown as Buffer)).toThrow(TypeError);
    // What lookup() accepts: a Uint8Array key (and value) of the right size.
    expect(decode(new Uint8Array(key), new Uint8Array(encodeValue(FLOWS[1])))).toEqual(decode(key, encodeValue(FLOWS[1])));

    const { object, map: perCpu } = await mustMap({ type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 2, btf: { types: TYPES, keyTypeId: 1, valueTypeId: 10 } });
    expect(perCpu.perCpu).toBe(true);
    expect(perCpu.valueStride).toBe(8 * perCpu.possibleCpus);
    const block = Buffer.alloc(perCpu.valueStride);
    for (let c = 0; c < perCpu.possibleCpus; c++) block.writeBigUInt64LE(BigInt(c + 1), c * 8);
    await updateElem(object, Buffer.from([1, 0, 0, 0]), block);
    const decodeCpus = await perCpu.entryDecoder();
    expect(decodeCpus(Buffer.from([1, 0, 0, 0]), (await perCpu.lookup(Buffer.from([1, 0, 0, 0])))!)).toEqual(
      ((await perCpu.dump({ format: 'btf' })) as BtfEntry[])[1],
    );

    // { format: 'hex' }: bpftool's bytes whether the map has BTF or not.
    const bytes = await map.entryDecoder({ format: 'hex' });
    const theirs = bpftoolEntries(map.info.id) as { key: string[]; value: string[]; formatted: unknown }[];
    expect(bytes(raw.key(0), raw.value(0))).toEqual({ key: theirs[0].key, value: theirs[0].value });
    await expect(map.entryDecoder({ format: 'text' } as never)).rejects.toThrow("entryDecoder format must be 'btf' or 'hex'");

    const plain = await mustFlowMap({});
    expect(plain.perCpu).toBe(false);
    const hex = await plain.entryDecoder();
    const plainDump = await plain.dump();
    expect(hex(plainDump.key(0), plainDump.value(0))).toEqual(bpftoolEntries(plain.info.id)[0]);
  });

  it('falls back to bpftool hex entries for a map without BTF', async () => {
    const map = await mustFlowMap({});
    expect(map.info.btfId).toBeUndefined();
    expect(await map.btfTypes()).toBeUndefined();
    const ours = await map.dump({ format: 'btf' });
    expect(ours).toEqual(JSON.parse(run('bpftool', ['-j', 'map', 'dump', 'id', String(map.info.id)])));
    expect((await map.dump()).decode()).toEqual(ours);
  });
});

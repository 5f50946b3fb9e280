// Random-input targets for the parsers and decoders written in TypeScript (run from the built
// dist/cjs, as users load them). Each target builds one input from a seeded generator and runs it;
// the only exceptions it may raise are the documented RangeError and TypeError. Runner: run.cjs.
const { join } = require('node:path');

const dist = join(__dirname, '..', '..', '..', 'dist', 'cjs');
const { parseMounts } = require(join(dist, 'mounts.js'));
const { defineLayout } = require(join(dist, 'layout.js'));
const { BtfDecoders } = require(join(dist, 'btf.js'));
const { btfTypesOf, btfTypeText, rawBtfOf } = require(join(dist, 'btf-dump.js'));
const { instructionText } = require(join(dist, 'disasm.js'));
const { decodeX86 } = require(join(dist, 'x86.js'));
const { arm64RegisterCalls, decodeArm64 } = require(join(dist, 'arm64.js'));
const { btfToC } = require(join(dist, 'btf-c.js'));
const { MapDump } = require(join(dist, 'map-dump.js'));
const { cilium } = require(join(dist, 'cilium/index.js'));

/** mulberry32: a small seeded generator, so iteration i of seed s is reproducible alone. */
function generator(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (list) => list[int(list.length)];
  const bytes = (n) => Buffer.from(Array.from({ length: n }, () => int(256)));
  // Mostly small numbers, sometimes edges: what breaks offset arithmetic.
  const size = () => pick([0, 1, 2, 3, 4, 7, 8, 16, 64, int(40), int(300), 2 ** 31, -1, 1.5, NaN]);
  return { next, int, pick, bytes, size };
}

const MOUNT_TOKENS = ['36', '35', '98:0', '/', '/sys/fs/bpf', '/mnt/bpf\\040space', 'rw,nosuid', 'shared:7', '-', 'bpf', 'bpffs',
  'tmpfs', 'proc', 'rw', '\\134', '\\011', '\\012', '\\777', '\\0', ' ', '\n', ' - ', '\u2028', '\ud800'];

/** A line of /proc/self/mountinfo, more or less. */
function mountinfoText(g) {
  const lines = [];
  for (let n = g.int(12); n > 0; n--) {
    const parts = [];
    for (let k = g.int(14); k > 0; k--) parts.push(g.next() < 0.8 ? g.pick(MOUNT_TOKENS) : g.bytes(g.int(8)).toString('latin1'));
    lines.push(parts.join(g.next() < 0.9 ? ' ' : ''));
  }
  return lines.join('\n');
}

const FIELD_TYPES = ['u8', 'u16', 'u32', 'u64', 'i8', 'i16', 'i32', 'i64', 'be16', 'be32', 'be64', 'ipv4', 'ipv6', 'mac', 'bool8'];
const NAMES = ['a', 'b', '__proto__', 'constructor', '', '"', "'", '\\', '}', '${x}', '\u2028', 'toString', 'then', '0', '-1'];

/** A layout spec, valid most of the time. */
function layoutFields(g) {
  const fields = {};
  for (let n = 1 + g.int(6); n > 0; n--) {
    const typeRoll = g.next();
    const type = typeRoll < 0.8 ? g.pick(FIELD_TYPES)
      : typeRoll < 0.9 ? { bytes: g.size() } : typeRoll < 0.97 ? { cstring: g.size() } : g.pick(['u128', 7, null, {}]);
    const spec = { offset: g.next() < 0.9 ? g.int(24) : g.size(), type };
    if (g.next() < 0.2) spec.endian = g.pick(['little', 'big', 'middle']);
    if (g.next() < 0.15) spec.bits = [g.int(40) - 4, g.int(40) - 4];
    if (g.next() < 0.15) spec.count = g.pick([0, 1, 2, 5, -1, 1.5]);
    fields[g.pick(NAMES) + (g.next() < 0.5 ? String(n) : '')] = spec;
  }
  return fields;
}

const KINDS = ['int', 'ptr', 'float', 'array', 'struct', 'union', 'enum', 'alias', 'var', 'datasec', 'unsupported'];

/** A BTF type table as native/btf.cc describes one, with ids that may dangle. */
function btfTable(g) {
  const count = 1 + g.int(12);
  const ref = () => (g.next() < 0.9 ? 1 + g.int(count) : g.pick([0, count + 1, -1, 2 ** 32]));
  const types = {};
  for (let id = 1; id <= count; id++) {
    const kind = g.pick(KINDS);
    const t = { kind, size: g.pick([1, 2, 4, 8, 16, 3, 0, g.int(40)]) };
    if (g.next() < 0.5) t.name = g.pick(NAMES);
    switch (kind) {
      case 'int':
        Object.assign(t, { encoding: g.pick(['signed', 'unsigned', 'char', 'bool']), bits: g.pick([1, 7, 8, 16, 32, 33, 64, 128, g.int(129)]), bitOffset: g.pick([0, 0, 0, 3, g.int(64)]) });
        break;
      case 'array':
        Object.assign(t, { type: ref(), length: g.pick([0, 1, 4, 16, g.int(64)]), chars: g.next() < 0.3 });
        break;
      case 'struct':
      case 'union':
        t.members = Array.from({ length: g.int(6) }, () => ({ name: g.pick(NAMES), type: ref(), bitOffset: g.int(128), bitSize: g.pick([0, 0, 1, 5, 32, 33, 64]) }));
        break;
      case 'enum':
        t.signed = g.next() < 0.5;
        t.values = Array.from({ length: g.int(5) }, () => ({ name: g.pick(NAMES), value: g.next() < 0.3 ? BigInt(g.int(1000)) - 500n : g.int(1000) - 500 }));
        break;
      case 'alias':
      case 'var':
        t.type = ref();
        break;
      case 'datasec':
        t.vars = Array.from({ length: g.int(4) }, () => ({ type: ref(), offset: g.int(32) }));
        break;
    }
    types[String(id)] = t;
  }
  return { valueTypeId: ref(), keyTypeId: ref(), types };
}

/**
 * Raw BTF bytes, more or less: a header (mostly right), types of known kinds with vlens that may
 * overrun, name offsets that may point anywhere, strings that may lack their last NUL.
 */
function rawBtf(g) {
  const words = [];
  for (let n = g.int(12); n > 0; n--) {
    const kind = g.next() < 0.9 ? 1 + g.int(19) : g.int(32);
    const vlen = g.pick([0, 1, 2, 3, g.int(70000)]);
    words.push(g.int(40), ((g.next() < 0.3 ? 1 << 31 : 0) | (kind << 24) | (vlen & 0xffff)) >>> 0, g.int(1 << 16));
    for (let k = g.int(8); k > 0; k--) words.push(g.next() < 0.7 ? g.int(64) : g.int(2 ** 32));
  }
  const types = Buffer.from(new Uint32Array(words).buffer);
  const strings = g.next() < 0.8 ? Buffer.from(`\0${g.bytes(g.int(40)).toString('latin1')}\0`, 'latin1') : g.bytes(g.int(40));
  const header = Buffer.alloc(24);
  header.writeUInt16LE(g.next() < 0.95 ? 0xeb9f : g.int(65536), 0);
  header.writeUInt32LE(g.next() < 0.9 ? 24 : g.int(64), 4);
  header.writeUInt32LE(g.next() < 0.9 ? 0 : g.int(64), 8);
  header.writeUInt32LE(g.next() < 0.9 ? types.length : g.int(types.length + 64), 12);
  header.writeUInt32LE(g.next() < 0.9 ? types.length : g.int(types.length + 64), 16);
  header.writeUInt32LE(g.next() < 0.9 ? strings.length : g.int(strings.length + 64), 20);
  const raw = Buffer.concat([header, types, strings]);
  return g.next() < 0.05 ? raw.subarray(0, g.int(raw.length)) : raw;
}

const C_NAMES = [undefined, undefined, 'a', 'node', 'long int', 'int', '__builtin_va_list', '__gnuc_va_list', '__Poly8_t', 'bpf_kfunc', '\u00e9'];
const C_KINDS = ['int', 'ptr', 'array', 'struct', 'union', 'enum', 'fwd', 'typedef', 'volatile', 'const', 'restrict', 'func', 'func_proto', 'var', 'datasec', 'float', 'decl_tag', 'type_tag', 'enum64'];

/** BTF records as btfTypesOf makes them, ids 1…n in order, referring to any id (some past the last). */
function btfRecords(g) {
  const n = 1 + g.int(12);
  const ref = () => g.int(n + 2);
  const name = () => g.pick(C_NAMES);
  const size = () => g.pick([0, 1, 2, 4, 8, 16, g.int(64)]);
  return Array.from({ length: n }, (_, i) => {
    const base = { id: i + 1, name: name(), kind: g.pick(C_KINDS) };
    switch (base.kind) {
      case 'int': return { ...base, size: size(), bitsOffset: 0, nrBits: 8 * size(), encoding: g.pick(['none', 'signed', 'char', 'bool']) };
      case 'array': return { ...base, typeId: ref(), indexTypeId: ref(), nrElems: g.pick([0, 1, 3, 2 ** 32 - 1]) };
      case 'struct': case 'union':
        return { ...base, size: size(), members: Array.from({ length: g.int(5) }, () => ({ name: name(), typeId: ref(), bitsOffset: g.int(256), bitfieldSize: g.next() < 0.3 ? 1 + g.int(40) : undefined })) };
      case 'enum': return { ...base, size: size(), signed: g.next() < 0.5, values: Array.from({ length: g.int(3) }, () => ({ name: name(), value: g.int(2 ** 32) - 2 ** 31 })) };
      case 'enum64': return { ...base, size: size(), signed: g.next() < 0.5, values: Array.from({ length: g.int(3) }, () => ({ name: name(), value: BigInt(g.int(2 ** 32)) << BigInt(g.int(33)) })) };
      case 'fwd': return { ...base, fwdKind: g.pick(['struct', 'union']) };
      case 'func': case 'var': return { ...base, typeId: ref(), linkage: g.pick(['static', 'global', 'extern']) };
      case 'func_proto': return { ...base, retTypeId: ref(), params: Array.from({ length: g.int(4) }, () => ({ name: name(), typeId: ref() })) };
      case 'datasec': return { ...base, size: size(), vars: [{ typeId: ref(), offset: 0, size: size() }] };
      case 'float': return { ...base, size: size() };
      case 'decl_tag': return { ...base, typeId: ref(), componentIdx: g.pick([-1, 0, 1]) };
      default: return { ...base, typeId: ref() };
    }
  });
}

/** x86-64 code the BPF JIT wrote: a prologue, stack and map accesses, calls; BMI2 shifts; a %gs read; swaps. */
const JIT_CODE = [
  '0f1f4400004831c0554889e54881ec080000004883f8217706504889e0eb0150505341554889fb8b7b704883e70f897dfc4889ee4883c6fc48bf005c80088188ffffe82dbc50c14885c074044883c0384989c548bf0040ee0000c9ffff488b77',
  '4521ff41bf07000000f7d8d1e0c1e01fc4e279f7c0c4e241f7c0d3e0c4e239f7c0c4e261f7c0c4e201f7c0b807000000d1e7c1e71fc4e279f7ffc4e241f7ffd3',
  '48c7c034e08f83654803042528e08f838b4000e8b30850c1e85e184cc131c0415f415e415d5bc9c3',
  '0fb7c066c1c8080fb7c0f0480fb17df8f04c0fb15df8f0210df8c3',
].map((hex) => Buffer.from(hex, 'hex'));

/** The fixed bits of the instruction classes the arm64 JIT writes, [mask, value] (test/unit/arm64.test.ts names them). */
const ARM64_CLASSES = [
  [0x7c000000, 0x14000000], [0x7e000000, 0x34000000], [0xff000010, 0x54000000], [0xff9ffc1f, 0xd61f0000], [0xfffff01f, 0xd503201f],
  [0xfffff09f, 0xd503309f], [0xfff00000, 0xd5300000], [0x1f000000, 0x10000000], [0x1f800000, 0x11000000], [0x1f800000, 0x12000000],
  [0x1f800000, 0x12800000], [0x1f800000, 0x13000000], [0x3f000000, 0x18000000], [0x3f000000, 0x39000000], [0x3f200c00, 0x38200800],
  [0x3f200000, 0x38000000], [0x3f200c00, 0x38200000], [0x3f000000, 0x08000000], [0x3e000000, 0x28000000], [0x1f000000, 0x0a000000],
  [0x1f200000, 0x0b000000], [0x1f200000, 0x0b200000], [0x7fe00000, 0x1ac00000], [0x7fff0000, 0x5ac00000], [0x7fe00000, 0x1b000000],
];

/** Decodes `code` from its start with a machine decoder: each decode a length within the code and a text, and nothing thrown. */
function decodeAll(g, name, decode, code) {
  for (let at = 0; at < code.length;) {
    let decoded;
    try {
      decoded = decode(code, at, BigInt(g.int(2 ** 31)) << BigInt(g.int(33)));
    } catch (err) {
      throw new Error(`${name} threw at ${at}: ${err.message}`); // it never throws, not even the documented errors
    }
    const { length, text } = decoded;
    if (!Number.isInteger(length) || length < 1 || at + length > code.length || typeof text !== 'string' || text === '') throw new Error(`${name} at ${at}: length ${length}, text ${text}`);
    at += length;
  }
}

/** Targets: name → (generator) => void. */
const targets = {
  mountinfo(g) {
    const mounts = parseMounts(mountinfoText(g), 'bpf');
    if (!Array.isArray(mounts) || mounts.some((m) => typeof m !== 'string' || m === '')) throw new Error('parseMounts returned a non-path');
  },
  layout(g) {
    const layout = defineLayout(layoutFields(g), g.next() < 0.8 ? undefined : g.size());
    const buf = g.bytes(g.int(96));
    layout.decode(buf, g.next() < 0.8 ? 0 : g.size());
    const count = g.next() < 0.7 ? undefined : g.size();
    const stride = g.next() < 0.7 ? undefined : g.size();
    const offset = g.next() < 0.8 ? 0 : g.size();
    const records = layout.decodeAll(buf, count, stride, offset);
    // Columns hold what the records hold, field by field (bigints and NaN compared as strings).
    const columns = layout.decodeColumns(buf, count, stride, offset);
    for (const name of Object.keys(layout.fields)) {
      const column = Array.from(columns[name]);
      if (column.length !== records.length) throw new Error(`column ${name}: ${column.length} values for ${records.length} records`);
      column.forEach((value, i) => {
        if (String(value) !== String(records[i][name])) throw new Error(`column ${name}[${i}] = ${String(value)}, record has ${String(records[i][name])}`);
      });
    }
  },
  btf(g) {
    const table = btfTable(g);
    const decoders = new BtfDecoders(table);
    const buf = g.bytes(g.int(128));
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    decoders.get(table.valueTypeId)(view, buf, g.int(8));
  },
  btfRaw(g) {
    const raw = rawBtf(g);
    const types = btfTypesOf(raw, g.next() < 0.3 ? rawBtf(g) : undefined);
    if (!Array.isArray(types) || types.some((t, i) => i > 0 && t.id !== types[i - 1].id + 1)) throw new Error('btfTypesOf numbered its types out of order');
  },
  // Instructions of any bytes, calls anywhere; and prototypes of random BTF's types.
  disasm(g) {
    const insns = g.bytes(8 * g.int(12) + g.pick([0, 0, 0, 4]));
    const calls = new Map(Array.from({ length: g.int(4) }, () => [g.int(12), g.next() < 0.5 ? { address: BigInt(g.int(2 ** 31)) } : { address: 0n, symbol: 'f' }]));
    for (let i = 0; i < Math.floor(insns.length / 8); i++) {
      if (typeof instructionText(insns, i, calls, g.next() < 0.5) !== 'string') throw new Error('instructionText returned no text');
    }
    const types = btfTypesOf(rawBtf(g));
    for (let id = 0; id <= types.length + 1; id++) {
      const text = btfTypeText(types, id);
      if (text !== undefined && typeof text !== 'string') throw new Error('btfTypeText returned no text');
    }
  },
  // x86-64 bytes, random or a JIT's instructions with bytes changed or cut: every decode a length
  // within the code and a text, whatever the bytes.
  x86(g) {
    const code = g.next() < 0.5 ? g.bytes(1 + g.int(32)) : Buffer.from(g.pick(JIT_CODE));
    for (let i = g.int(4); i > 0; i--) code[g.int(code.length)] = g.int(256);
    decodeAll(g, 'decodeX86', decodeX86, g.next() < 0.2 ? code.subarray(0, 1 + g.int(code.length)) : code);
  },
  // AArch64 words, random or of the classes the arm64 JIT writes (a class's fixed bits, the rest
  // random), sometimes cut short of a whole word: the same checks, and each call target found at
  // a whole word's offset, a u64.
  arm64(g) {
    const words = Array.from({ length: 1 + g.int(16) }, () => {
      const w = g.int(2 ** 32);
      if (g.next() < 0.3) return w;
      const [mask, value] = g.pick(ARM64_CLASSES);
      return ((w & ~mask) | value) >>> 0;
    });
    const code = Buffer.alloc(words.length * 4);
    words.forEach((w, i) => code.writeUInt32LE(w, i * 4));
    const cut = g.next() < 0.2 ? code.subarray(0, 1 + g.int(code.length)) : code;
    decodeAll(g, 'decodeArm64', decodeArm64, cut);
    for (const [at, target] of arm64RegisterCalls(cut)) {
      if (at % 4 || at + 4 > cut.length || typeof target !== 'bigint' || target < 0n || target >= 1n << 64n) throw new Error(`arm64RegisterCalls: ${at} → ${target}`);
    }
  },
  // ELF files of 32 and 64 bits, more or less, around raw BTF: section headers anywhere, names past their table.
  elfBtf(g) {
    const btf = rawBtf(g);
    // Sometimes big-endian, as clang -target bpfeb writes it (for rawBtfOf to swap back): the magic,
    // the header's u32s and the u32 words that follow, however the header's lengths read.
    if (g.next() < 0.2 && btf.length >= 24) {
      btf.subarray(0, 2).reverse();
      for (let at = 4; at + 4 <= btf.length && at < 24 + 4 * g.int(64); at += 4) btf.subarray(at, at + 4).reverse();
    }
    // A 64-bit file, or a third of the time a 32-bit one (headers of 52 and 40 bytes, u32 words);
    // its class byte sometimes says the other, or neither.
    const wide = g.next() < 0.67;
    const [fileHeader, sectionHeader] = wide ? [64, 64] : [52, 40];
    const elf = Buffer.alloc(fileHeader + 3 * sectionHeader + 16 + btf.length);
    elf.write('\x7fELF', 0, 'latin1');
    elf[4] = g.next() < 0.9 ? (wide ? 2 : 1) : g.int(4);
    elf[5] = g.next() < 0.9 ? 1 : g.int(4);
    const names = fileHeader + 3 * sectionHeader;
    elf.write('\0.shstrtab\0.BTF\0', names, 'latin1');
    btf.copy(elf, names + 16);
    const pick = (good, bad) => (g.next() < 0.95 ? good : bad);
    const word = (value, at) => (wide ? elf.writeBigUInt64LE(value, at) : elf.writeUInt32LE(Number(value & 0xffffffffn), at));
    const [shoff, shentsize, shnum, shstrndx, shOffset, shSize] = wide ? [0x28, 0x3a, 0x3c, 0x3e, 24, 32] : [0x20, 0x2e, 0x30, 0x32, 16, 20];
    word(BigInt(pick(fileHeader, g.int(elf.length + 64))), shoff);
    elf.writeUInt16LE(pick(sectionHeader, g.int(80)), shentsize);
    elf.writeUInt16LE(pick(3, g.int(65536)), shnum);
    elf.writeUInt16LE(pick(1, g.int(5)), shstrndx);
    // Section 1: the names; section 2: .BTF.
    for (const [i, name, offset, size] of [[1, 1, names, 16], [2, 11, names + 16, btf.length]]) {
      const h = fileHeader + i * sectionHeader;
      elf.writeUInt32LE(pick(name, g.int(40)), h);
      word(BigInt(pick(offset, g.int(elf.length + 64))), h + shOffset);
      word(pick(BigInt(size), BigInt(g.int(2 ** 31)) << BigInt(g.int(32))), h + shSize);
    }
    const bytes = g.next() < 0.1 ? elf.subarray(0, g.int(elf.length)) : elf;
    let raw;
    try {
      raw = rawBtfOf(bytes, 'fuzz.o');
    } catch (err) {
      // Node's own RangeError for a Buffer read past the end is a length the parser did not check.
      if (err.code === 'ERR_BUFFER_OUT_OF_BOUNDS' || err.code === 'ERR_OUT_OF_RANGE') throw new Error(`unchecked read: ${err.message}`);
      throw err;
    }
    if (!Buffer.isBuffer(raw)) throw new Error('rawBtfOf returned no bytes');
    btfTypesOf(raw);
  },
  // C of random BTF records: loops of any kind, dangling ids, odd offsets and sizes, sorted or not, roots anywhere.
  btfC(g) {
    const types = btfRecords(g);
    const roots = g.next() < 0.3 ? Array.from({ length: g.int(4) }, () => g.int(types.length + 2)) : undefined;
    if (typeof btfToC(types, { roots, sorted: g.next() < 0.7 }) !== 'string') throw new Error('btfToC returned no text');
  },
  cilium(g) {
    const name = g.pick(Object.keys(cilium.decode));
    const { keys, values, count, options } = ciliumInput(g, name);
    const records = cilium.decode[name](keys, values, count, options);
    if (!Array.isArray(records)) throw new Error(`cilium.decode.${name} returned no array`);
    const format = cilium.format[name];
    if (typeof format === 'function') {
      const text = format(records, g.next() < 0.5 ? {} : { version: g.pick(cilium.versions) });
      if (typeof text !== 'string') throw new Error(`cilium.format.${name} returned no text`);
    }
  },
  mapDump(g) {
    const keySize = g.pick([1, 4, 8, 13, 0]), valueSize = g.pick([1, 4, 8, 24, 0]);
    const cpus = g.next() < 0.3 ? 1 + g.int(4) : 0;
    const valueStride = cpus ? ((valueSize + 7) & ~7) * cpus : valueSize;
    const count = g.int(8);
    const raw = { count, keys: g.bytes(count * keySize + g.int(4)), values: g.bytes(count * valueStride + g.int(4)), keySize, valueSize, valueStride, cpus, batched: true };
    const type = cpus ? 'percpu_hash' : g.pick(['hash', 'array', 'prog_array', 'hash_of_maps', 'lpm_trie']);
    const dump = new MapDump(raw, type, null); // null: a map without BTF
    for (const entry of dump) if (!entry) throw new Error('no entry');
    if (dump.toJSON().length !== count) throw new Error('toJSON lost entries');
    dump.decode(); // no BTF: bpftool's hex entries
    if (cpus) dump.cpuValues(g.int(count + 1));
    if (type === 'prog_array' || type === 'hash_of_maps') dump.id(g.int(count + 1));
    const layout = defineLayout(layoutFields(g));
    if (cpus) dump.perCpuRecords(layout, layout);
    else dump.records(layout, layout);
    dump.columns(layout, layout);
    dump.key(g.int(count + 2) - 1);
  },
};

// Errors V8 raises for a bug, not for input bpfscope rejects on purpose: they are TypeErrors and
// RangeErrors too, so they are told apart by message. A DataView read past a buffer's end
// ("Offset is outside the bounds") is the documented RangeError of a record that does not fit.
const INTERNAL = [/Cannot read properties/, /is not a function/, /is not iterable/, /Cannot mix BigInt/,
  /Cannot convert/, /Maximum call stack/, /Invalid array length/, /is not a constructor/];

/**
 * The (keySize, valueSize) pairs of each decoder's layouts, both families' where a map has an IPv4
 * and an IPv6 table ('conntrack4' and 'conntrack6', 'services' and 'services6'), so most inputs
 * reach its decoding.
 */
function ciliumShapes(name) {
  const tables = Object.entries(cilium.layouts).filter(([table]) => table.replace(/[46]$/, '') === name).map(([, rows]) => rows);
  if (tables.length === 0) throw new Error(`no layout table for cilium.decode.${name}`);
  return tables.flatMap((rows) => rows.map((r) => [r.keySize, r.valueSize]));
}

/** Packed keys and values for a Cilium decoder: mostly one layout's sizes, sometimes not. */
function ciliumInput(g, name) {
  const count = g.pick([0, 1, 2, 5, g.int(20)]);
  const [keySize, valueSize] = g.next() < 0.85 ? g.pick(ciliumShapes(name)) : [1 + g.int(70), 1 + g.int(70)];
  const exact = g.next() < 0.9;
  const keys = g.bytes(exact ? count * keySize : g.int(200));
  const values = g.bytes(exact ? count * valueSize * (g.next() < 0.2 ? 1 + g.int(4) : 1) : g.int(400));
  const options = {};
  if (g.next() < 0.5) options.version = g.next() < 0.9 ? g.pick(cilium.versions) : g.pick(['1.9', '2.0', 'x', '1.16.15', '']);
  if (g.next() < 0.1) options.keySize = g.pick([keySize, 0, -1, 1.5]);
  if (g.next() < 0.1) options.valueSize = g.pick([valueSize, 0, 7]);
  return { keys, values, count: g.next() < 0.95 ? count : g.pick([-1, 1.5, count + 1]), options };
}

/** Runs iteration `i` of `seed` on `name`: undefined, or the unexpected error. */
function runOne(name, seed, i) {
  const g = generator((Math.imul(seed, 1000003) + i) >>> 0);
  try {
    targets[name](g);
  } catch (err) {
    const documented = (err instanceof RangeError || err instanceof TypeError) && !INTERNAL.some((re) => re.test(err.message));
    return documented ? undefined : err;
  }
  return undefined;
}

module.exports = { targets, runOne };

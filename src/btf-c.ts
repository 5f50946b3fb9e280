// BTF as C: `bpftool btf dump … format c`, the vmlinux.h that BPF programs in C include. The text is
// bpftool 7.5's (Linux 6.12) over libbpf 1.5's btf_dump, byte for byte, so that a header made here
// and one made by bpftool can be diffed:
// - bpftool's part: the guards around the header; the order of the types (sorted by a rank of
//   their kind, then their names, then a hash of their members, unless `sorted: false`); the kfunc
//   prototypes (every function tagged `bpf_kfunc`) at the end. bpftool 7.5 and older leave out the
//   first type of their sorted order (their loop over it starts at 1, meant to skip void, which
//   sorts among the last); later bpftool writes it, as this does.
// - libbpf's part: each type is dumped after what it needs, in two passes as btf_dump.c makes them.
//   The first orders: a struct or union that another embeds comes first, whole; one that another
//   only points to can wait, with a forward declaration. The second writes: names that repeat get
//   `___2`, `___3`… in the order they are first written; anonymous structs, unions and enums are
//   written inline where they are used; holes between members become `long: 64;`-style padding;
//   a struct whose members are not naturally aligned gets `__attribute__((packed))`.
import { btfObjectTypes, readBtfFile, type BtfTypeRecord } from './btf-dump';
import { checkOptions } from './validate';

export interface BtfCOptions {
  /**
   * Only these types and what they need, as bpftool dumps a map's key and value (`btf dump map`):
   * in this order, with no kfunc prototypes. Without it, every type.
   */
  roots?: readonly number[];
  /** Every type in id order, as `format c unsorted`; sorted as bpftool sorts them by default. */
  sorted?: boolean;
  /**
   * The size of a pointer, which decides padding (`long: 32;` or `long: 64;`): libbpf takes it
   * from an ELF file's class (dumpBtfFileC passes it), and otherwise, as by default here, from the
   * size of `long` in the types, or the host's when they have none.
   */
  pointerSize?: 4 | 8;
}

type Struct = Extract<BtfTypeRecord, { kind: 'struct' | 'union' }>;
type Enum = Extract<BtfTypeRecord, { kind: 'enum' | 'enum64' }>;
type FuncProto = Extract<BtfTypeRecord, { kind: 'func_proto' }>;

const enum Order { NotOrdered, Ordering, Ordered }
const enum Emit { NotEmitted, Emitting, Emitted }

/** The kinds that only qualify the type they point to (btf_is_mod): volatile, const, restrict, type tag. */
const MODIFIERS = new Set(['volatile', 'const', 'restrict', 'type_tag']);
/** The spellings of `long` whose size libbpf takes for a pointer's (determine_ptr_size). */
const LONG_NAMES = new Set(['long', 'long int', 'int long', 'unsigned long', 'long unsigned', 'unsigned long int', 'unsigned int long', 'long unsigned int', 'long int unsigned', 'int unsigned long', 'int long unsigned']);
/** Typedefs GCC emits for its internal Arm SIMD types, which libbpf writes as aliases of base types. */
const MISSING_BASE_TYPES = new Map([['__Poly8_t', 'unsigned char'], ['__Poly16_t', 'unsigned short'], ['__Poly64_t', 'unsigned long long'], ['__Poly128_t', 'unsigned __int128']]);
/** libbpf's resolve depth (MAX_RESOLVE_DEPTH): a chain longer has no size. */
const MAX_RESOLVE_DEPTH = 32;

const HEADER = `#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif

#ifndef __ksym
#define __ksym __attribute__((section(".ksyms")))
#endif

#ifndef __weak
#define __weak __attribute__((weak))
#endif

`;
const FOOTER = `#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __VMLINUX_H__ */
`;

/**
 * The C declarations of BTF types, as `bpftool btf dump … format c` prints them: `types` is every
 * type of the object from id 1 (dumpBtf's records of vmlinux, a program or a map; of a module, the
 * base's records followed by its own). Throws a RangeError for types not numbered from 1, a root
 * id past them, a reference past the last, and types that loop other than through a pointer to a
 * named struct: all of which the kernel refuses to load.
 */
export function btfToC(types: readonly BtfTypeRecord[], options: BtfCOptions = {}): string {
  types.forEach((t, i) => {
    if (t.id !== i + 1) throw new RangeError(`btfToC: types[${i}] has id ${t.id}: give every type from id 1, in order`);
  });
  const { roots, sorted = true, pointerSize } = options;
  if (pointerSize !== undefined && pointerSize !== 4 && pointerSize !== 8) throw new RangeError(`btfToC: pointerSize must be 4 or 8, got ${String(pointerSize)}`);
  for (const id of roots ?? []) {
    if (!Number.isInteger(id) || id < 0 || id > types.length) throw new RangeError(`invalid root ID: ${id}`);
  }
  checkChains(types);
  const dumper = new CDumper(types, pointerSize);
  const text = new TextSink();
  text.append(HEADER);
  if (roots !== undefined) {
    for (const id of roots) text.append(dumper.dumpType(id));
  } else {
    for (const id of sorted ? sortedTypeIds(types) : types.map((t) => t.id)) text.append(dumper.dumpType(id));
    text.append(kfuncPrototypes(types, dumper));
  }
  text.append(FOOTER);
  return text.toString();
}

/**
 * BTF object `id` as C (`bpftool btf dump id <id> format c`): btfToC of its types; of a module's,
 * with vmlinux's types it builds on, as bpftool dumps them. Rejects as dumpBtf does.
 */
export async function dumpBtfC(id: number, options: BtfCOptions = {}): Promise<string> {
  return btfToC(await btfObjectTypes(id, true), options);
}

/**
 * A BTF file as C (`bpftool [-B base] btf dump file <path> format c`): btfToC of its types (on its
 * base's, as dumpBtfFile reads them), with an ELF file's pointer size from its class, as libbpf
 * takes it. Rejects as dumpBtfFile does.
 */
export async function dumpBtfFileC(path: string, options: BtfCOptions & { base?: string } = {}): Promise<string> {
  const { base, ...c } = checkOptions<BtfCOptions & { base?: string }>(options, ['roots', 'sorted', 'pointerSize', 'base'], 'dumpBtfFileC options');
  const file = await readBtfFile(path, true, base);
  return btfToC(file.types, { pointerSize: file.pointerSize, ...c });
}

/**
 * Text gathered as UTF-8 in a buffer, a block at a time. Kept as one string made of its pieces, a
 * header's millions of pieces lived through young-generation collections, each copying them all:
 * most of the time vmlinux's dump took. Written out, each block's pieces die young.
 */
class TextSink {
  private static readonly BLOCK = 1 << 16;
  private bytes = Buffer.allocUnsafe(1 << 20);
  private length = 0;
  private block = '';

  append(text: string): void {
    this.block += text;
    if (this.block.length >= TextSink.BLOCK) this.flush();
  }

  toString(): string {
    this.flush();
    return this.bytes.toString('utf8', 0, this.length);
  }

  private flush(): void {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    if (this.length + this.block.length * 3 > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + this.block.length * 3));
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    this.length += this.bytes.write(this.block, this.length, 'utf8');
    this.block = '';
  }
}

/**
 * bpftool's `extern <prototype> __weak __ksym;` for each function a `bpf_kfunc` declaration tag
 * marks (the kernel's kfuncs), in the order of the tags, as bpftool 7.5 (Linux 6.12's) writes them.
 * Later bpftool sorts them by name: the same order for vmlinux's, whose tags pahole writes sorted,
 * but not for a module's on it, whose kfuncs follow vmlinux's here.
 */
function kfuncPrototypes(types: readonly BtfTypeRecord[], dumper: CDumper): string {
  const kfuncs: Extract<BtfTypeRecord, { kind: 'func' }>[] = [];
  for (const t of types) {
    if (t.kind !== 'decl_tag' || t.componentIdx !== -1 || t.name !== 'bpf_kfunc') continue;
    const func = types[t.typeId - 1];
    if (func?.kind === 'func') kfuncs.push(func);
  }
  let text = '\n/* BPF kfuncs */\n#ifndef BPF_NO_KFUNC_PROTOTYPES\n';
  for (const func of kfuncs) text += `extern ${dumper.declaration(func.typeId, func.name ?? '')} __weak __ksym;\n`;
  return `${text}#endif\n\n`;
}

/**
 * The `i`th type that type `t` is declared through (or, for a declaration tag, tags), or -1 past
 * the last: not a struct's members, whose loops ordering resolves or reports.
 */
function declaredThrough(t: BtfTypeRecord, i: number): number {
  switch (t.kind) {
    case 'ptr': case 'const': case 'volatile': case 'restrict': case 'type_tag': case 'typedef': case 'array': case 'decl_tag':
      return i === 0 ? t.typeId : -1;
    case 'func_proto':
      return i === 0 ? t.retTypeId : i <= t.params.length ? t.params[i - 1].typeId : -1;
    default:
      return -1;
  }
}

/**
 * Throws a RangeError for a loop of pointers, modifiers, arrays, typedefs, prototypes and tags, which no
 * C declaration can write (the kernel refuses such BTF; a file or hand-made records may hold one).
 * Every walk of the types afterwards ends.
 */
function checkChains(types: readonly BtfTypeRecord[]): void {
  const state = new Uint8Array(types.length + 1); // 0 not seen, 1 on the current path, 2 done
  // Depth first without recursion: the path's types, and how many of each one's references are walked.
  const path = new Int32Array(types.length + 1);
  const walked = new Int32Array(types.length + 1);
  for (const start of types) {
    if (state[start.id] !== 0) continue;
    let depth = 0;
    path[0] = start.id;
    walked[0] = 0;
    state[start.id] = 1;
    while (depth >= 0) {
      const next = declaredThrough(types[path[depth] - 1], walked[depth]++);
      if (next < 0) {
        state[path[depth--]] = 2;
        continue;
      }
      if (next === 0 || next > types.length || state[next] === 2) continue;
      if (state[next] === 1) throw new RangeError(`BTF: type ${next} is declared through itself (a loop of pointers, modifiers, arrays, typedefs, prototypes or tags)`);
      state[next] = 1;
      path[++depth] = next;
      walked[depth] = 0;
    }
  }
}

/** strcmp's order: by UTF-16 code unit, which is by byte for the ASCII that C names are. */
function compareBytes(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

const MAX_RANK = 10;

/**
 * The ids of `types` in bpftool's order (sort_btf_c): a rank of each type's kind, then the name it
 * sorts by, then its own, then a hash of its names and its members', then its id.
 */
export function sortedTypeIds(types: readonly BtfTypeRecord[]): number[] {
  const byId = (id: number): BtfTypeRecord | undefined => types[id - 1];
  const rank = (id: number, named: boolean): number => {
    const t = byId(id);
    if (t === undefined) return MAX_RANK;
    named ||= t.name !== undefined;
    switch (t.kind) {
      case 'enum': case 'enum64': return named ? 1 : 0;
      case 'int': case 'float': return 2;
      case 'struct': case 'union': return named ? 3 : MAX_RANK;
      case 'func_proto': return named ? 4 : MAX_RANK;
      case 'array': case 'type_tag': case 'const': case 'ptr': case 'volatile': case 'restrict': case 'typedef': case 'decl_tag':
        return named ? rank(t.typeId, named) : MAX_RANK;
      default: return MAX_RANK;
    }
  };
  // An anonymous enum sorts by its first value's name, unless reached through another type.
  const sortName = (id: number, fromRef: boolean): string => {
    const t = byId(id);
    if (t === undefined) return '';
    switch (t.kind) {
      case 'enum': case 'enum64': return t.name ?? (!fromRef && t.values.length > 0 ? t.values[0].name ?? '' : '');
      case 'array': case 'type_tag': case 'const': case 'ptr': case 'volatile': case 'restrict': case 'typedef': case 'decl_tag':
        return sortName(t.typeId, true);
      default: return t.name ?? '';
    }
  };
  const count = types.length + 1;
  const ranks = new Uint8Array(count).fill(MAX_RANK);
  const sortNames = new Array<string>(count).fill('');
  const ownNames = new Array<string>(count).fill('');
  for (const t of types) {
    ranks[t.id] = rank(t.id, false);
    sortNames[t.id] = sortName(t.id, false);
    ownNames[t.id] = t.name ?? '';
  }
  const ids = Array.from({ length: count - 1 }, (_, i) => i + 1);
  const sameNames = (a: number, b: number) => ranks[a] === ranks[b] && sortNames[a] === sortNames[b] && ownNames[a] === ownNames[b];
  ids.sort((a, b) => ranks[a] - ranks[b] || compareBytes(sortNames[a], sortNames[b]) || compareBytes(ownNames[a], ownNames[b]) || a - b);
  // Types whose rank and names tie go by the hash of their names and members, worked out for
  // them alone (and what their hashes take): the costliest key, which most types never reach.
  const hashes = new DisambiguationHashes(byId, count);
  for (let start = 0, end = 1; start < ids.length; start = end, end = start + 1) {
    while (end < ids.length && sameNames(ids[start], ids[end])) end++;
    if (end - start === 1) continue;
    const tied = ids.slice(start, end);
    for (const id of tied) hashes.compute(id);
    const { hi, lo } = hashes;
    tied.sort((a, b) => hi[a] - hi[b] || lo[a] - lo[b] || a - b);
    for (let i = 0; i < tied.length; i++) ids[start + i] = tied[i];
  }
  return ids;
}

// C's `char` is signed on x86 and unsigned on Arm: str_hash adds a name's bytes as that char.
const SIGNED_CHAR = process.arch === 'x64' || process.arch === 'ia32';
const TWO_32 = 0x100000000;

/** bpftool's 64-bit hash (h = h * 31 + v, wrapping) in two u32 halves, which numbers hold exactly (BigInt arithmetic allocates at each step). */
class Hash64 {
  hi = 0;
  lo = 0;

  /** h = h * 31 + v, v given as its halves. */
  add(hi: number, lo: number): void {
    const low = this.lo * 31 + lo;
    const carry = Math.floor(low / TWO_32);
    this.lo = low - carry * TWO_32;
    this.hi = (Math.imul(this.hi, 31) + carry + hi) >>> 0;
  }

  /** libbpf's str_hash of `name` (h = h * 31 + c over its bytes, from 0), added. */
  addName(name: string): void {
    // C names are ASCII: their chars are their bytes, added with no carry out of the low half
    // beyond what h * 31 makes. Anything else goes by its UTF-8 bytes.
    let hi = 0;
    let lo = 0;
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      if (c > 127) return this.addBytes(Buffer.from(name, 'utf8'));
      const low = lo * 31 + c;
      const carry = Math.floor(low / TWO_32);
      lo = low - carry * TWO_32;
      hi = (Math.imul(hi, 31) + carry) >>> 0;
    }
    this.add(hi, lo);
  }

  /** str_hash over bytes, each a C char: signed on x86, where one past 127 is added as its 64-bit two's complement. */
  private addBytes(bytes: Buffer): void {
    const hash = new Hash64();
    for (const c of bytes) {
      if (SIGNED_CHAR && c > 127) hash.add(0xffffffff, c - 256 + TWO_32);
      else hash.add(0, c);
    }
    this.add(hash.hi, hash.lo);
  }
}

/**
 * bpftool's btf_type_disambig_hash of the types asked for: a type's name, its values' names, its
 * members' names and their types' hashes (without their members), through modifiers, pointers and
 * arrays. Each type's two hashes (with members and without) are worked out once.
 */
class DisambiguationHashes {
  private readonly known: [Uint8Array, Uint8Array];
  private readonly his: [Uint32Array, Uint32Array];
  private readonly los: [Uint32Array, Uint32Array];

  constructor(private readonly byId: (id: number) => BtfTypeRecord | undefined, count: number) {
    this.known = [new Uint8Array(count), new Uint8Array(count)];
    this.his = [new Uint32Array(count), new Uint32Array(count)];
    this.los = [new Uint32Array(count), new Uint32Array(count)];
  }

  /** The hashes with members, in halves by id: those compute() worked out. */
  get hi(): Uint32Array {
    return this.his[1];
  }

  get lo(): Uint32Array {
    return this.los[1];
  }

  /** Works out type `id`'s hash with members (and what it takes). */
  compute(id: number): void {
    this.hashOf(id, 1);
  }

  /** Works out type `id`'s hash (with its members: `withMembers` 1) into the tables. */
  private hashOf(id: number, withMembers: 0 | 1): void {
    if (this.known[withMembers][id] !== 0) return;
    // Marked first, so that types that loop (which btfToC refuses before sorting) end at a hash of 0.
    this.known[withMembers][id] = 1;
    const hash = new Hash64();
    const t = this.byId(id);
    const add = (of: number, members: 0 | 1): void => {
      this.hashOf(of, members);
      hash.add(this.his[members][of], this.los[members][of]);
    };
    if (t?.name !== undefined) hash.addName(t.name);
    switch (t?.kind) {
      case 'enum': case 'enum64':
        for (const v of t.values) if (v.name !== undefined) hash.addName(v.name);
        break;
      case 'struct': case 'union':
        if (withMembers === 0) break;
        for (const m of t.members) {
          if (m.name !== undefined) hash.addName(m.name);
          add(m.typeId, 0);
        }
        break;
      case 'type_tag': case 'const': case 'ptr': case 'volatile': case 'restrict': case 'typedef': case 'decl_tag':
        add(t.typeId, withMembers);
        break;
      case 'array':
        hash.add(0, t.nrElems);
        add(t.typeId, withMembers);
        break;
      default:
    }
    this.his[withMembers][id] = hash.hi;
    this.los[withMembers][id] = hash.lo;
  }
}

/**
 * libbpf's btf_dump over one set of types: what has been ordered and written stays known from one
 * dumpType() to the next, so that each type is written once, after what it needs.
 */
class CDumper {
  private readonly order: Uint8Array;
  private readonly emit: Uint8Array;
  /** A struct's forward declaration, or a typedef's definition, written ahead of its turn. */
  private readonly fwdEmitted: Uint8Array;
  /** Types another type refers to: an anonymous enum nothing refers to is written on its own. */
  private readonly referenced: Uint8Array;
  /** The names given, `___N` added where a name repeats; set the first time a type is named. */
  private readonly names: (string | undefined)[];
  /** How often each struct, union and enum name, and each typedef and enum value name, has been given. */
  private readonly typeNames = new Map<string, number>();
  private readonly identNames = new Map<string, number>();
  private readonly pointerSize: number;
  /** Each struct's and union's alignment once worked out (-1 until then): every member's writing asks. */
  private readonly structAligns: Int32Array;
  /** The ids whose definitions the ordering pass queued. */
  private queue: number[] = [];
  private out = '';

  constructor(private readonly types: readonly BtfTypeRecord[], pointerSize: number | undefined) {
    const count = types.length + 1;
    this.order = new Uint8Array(count);
    this.order[0] = Order.Ordered; // void
    this.emit = new Uint8Array(count);
    this.fwdEmitted = new Uint8Array(count);
    this.referenced = new Uint8Array(count);
    this.names = new Array<string | undefined>(count);
    this.structAligns = new Int32Array(count).fill(-1);
    const refer = (id: number): void => {
      if (id < count) this.referenced[id] = 1;
    };
    for (const t of types) {
      switch (t.kind) {
        case 'array': refer(t.indexTypeId); refer(t.typeId); break;
        case 'struct': case 'union': for (const m of t.members) refer(m.typeId); break;
        case 'func_proto': for (const p of t.params) refer(p.typeId); break;
        case 'datasec': for (const v of t.vars) refer(v.typeId); break;
        case 'int': case 'enum': case 'enum64': case 'fwd': case 'float': break;
        default: refer(t.typeId);
      }
    }
    // Unless given, libbpf takes a pointer's size from the first 4- or 8-byte integer spelled as a
    // `long`, and the host's where there is none.
    const long = pointerSize === undefined ? types.find((t) => t.kind === 'int' && (t.size === 4 || t.size === 8) && LONG_NAMES.has(t.name ?? '')) : undefined;
    this.pointerSize = pointerSize ?? (long?.kind === 'int' ? long.size : ['ia32', 'arm'].includes(process.arch) ? 4 : 8);
  }

  /** btf_dump__dump_type: type `id` and whatever it needs that is not written yet. */
  dumpType(id: number): string {
    this.queue = [];
    this.orderType(id, false);
    for (const queued of this.queue) this.emitType(queued, 0);
    return this.take();
  }

  /** btf_dump__emit_type_decl: a declaration of `name` as type `id` (e.g. a prototype), at level 0. */
  declaration(id: number, name: string): string {
    return this.typeDecl(id, name, 0);
  }

  private take(): string {
    const text = this.out;
    this.out = '';
    return text;
  }

  private type(id: number): BtfTypeRecord | undefined {
    return this.types[id - 1];
  }

  /**
   * The ordering pass (btf_dump_order_type): queues the definitions type `id` needs before its own.
   * True when the link to it is strong (it must be defined first), false when a forward declaration
   * will do (it was reached through a pointer and has a name). Throws for a loop of types other than
   * through a pointer to a named struct, and for a type id past the last.
   */
  private orderType(id: number, throughPointer: boolean): boolean {
    if (this.order[id] === Order.Ordered) return true;
    const t = this.type(id);
    if (t === undefined) throw new RangeError(`BTF: a type refers to type ${id}, past the last (${this.types.length})`);
    if (this.order[id] === Order.Ordering) {
      if ((t.kind === 'struct' || t.kind === 'union') && throughPointer && t.name !== undefined) return false;
      throw new RangeError(`BTF: unsatisfiable type cycle, id:[${id}]`);
    }
    switch (t.kind) {
      case 'int': case 'float':
        this.order[id] = Order.Ordered;
        return false;
      case 'ptr': {
        const strong = this.orderType(t.typeId, true);
        this.order[id] = Order.Ordered;
        return strong;
      }
      case 'array':
        return this.orderType(t.typeId, false);
      case 'struct': case 'union':
        // Strong only when embedded (no pointer on the way) or anonymous (defined inline even behind one).
        if (throughPointer && t.name !== undefined) return false;
        this.order[id] = Order.Ordering;
        for (const m of t.members) this.orderType(m.typeId, false);
        if (t.name !== undefined) this.queue.push(id);
        this.order[id] = Order.Ordered;
        return true;
      case 'enum': case 'enum64': case 'fwd':
        // Named, or anonymous with nothing referring to it: a declaration of its own.
        if (t.name !== undefined || !this.referenced[id]) this.queue.push(id);
        this.order[id] = Order.Ordered;
        return true;
      case 'typedef':
        if (!this.orderType(t.typeId, throughPointer) && throughPointer) return false;
        this.queue.push(id);
        this.order[id] = Order.Ordered;
        return true;
      case 'volatile': case 'const': case 'restrict': case 'type_tag':
        return this.orderType(t.typeId, throughPointer);
      case 'func_proto': {
        let strong = this.orderType(t.retTypeId, throughPointer);
        for (const p of t.params) strong = this.orderType(p.typeId, throughPointer) || strong;
        return strong;
      }
      default: // func, var, datasec, decl_tag: nothing to declare
        this.order[id] = Order.Ordered;
        return false;
    }
  }

  /**
   * The writing pass (btf_dump_emit_type): writes type `id`'s definition when it is top-level
   * (`container` 0), and before it, the forward declarations its members need. `container` is the
   * struct being written, which its own members may name without a forward declaration.
   */
  private emitType(id: number, container: number): void {
    if (this.emit[id] === Emit.Emitted) return;
    const t = this.type(id);
    if (t === undefined) return;
    const topLevel = container === 0;
    if (this.emit[id] === Emit.Emitting) {
      if (this.fwdEmitted[id]) return;
      if (t.kind === 'struct' || t.kind === 'union') {
        // A struct its own member refers to needs no forward declaration; an anonymous one cannot have one.
        if (id === container || t.name === undefined) return;
        this.out += `${this.structForward(id, t)};\n\n`;
        this.fwdEmitted[id] = 1;
      } else if (t.kind === 'typedef') {
        // A typedef serves as its own forward declaration, for references through a pointer.
        if (!this.isBuiltin(t)) this.out += `${this.typedefDefinition(id, t.typeId)};\n\n`;
        this.fwdEmitted[id] = 1;
      }
      return;
    }
    switch (t.kind) {
      case 'int': {
        const alias = MISSING_BASE_TYPES.get(this.typeName(id));
        if (alias !== undefined) this.out += `typedef ${alias} ${this.typeName(id)};\n\n`;
        this.emit[id] = Emit.Emitted;
        break;
      }
      case 'enum': case 'enum64':
        if (topLevel) this.out += `${this.enumDefinition(id, t, 0)};\n\n`;
        this.emit[id] = Emit.Emitted;
        break;
      case 'ptr': case 'volatile': case 'const': case 'restrict': case 'type_tag': case 'array':
        this.emitType(t.typeId, container);
        break;
      case 'fwd':
        this.out += `${t.fwdKind} ${this.typeName(id)};\n\n`;
        this.emit[id] = Emit.Emitted;
        break;
      case 'typedef':
        this.emit[id] = Emit.Emitting;
        this.emitType(t.typeId, id);
        if (!this.fwdEmitted[id] && !this.isBuiltin(t)) this.out += `${this.typedefDefinition(id, t.typeId)};\n\n`;
        this.emit[id] = Emit.Emitted;
        break;
      case 'struct': case 'union':
        this.emit[id] = Emit.Emitting;
        // Written whole (top-level, or anonymous and so inline): its members' types need what they need.
        if (topLevel || t.name === undefined) {
          const memberContainer = t.name === undefined ? container : id;
          for (const m of t.members) this.emitType(m.typeId, memberContainer);
        } else if (!this.fwdEmitted[id] && id !== container) {
          this.out += `${this.structForward(id, t)};\n\n`;
          this.fwdEmitted[id] = 1;
        }
        if (topLevel) {
          this.out += `${this.structDefinition(id, t, 0)};\n\n`;
          this.emit[id] = Emit.Emitted;
        } else {
          this.emit[id] = Emit.NotEmitted;
        }
        break;
      case 'func_proto':
        this.emitType(t.retTypeId, container);
        for (const p of t.params) this.emitType(p.typeId, container);
        break;
      default:
    }
  }

  /** `__builtin_va_list` is the compiler's own, and a typedef of it would not compile. */
  private isBuiltin(t: BtfTypeRecord): boolean {
    return t.name === '__builtin_va_list';
  }

  private structForward(id: number, t: Struct): string {
    return `${t.kind}${t.name !== undefined ? ' ' : ''}${this.typeName(id)}`;
  }

  /** A struct or union with its members, at indent level `level` (btf_dump_emit_struct_def). */
  private structDefinition(id: number, t: Struct, level: number): string {
    const isStruct = t.kind === 'struct';
    const align = this.alignOf(id);
    const packed = isStruct && this.isPacked(t);
    let text = `${this.structForward(id, t)} {`;
    let offset = 0;
    let previousBitfield = false;
    for (const m of t.members) {
      const bits = m.bitfieldSize ?? 0;
      const memberAlign = packed ? 1 : this.alignOf(m.typeId);
      text += this.bitPadding(offset, m.bitsOffset, memberAlign, previousBitfield && bits !== 0, level + 1);
      text += `\n${indent(level + 1)}${this.typeDecl(m.typeId, m.name ?? '', level + 1)}`;
      if (bits !== 0) {
        text += `: ${bits}`;
        offset = m.bitsOffset + bits;
        previousBitfield = true;
      } else {
        offset = m.bitsOffset + Math.max(0, this.resolveSize(m.typeId)) * 8;
        previousBitfield = false;
      }
      text += ';';
    }
    if (isStruct) text += this.bitPadding(offset, t.size * 8, align, false, level + 1);
    // `struct empty {}` stays on one line.
    text += t.members.length > 0 || t.size > 0 ? `\n${indent(level)}}` : '}';
    return packed ? `${text} __attribute__((packed))` : text;
  }

  /** btf_is_struct_packed: a whole member off its natural alignment, or a size that is no multiple of it. */
  private isPacked(t: Struct): boolean {
    let maxAlign = 1;
    for (const m of t.members) {
      const align = this.alignOf(m.typeId);
      if (align !== 0 && m.bitfieldSize === undefined && m.bitsOffset % (8 * align) !== 0) return true;
      maxAlign = Math.max(align, maxAlign);
    }
    return t.size % maxAlign !== 0;
  }

  /**
   * The padding from bit `from` to bit `to` (btf_dump_emit_bit_padding): the widest of long, int,
   * short and char that reaches an aligned boundary within the gap, with a `: 0` where the compiler
   * would not align the next member there by itself (or the bits left of a bitfield's unit), then
   * whole units, and the remainder in the narrowest type that holds it.
   */
  private bitPadding(from: number, to: number, nextAlign: number, inBitfield: boolean, level: number): string {
    if (from >= to) return '';
    const pads: [string, number][] = [['long', this.pointerSize * 8], ['int', 32], ['short', 16], ['char', 8]];
    let text = '';
    let [padType, padBits] = pads[0];
    let aligned = 0;
    for ([padType, padBits] of pads) {
      aligned = roundUp(from, padBits);
      if (aligned <= to) break;
    }
    if (aligned > from && aligned <= to) {
      if (inBitfield || (aligned === to && roundUp(from, nextAlign * 8) !== aligned) || (aligned !== to && to - aligned <= aligned - from)) {
        text += `\n${indent(level)}${padType}: ${inBitfield ? aligned - from : 0};`;
      }
      from = aligned;
    }
    while (from !== to) {
      const bits = Math.min(to - from, padBits);
      if (bits === padBits) {
        text += `\n${indent(level)}${padType}: ${padBits};`;
        from += bits;
        continue;
      }
      for (let i = pads.length - 1; i >= 0; i--) {
        [padType, padBits] = pads[i];
        if (padBits < bits) continue;
        text += `\n${indent(level)}${padType}: ${bits};`;
        from += bits;
        break;
      }
    }
    return text;
  }

  /**
   * An enum with its values (btf_dump_emit_enum_def); one of 1 byte gets mode(byte), and one of 8
   * bytes mode(word) unless a value needs the width.
   */
  private enumDefinition(id: number, t: Enum, level: number): string {
    let text = `enum${t.name !== undefined ? ' ' : ''}${this.typeName(id)}`;
    if (t.values.length === 0) return text;
    text += ' {';
    const suffix = t.kind === 'enum' ? '' : t.signed ? 'LL' : 'ULL';
    for (const v of t.values) {
      // Enum values share C's namespace with typedef names.
      const name = v.name ?? '';
      const repeats = this.countName(this.identNames, name);
      text += `\n${indent(level + 1)}${repeats > 1 ? `${name}___${repeats}` : name} = ${v.value}${suffix},`;
    }
    text += `\n${indent(level)}}`;
    if (t.size === 1) return `${text} __attribute__((mode(byte)))`;
    if (t.size === 8 && this.pointerSize === 8) {
      const needsWord = t.kind === 'enum' || t.values.every((v) => BigInt.asUintN(64, v.value) >> 32n === 0n);
      if (needsWord) return `${text} __attribute__((mode(word)))`;
    }
    return text;
  }

  private typedefDefinition(id: number, typeId: number): string {
    const name = this.identName(id);
    // Old GCC emits __gnuc_va_list as a typedef of void.
    if (typeId === 0 && name === '__gnuc_va_list') return 'typedef __builtin_va_list __gnuc_va_list';
    return `typedef ${this.typeDecl(typeId, name, 0)}`;
  }

  /**
   * A declaration of `name` as type `id` in C syntax (btf_dump_emit_type_decl): the chain of
   * modifiers, pointers, arrays and prototypes down to a named or inline type, written back up, so
   * that `const` of a pointer comes after its `*` and an array of function pointers reads
   * `int (*name[4])(void)`.
   */
  private typeDecl(id: number, name: string, level: number): string {
    const chain: number[] = [];
    for (;;) {
      chain.push(id);
      const t = this.type(id);
      if (id === 0 || t === undefined) break;
      if (t.kind === 'ptr' || MODIFIERS.has(t.kind)) id = (t as { typeId: number }).typeId;
      else if (t.kind === 'func_proto') id = t.retTypeId;
      else if (t.kind === 'array') id = t.typeId;
      else break;
    }
    return this.typeChain(chain, name, level);
  }

  /** btf_dump_emit_type_chain: writes `chain` (a stack, its top the innermost type) and empties it. */
  private typeChain(chain: number[], name: string, level: number): string {
    let text = '';
    // Whether the last thing written was a `*`, which takes no space before the next one or the name.
    let lastWasPointer = true;
    while (chain.length > 0) {
      const id = chain.pop() as number;
      const t = this.type(id);
      if (id === 0 || t === undefined) {
        text += `${this.modifiers(chain)}void`;
        lastWasPointer = false;
        continue;
      }
      switch (t.kind) {
        case 'int': case 'float':
          text += `${this.modifiers(chain)}${t.name ?? ''}`;
          break;
        case 'struct': case 'union':
          text += this.modifiers(chain) + (t.name === undefined ? this.structDefinition(id, t, level) : this.structForward(id, t));
          break;
        case 'enum': case 'enum64':
          text += this.modifiers(chain) + (t.name === undefined ? this.enumDefinition(id, t, level) : `enum ${this.typeName(id)}`);
          break;
        case 'fwd':
          text += `${this.modifiers(chain)}${t.fwdKind} ${this.typeName(id)}`;
          break;
        case 'typedef':
          text += this.modifiers(chain) + this.identName(id);
          break;
        case 'ptr':
          text += lastWasPointer ? '*' : ' *';
          break;
        case 'volatile': case 'const': case 'restrict':
          text += ` ${t.kind}`;
          break;
        case 'type_tag':
          text += `${this.modifiers(chain)} __attribute__((btf_type_tag("${t.name ?? ''}")))`;
          break;
        case 'array':
          // GCC puts an element's const or volatile on the array too; they mean nothing there.
          this.dropModifiers(chain);
          if (chain.length === 0) return `${text}${declaredName(name, lastWasPointer)}[${t.nrElems}]`;
          return `${text}${this.nestedDeclarator(chain, name, lastWasPointer, level)}[${t.nrElems}]`;
        case 'func_proto':
          // GCC adds volatile to a noreturn function's pointer; dropped as for arrays.
          this.dropModifiers(chain);
          text += chain.length > 0 ? ` (${this.typeChain(chain, name, level)})` : declaredName(name, lastWasPointer);
          return text + this.parameters(t, level);
        default:
          return text;
      }
      lastWasPointer = t.kind === 'ptr';
    }
    return text + declaredName(name, lastWasPointer);
  }

  /** The declarator of an array's element: in parentheses unless it is itself an array (`int a[2][3]`). */
  private nestedDeclarator(chain: number[], name: string, lastWasPointer: boolean, level: number): string {
    const space = name !== '' && !lastWasPointer ? ' ' : '';
    const multidimensional = this.type(chain[chain.length - 1])?.kind === 'array';
    const inner = this.typeChain(chain, name, level);
    return multidimensional ? `${space}${inner}` : `${space}(${inner})`;
  }

  /** A prototype's parameters: `(void)` for none, `...` for a last one of type void. */
  private parameters(t: FuncProto, level: number): string {
    if (t.params.length === 0 || (t.params.length === 1 && t.params[0].typeId === 0)) return '(void)';
    const params = t.params.map((p, i) => (i === t.params.length - 1 && p.typeId === 0 ? '...' : this.typeDecl(p.typeId, p.name ?? '', level)));
    return `(${params.join(', ')})`;
  }

  /** Writes the const, volatile and restrict on top of `chain` (before a base type) and pops them. */
  private modifiers(chain: number[]): string {
    let text = '';
    while (chain.length > 0) {
      const kind = this.type(chain[chain.length - 1])?.kind;
      if (kind !== 'volatile' && kind !== 'const' && kind !== 'restrict') break;
      text += `${kind} `;
      chain.pop();
    }
    return text;
  }

  private dropModifiers(chain: number[]): void {
    while (chain.length > 0 && MODIFIERS.has(this.type(chain[chain.length - 1])?.kind ?? '')) chain.pop();
  }

  /** A struct, union, enum or int's name, `___N` added where the name repeats (btf_dump_type_name). */
  private typeName(id: number): string {
    return this.resolveName(id, this.typeNames);
  }

  /** A typedef's name, likewise among typedef and enum value names (btf_dump_ident_name). */
  private identName(id: number): string {
    return this.resolveName(id, this.identNames);
  }

  /**
   * btf_dump_resolve_name: a type keeps the name it is first given. A forward declaration and an
   * enum without values (a forward one) take theirs as it is and count for nothing.
   */
  private resolveName(id: number, given: Map<string, number>): string {
    const t = this.type(id);
    if (t === undefined || t.name === undefined) return '';
    let name = this.names[id];
    if (name !== undefined) return name;
    if (t.kind === 'fwd' || (t.kind === 'enum' && t.values.length === 0)) name = t.name;
    else {
      const repeats = this.countName(given, t.name);
      name = repeats > 1 ? `${t.name}___${repeats}` : t.name;
    }
    this.names[id] = name;
    return name;
  }

  private countName(given: Map<string, number>, name: string): number {
    const count = (given.get(name) ?? 0) + 1;
    given.set(name, count);
    return count;
  }

  /** btf__align_of: a struct's is 1 when it must be packed; 0 for what has none (void, a function). */
  private alignOf(id: number): number {
    const t = this.type(id);
    if (t === undefined) return 0;
    switch (t.kind) {
      case 'int': case 'enum': case 'enum64': case 'float': return Math.min(this.pointerSize, t.size);
      case 'ptr': return this.pointerSize;
      case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag': case 'array':
        return this.alignOf(t.typeId);
      case 'struct': case 'union':
        if (this.structAligns[id] < 0) this.structAligns[id] = this.structAlign(t);
        return this.structAligns[id];
      default: return 0;
    }
  }

  /** The largest of the members' alignments; 1 when the struct must be packed, 0 when a member has none. */
  private structAlign(t: Struct): number {
    let maxAlign = 1;
    for (const m of t.members) {
      const align = this.alignOf(m.typeId);
      if (align <= 0) return align;
      maxAlign = Math.max(maxAlign, align);
      if (m.bitfieldSize === undefined && m.bitsOffset % (8 * align) !== 0) return 1;
    }
    return t.size % maxAlign !== 0 ? 1 : maxAlign;
  }

  /** btf__resolve_size: bytes, or -1 where there is no size (void, a forward declaration, a function, a chain too long or too large). */
  private resolveSize(id: number): number {
    let elements = 1;
    const times = (size: number): number => (elements !== 0 && size > 0xffffffff / elements ? -1 : elements * size);
    for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
      const t = this.type(id);
      if (id === 0 || t === undefined || t.kind === 'fwd') return -1;
      switch (t.kind) {
        case 'int': case 'struct': case 'union': case 'enum': case 'enum64': case 'datasec': case 'float':
          return times(t.size);
        case 'ptr':
          return times(this.pointerSize);
        case 'typedef': case 'volatile': case 'const': case 'restrict': case 'var': case 'decl_tag': case 'type_tag':
          id = t.typeId;
          break;
        case 'array':
          if (elements !== 0 && t.nrElems > 0xffffffff / elements) return -1;
          elements *= t.nrElems;
          id = t.typeId;
          break;
        default:
          return -1;
      }
    }
    return -1;
  }
}

/** libbpf's indents: a tab a level, at most 13. */
const INDENTS = Array.from({ length: 14 }, (_, level) => '\t'.repeat(level));

function indent(level: number): string {
  return INDENTS[Math.min(level, 13)];
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

/** A declared name after its type: a space unless it follows a `*`; nothing for none. */
function declaredName(name: string, lastWasPointer: boolean): string {
  return name !== '' && !lastWasPointer ? ` ${name}` : name;
}

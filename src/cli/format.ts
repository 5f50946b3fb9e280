// Text output of the CLI: aligned tables, JSON with bigints as strings, colour only where wanted.
import type { Attachment } from '../attachments';
import type { BtfTypeRecord } from '../btf-dump';
import type { InterfaceInfo } from '../interfaces';
import type { JitedProgram, SourceLine, XlatedInstruction } from '../programs';

/** Whether to colour: a TTY, and NO_COLOR unset (https://no-color.org). */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && process.env.NO_COLOR === undefined;
}

export function bold(s: string, color = useColor()): string {
  return color ? `\x1b[1m${s}\x1b[0m` : s;
}

export function dim(s: string, color = useColor()): string {
  return color ? `\x1b[2m${s}\x1b[0m` : s;
}

/** Renders rows as a left-aligned table with a header; numbers and bigints are right-aligned. */
export function table(headers: string[], rows: unknown[][]): string {
  const cells = rows.map((r) => r.map(cellText));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || typeof r[i] === 'bigint' || r[i] === undefined));
  const line = (r: string[]) =>
    r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [bold(line(headers)), ...cells.map(line)].join('\n');
}

function cellText(v: unknown): string {
  if (v === undefined || v === null) return '-';
  if (v instanceof Date) return v.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}

/**
 * JSON with bigints as strings (JSON has no 64-bit integers) and Buffers as hex. Commands that
 * print a result once indent it; the ones that print one per tick (watch, top, cilium drops) pass
 * indent 0, so that each tick is one line (JSON Lines).
 */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
        return Buffer.from((v as { data: number[] }).data).toString('hex');
      }
      return v;
    },
    indent,
  );
}

/** toJson on one line, a space inside braces and after each comma: how decoded map entries print as text. */
export function oneLine(value: unknown): string {
  return toJson(value).replace(/\s*\n\s*/g, ' ');
}

/** Formats a byte count the way humans read it. */
export function bytes(n: number | bigint | undefined): string {
  if (n === undefined) return '-';
  const v = Number(n);
  if (v < 1024) return `${v}B`;
  if (v < 1024 * 1024) return `${(v / 1024).toFixed(v < 10240 ? 1 : 0)}K`;
  return `${(v / 1024 / 1024).toFixed(1)}M`;
}

// EtherTypes by the names tc prints for a filter's protocol (iproute2's ll_proto_n2a).
const TC_PROTOCOLS: Record<number, string> = { 0x0003: 'all', 0x0800: 'ip', 0x0806: 'arp', 0x86dd: 'ipv6', 0x8100: '802.1Q', 0x88a8: '802.1ad' };
// TCA_BPF_FLAGS_GEN bits, as tc prints them.
const TC_FLAGS: [number, string][] = [[1, 'skip_hw'], [2, 'skip_sw'], [4, 'in_hw'], [8, 'not_in_hw']];
// Netfilter families and inet hooks as bpftool net prints a netfilter link.
const NF_FAMILIES: Record<number, string> = { 2: 'ip', 10: 'ip6' };
const NF_HOOKS = ['prerouting', 'input', 'forward', 'output', 'postrouting'];

/** A tc handle or parent as tc prints one: major:minor in hex, 'ffff:' for a minor of 0. */
function tcHandle(h: number): string {
  const major = (h >>> 16).toString(16), minor = h & 0xffff;
  return minor === 0 ? `${major}:` : `${major}:${minor.toString(16)}`;
}

/**
 * What `bpfscope net` prints after an attachment's program: for a cls_bpf filter, the words of
 * `tc filter show` (protocol, pref, chain, handle, the filter's name, direct-action, flags, tag,
 * and the parent where the hook does not name it); for tcx and netkit, the place in the
 * execution order, the link and the hook's revision; for XDP, the mode; for a netfilter link, the
 * family, hook and priority as `bpftool net` prints them.
 */
export function attachmentDetails(a: Attachment): string {
  const words: (string | undefined)[] = [];
  switch (a.hook) {
    case 'xdp':
      words.push(`mode ${a.mode}`);
      break;
    case 'flow_dissector':
      break;
    case 'netfilter':
      words.push(NF_FAMILIES[a.pf] ?? `pf ${a.pf}`, NF_HOOKS[a.hookNum] ?? `hook ${a.hookNum}`, `prio ${a.priority}`, a.flags ? `flags 0x${a.flags.toString(16)}` : undefined, `link ${a.linkId}`);
      break;
    default:
      if ('position' in a) {
        words.push(`position ${a.position}`, a.linkId === undefined ? undefined : `link ${a.linkId}`, `revision ${a.revision}`);
      } else {
        const named = a.hook === 'tc/ingress' || a.hook === 'tc/egress';
        words.push(
          named ? undefined : `parent ${tcHandle(a.parent)}`,
          `protocol ${TC_PROTOCOLS[a.protocol] ?? `0x${a.protocol.toString(16).padStart(4, '0')}`}`,
          `pref ${a.priority}`,
          a.chain === undefined ? undefined : `chain ${a.chain}`,
          `handle 0x${a.handle.toString(16)}`,
          a.classid === undefined ? undefined : `classid ${tcHandle(a.classid)}`,
          a.tcName,
          a.directAction ? 'direct-action' : undefined,
          ...TC_FLAGS.filter(([bit]) => ((a.flagsGen ?? 0) & bit) !== 0).map(([, name]) => name),
          a.tag === undefined ? undefined : `tag ${a.tag}`,
        );
      }
  }
  return words.filter((w) => w !== undefined).join(' ');
}

/**
 * The main settings of a device's kind and of its place in its master, in the words `ip -d link`
 * prints them with (a vxlan's VNI, peer and port; a macvlan's mode; a bridge's STP; a bridge port's
 * state); `names` turns ifindexes into names.
 */
export function interfaceDetails(i: InterfaceInfo, names: Map<number, string>): string | undefined {
  const words: (string | number | false | undefined)[] = [];
  const k = i.kindInfo;
  // A lower device is in the device's link namespace: once the device was moved out of the one it
  // was made in (IFLA_LINK_NETNSID), its ifindex is of that namespace, not of the listed one.
  const dev = (ifindex: number) =>
    `dev ${i.linkNetnsId !== undefined ? `if${ifindex} (nsid ${i.linkNetnsId})` : names.get(ifindex) ?? `if${ifindex}`}`;
  switch (k?.kind) {
    case 'vxlan':
      words.push(k.external ? 'external' : `id ${k.id}`, k.remote && `remote ${k.remote}`, k.group && `group ${k.group}`,
        k.local && `local ${k.local}`, k.link ? dev(k.link) : undefined, `dstport ${k.port}`);
      break;
    case 'macvlan':
    case 'macvtap':
      words.push(`mode ${k.mode}`, k.nopromisc && 'nopromisc', k.nodst && 'nodst',
        k.macaddrData && `remotes (${k.macaddrCount ?? k.macaddrData.length}) ${k.macaddrData.join(' ')}`);
      break;
    case 'bridge':
      words.push(`stp_state ${k.stpState}`, `priority ${k.priority}`, k.vlanFiltering !== undefined && `vlan_filtering ${k.vlanFiltering}`);
      break;
    case 'netkit':
      words.push(`mode ${k.mode}`, k.primary === undefined ? undefined : `type ${k.primary ? 'primary' : 'peer'}`,
        `policy ${k.policy}`, `peer_policy ${k.peerPolicy}`);
      break;
  }
  const s = i.slaveInfo;
  if (s?.kind === 'bridge') words.push('bridge_slave', `state ${s.state}`, `priority ${s.priority}`, `cost ${s.cost}`);
  const text = words.filter((w) => w !== undefined && w !== false).join(' ');
  return text || undefined;
}

const INT_ENCODING_TEXT = { none: '(none)', signed: 'SIGNED', char: 'CHAR', bool: 'BOOL' } as const;

/** `bpftool btf dump id N` (format raw) of dumpBtf()'s records, byte for byte: a line per type, a tab-indented line per member. */
export function btfDumpText(types: readonly BtfTypeRecord[]): string {
  const name = (n: string | undefined) => `'${n ?? '(anon)'}'`;
  const byId = new Map(types.map((t) => [t.id, t]));
  return types.map((t) => {
    const head = `[${t.id}] ${t.kind.toUpperCase()} ${name(t.name)}`;
    switch (t.kind) {
      case 'int': return `${head} size=${t.size} bits_offset=${t.bitsOffset} nr_bits=${t.nrBits} encoding=${INT_ENCODING_TEXT[t.encoding]}`;
      case 'array': return `${head} type_id=${t.typeId} index_type_id=${t.indexTypeId} nr_elems=${t.nrElems}`;
      case 'struct': case 'union':
        return [`${head} size=${t.size} vlen=${t.members.length}`, ...t.members.map((m) => `\t${name(m.name)} type_id=${m.typeId} bits_offset=${m.bitsOffset}${m.bitfieldSize ? ` bitfield_size=${m.bitfieldSize}` : ''}`)].join('\n');
      case 'enum': case 'enum64': {
        // bpftool's printf: %d/%u for enum, %lldLL/%lluULL for enum64.
        const suffix = t.kind === 'enum' ? '' : t.signed ? 'LL' : 'ULL';
        return [`${head} encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}`, ...t.values.map((v) => `\t${name(v.name)} val=${v.value}${suffix}`)].join('\n');
      }
      case 'fwd': return `${head} fwd_kind=${t.fwdKind}`;
      case 'func': return `${head} type_id=${t.typeId} linkage=${t.linkage}`;
      case 'func_proto': return [`${head} ret_type_id=${t.retTypeId} vlen=${t.params.length}`, ...t.params.map((p) => `\t${name(p.name)} type_id=${p.typeId}`)].join('\n');
      case 'var': return `${head} type_id=${t.typeId}, linkage=${t.linkage}`;
      case 'datasec':
        return [`${head} size=${t.size} vlen=${t.vars.length}`, ...t.vars.map((v) => {
          const of = byId.get(v.typeId);
          return `\ttype_id=${v.typeId} offset=${v.offset} size=${v.size}${of ? ` (${of.kind.toUpperCase()} ${name(of.name)})` : ''}`;
        })].join('\n');
      case 'float': return `${head} size=${t.size}`;
      case 'decl_tag': return `${head} type_id=${t.typeId} component_idx=${t.componentIdx}`;
      default: return `${head} type_id=${t.typeId}`;
    }
  }).join('\n');
}

/**
 * Instructions as `bpftool prog dump xlated` prints them: each function's prototype, the source
 * lines, then `   0: (b7) r0 = 0`; with `linum` each source line's file, line and column, with
 * `opcodes` each instruction's bytes on a line of its own.
 */
export function xlatedText(instructions: readonly XlatedInstruction[], options: { linum?: boolean; opcodes?: boolean } = {}): string {
  const lines: string[] = [];
  for (const insn of instructions) {
    if (insn.proto !== undefined) lines.push(`${insn.proto}:`);
    if (insn.source !== undefined) lines.push(sourceLineText(insn.source, options.linum));
    // printf's "% 4d": a space where a sign would go, then the number, right-aligned in 4.
    lines.push(`${` ${insn.index}`.padStart(4)}: ${insn.disasm}`);
    if (options.opcodes) lines.push(`       ${[...instructionBytes(insn)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`);
  }
  return lines.join('\n');
}

/** A source line as bpftool prints it above the code (btf_dump_linfo_plain), with `linum` its file, line and column. */
function sourceLineText({ src, file = '', lineNum, lineCol }: SourceLine, linum = false): string {
  return linum ? `; ${src} [file:${file} line_num:${lineNum} line_col:${lineCol}]` : `; ${src}`;
}

/**
 * A JITed program as `bpftool prog dump jited [linum] [opcodes]` prints it: each function's
 * prototype and kernel symbol (its address when kallsyms lacks it), then its instructions (x86-64,
 * arm64) as `%4x:\t<text>` after the source line that starts there, with `opcodes` their bytes on
 * a line of their own; a blank line after each function. Without instructions (other
 * architectures) the code goes 16 bytes a row after its offset, a row ending where a source line's
 * code starts.
 */
export function jitedText(program: JitedProgram, options: { linum?: boolean; opcodes?: boolean } = {}): string {
  const out: string[] = [];
  for (const fn of program.functions) {
    if (fn.proto !== undefined) out.push(`${fn.proto}:`);
    out.push(`${fn.symbol ?? `0x${fn.address.toString(16).padStart(16, '0')}`}:`);
    const code = program.image.subarray(fn.offset, fn.offset + fn.size);
    const starts = fn.lines.map((l) => l.offset - fn.offset);
    const hex = (bytes: Buffer) => [...bytes].map((b) => b.toString(16).padStart(2, '0'));
    if (fn.instructions) {
      // bpf_prog_linfo__lfind_addr_func as bpftool calls it: at each instruction, the last line
      // starting at or before it, looked for from the lines not yet counted, of which one more
      // counts each time one prints.
      let skipped = 0;
      for (const { pc, size, text } of fn.instructions) {
        if (skipped < starts.length && starts[skipped] <= pc) {
          let last = skipped;
          while (last + 1 < starts.length && starts[last + 1] <= pc) last++;
          out.push(sourceLineText(fn.lines[last], options.linum));
          skipped++;
        }
        out.push(`${pc.toString(16).padStart(4)}:\t${text}${options.opcodes ? `\n\t${hex(code.subarray(pc, pc + size)).map((b) => `${b} `).join('')}` : ''}`);
      }
    } else {
      let line = 0;
      for (let at = 0; at < code.length;) {
        for (; line < starts.length && starts[line] <= at; line++) out.push(sourceLineText(fn.lines[line], options.linum));
        const end = Math.min(at + 16, code.length, line < starts.length ? starts[line] : Infinity);
        out.push(`${at.toString(16).padStart(4)}:\t${hex(code.subarray(at, end)).join(' ')}`);
        at = end;
      }
    }
    out.push('');
  }
  return out.join('\n');
}

/** An instruction's 8 bytes (struct bpf_insn), and a 64-bit load's second slot's after them, which holds only the high half of its value. */
function instructionBytes(insn: XlatedInstruction): Buffer {
  const bytes = Buffer.alloc(insn.imm64 === undefined ? 8 : 16);
  bytes[0] = insn.code;
  bytes[1] = (insn.srcReg << 4) | insn.dstReg;
  bytes.writeInt16LE(insn.off, 2);
  bytes.writeInt32LE(insn.imm, 4);
  if (insn.imm64 !== undefined) bytes.writeUInt32LE(Number(insn.imm64 >> 32n), 12);
  return bytes;
}

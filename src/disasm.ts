// BPF instructions as text, as the kernel's disassembler prints them (kernel/bpf/disasm.c: the
// verifier's log, and bpftool, which builds it in, for `prog dump xlated`), with bpftool's
// callbacks for what the instructions alone cannot say: the kernel symbol a call reaches, a map's
// id. Written from the kernel's formats; the opcode layout is include/uapi/linux/bpf.h's: class in
// bits 0-2, then source (bit 3) and operation (bits 4-7), or size (bits 3-4) and mode (5-7).

/** One 8-byte struct bpf_insn: opcode, registers (dst in the low nibble), signed offset and immediate. */
export interface RawInstruction {
  code: number;
  dstReg: number;
  srcReg: number;
  off: number;
  imm: number;
}

/** What a call instruction reaches, as bpftool finds it (see native/programs.cc ProgramCodeTask). */
export interface CallTarget {
  address: bigint;
  /** The first /proc/kallsyms name at the address; undefined when none is (or kallsyms hides addresses). */
  symbol?: string;
}

/**
 * The helpers by id (enum bpf_func_id, __BPF_FUNC_MAPPER in include/uapi/linux/bpf.h), without
 * their `bpf_` prefix. The list ends with Linux 6.2's cgrp_storage_delete (211): functions added
 * since are kfuncs, which calls reach by BTF id.
 */
const HELPERS = `
unspec map_lookup_elem map_update_elem map_delete_elem probe_read ktime_get_ns trace_printk
get_prandom_u32 get_smp_processor_id skb_store_bytes l3_csum_replace l4_csum_replace tail_call
clone_redirect get_current_pid_tgid get_current_uid_gid get_current_comm get_cgroup_classid
skb_vlan_push skb_vlan_pop skb_get_tunnel_key skb_set_tunnel_key perf_event_read redirect
get_route_realm perf_event_output skb_load_bytes get_stackid csum_diff skb_get_tunnel_opt
skb_set_tunnel_opt skb_change_proto skb_change_type skb_under_cgroup get_hash_recalc
get_current_task probe_write_user current_task_under_cgroup skb_change_tail skb_pull_data
csum_update set_hash_invalid get_numa_node_id skb_change_head xdp_adjust_head probe_read_str
get_socket_cookie get_socket_uid set_hash setsockopt skb_adjust_room redirect_map
sk_redirect_map sock_map_update xdp_adjust_meta perf_event_read_value perf_prog_read_value
getsockopt override_return sock_ops_cb_flags_set msg_redirect_map msg_apply_bytes
msg_cork_bytes msg_pull_data bind xdp_adjust_tail skb_get_xfrm_state get_stack
skb_load_bytes_relative fib_lookup sock_hash_update msg_redirect_hash sk_redirect_hash
lwt_push_encap lwt_seg6_store_bytes lwt_seg6_adjust_srh lwt_seg6_action rc_repeat rc_keydown
skb_cgroup_id get_current_cgroup_id get_local_storage sk_select_reuseport
skb_ancestor_cgroup_id sk_lookup_tcp sk_lookup_udp sk_release map_push_elem map_pop_elem
map_peek_elem msg_push_data msg_pop_data rc_pointer_rel spin_lock spin_unlock sk_fullsock
tcp_sock skb_ecn_set_ce get_listener_sock skc_lookup_tcp tcp_check_syncookie sysctl_get_name
sysctl_get_current_value sysctl_get_new_value sysctl_set_new_value strtol strtoul
sk_storage_get sk_storage_delete send_signal tcp_gen_syncookie skb_output probe_read_user
probe_read_kernel probe_read_user_str probe_read_kernel_str tcp_send_ack send_signal_thread
jiffies64 read_branch_records get_ns_current_pid_tgid xdp_output get_netns_cookie
get_current_ancestor_cgroup_id sk_assign ktime_get_boot_ns seq_printf seq_write sk_cgroup_id
sk_ancestor_cgroup_id ringbuf_output ringbuf_reserve ringbuf_submit ringbuf_discard
ringbuf_query csum_level skc_to_tcp6_sock skc_to_tcp_sock skc_to_tcp_timewait_sock
skc_to_tcp_request_sock skc_to_udp6_sock get_task_stack load_hdr_opt store_hdr_opt
reserve_hdr_opt inode_storage_get inode_storage_delete d_path copy_from_user snprintf_btf
seq_printf_btf skb_cgroup_classid redirect_neigh per_cpu_ptr this_cpu_ptr redirect_peer
task_storage_get task_storage_delete get_current_task_btf bprm_opts_set ktime_get_coarse_ns
ima_inode_hash sock_from_file check_mtu for_each_map_elem snprintf sys_bpf
btf_find_by_name_kind sys_close timer_init timer_set_callback timer_start timer_cancel
get_func_ip get_attach_cookie task_pt_regs get_branch_snapshot trace_vprintk skc_to_unix_sock
kallsyms_lookup_name find_vma loop strncmp get_func_arg get_func_ret get_func_arg_cnt
get_retval set_retval xdp_get_buff_len xdp_load_bytes xdp_store_bytes copy_from_user_task
skb_set_tstamp ima_file_hash kptr_xchg map_lookup_percpu_elem skc_to_mptcp_sock dynptr_from_mem
ringbuf_reserve_dynptr ringbuf_submit_dynptr ringbuf_discard_dynptr dynptr_read dynptr_write
dynptr_data tcp_raw_gen_syncookie_ipv4 tcp_raw_gen_syncookie_ipv6 tcp_raw_check_syncookie_ipv4
tcp_raw_check_syncookie_ipv6 ktime_get_tai_ns user_ringbuf_drain cgrp_storage_get
cgrp_storage_delete
`.trim().split(/\s+/);

const [LD, LDX, ST, STX, ALU, JMP, JMP32, ALU64] = [0, 1, 2, 3, 4, 5, 6, 7];
const CLASS_NAMES = ['ld', 'ldx', 'st', 'stx', 'alu', 'jmp', 'jmp32', 'alu64'];
// By operation >> 4. C's printf prints a missing table entry (a NULL %s) as "(null)", as here.
const ALU_OPS = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian'];
const JMP_OPS = ['jmp', '==', '>', '>=', '&', '!=', 's>', 's>=', 'call', 'exit', '<', '<=', 's<', 's<='];
const ATOMIC_OPS: Record<number, string> = { 0x00: 'add', 0x50: 'and', 0x40: 'or', 0xa0: 'xor' };
const MOVSX: Record<number, string> = { 8: '(s8)', 16: '(s16)', 32: '(s32)' };
const SIZES = ['u32', 'u16', 'u8', 'u64']; // by size >> 3: W, H, B, DW
const SIGNED_SIZES = ['s32', 's16', 's8'];
const MODE = { IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, MEMSX: 0x80, ATOMIC: 0xc0 } as const;
const DW = 0x18;
const FETCH = 0x01;
const [CMPXCHG, XCHG, LOAD_ACQ, STORE_REL] = [0xf0 | FETCH, 0xe0 | FETCH, 0x100, 0x110];
// src_reg of a call: a function of the program (BPF_PSEUDO_CALL), a kfunc (BPF_PSEUDO_KFUNC_CALL).
const PSEUDO_CALL = 1;
// src_reg of a 64-bit load: a map by id in the translated code (BPF_PSEUDO_MAP_FD), a map value, a callback function.
const [PSEUDO_MAP_FD, PSEUDO_MAP_VALUE, PSEUDO_FUNC] = [1, 2, 4];
// off of a register mov: an arena address-space cast (Linux 6.9), a per-CPU address (6.10, internal).
const [ADDR_SPACE_CAST, ADDR_PERCPU] = [1, -1];

const hex2 = (n: number) => n.toString(16).padStart(2, '0');
/** printf's %+d. */
const signed = (n: number) => (n >= 0 ? `+${n}` : String(n));
const table = (names: readonly string[], i: number) => names[i] ?? '(null)';

/** One instruction at `at` of a buffer of them. */
export function instructionAt(insns: Buffer, at: number): RawInstruction {
  const o = at * 8;
  const regs = insns[o + 1];
  return { code: insns[o], dstReg: regs & 0xf, srcReg: regs >> 4, off: insns.readInt16LE(o + 2), imm: insns.readInt32LE(o + 4) };
}

/**
 * The text of instruction `at` ("(b7) r0 = 0"), as the kernel prints it with bpftool's callbacks:
 * a call names its target (`calls`, by instruction index), a program function by its offset and,
 * once JITed (`jited`), its symbol; a 64-bit load names a map by id.
 */
export function instructionText(insns: Buffer, at: number, calls: ReadonlyMap<number, CallTarget>, jited: boolean): string {
  const insn = instructionAt(insns, at);
  const { code, dstReg: dst, srcReg: src, off, imm } = insn;
  const cls = code & 7;
  const op = code & 0xf0;
  const size = code & 0x18;
  const mode = code & 0xe0;
  const byReg = (code & 0x08) !== 0;
  const c = `(${hex2(code)})`;
  if (cls === ALU || cls === ALU64) {
    const r = cls === ALU ? 'w' : 'r';
    if (op === 0xd0) return cls === ALU64 ? `${c} r${dst} = bswap${imm} r${dst}` : `${c} r${dst} = ${byReg ? 'be' : 'le'}${imm} r${dst}`;
    if (op === 0x80) return `${c} ${r}${dst} = -${r}${dst}`;
    if (code === (ALU64 | 0xb0 | 0x08) && off === ADDR_SPACE_CAST) return `${c} r${dst} = addr_space_cast(r${src}, ${imm >>> 16}, ${imm & 0xffff})`;
    if (code === (ALU64 | 0xb0 | 0x08) && off === ADDR_PERCPU) return `${c} r${dst} = &(void __percpu *)(r${src})`;
    // sdiv and smod (Linux 6.6) are div and mod with off 1.
    const name = (op === 0x30 || op === 0x90) && off === 1 ? (op === 0x30 ? 's/=' : 's%=') : table(ALU_OPS, op >> 4);
    if (!byReg) return `${c} ${r}${dst} ${name} ${imm}`;
    // movsx (Linux 6.6): a mov with the width to sign-extend from in off.
    const extend = op === 0xb0 ? (MOVSX[off] ?? '') : '';
    return `${c} ${r}${dst} ${name} ${extend}${r}${src}`;
  }
  const width = table(SIZES, size >> 3);
  const memAt = (reg: number) => `(r${reg} ${signed(off)})`;
  if (cls === STX) {
    if (mode === MODE.MEM) return `${c} *(${width} *)${memAt(dst)} = r${src}`;
    if (mode !== MODE.ATOMIC) return `BUG_${hex2(code)}`;
    const bits = size === DW ? '64' : '';
    if (ATOMIC_OPS[imm] !== undefined) return `${c} lock *(${width} *)${memAt(dst)} ${table(ALU_OPS, imm >> 4)} r${src}`;
    if ((imm & FETCH) !== 0 && ATOMIC_OPS[imm & ~FETCH] !== undefined) return `${c} r${src} = atomic${bits}_fetch_${ATOMIC_OPS[imm & ~FETCH]}((${width} *)${memAt(dst)}, r${src})`;
    if (imm === CMPXCHG) return `${c} r0 = atomic${bits}_cmpxchg((${width} *)${memAt(dst)}, r0, r${src})`;
    if (imm === XCHG) return `${c} r${src} = atomic${bits}_xchg((${width} *)${memAt(dst)}, r${src})`;
    // Linux 6.15.
    if (imm === LOAD_ACQ) return `${c} r${dst} = load_acquire((${width} *)${memAt(src)})`;
    if (imm === STORE_REL) return `${c} store_release((${width} *)${memAt(dst)}, r${src})`;
    return `BUG_${hex2(code)}`;
  }
  if (cls === ST) {
    if (mode === MODE.MEM) return `${c} *(${width} *)${memAt(dst)} = ${imm}`;
    // BPF_NOSPEC, which only the verifier inserts (a speculation barrier), has no uapi name.
    if (mode === 0xc0) return `${c} nospec`;
    return `BUG_st_${hex2(code)}`;
  }
  if (cls === LDX) {
    if (mode !== MODE.MEM && mode !== MODE.MEMSX) return `BUG_ldx_${hex2(code)}`;
    return `${c} r${dst} = *(${mode === MODE.MEM ? width : table(SIGNED_SIZES, size >> 3)} *)${memAt(src)}`;
  }
  if (cls === LD) {
    if (mode === MODE.ABS) return `${c} r0 = *(${width} *)skb[${imm}]`;
    if (mode === MODE.IND) return `${c} r0 = *(${width} *)skb[r${src} + ${imm}]`;
    // The kernel keeps a 64-bit load's second slot; a buffer cut after the first reads its high half as 0.
    if (mode === MODE.IMM && size === DW) return `${c} r${dst} = ${immediateText(insn, insns.length >= at * 8 + 16 ? insns.readInt32LE(at * 8 + 12) : 0)}`;
    return `BUG_ld_${hex2(code)}`;
  }
  if (cls === JMP || cls === JMP32) {
    const r = cls === JMP32 ? 'w' : 'r';
    if (op === 0x80) return src === PSEUDO_CALL ? `${c} call pc${callText(insn, calls.get(at), jited)}` : `${c} call ${callText(insn, calls.get(at), jited)}#${imm}`;
    if (code === (JMP | 0x00)) return `${c} goto pc${signed(off)}`;
    // may_goto (Linux 6.9): BPF_JCOND with src 0.
    if (code === (JMP | 0xe0) && src === 0) return `${c} may_goto pc${signed(off)}`;
    // gotol (Linux 6.6): a 32-bit jump offset, in imm.
    if (code === (JMP32 | 0x00)) return `${c} gotol pc${signed(imm)}`;
    if (code === (JMP | 0x90)) return `${c} exit`;
    const name = table(JMP_OPS, op >> 4);
    if (byReg) return `${c} if ${r}${dst} ${name} ${r}${src} goto pc${signed(off)}`;
    return `${c} if ${r}${dst} ${name} 0x${(imm >>> 0).toString(16)} goto pc${signed(off)}`;
  }
  return `${c} ${CLASS_NAMES[cls]}`;
}

/** A 64-bit load's value as bpftool prints it: a map by id (the kernel's translation of a map fd), its value, a callback function, or the number. */
function immediateText(insn: RawInstruction, high: number): string {
  if (insn.srcReg === PSEUDO_MAP_FD) return `map[id:${insn.imm >>> 0}]`;
  if (insn.srcReg === PSEUDO_MAP_VALUE) return `map[id:${insn.imm >>> 0}][0]+${high >>> 0}`;
  if (insn.srcReg === PSEUDO_FUNC) return `subprog[${signed(insn.imm)}]`;
  return `0x${((BigInt(high >>> 0) << 32n) | BigInt(insn.imm >>> 0)).toString(16)}`;
}

/**
 * What a call names: a helper by its id (as only a tail call keeps it: the verifier turns the
 * others' ids into their distance from __bpf_call_base), else its target's kernel symbol or
 * address; a function of the program by its offset, and once JITed its symbol or address.
 */
function callText(insn: RawInstruction, target: CallTarget | undefined, jited: boolean): string {
  if (insn.srcReg === 0 && insn.imm >= 0 && insn.imm < HELPERS.length) return `bpf_${HELPERS[insn.imm]}`;
  const where = target?.symbol ?? `0x${(target?.address ?? 0n).toString(16)}`;
  if (insn.srcReg !== PSEUDO_CALL) return where;
  return jited ? `${signed(insn.off)}#${where}` : signed(insn.off);
}

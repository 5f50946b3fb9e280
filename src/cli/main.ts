#!/usr/bin/env node
// The `bpfscope` command: formats what the public API returns, nothing more.
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { BpfError } from '../errors';
import { dumpJited, dumpXlated, enableStats, getProgram, getProgramMetadata, listPrograms, type ProgramInfo } from '../programs';
import { getMapInfo, listMaps, openMap, type MapInfo, type MapRef } from '../maps';
import { MAP_IN_MAP, type BpftoolEntry } from '../map-dump';
import { MAX_INTERVAL_MS, sleepUnlessAborted } from '../map-watch';
import { findLinkDevices, listAttachments, type LinkDevice } from '../attachments';
import { listCgroupAttachments } from '../cgroups';
import { listAddresses, listInterfaces, nameMap, type InterfaceInfo } from '../interfaces';
import { listNetns, type NetnsInfo, type NetnsRef, type NetnsSocket } from '../netns';
import { findPeer } from '../peers';
import { resolveContainer } from '../containers';
import { getLink, listLinks, type LinkInfo } from '../links';
import { getBtfInfo, listBtf } from '../btf-objects';
import { btfToC } from '../btf-c';
import { btfObjectTypes, readBtfFile, type BtfFile, type BtfTypeRecord } from '../btf-dump';
import { listPinned, openPinned } from '../pins';
import { listHolders, listPerfAttachments, type HolderProcess, type PerfAttachment } from '../holders';
import { probeFeatures, versions } from '../features';
import { DEFAULT_BPFFS, globalsDir } from '../cilium/specs';
import { multicastGroup } from '../cilium/multicast';
import { parseClusterArgs } from '../cilium/percluster';
import { ipcacheMatchKey, ipcacheMatchMissing, isIpcacheGetAddress } from '../cilium/ipcache';
import { maglevGetMissing } from '../cilium/maglev';
import { cilium, type CiliumRecords, type CiliumVersion, type MetricsRecord, type PodTarget } from '../cilium';
import { checkId } from '../validate';
import { parseArgs, UsageError, type ParsedArgs } from './args';
import { attachmentDetails, bold, btfDumpText, bytes, dim, interfaceDetails, jitedText, oneLine, table, toJson, xlatedText } from './format';
import { runDemo } from './demo';

/** Exit codes, documented in the README. */
export const EXIT = { ok: 0, error: 1, usage: 2, permission: 3, notFound: 4 } as const;

const USAGE = `usage: bpfscope [command] [--json]

  (no command)            overview: interfaces with their peers and BPF, programs and maps by type
  prog [id]               BPF programs, with the processes holding them (bpftool prog show)
  prog dump [xlated] <id|name|pinned path> [--linum] [--opcodes]
                          a program's instructions as the kernel runs them, with its functions and
                          source lines (bpftool prog dump xlated [linum] [opcodes])
  prog dump jited <id|name|pinned path> [--linum] [--opcodes] [--raw]
                          its machine code as the JIT compiled it: each function's symbol and
                          prototype, the instructions after each source line, as bpftool prog dump
                          jited prints them with libbfd (x86-64, arm64; elsewhere the bytes);
                          --raw writes the code alone, for another disassembler (bpftool's file
                          FILE); needs CAP_SYSLOG
  map show [id|name]      BPF maps (bpftool map show)
  map dump <id|name|path> [--btf | --inner]
                          a map's entries (bpftool map dump), decoded with the map's BTF if it has
                          one (with --json: bytes and decoding, as bpftool -j); --btf: the decoded
                          entries alone; --inner adds each map-in-map entry's inner map and its entries
  map lookup <id|name|path> <key hex>
                          the value under a key, given as bytes in hex ("07 00 00 00" or 07000000),
                          as bpftool map lookup prints it
  map peek <id|name|path> a queue's or a stack's next value, without taking it (bpftool map peek)
  watch <id|name|path> [--interval ms] [--count n]
                          a live diff of a map: added, removed and changed entries per tick,
                          decoded with the map's BTF if it has one
  net [--netns REF]       BPF attachments per interface: tcx, tc, XDP (bpftool net show)
  cgroup [path] [--tree] [--effective]
                          BPF programs on a cgroup (default: the cgroup2 root), or on every cgroup
                          below it (bpftool cgroup show / tree); --effective adds inherited ones
  perf                    programs that processes run on tracepoints, kprobes, uprobes and raw
                          tracepoints, by the perf event or link fd they hold (bpftool perf)
  if [--netns REF]        interfaces with their addresses (ip -d addr)
  netns [--sockets]       every network namespace, with names, pids, nsid and what else holds it;
                          --sockets asks every process's sockets too (CAP_SYS_PTRACE, CAP_NET_ADMIN)
  demo [--version V]      the walkthrough on a fake Cilium node built in namespaces, then removed
  peer <pid|container-id> [ifname]
                          the veth peer of a pod's interface (default eth0) and the BPF on it
  link [id]               BPF links, tcx and netkit included (bpftool link show), each device link
                          with its device and, when not this one, the namespace that holds it
  btf [id]                BTF objects: the kernel's (vmlinux, modules) and loaded ones, with the
                          programs and maps using each (bpftool btf show)
  btf dump <id>           every type of a BTF object (bpftool btf dump id <id>)
  btf dump prog <id|name|pinned path>
                          every type of a program's BTF (bpftool btf dump prog …)
  btf dump map <id|name|pinned path> [key|value|kv|all]
                          a map's key and value types, or one of them, or every type of its BTF
                          (bpftool btf dump map …; kv by default)
  btf dump file <path> [--base-btf <path>]
                          every type of a BTF file: raw, or an ELF object's .BTF (bpftool btf
                          dump file …); split BTF (a module's) on the BTF --base-btf names
                          (bpftool -B), by default a module's in /sys/kernel/btf on vmlinux's
  btf dump … format c [unsorted]
                          the same as C declarations, as vmlinux.h is made (… format c); sorted
                          as bpftool sorts them, or in id order
  pinned [root]           objects pinned in bpffs
  top [--interval ms] [--count n]
                          programs by CPU share, refreshing (needs CAP_SYS_ADMIN for statistics)
  version, --version      bpfscope, libbpf, kernel and the features bpfscope probes (--version alone;
                          after a cilium command it names the Cilium version)
  cilium ipcache|endpoints|metrics|egress|ct|nat|lb|revnat|nodeid|auth|vtep|config [--version V] [--bpffs DIR]
                          cilium-dbg bpf … list (ct list global; revnat: lb list --revnat), as that
                          Cilium version prints it (default: the version the node's maps tell, see
                          cilium version; when they tell none, the newest whose layouts fit the
                          map's sizes)
  cilium version [--bpffs DIR]
                          the Cilium version the maps pinned under tc/globals tell (their names,
                          sizes and flags against each version's), with the maps that narrow it
  cilium lb --frontends|--backends|--source-ranges [--version V] [--bpffs DIR]
                          cilium-dbg bpf lb list --frontends (the services maps' entries as
                          stored), --backends (the backends maps), --source-ranges (each
                          service's source ranges); one at a time
  cilium ct --time-diff [--state-dir DIR]
  cilium nat [--state-dir DIR]
                          times against Cilium's clock, whose source the agent's runtime config
                          gives (agent-runtime-config.json in DIR, default /var/run/cilium/state);
                          nat without one prints Created= raw and says why on stderr
  cilium nat retries [--version V] [--bpffs DIR]
                          cilium-dbg bpf nat retries list (1.18+): the ports new SNAT mappings
                          tried, per bucket; bucket 32 counts those dropped for want of a port
  cilium srv6 vrf|policy|sid [--version V] [--bpffs DIR]
                          cilium-dbg bpf srv6 vrf|policy|sid: VRF mappings, SRv6 policies, local SIDs
  cilium bandwidth|ipmasq|frag [--version V] [--bpffs DIR]
                          cilium-dbg bpf bandwidth|ipmasq|frag list: the bandwidth manager's rates,
                          the CIDRs not masqueraded to, the ports of fragmented datagrams
  cilium maglev|socknat [--version V] [--bpffs DIR]
                          cilium-dbg bpf lb maglev list (each service's Maglev table) and bpf
                          socknat list (socket-LB reverse NAT; its text from 1.18, --json before);
                          maps the node lacks are skipped, as cilium-dbg skips them
  cilium tunnel|recorder [--version V] [--bpffs DIR]
                          cilium-dbg bpf tunnel list (1.14–1.17: each remote pod CIDR's tunnel
                          endpoint and IPsec key) and bpf recorder list (1.14–1.18: PCAP capture rules)
  cilium drops [--interval ms] [--count n] [--version V] [--bpffs DIR]
                          the drops counted in cilium_metrics since the last tick, live
  cilium policy <endpoint-id> [--version V] [--bpffs DIR]
                          cilium-dbg bpf policy get <endpoint-id> -n: an endpoint's policy map
  cilium policy --all|list [--version V] [--bpffs DIR]
                          cilium-dbg bpf policy get --all -n and bpf policy list: every policy map
                          pinned (cilium_policy_*), each with its endpoint id and path; list titles
                          the identities LABELS, printed as numbers (the labels need the agent)
  cilium multicast group|subscriber [group|all] [--version V] [--bpffs DIR]
                          cilium-dbg bpf multicast group list, subscriber list <group>|all (1.16+):
                          the multicast groups, and the subscribers of one group or of all
  explain <pid|container-id|ip> [--version V] [--bpffs DIR]
  cilium explain <pid|container-id|ip> [--version V] [--bpffs DIR]
                          a pod's datapath end to end (the walkthrough), with findings; every map
                          decoded with one version (default: the node's, else the newest the
                          ipcache's sizes fit);
                          exits 1 when a finding is an ERROR
  cilium ipcache get <ip> [--version V] [--bpffs DIR]
  cilium ipcache match <prefix> [--version V] [--bpffs DIR]
  cilium maglev get <service-id> [--version V] [--bpffs DIR]
                          cilium-dbg bpf ipcache get (the longest prefix covering the address),
                          ipcache match (1.18+: the entry of exactly that prefix), bpf lb maglev get
                          (1.14-1.17: a service's tables); exit 4 when nothing matches
  cilium ct [global] | cilium ct cluster <cluster-id> [--time-diff] [--version V] [--bpffs DIR]
  cilium nat cluster <cluster-id> [--version V] [--bpffs DIR]
                          cilium-dbg bpf ct list global | cluster <id>, bpf nat list cluster <id>:
                          a remote cluster's conntrack and SNAT maps (Cluster Mesh's per-cluster
                          maps, by their pins; an id outside 1..255 is bad usage)

REF is a pid, a netns name (/var/run/netns/NAME) or a path (/proc/PID/ns/net). A map is an id, a
name, or the path of its pin (any word with a /, ./NAME in bpffs too).
Every command takes --json (64-bit numbers as strings; watch, top and cilium drops print one
line per tick). Colour follows NO_COLOR and the terminal.
Exit codes: 0 ok, 1 error, 2 bad usage, 3 missing privilege (EPERM/EACCES), 4 not found.`;

/** The listings `cilium lb` takes a flag for besides its default, in the order cilium-dbg's switch checks them. */
const LB_LISTINGS = ['frontends', 'backends', 'source-ranges'] as const;

/** Options of the cilium commands that read maps. */
const CILIUM_READ_OPTIONS = ['version', 'cilium-version', 'bpffs'] as const;

/** What `bpfscope cilium` takes. */
const CILIUM_WORDS = 'version|ipcache|endpoints|metrics|drops|ct [global|cluster <cluster-id>]|nat [retries|cluster <cluster-id>]|egress|srv6|lb|revnat|maglev|socknat|nodeid|auth|vtep|bandwidth|ipmasq|frag|config|policy <id>|explain <target>|ipcache get <ip>|ipcache match <prefix>|maglev get <id>|tunnel|recorder|multicast group|multicast subscriber [group|all]|policy --all|policy list';

/** `prog dump`'s words: bpftool's `prog dump xlated|jited PROG`, and `--raw` for bpftool's `file FILE`. */
const PROG_DUMP_USAGE = 'prog dump [xlated|jited] <id|name|pinned path> [--linum] [--opcodes] | prog dump jited <id|name|pinned path> --raw';

/**
 * What each command takes besides --json and --help: its usage line, its options, and at most how
 * many words follow its name. Anything more is bad usage, not ignored: `net eth0` printing every
 * interface's attachments would read as eth0's.
 */
const SYNTAX: Record<string, { usage: string; options: readonly string[]; maxWords: number }> = {
  prog: { usage: `prog [id] | ${PROG_DUMP_USAGE}`, options: ['linum', 'opcodes', 'raw'], maxWords: 3 },
  // map lookup takes its key as one word or as one word per byte.
  map: { usage: 'map show [id|name] | map dump|lookup|peek <id|name|path> …', options: ['btf', 'inner'], maxWords: Infinity },
  watch: { usage: 'watch <id|name|path> [--interval ms] [--count n]', options: ['interval', 'count'], maxWords: 1 },
  net: { usage: 'net [--netns REF]', options: ['netns'], maxWords: 0 },
  cgroup: { usage: 'cgroup [path] [--tree] [--effective]', options: ['tree', 'effective'], maxWords: 1 },
  perf: { usage: 'perf', options: [], maxWords: 0 },
  if: { usage: 'if [--netns REF]', options: ['netns'], maxWords: 0 },
  netns: { usage: 'netns [--sockets]', options: ['sockets'], maxWords: 0 },
  demo: { usage: 'demo [--version V]', options: ['version', 'cilium-version'], maxWords: 0 },
  peer: { usage: 'peer <pid|container-id> [ifname]', options: [], maxWords: 2 },
  explain: { usage: 'explain <pid|container-id|ip> [--version V] [--bpffs DIR]', options: CILIUM_READ_OPTIONS, maxWords: 1 },
  // cilium ipcache get <ip>, multicast subscriber <group> and the like take three words after
  // cilium; four reach the command so that `ct|nat cluster <id> <more>` is refused in cilium-dbg's
  // words. Each command refuses the words it does not take.
  cilium: { usage: `cilium ${CILIUM_WORDS}`, options: [...CILIUM_READ_OPTIONS, 'interval', 'count', 'state-dir', 'time-diff', ...LB_LISTINGS, 'all'], maxWords: 4 },
  link: { usage: 'link [id]', options: [], maxWords: 1 },
  btf: { usage: 'btf [id] | btf dump <id> | btf dump prog <id|name|pinned path> | btf dump map <id|name|pinned path> [key|value|kv|all] | btf dump file <path> [--base-btf <path>], each dump [format raw|c [unsorted]]', options: ['base-btf'], maxWords: 7 },
  pinned: { usage: 'pinned [root]', options: [], maxWords: 1 },
  top: { usage: 'top [--interval ms] [--count n]', options: ['interval', 'count'], maxWords: 0 },
  version: { usage: 'version', options: [], maxWords: 0 },
};

/** Refuses the words and options `name` does not take (see SYNTAX). */
function checkSyntax(name: string, { positionals, options }: ParsedArgs): void {
  const { usage, options: taken, maxWords } = SYNTAX[name];
  const extra = Object.keys(options).find((o) => o !== 'json' && !taken.includes(o));
  if (extra !== undefined) throw new UsageError(`${name} takes no --${extra}; usage: bpfscope ${usage}`);
  if (positionals.length > maxWords) throw new UsageError(`usage: bpfscope ${usage}`);
}

interface Context {
  json: boolean;
  out: (s: string) => void;
}

/** A command resolves to its exit code, or to nothing for EXIT.ok. */
type Command = (args: ParsedArgs, ctx: Context) => Promise<number | void>;

function print(ctx: Context, value: unknown, text: () => string): void {
  ctx.out(ctx.json ? toJson(value) : text());
}

/** What cilium.format.* return for no records, a line cilium-dbg writes to stderr (exit 0). */
const NO_ENTRIES = 'No entries found.\n';

/**
 * Records as cilium-dbg prints them, byte for byte: the tabwriter's trailing spaces kept on every
 * row (the last one too), and "No entries found." on stderr, where cilium-dbg writes it.
 */
function printCiliumDbg<R>(ctx: Context, records: R[], format: (records: R[]) => string): void {
  if (ctx.json) return ctx.out(toJson(records));
  const text = format(records);
  if (text === NO_ENTRIES) process.stderr.write(text);
  // No text (nat retries without either map) prints nothing, not the empty line out() would end.
  else if (text !== '') ctx.out(text.slice(0, -1)); // out() ends the line itself
}

/** A `bpfscope cilium` command that prints one map's records as its formatter does. */
function oneMapCommand<R>(reader: (options: CiliumRead) => Promise<R[]>, format: (records: R[]) => string) {
  return async (read: CiliumRead, ctx: Context) => printCiliumDbg(ctx, await reader(read), format);
}

const ONE_MAP_COMMANDS: Record<string, (read: CiliumRead, ctx: Context) => Promise<void>> = {
  ipcache: oneMapCommand(cilium.ipcache, cilium.format.ipcache),
  endpoints: oneMapCommand(cilium.endpoints, cilium.format.endpoints),
  metrics: oneMapCommand(cilium.metrics, cilium.format.metrics),
  nodeid: oneMapCommand(cilium.nodeIds, cilium.format.nodeIds),
  auth: oneMapCommand(cilium.auth, cilium.format.auth),
  vtep: oneMapCommand(cilium.vtep, cilium.format.vtep),
  bandwidth: oneMapCommand(cilium.bandwidth, cilium.format.bandwidth),
  config: oneMapCommand(cilium.runtimeConfig, cilium.format.runtimeConfig),
  tunnel: oneMapCommand(cilium.tunnel, cilium.format.tunnel),
};

function programRows(programs: ProgramInfo[], holders: Map<number, HolderProcess[]>): unknown[][] {
  return programs.map((p) => [p.id, p.type, p.name, p.tag, p.loadedAt, p.bytesXlated, p.bytesJited, bytes(p.bytesMemlock), p.mapIds, pidsText(holders.get(p.id))]);
}

/** bpftool's text for the processes holding an object: `node(4871) sleep(4890)`. */
function pidsText(processes: HolderProcess[] | undefined): string {
  return (processes ?? []).map((p) => `${p.comm ?? '?'}(${p.pid})`).join(' ');
}

/**
 * Objects as JSON with the processes holding them, as bpftool -j adds `pids` (only to objects
 * someone holds).
 */
function withPids<T extends { id: number }>(objects: T[], holders: Map<number, HolderProcess[]>): (T & { pids?: { pid: number; comm: string }[] })[] {
  return objects.map((o) => {
    const held = holders.get(o.id);
    return held ? { ...o, pids: held.map(({ pid, comm }) => ({ pid, comm })) } : o;
  });
}

// Listings read who holds BPF objects (listHolders) before they open any, as bpftool reads its pid
// table first: opening each object for a moment while /proc was read made this process show up
// among the holders of the object it was reading.
const commands: Record<string, Command> = {
  async prog({ positionals, options }, ctx) {
    if (positionals[0] === 'dump') {
      // bpftool's `prog dump xlated|jited PROG`; the kind may be left out for xlated (a program
      // named like a kind then needs it: `prog dump xlated jited`).
      const kinded = positionals[1] === 'xlated' || positionals[1] === 'jited';
      const [, kind, ref] = kinded ? positionals : ['dump', 'xlated', ...positionals.slice(1)];
      const linum = options.linum === true;
      if (positionals.length > (kinded ? 3 : 2) || ref === undefined) throw new UsageError(`usage: bpfscope ${PROG_DUMP_USAGE}`);
      if (kind === 'xlated') {
        if (options.raw) throw new UsageError('--raw writes JITed code: bpfscope prog dump jited <id|name|pinned path> --raw');
        const instructions = await dumpXlated(await programId(ref));
        return print(ctx, instructions, () => xlatedText(instructions, { linum, opcodes: options.opcodes === true }));
      }
      // --raw writes the machine code alone, for another disassembler.
      if (options.raw && (ctx.json || linum || options.opcodes)) throw new UsageError('--raw writes the machine code alone: no --json, --linum or --opcodes');
      if (options.raw && process.stdout.isTTY)
        throw new UsageError(`--raw writes machine code: send it to a file or a pipe (… --raw | objdump -D -b binary -m ${process.arch === 'arm64' ? 'aarch64' : 'i386:x86-64'} /dev/stdin)`);
      const jited = await dumpJited(await programId(ref));
      if (options.raw) return void process.stdout.write(jited.image);
      return print(ctx, jited, () => jitedText(jited, { linum, opcodes: options.opcodes === true }));
    }
    if (positionals.length > 1 || options.linum || options.opcodes || options.raw) throw new UsageError(`usage: bpfscope ${SYNTAX.prog.usage}`);
    const { programs: holders } = await listHolders();
    const programs = positionals[0] ? [await getProgram(parseId(positionals[0], 'program id'))] : await listPrograms();
    const printed = withPids(programs, holders);
    const listing = () => table(['id', 'type', 'name', 'tag', 'loaded', 'xlated', 'jited', 'memlock', 'maps', 'pids'], programRows(programs, holders));
    if (!positionals[0]) return print(ctx, printed, listing);
    // One program: its metadata too, as `bpftool prog show id N` prints it (a map read per program,
    // which the listing of every program leaves out).
    const metadata = await getProgramMetadata(programs[0]);
    print(ctx, metadata ? { ...printed[0], metadata } : printed[0], () =>
      metadata ? `${listing()}\nmetadata:\n${Object.entries(metadata).map(([name, value]) => `  ${name} = ${toJson(value, 0)}`).join('\n')}` : listing(),
    );
  },

  async map({ positionals, options }, ctx) {
    const [sub, ref, ...rest] = positionals;
    if (sub === 'dump') {
      if (ref === undefined || rest.length > 0) throw new UsageError('usage: bpfscope map dump <id|name|pinned path> [--btf | --inner]');
      using map = await openMap(mapRef(ref));
      refuseQueue(map.info, 'map dump');
      // A map of another type is the command misapplied (bad usage, exit 2), not a failure.
      if (options.inner && !MAP_IN_MAP.has(map.info.type)) {
        throw new UsageError(`--inner is for array_of_maps and hash_of_maps; map ${map.info.id} is a ${String(map.info.type)} map`);
      }
      if (options.inner) {
        const { dump, inner } = await map.dumpInner();
        const entries = dump.toJSON().map((e, i) => {
          const m = inner[i];
          if (!m) return { ...e, inner_map: null };
          const contents = m.dump ? { entries: m.dump.toJSON() } : { unreadable: m.unreadable };
          return { ...e, inner_map: { id: m.info.id, name: m.info.name, type: m.info.type, ...contents } };
        });
        if (ctx.json) ctx.out(toJson(entries));
        else {
          for (let i = 0; i < dump.count; i++) {
            const m = inner[i];
            const contents = !m ? '' : m.dump ? ` (${m.dump.count} element${m.dump.count === 1 ? '' : 's'})` : ` (${String(m.info.type)}: ${m.unreadable})`;
            ctx.out(`key: ${dump.key(i).toString('hex')}  inner map: ${m ? `${m.info.id} ${m.info.name}${contents}` : `${dump.id(i)} (gone)`}`);
            for (const e of m?.dump?.toJSON() ?? []) ctx.out(entryText(e).replace(/^/gm, '    '));
          }
          ctx.out(`Found ${dump.count} element${dump.count === 1 ? '' : 's'}`);
        }
        return;
      }
      // As bpftool does, a map with BTF prints its decoded entries, and its JSON gives each entry's
      // bytes and, as `formatted`, their decoding; --btf prints the decoded entries alone.
      const hasBtf = (await map.btfTypes()) !== undefined;
      // A dump is one native call: on a terminal, say what is running until it returns.
      const busy = process.stderr.isTTY ? `… dumping map ${map.info.id} ${map.info.name} (up to ${map.info.maxEntries} entries)` : '';
      if (busy) process.stderr.write(dim(busy));
      const dump = await map.dump();
      if (busy) process.stderr.write(`\r${' '.repeat(busy.length)}\r`);
      if (options.btf || (hasBtf && !ctx.json)) {
        // decode() gives bytes where there is no BTF: say so, rather than pass them off as decoded.
        if (!hasBtf) process.stderr.write(`bpfscope: map ${map.info.id} ${map.info.name} has no BTF: its entries are printed as bytes\n`);
        const entries = dump.decode();
        ctx.out(ctx.json ? toJson(entries) : entries.map(oneLine).join('\n'));
      } else if (ctx.json) {
        const formatted = hasBtf ? dump.decode() : undefined;
        ctx.out(toJson(formatted ? dump.toJSON().map((e, i) => ({ ...e, formatted: formatted[i] })) : dump.toJSON()));
      } else {
        for (const e of dump.toJSON()) ctx.out(entryText(e));
        ctx.out(`Found ${dump.count} element${dump.count === 1 ? '' : 's'}`);
      }
      return;
    }
    if (sub === 'lookup' || sub === 'peek') {
      if (ref === undefined || (sub === 'lookup' ? rest.length === 0 : rest.length > 0)) {
        throw new UsageError('usage: bpfscope map lookup <id|name|path> <key bytes in hex> | map peek <id|name|path>');
      }
      using map = await openMap(mapRef(ref));
      // peek: a queue's or a stack's next value, which a lookup with no key reads. Only they have no
      // keys; on another map the empty key was refused for its size ("4-byte keys; got 0 bytes").
      if (sub === 'peek' && map.info.keySize !== 0) {
        throw new UsageError(`map peek reads a queue or a stack; map ${map.info.id} is a ${String(map.info.type)} map (map lookup takes its key)`);
      }
      const key = sub === 'peek' ? Buffer.alloc(0) : hexKey(rest, map.info.keySize);
      const value = await map.lookup(key);
      if (value === undefined) throw new NotFound(sub === 'peek' ? `map ${map.info.id} is empty` : `no entry under key ${key.toString('hex')} in map ${map.info.id}`);
      // As `bpftool map lookup` prints it: decoded when the map has BTF; in JSON the bytes, and the decoding as `formatted`.
      const formatted = (await map.btfTypes()) !== undefined ? (await map.entryDecoder())(key, value) : undefined;
      const bytes = (await map.entryDecoder({ format: 'hex' }))(key, value);
      if (ctx.json) ctx.out(toJson(formatted ? { ...bytes, formatted } : bytes));
      else ctx.out(formatted ? oneLine(formatted) : entryText(bytes));
      return;
    }
    if (sub !== 'show' || rest.length > 0) throw new UsageError('usage: bpfscope map show [id|name] | map dump|lookup|peek <id|name|path>');
    const holders = (await listHolders()).maps;
    let maps: MapInfo[];
    if (ref === undefined) maps = await listMaps();
    else if (/^\d+$/.test(ref)) maps = [await getMapInfo(parseId(ref, 'map id'))];
    else maps = (await listMaps()).filter((m) => m.name === ref);
    if (ref !== undefined && maps.length === 0) throw new NotFound(`no map named ${ref}`);
    const printed = withPids(maps, holders);
    print(ctx, ref !== undefined && maps.length === 1 ? printed[0] : printed, () =>
      table(
        ['id', 'type', 'name', 'key', 'value', 'max', 'flags', 'memlock', 'btf', 'pids'],
        maps.map((m) => [m.id, m.type, m.name, m.keySize, m.valueSize, m.maxEntries, `0x${m.flags.toString(16)}`, bytes(m.bytesMemlock), m.btfId, pidsText(holders.get(m.id))]),
      ),
    );
  },

  async watch({ positionals, options }, ctx) {
    if (positionals.length !== 1) throw new UsageError('usage: bpfscope watch <id|name|pinned path> [--interval ms] [--count n]');
    const intervalMs = options.interval ? parseInterval(options.interval as string) : 1000;
    const count = options.count ? parsePositive(options.count as string, '--count') : Infinity;
    using map = await openMap(mapRef(positionals[0]));
    refuseQueue(map.info, 'watch');
    // A map with BTF: each change also decoded, as `map dump` prints its entries.
    const decode = (await map.btfTypes()) !== undefined ? await map.entryDecoder() : undefined;
    // The bytes as bpftool's entry: a per-CPU map's value split by CPU, without the kernel's padding.
    const hexEntry = await map.entryDecoder({ format: 'hex' });
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    let tick = 0;
    for await (const { added, removed, changed, dump } of map.watch({ intervalMs, signal: controller.signal })) {
      const hex = (b: Buffer) => b.toString('hex');
      const entry = (e: { key: Buffer; value: Buffer }) => ({ key: hex(e.key), ...valueJson(hexEntry(e.key, e.value)), ...(decode && { formatted: decode(e.key, e.value) }) });
      if (ctx.json) {
        ctx.out(toJson({
          tick,
          count: dump.count,
          added: added.map(entry),
          removed: removed.map(entry),
          changed: changed.map((e) => ({
            key: hex(e.key), ...valueJson(hexEntry(e.key, e.oldValue), 'old'), ...valueJson(hexEntry(e.key, e.value), 'new'),
            ...(decode && { formatted: { old: decode(e.key, e.oldValue), new: decode(e.key, e.value) } }),
          })),
        }, 0));
      } else {
        ctx.out(dim(`tick ${tick}: ${dump.count} entries, +${added.length} -${removed.length} ~${changed.length}`));
        const text = (key: Buffer, value: Buffer) => (decode ? oneLine(decode(key, value)) : `${hex(key)} ${valueText(hexEntry(key, value))}`);
        for (const e of added) ctx.out(`+ ${text(e.key, e.value)}`);
        for (const e of removed) ctx.out(`- ${text(e.key, e.value)}`);
        for (const e of changed) {
          const now = decode?.(e.key, e.value);
          ctx.out(`~ ${text(e.key, e.oldValue)} → ${now ? oneLine('value' in now ? now.value : now.values) : valueText(hexEntry(e.key, e.value))}`);
        }
      }
      if (++tick >= count) controller.abort();
    }
  },

  async net({ options }, ctx) {
    const netns = netnsRef(options.netns);
    const attachments = await listAttachments({ netns });
    print(ctx, attachments, () =>
      table(['ifname', 'ifindex', 'hook', 'prog', 'name', 'type', 'details'], attachments.map((a) => [
        'ifname' in a ? a.ifname : undefined, 'ifindex' in a ? a.ifindex : undefined, a.hook, a.progId, a.progName, a.progType, attachmentDetails(a),
      ])),
    );
  },

  async cgroup({ positionals, options }, ctx) {
    const attachments = await listCgroupAttachments({ path: positionals[0], recursive: options.tree === true, effective: options.effective === true });
    print(ctx, attachments, () =>
      table(['cgroup', 'attach type', 'flags', 'prog', 'name', 'link'], attachments.map((a) => [a.cgroup, a.attachType, a.attachFlags, a.progId, a.progName, a.linkId])),
    );
  },

  async perf(_, ctx) {
    const { attachments, unreadable } = await listPerfAttachments();
    print(ctx, { attachments, unreadable }, () => {
      const rows = attachments.map((a) => [a.pid, a.comm, a.fd, a.progId, a.type, perfTarget(a), 'offset' in a ? a.offset : undefined]);
      const listing = table(['pid', 'comm', 'fd', 'prog', 'type', 'on', 'offset'], rows);
      return unreadable.length === 0 ? listing : `${listing}\n(fds not readable: pid ${unreadable.join(', ')})`;
    });
  },

  async if({ options }, ctx) {
    const netns = netnsRef(options.netns);
    const [interfaces, addresses] = await Promise.all([listInterfaces({ netns }), listAddresses({ netns })]);
    const names = nameMap(interfaces);
    print(ctx, { interfaces, addresses }, () =>
      table(['ifindex', 'name', 'kind', 'state', 'mac', 'mtu', 'peer', 'details', 'addresses'], interfaces.map((i) => [
        i.ifindex, i.name, i.kind, i.operState, i.mac, i.mtu, peerText(i, names), interfaceDetails(i, names),
        // A point-to-point address's prefix is its peer's, as ip prints it: `10.0.0.1 peer 10.0.0.2/32`.
        addresses.filter((a) => a.ifindex === i.ifindex).map((a) => `${a.local}${a.address ? ` peer ${a.address}` : ''}/${a.prefixlen}`),
      ])),
    );
  },

  async netns({ options }, ctx) {
    const all = await listNetns({ sockets: options.sockets === true });
    print(ctx, all, () => table(['inode', 'nsid', 'names', 'pids', 'current', 'also held by'], all.map((n) => [
      n.inode, n.nsid, n.names, n.pids.slice(0, 8).join(',') + (n.pids.length > 8 ? ',…' : ''), n.current ? 'yes' : '', heldBy(n),
    ])));
  },

  async peer({ positionals }, ctx) {
    const [who, ifname = 'eth0', ...rest] = positionals;
    if (who === undefined || rest.length > 0) throw new UsageError('usage: bpfscope peer <pid|container-id> [ifname]');
    let netns: NetnsRef;
    if (/^\d+$/.test(who)) netns = { pid: Number(who) };
    else {
      const container = await resolveContainer(who);
      if (!container.netns) throw new NotFound(`container ${who} has no running process`);
      netns = { pid: container.netns.pid };
    }
    const { local, peer } = await findPeer({ netns, ifname });
    print(ctx, { local, peer }, () => {
      if (!peer) return `${local.name} (ifindex ${local.ifindex}) has no peer`;
      const lines = [
        `${local.name} (ifindex ${local.ifindex}, ${local.mac ?? '-'}) ⇄ ${bold(peer.name)} (ifindex ${peer.ifindex}, ${peer.mac ?? '-'}) in netns ${peer.netns.inode}${peer.netns.current ? ' (this one)' : ''}${peer.netns.names.length ? ` [${peer.netns.names.join(', ')}]` : ''}, found by ${peer.foundBy}`,
      ];
      if (peer.attachments.length === 0) lines.push('no BPF on the peer');
      for (const a of peer.attachments) lines.push(`  ${a.hook}: ${a.progName ?? '?'} (prog ${a.progId}, ${String(a.progType ?? '?')})`);
      return lines.join('\n');
    });
  },

  async explain({ positionals, options }, ctx) {
    const [target, ...rest] = positionals;
    if (target === undefined || rest.length > 0) throw new UsageError('usage: bpfscope explain <pid|container-id|ip>');
    const who: PodTarget = /^\d+$/.test(target) ? { pid: Number(target) } : /^[\d.]+$|:/.test(target) ? { ip: target } : { containerId: target };
    if ('ip' in who && isIP(target) === 0) throw new UsageError(`not an IP address: ${target}`);
    const report = await cilium.explainPod(who, ciliumRead(options));
    print(ctx, report, () => cilium.format.pod(report).trimEnd());
    // A broken link of the chain, or a step that could not run, fails the command, so that a
    // script can test the pod (`bpfscope explain $ip || …`); the report is printed either way.
    return report.findings.some((f) => f.severity === 'error') ? EXIT.error : EXIT.ok;
  },

  async demo({ positionals, options }, ctx) {
    await runDemo(ctx.out, ciliumRead(options).version ?? '1.18');
  },

  async cilium(args, ctx) {
    const given = ciliumRead(args.options);
    if (args.positionals[0] === 'version') return ciliumVersion(args, given, ctx);
    // explainPod asks the node's version itself (commands.explain), once.
    const read = args.positionals[0] === 'explain' ? given : await onNode(given);
    return ciliumCommand(args, read, ctx).catch((err: unknown) => {
      // A refusal in the version's words ("Cilium 1.18 has no such map"), of a version nobody gave.
      if (read.version !== given.version && err instanceof Error && err.message.includes(`Cilium ${read.version} `)) process.stderr.write(`bpfscope: read as Cilium ${read.version}, the version the maps pinned under tc/globals tell (bpfscope cilium version says why; --version reads as another)\n`);
      throw err;
    });
  },
  async link({ positionals }, ctx) {
    const { links: holders } = await listHolders();
    const links = positionals[0] ? [await getLink(parseId(positionals[0], 'link id'))] : await listLinks();
    const devices = await findLinkDevices(links);
    const located = withPids(links.map((l) => (devices.has(l.id) ? { ...l, device: devices.get(l.id) } : l)), holders);
    print(ctx, positionals[0] ? located[0] : located, () =>
      table(['id', 'type', 'prog', 'details', 'pids'], links.map((l) => [l.id, l.type, l.progId, linkDetails(l, devices.get(l.id)), pidsText(holders.get(l.id))])),
    );
  },

  async btf({ positionals, options }, ctx) {
    if (positionals[0] === 'dump') {
      const { read, roots, format, sorted } = await btfDumpRequest(positionals.slice(1), options['base-btf'] as string | undefined);
      if (format === 'c') {
        if (ctx.json) throw new UsageError('--json: a C dump is text (as bpftool refuses -j with format c)');
        const { types, pointerSize } = await read(true);
        // The text ends in a newline, which out() adds.
        ctx.out(btfToC(types, { roots, sorted, pointerSize }).slice(0, -1));
        return;
      }
      const { types: all } = await read(false);
      // bpftool prints the root types alone; a map with BTF for its value only has key type 0, which
      // bpftool prints as `[0] UNKNOWN '(anon)'` and this leaves out.
      const types = roots === undefined ? all : roots.map((root) => all.find((t) => t.id === root)).filter((t): t is BtfTypeRecord => t !== undefined);
      print(ctx, types, () => btfDumpText(types));
      return;
    }
    if (positionals.length > 1 || options['base-btf'] !== undefined) throw new UsageError(`usage: bpfscope ${SYNTAX.btf.usage}`);
    const { btfs: holders } = await listHolders();
    const objects = positionals[0] ? [await getBtfInfo(parseId(positionals[0], 'BTF id'))] : await listBtf();
    const printed = withPids(objects, holders);
    print(ctx, positionals[0] ? printed[0] : printed, () =>
      table(['id', 'name', 'size', 'kernel', 'progs', 'maps', 'pids'], objects.map((o) => [o.id, o.name, o.size, o.kernel, o.progIds, o.mapIds, pidsText(holders.get(o.id))])),
    );
  },

  async pinned({ positionals }, ctx) {
    const entries = await listPinned(positionals[0]);
    print(ctx, entries, () =>
      table(['path', 'kind', 'id', 'name / type'], entries.map((e) =>
        'info' in e ? [e.path, e.kind, e.info.id, 'name' in e.info ? e.info.name : e.info.type] : [e.path, e.kind, '-', e.code],
      )),
    );
  },

  async top({ options }, ctx) {
    const interval = options.interval ? parseInterval(options.interval as string) : 1000;
    const count = options.count ? parsePositive(options.count as string, '--count') : Infinity;
    using _stats = await enableStats();
    let before = new Map((await listPrograms()).map((p) => [p.id, p]));
    for (let n = 0; n < count; n++) {
      await new Promise((r) => setTimeout(r, interval));
      const now = await listPrograms();
      const rows = now
        .map((p) => {
          const prev = before.get(p.id);
          const dt = (p.runTimeNs ?? 0n) - (prev?.runTimeNs ?? p.runTimeNs ?? 0n);
          const dc = (p.runCount ?? 0n) - (prev?.runCount ?? p.runCount ?? 0n);
          return { id: p.id, type: p.type, name: p.name, cpuPercent: (Number(dt) / (interval * 1e6)) * 100, eventsPerSec: Number(dc) / (interval / 1000), avgNs: dc > 0n ? Number(dt / dc) : 0 };
        })
        .sort((a, b) => b.cpuPercent - a.cpuPercent || b.eventsPerSec - a.eventsPerSec);
      before = new Map(now.map((p) => [p.id, p]));
      if (ctx.json) ctx.out(toJson(rows, 0));
      else {
        if (process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
        ctx.out(`${bold('bpfscope top')} ${dim(`every ${interval} ms, ${rows.length} programs`)}`);
        ctx.out(table(['id', 'type', 'name', 'cpu %', 'events/s', 'avg ns'], rows.slice(0, 40).map((r) => [r.id, r.type, r.name, r.cpuPercent.toFixed(2), Math.round(r.eventsPerSec), r.avgNs])));
      }
    }
  },

  async version(_args, ctx) {
    const v = versions();
    // The versions stand without the features: a failed probe is reported, not the command failed.
    const probed = await probeFeatures().then((features) => ({ features }), (err: unknown) => ({ featuresError: err instanceof Error ? err.message : String(err) }));
    print(ctx, { ...v, ...probed }, () =>
      [
        `bpfscope ${v.bpfscope} (node ${v.node}${v.napi === undefined ? '' : `, napi ${v.napi}`})`,
        `libbpf ${v.libbpf.runtime} (built against ${v.libbpf.build})`,
        `kernel ${v.kernel} ${v.machine}${v.vmlinuxBtf ? ', vmlinux BTF' : ''}`,
        ...('features' in probed
          ? probed.features.map((f) => `  ${f.supported === undefined ? '?' : f.supported ? '✓' : '✗'} ${f.name} (Linux ≥ ${f.minKernel})${f.unknownBecause ? `: ${f.unknownBecause}` : ''}`)
          : [`  features: could not be probed (${probed.featuresError})`]),
      ].join('\n'),
    );
  },
};

/**
 * A veth's or netkit's peer, as findPeer() sees one: by name in the same namespace, else by ifindex
 * and nsid. The IFLA_LINK of a macvlan, vlan or tunnel names its lower device, which is no peer.
 */
function peerText(i: InterfaceInfo, names: Map<number, string>): string | undefined {
  if ((i.kind !== 'veth' && i.kind !== 'netkit') || !i.linkIndex) return undefined;
  if (i.linkNetnsId !== undefined) return `if${i.linkIndex} (nsid ${i.linkNetnsId})`;
  return names.get(i.linkIndex) ?? `if${i.linkIndex}`;
}

/**
 * What holds a namespace besides its names and processes: its mounts, those of other mount
 * namespaces (`PATH in mnt:[INODE]`, the path as that namespace sees it), fds (`fd N of PID`),
 * threads (`thread TID of PID`) and sockets (`udp socket fd N of PID`, as ss names them).
 */
function heldBy(n: NetnsInfo): string[] {
  return [
    ...n.mounts,
    ...n.foreignMounts.map((m) => `${m.mountPoint} in mnt:[${m.mntns}]`),
    ...(n.fds ?? []).map((f) => `fd ${f.fd} of ${f.pid}`),
    ...(n.threads ?? []).map((t) => `thread ${t.tid} of ${t.pid}`),
    ...(n.sockets ?? []).map((k) => `${socketKind(k)} socket fd ${k.fd} of ${k.pid}`),
  ];
}

/** A socket's kind as `ss` names its tables (tcp, udp, raw, u_str, nl, p_raw…), else its numbers. */
function socketKind({ family, type, protocol }: NetnsSocket): string {
  const AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10, AF_NETLINK = 16, AF_PACKET = 17, SOCK_RAW = 3;
  // IPPROTO_ICMP and IPPROTO_ICMPV6 in a datagram socket: a ping socket.
  const inet: Record<number, string> = { 6: 'tcp', 17: 'udp', 132: 'sctp', 1: 'icmp', 58: 'icmp6' };
  const unix: Record<number, string> = { 1: 'u_str', 2: 'u_dgr', 5: 'u_seq' };
  let kind: string | undefined;
  if (family === AF_INET || family === AF_INET6) kind = type === SOCK_RAW ? 'raw' : inet[protocol];
  else if (family === AF_UNIX) kind = unix[type];
  else if (family === AF_NETLINK) kind = 'nl';
  else if (family === AF_PACKET) kind = type === SOCK_RAW ? 'p_raw' : 'p_dgr';
  return kind ?? `family ${family} type ${type} protocol ${protocol}`;
}

/** The host at a glance: interfaces with their peers and BPF, programs by type, maps by type. */
async function overview(ctx: Context): Promise<void> {
  const [programs, maps, interfaces, attachments] = await Promise.all([listPrograms(), listMaps(), listInterfaces(), listAttachments()]);
  // A device whose peer lives in another namespace (a pod's veth): name it from inside.
  const peers = await Promise.all(
    interfaces.map((i) => (i.linkNetnsId !== undefined ? findPeer({ ifindex: i.ifindex }).then((r) => r.peer, () => undefined) : undefined)),
  );
  const countBy = (values: unknown[]) => {
    const counts = new Map<string, number>();
    for (const v of values) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t} ${n}`).join(', ') || 'none';
  };
  const rows = interfaces.map((i, n) => {
    const peer = peers[n];
    const bpf = attachments.filter((a) => 'ifindex' in a && a.ifindex === i.ifindex).map((a) => `${a.hook} ${a.progName ?? a.progId}`);
    return [i.ifindex, i.name, i.kind, i.operState, peer ? `${peer.name} (netns ${peer.netns.names[0] ?? peer.netns.inode})` : undefined, bpf.join(', ') || undefined];
  });
  print(ctx, { interfaces, peers, attachments, programs, maps }, () =>
    [
      table(['ifindex', 'interface', 'kind', 'state', 'peer', 'bpf'], rows),
      '',
      `${bold(`${programs.length} programs`)}: ${countBy(programs.map((p) => p.type))}`,
      `${bold(`${maps.length} maps`)}: ${countBy(maps.map((m) => m.type))}`,
    ].join('\n'),
  );
}

/** A link's fields but its id, type and program; a device link's device after its ifindex, and its namespace when not this one. */
function linkDetails(l: LinkInfo, device: LinkDevice | undefined): string {
  const { id: _id, type: _type, progId: _prog, ...rest } = l as unknown as Record<string, unknown>;
  if (!device) return detailsText(rest);
  const { ifindex, ...after } = rest;
  const netns = device.netns.current ? {} : { netns: device.netns.names[0] ?? device.netns.path };
  return detailsText({ ifindex, dev: device.ifname, ...netns, ...after });
}

/** What a perf attachment's program runs on: the tracepoint, the probed function or file, a kprobe's address, or what the kernel named for a type bpfscope does not know. */
function perfTarget(a: PerfAttachment): string {
  if ('tracepoint' in a) return a.tracepoint;
  if ('func' in a) return a.func;
  if ('filename' in a) return a.filename;
  if ('name' in a) return a.name;
  return `0x${a.addr.toString(16)}`;
}

/** `key=value` pairs; a list (a multi-probe link's probes) in brackets, its records as pairs too. */
function detailsText(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(detailsText).join(', ')}]`;
  if (value !== null && typeof value === 'object') return Object.entries(value).map(([k, v]) => `${k}=${detailsText(v)}`).join(' ');
  return String(value);
}

class NotFound extends Error {}

/** Cilium's endpoint ids are u16. */
const MAX_ENDPOINT_ID = 0xffff;

/**
 * The records of each family's map the node has, IPv4 then IPv6 (an IPv4-only node has no IPv6
 * twin, an IPv6-only one no IPv4 map), both decoded with one version: the one given, else the one
 * the first map read was decoded with. A node with neither fails as the IPv4 read did, or with
 * `neitherIsEmpty` gives no records (of the version given, else the newest), as `bpf lb maglev
 * list` and `bpf socknat list` print their header alone for a node without the maps (Maglev off).
 */
async function bothFamilies<T>(
  read: CiliumRead,
  reader: (options: CiliumRead & { family: 4 | 6 }) => Promise<CiliumRecords<T>>,
  neitherIsEmpty = false,
): Promise<{ records: T[]; version: CiliumVersion; families: (4 | 6)[] }> {
  const missing = (e: { code?: string }) => (e.code === 'ENOENT' ? undefined : Promise.reject(e));
  let v4Missing: unknown;
  const v4 = await reader({ ...read, family: 4 }).catch((e: { code?: string }) => ((v4Missing = e), missing(e)));
  const v6 = await reader({ ...read, version: read.version ?? v4?.layout.version, family: 6 }).catch(missing);
  if (!v4 && !v6) {
    if (!neitherIsEmpty) throw v4Missing;
    return { records: [], version: cilium.versionOf(read.version ?? cilium.versions[cilium.versions.length - 1]), families: [] };
  }
  const version = (v4 ?? v6)!.layout.version;
  return { records: [...(v4 ?? []), ...(v6 ?? [])], version, families: [...(v4 ? [4 as const] : []), ...(v6 ? [6 as const] : [])] };
}

/**
 * `cilium drops`: polls cilium_metrics every --interval ms and prints, per tick, each drop reason
 * whose counters grew, with the growth. The first poll only sets the baseline.
 */
async function ciliumDrops(read: CiliumRead, options: Record<string, string | true>, ctx: Context): Promise<void> {
  const intervalMs = options.interval ? parseInterval(options.interval as string) : 1000;
  const count = options.count ? parsePositive(options.count as string, '--count') : Infinity;
  using poller = await cilium.poller('metrics', read);
  poller.poll();
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  for (let tick = 1; tick <= count; tick++) {
    // Ctrl-C ends the wait at once, and a poll it lands during prints nothing, as `bpfscope watch`
    // does: a plain timer held the exit for up to --interval, then printed one more tick.
    if (!(await sleepUnlessAborted(intervalMs, controller.signal))) return;
    const { added, changed } = await poller.pollAsync();
    if (controller.signal.aborted) return;
    const row = (r: MetricsRecord, packets: bigint, bytes: bigint) => ({ reason: r.reason, reasonName: r.reasonName, direction: r.direction, file: r.file, line: r.line, packets, bytes });
    const rows = [
      ...added.filter((r) => r.isDrop && r.packets > 0n).map((r) => row(r, r.packets, r.bytes)),
      ...changed.filter((c) => c.new.isDrop && c.new.packets > c.old.packets).map((c) => row(c.new, c.new.packets - c.old.packets, c.new.bytes - c.old.bytes)),
    ];
    if (ctx.json) ctx.out(toJson({ tick, drops: rows }, 0));
    else {
      const total = rows.reduce((n, r) => n + r.packets, 0n);
      ctx.out(dim(`tick ${tick}: ${total} packets dropped in ${intervalMs} ms`));
      for (const r of rows) ctx.out(`+${r.packets} packets, +${r.bytes} bytes  ${r.reasonName} ${r.direction}${r.file ? ` (${r.file}:${r.line})` : ''}`);
    }
  }
}

/**
 * `cilium multicast group`: cilium-dbg bpf multicast group list; `cilium multicast subscriber
 * [group|all]`: subscriber list of that group, or of every group (`all`, the default). A group
 * that is no IPv4 multicast address is bad usage, with cilium-dbg's words for it.
 */
async function ciliumMulticast(read: CiliumRead, target: string | undefined, rest: string[], ctx: Context): Promise<void> {
  const usage = 'usage: bpfscope cilium multicast group | cilium multicast subscriber [group|all]';
  if (target === 'group' && rest.length === 0) return printCiliumDbg(ctx, await cilium.multicast(read), cilium.format.multicastGroups);
  if (target !== 'subscriber' || rest.length > 1) throw new UsageError(usage);
  const group = rest[0] === 'all' ? undefined : rest[0];
  if (group !== undefined) {
    try {
      multicastGroup(group);
    } catch (err) {
      throw new UsageError(`invalid group address: ${(err as Error).message}`);
    }
  }
  printCiliumDbg(ctx, await cilium.multicast({ ...read, group }), cilium.format.multicastSubscribers);
}

/** cilium-dbg's point lookups, and what each takes. */
const CILIUM_LOOKUPS = { 'ipcache get': '<ip>', 'ipcache match': '<prefix>', 'maglev get': '<service-id>' } as const;

/**
 * `cilium ipcache get <ip>`, `ipcache match <prefix>` (1.18+) and `maglev get <service-id>`
 * (1.14-1.17; its maps do not tell versions apart, so only --version refuses it), over the map as
 * cilium-dbg dumps it. A version without the command, as a bad argument, is bad usage. Nothing
 * found prints cilium-dbg's text where it writes it and exits 4 (cilium-dbg exits 1).
 */
async function ciliumLookup(command: keyof typeof CILIUM_LOOKUPS, words: string[], read: CiliumRead, ctx: Context): Promise<number> {
  const [arg, ...more] = words;
  if (arg === undefined || more.length > 0) throw new UsageError(`usage: bpfscope cilium ${command} ${CILIUM_LOOKUPS[command]}`);
  const refuse = (missing: string | undefined) => {
    if (missing !== undefined) throw new UsageError(missing);
  };
  if (command === 'maglev get') {
    if (!/^\d+$/.test(arg)) throw new UsageError(`usage: bpfscope cilium ${command} ${CILIUM_LOOKUPS[command]}`);
    if (Number(arg) > 0xffff) throw new UsageError(`a service id is at most 65535 (a u16), got ${arg}`);
    refuse(maglevGetMissing(read.version));
    const id = Number(arg);
    const { records } = await bothFamilies(read, cilium.maglev, true);
    const found = records.filter((r) => r.revNatIndex === id);
    if (ctx.json) ctx.out(toJson(found));
    else if (found.length > 0) ctx.out(cilium.format.maglevGet(records, id).slice(0, -1));
    else process.stderr.write(cilium.format.maglevGet(records, id));
    return found.length > 0 ? EXIT.ok : EXIT.notFound;
  }
  const get = command === 'ipcache get';
  const key = get ? undefined : ipcacheMatchKey(arg);
  if (get && !isIpcacheGetAddress(arg)) throw new UsageError(`Invalid ip address. IP address must be in dotted decimal (192.168.1.1) or IPv6 (feab::f02b) form: ${arg}`);
  if (!get && key === undefined) throw new UsageError(`Invalid prefix: ${arg}`);
  if (!get) refuse(ipcacheMatchMissing(read.version));
  const records = await cilium.ipcache(read);
  // Without --version, the node's map tells 1.18+ (cilium_ipcache_v2) from the versions before.
  if (!get) refuse(ipcacheMatchMissing(records.layout.version));
  const found = get ? cilium.lookupIpcache(records, arg) : records.find((r) => r.prefix === key);
  if (ctx.json) ctx.out(toJson(found ?? null));
  else printCiliumDbg(ctx, records, (r) => (get ? cilium.format.ipcacheGet(r, arg) : cilium.format.ipcacheMatch(r, arg)));
  return found ? EXIT.ok : EXIT.notFound;
}

/**
 * `ct [global] | ct cluster <id>`, `nat | nat cluster <id>`: the cluster id the words name, or
 * undefined for the global maps. An id cilium-dbg refuses is bad usage, in its words for it.
 */
function clusterOf(what: 'ct' | 'nat', target: string | undefined, rest: string[]): number | undefined {
  const usage = `usage: bpfscope cilium ${what === 'ct' ? 'ct [global]' : 'nat'} | cilium ${what} cluster <cluster-id>`;
  if (target === 'cluster') {
    const parsed = parseClusterArgs(what, rest);
    if ('error' in parsed) throw new UsageError(`${parsed.error}; ${usage}`);
    return parsed.id;
  }
  if ((target !== undefined && !(what === 'ct' && target === 'global')) || rest.length > 0) throw new UsageError(usage);
  return undefined;
}

/** The cilium commands but `cilium version`, reading as `read` says (see onNode). */
async function ciliumCommand({ positionals, options }: ParsedArgs, read: CiliumRead, ctx: Context): Promise<number | void> {
  const [what, target, ...rest] = positionals;
  const clockOptions = ciliumClockOptions(what, options);
  const lbListing = ciliumLbListing(what, options);
  if (options.all && what !== 'policy') throw new UsageError('--all is for cilium policy');
  if (what === 'explain') return commands.explain({ positionals: positionals.slice(1), options }, ctx);
  const lookup = `${what} ${target}`;
  if (Object.hasOwn(CILIUM_LOOKUPS, lookup)) return ciliumLookup(lookup as keyof typeof CILIUM_LOOKUPS, rest, read, ctx);
  if (what === 'multicast') return ciliumMulticast(read, target, rest, ctx);
  if (what === 'ct') {
    const cluster = clusterOf('ct', target, rest);
    const { records, version, families } = await bothFamilies(read, (o) => cilium.conntrack({ ...o, cluster }));
    // --time-diff without a clock source fails, as cilium-dbg's does: the times were asked for.
    const clock = options['time-diff'] && !ctx.json
      ? await cilium.clock(clockOptions).catch((err: Error) => Promise.reject(new Error(`--time-diff needs Cilium's clock source: ${err.message}`)))
      : undefined;
    // Each map read prints its block, an empty one too, as cilium-dbg prints each map it opens.
    printCiliumDbg(ctx, records, (r) => cilium.format.conntrack(r, { version, families, clock, cluster }));
    return;
  }
  if (what === 'nat' && target !== 'retries') {
    const cluster = clusterOf('nat', target, rest);
    const { records, version, families } = await bothFamilies(read, (o) => cilium.nat({ ...o, cluster }));
    if (ctx.json) return ctx.out(toJson(records));
    // cilium-dbg exits without a clock source; the entries are worth printing with their raw stamps.
    const clock = await cilium.clock(clockOptions).catch((err: Error) => {
      process.stderr.write(`bpfscope: Created= is printed raw: no clock source (${err.message})\n`);
      return undefined;
    });
    printCiliumDbg(ctx, records, (r) => cilium.format.nat(r, { version, families, clock, cluster }));
    return;
  }
  if (rest.length > 0) throw new UsageError(`usage: bpfscope cilium ${CILIUM_WORDS}`);
  if (what === 'policy' && (target === 'list' || options.all)) return ciliumPolicies(read, target, options.all === true, ctx);
  if (what === 'policy') {
    if (target === undefined || !/^\d+$/.test(target)) throw new UsageError('usage: bpfscope cilium policy <endpoint-id>');
    if (Number(target) > MAX_ENDPOINT_ID) throw new UsageError(`an endpoint id is at most ${MAX_ENDPOINT_ID} (a u16), got ${target}`);
    const records = await cilium.policy(Number(target), read);
    printCiliumDbg(ctx, records, cilium.format.policy);
    return;
  }
  if (what === 'srv6') {
    if (target === 'vrf') {
      const { records } = await bothFamilies(read, cilium.srv6Vrf);
      printCiliumDbg(ctx, records, cilium.format.srv6Vrf);
    } else if (target === 'policy') {
      const { records } = await bothFamilies(read, cilium.srv6Policy);
      printCiliumDbg(ctx, records, cilium.format.srv6Policy);
    } else if (target === 'sid') {
      const records = await cilium.srv6Sid(read);
      printCiliumDbg(ctx, records, cilium.format.srv6Sid);
    } else {
      throw new UsageError('usage: bpfscope cilium srv6 vrf|policy|sid');
    }
    return;
  }
  // Both families' maps in one text, printed as the version the first map read was decoded with;
  // `neitherIsEmpty`: a node without either map prints what cilium-dbg prints for no records.
  const bothListed = async <R>(
    reader: Parameters<typeof bothFamilies<R>>[1],
    format: (records: R[], options: { version: string }) => string,
    neitherIsEmpty = false,
  ) => {
    const { records, version } = await bothFamilies(read, reader, neitherIsEmpty);
    printCiliumDbg(ctx, records, (r) => format(r, { version }));
  };
  if (what === 'nat' && target === 'retries') return bothListed(cilium.natRetries, cilium.format.natRetries, true);
  if (target !== undefined || rest.length > 0) throw new UsageError(`usage: bpfscope cilium ${CILIUM_WORDS}`);
  if (what === 'drops') return ciliumDrops(read, options, ctx);
  if (what === 'egress') {
    const { records } = await bothFamilies(read, cilium.egress);
    printCiliumDbg(ctx, records, cilium.format.egress);
    return;
  }
  // cilium-dbg dumps the ip-masq-agent maps it can open: a node with neither has no entries.
  if (what === 'ipmasq') return bothListed(cilium.ipmasq, cilium.format.ipmasq, true);
  if (what === 'frag') {
    // From 1.18 it skips a fragment map it cannot open too, saying so on stderr; 1.17 fails without cilium_ipv4_frag_datagrams.
    const { records, version, families } = await bothFamilies(read, cilium.frag, read.version === undefined || cilium.versionOf(read.version) >= '1.18');
    if (version >= '1.18') for (const family of [4, 6] as const) if (!families.includes(family)) process.stderr.write(`IPv${family} map doesn't exist, skipping\n`);
    printCiliumDbg(ctx, records, (r) => cilium.format.frag(r, { version }));
    return;
  }
  if (what === 'maglev') return bothListed(cilium.maglev, cilium.format.maglev, true);
  if (what === 'socknat') return bothListed(cilium.sockRevNat, cilium.format.sockRevNat, true);
  if (what === 'recorder') {
    // cilium-dbg fails without the IPv4 map (on an IPv6-only node too), where bothFamilies would
    // print the IPv6 rules alone; the IPv6 one it reads only with IPv6 on: skipped when missing.
    const four = await cilium.recorder({ ...read, family: 4 });
    const { version } = four.layout;
    const six = await cilium.recorder({ ...read, version, family: 6 }).catch((e: { code?: string }) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
    printCiliumDbg(ctx, [...four, ...(six ?? [])], (r) => cilium.format.recorder(r, { version, families: six ? [4, 6] : [4] }));
    return;
  }
  if (what === 'lb' || what === 'revnat') {
    // cilium-dbg dumps the source range maps it finds: without --enable-svc-source-range-check, none.
    if (lbListing === 'source-ranges') return bothListed(cilium.sourceRanges, cilium.format.sourceRanges, true);
    if (lbListing === 'backends') return bothListed(cilium.backends, cilium.format.lbBackends);
    // The services' version decodes the backends and rev-NAT entries too: one version per run.
    const { records: services, version } = await bothFamilies(read, cilium.services);
    if (lbListing === 'frontends') return printCiliumDbg(ctx, services, (r) => cilium.format.lbFrontends(r, { version }));
    if (what === 'revnat') {
      const { records: revNat } = await bothFamilies({ ...read, version }, cilium.revNat);
      return printCiliumDbg(ctx, revNat, (r) => cilium.format.revNat(r, { version }));
    }
    const [{ records: backends }, { records: revNat }] = await Promise.all([
      bothFamilies({ ...read, version }, cilium.backends),
      bothFamilies({ ...read, version }, cilium.revNat),
    ]);
    if (ctx.json) return ctx.out(toJson({ services, backends, revNat }));
    ctx.out(cilium.format.lb({ services, backends }, { version }).slice(0, -1));
    return;
  }
  const oneMap = Object.prototype.hasOwnProperty.call(ONE_MAP_COMMANDS, what) ? ONE_MAP_COMMANDS[what] : undefined;
  if (oneMap === undefined) throw new UsageError(`usage: bpfscope cilium ${CILIUM_WORDS}`);
  await oneMap(read, ctx);
}

/** What the cilium commands pass their readers: --version and --bpffs. */
type CiliumRead = { version?: string; bpffs?: string };

/**
 * `read`, and without --version the version the node's maps tell (cilium.nodeVersion): every map
 * of a run then prints as that version's cilium-dbg prints it, the load balancer's too, whose sizes
 * no version changed. When the maps tell none, each reader goes by its own map's sizes.
 */
async function onNode(read: CiliumRead): Promise<CiliumRead> {
  if (read.version !== undefined) return read;
  return { ...read, version: (await cilium.nodeVersion({ bpffs: read.bpffs })).version };
}

/**
 * `cilium version`: the Cilium version the maps pinned under tc/globals tell, with the maps that
 * narrow it (all of them with --json). Exit 4 when no Cilium map is pinned, 1 when the maps tell no version.
 */
async function ciliumVersion({ positionals, options }: ParsedArgs, given: CiliumRead, ctx: Context): Promise<number> {
  if (given.version !== undefined) throw new UsageError('cilium version tells the version from the maps; --version is for the other cilium commands');
  const extra = Object.keys(options).find((o) => o !== 'bpffs' && o !== 'json');
  if (positionals.length > 1 || extra !== undefined) throw new UsageError(`${extra ? `cilium version takes no --${extra}; ` : ''}usage: bpfscope cilium version [--bpffs DIR]`);
  const node = await cilium.nodeVersion({ bpffs: given.bpffs });
  const dir = globalsDir(given.bpffs ?? DEFAULT_BPFFS);
  print(ctx, node, () => {
    if (node.maps.length === 0) return `no Cilium map pinned under ${dir}`;
    const every = cilium.versions.length;
    const told = node.version === undefined
      ? `no Cilium version bpfscope knows (${versionRanges(cilium.versions)}) fits the maps under ${dir}`
      : `Cilium ${versionRanges(node.versions)}, as the maps under ${dir} tell${node.versions.length > 1 ? ` (read as ${node.version})` : ''}`;
    const narrowing = node.maps.filter((m) => m.allows.length < every);
    return [
      told,
      '',
      table(['map', 'created so by', 'allows'], narrowing.map((m) => [m.name, versionRanges(m.createdBy) || 'none', versionRanges(m.allows)])),
      ...(node.absent.length > 0 ? ['', table(['not pinned', 'rules out'], node.absent.map((a) => [a.name, versionRanges(a.rulesOut)]))] : []),
    ].join('\n');
  });
  return node.maps.length === 0 ? EXIT.notFound : node.version === undefined ? EXIT.error : EXIT.ok;
}

/** Versions as runs: ['1.14', '1.15', '1.18'] → '1.14–1.15, 1.18'. */
function versionRanges(versions: readonly string[]): string {
  const index = (v: string) => (cilium.versions as readonly string[]).indexOf(v);
  const runs: string[][] = [];
  for (const v of versions) {
    const run = runs[runs.length - 1];
    if (run && index(run[run.length - 1]) === index(v) - 1) run.push(v);
    else runs.push([v]);
  }
  return runs.map((r) => (r.length === 1 ? r[0] : `${r[0]}–${r[r.length - 1]}`)).join(', ');
}

/** --version/--bpffs of the cilium commands. */
function ciliumRead(options: Record<string, string | true>): CiliumRead {
  for (const o of CILIUM_READ_OPTIONS) if (options[o] === true || options[o] === '') throw new UsageError(`--${o} needs a value`);
  // --cilium-version X.Y, or --version X.Y for short.
  const version = (options['cilium-version'] ?? options.version) as string | undefined;
  if (version !== undefined) checkCiliumVersion(version);
  return { version, bpffs: options.bpffs as string | undefined };
}

/**
 * --time-diff (cilium ct) and --state-dir (where the agent's runtime config is, for cilium nat and
 * cilium ct --time-diff): the options of cilium.clock(). Elsewhere they are bad usage.
 */
function ciliumClockOptions(what: string | undefined, options: Record<string, string | true>): { stateDir?: string } {
  if (options['time-diff'] && what !== 'ct') throw new UsageError('--time-diff is for cilium ct');
  const stateDir = options['state-dir'];
  if (stateDir === undefined) return {};
  if (stateDir === true || stateDir === '') throw new UsageError('--state-dir needs a value');
  if (what !== 'nat' && !(what === 'ct' && options['time-diff'])) throw new UsageError('--state-dir is for cilium nat and cilium ct --time-diff');
  return { stateDir };
}

/**
 * --frontends, --backends or --source-ranges: which of its other listings `cilium lb` prints
 * (cilium-dbg bpf lb list's flags). Two of them are bad usage: cilium-dbg would print the first its
 * switch checks and ignore the other, which reads as if both were listed. Elsewhere they are bad usage.
 */
function ciliumLbListing(what: string | undefined, options: Record<string, string | true>): (typeof LB_LISTINGS)[number] | undefined {
  const given = LB_LISTINGS.filter((flag) => options[flag]);
  if (given.length > 0 && what !== 'lb') throw new UsageError(`--${given[0]} is for cilium lb`);
  if (given.length > 1) throw new UsageError(`cilium lb lists one of --frontends, --backends, --source-ranges; got ${given.map((f) => `--${f}`).join(' and ')}`);
  return given[0];
}

/** A bad --version is bad usage, checked here: the same error from a reader would be exit 1. */
function checkCiliumVersion(version: string): void {
  try {
    cilium.versionOf(version);
  } catch (err) {
    throw new UsageError(`--version: ${(err as Error).message}`);
  }
}

/**
 * `cilium policy --all` (cilium-dbg bpf policy get --all -n) and `cilium policy list` (bpf policy
 * list, which takes no --all): every policy map pinned, in the version given, else the newest the
 * maps were decoded with. Nothing pinned prints "no maps found" and exits 0, as cilium-dbg.
 */
async function ciliumPolicies(read: CiliumRead, target: string | undefined, all: boolean, ctx: Context): Promise<void> {
  const list = target === 'list';
  if (list ? all : target !== undefined) throw new UsageError('usage: bpfscope cilium policy <endpoint-id>|--all|list');
  const maps = await cilium.policies(read);
  if (ctx.json) return ctx.out(toJson(maps));
  ctx.out(cilium.format.policies(maps, { version: read.version, numeric: !list }).slice(0, -1)); // out() ends the line itself
}

/** A key given as hex, in one word or in several ("07000000", "07 00 00 00", "0x07 0x00 0x00 0x00"), of the map's key size. */
function hexKey(words: string[], keySize: number): Buffer {
  // One quoted argument may hold several bytes ("07 00 00 00", as --help writes it): split it as the
  // shell would have.
  const bytes = words.flatMap((w) => w.split(/\s+/).filter(Boolean));
  const digits = bytes.map((w) => w.replace(/^0x/i, '').padStart(2, '0')).join('');
  if (!/^([0-9a-f]{2})*$/i.test(digits)) throw new UsageError(`the key must be bytes in hex, got ${words.join(' ')}`);
  const key = Buffer.from(digits, 'hex');
  if (key.length !== keySize) throw new UsageError(`the map's keys are ${keySize} bytes; got ${key.length}`);
  return key;
}

/**
 * A queue or a stack has no keys to dump by: the command misapplied (exit 2), as map peek on a
 * keyed map is. The API's refusal names its own lookup() where the CLI has map peek.
 */
function refuseQueue(info: MapInfo, command: string): void {
  if (info.type === 'queue' || info.type === 'stack') {
    throw new UsageError(`${command} reads keyed entries; map ${info.id} is a ${info.type} map (map peek reads its next value)`);
  }
}

/** bpftool's bytes ("0x07" strings) as one hex word, as bpfscope prints bytes. */
function hexWord(bytes: string[]): string {
  return bytes.map((b) => b.slice(2)).join('');
}

/** bpftool's CPU number in `value (CPU 01)`: %02d. */
function cpuLabel(cpu: number): string {
  return `CPU ${String(cpu).padStart(2, '0')}`;
}

/**
 * An entry as bpftool's text prints it, each field's bytes as one hex word: `key: …  value: …`,
 * `value: …` alone for a queue's or a stack's, `inner_map_id: N` for a map-in-map's value, and for
 * a per-CPU map the key on a line of its own, then one `value (CPU NN): …` line per CPU.
 */
function entryText(e: BpftoolEntry): string {
  if ('values' in e) return ['key:', hexWord(e.key), ...e.values.map((v) => `value (${cpuLabel(v.cpu)}): ${hexWord(v.value)}`)].join('\n');
  const value = e.inner_map_id === undefined ? `value: ${hexWord(e.value)}` : `inner_map_id: ${e.inner_map_id}`;
  return `${e.key.length ? `key: ${hexWord(e.key)}  ` : ''}${value}`;
}

/** An entry's value on one line, for watch: per CPU, `(CPU 00) … (CPU 01) …`. */
function valueText(e: BpftoolEntry): string {
  return 'values' in e ? e.values.map((v) => `(${cpuLabel(v.cpu)}) ${hexWord(v.value)}`).join(' ') : hexWord(e.value);
}

/**
 * An entry's value for watch's JSON, in hex: `value`, or for a per-CPU map `values`, one per CPU;
 * with a prefix, `oldValue`/`oldValues` and the like.
 */
function valueJson(e: BpftoolEntry, prefix?: 'old' | 'new'): Record<string, unknown> {
  const name = (field: string) => (prefix ? `${prefix}${field[0].toUpperCase()}${field.slice(1)}` : field);
  return 'values' in e ? { [name('values')]: e.values.map((v) => ({ cpu: v.cpu, value: hexWord(v.value) })) } : { [name('value')]: hexWord(e.value) };
}

/**
 * A map named on the command line: an id, a pinned path, or a name. A map's name has no '/', so any
 * word with one is a path, relative to the working directory as bpftool's `pinned PATH` is.
 */
function mapRef(s: string): MapRef {
  if (/^\d+$/.test(s)) return { id: parseId(s, 'map id') };
  if (s.includes('/')) return { pinned: resolve(s) };
  return { name: s };
}

/** A `btf dump` to print: where its types come from (vmlinux's with a module's when `withBase`), which, and how. */
interface BtfDumpRequest {
  /** The types (of a module's or a split file's, with or without its base's), and a file's pointer size. */
  read: (withBase: boolean) => Promise<BtfFile>;
  roots?: number[];
  format: 'raw' | 'c';
  sorted: boolean;
}

/**
 * What `btf dump` prints, as bpftool picks it: every type of a BTF object, given by id, as a
 * program's, or as a file (raw BTF or an ELF object); of a map's, its key and value types (kv, the default), one of
 * them, or all. Then the format: raw (a line a type, the default) or c, sorted unless `unsorted`.
 */
async function btfDumpRequest(words: string[], base: string | undefined): Promise<BtfDumpRequest> {
  const usage = new UsageError(`usage: bpfscope ${SYNTAX.btf.usage}`);
  // After the source, the options in any order, as bpftool takes them: `format raw|c`, `unsorted`
  // (which only a C dump heeds).
  const at = words.findIndex((w) => w === 'format' || w === 'unsorted');
  const [source, ref, part, ...rest] = at < 0 ? words : words.slice(0, at);
  let format: 'raw' | 'c' = 'raw';
  let sorted = true;
  for (let i = at < 0 ? words.length : at; i < words.length; i++) {
    if (words[i] === 'unsorted') sorted = false;
    else if (words[i] === 'format' && (words[i + 1] === 'raw' || words[i + 1] === 'c')) format = words[++i] as 'raw' | 'c';
    else throw usage;
  }
  if (rest.length > 0) throw usage;
  const ofObject = (id: number) => async (withBase: boolean): Promise<BtfFile> => ({ types: await btfObjectTypes(id, withBase) });
  if (source === 'prog' && ref !== undefined && part === undefined) {
    const program = await getProgram(await programId(ref));
    if (program.btfId === undefined) throw new NotFound(`program ${program.id} has no BTF`);
    return { read: ofObject(program.btfId), format, sorted };
  }
  if (source === 'map' && ref !== undefined && ['key', 'value', 'kv', 'all', undefined].includes(part)) {
    const info = await getMapInfo(await mapId(ref));
    if (info.btfId === undefined) throw new NotFound(`map ${info.id} has no BTF`);
    const [key, value] = [info.btfKeyTypeId ?? 0, info.btfValueTypeId ?? 0];
    const roots = { key: [key], value: [value], kv: [key, value], all: undefined }[part ?? 'kv'];
    return { read: ofObject(info.btfId), roots, format, sorted };
  }
  if (source === 'file' && ref !== undefined && part === undefined) return { read: (withBase) => readBtfFile(resolve(ref), withBase, base === undefined ? undefined : resolve(base)), format, sorted };
  if (base !== undefined) throw new UsageError('--base-btf is for btf dump file: the BTF a split file builds on');
  if (source !== undefined && !['prog', 'map', 'file'].includes(source) && ref === undefined) return { read: ofObject(parseId(source, 'BTF id')), format, sorted };
  throw usage;
}

/** A map by id, by pin, or by name when one map has it (as mapRef reads them), as its id. */
async function mapId(ref: string): Promise<number> {
  using map = await openMap(mapRef(ref));
  return map.info.id;
}

/** A program by id, by pin (any word with a `/`), or by name when one program has it. */
async function programId(ref: string): Promise<number> {
  if (/^\d+$/.test(ref)) return parseId(ref, 'program id');
  if (ref.includes('/')) {
    const pinned = await openPinned(resolve(ref));
    if (pinned.kind !== 'program') throw new UsageError(`${ref} is a pinned ${pinned.kind}, not a program`);
    return pinned.info.id;
  }
  const named = (await listPrograms()).filter((p) => p.name === ref);
  if (named.length === 0) throw new NotFound(`no program named ${ref}`);
  if (named.length > 1) throw new UsageError(`${named.length} programs are named ${ref} (ids ${named.map((p) => p.id).join(', ')}): give one's id`);
  return named[0].id;
}

/** --netns: a pid, a path, or a name under /var/run/netns. */
function netnsRef(value: string | true | undefined): NetnsRef | undefined {
  if (value === undefined) return undefined;
  if (value === true) throw new UsageError('--netns needs a value');
  if (/^\d+$/.test(value)) return { pid: Number(value) };
  if (value.startsWith('/')) return { path: value };
  return { name: value };
}

/** An object id: digits, and in the kernel's range, whose RangeError from the API would be exit 1. */
function parseId(s: string, what: string): number {
  if (!/^\d+$/.test(s)) throw new UsageError(`not an id: ${s}`);
  try {
    return checkId(Number(s), what);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function parsePositive(s: string, what: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${what} must be a positive integer`);
  return n;
}

/** --interval: a timer of more than MAX_INTERVAL_MS would fire after 1 ms, every tick. */
function parseInterval(s: string): number {
  const n = parsePositive(s, '--interval');
  if (n > MAX_INTERVAL_MS) throw new UsageError(`--interval must be at most ${MAX_INTERVAL_MS} ms`);
  return n;
}

/** Runs the CLI; returns the exit code. */
// The default out returns nothing: a command that returns what out() gives (`return ctx.out(…)`)
// returned write()'s true, which became the exit code and made node throw at exit.
export async function main(argv: string[], out: (s: string) => void = (s) => void process.stdout.write(`${s}\n`)): Promise<number> {
  try {
    // --version takes the Cilium version; alone, it asks for bpfscope's, as in most commands.
    if (argv.length === 1 && argv[0] === '--version') argv = ['version'];
    const args = parseArgs(argv, ['interval', 'count', 'netns', 'version', 'cilium-version', 'bpffs', 'state-dir', 'base-btf'], ['json', 'help', 'btf', 'inner', 'effective', 'tree', 'time-diff', 'sockets', 'linum', 'opcodes', 'raw', ...LB_LISTINGS, 'all']);
    const ctx: Context = { json: Boolean(args.options.json), out };
    const [name, ...rest] = args.positionals;
    if (args.options.help || name === 'help') {
      out(USAGE);
      return EXIT.ok;
    }
    if (name === undefined) {
      // The overview takes nothing but --json: `bpfscope --netns x` is not x's overview.
      const extra = Object.keys(args.options).find((o) => o !== 'json');
      if (extra !== undefined) throw new UsageError(`the overview takes no --${extra}; usage: bpfscope [command] [--json]`);
      await overview(ctx);
    } else if (Object.hasOwn(commands, name)) {
      // hasOwn: a name such as 'constructor' is no command, however the object's prototype answers.
      const command = { positionals: rest, options: args.options };
      checkSyntax(name, command);
      return (await commands[name](command, ctx)) ?? EXIT.ok;
    }
    else throw new UsageError(`unknown command ${name}`);
    return EXIT.ok;
  } catch (err) {
    return report(err);
  }
}

/** One line for the error, one line of hint; the exit code says what kind of failure it was. */
function report(err: unknown): number {
  const line = (s: string) => process.stderr.write(`${s}\n`);
  if (err instanceof UsageError) {
    line(`bpfscope: ${err.message}`);
    line('hint: bpfscope --help lists the commands');
    return EXIT.usage;
  }
  if (err instanceof BpfError) {
    line(`bpfscope: ${err.message}`);
    if (err.code === 'EPERM' || err.code === 'EACCES') {
      line(`hint: run as root, or grant ${err.capability ?? 'the capability named above'}`);
      return EXIT.permission;
    }
    if (err.code === 'ENOENT') {
      line('hint: the object is gone or never existed; list what exists with the matching list command');
      return EXIT.notFound;
    }
    return EXIT.error;
  }
  if (err instanceof NotFound) {
    line(`bpfscope: ${err.message}`);
    return EXIT.notFound;
  }
  // Errors meant for library users' logs (the addon's load failure) already name bpfscope.
  line(`bpfscope: ${(err instanceof Error ? err.message : String(err)).replace(/^bpfscope: /, '')}`);
  return EXIT.error;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

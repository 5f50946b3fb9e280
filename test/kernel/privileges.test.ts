// The API as an unprivileged user and with capability subsets (setpriv, in a child process):
// every call answers or fails with a BpfError, EPERM/EACCES name the capability, nothing crashes.
// What each subset may do follows the kernel's checks: id walks and BPF_ENABLE_STATS need
// CAP_SYS_ADMIN, BPF_OBJ_GET only file permissions (Linux 6.5+), setns needs CAP_SYS_ADMIN,
// opening another process's namespace needs ptrace access, rtnetlink dumps need nothing.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { listInterfaces, openMap } from 'bpfscope';
import { attachCgroup, attachTcx, createLink, createMap, createNetns, detachCgroup, loadProgram, openPerfEvent, pin, updateElem, type KernelObject } from 'bpfscope/testing';
import { bpftool, cleanup, describeKernel, mustBpffs, mustCgroup, mustVeth, owned, run, toolEnv, uniqueName } from '../helpers/kernel';
import { PACKAGE_ROOT } from '../helpers/trace';

type Outcome = 'ok' | { name: string; code?: string; op?: string; capability?: string; message: string };

/** The calls, run in the child; each answers 'ok' (with a value to compare) or the error's fields. */
const CHILD = (cfg: Record<string, unknown>) => `
const b = require(${JSON.stringify(PACKAGE_ROOT)});
const cfg = ${JSON.stringify(cfg)};
const calls = {
  listPrograms: async () => (await b.listPrograms()).some((p) => p.id === cfg.progId),
  getProgram: async () => (await b.getProgram(cfg.progId)).id,
  dumpXlated: async () => (await b.dumpXlated(cfg.progId)).map((i) => i.disasm).join(),
  dumpJited: async () => (await b.dumpJited(cfg.progId)).image.length,
  listMaps: async () => (await b.listMaps()).some((m) => m.id === cfg.mapId),
  getMapInfo: async () => (await b.getMapInfo(cfg.mapId)).id,
  listLinks: async () => Array.isArray(await b.listLinks()),
  listBtf: async () => (await b.listBtf()).some((o) => o.name === 'vmlinux'),
  dumpBtf: async () => (await b.dumpBtf(1))[0].kind,
  // The ops refused in 500 rounds of each: the BTF call's own, not the program or map walk beside it.
  btfOps: async () => {
    const ops = new Set();
    for (let i = 0; i < 500; i++) {
      await b.listBtf().catch((e) => ops.add(e.op));
      await b.getBtfInfo(1).catch((e) => ops.add(e.op));
    }
    return [...ops].sort().join();
  },
  openMapById: async () => { const m = await b.openMap(cfg.mapId); m.close(); return m.info.id; },
  openMapPinned: async () => { const m = await b.openMap({ pinned: cfg.pinned }); try { return (await m.dump()).count; } finally { m.close(); } },
  pollPinned: async () => {
    const m = await b.openMap({ pinned: cfg.pinned });
    try {
      const first = m.poller().poll();
      return [first.added.length, (await m.lookup(Buffer.from([2, 0, 0, 0])))?.toString('hex')].join();
    } finally { m.close(); }
  },
  openPinned: async () => (await b.openPinned(cfg.pinned)).kind,
  openProgPinned: async () => (await b.openPinned(cfg.pinnedProg)).kind,
  progSizes: async () => { const { info } = await b.openPinned(cfg.pinnedProg); return [info.bytesXlated ?? null, info.jited ?? null, info.bytesJited ?? null]; },
  openPrivate: async () => (await b.openPinned(cfg.privatePin)).kind,
  openWriteOnly: async () => (await b.openPinned(cfg.writeOnly)).kind,
  listPinned: async () => (await b.listPinned(cfg.privateDir)).length,
  // Without the iterators a kernel with bpf_preload puts in every bpffs (maps.debug, progs.debug: root's, 0400).
  listOpenPins: async () => (await b.listPinned(cfg.openDir)).filter((e) => !e.path.endsWith('.debug')).map((e) => [e.path.slice(cfg.openDir.length), e.kind, e.kind === 'unreadable' ? e.code : e.info.id]),
  enableStats: async () => { const s = await b.enableStats(); s.close(); return true; },
  listInterfaces: async () => (await b.listInterfaces()).map((l) => l.name).sort().join(),
  listRoutes: async () => (await b.listRoutes()).length > 0,
  listAddresses: async () => (await b.listAddresses()).length > 0,
  listNeighbors: async () => Array.isArray(await b.listNeighbors()),
  listNetns: async () => Array.isArray(await b.listNetns()),
  listNetnsSockets: async () => Array.isArray(await b.listNetns({ sockets: true })),
  byName: async () => (await b.listInterfaces({ netns: { name: cfg.netns } })).map((l) => l.name).join(),
  byPid: async () => (await b.listInterfaces({ netns: { pid: cfg.pid } })).length,
  bySocket: async () => (await b.listInterfaces({ netns: { path: cfg.socketPath } })).length,
  listAttachments: async () => Array.isArray(await b.listAttachments()),
  vethAttachments: async () => (await b.listAttachments({ ifname: cfg.veth })).map((a) => [a.hook, a.progId, a.progName ?? null]),
  findPeer: async () => (await b.findPeer({ ifname: 'lo' })).peer === undefined,
  probeFeatures: async () => Object.fromEntries((await b.probeFeatures()).map((f) => [f.name.split(' ')[0], f.supported ?? null])),
  versions: async () => typeof b.versions().libbpfRuntime,
  resolveContainer: async () => (await b.resolveContainer('0123456789ab')).pids.length,
  listCgroupAttachments: async () => Array.isArray(await b.listCgroupAttachments({ recursive: true })),
  cgroupPrivate: async () => (await b.listCgroupAttachments({ path: cfg.privateCgroup })).length,
  cgroupShow: async () => (await b.listCgroupAttachments({ path: cfg.cgroup })).map((a) => [a.progId, a.attachType, a.attachFlags, a.progName ?? null, a.linkId ?? null]),
  listHolders: async () => { const h = await b.listHolders(); return [h.unreadable.includes(cfg.rootPid), h.maps.has(cfg.mapId)].join(); },
  listPerfAttachments: async () => { const p = await b.listPerfAttachments(); return [p.unreadable.includes(cfg.rootPid), p.attachments.some((a) => a.pid === cfg.rootPid && a.fd === cfg.perfFd)].join(); },
  ciliumIpcache: async () => (await b.cilium.ipcache({ bpffs: cfg.privateDir })).length,
  ciliumPolicies: async () => (await b.cilium.policies({ bpffs: cfg.privateDir })).length,
  ciliumNodeVersion: async () => (await b.cilium.nodeVersion({ bpffs: cfg.ciliumDir })).versions,
  ciliumNodeVersionPrivate: async () => (await b.cilium.nodeVersion({ bpffs: cfg.privateDir })).versions,
};
(async () => {
  const out = {};
  for (const [name, fn] of Object.entries(calls)) {
    try { out[name] = ['ok', await fn()]; }
    catch (e) { out[name] = { name: e.name, code: e.code, op: e.op, capability: e.capability, message: e.message }; }
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

interface Run {
  results: Record<string, ['ok', unknown] | Exclude<Outcome, 'ok'>>;
  status: number | null;
}

// The sanitizer preload (npm run test:asan) must reach node, not setpriv alone: setpriv execs node.
const nodeEnv = { ...toolEnv, ...(process.env.LD_PRELOAD ? { LD_PRELOAD: process.env.LD_PRELOAD } : {}) };

function runAs(setpriv: string[], cfg: Record<string, unknown>): Run {
  const r = spawnSync('setpriv', [...setpriv, process.execPath, '-e', CHILD(cfg)], { encoding: 'utf8', env: nodeEnv, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`child under setpriv ${setpriv.join(' ')} exited ${r.status} ${r.signal}: ${r.stderr}`);
  return { results: JSON.parse(r.stdout) as Run['results'], status: r.status };
}

/** `bpftool -j …` under setpriv. */
function bpftoolAs(setpriv: string[], ...args: string[]): unknown {
  return JSON.parse(run('setpriv', [...setpriv, 'bpftool', '-j', ...args]));
}

const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
/**
 * Whether the kernel shows kernel addresses (kallsyms_show_value, which also guards a program's
 * JITed code) to a caller with CAP_SYSLOG or without: kernel.kptr_restrict 0 shows them to all
 * when kernel.perf_event_paranoid is at most 1, else to CAP_SYSLOG; 1 to CAP_SYSLOG; 2 to none.
 */
function showsAddresses(syslog: boolean): boolean {
  const sysctl = (name: string) => Number(readFileSync(`/proc/sys/kernel/${name}`, 'utf8'));
  const restrict = sysctl('kptr_restrict');
  return (restrict === 0 && sysctl('perf_event_paranoid') <= 1) || (restrict <= 1 && syslog);
}

const withCaps = (...caps: string[]) => [...NOBODY, `--inh-caps=${caps.map((c) => `+${c}`).join(',')}`, `--ambient-caps=${caps.map((c) => `+${c}`).join(',')}`];

describeKernel('privileges', () => {
  const cfg: Record<string, unknown> = {};
  let map: KernelObject;

  beforeAll(async () => {
    // A bpffs others may enter, with a map pinned readable by all, and a private one they may not.
    const open = await mustBpffs();
    chmodSync(open, 0o755);
    cfg.openDir = open;
    map = owned(await createMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 8 }));
    for (let i = 0; i < 3; i++) await updateElem(map, Buffer.from([i, 0, 0, 0]), Buffer.from([i, i, i, i]));
    cfg.pinned = join(open, 'shared');
    await pin(map, cfg.pinned as string);
    chmodSync(cfg.pinned as string, 0o644);
    const priv = await mustBpffs();
    chmodSync(priv, 0o700);
    cfg.privateDir = priv;
    cfg.privatePin = join(priv, 'hidden');
    await pin(map, cfg.privatePin as string);
    // A pin nobody may read: refused by its mode whatever the capabilities (short of DAC override).
    cfg.writeOnly = join(open, 'unreadable');
    await pin(map, cfg.writeOnly as string);
    chmodSync(cfg.writeOnly as string, 0o200);
    cfg.mapId = map.id;
    cfg.rootPid = process.pid;
    // A bpffs whose tc/globals others may list, with a map at a Cilium name they may not open.
    cfg.ciliumDir = await mustBpffs();
    chmodSync(cfg.ciliumDir as string, 0o755);
    mkdirSync(join(cfg.ciliumDir as string, 'tc/globals'), { recursive: true, mode: 0o755 });
    await pin(map, join(cfg.ciliumDir as string, 'tc/globals/cilium_lxc'));
    chmodSync(join(cfg.ciliumDir as string, 'tc/globals/cilium_lxc'), 0o200);
    // A directory others may not read, in the middle of the readable pins.
    mkdirSync(join(open, 'priv'), 0o700);
    await pin(map, join(open, 'priv/hidden'));
    const prog = owned(await loadProgram({ name: 'privs' }));
    cfg.progId = prog.id;
    cfg.pinnedProg = join(open, 'prog');
    // A tracepoint this process runs a program on: BPF_TASK_FD_QUERY on its fd needs CAP_SYS_ADMIN.
    const tp = owned(await loadProgram({ type: 'tracepoint', name: 'privs_tp' }));
    cfg.perfFd = owned(await openPerfEvent(tp, { tracepoint: 'syscalls/sys_enter_getpid' })).fd;
    await pin(prog, cfg.pinnedProg as string);
    chmodSync(cfg.pinnedProg as string, 0o644);
    // A cgroup with one program on a hook twice: by BPF_PROG_ATTACH, then by a link.
    cfg.cgroup = mustCgroup();
    chmodSync(cfg.cgroup as string, 0o755); // others may walk it (mkdtemp makes it 0700)
    const cgProg = owned(await loadProgram({ type: 'cgroup_skb', name: 'privs_cg', expectedAttachType: 'cgroup_inet_ingress' }));
    await attachCgroup(cgProg, cfg.cgroup as string, 'cgroup_inet_ingress', 'multi');
    cleanup(() => detachCgroup(cgProg, cfg.cgroup as string, 'cgroup_inet_ingress'));
    cfg.cgroupLink = owned(await createLink(cgProg, cfg.cgroup as string, 'cgroup_inet_ingress')).id;
    const veth = mustVeth();
    cfg.veth = veth.host;
    cfg.vethProgId = prog.id;
    owned(await attachTcx(prog, veth.hostIfindex, 'ingress'));
    const ns = await createNetns(uniqueName('priv'));
    cleanup(() => ns.remove());
    cfg.netns = ns.name;
    const sleeper = spawn('ip', ['netns', 'exec', ns.name, 'sleep', '60'], { stdio: 'ignore', env: toolEnv });
    cleanup(() => sleeper.kill('SIGKILL'));
    cfg.pid = sleeper.pid;
    // A root process's socket, whose namespace only its /proc/PID/fd/FD path names.
    const holder = spawn('bash', ['-c', 'exec 3<>/dev/udp/127.0.0.1/9 && exec sleep 60'], { stdio: 'ignore', env: toolEnv });
    cleanup(() => holder.kill('SIGKILL'));
    cfg.socketPath = `/proc/${holder.pid}/fd/3`;
    for (let i = 0; readFileSync(`/proc/${holder.pid}/comm`, 'utf8') !== 'sleep\n'; i++) {
      if (i === 300) throw new Error('the socket holder did not get to sleep');
      await new Promise((r) => setTimeout(r, 10));
    }
  });

  /** Every outcome is an answer or a BpfError; EPERM and EACCES always name a capability. */
  function checkAll(run: Run): void {
    for (const [call, outcome] of Object.entries(run.results)) {
      if (Array.isArray(outcome)) continue;
      expect(outcome.name, `${call}: ${outcome.message}`).toBe('BpfError');
      if (outcome.code === 'EPERM' || outcome.code === 'EACCES') expect(outcome.capability, `${call}: ${outcome.message}`).toBeTruthy();
    }
  }
  /**
   * The child's interface listing holds every interface root sees both before and after it ran
   * (the host namespace is shared: other tests add and remove devices meanwhile).
   */
  async function sameInterfaces(run: Run, before: string[]): Promise<void> {
    const after = new Set((await listInterfaces()).map((l) => l.name));
    const outcome = run.results.listInterfaces;
    expect(outcome, 'listInterfaces').toEqual(['ok', expect.any(String)]);
    const theirs = (outcome as ['ok', string])[1].split(',');
    expect(theirs).toContain('lo');
    for (const name of before) if (after.has(name)) expect(theirs).toContain(name);
  }
  /** `bpftool -j cgroup show` (as root) on the test's cgroup, each row with the name and link id given. */
  const cgroupRows = (...extra: [string | null, unknown][]) =>
    bpftool<{ id: number; attach_type: string; attach_flags: string }[]>('cgroup', 'show', cfg.cgroup as string).map((p, i) => [p.id, p.attach_type, p.attach_flags, ...extra[i]]);
  /** What bpftool (as root) says of the pinned program's sizes. */
  const rootProgSizes = () => {
    const p = bpftool<{ bytes_xlated: number; jited: boolean; bytes_jited?: number }>('prog', 'show', 'pinned', cfg.pinnedProg as string);
    return [p.bytes_xlated, p.jited, p.bytes_jited ?? 0];
  };
  const rootInterfaces = async () => (await listInterfaces()).map((l) => l.name);
  const ok = (run: Run, call: string, value?: unknown) =>
    expect(run.results[call], call).toEqual(value === undefined ? ['ok', expect.anything()] : ['ok', value]);
  const pattern = (x: string | RegExp) => (typeof x === 'string' ? x : expect.stringMatching(x));
  const denied = (run: Run, call: string, code: string, op: string | RegExp, capability: string | RegExp) =>
    expect(run.results[call], call).toMatchObject({ name: 'BpfError', code, op: pattern(op), capability: pattern(capability) });

  it('nobody without capabilities: BPF calls fail EPERM naming the capability, rtnetlink listings answer as for root', async () => {
    const before = await rootInterfaces();
    const run = runAs([...NOBODY, '--inh-caps=-all'], cfg);
    await sameInterfaces(run, before);
    checkAll(run);
    for (const call of ['listPrograms', 'listMaps', 'listLinks', 'listBtf']) denied(run, call, 'EPERM', /_GET_NEXT_ID$/, 'CAP_SYS_ADMIN');
    denied(run, 'getProgram', 'EPERM', 'BPF_PROG_GET_FD_BY_ID', 'CAP_SYS_ADMIN');
    denied(run, 'getMapInfo', 'EPERM', 'BPF_MAP_GET_FD_BY_ID', 'CAP_SYS_ADMIN');
    denied(run, 'openMapById', 'EPERM', 'BPF_MAP_GET_FD_BY_ID', 'CAP_SYS_ADMIN');
    denied(run, 'dumpBtf', 'EPERM', 'BPF_BTF_GET_FD_BY_ID', 'CAP_SYS_ADMIN');
    ok(run, 'btfOps', 'BPF_BTF_GET_FD_BY_ID,BPF_BTF_GET_NEXT_ID');
    denied(run, 'enableStats', 'EPERM', 'BPF_ENABLE_STATS', 'CAP_SYS_ADMIN');
    // BPF_OBJ_GET itself needs no capability: the pin's file mode decides. Both pins are 0644:
    // they open read-only; the private bpffs (0700) is refused at the directory.
    ok(run, 'openMapPinned', 3);
    ok(run, 'pollPinned', '3,02020202');
    ok(run, 'openPinned', 'map');
    ok(run, 'openProgPinned', 'program');
    // The kernel zeroes a program's sizes for callers without CAP_BPF: not known, rather than 0 and not JITed.
    ok(run, 'progSizes', [null, null, null]);
    denied(run, 'openPrivate', 'EACCES', 'stat', /CAP_DAC_READ_SEARCH/);
    denied(run, 'listPinned', 'EACCES', 'opendir', /CAP_DAC_READ_SEARCH/);
    // tc/globals unreadable is not "no maps found": cilium-dbg, which needs root, never meets it.
    denied(run, 'ciliumPolicies', 'EACCES', 'opendir', /CAP_DAC_READ_SEARCH/);
    // nodeVersion: a Cilium map it cannot open leaves versions unchecked, so it fails, as does a bpffs it cannot enter.
    denied(run, 'ciliumNodeVersion', 'EACCES', 'BPF_OBJ_GET', /read permission on the pin/);
    denied(run, 'ciliumNodeVersionPrivate', 'EACCES', 'statfs', /CAP_DAC_READ_SEARCH/);
    // Below a readable root, the unreadable directory and pin are listed in their place.
    ok(run, 'listOpenPins', [['/priv', 'unreadable', 'EACCES'], ['/prog', 'program', cfg.progId], ['/shared', 'map', cfg.mapId], ['/unreadable', 'unreadable', 'EACCES']]);
    denied(run, 'byName', 'EPERM', 'setns', 'CAP_SYS_ADMIN');
    denied(run, 'byPid', 'EACCES', 'open netns', /CAP_SYS_PTRACE/);
    denied(run, 'bySocket', 'EACCES', 'open /proc/PID/fd', /CAP_DAC_READ_SEARCH.*CAP_SYS_PTRACE/);
    // The device queries and the link walk run together: whichever is refused first answers.
    denied(run, 'listAttachments', 'EPERM', /^(BPF_PROG_QUERY|BPF_LINK_GET_NEXT_ID)$/, /^CAP_(NET|SYS)_ADMIN$/);
    // Sockets too: those of processes whose fds nobody may not read are left unasked.
    for (const call of ['listRoutes', 'listAddresses', 'listNeighbors', 'listNetns', 'listNetnsSockets', 'findPeer', 'versions']) ok(run, call);
    // Every probe is refused (EPERM): none can tell, none says the kernel lacks the feature.
    ok(run, 'probeFeatures', { tcx: null, sched_cls: null, xdp: null, netfilter: null, lpm_trie: null, ringbuf: null });
    denied(run, 'listCgroupAttachments', 'EPERM', 'BPF_PROG_QUERY', /^CAP_(NET|SYS)_ADMIN$/);
    // Root's fds are not nobody's to read: this process is unreadable, so its map has no known holder.
    ok(run, 'listHolders', 'true,false');
    ok(run, 'listPerfAttachments', 'true,false');
  });

  it('nobody with CAP_BPF: a readable pin opens and dumps like root reads it; id walks still need CAP_SYS_ADMIN', async () => {
    const run = runAs(withCaps('bpf'), cfg);
    checkAll(run);
    const m = await openMap(map.id);
    const rootCount = (await m.dump()).count;
    m.close();
    ok(run, 'openMapPinned', rootCount);
    // CAP_BPF creates maps, as bpftool (as root) finds them; network programs and tcx need CAP_NET_ADMIN.
    const theirs = bpftool<{ map_types: Record<string, boolean> }>('feature', 'probe', 'kernel').map_types;
    ok(run, 'probeFeatures', { tcx: null, sched_cls: null, xdp: null, netfilter: null, lpm_trie: theirs.have_lpm_trie_map_type, ringbuf: theirs.have_ringbuf_map_type });
    ok(run, 'openPinned', 'map');
    ok(run, 'openProgPinned', 'program');
    ok(run, 'progSizes', rootProgSizes());
    denied(run, 'openWriteOnly', 'EACCES', 'BPF_OBJ_GET', /read permission on the pin/);
    denied(run, 'listMaps', 'EPERM', 'BPF_MAP_GET_NEXT_ID', 'CAP_SYS_ADMIN');
    denied(run, 'openMapById', 'EPERM', 'BPF_MAP_GET_FD_BY_ID', 'CAP_SYS_ADMIN');
    denied(run, 'dumpXlated', 'EPERM', 'BPF_PROG_GET_FD_BY_ID', 'CAP_SYS_ADMIN');
    denied(run, 'byName', 'EPERM', 'setns', 'CAP_SYS_ADMIN');
  });

  it('nobody with CAP_SYS_ADMIN: enumeration and namespaces by name work; another user\'s process still needs ptrace access', () => {
    const run = runAs(withCaps('sys_admin'), cfg);
    checkAll(run);
    ok(run, 'listPrograms', true);
    ok(run, 'listMaps', true);
    ok(run, 'listBtf', true);
    ok(run, 'dumpBtf', 'int');
    ok(run, 'getProgram', cfg.progId);
    // CAP_SYS_ADMIN counts as CAP_BPF for the kernel's bpf_capable(): the instructions are not withheld.
    ok(run, 'dumpXlated', '(b7) r0 = 0,(95) exit');
    // The machine code, with its addresses, the kernel shows only to whom it shows kernel addresses.
    const jitedOutcome = (syslog: boolean) => (showsAddresses(syslog) ? ['ok', rootProgSizes()[2]] : { name: 'BpfError', code: 'EPERM', op: 'read JITed code', capability: expect.stringMatching(/^CAP_SYSLOG /) });
    expect(run.results.dumpJited).toMatchObject(jitedOutcome(false));
    expect(runAs(withCaps('sys_admin', 'syslog'), cfg).results.dumpJited).toMatchObject(jitedOutcome(true));
    ok(run, 'getMapInfo', cfg.mapId);
    ok(run, 'openMapById', cfg.mapId);
    ok(run, 'enableStats', true);
    ok(run, 'byName', 'lo');
    ok(run, 'listAttachments', true); // BPF_PROG_QUERY takes CAP_NET_ADMIN or CAP_SYS_ADMIN
    ok(run, 'listCgroupAttachments', true);
    ok(run, 'cgroupShow', cgroupRows(['privs_cg', null], ['privs_cg', cfg.cgroupLink]));
    denied(run, 'byPid', 'EACCES', 'open netns', /CAP_SYS_PTRACE/);
  });

  it('a root process\'s socket as a namespace path needs both CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE, as the error says', () => {
    for (const caps of [['sys_ptrace'], ['dac_read_search']]) {
      const run = runAs(withCaps(...caps), cfg);
      checkAll(run);
      denied(run, 'bySocket', 'EACCES', 'open /proc/PID/fd', /CAP_DAC_READ_SEARCH.*CAP_SYS_PTRACE/);
    }
    // With both (and CAP_SYS_ADMIN to enter it) the socket's namespace, this one, opens; with
    // CAP_SYS_ADMIN too, root's perf event is asked of.
    const all = runAs(withCaps('sys_ptrace', 'dac_read_search', 'sys_admin', 'net_admin'), cfg);
    ok(all, 'bySocket');
    ok(all, 'listPerfAttachments', 'false,true');
  });

  it('nobody with CAP_NET_ADMIN: cgroup attachments are listed, without the names and link ids that reading by id needs CAP_SYS_ADMIN for', () => {
    const run = runAs(withCaps('net_admin'), cfg);
    checkAll(run);
    ok(run, 'listCgroupAttachments', true);
    ok(run, 'cgroupShow', cgroupRows([null, null], [null, null]));
    // tcx on a device too: the program's id, not its name.
    ok(run, 'vethAttachments', [['tcx/ingress', cfg.vethProgId, null]]);
    // bpftool with the same capabilities leaves out the programs it cannot read by id.
    expect(bpftoolAs(withCaps('net_admin'), 'cgroup', 'show', cfg.cgroup as string)).toEqual([]);
  });

  it('nobody: EACCES opening a cgroup names the directory permissions it lacks, opening a process\'s namespace ptrace access', () => {
    const run = runAs([...NOBODY, '--inh-caps=-all'], { ...cfg, privateCgroup: mustCgroup() }); // mkdtemp makes it 0700
    checkAll(run);
    denied(run, 'cgroupPrivate', 'EACCES', 'open', /^read and search permission on the path \(or CAP_DAC_READ_SEARCH\)$/);
    denied(run, 'byPid', 'EACCES', 'open netns', /CAP_SYS_PTRACE/);
  });

  it('nobody lists a namespace of its own user namespace that only its socket holds, past a socket of the same process it may not ask', async (ctx) => {
    if (spawnSync('setpriv', [...NOBODY, 'unshare', '--user', 'true'], { env: toolEnv }).status !== 0) ctx.skip(); // no unprivileged user namespaces
    // As nobody, bash opens a UDP socket here (fd 3: SIOCGSKNS needs CAP_NET_ADMIN over this
    // namespace, which nobody lacks), makes a user namespace with a network namespace, then one more
    // network namespace with a socket in it (fd 4), and goes back to the first as sleep: fd 4 is all
    // that holds the last namespace, which nobody may ask of, as its user namespace is nobody's.
    const inner = 'ip link set lo up && exec 4<>/dev/udp/127.0.0.1/9 && readlink /proc/self/ns/net && exec nsenter --net=/proc/self/fd/5 sleep 60';
    const script = `exec 3<>/dev/udp/127.0.0.1/9 && exec unshare --user --map-root-user --net bash -c 'exec 5</proc/self/ns/net && exec unshare --net bash -c "${inner}"'`;
    const child = spawn('setpriv', [...NOBODY, 'bash', '-c', script], { stdio: ['ignore', 'pipe', 'inherit'], env: toolEnv });
    cleanup(() => child.kill('SIGKILL'));
    const [printed] = (await once(child.stdout!, 'data')) as [Buffer];
    const inode = Number(/^net:\[(\d+)\]$/m.exec(printed.toString())?.[1]);
    const pid = child.pid!;
    for (let i = 0; readFileSync(`/proc/${pid}/comm`, 'utf8') !== 'sleep\n'; i++) {
      if (i === 300) throw new Error('the socket holder did not get to sleep');
      await new Promise((r) => setTimeout(r, 10));
    }
    const socket = Number(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/4`))?.[1]);
    const list = `require(${JSON.stringify(PACKAGE_ROOT)}).listNetns({ sockets: true }).then((all) => process.stdout.write(JSON.stringify(all.find((ns) => ns.inode === ${inode})?.sockets ?? null)))`;
    const r = spawnSync('setpriv', [...NOBODY, '--inh-caps=-all', process.execPath, '-e', list], { encoding: 'utf8', env: nodeEnv, timeout: 60_000 });
    // fd 3, refused, once stopped the process's other sockets being asked.
    expect(JSON.parse(r.stdout), r.stderr).toEqual([{ pid, fd: 4, inode: socket, family: 2, type: 2, protocol: 17 }]);
  });

  it('root with CAP_SYS_ADMIN, CAP_BPF and CAP_NET_ADMIN dropped from its bounding set: the same EPERMs as nobody, no crash', async () => {
    const before = await rootInterfaces();
    const run = runAs(['--bounding-set=-sys_admin,-bpf,-net_admin,-perfmon', '--inh-caps=-all'], cfg);
    await sameInterfaces(run, before);
    checkAll(run);
    denied(run, 'listPrograms', 'EPERM', 'BPF_PROG_GET_NEXT_ID', 'CAP_SYS_ADMIN');
    denied(run, 'enableStats', 'EPERM', 'BPF_ENABLE_STATS', 'CAP_SYS_ADMIN');
    denied(run, 'listAttachments', 'EPERM', /^(BPF_PROG_QUERY|BPF_LINK_GET_NEXT_ID)$/, /^CAP_(NET|SYS)_ADMIN$/);
    denied(run, 'byName', 'EPERM', 'setns', 'CAP_SYS_ADMIN');
    // Root still owns the pins and may ptrace its own processes: those work, setns does not.
    ok(run, 'openPinned', 'map');
    ok(run, 'openProgPinned', 'program');
    denied(run, 'byPid', 'EPERM', 'setns', 'CAP_SYS_ADMIN');
    ok(run, 'listHolders', 'false,true');
    // It reads root's fds, and finds the perf event, which it may not ask of.
    denied(run, 'listPerfAttachments', 'EPERM', 'BPF_TASK_FD_QUERY', 'CAP_SYS_ADMIN');
  });
});

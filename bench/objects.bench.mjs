// listPrograms() over 1,000 programs and listMaps() over 1,000 maps, against a C loop making the
// same syscalls (scripts/bench/list_objects.c) and against `bpftool -j prog|map show`; listBtf()
// over 1,000 more maps' BTF objects against `bpftool -j btf show`, which also walks programs and
// maps to name each object's users; dumpBtf(1), vmlinux's every type, against `bpftool -j btf dump
// id 1` (whose JSON nothing parses in the timing); dumpBtfC(1), vmlinux.h, against `bpftool btf dump
// id 1 format c`; dumpXlated() of a program of 1,000 helper calls against `bpftool -j prog dump
// xlated`, and on x86-64 dumpJited() of it against objdump on its machine code (this bpftool has no
// disassembler; bpftool built with libbfd runs objdump's). Then the
// cgroup hooks of a 200-cgroup tree against `bpftool -j cgroup tree`, listHolders() over this
// machine's processes (bpftool's pids need its BPF iterator, which Debian's build lacks), and
// listPerfAttachments() with 200 tracepoint events open here against `bpftool -j perf`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dumpBtf, dumpBtfC, dumpJited, dumpXlated, listBtf, listCgroupAttachments, listHolders, listMaps, listPerfAttachments, listPrograms } from 'bpfscope';
import { attachCgroup, createMap, detachCgroup, insn, loadProgram, mountBpffs, openPerfEvent, pin, returnInsns, unmount } from 'bpfscope/testing';
import { commandMs, compileBaseline, fmt, medianMs, paired, ratio, runBaseline, table } from './lib.mjs';

const N = Number(process.env.BENCH_OBJECTS ?? 1000);
const XLATED_CALLS = 1000;
const dir = mkdtempSync(join(tmpdir(), 'bpfscope-bench-objects-'));
await mountBpffs(dir);
try {
  // Pin every object and drop its fd: 2,000 open fds would pass the default soft limit.
  for (let i = 0; i < N; i++) {
    const p = await loadProgram({ type: 'sched_cls', name: `bench_p${i}` });
    await pin(p, join(dir, `p${i}`));
    p.close();
    const m = await createMap({ type: 'hash', name: `bench_m${i}`, keySize: 4, valueSize: 8, maxEntries: 4 });
    await pin(m, join(dir, `m${i}`));
    m.close();
  }
  const baseline = compileBaseline('list_objects');
  const rows = [];
  for (const [kind, fn, tool] of [['prog', listPrograms, 'prog'], ['map', listMaps, 'map']]) {
    const count = (await fn()).length;
    const cBlock = async (runs) => Number((await runBaseline(baseline, [kind, String(runs)])).trim().split(' ')[0]) / 1e6;
    const ours = await paired(cBlock, fn, { blocks: 7, runs: 5, warmup: 3 });
    const bpftool = await commandMs('bpftool', ['-j', tool, 'show'], 5);
    rows.push([`${kind === 'prog' ? 'listPrograms()' : 'listMaps()'} (${count} objects)`, fmt(ours.baselineMs), fmt(ours.ms), fmt(bpftool), ours.ratio, ratio(bpftool, ours.ms)]);
  }
  console.log(`### Listing objects (${N} programs, ${N} maps loaded by the benchmark)\n`);
  table(['call', 'C loop ms', 'bpfscope ms', 'bpftool -j ms', 'bpfscope / C (target ≤ 1.5×)', 'bpftool / bpfscope'], rows);
  console.log('');

  // As many maps again, each created with its own BTF object (which the map keeps).
  const types = [{ kind: 'int', name: 'unsigned int', size: 4 }, { kind: 'int', name: 'long long unsigned int', size: 8 }];
  for (let i = 0; i < N; i++) {
    const m = await createMap({ type: 'hash', name: `bench_b${i}`, keySize: 4, valueSize: 8, maxEntries: 4, btf: { types, keyTypeId: 1, valueTypeId: 2 } });
    await pin(m, join(dir, `b${i}`));
    m.close();
  }
  const btfCount = (await listBtf()).length;
  const btfMs = await medianMs(listBtf, 9, 3);
  const bpftoolBtf = await commandMs('bpftool', ['-j', 'btf', 'show'], 5);
  const vmlinuxTypes = (await dumpBtf(1)).length;
  const dumpMs = await medianMs(() => dumpBtf(1), 9, 3);
  const bpftoolDump = await commandMs('bpftool', ['-j', 'btf', 'dump', 'id', '1'], 5);
  const headerMs = await medianMs(() => dumpBtfC(1), 9, 3);
  const bpftoolHeader = await commandMs('bpftool', ['btf', 'dump', 'id', '1', 'format', 'c'], 5);
  // A program of 1,000 helper calls, each reaching a kernel function that /proc/kallsyms names.
  const calls = Array.from({ length: XLATED_CALLS }, () => [insn(0x85, 0, 0, 0, 5), insn(0x07, 0, 0, 0, 1)]).flat(); // call bpf_ktime_get_ns; r0 += 1
  const program = await loadProgram({ type: 'socket_filter', name: 'bench_xlated', insns: Buffer.concat([...calls, returnInsns(0)]) });
  const instructions = (await dumpXlated(program.id)).length;
  const xlatedMs = await medianMs(() => dumpXlated(program.id), 9, 3);
  const bpftoolXlated = await commandMs('bpftool', ['-j', 'prog', 'dump', 'xlated', 'id', String(program.id)], 5);
  const jitedRows = [];
  if (process.arch === 'x64') {
    const jited = await dumpJited(program.id);
    const decoded = jited.functions.reduce((n, f) => n + f.instructions.length, 0);
    const jitedMs = await medianMs(() => dumpJited(program.id), 9, 3);
    const imageFile = `${dir}.image`; // beside the bpffs mount, which holds only BPF objects
    writeFileSync(imageFile, jited.image);
    const objdumpMs = await commandMs('objdump', ['-D', '-b', 'binary', '-m', 'i386:x86-64', imageFile], 5);
    unlinkSync(imageFile);
    jitedRows.push([`dumpJited() (${jited.image.length} bytes, ${decoded} instructions decoded, calls named)`, fmt(jitedMs), fmt(objdumpMs), ratio(objdumpMs, jitedMs)]);
  }
  program.close();
  table(['call', 'bpfscope ms', 'bpftool -j ms', 'bpftool / bpfscope'], [
    [`listBtf() (${btfCount} BTF objects, with the users of each among ${N} programs and ${2 * N} maps)`, fmt(btfMs), fmt(bpftoolBtf), ratio(bpftoolBtf, btfMs)],
    [`dumpBtf(1) (vmlinux: ${vmlinuxTypes} types, as records) against btf dump id 1`, fmt(dumpMs), fmt(bpftoolDump), ratio(bpftoolDump, dumpMs)],
    [`dumpBtfC(1) (vmlinux.h: ${vmlinuxTypes} types as C, sorted) against btf dump id 1 format c`, fmt(headerMs), fmt(bpftoolHeader), ratio(bpftoolHeader, headerMs)],
    [`dumpXlated() (${instructions} instructions, ${XLATED_CALLS} calls named from /proc/kallsyms) against prog dump xlated`, fmt(xlatedMs), fmt(bpftoolXlated), ratio(bpftoolXlated, xlatedMs)],
  ]);
  if (jitedRows.length > 0) {
    console.log('');
    table(['call', 'bpfscope ms', 'objdump -D -b binary (its image) ms', 'objdump / bpfscope'], jitedRows);
  }
  console.log('');
} finally {
  await unmount(dir);
  rmdirSync(dir);
}

// A cgroup tree: 20 children of a fresh cgroup, 10 below each, a connect4 program on every one.
const CGROUPS = 200;
const [cgroup2] = execFileSync('findmnt', ['-n', '-t', 'cgroup2', '-o', 'TARGET'], { encoding: 'utf8' }).trim().split('\n');
const top = mkdtempSync(join(cgroup2, 'bpfscope-bench-'));
const program = await loadProgram({ type: 'cgroup_sock_addr', name: 'bench_connect4', expectedAttachType: 'cgroup_inet4_connect' });
const attached = [];
// Events on 200 syscall tracepoints that this process holds, one program on each by ioctl, as BCC
// attaches (the kernel takes a program once per tracepoint).
const PERF_EVENTS = 200;
const tracepointProgram = await loadProgram({ type: 'tracepoint', name: 'bench_tp' });
const tracefsEvents = '/sys/kernel/tracing/events/syscalls';
const tracepoints = readdirSync(tracefsEvents).filter((d) => d.startsWith('sys_enter_')).sort().slice(0, PERF_EVENTS);
const events = [];
try {
  for (const tracepoint of tracepoints) events.push(await openPerfEvent(tracepointProgram, { tracepoint: `syscalls/${tracepoint}` }));
  for (let i = 0; attached.length < CGROUPS; i++) {
    const parent = join(top, `c${i}`);
    for (const dir of [parent, ...Array.from({ length: 9 }, (_, j) => join(parent, `c${j}`))]) {
      mkdirSync(dir);
      await attachCgroup(program, dir, 'cgroup_inet4_connect', 'multi');
      attached.push(dir);
    }
  }
  const tree = () => listCgroupAttachments({ path: top, recursive: true });
  if ((await tree()).length !== CGROUPS) throw new Error('cgroup tree: not every attachment listed');
  const ours = await medianMs(tree, 9, 3);
  const bpftool = await commandMs('bpftool', ['-j', 'cgroup', 'tree', top], 5);
  const holders = await listHolders();
  const held = [holders.programs, holders.maps, holders.links].reduce((n, m) => n + [...m.values()].flat().length, 0);
  const processes = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).length;
  const holdersMs = await medianMs(listHolders, 9, 3);
  const perf = await listPerfAttachments();
  if (perf.attachments.filter((a) => a.pid === process.pid).length !== events.length) throw new Error('perf: not every event listed');
  const perfMs = await medianMs(listPerfAttachments, 9, 3);
  const bpftoolPerf = await commandMs('bpftool', ['-j', 'perf'], 5);
  console.log('### Cgroup hooks, fd holders and perf attachments\n');
  table(['call', 'bpfscope ms', 'bpftool -j ms', 'bpftool / bpfscope'], [
    [`listCgroupAttachments({ recursive: true }) (${CGROUPS} cgroups, one program each)`, fmt(ours), fmt(bpftool), ratio(bpftool, ours)],
    [`listHolders() (${processes} processes, ${held} BPF fd holdings)`, fmt(holdersMs), '—', '—'],
    [`listPerfAttachments() (${perf.attachments.length} programs on perf events among ${processes} processes) against perf`, fmt(perfMs), fmt(bpftoolPerf), ratio(bpftoolPerf, perfMs)],
  ]);
  console.log('');
} finally {
  for (const dir of attached.reverse()) {
    await detachCgroup(program, dir, 'cgroup_inet4_connect');
    rmdirSync(dir);
  }
  rmdirSync(top);
  program.close();
  for (const object of [...events, tracepointProgram]) object.close();
}

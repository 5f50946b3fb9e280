// The bpfscope command: JSON equal to the API's values, text tables, exit codes and hints.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';
import { getLink, getProgram, listCgroupAttachments, listPerfAttachments } from 'bpfscope';
import { addTcFilter, attachTcx, attachUprobeMulti, createLink, createMap, loadProgram, openPerfEvent, pin, testRun, updateElem } from 'bpfscope/testing';
import { bpftool, cleanup, cli, describeKernel, ipJson, mustBpffs, mustCgroup, mustNetns, mustProbedFile, mustVeth, owned, possibleCpus, run } from '../helpers/kernel';
import { loadProgramWithMetadata } from '../helpers/maps';

describeKernel('bpfscope CLI', () => {
  it('prog --json prints what getProgram returns, bigints as strings', async () => {
    const p = owned(await loadProgram({ type: 'sched_cls', name: 'cil_from_container' }));
    const r = cli('prog', String(p.id), '--json');
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout);
    const info = await getProgram(p.id);
    expect(printed).toMatchObject({ id: info.id, name: 'cil_from_container', type: 'sched_cls', tag: info.tag, bytesMemlock: String(info.bytesMemlock) });
    expect(printed.loadedAt).toBe(info.loadedAt!.toISOString());
    expect(printed.pids).toEqual([{ pid: process.pid, comm: readFileSync('/proc/self/comm', 'utf8').trim() }]);
    expect(printed.metadata).toBeUndefined();
  });

  it('prog <id> prints the program\'s metadata, as bpftool prog show does', async () => {
    const p = await loadProgramWithMetadata();
    const json = JSON.parse(cli('prog', String(p.id), '--json').stdout);
    expect(json.metadata).toEqual(bpftool<{ metadata: unknown }>('prog', 'show', 'id', String(p.id)).metadata);
    const text = cli('prog', String(p.id));
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines.slice(-3)).toEqual(['metadata:', '  name = "demo"', '  version = 3']);
    expect(lines.at(-4)).toMatch(new RegExp(`^\\s*${p.id}\\s+sched_cls\\s+bpfs_meta\\s`)); // right under the table
  });

  it('link shows tcx links in a table, and link --json their typed fields', async () => {
    const veth = mustVeth();
    const p = owned(await loadProgram({ type: 'sched_cls', name: 'bpfs_cli_tcx' }));
    const l = owned(await attachTcx(p, veth.hostIfindex, 'ingress'));
    const text = cli('link');
    expect(text.code).toBe(0);
    // This process holds the link's fd: the last column is bpftool's pids, comm(pid).
    const comm = readFileSync('/proc/self/comm', 'utf8').trim();
    const row = text.stdout.split('\n').find((line) => line.trimStart().startsWith(`${l.id} `));
    // The device after its ifindex (findLinkDevices), with no netns: it is this one.
    expect(row).toMatch(new RegExp(`^\\s*${l.id}\\s+tcx\\s+${p.id}\\s+ifindex=${veth.hostIfindex} dev=${veth.host} attachType=tcx_ingress\\s+${comm.replace(/[()]/g, '\\$&')}\\(${process.pid}\\)$`));
    expect(text.stdout).not.toContain('\x1b['); // NO_COLOR and not a TTY
    const json = JSON.parse(cli('link', '--json').stdout) as { id: number }[];
    const device = { ifindex: veth.hostIfindex, ifname: veth.host, netns: expect.objectContaining({ inode: statSync('/proc/self/ns/net').ino, current: true }) };
    const expected = { ...(await getLink(l.id)), device, pids: [{ pid: process.pid, comm }] };
    expect(json.find((x) => x.id === l.id)).toEqual(expected);
    // One link by id, as `bpftool link show id N`: its row alone, and with --json the object.
    const one = cli('link', String(l.id));
    const words = (line: string) => line.trim().split(/\s+/);
    expect(one.stdout.split('\n').filter(Boolean).slice(1).map(words)).toEqual([words(row!)]);
    expect(JSON.parse(cli('link', String(l.id), '--json').stdout)).toEqual(expected);
  });

  it('link prints a uprobe_multi link\'s probes as key=value records in brackets', async () => {
    const p = owned(await loadProgram({ type: 'kprobe', name: 'bpfs_cli_um', expectedAttachType: 'trace_uprobe_multi' }));
    const path = mustProbedFile();
    const l = owned(await attachUprobeMulti(p, { path, offsets: [16n, 64n], cookies: [5n, 6n] }));
    const row = cli('link').stdout.split('\n').find((line) => line.trimStart().startsWith(`${l.id} `));
    expect(row).toMatch(new RegExp(`^\\s*${l.id}\\s+uprobe_multi\\s+${p.id}\\s+path=${path} flags=0 count=2 pid=0 probes=\\S`));
    expect(row).toContain(' probes=[offset=16 refCtrOffset=0 cookie=5, offset=64 refCtrOffset=0 cookie=6]  ');
  });

  it('perf lists the programs processes run on perf events, as bpftool perf, and --json what listPerfAttachments returns', async () => {
    const path = mustProbedFile();
    const probe = owned(await loadProgram({ type: 'kprobe', name: 'bpfs_cli_up' }));
    const event = owned(await openPerfEvent(probe, { uprobe: { path, offset: 4096n, retprobe: true } }));
    const text = cli('perf');
    expect(text.code).toBe(0);
    const comm = readFileSync('/proc/self/comm', 'utf8').trim().replace(/[()]/g, '\\$&'); // vitest's 'node (vitest 1)'
    expect(text.stdout.split('\n')[0]).toMatch(/^\s*pid\s+comm\s+fd\s+prog\s+type\s+on\s+offset$/);
    expect(text.stdout).toMatch(new RegExp(`^\\s*${process.pid}\\s+${comm}\\s+${event.fd}\\s+${probe.id}\\s+uretprobe\\s+${path}\\s+4096$`, 'm'));
    const json = JSON.parse(cli('perf', '--json').stdout) as { attachments: { pid: number; fd: number }[]; unreadable: number[] };
    expect(json.attachments.filter((a) => a.pid === process.pid)).toEqual(
      (await listPerfAttachments()).attachments.filter((a) => a.pid === process.pid).map((a) => ('offset' in a ? { ...a, offset: String(a.offset) } : a)),
    );
    expect(json.unreadable).toEqual([]);
    expect(cli('perf', 'x').code).toBe(2);
  });

  it('cgroup --tree lists the programs below a cgroup, and --json what listCgroupAttachments returns', async () => {
    const root = mustCgroup('kid');
    const p = owned(await loadProgram({ type: 'cgroup_sock_addr', name: 'cil_sock4_connect', expectedAttachType: 'cgroup_inet4_connect' }));
    const l = owned(await createLink(p, join(root, 'kid'), 'cgroup_inet4_connect'));
    const text = cli('cgroup', root, '--tree');
    expect(text.code).toBe(0);
    expect(text.stdout.trim().split('\n').slice(1)).toEqual([expect.stringMatching(new RegExp(`^${join(root, 'kid')}\\s+cgroup_inet4_connect\\s+multi\\s+${p.id}\\s+cil_sock4_connect\\s+${l.id}$`))]);
    const json = JSON.parse(cli('cgroup', root, '--tree', '--json').stdout);
    const api = await listCgroupAttachments({ path: root, recursive: true });
    expect(json).toEqual(api.map((a) => ({ ...a, cgroupId: String(a.cgroupId) })));
    expect(JSON.parse(cli('cgroup', join(root, 'kid'), '--effective', '--json').stdout).map((a: { progId: number }) => a.progId)).toEqual([p.id]);
  });

  it('exits 4 with a one-line error and a hint for a missing object, 2 for bad usage', () => {
    const missing = cli('prog', '4294967280');
    expect(missing.code).toBe(4);
    expect(missing.stderr.split('\n').filter(Boolean)).toEqual([
      'bpfscope: BPF_PROG_GET_FD_BY_ID program 4294967280: No such file or directory (ENOENT)',
      'hint: the object is gone or never existed; list what exists with the matching list command',
    ]);
    // A Cilium map that is nowhere: the message says where it was looked for, once, not "ENOENT (ENOENT)".
    const noMap = cli('cilium', 'policy', '65000', '--bpffs', '/nonexistent-bpffs');
    expect(noMap.code).toBe(4);
    expect(noMap.stderr.split('\n')[0]).toBe(
      'bpfscope: find map cilium_policy_v2_65000 or cilium_policy_65000: not pinned under /nonexistent-bpffs/tc/globals (ENOENT)',
    );
    const usage = cli('prog', 'abc');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('not an id: abc');
    // An id past the kernel's u32, or 0, is bad usage too, said before any lookup.
    const kinds: Record<string, string> = { prog: 'program', link: 'link' };
    for (const args of [['prog', '0'], ['prog', '4294967296'], ['link', '0'], ['map', 'show', '0'], ['map', 'dump', '4294967296'], ['watch', '0']]) {
      const r = cli(...args);
      expect([r.code, r.stderr.split('\n')[0]], args.join(' ')).toEqual([2, `bpfscope: ${kinds[args[0]] ?? 'map'} id must be between 1 and 4294967295, got ${args.at(-1)}`]);
    }
    expect(cli('link', '4294967280').stderr.split('\n')[0]).toBe('bpfscope: BPF_LINK_GET_FD_BY_ID link 4294967280: No such file or directory (ENOENT)');
    expect(cli('--nope').code).toBe(2);
    expect(cli('frobnicate').code).toBe(2);
    // A timer longer than 2^31 - 1 ms fires after 1 ms: refused, not polled back to back.
    const interval = cli('watch', '1', '--interval', String(2 ** 31));
    expect(interval.code).toBe(2);
    expect(interval.stderr).toContain('--interval must be at most 2147483647 ms');
    const flagValue = cli('version', '--json=1');
    expect(flagValue.code).toBe(2);
    expect(flagValue.stderr).toContain('bpfscope: --json takes no value\n');
  });

  it('refuses arguments and options a command does not take (exit 2), rather than ignoring them', () => {
    // Each would otherwise print the whole listing, as if the argument had been honoured
    // (`net eth0` as the attachments of eth0 alone, `prog --netns x` as the programs of x's).
    for (const args of [
      ['net', 'eth0'], ['if', 'eth0'], ['netns', 'x'], ['link', '1', '2'], ['pinned', '/sys/fs/bpf', 'x'], ['version', 'x'], ['top', 'x', '--count', '1'],
      ['prog', '--netns', 'x'], ['net', '--btf'], ['map', 'show', '--interval', '5'], ['link', '--tree'], ['if', '--count', '1'],
      // No command: the overview of the caller's namespace, which no option changes.
      ['--netns', 'x'], ['--tree'],
      // Names of the prototype of an object are no commands.
      ['constructor'], ['toString'], ['__proto__'],
    ]) {
      const r = cli(...args);
      expect([r.code, r.stdout], args.join(' ')).toEqual([2, '']);
      expect(r.stderr, args.join(' ')).toMatch(/^bpfscope: .+\nhint: bpfscope --help lists the commands\n$/);
    }
    expect(cli('net', 'eth0').stderr).toContain('usage: bpfscope net [--netns REF]');
    expect(cli('prog', '--netns', 'x').stderr).toContain('prog takes no --netns');
  });

  it('takes every cilium command as --help and the README write it', () => {
    // The first column of the README's command table and the command lines of --help, each form
    // expanded (a|b|c) with an example of each <arg> (an address for <ip>, a CIDR for <prefix>, else
    // 65000); none may be bad usage (2). With a bpffs that
    // holds nothing, each finds no map (4), or a map of that name elsewhere (0).
    const readme = readFileSync('README.md', 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('| `cilium '))
      .flatMap((line) => [...line.split(' | ')[0].matchAll(/`(cilium [^`]+)`/g)].map((m) => m[1].replace(/\\\|/g, '|')));
    const help = cli('--help')
      .stdout.split('\n')
      .filter((line) => line.startsWith('  cilium '))
      .map((line) => line.trim());
    const PLACEHOLDERS: Record<string, string> = { '<ip>': '10.0.0.1', '<prefix>': '10.0.0.0/8', '<cluster-id>': '7' };
    const forms = (text: string): string[][] => {
      const words = text.split(/\s+/);
      const end = words.findIndex((w) => w.startsWith('['));
      return (end < 0 ? words : words.slice(0, end)).reduce<string[][]>(
        (acc, word) => acc.flatMap((prefix) => (word.startsWith('<') ? [PLACEHOLDERS[word] ?? '65000'] : word.split('|')).map((w) => [...prefix, w])),
        [[]],
      );
    };
    const commands = new Set([...readme, ...help].filter((c) => !c.startsWith('cilium explain')).flatMap(forms).map((f) => f.join(' ')));
    expect(commands).toContain('cilium policy 65000');
    // drops polls until stopped should it find a cilium_metrics by name: one tick is enough.
    const run1 = (c: string) => cli(...c.split(' '), '--bpffs', '/nonexistent-bpffs', ...(c === 'cilium drops' ? ['--count', '1'] : []));
    const bad = [...commands].filter((c) => ![0, 4].includes(run1(c).code));
    expect(bad).toEqual([]);
  });

  it('--version alone prints what the version command prints', () => {
    const alone = cli('--version');
    expect(alone.code).toBe(0);
    expect(alone.stdout.split('\n')[0]).toBe(cli('version').stdout.split('\n')[0]);
    expect(alone.stdout).toMatch(/^bpfscope \S+ \(node /);
  });

  it('top reports a program that ran during the interval, with its run rate and CPU share', async () => {
    const p = owned(await loadProgram({ type: 'sched_cls', name: 'bpfs_top' }));
    const idle = owned(await loadProgram({ type: 'sched_cls', name: 'bpfs_top_idle' }));
    const child = spawn(process.execPath, ['dist/cjs/cli/main.js', 'top', '--interval', '1500', '--count', '1', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    // Statistics are on once top has enabled them; its first sample follows at once.
    let probes = 0;
    while ((await getProgram(p.id)).runCount === 0n) {
      await testRun(p, Buffer.alloc(64), 1);
      probes++;
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 200));
    await testRun(p, Buffer.alloc(64), 3000);
    expect(await exited).toBe(0);
    const rows = JSON.parse(stdout) as { id: number; cpuPercent: number; eventsPerSec: number; avgNs: number }[];
    const ran = rows.find((x) => x.id === p.id)!;
    // 3000 runs (plus at most the probing runs) in a 1.5 s interval
    expect(ran.eventsPerSec * 1.5).toBeGreaterThanOrEqual(3000);
    expect(ran.eventsPerSec * 1.5).toBeLessThanOrEqual(3000 + probes);
    expect(ran.cpuPercent).toBeGreaterThan(0);
    expect(ran.avgNs).toBeGreaterThan(0);
    expect(rows.find((x) => x.id === idle.id)).toMatchObject({ eventsPerSec: 0, cpuPercent: 0 });
    expect(rows.indexOf(ran)).toBeLessThan(rows.findIndex((x) => x.id === idle.id));
  });
});

describeKernel('bpfscope CLI: maps and network', () => {
  it('with no command prints the host: interfaces with their peers and BPF, programs and maps by type', async () => {
    const ns = mustNetns('bpfov');
    const veth = mustVeth({ netns: ns });
    const p = owned(await loadProgram({ type: 'sched_cls', name: 'cil_from_container' }));
    owned(await attachTcx(p, veth.hostIfindex, 'ingress'));
    const r = cli();
    expect(r.code).toBe(0);
    const row = r.stdout.split('\n').find((line) => line.includes(` ${veth.host} `));
    expect(row).toMatch(new RegExp(`^\\s*${veth.hostIfindex}\\s+${veth.host}\\s+veth\\s+\\S+\\s+eth0 \\(netns ${ns}\\)\\s+tcx/ingress cil_from_container$`));
    expect(r.stdout).toMatch(/\d+ programs: .*sched_cls \d+/);
  });

  it('map dump prints bpftool-shaped entries, and watch the changes of one tick', async () => {
    const map = owned(await createMap({ type: 'hash', name: 'bpfs_cli_map', keySize: 4, valueSize: 4, maxEntries: 8 }));
    await updateElem(map, Buffer.from([1, 0, 0, 0]), Buffer.from([9, 0, 0, 0]));
    const dump = cli('map', 'dump', String(map.id), '--json');
    expect(dump.code).toBe(0);
    expect(JSON.parse(dump.stdout)).toEqual(bpftool('map', 'dump', 'id', String(map.id)));
    const text = cli('map', 'dump', 'bpfs_cli_map');
    expect(text.stdout.trim().split('\n')).toEqual(['key: 01000000  value: 09000000', 'Found 1 element']);
    // --btf on a map without BTF: the bytes, and a word that they are not decoded.
    const noBtf = cli('map', 'dump', 'bpfs_cli_map', '--btf');
    expect(noBtf.stdout.trim()).toBe('{ "key": [ "0x01", "0x00", "0x00", "0x00" ], "value": [ "0x09", "0x00", "0x00", "0x00" ] }');
    expect(noBtf.stderr).toBe(`bpfscope: map ${map.id} bpfs_cli_map has no BTF: its entries are printed as bytes\n`);
    // A pinned path relative to the working directory, as bpftool's `pinned PATH` takes one: not a name.
    const bpffs = await mustBpffs();
    await pin(map, join(bpffs, 'hash'));
    const byRelativePath = cli('map', 'dump', relative(process.cwd(), join(bpffs, 'hash')));
    expect([byRelativePath.code, byRelativePath.stdout]).toEqual([0, text.stdout]);
    const watch = cli('watch', String(map.id), '--count', '1', '--json');
    expect(JSON.parse(watch.stdout)).toEqual({ tick: 0, count: 1, added: [{ key: '01000000', value: '09000000' }], removed: [], changed: [] });

    // --inner: a map-in-map's entries, each with its inner map's entries as bpftool dumps them.
    const outer = owned(await createMap({ type: 'array_of_maps', name: 'bpfs_cli_outer', keySize: 4, valueSize: 4, maxEntries: 2, innerMap: map }));
    await updateElem(outer, Buffer.from([1, 0, 0, 0]), Buffer.from(new Uint32Array([map.fd]).buffer));
    const nested = JSON.parse(cli('map', 'dump', String(outer.id), '--inner', '--json').stdout) as { inner_map: unknown }[];
    expect(nested).toEqual(bpftool<object[]>('map', 'dump', 'id', String(outer.id)).map((e) => ({
      ...e, inner_map: { id: map.id, name: 'bpfs_cli_map', type: 'hash', entries: bpftool('map', 'dump', 'id', String(map.id)) },
    })));
    expect(cli('map', 'dump', String(outer.id), '--inner').stdout.trim().split('\n')).toEqual([
      `key: 01000000  inner map: ${map.id} bpfs_cli_map (1 element)`, '    key: 01000000  value: 09000000', 'Found 1 element']);
    // Without --inner, as bpftool's text prints a map-in-map's entry: the inner map's id, not its bytes.
    expect(cli('map', 'dump', String(outer.id)).stdout.trim().split('\n')).toEqual([`key: 01000000  inner_map_id: ${map.id}`, 'Found 1 element']);
    expect(run('bpftool', ['map', 'dump', 'id', String(outer.id)])).toContain(`inner_map_id: ${map.id} `);
    expect(cli('map', 'lookup', String(outer.id), '01000000').stdout.trim()).toBe(`key: 01000000  inner_map_id: ${map.id}`);
    // An inner map with no entries to read (a ring buffer): what it is, and why, in place of its entries.
    const ring = owned(await createMap({ type: 'ringbuf', name: 'bpfs_cli_ring', keySize: 0, valueSize: 0, maxEntries: 4096 }));
    const rings = owned(await createMap({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 1, innerMap: ring }));
    await updateElem(rings, Buffer.alloc(4), Buffer.from(new Uint32Array([ring.fd]).buffer));
    const why = 'a ring buffer is a stream of records, not key/value entries';
    expect(cli('map', 'dump', String(rings.id), '--inner').stdout.trim().split('\n')).toEqual([`key: 00000000  inner map: ${ring.id} bpfs_cli_ring (ringbuf: ${why})`, 'Found 1 element']);
    expect(JSON.parse(cli('map', 'dump', String(rings.id), '--inner', '--json').stdout)[0].inner_map).toEqual({ id: ring.id, name: 'bpfs_cli_ring', type: 'ringbuf', unreadable: why });
  });

  it('map dump, lookup and watch of a per-CPU map print each CPU\'s value, as bpftool does, not the padded per-CPU block', async () => {
    // 4-byte values: the kernel pads each CPU's to 8, which bpftool leaves out.
    const map = owned(await createMap({ type: 'percpu_hash', name: 'bpfs_cli_pcpu', keySize: 4, valueSize: 4, maxEntries: 4 }));
    const cpus = possibleCpus();
    const block = Buffer.alloc(8 * cpus);
    for (let c = 0; c < cpus; c++) block.writeUInt32LE(c + 1, 8 * c);
    await updateElem(map, Buffer.from([3, 0, 0, 0]), block);
    // bpftool's text with the spaces between bytes left out, as bpfscope prints bytes.
    const compact = (text: string) => text.trim().replace(/(?<=\b[0-9a-f]{2}) (?=[0-9a-f]{2}\b)/g, '');
    const dump = cli('map', 'dump', String(map.id));
    expect(dump.code).toBe(0);
    expect(dump.stdout.trim()).toBe(compact(run('bpftool', ['map', 'dump', 'id', String(map.id)])));
    expect(dump.stdout).toContain(`value (CPU 01): 02000000\n`);
    const lookup = cli('map', 'lookup', String(map.id), '03000000');
    expect(lookup.stdout.trim()).toBe(compact(run('bpftool', ['map', 'lookup', 'id', String(map.id), 'key', 'hex', '03', '00', '00', '00'])));
    const values = Array.from({ length: cpus }, (_, c) => ({ cpu: c, value: Buffer.from([c + 1, 0, 0, 0]).toString('hex') }));
    expect(JSON.parse(cli('watch', String(map.id), '--count', '1', '--json').stdout)).toEqual({ tick: 0, count: 1, added: [{ key: '03000000', values }], removed: [], changed: [] });
    expect(cli('watch', String(map.id), '--count', '1').stdout.trim().split('\n')[1]).toBe(`+ 03000000 ${values.map((v) => `(CPU ${String(v.cpu).padStart(2, '0')}) ${v.value}`).join(' ')}`);
  });

  it('map dump, lookup and watch of a map with BTF print its decoded entries, and with --json the bytes and formatted values, as bpftool does; map peek', async () => {
    const types = [
      /* 1 */ { kind: 'int', name: 'unsigned int', size: 4 },
      /* 2 */ { kind: 'int', name: 'long long unsigned int', size: 8 },
      /* 3 */ { kind: 'struct', name: 'counter', size: 16, members: [{ name: 'packets', type: 2, bitOffset: 0 }, { name: 'bytes', type: 2, bitOffset: 64 }] },
    ];
    const map = owned(await createMap({ type: 'hash', name: 'bpfs_cli_btf', keySize: 4, valueSize: 16, maxEntries: 4, btf: { types, keyTypeId: 1, valueTypeId: 3 } }));
    const value = Buffer.alloc(16);
    value.writeBigUInt64LE(2n ** 63n + 5n, 0); // past 2^53: bpftool prints the number, bpfscope's JSON a string
    value.writeBigUInt64LE(1500n, 8);
    await updateElem(map, Buffer.from([7, 0, 0, 0]), value);

    const theirs = JSON.parse(run('bpftool', ['-j', 'map', 'dump', 'id', String(map.id)]).replace(/:\s*(\d{16,})/g, ':"$1"'));
    expect(theirs[0].formatted).toEqual({ key: 7, value: { packets: String(2n ** 63n + 5n), bytes: 1500 } });
    // The CLI's JSON prints every 64-bit number as a string, where bpftool prints a number.
    const formatted = { key: 7, value: { packets: String(2n ** 63n + 5n), bytes: '1500' } };
    const json = cli('map', 'dump', String(map.id), '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([{ ...theirs[0], formatted }]);
    expect(Object.keys(JSON.parse(json.stdout)[0])).toEqual(Object.keys(theirs[0]));
    expect(cli('map', 'dump', 'bpfs_cli_btf').stdout.trim().split('\n')).toEqual([`{ "key": 7, "value": { "packets": "${2n ** 63n + 5n}", "bytes": "1500" } }`]);
    expect(JSON.parse(cli('map', 'dump', String(map.id), '--btf', '--json').stdout)).toEqual([formatted]);

    // map lookup: the entry under one key, as `bpftool -j map lookup` prints it; map peek: a queue's next value.
    const lookedUp = cli('map', 'lookup', String(map.id), '07', '00', '00', '00', '--json');
    expect(lookedUp.code).toBe(0);
    const theirLookup = JSON.parse(run('bpftool', ['-j', 'map', 'lookup', 'id', String(map.id), 'key', 'hex', '07', '00', '00', '00']).replace(/:\s*(\d{16,})/g, ':"$1"'));
    expect(JSON.parse(lookedUp.stdout)).toEqual({ ...theirLookup, formatted });
    // One shell word with spaces, as --help writes it ("07 00 00 00"), is the same key.
    expect(cli('map', 'lookup', String(map.id), '07 00 00 00', '--json').stdout).toBe(lookedUp.stdout);
    expect(cli('map', 'lookup', 'bpfs_cli_btf', '07000000').stdout.trim()).toBe(`{ "key": 7, "value": { "packets": "${2n ** 63n + 5n}", "bytes": "1500" } }`);
    const missing = cli('map', 'lookup', String(map.id), '0x08', '0', '0', '0');
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain(`no entry under key 08000000 in map ${map.id}`);
    expect(cli('map', 'lookup', String(map.id), '07').code).toBe(2); // one byte of a 4-byte key
    expect(cli('map', 'lookup', String(map.id), 'zz000000').code).toBe(2);
    const queue = owned(await createMap({ type: 'queue', name: 'bpfs_cli_queue', keySize: 0, valueSize: 4, maxEntries: 4 }));
    expect(cli('map', 'peek', String(queue.id)).code).toBe(4); // empty
    await updateElem(queue, Buffer.alloc(0), Buffer.from([5, 0, 0, 0]));
    await updateElem(queue, Buffer.alloc(0), Buffer.from([6, 0, 0, 0]));
    expect(JSON.parse(cli('map', 'peek', 'bpfs_cli_queue', '--json').stdout)).toEqual(JSON.parse(run('bpftool', ['-j', 'map', 'peek', 'id', String(queue.id)])));
    expect(cli('map', 'peek', String(queue.id)).stdout.trim()).toBe('value: 05000000');
    for (const command of [['map', 'dump'], ['watch']]) {
      const queueDump = cli(...command, String(queue.id));
      expect([queueDump.code, queueDump.stderr.split('\n')[0]]).toEqual([2, `bpfscope: ${command.join(' ')} reads keyed entries; map ${queue.id} is a queue map (map peek reads its next value)`]);
    }
    // peek and --inner on a map of another type: the command misapplied, said so (bad usage).
    const peekHash = cli('map', 'peek', String(map.id));
    expect([peekHash.code, peekHash.stderr.split('\n')[0]]).toEqual([2, `bpfscope: map peek reads a queue or a stack; map ${map.id} is a hash map (map lookup takes its key)`]);
    const innerHash = cli('map', 'dump', String(map.id), '--inner');
    expect([innerHash.code, innerHash.stderr.split('\n')[0]]).toEqual([2, `bpfscope: --inner is for array_of_maps and hash_of_maps; map ${map.id} is a hash map`]);

    // watch decodes each change the same way.
    const tick = JSON.parse(cli('watch', String(map.id), '--count', '1', '--json').stdout);
    expect(tick).toEqual({ tick: 0, count: 1, added: [{ key: '07000000', value: value.toString('hex'), formatted }], removed: [], changed: [] });
    const text = cli('watch', 'bpfs_cli_btf', '--count', '1').stdout.trim().split('\n');
    expect(text).toEqual(['tick 0: 1 entries, +1 -0 ~0', `+ { "key": 7, "value": { "packets": "${2n ** 63n + 5n}", "bytes": "1500" } }`]);

    // A value changed between two ticks: the old and the new entry, decoded.
    const child = spawn(process.execPath, ['dist/cjs/cli/main.js', 'watch', String(map.id), '--count', '2', '--interval', '300'], {
      env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
    cleanup(async () => { child.kill(); await closed; });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const lines = async (n: number): Promise<string[]> => {
      for (let i = 0; i < 500; i++) {
        const printed = out.trim().split('\n');
        if (out && printed.length >= n) return printed;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`watch printed ${JSON.stringify(out)}, stderr ${JSON.stringify(err)}`);
    };
    await lines(2);
    const next = Buffer.from(value);
    next.writeBigUInt64LE(3000n, 8);
    await updateElem(map, Buffer.from([7, 0, 0, 0]), next);
    expect((await lines(4)).slice(2)).toEqual([
      'tick 1: 1 entries, +0 -0 ~1',
      `~ { "key": 7, "value": { "packets": "${2n ** 63n + 5n}", "bytes": "1500" } } → { "packets": "${2n ** 63n + 5n}", "bytes": "3000" }`,
    ]);
    expect(await closed).toBe(0);
  });

  it('net prints a tc filter\'s details in the words of tc filter show, and a tcx program\'s place, link and revision', async () => {
    const ns = mustNetns('bpfcli');
    run('ip', ['-n', ns, 'link', 'add', 'x0', 'type', 'veth', 'peer', 'name', 'x1']);
    const p = owned(await loadProgram({ type: 'sched_cls', name: 'cil_from_container' }));
    await addTcFilter({ netns: { name: ns }, ifname: 'x0', direction: 'ingress', program: p, priority: 1, handle: 1, name: 'bpf_lxc.o:[from-container]' });
    await addTcFilter({ netns: { name: ns }, ifname: 'x0', direction: 'egress', program: p, priority: 7, handle: 0x20, name: 'bpf_lxc.o:[to-container]' });
    const details = (hook: string) => {
      const row = cli('net', '--netns', ns).stdout.split('\n').find((l) => new RegExp(`^x0\\s+\\d+\\s+${hook}\\s`).test(l));
      return /sched_cls\s+(.*)$/.exec(row ?? '')?.[1];
    };
    for (const [hook, dir] of [['tc/ingress', 'ingress'], ['tc/egress', 'egress']]) {
      // tc's line for the filter, less what the other columns say (the program's id and cut name,
      // jited) and the classifier's kind.
      const tc = run('tc', ['-n', ns, 'filter', 'show', 'dev', 'x0', dir]).split('\n').find((l) => l.includes(' handle '))!;
      expect(tc).toContain(`id ${p.id} `);
      const expected = tc.trim().replace(/^filter /, '').replace(' bpf chain ', ' chain ').replace(/ id \d+ name \S+/, '').replace(/ jited$/, '');
      expect(details(hook)).toBe(expected);
    }
    const inside = mustVeth({ netns: ns });
    const link = owned(await attachTcx(p, inside.hostIfindex, 'ingress'));
    // bpftool lists tcx programs among tc's, by kind.
    const theirs = bpftool<{ tc: { devname: string; kind: string; prog_id: number; link_id?: number }[] }[]>('net', 'show')[0];
    expect(theirs.tc.find((t) => t.devname === inside.host)).toMatchObject({ kind: 'tcx/ingress', prog_id: p.id, link_id: link.id });
    const row = cli('net').stdout.split('\n').find((l) => l.startsWith(`${inside.host} `));
    expect(row).toMatch(new RegExp(`tcx/ingress\\s+${p.id}\\s+cil_from_container\\s+sched_cls\\s+position 0 link ${link.id} revision \\d+$`));
  });

  it('if names a veth\'s peer as ip does (name@peer, name@ifN), and gives a macvlan none', () => {
    const [ns, other] = [mustNetns(), mustNetns()];
    run('ip', ['-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
    run('ip', ['-n', ns, 'link', 'add', 'mv0', 'link', 'v0', 'type', 'macvlan']);
    run('ip', ['-n', ns, 'link', 'add', 'x0', 'type', 'veth', 'peer', 'name', 'x1', 'netns', other]);
    const theirs = ipJson<{ ifname: string; link?: string; link_index?: number; link_netnsid?: number }[]>(['link', 'show'], ns);
    const x0 = theirs.find((l) => l.ifname === 'x0')!;
    expect(theirs.find((l) => l.ifname === 'mv0')!.link).toBe('v0'); // its lower device, which findPeer calls no peer
    const peerColumn = (name: string) => cli('if', '--netns', ns).stdout.split('\n').find((l) => l.trim().split(/\s+/)[1] === name)!.trim().split(/\s+/)[6];
    expect(peerColumn('v0')).toBe('v1');
    expect(peerColumn('v1')).toBe('v0');
    expect(peerColumn('mv0')).toBe('-');
    expect(cli('if', '--netns', ns).stdout).toMatch(new RegExp(`\\sx0\\s.*\\sif${x0.link_index} \\(nsid ${x0.link_netnsid}\\)`));
  });

  it('if prints a point-to-point address with its peer, whose prefix it is, as ip does', () => {
    const ns = mustNetns();
    run('ip', ['-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
    run('ip', ['-n', ns, 'addr', 'add', '10.6.0.1', 'peer', '10.6.0.0/24', 'dev', 'v0']);
    run('ip', ['-n', ns, 'addr', 'add', '10.7.0.1/24', 'dev', 'v0']);
    expect(run('ip', ['-n', ns, '-br', 'addr', 'show', 'v0'])).toContain('10.6.0.1 peer 10.6.0.0/24 10.7.0.1/24');
    const row = cli('if', '--netns', ns).stdout.split('\n').find((l) => l.trim().split(/\s+/)[1] === 'v0');
    expect(row).toMatch(/\s10\.6\.0\.1 peer 10\.6\.0\.0\/24,10\.7\.0\.1\/24$/);
  });

  it("if shows a device's kind details and bridge port state in ip -d's words, and --json carries them", () => {
    const ns = mustNetns();
    run('ip', ['-n', ns, 'link', 'add', 'cilium_vxlan', 'type', 'vxlan', 'external', 'dstport', '8472']);
    run('ip', ['-n', ns, 'link', 'add', 'br0', 'type', 'bridge']);
    run('ip', ['-n', ns, 'link', 'add', 'v0', 'master', 'br0', 'type', 'veth', 'peer', 'name', 'v1']);
    run('ip', ['-n', ns, 'link', 'set', 'v0', 'type', 'bridge_slave', 'cost', '9']);
    const text = cli('if', '--netns', ns).stdout;
    expect(text).toMatch(/\scilium_vxlan\s.*\sexternal dstport 8472(\s|$)/m);
    expect(text).toMatch(/\sbr0\s.*\sstp_state 0 priority 32768(\s|$)/m);
    expect(text).toMatch(/\sv0\s.*\sbridge_slave state disabled priority 32 cost 9(\s|$)/m);
    const json = JSON.parse(cli('if', '--netns', ns, '--json').stdout) as { interfaces: { name: string; kindInfo?: object; slaveInfo?: object }[] };
    const byName = new Map(json.interfaces.map((i) => [i.name, i]));
    expect(byName.get('cilium_vxlan')!.kindInfo).toMatchObject({ kind: 'vxlan', external: true, port: 8472, portRange: { low: 0, high: 0 } });
    expect(byName.get('v0')!.slaveInfo).toMatchObject({ kind: 'bridge', state: 'disabled', cost: 9, holdTimer: '0' });
  });

  it("if names a vxlan's lower device in the namespace it is in: by ifindex and nsid once the vxlan was moved out of it", () => {
    const [ns, other] = [mustNetns(), mustNetns()];
    run('ip', ['-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
    run('ip', ['-n', ns, 'link', 'add', 'vx0', 'type', 'vxlan', 'id', '5', 'dev', 'v0', 'dstport', '4789']);
    run('ip', ['-n', ns, 'link', 'add', 'vx1', 'type', 'vxlan', 'id', '6', 'dev', 'v0', 'dstport', '4789']);
    run('ip', ['-n', ns, 'link', 'set', 'vx1', 'netns', other]);
    // v0's ifindex is of `ns`, where vx1 was made: in `other` it is no device, or another one.
    const [v0] = ipJson<{ ifindex: number }[]>(['link', 'show', 'v0'], ns);
    const [vx1] = ipJson<{ link_netnsid?: number }[]>(['link', 'show', 'vx1'], other);
    expect(vx1.link_netnsid).toBeGreaterThanOrEqual(0);
    expect(cli('if', '--netns', ns).stdout).toMatch(/\svx0\s.*\sid 5 dev v0 dstport 4789(\s|$)/m);
    expect(cli('if', '--netns', other).stdout).toMatch(new RegExp(`\\svx1\\s.*\\sid 6 dev if${v0.ifindex} \\(nsid ${vx1.link_netnsid}\\) dstport 4789(\\s|$)`, 'm'));
  });

  it("if shows a source-mode macvlan's nodst and source addresses, as ip -d does", () => {
    const ns = mustNetns();
    run('ip', ['-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
    run('ip', ['-n', ns, 'link', 'add', 'mv0', 'link', 'v0', 'type', 'macvlan', 'mode', 'source', 'nodst']);
    expect(run('ip', ['-n', ns, '-d', 'link', 'show', 'mv0'])).toMatch(/macvlan mode source nodst /);
    expect(cli('if', '--netns', ns).stdout).toMatch(/\smv0\s.*\smode source nodst(\s|$)/m);
    run('ip', ['-n', ns, 'link', 'set', 'mv0', 'type', 'macvlan', 'macaddr', 'add', '02:00:00:00:00:01']);
    run('ip', ['-n', ns, 'link', 'set', 'mv0', 'type', 'macvlan', 'macaddr', 'add', '02:00:00:00:00:02']);
    // ip's words, in the kernel's order, which ip prints too.
    const remotes = /remotes \(2\) ([0-9a-f:]+) ([0-9a-f:]+)/.exec(run('ip', ['-n', ns, '-d', 'link', 'show', 'mv0']));
    expect(remotes?.slice(1).sort()).toEqual(['02:00:00:00:00:01', '02:00:00:00:00:02']);
    expect(cli('if', '--netns', ns).stdout).toMatch(new RegExp(`\\smv0\\s.*\\smode source nodst ${remotes![0].replace(/[()]/g, '\\$&')}(\\s|$)`, 'm'));
  });

  it('netns shows what else holds each namespace, such as a process\'s fd on it', async () => {
    const name = mustNetns('bpfcli');
    const fd = openSync(`/var/run/netns/${name}`, 'r');
    const sleeper = spawn('sleep', ['30'], { stdio: ['ignore', 'ignore', 'ignore', fd] });
    closeSync(fd);
    cleanup(() => sleeper.kill());
    await once(sleeper, 'spawn');
    const inode = statSync(`/var/run/netns/${name}`).ino;
    const row = cli('netns').stdout.split('\n').find((l) => l.trim().startsWith(`${inode} `));
    expect(row).toMatch(new RegExp(`^\\s*${inode}\\s+-\\s+${name}\\s+fd 3 of ${sleeper.pid}$`));
    const json = (JSON.parse(cli('netns', '--json').stdout) as { inode: number; fds: unknown }[]).find((n) => n.inode === inode);
    expect(json).toMatchObject({ names: [name], pids: [], fds: [{ pid: sleeper.pid, fd: 3 }], path: `/var/run/netns/${name}` });
  });

  it('peer finds the host side of a pod, net lists its tcx program, if shows the pod interfaces', async () => {
    const ns = mustNetns('bpfcli');
    const veth = mustVeth({ netns: ns });
    const p = owned(await loadProgram({ type: 'sched_cls', name: 'cil_from_container' }));
    owned(await attachTcx(p, veth.hostIfindex, 'ingress'));
    const sleeper = spawn('ip', ['netns', 'exec', ns, 'sleep', '30'], { stdio: 'ignore' });
    cleanup(() => sleeper.kill());
    let pid = 0;
    for (let i = 0; i < 200 && !pid; i++) {
      pid = Number(run('ip', ['netns', 'pids', ns]).trim().split('\n')[0]);
      if (!pid) await new Promise((r) => setTimeout(r, 10));
    }
    const peer = JSON.parse(cli('peer', String(pid), '--json').stdout);
    expect(peer.local).toMatchObject({ name: 'eth0', ifindex: veth.peerIfindex });
    expect(peer.peer).toMatchObject({ name: veth.host, ifindex: veth.hostIfindex, foundBy: 'IFLA_LINK' });
    expect(peer.peer.attachments).toEqual([expect.objectContaining({ hook: 'tcx/ingress', progId: p.id, progName: 'cil_from_container' })]);
    const net = cli('net');
    expect(net.stdout).toMatch(new RegExp(`${veth.host}\\s+${veth.hostIfindex}\\s+tcx/ingress\\s+${p.id}\\s+cil_from_container\\s+sched_cls`));
    const inside = JSON.parse(cli('if', '--netns', ns, '--json').stdout) as { interfaces: { name: string }[] };
    expect(inside.interfaces.map((i) => i.name).sort()).toEqual(['eth0', 'lo']);
  });
});

// `bpfscope cilium …` on a fake Cilium node: the text equals cilium.format.* of the API's records,
// --json equals the records, explain prints the report.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect, it } from 'vitest';
import { cilium } from 'bpfscope';
import { createFakeCiliumNode, createMap, pin, updateElem } from 'bpfscope/testing';
import { cleanup, cli, describeKernel, mustBpffs, owned, possibleCpus, run, tempDir } from '../helpers/kernel';

/** An agent's state directory: its agent-runtime-config.json holds `config`, or it has none. */
function stateDir(config?: object): string {
  const dir = tempDir('bpfscope-cilium-state-');
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  if (config) writeFileSync(join(dir, 'agent-runtime-config.json'), JSON.stringify(config));
  return dir;
}

describeKernel('bpfscope cilium', () => {
  it('prints the three cilium-dbg tables and explains a pod', async () => {
    const node = await createFakeCiliumNode({ version: '1.16', pods: [{ ip: '10.3.0.115' }, { ip: '10.3.0.158', faults: ['program'] }] });
    cleanup(() => node.destroy());
    const read = { bpffs: node.bpffs, version: '1.16' };
    const ipcache = cli('cilium', 'ipcache', '--bpffs', node.bpffs, '--version', '1.16');
    expect(ipcache.code).toBe(0);
    // Byte for byte, as cilium-dbg writes it: every row, the last one too, padded by the tabwriter.
    expect(ipcache.stdout).toBe(cilium.format.ipcache(await cilium.ipcache(read)));
    expect(ipcache.stdout).toMatch(/\n10\.3\.0\.179\/32 +identity=1 .*flags=<none> {3,}\n$/);
    expect(ipcache.stdout).toContain(', flags=<none>'); // 1.16's comma
    expect(cli('cilium', 'endpoints', '--bpffs', node.bpffs, '--cilium-version', '1.16').stdout).toBe(cilium.format.endpoints(await cilium.endpoints(read)));
    expect(cli('cilium', 'metrics', '--bpffs', node.bpffs, '--version', '1.16').stdout).toBe(cilium.format.metrics(await cilium.metrics(read)));
    const json = JSON.parse(cli('cilium', 'endpoints', '--bpffs', node.bpffs, '--json').stdout) as { ip: string; ifindex: number }[];
    expect(json.find((e) => e.ip === '10.3.0.115')?.ifindex).toBe(node.pods[0].lxc.ifindex);

    const explain = cli('cilium', 'explain', '10.3.0.158', '--bpffs', node.bpffs, '--version', '1.16');
    expect(explain.code).toBe(1); // an ERROR finding: the pod's traffic bypasses Cilium
    expect(explain.stdout).toMatch(/^Pod 10\.3\.0\.158 /);
    expect(explain.stdout).toMatch(/ERROR\s+no-ingress-program: no cil_from_container on lxc[0-9a-f]{12} ingress/);
    const healthy = cli('explain', '10.3.0.115', '--bpffs', node.bpffs, '--version', '1.16');
    expect(healthy.stdout).not.toContain('ERROR');
    expect(healthy.code).toBe(0);
    expect(cli('cilium', 'nope').code).toBe(2);
    expect(cli('cilium', 'explain').code).toBe(2);
  });

  it('cilium bandwidth|ipmasq|frag print cilium-dbg bpf bandwidth|ipmasq|frag list of the version', async () => {
    const node = await createFakeCiliumNode({ version: '1.18', pods: [{ ip: '10.3.0.115' }] });
    cleanup(() => node.destroy());
    const read = { bpffs: node.bpffs, version: '1.18' };
    const bandwidth = cli('cilium', 'bandwidth', '--bpffs', node.bpffs, '--version', '1.18');
    expect(bandwidth).toEqual({ code: 0, stderr: '', stdout: [
      'IDENTITY   DIRECTION   PRIO   BANDWIDTH (BitsPerSec)',
      '100        Egress      3      10M',
      '100        Ingress     0      5M',
      '',
    ].join('\n') });
    expect(bandwidth.stdout).toBe(cilium.format.bandwidth(await cilium.bandwidth(read)));
    // No cilium_ipmasq_v6 (IPv6 masquerading off): the IPv4 map's CIDRs alone.
    const ipmasq = cli('cilium', 'ipmasq', '--bpffs', node.bpffs);
    expect(ipmasq.stdout).toBe(['IP PREFIX/ADDRESS   ', ...['10.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16'].map((c) => c.padEnd(25)), ''].join('\n'));
    expect(ipmasq.stdout).toBe(cilium.format.ipmasq(await cilium.ipmasq(read)));
    // 1.18 prints the IPv4 id in host order; 1.17 (the version asked for) as Go read the be16.
    const frag = cli('cilium', 'frag', '--bpffs', node.bpffs);
    expect(frag.stdout).toBe('ID     PROTO   SOURCE ADDRESS:PORT   DEST ADDRESS:PORT\n4660   UDP     10.3.0.115:10656      203.0.113.1:13568\n');
    expect(frag.stderr).toBe(''); // both maps: nothing skipped
    expect(cli('cilium', 'frag', '--bpffs', node.bpffs, '--version', '1.17').stdout).toMatch(/^ID +PROTO .*\n13330 +UDP +10\.3\.0\.115:10656 +203\.0\.113\.1:13568\n$/);
    expect(JSON.parse(cli('cilium', 'frag', '--bpffs', node.bpffs, '--json').stdout)).toEqual([...await cilium.frag(read)]);
  });

  it('bad option values are bad usage (exit 2), before any map is read', () => {
    for (const args of [
      ['cilium', 'ipcache', '--version', 'banana'],
      ['cilium', 'ipcache', '--version', '1.13'],
      ['cilium', 'metrics', '--cilium-version', '1'],
      ['cilium', 'ipcache', '--bpffs='],
      ['cilium', 'policy', '70000'],
      ['explain', '10.0.0.256'],
      ['explain', 'fd00:::1'],
      ['cilium', 'nat', '--state-dir'],
      ['cilium', 'nat', '--time-diff'],
      ['cilium', 'ipcache', '--state-dir', '/tmp'],
      ['cilium', 'ct', '--state-dir', '/tmp'],
      ['cilium', 'explain', '10.0.0.1', '--state-dir', '/tmp'],
    ]) {
      const r = cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^bpfscope: .+\nhint: bpfscope --help lists the commands\n$/);
    }
  });

  it('cilium srv6 vrf|policy|sid print cilium-dbg bpf srv6 vrf|policy|sid: IPv4 entries, then IPv6', async () => {
    // The fake node has no SRv6: its maps are made here, pinned where Cilium pins them.
    const bpffs = await mustBpffs();
    mkdirSync(`${bpffs}/tc/globals`, { recursive: true });
    const fill = async (name: string, type: 'lpm_trie' | 'hash', packed: { keys: Buffer; values: Buffer; count: number; keySize: number; valueSize: number }) => {
      const map = owned(await createMap({ name, type, keySize: packed.keySize, valueSize: packed.valueSize, maxEntries: 16384, flags: 1 }));
      for (let i = 0; i < packed.count; i++) {
        await updateElem(map, packed.keys.subarray(i * packed.keySize, (i + 1) * packed.keySize), packed.values.subarray(i * packed.valueSize, (i + 1) * packed.valueSize));
      }
      await pin(map, `${bpffs}/tc/globals/${name}`);
    };
    const vrf4 = [{ sourceIp: '10.3.0.115', destinationCidr: '192.168.0.0/16', vrfId: 7 }];
    const vrf6 = [{ sourceIp: 'fd00:10:3::73', destinationCidr: '2001:db8:2::/64', vrfId: 12 }];
    await fill('cilium_srv6_vrf_v4', 'lpm_trie', cilium.encode.srv6Vrf(vrf4));
    await fill('cilium_srv6_vrf_v6', 'lpm_trie', cilium.encode.srv6Vrf(vrf6, { family: 6 }));
    await fill('cilium_srv6_policy_v4', 'lpm_trie', cilium.encode.srv6Policy([]));
    await fill('cilium_srv6_sid', 'hash', cilium.encode.srv6Sid([{ sid: 'fd00:0:1::ff01', vrfId: 7 }]));
    const vrf = cli('cilium', 'srv6', 'vrf', '--bpffs', bpffs);
    expect(vrf.code).toBe(0);
    expect(vrf.stdout).toBe(cilium.format.srv6Vrf([...vrf4, ...vrf6]));
    expect(JSON.parse(cli('cilium', 'srv6', 'vrf', '--bpffs', bpffs, '--json').stdout)).toEqual([...vrf4, ...vrf6]);
    expect(cli('cilium', 'srv6', 'sid', '--bpffs', bpffs).stdout).toBe(['SID              VRF ID', 'fd00:0:1::ff01   7', ''].join('\n'));
    // No IPv6 policy map (as where IPv6 is off), and an empty IPv4 one.
    // cilium-dbg writes "No entries found." to stderr, and exits 0.
    expect(cli('cilium', 'srv6', 'policy', '--bpffs', bpffs)).toEqual({ code: 0, stdout: '', stderr: 'No entries found.\n' });
    expect(cli('cilium', 'srv6', 'nope', '--bpffs', bpffs).code).toBe(2);
    // A node without the Maglev and socket-LB maps (Maglev off): the header alone, as cilium-dbg
    // skips the maps it cannot open (where egress or srv6 would exit 4).
    expect(cli('cilium', 'maglev', '--bpffs', bpffs)).toEqual({ code: 0, stderr: '', stdout: 'SVC ID   LOOKUP TABLE\n' });
    expect(cli('cilium', 'socknat', '--bpffs', bpffs)).toEqual({ code: 0, stderr: '', stdout: 'Socket Cookie   Backend -> Frontend\n' });
    // Nor the ip-masq-agent's maps, nor (1.18+) the fragment maps: cilium-dbg dumps those it opens,
    // none (and, for the fragment maps, says which it skips).
    expect(cli('cilium', 'ipmasq', '--bpffs', bpffs)).toEqual({ code: 0, stdout: '', stderr: 'No entries found.\n' });
    expect(cli('cilium', 'frag', '--bpffs', bpffs)).toEqual({ code: 0, stdout: '', stderr: "IPv4 map doesn't exist, skipping\nIPv6 map doesn't exist, skipping\nNo entries found.\n" });
    expect(cli('cilium', 'frag', '--bpffs', bpffs, '--version', '1.17').code).not.toBe(0);
  });

  it('cilium ipcache get|match and maglev get print cilium-dbg\'s point lookups of the version; nothing found exits 4', async () => {
    const node = await createFakeCiliumNode({ version: '1.17', pods: [{ ip: '10.3.0.115' }] });
    cleanup(() => node.destroy());
    const b = ['--bpffs', node.bpffs];
    const records = await cilium.ipcache({ bpffs: node.bpffs });
    // The pod's /32; an IPv4-mapped address as IPv4; the rest of IPv4 under 0.0.0.0/0 (world).
    const value = 'identity=10001 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>';
    expect(cli('cilium', 'ipcache', 'get', '10.3.0.115', ...b)).toEqual({ code: 0, stderr: '', stdout: `10.3.0.115 maps to identity ${value}\n` });
    expect(cli('cilium', 'ipcache', 'get', '10.3.0.115', ...b).stdout).toBe(cilium.format.ipcacheGet(records, '10.3.0.115'));
    expect(cli('cilium', 'ipcache', 'get', '::ffff:10.3.0.115', ...b).stdout).toBe(`::ffff:10.3.0.115 maps to identity ${value}\n`);
    expect(cli('cilium', 'ipcache', 'get', '8.8.8.8', ...b, '--version', '1.16').stdout).toBe('8.8.8.8 maps to identity identity=2 encryptkey=0 tunnelendpoint=0.0.0.0, flags=<none>\n');
    expect(JSON.parse(cli('cilium', 'ipcache', 'get', '10.3.0.115', ...b, '--json').stdout)).toMatchObject({ prefix: '10.3.0.115/32', identity: 10001 });
    // cilium-dbg prints the miss on stdout (and exits 1).
    expect(cli('cilium', 'ipcache', 'get', 'fd00::1', ...b)).toEqual({ code: 4, stderr: '', stdout: 'fd00::1 does not map to any identity\n' });
    // The node's 1.17 maps: no match command, as --version 1.17 says before any read; the version
    // nobody gave is named first.
    const noMatch = 'bpfscope: cilium-dbg bpf ipcache match does not exist in Cilium 1.17 (it came in 1.18)\nhint: bpfscope --help lists the commands\n';
    const fromNode = 'bpfscope: read as Cilium 1.17, the version the maps pinned under tc/globals tell (bpfscope cilium version says why; --version reads as another)\n';
    expect(cli('cilium', 'ipcache', 'match', '10.3.0.115/32', ...b)).toEqual({ code: 2, stdout: '', stderr: fromNode + noMatch });
    expect(cli('cilium', 'ipcache', 'match', '10.3.0.115/32', '--bpffs', '/nonexistent', '--version', '1.17')).toEqual({ code: 2, stdout: '', stderr: noMatch });
    // The service's 251-slot table, every slot backend 1; no other service.
    expect(cli('cilium', 'maglev', 'get', '1', ...b)).toEqual({ code: 0, stderr: '', stdout: `SVC ID   LOOKUP TABLE\n[1]/v4   [${Array(251).fill(1).join(' ')}]   \n` });
    expect(cli('cilium', 'maglev', 'get', '2', ...b)).toEqual({ code: 4, stdout: '', stderr: 'Error: No entry found for service 2\n' });
    expect(JSON.parse(cli('cilium', 'maglev', 'get', '1', ...b, '--json').stdout)).toEqual(await cilium.maglev({ bpffs: node.bpffs }).then((r) => r.map((m) => ({ ...m }))));
    for (const bad of [
      ['ipcache', 'get'], ['ipcache', 'get', '10.0.0.0/8'], ['ipcache', 'get', '010.0.0.1'], ['ipcache', 'get', '10.3.0.115', 'x'],
      ['ipcache', 'match', '10.3.0.115'], ['ipcache', 'match', '10.0.0.0/33'], ['ipcache', 'nope'], ['ipcache', 'list', 'x'],
      ['maglev', 'get'], ['maglev', 'get', '65536'], ['maglev', 'get', '-1'], ['maglev', 'get', '1', '2'], ['maglev', 'get', '1', '--version', '1.18'],
      ['nat', 'retries', 'x'], ['policy', '100', 'x'], ['srv6', 'vrf', 'x'],
    ]) {
      expect(cli('cilium', ...bad, ...b).code, bad.join(' ')).toBe(2);
    }
    // A word that is no number is no service id too big: the usage says what the command takes.
    expect(cli('cilium', 'maglev', 'get', 'abc', ...b).stderr).toMatch(/^bpfscope: usage: bpfscope cilium maglev get <service-id>\n/);
    expect(cli('cilium', 'maglev', 'get', '65536', ...b).stderr).toMatch(/^bpfscope: a service id is at most 65535 \(a u16\), got 65536\n/);
    expect(cli('cilium', 'maglev', 'get', '1', ...b, '--version', '1.18').stderr).toMatch(/^bpfscope: cilium-dbg bpf lb maglev get does not exist in Cilium 1\.18 \(1\.14 to 1\.17 have it\)\n/);

    await node.destroy(); // one fake node at a time: each holds cilium_host
    const v18 = await createFakeCiliumNode({ version: '1.18', pods: [{ ip: '10.3.0.115' }] });
    cleanup(() => v18.destroy());
    expect(cli('cilium', 'ipcache', 'match', '10.3.0.115/32', '--bpffs', v18.bpffs)).toEqual({
      code: 0, stderr: '', stdout: 'key 10.3.0.115/32 has value "identity=10001 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>"\n',
    });
    expect(cli('cilium', 'ipcache', 'match', '10.3.0.0/24', '--bpffs', v18.bpffs)).toEqual({ code: 4, stderr: '', stdout: '10.3.0.0/24 does not match to any ipcache entry\n' });
    // The Maglev maps cannot tell 1.18 from 1.17, the node's others can: without --version it is
    // refused as --version 1.18 refuses it, the version named first; with --version 1.17 it is made.
    expect(cli('cilium', 'maglev', 'get', '1', '--bpffs', v18.bpffs)).toMatchObject({
      code: 2, stdout: '', stderr: expect.stringMatching(/^bpfscope: read as Cilium 1\.18, the version the maps pinned under tc\/globals tell .*\nbpfscope: cilium-dbg bpf lb maglev get does not exist in Cilium 1\.18 \(1\.14 to 1\.17 have it\)\n/),
    });
    expect(cli('cilium', 'maglev', 'get', '1', '--bpffs', v18.bpffs, '--version', '1.17').code).toBe(0);

    // An empty ipcache: "No entries found." on stderr, as cilium-dbg writes it (and exits 1). With
    // no node up, a map the bpffs lacks is not found by name either.
    await v18.destroy();
    const bpffs = await mustBpffs();
    mkdirSync(`${bpffs}/tc/globals`, { recursive: true });
    const empty = cilium.encode.ipcache([]);
    await pin(owned(await createMap({ name: empty.map, type: 'lpm_trie', keySize: empty.keySize, valueSize: empty.valueSize, maxEntries: 16, flags: 1 })), `${bpffs}/tc/globals/${empty.map}`);
    for (const lookup of [['get', '10.3.0.115'], ['match', '10.3.0.115/32']]) {
      expect(cli('cilium', 'ipcache', ...lookup, '--bpffs', bpffs)).toEqual({ code: 4, stdout: '', stderr: 'No entries found.\n' });
    }
    // Neither Maglev map: no entry, as cilium-dbg skips the maps it cannot open.
    expect(cli('cilium', 'maglev', 'get', '1', '--bpffs', bpffs)).toEqual({ code: 4, stdout: '', stderr: 'Error: No entry found for service 1\n' });
  });
});

describeKernel('bpfscope demo and the other cilium maps', () => {
  it('cilium ct, nat, egress, lb, nodeid, auth, vtep and policy print the records the API reads', async () => {
    const node = await createFakeCiliumNode({ version: '1.18', pods: [{ ip: '10.3.0.115' }] });
    cleanup(() => node.destroy());
    const read = { bpffs: node.bpffs, version: '1.18' };
    const lb = JSON.parse(cli('cilium', 'lb', '--bpffs', node.bpffs, '--version', '1.18', '--json').stdout);
    expect(lb.services.length).toBe((await cilium.services(read)).length);
    expect(lb.backends.map((b: { address: string }) => b.address)).toEqual((await cilium.backends(read)).map((b) => b.address));
    // The text: cilium-dbg bpf lb list, and --revnat, of that version (the node has no IPv6 LB maps).
    const [services, backends] = [await cilium.services(read), await cilium.backends(read)];
    expect(cli('cilium', 'lb', '--bpffs', node.bpffs, '--version', '1.18').stdout).toBe(cilium.format.lb({ services, backends }, { version: '1.18' }));
    expect(cli('cilium', 'lb', '--bpffs', node.bpffs, '--version', '1.18').stdout).toMatch(/^10\.96\.0\.10:53\/UDP \(1\) +10\.3\.0\.115:53\/UDP \(1\) \(1\) +$/m);
    expect(cli('cilium', 'revnat', '--bpffs', node.bpffs).stdout).toBe('ID   BACKEND ADDRESS (REVNAT_ID) (SLOT)\n1    10.96.0.10:53   \n');
    const ct = JSON.parse(cli('cilium', 'ct', '--bpffs', node.bpffs, '--version', '1.18', '--json').stdout) as unknown[];
    expect(ct.length).toBe((await cilium.conntrack({ ...read, family: 4 })).length);
    // The fixture masquerades the pod's flow to 203.0.113.1:443 as 192.0.2.10:61000, both ways.
    const nat = await cilium.nat(read);
    expect(nat.map((r) => `${r.direction} ${r.saddr}:${r.sport}->${r.daddr}:${r.dport} to ${r.toAddress}:${r.toPort}`).sort()).toEqual([
      'in 203.0.113.1:443->192.0.2.10:61000 to 10.3.0.115:41000',
      'out 10.3.0.115:41000->203.0.113.1:443 to 192.0.2.10:61000',
    ]);
    expect(JSON.parse(cli('cilium', 'nat', '--bpffs', node.bpffs, '--json').stdout)).toHaveLength(nat.length);
    expect(await cilium.egress(read)).toEqual([{ sourceIp: '10.3.0.115', destinationCidr: '203.0.113.0/24', egressIp: '192.0.2.50', gatewayIp: '192.0.2.20' }]);
    expect(cli('cilium', 'egress', '--bpffs', node.bpffs).stdout).toBe(cilium.format.egress(await cilium.egress(read)));
    // cilium-dbg bpf nat retries list: the IPv4 histogram (the node has no IPv6 one: skipped).
    const buckets = (set: Record<number, number>) => Array.from({ length: 33 }, (_, k) => `${k}:\t${set[k] ?? 0}\n`).join('');
    expect(cli('cilium', 'nat', 'retries', '--bpffs', node.bpffs)).toEqual({ code: 0, stderr: '', stdout: buckets({ 0: 200, 1: 7, 32: 2 }) });
    expect(cli('cilium', 'nat', 'retries', '--bpffs', node.bpffs).stdout).toBe(cilium.format.natRetries(await cilium.natRetries(read)));
    // Neither map (none before 1.18; an empty directory as the bpffs): nothing on stdout, as cilium-dbg, which only says on stderr that it skips each.
    expect(cli('cilium', 'nat', 'retries', '--bpffs', stateDir(), '--version', '1.17')).toEqual({ code: 0, stderr: '', stdout: '' });
    expect(cli('cilium', 'nat', 'later', '--bpffs', node.bpffs).code).toBe(2);
    // cilium-dbg bpf config list: the fake node's boot time as UTimeOffset, no heartbeat yet.
    const btime = BigInt(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1]);
    expect(cli('cilium', 'config', '--bpffs', node.bpffs)).toEqual({ code: 0, stderr: '', stdout: `KEY             VALUE\nAgentLiveness   0\nUTimeOffset     ${btime * 1_953_125n}\n` });
    expect(JSON.parse(cli('cilium', 'config', '--bpffs', node.bpffs, '--json').stdout)).toEqual([
      { index: 0, name: 'UTimeOffset', value: String(btime * 1_953_125n) }, { index: 1, name: 'AgentLiveness', value: '0' },
    ]);
    // nodeid, auth and vtep: cilium-dbg bpf nodeid|auth|vtep list of that version.
    expect(cli('cilium', 'nodeid', '--bpffs', node.bpffs).stdout).toBe(cilium.format.nodeIds(await cilium.nodeIds(read)));
    expect(cli('cilium', 'nodeid', '--bpffs', node.bpffs).stdout).toMatch(/^NODE ID   IP ADDRESSES   SPI\n(0x1 +(192\.0\.2\.20|2001:db8::20) +3\n){2}$/);
    expect(cli('cilium', 'nodeid', '--bpffs', node.bpffs, '--version', '1.15').code).toBe(4); // a 1.18 node has no cilium_node_map
    expect(cli('cilium', 'auth', '--bpffs', node.bpffs).stdout).toBe(cilium.format.auth(await cilium.auth(read)));
    expect(cli('cilium', 'auth', '--bpffs', node.bpffs).stdout).toMatch(/ spire +2030-01-01 00:00:00\.2 \+0000 UTC\n/);
    expect(JSON.parse(cli('cilium', 'auth', '--bpffs', node.bpffs, '--json').stdout)).toEqual([{ localIdentity: 10001, remoteIdentity: 20001, remoteNodeId: 1, authType: 1, expiration: '3698156250390625' }]);
    expect(cli('cilium', 'vtep', '--bpffs', node.bpffs).stdout).toBe('IP PREFIX/ADDRESS   VTEP\n198.51.100.0        vtepmac=00:50:56:AA:BB:01 tunnelendpoint=192.0.2.30   \n');
    // cilium-dbg bpf lb maglev list: the service's 251-slot table, every slot the one pod's backend 1.
    const maglev = cli('cilium', 'maglev', '--bpffs', node.bpffs);
    expect(maglev.code).toBe(0);
    expect(maglev.stdout).toBe(cilium.format.maglev(await cilium.maglev(read)));
    expect(maglev.stdout).toBe(`SVC ID   LOOKUP TABLE\n[1]/v4   [${Array(251).fill(1).join(' ')}]   \n`);
    // cilium-dbg bpf socknat list: port 53 and rev-NAT index 1 as a little-endian host reads their network-order bytes.
    expect(cli('cilium', 'socknat', '--bpffs', node.bpffs)).toEqual({
      code: 0, stderr: '', stdout: 'Socket Cookie   Backend -> Frontend\n4097            10.3.0.115:13568 -> 10.96.0.10:13568 (revnat=256)   \n',
    });
    expect(JSON.parse(cli('cilium', 'socknat', '--bpffs', node.bpffs, '--json').stdout)).toEqual([
      { cookie: '4097', backendAddress: '10.3.0.115', backendPort: 53, frontendAddress: '10.96.0.10', frontendPort: 53, revNatIndex: 1 },
    ]);
    // 1.17's cilium-dbg had no socknat command; the records are there in JSON.
    const old = cli('cilium', 'socknat', '--bpffs', node.bpffs, '--version', '1.17');
    expect([old.code, old.stderr]).toEqual([1, expect.stringContaining('no bpf socknat list before 1.18')]);
    expect(cli('cilium', 'socknat', '--bpffs', node.bpffs, '--version', '1.17', '--json').code).toBe(0);
    const endpointId = node.pods[0].endpointId;
    const policy = cli('cilium', 'policy', String(endpointId), '--bpffs', node.bpffs, '--version', '1.18');
    expect(policy.code).toBe(0);
    expect(policy.stdout).toBe(cilium.format.policy(await cilium.policy(endpointId, read)));
    expect(cli('cilium', 'policy', '--bpffs', node.bpffs).code).toBe(2);
  });

  it('cilium ct prints what cilium-dbg bpf ct list global of that version prints: rx and tx counters on 1.14/1.15, one pair after', async () => {
    const node = await createFakeCiliumNode({ version: '1.15', pods: [{ ip: '10.3.0.115' }, { ip: '10.3.0.158' }] });
    cleanup(() => node.destroy());
    const flow = { daddr: '10.3.0.158', saddr: '10.3.0.115', dport: 443, sport: 50000, protocol: 6, lifetime: 100, rxPackets: 5n, rxBytes: 700n, txPackets: 6n, txBytes: 800n };
    const packed = cilium.encode.conntrack([flow], { version: '1.15' });
    await updateElem(node.maps.cilium_ct4_global, packed.keys, packed.values);
    const ct = cli('cilium', 'ct', '--bpffs', node.bpffs, '--version', '1.15');
    expect(ct.code).toBe(0);
    // The four maps the node has, each its entries and an empty line: the other three are empty.
    const read = { bpffs: node.bpffs, version: '1.15' };
    const records = [...await cilium.conntrack({ ...read, family: 4 }), ...await cilium.conntrack({ ...read, family: 6 })];
    expect(ct.stdout).toBe(cilium.format.conntrack(records, { version: '1.15', families: [4, 6] }));
    expect(ct.stdout.endsWith(' \n\n\n\n\n')).toBe(true);
    expect(ct.stdout.split('\n')).toContain('TCP OUT 10.3.0.158:50000 -> 10.3.0.115:443 expires=100 RxPackets=5 RxBytes=700 RxFlagsSeen=0x00 LastRxReport=0 ' +
      'TxPackets=6 TxBytes=800 TxFlagsSeen=0x00 LastTxReport=0 Flags=0x0000 [ ] RevNAT=0 SourceSecurityID=0 IfIndex=0 ');
    // --time-diff: the seconds left, by the runtime config's clock; none there fails, as cilium-dbg's does.
    const ktime = stateDir({ ClockSource: 0 });
    const before = await cilium.clock({ mode: 'ktime' });
    const timed = cli('cilium', 'ct', '--bpffs', node.bpffs, '--version', '1.15', '--time-diff', '--state-dir', ktime);
    const after = await cilium.clock({ mode: 'ktime' });
    expect(timed.code).toBe(0);
    expect([before, after].map((clock) => cilium.format.conntrack(records, { version: '1.15', families: [4, 6], clock }))).toContain(timed.stdout);
    // Negative (expired) once the machine has been up for more than the 100 s stamped.
    expect(timed.stdout).toMatch(/^TCP OUT 10\.3\.0\.158:50000 -> 10\.3\.0\.115:443 expires=100 \(remaining: -?\d+ sec\(s\)\) RxPackets=5 /m);
    const none = stateDir();
    expect(cli('cilium', 'ct', '--bpffs', node.bpffs, '--time-diff', '--state-dir', none)).toEqual({
      code: 1, stdout: '', stderr: `bpfscope: --time-diff needs Cilium's clock source: open ${none}/agent-runtime-config.json: no such file or directory (ENOENT)\n`,
    });
    // The same flow read as 1.18 keeps one pair, and no ifindex.
    expect(cli('cilium', 'ct', '--bpffs', node.bpffs, '--version', '1.18').stdout).toMatch(/^TCP OUT 10\.3\.0\.158:50000 -> 10\.3\.0\.115:443 expires=100 Packets=\d+ Bytes=\d+ .* BackendID=\d+ $/m);
  });

  it('cilium nat prints cilium-dbg bpf nat list: IPv4 then IPv6, Created= against the clock the runtime config names, else raw', async () => {
    const node = await createFakeCiliumNode({ version: '1.19', pods: [{ ip: '10.3.0.115' }] });
    cleanup(() => node.destroy());
    // The node has the IPv4 map; an IPv6 one is pinned beside it, a flow masqueraded both ways.
    const packed = cilium.encode.nat([
      { saddr: 'fd00:10:3::73', sport: 5353, daddr: '2001:db8::1', dport: 53, protocol: 17, direction: 'out', toAddress: 'fd00::a', toPort: 30000, created: 900n },
      { saddr: '2001:db8::1', sport: 53, daddr: 'fd00::a', dport: 30000, protocol: 17, direction: 'in', toAddress: 'fd00:10:3::73', toPort: 5353, created: 900n },
    ], { family: 6 });
    const map6 = owned(await createMap({ name: 'cilium_snat_v6_external', type: 'lru_hash', keySize: packed.keySize, valueSize: packed.valueSize, maxEntries: 16 }));
    for (let i = 0; i < packed.count; i++) {
      await updateElem(map6, packed.keys.subarray(i * packed.keySize, (i + 1) * packed.keySize), packed.values.subarray(i * packed.valueSize, (i + 1) * packed.valueSize));
    }
    await pin(map6, `${node.bpffs}/tc/globals/cilium_snat_v6_external`);
    const read = { bpffs: node.bpffs, version: '1.19' };
    const records = [...await cilium.nat({ ...read, family: 4 }), ...await cilium.nat({ ...read, family: 6 })];
    const text = (clock?: Awaited<ReturnType<typeof cilium.clock>>) => cilium.format.nat(records, { version: '1.19', families: [4, 6], clock });
    const nat = (dir: string) => cli('cilium', 'nat', '--bpffs', node.bpffs, '--version', '1.19', '--state-dir', dir);

    // No runtime config: the stamps raw, and why on stderr (cilium-dbg exits there).
    const none = stateDir();
    const raw = nat(none);
    expect(raw).toEqual({ code: 0, stdout: text(), stderr: `bpfscope: Created= is printed raw: no clock source (open ${none}/agent-runtime-config.json: no such file or directory (ENOENT))\n` });
    // Each map's entries in the kernel's order, then an empty line.
    expect(raw.stdout.split('\n\n').map((block) => block.split('\n').sort())).toEqual([
      [
        'TCP IN 203.0.113.1:443 -> 192.0.2.10:61000 XLATE_DST 10.3.0.115:41000 Created=? (raw 1000) NeedsCT=0',
        'TCP OUT 10.3.0.115:41000 -> 203.0.113.1:443 XLATE_SRC 192.0.2.10:61000 Created=? (raw 1000) NeedsCT=1',
      ],
      [
        'UDP IN [2001:db8::1]:53 -> [fd00::a]:30000 XLATE_DST [fd00:10:3::73]:5353 Created=? (raw 900) NeedsCT=0',
        'UDP OUT [fd00:10:3::73]:5353 -> [2001:db8::1]:53 XLATE_SRC [fd00::a]:30000 Created=? (raw 900) NeedsCT=0',
      ],
      [''],
    ]);
    // ktime and jiffies: the CLI reads its clock between two of ours, a second or a tick apart at most.
    for (const [config, source] of [[{ ClockSource: 0 }, { mode: 'ktime' }], [{ ClockSource: 1, KernelHz: 250 }, { mode: 'jiffies', hertz: 250 }]] as const) {
      const dir = stateDir(config);
      const before = await cilium.clock(source);
      const printed = nat(dir);
      const after = await cilium.clock(source);
      expect(printed.stderr).toBe('');
      expect([text(before), text(after)]).toContain(printed.stdout);
      // A stamp past the clock (a machine up for less than the 1000 s stamped) prints negative, as Go's duration does.
      expect(printed.stdout).toMatch(/^TCP OUT .* Created=-?\d+sec ago NeedsCT=1$/m);
    }
    // An IPv6-only node has no IPv4 map: the IPv6 one's block alone, as cilium-dbg skips a map it cannot open.
    unlinkSync(`${node.bpffs}/tc/globals/cilium_snat_v4_external`);
    node.maps.cilium_snat_v4_external.close(); // nor by name: the map is gone
    const v6only = records.filter((r) => r.family === 'ipv6');
    expect(nat(none)).toMatchObject({ code: 0, stdout: cilium.format.nat(v6only, { version: '1.19', families: [6] }) });
  });

  it('cilium policy prints cilium-dbg bpf policy get -n of that version: ANY, a protocol, a port, a port range; counters from cilium_policystats on 1.18+', async () => {
    for (const version of ['1.17', '1.18', '1.19']) {
      const node = await createFakeCiliumNode({ version, pods: [{ ip: '10.3.0.115' }, { ip: '10.3.0.158' }] });
      cleanup(() => node.destroy());
      const [pod, other] = node.pods;
      const packed = cilium.encode.policy([
        { identity: 2, direction: 'ingress', protocol: 6, port: 8080, portPrefixLength: 12 },
        { identity: 6, direction: 'ingress', protocol: 17 },
        { identity: 7, direction: 'egress', protocol: 6, port: 443, deny: true },
        { identity: 8, direction: 'ingress', protocol: 132, port: 256, portPrefixLength: 8, proxyPort: 15001, authType: 1 },
      ], { version });
      const map = node.maps[cilium.names.policyMaps(pod.endpointId)[0]];
      for (let i = 0; i < packed.count; i++) {
        await updateElem(map, packed.keys.subarray(i * packed.keySize, (i + 1) * packed.keySize), packed.values.subarray(i * packed.valueSize, (i + 1) * packed.valueSize));
      }
      const read = { bpffs: node.bpffs, version };
      const records = await cilium.policy(pod.endpointId, read);
      const policy = cli('cilium', 'policy', String(pod.endpointId), '--bpffs', node.bpffs, '--version', version);
      expect(policy.code).toBe(0);
      expect(policy.stdout).toBe(cilium.format.policy(records));
      const rows = policy.stdout.trimEnd().split('\n').map((line) => line.split(/ {3,}/));
      expect(rows[0].slice(0, 9)).toEqual(['POLICY', 'DIRECTION', 'IDENTITY', 'PORT/PROTO', 'PROXY PORT', 'AUTH TYPE', 'BYTES', 'PACKETS', 'PREFIX']);
      // Sorted as cilium-dbg sorts: deny first, ingress before egress, then by identity.
      expect(rows.slice(1).map((r) => `${r[0]} ${r[1]} ${r[2]} ${r[3]}`)).toEqual([
        'Deny Egress 7 443/TCP', 'Allow Ingress 2 8080-8095/TCP', 'Allow Ingress 6 UDP', 'Allow Ingress 8 256-511/SCTP',
        `Allow Ingress ${other.identity} 80/TCP`, 'Allow Egress 0 ANY',
      ]);
      expect(rows.find((r) => r[2] === '8')?.slice(4, 6)).toEqual(['15001', 'spire']);
      // The fixture's any-egress entry counted 4 packets of 296 bytes: in the entry up to 1.17, in
      // cilium_policystats after, which has no row for the others (cilium-dbg prints -).
      expect(records.find((r) => r.identity === 0)).toMatchObject({ packets: 4n, bytes: 296n });
      const counters = (identity: string) => rows.find((r) => r[2] === identity)?.slice(6, 8);
      expect(counters('0')).toEqual(['296', '4']);
      expect(counters('6')).toEqual(version >= '1.18' ? ['-', '-'] : ['0', '0']);
      expect(records.find((r) => r.identity === 6)?.packets).toBe(version >= '1.18' ? undefined : 0n);
      await node.destroy(); // one node at a time: the next takes the same cilium_host
    }
  });

  it('cilium lb prints bpf lb list, whose keys tell services apart by protocol from 1.17', async () => {
    const node = await createFakeCiliumNode({ version: '1.17', pods: [{ ip: '10.3.0.115' }] });
    cleanup(() => node.destroy());
    // The fixture's DNS service is UDP; the same address and port over TCP, as 1.17+ keeps it beside.
    const tcp = cilium.encode.services([
      { address: '10.96.0.10', port: 53, backendSlot: 0, protocol: 6, count: 1, revNatIndex: 1 },
      { address: '10.96.0.10', port: 53, backendSlot: 1, protocol: 6, backendId: 1, revNatIndex: 1 },
    ], { version: '1.17' });
    for (let i = 0; i < tcp.count; i++) {
      await updateElem(node.maps.cilium_lb4_services_v2, tcp.keys.subarray(i * tcp.keySize, (i + 1) * tcp.keySize), tcp.values.subarray(i * tcp.valueSize, (i + 1) * tcp.valueSize));
    }
    const services = await cilium.services({ bpffs: node.bpffs, version: '1.17' });
    const lb = cli('cilium', 'lb', '--bpffs', node.bpffs, '--version', '1.17');
    expect(lb.code).toBe(0);
    // cilium-dbg bpf lb list: one row per service entry, its key naming the protocol (1.17+) and the slot.
    const [header, ...rows] = lb.stdout.trimEnd().split('\n').map((line) => line.trim().split(/ {3,}/));
    expect(header).toEqual(['SERVICE ADDRESS', 'BACKEND ADDRESS (REVNAT_ID) (SLOT)']);
    expect(rows.map((r) => r[0]).sort()).toEqual(services.map((s) => `10.96.0.10:53/${s.protocol === 6 ? 'TCP' : 'UDP'} (${s.backendSlot})`).sort());
    // Backends name their protocol as services do: the TCP slot's backend is the fixture's (UDP) backend 1.
    expect(rows.find((r) => r[0] === '10.96.0.10:53/TCP (1)')?.[1]).toBe('10.3.0.115:53/UDP (1) (1)');
    expect(rows.find((r) => r[0] === '10.96.0.10:53/TCP (0)')?.[1]).toBe('0.0.0.0:0 (1) (0) [ClusterIP, non-routable]');
    // Before 1.17 the key has no protocol: both services' entries share their keys.
    const v116 = cli('cilium', 'lb', '--bpffs', node.bpffs, '--version', '1.16').stdout.trimEnd().split('\n');
    expect(v116.filter((line) => line.startsWith('10.96.0.10:53 (0) '))).toHaveLength(1);
    expect(v116.filter((line) => line.includes('0.0.0.0:0 (1) (0)'))).toHaveLength(2);
  });

  it('demo runs the walkthrough, reports the broken node, and leaves nothing behind', () => {
    const before = run('ip', ['netns', 'list']);
    const demo = cli('demo');
    expect(demo.code).toBe(0);
    expect(demo.stdout).toContain('IP PREFIX/ADDRESS   IDENTITY');
    expect(demo.stdout).toMatch(/tcx\/ingress\s+cil_from_container/);
    expect(demo.stdout).toContain("that is the host veth's MAC: Cilium's ARP responder answered");
    for (const code of ['no-ingress-program', 'ipcache-missing', 'endpoint-ifindex-mismatch']) expect(demo.stdout).toContain(`ERROR   ${code}:`);
    expect(demo.stdout.trimEnd().endsWith('Everything the demo made has been removed.')).toBe(true);
    expect(run('ip', ['netns', 'list'])).toBe(before);
  });

  it('demo interrupted (SIGINT) while its node is up: removes the node, then exits 130', async () => {
    const demo = spawn(process.execPath, ['dist/cjs/cli/main.js', 'demo'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
    cleanup(() => demo.kill('SIGKILL'));
    // The node's first two lines name its client's namespace and its bpffs.
    const intro = await new Promise<string>((resolve) => {
      const seen: string[] = [];
      createInterface({ input: demo.stdout! }).on('line', (l) => {
        seen.push(l);
        if (/maps pinned in /.test(l)) resolve(seen.join('\n'));
      });
    });
    const netns = /netns (\S+),/.exec(intro)![1];
    const bpffs = /maps pinned in (\S+)\.$/m.exec(intro)![1];
    expect(run('ip', ['netns', 'list'])).toContain(netns);
    demo.kill('SIGINT');
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => demo.once('exit', (c, s) => resolve([c, s])));
    expect({ code, signal }).toEqual({ code: 130, signal: null });
    expect(run('ip', ['netns', 'list'])).not.toContain(netns);
    expect(run('ip', ['-o', 'link', 'show']).split('\n').some((l) => / cilium_host[@:]/.test(l))).toBe(false);
    expect(run('findmnt', ['-n', '-o', 'TARGET', '-t', 'bpf']).split('\n')).not.toContain(bpffs);
  });

  it('cilium drops prints, tick by tick, the drops counted since the tick before', async () => {
    const node = await createFakeCiliumNode({ version: '1.18', pods: [{ ip: '10.3.0.115' }] });
    cleanup(() => node.destroy());
    const child = spawn(process.execPath, ['dist/cjs/cli/main.js', 'cilium', 'drops', '--bpffs', node.bpffs, '--version', '1.18', '--interval', '400', '--count', '3', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanup(() => child.kill('SIGKILL'));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    const ticks: { tick: number; drops: { reason: number; reasonName: string; packets: string; bytes: string }[] }[] = [];
    const cpus = possibleCpus();
    for await (const line of createInterface({ input: child.stdout! })) {
      ticks.push(JSON.parse(line));
      if (ticks.length === 1) {
        // After the first tick, 40 more policy drops on CPU 0 (the fixture counted 12 before).
        const grown = cilium.encode.metrics([{ reason: 133, direction: 'EGRESS', line: 1363, fileId: 2, perCpu: [{ packets: 52n, bytes: 888n + 4000n }, ...Array.from({ length: cpus - 1 }, () => ({ packets: 0n, bytes: 0n }))] }], { version: '1.18', cpus });
        await updateElem(node.maps.cilium_metrics, grown.keys, grown.values);
      }
    }
    expect(await exited).toBe(0);
    expect(ticks.map((t) => t.tick)).toEqual([1, 2, 3]);
    expect(ticks[0].drops).toEqual([]);
    const seen = ticks.slice(1).flatMap((t) => t.drops);
    expect(seen).toEqual([expect.objectContaining({ reason: 133, reasonName: 'Policy denied', packets: '40', bytes: '4000' })]);
  });

  it('cilium drops ends on Ctrl-C (SIGINT) at once, with no tick after it', async () => {
    const node = await createFakeCiliumNode({ version: '1.18', pods: [{ ip: '10.3.0.115' }] });
    cleanup(() => node.destroy());
    const child = spawn(process.execPath, ['dist/cjs/cli/main.js', 'cilium', 'drops', '--bpffs', node.bpffs, '--version', '1.18', '--interval', '1500', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanup(() => child.kill('SIGKILL'));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    const lines: string[] = [];
    let interrupted = 0;
    for await (const line of createInterface({ input: child.stdout! })) {
      lines.push(line);
      // Right after the first tick, while the command waits out the interval before the second.
      if (lines.length === 1) {
        child.kill('SIGINT');
        interrupted = Date.now();
      }
    }
    expect(await exited).toBe(0);
    // Before, the wait ran its full 1.5 s, then a poll printed tick 2.
    expect(lines.map((l) => (JSON.parse(l) as { tick: number }).tick)).toEqual([1]);
    expect(Date.now() - interrupted).toBeLessThan(1000);
  });
});

describeKernel('bpfscope cilium multicast', () => {
  it('cilium multicast group|subscriber [group|all] print cilium-dbg bpf multicast group list and subscriber list (1.16+)', async () => {
    const node = await createFakeCiliumNode({ version: '1.16', pods: [{ ip: '10.3.0.115' }] });
    cleanup(() => node.destroy());
    const read = { bpffs: node.bpffs, version: '1.16' };
    const records = await cilium.multicast(read);
    const group = cli('cilium', 'multicast', 'group', '--bpffs', node.bpffs);
    expect(group).toEqual({ code: 0, stderr: '', stdout: 'Group Address\n229.0.0.1\n' });
    expect(group.stdout).toBe(cilium.format.multicastGroups(records));
    const table = 'Group           Subscriber      Type            \n229.0.0.1       10.3.0.115      Local Endpoint  \n                192.0.2.20      Remote Node     \n';
    // `all`, the default, and the one group: the same text on this node.
    for (const words of [[], ['all'], ['229.0.0.1']]) {
      expect(cli('cilium', 'multicast', 'subscriber', ...words, '--bpffs', node.bpffs, '--version', '1.16')).toEqual({ code: 0, stderr: '', stdout: table });
    }
    expect(table).toBe(cilium.format.multicastSubscribers(records));
    const json = JSON.parse(cli('cilium', 'multicast', 'subscriber', '229.0.0.1', '--bpffs', node.bpffs, '--json').stdout) as unknown[];
    expect(json).toEqual(JSON.parse(JSON.stringify([...records])));
    // group --json exits 0, as nat, revnat and lb --json do (each returned write()'s true as its exit code).
    for (const words of [['multicast', 'group'], ['nat'], ['revnat'], ['lb']]) {
      const r = cli('cilium', ...words, '--bpffs', node.bpffs, '--json');
      expect([words, r.code, r.stderr]).toEqual([words, 0, '']);
      JSON.parse(r.stdout);
    }
    // A group the node lacks: not found; no multicast address: bad usage, in cilium-dbg's words.
    const missing = cli('cilium', 'multicast', 'subscriber', '229.0.0.2', '--bpffs', node.bpffs);
    expect([missing.code, missing.stdout, missing.stderr]).toEqual([4, '', expect.stringContaining('multicast group 229.0.0.2 does not exist')]);
    const unicast = cli('cilium', 'multicast', 'subscriber', '10.3.0.115', '--bpffs', node.bpffs);
    expect([unicast.code, unicast.stderr]).toEqual([2, expect.stringContaining('invalid group address: invalid multicast IP: 10.3.0.115')]);
    for (const words of [[], ['nope'], ['group', 'all'], ['subscriber', 'all', 'more']]) expect(cli('cilium', 'multicast', ...words, '--bpffs', node.bpffs).code).toBe(2);
    // Three words after cilium are multicast's alone: nat retries takes none after it.
    expect(cli('cilium', 'nat', 'retries', 'all', '--bpffs', node.bpffs).code).toBe(2);
    // No multicast before 1.16: not found, as where the map is missing (cilium-dbg: "multicast not enabled").
    const old = cli('cilium', 'multicast', 'group', '--bpffs', node.bpffs, '--version', '1.15');
    expect([old.code, old.stdout, old.stderr]).toEqual([4, '', expect.stringContaining('Cilium 1.15 has no such map (it came with 1.16)')]);
  });
});

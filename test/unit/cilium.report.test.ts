// The text of an explainPod report: the walkthrough's order, every fact on its line, findings last.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { cilium, type Finding, type PodReport } from 'bpfscope';

const require = createRequire(import.meta.url);
const { judge } = require('../../dist/cjs/cilium/report.js') as { judge(r: Omit<PodReport, 'findings'>): Finding[] };

const report: PodReport = {
  version: '1.18',
  bpffs: '/sys/fs/bpf',
  pod: {
    pids: [4242],
    netns: { inode: 4026532301, path: '/proc/4242/ns/net' },
    interface: { name: 'eth0', ifindex: 2, mac: '0a:1b:2c:3d:4e:5f', mtu: 1500 },
    ip: '10.3.0.115',
    addresses: ['10.3.0.115/32'],
    routes: [{ dst: 'default', gateway: '10.3.0.179', dev: 'eth0', scope: 'global' }, { dst: '10.3.0.179', dev: 'eth0', scope: 'link' }],
    gateway: '10.3.0.179',
  },
  gateway: {
    ip: '10.3.0.179',
    neighbor: { mac: '3a:e7:76:b3:40:73', state: 'PERMANENT' },
    isHostVethMac: true,
    hostDevice: { name: 'cilium_host', ifindex: 5, mac: 'ea:66:3a:6e:0c:b2' },
  },
  hostVeth: {
    name: 'lxcb56ea4219379', ifindex: 17, mac: '3a:e7:76:b3:40:73',
    attachments: [{ hook: 'tcx/ingress', progId: 301, progName: 'cil_from_container', linkId: 44 }],
  },
  socketLb: { cgroup: '/sys/fs/cgroup/kubepods.slice/pod1', programs: [{ attachType: 'cgroup_inet4_connect', progId: 305, progName: 'cil_sock4_connect' }] },
  ipcache: {
    prefix: '10.3.0.115/32', address: '10.3.0.115', prefixLength: 32, family: 'ipv4', clusterId: 0, identity: 12345,
    tunnelEndpoint: '0.0.0.0', encryptKey: 0, flags: [], rawFlags: 0,
  },
  endpoint: {
    ip: '10.3.0.115', family: 'ipv4', key: '10.3.0.115:0', clusterId: 0, endpointId: 1234, ifindex: 17, flags: [], rawFlags: 0,
    isHost: false, mac: '0a:1b:2c:3d:4e:5f', nodeMac: '3a:e7:76:b3:40:73', identity: 12345, parentIfindex: 0,
  },
  pinnedLinks: [{ path: '/sys/fs/bpf/cilium/endpoints/1234/links/cil_from_container', linkId: 44, progId: 301, ifindex: 17, attachType: 'tcx_ingress' }],
  egressPolicies: [{ sourceIp: '10.3.0.115', destinationCidr: '203.0.113.0/24', egressIp: '192.0.2.50', gatewayIp: '192.0.2.20' }],
  drops: [{
    reason: 133, reasonName: 'Policy denied', isDrop: true, direction: 'EGRESS', packets: 12n, bytes: 888n,
    perCpu: [{ packets: 12n, bytes: 888n }], line: 1363, fileId: 2, file: 'bpf_lxc.c',
  }],
  agentLiveness: { monotonicNs: 5_000_000_000n, ageMs: 812.4 },
  findings: [{ severity: 'info', code: 'drops', message: 'the node dropped 12 packets: Policy denied' }],
  errors: [],
};

describe('cilium.format.pod', () => {
  it('prints the walkthrough in order', () => {
    expect(cilium.format.pod(report)).toBe([
      'Pod 10.3.0.115  (Cilium 1.18 layouts, bpffs /sys/fs/bpf)',
      '',
      '1. Pod',
      '  pids 4242; netns 4026532301 (/proc/4242/ns/net)',
      '  eth0: ifindex 2, mac 0a:1b:2c:3d:4e:5f, mtu 1500',
      '  addresses 10.3.0.115/32',
      '  route default via 10.3.0.179 dev eth0 scope global',
      '  route 10.3.0.179 dev eth0 scope link',
      '  default gateway 10.3.0.179',
      '',
      '2. Gateway',
      '  neighbour 10.3.0.179 → 3a:e7:76:b3:40:73 (PERMANENT)',
      "  that is the host veth's MAC: Cilium's ARP responder answered",
      '  10.3.0.179 is held by cilium_host (ifindex 5, mac ea:66:3a:6e:0c:b2)',
      '',
      '3. Host veth and programs',
      '  lxcb56ea4219379: ifindex 17, mac 3a:e7:76:b3:40:73',
      '  tcx/ingress  cil_from_container (prog 301, link 44)',
      '  socket LB for cgroup /sys/fs/cgroup/kubepods.slice/pod1: cil_sock4_connect (prog 305, cgroup_inet4_connect)',
      '',
      '4. Cilium maps',
      '  ipcache 10.3.0.115/32: identity 12345, tunnel 0.0.0.0, encrypt key 0, flags <none>',
      '  endpoint 10.3.0.115:0: id 1234, identity 12345, ifindex 17, mac 0A:1B:2C:3D:4E:5F, nodemac 3A:E7:76:B3:40:73',
      '  pinned /sys/fs/bpf/cilium/endpoints/1234/links/cil_from_container: link 44, prog 301, ifindex 17',
      '  egress gateway 10.3.0.115 → 203.0.113.0/24: gateway 192.0.2.20, egress IP 192.0.2.50',
      '',
      '5. Drops',
      '  Policy denied EGRESS: 12 packets, 888 bytes (bpf_lxc.c:1363)',
      '',
      'Agent',
      '  last heartbeat 0.8 s ago (AgentLiveness 5000000000)',
      '',
      'Findings',
      '  INFO    drops: the node dropped 12 packets: Policy denied',
      '',
    ].join('\n'));
  });

  it('says what is missing', () => {
    const text = cilium.format.pod({ ...report, hostVeth: undefined, ipcache: null, endpoint: null, gateway: undefined, drops: [], pinnedLinks: [], findings: [] });
    expect(text).toContain('\n2. Gateway\n  -\n');
    expect(text).toContain('\n3. Host veth and programs\n  no peer found\n  socket LB for cgroup /sys/fs/cgroup/kubepods.slice/pod1: cil_sock4_connect (prog 305, cgroup_inet4_connect)\n');
    expect(cilium.format.pod({ ...report, socketLb: { cgroup: '/sys/fs/cgroup', programs: [] } })).toContain('  socket LB for cgroup /sys/fs/cgroup: none\n');
    expect(text).toContain('  ipcache: no entry\n  endpoint: no entry\n  egress gateway');
    expect(cilium.format.pod({ ...report, egressPolicies: [] })).toContain('  egress gateway: no policy for the pod\n');
    expect(cilium.format.pod({ ...report, egressPolicies: undefined })).not.toContain('egress gateway');
    expect(text).not.toContain('SRv6');
    expect(cilium.format.pod({ ...report, srv6: { vrfs: [], policies: [] } })).toContain('  SRv6: no VRF for the pod\n');
    expect(cilium.format.pod({ ...report, srv6: {
      vrfs: [{ sourceIp: '10.3.0.115', destinationCidr: '192.168.0.0/16', vrfId: 7 }, { sourceIp: '10.3.0.115', destinationCidr: '0.0.0.0/0', vrfId: 9 }],
      policies: [{ vrfId: 7, destinationCidr: '192.168.1.0/24', sid: 'fd00:0:1::ff01' }, { vrfId: 7, destinationCidr: '192.168.2.0/24', sid: 'fd00:0:2::ff01' }],
    } })).toContain([
      '  SRv6 VRF 7 for 10.3.0.115 → 192.168.0.0/16: 192.168.1.0/24 via SID fd00:0:1::ff01, 192.168.2.0/24 via SID fd00:0:2::ff01',
      '  SRv6 VRF 9 for 10.3.0.115 → 0.0.0.0/0: no policy, not encapsulated',
      '',
    ].join('\n'));
    expect(text).toContain('\n5. Drops\n  none\n');
    expect(text).toContain('\nFindings\n  none: every link of the chain holds\n');
  });

  it('tells maps that could not be read from maps without an entry', () => {
    const unread = cilium.format.pod({ ...report, version: undefined, ipcache: undefined, endpoint: undefined, drops: undefined, egressPolicies: undefined, pinnedLinks: [] });
    expect(unread).toMatch(/^Pod 10\.3\.0\.115  \(no Cilium map read, bpffs \/sys\/fs\/bpf\)\n/);
    expect(unread).toContain('\n4. Cilium maps\n  ipcache: not read\n  endpoint: not read\n\n5. Drops\n  not read\n');
    const noIp = cilium.format.pod({ ...report, pod: { ...report.pod, ip: undefined }, ipcache: undefined, endpoint: undefined });
    expect(noIp).toContain('\n4. Cilium maps\n  ipcache: - (no pod IP)\n  endpoint: - (no pod IP)\n');
    expect(unread.endsWith('\nAgent\n  last heartbeat 0.8 s ago (AgentLiveness 5000000000)\n\nFindings\n  INFO    drops: the node dropped 12 packets: Policy denied\n')).toBe(true);
    expect(cilium.format.pod({ ...report, agentLiveness: undefined })).toContain('\nAgent\n  not read\n');
    expect(cilium.format.pod({ ...report, agentLiveness: null })).toContain('\nAgent\n  no heartbeat written (AgentLiveness 0)\n');
  });
});

describe('the findings of a report', () => {
  /** The codes judge() gives the healthy report above with `change` applied. */
  const codes = (change: (r: PodReport) => void): string[] => {
    const r = structuredClone(report);
    change(r);
    return judge(r).map((f) => f.code);
  };
  const other = '02:00:00:00:00:01';

  it('finds nothing but the drops when every link of the chain holds', () => {
    expect(codes(() => {})).toEqual(['drops']);
    expect(codes((r) => (r.drops![0].packets = 0n))).toEqual([]); // counters at 0 are no drops
    expect(codes((r) => (r.hostVeth!.attachments = [{ hook: 'tc/ingress', progId: 9, progName: 'cil_from_container' }]))).toEqual(['drops']);
    // A netkit pair (1.16+): cil_from_container in the primary device's peer slot.
    expect(codes((r) => (r.hostVeth!.attachments = [{ hook: 'netkit/peer', progId: 9, progName: 'cil_from_container', linkId: 45 }]))).toEqual(['drops']);
    // A program whose full name could not be read from BTF goes by the kernel's 15 characters, as
    // bpftool shows it (cilium-maps.md §7.1: `cil_from_contai`).
    expect(codes((r) => (r.hostVeth!.attachments[0].progName = 'cil_from_contai'))).toEqual(['drops']);
  });

  it('names each broken link once, in the walkthrough order', () => {
    const cases: [string, (r: PodReport) => void, string[]][] = [
      ['a failed step', (r) => r.errors.push({ step: 'endpoint', message: 'no cilium_lxc' }), ['step-failed', 'drops']],
      ['no eth0, so no route either', (r) => { delete r.pod.interface; delete r.pod.gateway; }, ['no-pod-interface', 'drops']],
      ['no IP', (r) => delete r.pod.ip, ['no-pod-ip', 'drops']],
      ['no default route', (r) => delete r.pod.gateway, ['no-default-gateway', 'drops']],
      ['no host device for the gateway', (r) => delete r.gateway!.hostDevice, ['gateway-not-on-host', 'drops']],
      ['no neighbour entry', (r) => delete r.gateway!.neighbor, ['gateway-neighbor-missing', 'drops']],
      ['a gateway MAC that is not the veth', (r) => (r.gateway!.isHostVethMac = false), ['gateway-mac-not-host-veth', 'drops']],
      ['no peer', (r) => delete r.hostVeth, ['no-peer', 'drops']],
      ['another ingress program', (r) => (r.hostVeth!.attachments[0].progName = 'other_prog'), ['no-ingress-program', 'drops']],
      ['a name shorter than the kernel keeps, cil_from_container cut short', (r) => (r.hostVeth!.attachments[0].progName = 'cil_from_conta'), ['no-ingress-program', 'drops']],
      ['cil_from_container in the netkit primary slot (to the pod)', (r) => (r.hostVeth!.attachments = [{ hook: 'netkit/primary', progId: 9, progName: 'cil_from_container' }]), ['no-ingress-program', 'drops']],
      ['no socket LB program for the cgroup', (r) => (r.socketLb!.programs = []), ['no-socket-lb', 'drops']],
      ['no process to ask about socket LB', (r) => delete r.socketLb, ['drops']],
      ['no ipcache entry', (r) => (r.ipcache = null), ['ipcache-missing', 'drops']],
      ['the ipcache not read', (r) => delete r.ipcache, ['drops']],
      ['only a covering prefix', (r) => Object.assign(r.ipcache!, { prefix: '10.3.0.0/16', prefixLength: 16, identity: 2 }), ['ipcache-missing', 'drops']],
      ['no endpoint', (r) => (r.endpoint = null), ['endpoint-missing', 'drops']],
      ['cilium_lxc not read', (r) => delete r.endpoint, ['drops']],
      ['no map read but the pod', (r) => Object.assign(r, { version: undefined, ipcache: undefined, endpoint: undefined, drops: undefined, pinnedLinks: [], egressPolicies: undefined }), []],
      ['the endpoint on another ifindex', (r) => (r.endpoint!.ifindex = 99), ['endpoint-ifindex-mismatch', 'drops']],
      ['another endpoint MAC', (r) => (r.endpoint!.mac = other), ['endpoint-mac-mismatch', 'drops']],
      ['another node MAC', (r) => (r.endpoint!.nodeMac = other), ['endpoint-node-mac-mismatch', 'drops']],
      ['identities that differ', (r) => (r.endpoint!.identity = 4), ['identity-mismatch', 'drops']],
      ['no pinned links (1.16+)', (r) => (r.pinnedLinks = []), ['links-not-pinned', 'drops']],
      ['no pinned links before 1.16', (r) => Object.assign(r, { pinnedLinks: [], version: '1.15' }), ['drops']],
      // cilium-maps.md §7.2: netkit links are pinned the same way as tcx links.
      ['no pinned links for a netkit pair', (r) => Object.assign(r, { pinnedLinks: [], hostVeth: { ...r.hostVeth!, attachments: [{ hook: 'netkit/peer', progId: 9, progName: 'cil_from_container', linkId: 45 }] } }), ['links-not-pinned', 'drops']],
      ['legacy tc: nothing to pin', (r) => Object.assign(r, { pinnedLinks: [], hostVeth: { ...r.hostVeth!, attachments: [{ hook: 'tc/ingress', progId: 9, progName: 'cil_from_container' }] } }), ['drops']],
      ['a pinned link on another device', (r) => (r.pinnedLinks[0].ifindex = 99), ['pinned-link-wrong-device', 'drops']],
      ['a pinned link without a device', (r) => delete r.pinnedLinks[0].ifindex, ['drops']],
      ['an egress policy no gateway serves', (r) => (r.egressPolicies![0].gatewayIp = '0.0.0.0'), ['egress-no-gateway', 'drops']],
      ['an egress gateway without an egress IP (1.16+)', (r) => (r.egressPolicies![0].egressIp = '0.0.0.0'), ['egress-no-ip', 'drops']],
      ['an IPv6 policy whose gateway has no egress IP (::)', (r) => Object.assign(r.egressPolicies![0], { sourceIp: 'fd00:10:3::73', destinationCidr: '::/0', egressIp: '::' }), ['egress-no-ip', 'drops']],
      ['the same before 1.16', (r) => Object.assign(r, { version: '1.15' }).egressPolicies![0].egressIp = '0.0.0.0', ['drops']],
      ['an excluded CIDR', (r) => Object.assign(r.egressPolicies![0], { gatewayIp: '0.0.0.1', egressIp: '0.0.0.0' }), ['drops']],
      ['no agent heartbeat ever written', (r) => (r.agentLiveness = null), ['drops', 'agent-liveness-unset']],
      ['the runtime config not read', (r) => delete r.agentLiveness, ['drops']],
      ['a heartbeat as old as the L2 lease: still trusted', (r) => (r.agentLiveness!.ageMs = 15_000), ['drops']],
      ['a heartbeat older than that', (r) => (r.agentLiveness!.ageMs = 15_001), ['drops', 'agent-not-alive']],
    ];
    for (const [what, change, expected] of cases) expect(codes(change), what).toEqual(expected);
  });

  it('says what it found in the message', () => {
    const r = structuredClone(report);
    r.hostVeth!.attachments[0].progName = 'other_prog';
    Object.assign(r.ipcache!, { prefix: '10.3.0.0/16', prefixLength: 16, identity: 2, identityName: 'world' });
    r.agentLiveness!.ageMs = 42_049;
    expect(judge(r).map((f) => [f.severity, f.message])).toEqual([
      ['error', 'no cil_from_container on lxcb56ea4219379 ingress (tcx, tc or netkit peer): packets from the pod bypass Cilium (attached: other_prog)'],
      ['error', 'no ipcache entry for 10.3.0.115; it falls under 10.3.0.0/16 (identity 2 world)'],
      ['info', 'the node dropped 12 packets: Policy denied'],
      ['warning', "the agent's last heartbeat (AgentLiveness, written every second while it runs) is 42.0 s old: it is down or stuck, and its maps are not being updated (with L2 announcements on, the datapath has stopped answering ARP for service IPs)"],
    ]);
  });
});

describe('cilium.explainPod input', () => {
  it('rejects a bad target or options before touching the kernel', async () => {
    await expect(cilium.explainPod({} as never)).rejects.toThrow(TypeError);
    await expect(cilium.explainPod({ pid: 1, ip: '10.0.0.1' } as never)).rejects.toThrow(/exactly one of/);
    await expect(cilium.explainPod({ pid: -3 })).rejects.toThrow(RangeError);
    await expect(cilium.explainPod({ containerId: '' })).rejects.toThrow(TypeError);
    for (const ip of ['10.0.0.256', 'fd00:::1', 'pod-a', '', 7]) await expect(cilium.explainPod({ ip } as never), String(ip)).rejects.toThrow(TypeError);
    await expect(cilium.explainPod({ ip: '10.0.0.1' }, { bpfs: '/x' } as never)).rejects.toThrow(/unknown option 'bpfs'/);
    await expect(cilium.explainPod({ ip: '10.0.0.1' }, { version: '1.2' })).rejects.toThrow(RangeError);
  });
});

describe('cilium.explainPod options', () => {
  it('are checked as the readers check theirs, before any step runs: a bad bpffs or ifname rejects the call', async () => {
    const pod = { pid: process.pid };
    // Each was a report whose every step failed (bpffs) or that looked for no such interface.
    await expect(cilium.explainPod(pod, { bpffs: 5 } as never)).rejects.toThrow(new TypeError('explainPod options: bpffs must be a non-empty path'));
    await expect(cilium.explainPod(pod, { bpffs: '' })).rejects.toThrow(TypeError);
    await expect(cilium.explainPod(pod, { ifname: 'a/b' })).rejects.toThrow(/^explainPod options: ifname must be an interface name/);
    await expect(cilium.explainPod(pod, { ifname: 5 } as never)).rejects.toThrow(TypeError);
    await expect(cilium.explainPod(pod, { version: '0.9' })).rejects.toThrow(RangeError);
    await expect(cilium.explainPod(pod, { bpfs: '/x' } as never)).rejects.toThrow("explainPod options: unknown option 'bpfs'");
  });
});

describe('cilium.policy endpointId', () => {
  it('a wrong type is a TypeError, a number out of range a RangeError, before any map is looked for', async () => {
    await expect(cilium.policy('7' as never)).rejects.toThrow(new TypeError('endpointId must be a number, got string 7'));
    await expect(cilium.policy(undefined as never)).rejects.toThrow(TypeError);
    await expect(cilium.policy(65536)).rejects.toThrow(new RangeError('endpointId must be an integer in 0..65535, got 65536'));
    await expect(cilium.policy(1.5)).rejects.toThrow(RangeError);
  });
});

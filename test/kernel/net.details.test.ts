// Per-kind device details (InterfaceInfo.kindInfo / slaveInfo) against `ip -j -d link`'s
// linkinfo.info_data / info_slave_data, field by field, on devices made in a test namespace.
import { expect, it } from 'vitest';
import { listInterfaces, type InterfaceInfo, type MacvlanInfo } from 'bpfscope';
import { describeKernel, ipJson, mustNetns, run } from '../helpers/kernel';

type Json = Record<string, unknown>;
type IpLink = { ifname: string; ifindex: number; linkinfo?: { info_kind?: string; info_data?: Json; info_slave_data?: Json } };

// ip's remote6/local6/group6 are our remote/local/group, whichever the family.
const camel = (key: string) => key.replace(/^(remote|local|group)6$/, '$1').replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
// glibc's ether_ntoa, which ip prints bridge ids with, leaves out leading zeros ("8000.e:12:…").
const padBridgeId = (id: string) => id.replace(/(?<=[.:])([0-9a-f])(?=:|$)/g, '0$1');

/**
 * Every field ip prints equals ours (ip's hex strings and names for ifindexes converted; timers,
 * which run between the two reads, are expectTimersAsIp's); every field of ours ip leaves out is
 * in `quiet` with the value ours has (ip prints those only when set, or iproute2 6.1 predates them).
 */
function expectSameAsIp(ours: object | undefined, ip: Json | undefined, quiet: Json, names: Map<number, string>): void {
  expect(ours).toBeDefined();
  expect(ip).toBeDefined();
  const o = ours as Json;
  for (const [key, theirs] of Object.entries(ip!)) {
    if (key === 'group_fwd_mask_str') continue; // ip's second spelling of group_fwd_mask
    const mine = o[camel(key)];
    const what = `${camel(key)} (ip: ${key} ${JSON.stringify(theirs)})`;
    if (key === 'link' || key === 'backup_port') expect(names.get(mine as number), what).toBe(theirs);
    else if (key.endsWith('_id') && typeof theirs === 'string') expect(mine, what).toBe(padBridgeId(theirs));
    else if (key.endsWith('_timer')) expect(typeof mine, what).toBe('bigint');
    else if (typeof mine === 'bigint') expect(Number(mine), what).toBe(theirs);
    else if (typeof mine === 'number' && typeof theirs === 'string') expect(mine, what).toBe(Number(theirs)); // "0x8001"
    else expect(mine, what).toEqual(theirs);
  }
  const printed = new Set(Object.keys(ip!).map(camel));
  for (const [key, mine] of Object.entries(o)) {
    if (key === 'kind' || printed.has(key)) continue;
    expect(quiet, `${key} = ${String(mine)}: ip did not print it`).toHaveProperty([key], mine);
  }
}

// What ip 6.1 prints only when set: zeros, off switches.
const VXLAN_QUIET = {
  external: false, proxy: false, rsc: false, l2miss: false, l3miss: false, ttlInherit: false, tos: 0, label: 0, limit: 0,
  remcsumTx: false, remcsumRx: false, remcsumNoPartial: false, gbp: false, gpe: false,
};
const MACVLAN_QUIET = { nopromisc: false, nodst: false, macaddrCount: 0 };
// Also what iproute2 6.1 does not know (MST, eht hosts, MAB, group counts, FDB limits).
const BRIDGE_QUIET = { mstEnabled: 0, fdbNLearned: 0, fdbMaxLearned: 0 };
const BRIDGE_PORT_QUIET = { mab: false, mcastEhtHostsLimit: 512, mcastEhtHostsCnt: 0, mcastNGroups: 0, mcastMaxGroups: 0 };

describeKernel('device details', () => {
  function inNs(ns: string, ...commands: string[][]): void {
    for (const args of commands) run('ip', ['-n', ns, ...args]);
  }

  /**
   * The running timers (centiseconds) as ip prints them (seconds), read right after ip's: they
   * count down and restart, so a pair of reads that straddles a restart is read again.
   */
  async function expectTimersAsIp(ns: string, name: string, slave: boolean): Promise<void> {
    const timers = (info: Json) => Object.keys(info).filter((k) => k.endsWith('_timer'));
    let worst = '';
    for (let attempt = 0; attempt < 5; attempt++) {
      const linkinfo = ipJson<IpLink[]>(['-d', 'link', 'show', name], ns)[0].linkinfo!;
      const ip = (slave ? linkinfo.info_slave_data : linkinfo.info_data)!;
      const device = (await listInterfaces({ netns: { name: ns } })).find((i) => i.name === name)!;
      const ours = (slave ? device.slaveInfo : device.kindInfo) as unknown as Json;
      expect(timers(ip).length).toBeGreaterThan(0);
      const off = timers(ip).filter((k) => Math.abs(Number(ours[camel(k)]) / 100 - (ip[k] as number)) > 0.2);
      if (off.length === 0) return;
      worst = off.map((k) => `${k}: ours ${String(ours[camel(k)])} cs, ip ${String(ip[k])} s`).join(', ');
    }
    expect.fail(`timers of ${name} differ from ip's: ${worst}`);
  }

  async function both(ns: string): Promise<{ ours: Map<string, InterfaceInfo>; ip: Map<string, IpLink>; names: Map<number, string> }> {
    const list = await listInterfaces({ netns: { name: ns } });
    const ip = ipJson<IpLink[]>(['-d', 'link', 'show'], ns);
    return {
      ours: new Map(list.map((i) => [i.name, i])),
      ip: new Map(ip.map((l) => [l.ifname, l])),
      names: new Map(ip.map((l) => [l.ifindex, l.ifname])),
    };
  }

  it("reads a vxlan made like Cilium's (external, dstport 8472) and unicast, multicast and IPv6 ones as `ip -j -d link` prints them", async () => {
    const ns = mustNetns();
    inNs(ns,
      ['link', 'add', 'u0', 'type', 'veth', 'peer', 'name', 'u1'],
      ['link', 'add', 'cilium_vxlan', 'type', 'vxlan', 'external', 'dstport', '8472'],
      ['link', 'add', 'vx1', 'type', 'vxlan', 'id', '7', 'local', '10.1.1.1', 'remote', '10.1.1.2', 'dev', 'u0', 'dstport', '4789',
        'ttl', '64', 'tos', '0x10', 'ageing', '120', 'srcport', '1000', '2000', 'noudpcsum', 'l2miss', 'maxaddress', '5'],
      ['link', 'add', 'vx2', 'type', 'vxlan', 'id', '16777215', 'group', '239.1.1.1', 'dev', 'u0', 'dstport', '0', 'nolearning', 'gbp'],
      ['link', 'add', 'vx3', 'type', 'vxlan', 'id', '9', 'local', 'fd00::1', 'remote', 'fd00::2', 'dstport', '4789', 'df', 'set', 'ttl', 'inherit'],
    );
    const { ours, ip, names } = await both(ns);
    for (const name of ['cilium_vxlan', 'vx1', 'vx2', 'vx3']) {
      expect(ours.get(name)!.kindInfo?.kind).toBe('vxlan');
      // With ttl inherit ip 6.1 prints no ttl at all.
      const quiet = name === 'vx3' ? { ...VXLAN_QUIET, ttl: 0, ttlInherit: true } : VXLAN_QUIET;
      expectSameAsIp(ours.get(name)!.kindInfo, ip.get(name)!.linkinfo?.info_data, quiet, names);
    }
    const cilium = ours.get('cilium_vxlan')!.kindInfo;
    expect(cilium).toMatchObject({ kind: 'vxlan', external: true, id: 0, port: 8472, learning: false });
    expect(cilium).not.toHaveProperty('remote');
    expect(ours.get('vx1')!.kindInfo).toMatchObject({
      id: 7, local: '10.1.1.1', remote: '10.1.1.2', link: ours.get('u0')!.ifindex, port: 4789, ttl: 64, tos: 0x10, ageing: 120,
      portRange: { low: 1000, high: 2000 }, udpCsum: false, l2miss: true, limit: 5,
    });
    expect(ours.get('vx2')!.kindInfo).toMatchObject({ id: 16777215, group: '239.1.1.1', learning: false, gbp: true });
    expect(ours.get('vx2')!.kindInfo).not.toHaveProperty('remote');
    expect(ours.get('vx3')!.kindInfo).toMatchObject({ local: 'fd00::1', remote: 'fd00::2', df: 'set', ttlInherit: true });
    // A veth sends no info data.
    expect(ours.get('u0')!.kindInfo).toBeUndefined();
    expect(ip.get('u0')!.linkinfo?.info_data).toBeUndefined();
  });

  it('reads macvlan and macvtap modes as `ip -j -d link` prints them', async () => {
    const ns = mustNetns();
    inNs(ns,
      ['link', 'add', 'u0', 'type', 'veth', 'peer', 'name', 'u1'],
      ['link', 'add', 'mv0', 'link', 'u0', 'type', 'macvlan', 'mode', 'bridge'],
      ['link', 'add', 'mv1', 'link', 'u0', 'type', 'macvlan', 'mode', 'private', 'bcqueuelen', '2000'],
      ['link', 'add', 'mvt0', 'link', 'u1', 'type', 'macvtap', 'mode', 'vepa'],
      // passthru takes its lower device over: one of its own.
      ['link', 'add', 'w0', 'type', 'veth', 'peer', 'name', 'w1'],
      ['link', 'add', 'mvp', 'link', 'w0', 'type', 'macvlan', 'mode', 'passthru', 'nopromisc'],
      // Source mode takes frames by their source address: a list the kernel keeps in a hash.
      ['link', 'add', 'mvs', 'link', 'u1', 'type', 'macvlan', 'mode', 'source', 'nodst', 'macaddr', 'add', '02:00:00:00:00:01'],
      ['link', 'set', 'mvs', 'type', 'macvlan', 'macaddr', 'add', '02:00:00:00:00:22'],
      ['link', 'set', 'mvs', 'type', 'macvlan', 'macaddr', 'add', '0a:00:00:00:03:00'],
    );
    const { ours, ip, names } = await both(ns);
    for (const name of ['mv0', 'mv1', 'mvt0', 'mvp', 'mvs']) expectSameAsIp(ours.get(name)!.kindInfo, ip.get(name)!.linkinfo?.info_data, MACVLAN_QUIET, names);
    expect(ours.get('mv0')!.kindInfo).toMatchObject({ kind: 'macvlan', mode: 'bridge' });
    expect(ours.get('mv1')!.kindInfo).toMatchObject({ kind: 'macvlan', mode: 'private', bcqueuelen: 2000, usedbcqueuelen: 2000 });
    expect(ours.get('mvt0')!.kindInfo).toMatchObject({ kind: 'macvtap', mode: 'vepa' });
    expect(ours.get('mvp')!.kindInfo).toMatchObject({ kind: 'macvlan', mode: 'passthru', nopromisc: true, nodst: false });
    const source = ours.get('mvs')!.kindInfo as MacvlanInfo;
    expect(source).toMatchObject({ kind: 'macvlan', mode: 'source', nodst: true, macaddrCount: 3 });
    expect([...source.macaddrData!].sort()).toEqual(['02:00:00:00:00:01', '02:00:00:00:00:22', '0a:00:00:00:03:00']);
    expect(ours.get('mv0')!.kindInfo).not.toHaveProperty('macaddrData');
  });

  it('reads a bridge and its port (STP state, cost, hairpin) as `ip -j -d link` prints info_data and info_slave_data', async () => {
    const ns = mustNetns();
    inNs(ns,
      ['link', 'add', 'br0', 'type', 'bridge', 'stp_state', '1', 'priority', '4096', 'forward_delay', '400', 'ageing_time', '12000'],
      ['link', 'add', 'u0', 'type', 'veth', 'peer', 'name', 'u1'],
      ['link', 'set', 'u0', 'master', 'br0'],
      ['link', 'set', 'u0', 'type', 'bridge_slave', 'cost', '7', 'priority', '5', 'hairpin', 'on', 'learning', 'off'],
      ['link', 'set', 'br0', 'up'], ['link', 'set', 'u0', 'up'], ['link', 'set', 'u1', 'up'],
    );
    const { ours, ip, names } = await both(ns);
    const bridge = ours.get('br0')!;
    expectSameAsIp(bridge.kindInfo, ip.get('br0')!.linkinfo?.info_data, BRIDGE_QUIET, names);
    expect(bridge.kindInfo).toMatchObject({ kind: 'bridge', stpState: 1, priority: 4096, forwardDelay: 400, ageingTime: 12000 });
    expect(bridge.kindInfo).toHaveProperty('bridgeId', `1000.${bridge.mac}`);
    expect(bridge.slaveInfo).toBeUndefined();
    const port = ours.get('u0')!;
    expect(port.slaveKind).toBe('bridge');
    expect(port.kindInfo).toBeUndefined(); // a veth: no info data of its own
    expectSameAsIp(port.slaveInfo, ip.get('u0')!.linkinfo?.info_slave_data, BRIDGE_PORT_QUIET, names);
    expect(port.slaveInfo).toMatchObject({ kind: 'bridge', cost: 7, priority: 5, hairpin: true, learning: false });
    expect(['listening', 'learning', 'forwarding']).toContain((port.slaveInfo as { state: string }).state);
    expect(typeof (port.slaveInfo as { holdTimer: unknown }).holdTimer).toBe('bigint');
    expect(ours.get('u1')!.slaveInfo).toBeUndefined();
    await expectTimersAsIp(ns, 'br0', false);
    await expectTimersAsIp(ns, 'u0', true);
  });
});

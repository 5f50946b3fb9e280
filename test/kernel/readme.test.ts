// The README's walkthrough, run against a fake Cilium node: every call it shows works and says
// what the README says it says.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { cilium, findPeer, listAttachments, listNeighbors, listRoutes } from 'bpfscope';
import { createFakeCiliumNode, updateElem } from 'bpfscope/testing';
import { cleanup, describeKernel } from '../helpers/kernel';

describeKernel('README walkthrough', () => {
  it('runs step by step on a fake node', async () => {
    const node = await createFakeCiliumNode({ version: '1.18', pods: [{ ip: '10.3.0.115' }, { ip: '10.3.0.158' }] });
    cleanup(() => node.destroy());
    const client = node.pods[0];
    const pod = { path: client.netns.path };
    const { local, peer } = await findPeer({ netns: pod, ifname: 'eth0' });
    expect(local.name).toBe('eth0');
    expect(peer!.name).toBe(client.lxc.name);
    const gateway = (await listRoutes({ netns: pod })).find((r) => r.dst === 'default')?.gateway;
    expect(gateway).toBe(node.gateway);
    const arp = (await listNeighbors({ netns: pod })).find((n) => n.ip === gateway);
    expect(arp?.lladdr).toBe(peer!.mac);
    const programs = await listAttachments({ ifname: peer!.name });
    expect(programs.map((p) => [p.hook, p.progName])).toContainEqual(['tcx/ingress', 'cil_from_container']);
    const opts = { bpffs: node.bpffs };
    const identity = await cilium.ipcacheLookup(client.ip, opts);
    expect(identity?.identity).toBe(client.identity);
    const endpoint = (await cilium.endpoints(opts)).find((e) => e.ip === client.ip);
    expect(endpoint?.ifindex).toBe(peer!.ifindex);
    const report = await cilium.explainPod({ ip: client.ip }, opts);
    expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(cilium.format.pod(report)).toContain('cil_from_container');
  });

  it('polls drop counters as the README shows', async () => {
    const node = await createFakeCiliumNode({ version: '1.18', pods: [{ ip: '10.3.0.115' }] });
    cleanup(() => node.destroy());
    using drops = await cilium.poller('metrics', { bpffs: node.bpffs });
    expect(drops.poll().added.filter((m) => m.isDrop).map((m) => m.reasonName)).toEqual(['Policy denied']);
    // 30 more policy drops, counted on the first CPU, before the second of three ticks.
    const [before] = (await cilium.metrics({ bpffs: node.bpffs })).filter((m) => m.reason === 133);
    const perCpu = before.perCpu.map((c, i) => (i === 0 ? { packets: c.packets + 30n, bytes: c.bytes + 3000n } : c));
    const grown = cilium.encode.metrics([{ ...before, perCpu }], { version: '1.18', cpus: perCpu.length });
    // The README's loop, bounded: ticks that wait, then poll the handle `using` still holds.
    const lines: string[] = [];
    for (let tick = 0; tick < 3; tick++) {
      await sleep(50);
      if (tick === 1) await updateElem(node.maps.cilium_metrics, grown.keys, grown.values);
      for (const { old, new: now } of (await drops.pollAsync()).changed) {
        if (now.isDrop) lines.push(`${now.reasonName} ${now.direction}: +${now.packets - old.packets} packets`);
      }
    }
    expect(lines).toEqual(['Policy denied EGRESS: +30 packets']);
  });
});

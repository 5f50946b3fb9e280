// 1,000 concurrent async calls over several namespaces (by name and by pid) mixed with host-side
// calls: every answer equals the one a sequential run gives, and afterwards every thread of the
// process (main, libuv's pool, V8's) is still in the caller's namespace.
import { readdirSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findPeer, listAttachments, listInterfaces, type Attachment, type FindPeerResult, type InterfaceInfo, type NetnsRef } from 'bpfscope';
import { describeKernel, openFdCount } from '../helpers/kernel';
import { buildWorld, type World } from '../helpers/networld';

const interfaces = (list: InterfaceInfo[], only?: Set<string>) =>
  list.filter((l) => !only || only.has(l.name)).map((l) => [l.name, l.ifindex, l.kind ?? '', l.mtu, l.mac ?? ''].join('/')).sort();
const attachments = (list: Attachment[]) =>
  list.map((a) => [a.hook, 'ifindex' in a ? a.ifindex : '', a.progId, a.progName ?? ''].join('/')).sort();
const peer = (r: FindPeerResult) => ({
  local: [r.local.name, r.local.ifindex],
  peer: r.peer && [r.peer.name, r.peer.ifindex, r.peer.netns.inode, r.peer.foundBy, attachments(r.peer.attachments)],
});

/** Every thread's network namespace. */
function threadNamespaces(): string[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      return [readlinkSync(`/proc/self/task/${tid}/ns/net`)];
    } catch {
      return []; // exited while we looked
    }
  });
}

describeKernel('concurrency', () => {
  let world: World;
  beforeAll(async () => {
    world = await buildWorld(4);
  });
  afterAll(async () => {
    await world?.teardown();
  });

  it('1,000 concurrent calls over 4 namespaces and the host give the sequential answers; no thread is left elsewhere', async () => {
    const own = readlinkSync('/proc/thread-self/ns/net');
    const ours = new Set(world.pods.map((p) => p.host));
    // One call per (kind, pod, reference): pod-side calls by name or by pid, host-side by device.
    const calls: { key: string; run: () => Promise<unknown> }[] = [];
    world.pods.forEach((p, n) => {
      for (const [ref, netns] of [['name', { name: p.netns }], ['pid', { pid: p.pid }]] as [string, NetnsRef][]) {
        calls.push({ key: `ifs:${n}:${ref}`, run: async () => interfaces(await listInterfaces({ netns })) });
        calls.push({ key: `att:${n}:${ref}`, run: async () => attachments(await listAttachments({ netns })) });
        calls.push({ key: `peer:${n}:${ref}`, run: async () => peer(await findPeer({ netns })) });
      }
      calls.push({ key: `hostatt:${n}`, run: async () => attachments(await listAttachments({ ifname: p.host })) });
      calls.push({ key: `hostpeer:${n}`, run: async () => peer(await findPeer({ ifname: p.host })) });
    });
    calls.push({ key: 'hostifs', run: async () => interfaces(await listInterfaces(), ours) });

    const expected = new Map<string, unknown>();
    for (const c of calls) expected.set(c.key, await c.run());
    // The sequential answers are worth comparing with: pods have their veth and programs.
    expect(expected.get('ifs:0:name')).toEqual(expect.arrayContaining([expect.stringMatching(/^eth0\//)]));
    expect((expected.get('hostpeer:0') as ReturnType<typeof peer>).peer?.[0]).toBe('eth0');
    expect((expected.get('hostatt:0') as string[]).length).toBeGreaterThan(0);

    await listInterfaces(); // the pool's threads exist before the baseline
    const fdsBefore = openFdCount();
    const picks = Array.from({ length: 1000 }, (_, i) => calls[(i * 7) % calls.length]);
    const answers = await Promise.all(picks.map((c) => c.run()));
    let compared = 0;
    picks.forEach((c, i) => {
      expect(answers[i], c.key).toEqual(expected.get(c.key));
      compared++;
    });
    expect(compared).toBe(1000);
    expect(new Set(picks.map((c) => c.key)).size).toBe(calls.length); // every kind of call ran

    expect(readlinkSync('/proc/thread-self/ns/net')).toBe(own);
    // Namespace threads end after reporting; whatever threads remain are all at home.
    expect(new Set(threadNamespaces())).toEqual(new Set([own]));
    for (let i = 0; i < 100 && openFdCount() > fdsBefore; i++) await new Promise((r) => setTimeout(r, 10));
    expect(openFdCount()).toBe(fdsBefore);
  });
});

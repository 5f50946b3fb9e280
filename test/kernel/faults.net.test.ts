// Network faults: a namespace or a process that vanishes during calls, an interface removed
// between listing and querying it, and devices deleted while their namespace is being read.
import { spawn, spawnSync } from 'node:child_process';
import { readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { BpfError, findPeer, getEthtoolStats, listAttachments, listInterfaces, listRoutes } from 'bpfscope';
import { createNetns, createVeth } from 'bpfscope/testing';
import { cleanup, describeKernel, run, toolEnv, uniqueName } from '../helpers/kernel';

/** The outcome of a call, collected as it settles (so no rejection goes unhandled meanwhile). */
function settle<T>(p: Promise<T>): Promise<PromiseSettledResult<T>> {
  return p.then((value) => ({ status: 'fulfilled', value }), (reason: unknown) => ({ status: 'rejected', reason }));
}

/** Each settled call: a value, or a BpfError with one of the `allowed` codes (anything else fails). */
function expectOnly(results: PromiseSettledResult<unknown>[], allowed: string[]): { ok: number; failed: number } {
  let ok = 0, failed = 0;
  for (const r of results) {
    if (r.status === 'fulfilled') ok++;
    else {
      expect(r.reason).toBeInstanceOf(BpfError);
      expect(allowed).toContain((r.reason as BpfError).code);
      failed++;
    }
  }
  return { ok, failed };
}

describeKernel('network faults', () => {
  it('a namespace deleted while 60 calls into it are in flight: each call answers or fails with ENOENT; no thread is left in it', async () => {
    const own = readlinkSync('/proc/thread-self/ns/net');
    const ns = await createNetns(uniqueName('vanish'));
    cleanup(() => ns.remove());
    await createVeth({ netns: ns.ref, name: 'v0', peerName: 'v1' });
    const calls: Promise<PromiseSettledResult<unknown>>[] = [];
    for (let i = 0; i < 60; i++) {
      calls.push(settle<unknown>([listInterfaces, listRoutes, listAttachments][i % 3]({ netns: ns.ref })));
      if (i === 20) await ns.remove(); // unmounted and unlinked: later opens find nothing
    }
    const results = await Promise.all(calls);
    // ENOENT once the file is gone; EINVAL from a call that opened the file in the instant between
    // the unmount and the unlink, when it was an empty file.
    const r = expectOnly(results, ['ENOENT', 'EINVAL']);
    expect(r.ok).toBeGreaterThan(0); // calls started before the removal opened the namespace…
    expect(r.failed).toBeGreaterThan(0); // …later ones found it gone
    for (const x of results) {
      if (x.status === 'fulfilled') continue;
      const e = x.reason as BpfError;
      if (e.code === 'ENOENT') expect(e).toMatchObject({ op: 'open netns', object: `netns ${ns.path}`, detail: 'the process or namespace is gone' });
      else expect(e).toMatchObject({ op: 'setns', detail: expect.stringContaining('no namespace is mounted there') });
    }
    expect(readlinkSync('/proc/thread-self/ns/net')).toBe(own);
  });

  it('a process that exits while calls name it by pid: each call answers or fails with ENOENT', async () => {
    const ns = await createNetns(uniqueName('pidgone'));
    cleanup(() => ns.remove());
    const child = spawn('ip', ['netns', 'exec', ns.name, 'sleep', '30'], { stdio: 'ignore', env: toolEnv });
    cleanup(() => child.kill('SIGKILL'));
    // `ip netns exec` execs sleep in place once it has entered the namespace.
    for (let i = 0; i < 200; i++) {
      try {
        if (readlinkSync(`/proc/${child.pid}/ns/net`) !== readlinkSync('/proc/self/ns/net')) break;
      } catch {
        // not started yet
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const pid = child.pid!;
    const calls: Promise<PromiseSettledResult<unknown>>[] = [];
    for (let i = 0; i < 40; i++) {
      // findPeer on lo: an answer without a peer, or the pid is gone.
      calls.push(settle<unknown>(i % 2 ? listInterfaces({ netns: { pid } }) : findPeer({ netns: { pid }, ifname: 'lo' })));
      if (i === 15) {
        // The first call answers before the process goes (on a loaded machine the threads of all
        // 16 could otherwise start only after it went); the others may still be in flight.
        await calls[0];
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
      }
    }
    const r = expectOnly(await Promise.all(calls), ['ENOENT']);
    expect(r.ok).toBeGreaterThan(0);
    expect(r.failed).toBeGreaterThan(0);
  });

  it('an interface removed between listing and querying it: ENODEV from every per-device call', async () => {
    const ns = await createNetns(uniqueName('ifgone'));
    cleanup(() => ns.remove());
    const veth = await createVeth({ netns: ns.ref, name: 'gone0', peerName: 'gone1' });
    const listed = await listInterfaces({ netns: ns.ref });
    const dev = listed.find((l) => l.name === 'gone0')!;
    expect(dev).toBeDefined();
    expect((await getEthtoolStats({ netns: ns.ref, ifname: 'gone0' })).get('peer_ifindex')).toBeGreaterThan(0n);
    await veth.remove();
    await expect(getEthtoolStats({ netns: ns.ref, ifname: 'gone0' })).rejects.toMatchObject({ code: 'ENODEV', op: 'SIOCETHTOOL', object: 'interface gone0' });
    await expect(listAttachments({ netns: ns.ref, ifname: 'gone0' })).rejects.toMatchObject({ code: 'ENODEV', object: 'interface gone0' });
    await expect(listAttachments({ netns: ns.ref, ifindex: dev.ifindex })).rejects.toMatchObject({ code: 'ENODEV' });
    await expect(findPeer({ netns: ns.ref, ifname: 'gone0' })).rejects.toMatchObject({ code: 'ENODEV' });
    expect((await listInterfaces({ netns: ns.ref })).map((l) => l.name)).toEqual(['lo']);
  });

  it('veths deleted while their namespace is read: listings never fail and only shrink', async () => {
    const ns = await createNetns(uniqueName('churn'));
    cleanup(() => ns.remove());
    const names: string[] = [];
    for (let i = 0; i < 40; i++) {
      names.push(`c${i}`);
      await createVeth({ netns: ns.ref, name: `c${i}`, peerName: `d${i}` });
    }
    // ip deletes them from another process, one by one, while the listings run.
    const deleter = spawn('sh', ['-c', names.map((n) => `ip -n ${ns.name} link del ${n}`).join('; ')], { stdio: 'ignore', env: toolEnv });
    const done = new Promise((r) => deleter.once('exit', r));
    let exited = false;
    void done.then(() => (exited = true));
    let rounds = 0;
    let previous = Infinity;
    while (!exited || rounds < 2) {
      const [links, attachments] = await Promise.all([listInterfaces({ netns: ns.ref }), listAttachments({ netns: ns.ref })]);
      expect(links.length).toBeLessThanOrEqual(previous);
      previous = links.length;
      expect(Array.isArray(attachments)).toBe(true);
      rounds++;
    }
    await done;
    expect(rounds).toBeGreaterThan(2);
    expect((await listInterfaces({ netns: ns.ref })).map((l) => l.name)).toEqual(['lo']);
    expect(run('ip', ['-n', ns.name, '-o', 'link']).trim().split('\n')).toHaveLength(1);
  });

  it('a fresh boot, where /var/run/netns is no mount point yet: a name made by createNetns, then one by `ip netns add`, both delete', () => {
    // In a mount namespace of its own (private: nothing it mounts or unmounts reaches this one),
    // a child process returns /var/run/netns to a fresh boot's state and makes the two names.
    // Without the shared mount createNetns now makes first, ip bind-mounted the directory over
    // itself, hiding the first name's mount: its deletion failed with EBUSY and the namespace lived on.
    const [ours, theirs] = [uniqueName('boot'), uniqueName('boot')];
    cleanup(() => rmSync(`/var/run/netns/${ours}`, { force: true })); // only left if the deletion failed
    const script = `
      import { execFileSync } from 'node:child_process';
      import { existsSync, readFileSync } from 'node:fs';
      const [testing, ours, theirs] = process.argv.slice(1);
      const { createNetns } = await import(testing);
      const { LD_PRELOAD, ...env } = process.env;
      const ip = (...args) => execFileSync('ip', args, { env, stdio: 'ignore' });
      const mounted = () => readFileSync('/proc/self/mountinfo', 'utf8').split('\\n').filter((l) => l.split(' ')[4] === '/run/netns');
      while (mounted().length > 0) execFileSync('umount', ['-l', '/run/netns'], { env });
      const ns = await createNetns(ours);
      ip('netns', 'add', theirs);
      const error = await ns.remove().then(() => undefined, (e) => e.code);
      ip('netns', 'del', theirs);
      console.log(JSON.stringify({ error, left: [ours, theirs].filter((n) => existsSync('/var/run/netns/' + n)), shared: mounted().some((l) => / shared:/.test(l)) }));
    `;
    const testing = join(process.cwd(), 'dist/esm/testing.mjs');
    const child = spawnSync('unshare', ['--mount', '--propagation', 'private', process.execPath, '--input-type=module', '-e', script, testing, ours, theirs], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({ error: undefined, left: [], shared: true });
  });
});

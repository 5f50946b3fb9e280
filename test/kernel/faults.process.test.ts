// Faults from the process's environment, injected into a child node process: no thread to be had
// (a pids cgroup at its limit: EAGAIN) and a storm of signals during calls (EINTR).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { createNetns } from 'bpfscope/testing';
import { cgroup2Mount, cleanup, describeKernel, uniqueName } from '../helpers/kernel';
import { PREAMBLE } from '../helpers/trace';

/**
 * Where a new cgroup gets pids.max: the pids hierarchy of cgroup v1 on a hybrid host, or the cgroup
 * v2 root, whose children get the pids controller once it is in the root's subtree_control (where
 * systemd usually has put it already; if not, it is added and taken out again afterwards).
 */
function pidsRoot(): string {
  const v1 = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => {
    const [fstype, , options] = (l.split(' - ')[1] ?? '').split(' ');
    return fstype === 'cgroup' && options.split(',').includes('pids');
  });
  if (v1) return v1.split(' ')[4];
  const root = cgroup2Mount();
  const has = (file: string): boolean => readFileSync(`${root}/${file}`, 'utf8').split(/\s+/).includes('pids');
  if (!has('cgroup.controllers')) throw new Error(`no pids controller in ${root}/cgroup.controllers`);
  if (!has('cgroup.subtree_control')) {
    writeFileSync(`${root}/cgroup.subtree_control`, '+pids');
    cleanup(() => writeFileSync(`${root}/cgroup.subtree_control`, '-pids'));
  }
  return root;
}

/** Starts `script` in a child node; resolves its lines as they come and its exit. */
function child(script: string) {
  const proc = spawn(process.execPath, ['-e', PREAMBLE + script], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  const waiters: { match: RegExp; resolve: (line: string) => void }[] = [];
  let buffered = '';
  proc.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      lines.push(line);
      for (const w of waiters.splice(0)) (w.match.test(line) ? w.resolve(line) : waiters.push(w));
    }
  });
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  cleanup(() => proc.kill('SIGKILL'));
  return {
    proc,
    lines,
    stderr: () => stderr,
    exit,
    line: (match: RegExp) => new Promise<string>((resolve) => {
      const found = lines.find((l) => match.test(l));
      if (found) resolve(found);
      else waiters.push({ match, resolve });
    }),
  };
}

describeKernel('process faults', () => {
  it('no thread to be had (pids.max reached): calls into other namespaces reject with EAGAIN, the process lives on and recovers', async () => {
    const ns = await createNetns(uniqueName('pids'));
    cleanup(() => ns.remove());
    const c = child(`
      (async () => {
        await b.listInterfaces();
        await b.listInterfaces({ netns: { name: ${JSON.stringify(ns.name)} } });
        console.log('ready');
        process.stdin.once('data', async () => {
          const r = await Promise.allSettled(Array.from({ length: 30 }, () => b.listInterfaces({ netns: { name: ${JSON.stringify(ns.name)} } })));
          console.log('limited ' + JSON.stringify(r.map((x) => x.status === 'fulfilled' ? 'ok' : [x.reason.name, x.reason.code, x.reason.op])));
          process.stdin.once('data', async () => {
            const again = await b.listInterfaces({ netns: { name: ${JSON.stringify(ns.name)} } });
            console.log('recovered ' + again.map((l) => l.name).join(','));
            process.exit(0);
          });
        });
      })();
    `);
    await c.line(/^ready/);
    const root = pidsRoot();
    const cg = `${root}/${uniqueName('bpfscope')}`;
    mkdirSync(cg);
    cleanup(() => rmdirSync(cg));
    writeFileSync(`${cg}/cgroup.procs`, String(c.proc.pid));
    cleanup(() => {
      try {
        writeFileSync(`${root}/cgroup.procs`, String(c.proc.pid)); // out again, if still alive
      } catch {
        // exited: the cgroup is empty already
      }
    });
    // Not one task more than the process has now: every new thread is refused.
    writeFileSync(`${cg}/pids.max`, readFileSync(`${cg}/pids.current`, 'utf8').trim());
    c.proc.stdin.write('go\n');
    const limited = JSON.parse((await c.line(/^limited /)).slice(8)) as (string | string[])[];
    expect(limited).toHaveLength(30);
    for (const x of limited) expect(x).toEqual(['BpfError', 'EAGAIN', 'pthread_create']);
    writeFileSync(`${cg}/pids.max`, 'max');
    c.proc.stdin.write('go\n');
    expect(await c.line(/^recovered /)).toBe('recovered lo');
    expect(await c.exit).toEqual({ code: 0, signal: null });
  });

  it('a storm of signals during calls (EINTR): every call answers, the same as without signals', async () => {
    const ns = await createNetns(uniqueName('eintr'));
    cleanup(() => ns.remove());
    const c = child(`
      let signals = 0;
      process.on('SIGUSR1', () => signals++);
      (async () => {
        const obj = await t.createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4096 });
        for (let i = 0; i < 3000; i++) { const k = Buffer.alloc(4); k.writeUInt32LE(i); await t.updateElem(obj, k, Buffer.alloc(8, 1)); }
        const map = await b.openMap(obj.id);
        const prog = await t.loadProgram({ name: 'eintr' });
        const progId = prog.id;
        const quiet = { ifs: (await b.listInterfaces({ netns: { name: ${JSON.stringify(ns.name)} } })).length, maps: (await map.dump()).count };
        console.log('ready');
        const results = [];
        for (let round = 0; round < 200; round++) {
          const [ifs, dump, own, progs] = await Promise.all([
            b.listInterfaces({ netns: { name: ${JSON.stringify(ns.name)} } }),
            map.dump(),
            b.listRoutes(),
            b.listPrograms(),
          ]);
          results.push([ifs.length === quiet.ifs, dump.count === quiet.maps, own.length > 0, progs.some((p) => p.id === progId)].join());
          map.dumpSync();
        }
        console.log('done ' + JSON.stringify({ all: results.every((x) => x === 'true,true,true,true'), bad: results.filter((x) => x !== 'true,true,true,true').slice(0, 3), rounds: results.length, signals }));
        process.exit(0);
      })().catch((e) => { console.log('failed ' + e.stack); process.exit(1); });
    `);
    await c.line(/^ready/);
    let sent = 0;
    const storm = setInterval(() => {
      for (let i = 0; i < 20; i++) {
        try {
          c.proc.kill('SIGUSR1');
          sent++;
        } catch {
          // exited
        }
      }
    }, 1);
    const done = await Promise.race([c.line(/^done /), c.line(/^failed /)]);
    clearInterval(storm);
    expect(done.startsWith('done '), `${done}\n${c.stderr()}`).toBe(true);
    const r = JSON.parse(done.slice(5)) as { all: boolean; rounds: number; signals: number };
    expect(r, JSON.stringify(r)).toMatchObject({ all: true, rounds: 200 });
    expect(r.signals).toBeGreaterThan(100); // the signals did arrive while the calls ran
    expect(sent).toBeGreaterThan(100);
    expect(await c.exit).toEqual({ code: 0, signal: null });
  });
});

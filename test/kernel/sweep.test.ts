// The sweep that removes what killed test processes left: a test process killed with its objects
// on the host (a namespace, a veth, a cgroup with a process in it, a bpffs mounted on a temporary
// directory), then the sweep vitest runs before a run, which must remove them all and its journal.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { cleanup, describeKernel, JOURNAL_DIR, run, tempDir } from '../helpers/kernel';
import sweep from '../helpers/sweep';

describeKernel('sweep of an interrupted run', () => {
  it("removes what a killed test process's journal lists, kills the processes in its cgroups, and drops the journal", async () => {
    // The child journals and makes its objects with the same helpers, then hangs until it is killed.
    // vitest compiles TypeScript for its own processes only: the child gets host.ts built by esbuild.
    const root = join(__dirname, '../..');
    const build = tempDir('bpfscope-sweep-');
    cleanup(() => rmSync(build, { recursive: true }));
    const testing = join(root, 'dist/esm/testing.mjs');
    run(join(root, 'node_modules/.bin/esbuild'), [join(root, 'test/helpers/host.ts'), '--bundle', '--format=esm', '--platform=node',
      `--alias:bpfscope/testing=${testing}`, `--external:${testing}`, `--outfile=${build}/host.mjs`, '--log-level=warning']);
    const script = `
      const { uniqueName, tempDir, cgroup2Mount, run } = await import(process.argv[1]);
      const { mountBpffs } = await import(process.argv[2]);
      const ns = uniqueName('swp'); run('ip', ['netns', 'add', ns]);
      const veth = uniqueName('swv'); run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', veth + 'b']);
      const cg = tempDir('bpfscope-', cgroup2Mount());
      const dir = tempDir('bpfscope-bpffs-'); await mountBpffs(dir);
      console.log(JSON.stringify({ ns, veth, cg, dir }));
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, `${build}/host.mjs`, testing], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanup(() => child.kill('SIGKILL'));
    const made = JSON.parse(await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString())))) as { ns: string; veth: string; cg: string; dir: string };
    const sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
    cleanup(() => sleeper.kill('SIGKILL'));
    run('sh', ['-c', `echo ${sleeper.pid} > ${made.cg}/cgroup.procs`]);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const journal = readdirSync(JOURNAL_DIR).find((f) => f.startsWith(`${child.pid}-`));
    expect(journal).toBeDefined();
    expect(readFileSync(join(JOURNAL_DIR, journal!), 'utf8').split('\n').filter(Boolean).sort()).toEqual(
      [`dir ${made.cg}`, `dir ${made.dir}`, `name ${made.ns}`, `name ${made.veth}`].sort());
    expect(run('findmnt', ['-n', '-o', 'FSTYPE', made.dir]).trim()).toBe('bpf');

    await sweep();
    const sleeperGone = new Promise((resolve) => (sleeper.exitCode !== null || sleeper.signalCode !== null ? resolve(undefined) : sleeper.once('exit', resolve)));
    await sleeperGone;
    expect(sleeper.signalCode).toBe('SIGKILL');
    expect(run('ip', ['netns', 'list'])).not.toContain(made.ns);
    expect(existsSync(`/sys/class/net/${made.veth}`)).toBe(false);
    expect(existsSync(made.cg)).toBe(false);
    expect(run('findmnt', ['-n', '-o', 'TARGET', '-t', 'bpf']).split('\n')).not.toContain(made.dir);
    expect(existsSync(made.dir)).toBe(false);
    expect(existsSync(join(JOURNAL_DIR, journal!))).toBe(false);
  });
});

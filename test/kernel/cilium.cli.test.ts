// `bpfscope cilium …` on a fake Cilium node: the text equals cilium.format.* of the API's records,
// --json equals the records, explain prints the report.
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { cilium } from 'bpfscope';
import { createFakeCiliumNode } from 'bpfscope/testing';
import { cleanup, describeKernel } from '../helpers/kernel';

function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['dist/cjs/cli/main.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describeKernel('bpfscope cilium', () => {
  it('prints the three cilium-dbg tables and explains a pod', async () => {
    const node = await createFakeCiliumNode({ version: '1.16', pods: [{ ip: '10.3.0.115' }, { ip: '10.3.0.158', faults: ['program'] }] });
    cleanup(() => node.destroy());
    const read = { bpffs: node.bpffs, version: '1.16' };
    const ipcache = cli('cilium', 'ipcache', '--bpffs', node.bpffs, '--version', '1.16');
    expect(ipcache.code).toBe(0);
    expect(ipcache.stdout).toBe(cilium.format.ipcache(await cilium.ipcache(read)).trimEnd() + '\n');
    expect(ipcache.stdout).toContain(', flags=<none>'); // 1.16's comma
    expect(cli('cilium', 'endpoints', '--bpffs', node.bpffs, '--version', '1.16').stdout).toBe(cilium.format.endpoints(await cilium.endpoints(read)).trimEnd() + '\n');
    expect(cli('cilium', 'metrics', '--bpffs', node.bpffs, '--version', '1.16').stdout).toBe(cilium.format.metrics(await cilium.metrics(read)).trimEnd() + '\n');
    const json = JSON.parse(cli('cilium', 'endpoints', '--bpffs', node.bpffs, '--json').stdout) as { ip: string; ifindex: number }[];
    expect(json.find((e) => e.ip === '10.3.0.115')?.ifindex).toBe(node.pods[0].lxc.ifindex);

    const explain = cli('cilium', 'explain', '10.3.0.158', '--bpffs', node.bpffs, '--version', '1.16');
    expect(explain.code).toBe(0);
    expect(explain.stdout).toMatch(/^Pod 10\.3\.0\.158 /);
    expect(explain.stdout).toMatch(/ERROR\s+no-ingress-program: no cil_from_container on lxc[0-9a-f]{12} ingress/);
    expect(cli('cilium', 'nope').code).toBe(2);
    expect(cli('cilium', 'explain').code).toBe(2);
  });
});

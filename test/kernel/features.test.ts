// versions() and probeFeatures() against uname, the installed libbpf and the kernel release.
import { expect, it } from 'vitest';
import { probeFeatures, versions } from 'bpfscope';
import { describeKernel, run } from '../helpers/kernel';

function kernelAtLeast(release: string, min: string): boolean {
  const [a, b] = release.split('.').map((x) => parseInt(x, 10));
  const [c, d] = min.split('.').map((x) => parseInt(x, 10));
  return a > c || (a === c && b >= d);
}

describeKernel('versions and features', () => {
  it('reports the kernel release, machine and the libbpf in use', () => {
    const v = versions();
    expect(v.kernel).toBe(run('uname', ['-r']).trim());
    expect(v.machine).toBe(run('uname', ['-m']).trim());
    // The runtime libbpf is the libbpf.so.1 the addon loaded; its version is in the file name.
    const soname = run('bash', ['-c', "ldconfig -p | grep -o '/[^ ]*libbpf.so.1$' | head -n1"]).trim();
    const real = run('readlink', ['-f', soname]).trim();
    const m = /libbpf\.so\.(\d+)\.(\d+)/.exec(real);
    if (process.env.LD_LIBRARY_PATH === undefined) expect(v.libbpf.runtime).toBe(`${m![1]}.${m![2]}`);
    expect(v.libbpf.build).toMatch(/^\d+\.\d+$/);
    expect(v.vmlinuxBtf).toBe(run('bash', ['-c', 'test -e /sys/kernel/btf/vmlinux && echo yes || echo no']).trim() === 'yes');
  });

  it('probes each feature; a probe that answers agrees with the kernel release', async () => {
    const release = versions().kernel;
    const features = await probeFeatures();
    expect(features.length).toBeGreaterThan(3);
    for (const f of features) {
      if (f.supported !== undefined) expect(f.supported, f.name).toBe(kernelAtLeast(release, f.minKernel));
      // A probe that cannot tell says why, and only then.
      expect(f.unknownBecause === undefined, f.name).toBe(f.supported !== undefined);
    }
    // Every probe answers as root here: netfilter's too, which libbpf before 1.2 cannot make.
    expect(features.every((f) => f.supported !== undefined), JSON.stringify(features)).toBe(true);
    expect(features.find((f) => f.name.startsWith('netfilter'))!.supported).toBe(kernelAtLeast(release, '6.4'));
    expect(features.find((f) => f.name.startsWith('tcx'))!.supported).toBe(kernelAtLeast(release, '6.6'));
  });
});

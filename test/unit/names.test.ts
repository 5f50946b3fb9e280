import { describe, expect, it } from 'vitest';
import { ATTACH_TYPES, LINK_TYPES, MAP_TYPES, PROGRAM_TYPES } from 'bpfscope';
import { parseMountEntries, parseMounts } from '../../dist/cjs/mounts.js';

describe('enum names', () => {
  it('spell the kernel values as bpftool does', () => {
    expect(PROGRAM_TYPES[3]).toBe('sched_cls');
    expect(PROGRAM_TYPES[32]).toBe('netfilter');
    expect(MAP_TYPES[11]).toBe('lpm_trie');
    expect(MAP_TYPES[27]).toBe('ringbuf');
    expect(LINK_TYPES[11]).toBe('tcx');
    expect(LINK_TYPES[13]).toBe('netkit');
    expect(ATTACH_TYPES[46]).toBe('tcx_ingress');
    expect(ATTACH_TYPES[47]).toBe('tcx_egress');
    expect(ATTACH_TYPES[54]).toBe('netkit_primary');
    expect(ATTACH_TYPES[55]).toBe('netkit_peer');
  });
});

describe('parseMounts', () => {
  it('keeps the mounts of one type only, unescapes their paths and drops duplicates', () => {
    const text = [
      '25 30 0:22 / /sys/fs/bpf rw,nosuid,nodev,noexec,relatime shared:9 - bpf bpf rw,mode=700',
      '26 30 0:23 / /sys/fs/cgroup rw shared:10 - cgroup2 cgroup2 rw',
      '90 30 0:50 / /tmp/with\\040space rw,relatime - bpf bpf rw',
      '91 30 0:22 / /sys/fs/bpf rw,relatime - bpf bpf rw',
      '',
    ].join('\n');
    expect(parseMounts(text, 'bpf')).toEqual(['/sys/fs/bpf', '/tmp/with space']);
    expect(parseMounts(text, 'cgroup2')).toEqual(['/sys/fs/cgroup']);
    expect(parseMounts(text, 'cgroup')).toEqual([]);
  });

  it('gives each mount its root: a bind-mounted namespace shows nsfs at net:[INODE]', () => {
    const text = [
      '620 28 0:4 net:[4026532567] /run/docker/netns/1a2b3c rw - nsfs nsfs rw',
      '630 28 0:4 net:[4026532999] /run/netns/pod\\040a rw shared:5 - nsfs nsfs rw',
      '25 30 0:22 / /sys/fs/bpf rw - bpf bpf rw',
    ].join('\n');
    expect(parseMountEntries(text, 'nsfs')).toEqual([
      { root: 'net:[4026532567]', mountPoint: '/run/docker/netns/1a2b3c' },
      { root: 'net:[4026532999]', mountPoint: '/run/netns/pod a' },
    ]);
  });
});

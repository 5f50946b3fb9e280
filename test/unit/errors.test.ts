import { describe, expect, it } from 'vitest';
import { BpfError } from 'bpfscope';

describe('BpfError', () => {
  it('carries code, errno, op and object, and reads op object: text (CODE)', () => {
    const err = new BpfError({ errno: 2, code: 'ENOENT', op: 'BPF_PROG_GET_FD_BY_ID', object: 'program 7', description: 'No such file or directory' });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('BpfError');
    expect(err.code).toBe('ENOENT');
    expect(err.errno).toBe(2);
    expect(err.op).toBe('BPF_PROG_GET_FD_BY_ID');
    expect(err.object).toBe('program 7');
    expect(err.capability).toBeUndefined();
    expect(err.message).toBe('BPF_PROG_GET_FD_BY_ID program 7: No such file or directory (ENOENT)');
  });

  it('names the capability for EPERM and EACCES', () => {
    const ids = new BpfError({ errno: 1, code: 'EPERM', op: 'BPF_PROG_GET_NEXT_ID', object: 'programs after id 0' });
    expect(ids.capability).toBe('CAP_SYS_ADMIN');
    expect(ids.message).toMatch(/needs CAP_SYS_ADMIN/);
    const query = new BpfError({ errno: 13, code: 'EACCES', op: 'BPF_PROG_QUERY', object: 'tcx ingress ifindex 3' });
    expect(query.capability).toBe('CAP_NET_ADMIN');
    const pin = new BpfError({ errno: 1, code: 'EPERM', op: 'BPF_OBJ_GET', object: '/sys/fs/bpf/x' });
    expect(pin.capability).toBe('CAP_BPF');
  });

  it('puts one-line details in the message and keeps long ones in detail only', () => {
    const short = new BpfError({ errno: 18, code: 'EXDEV', op: 'statfs', object: '/tmp', detail: 'not on a bpffs mount' });
    expect(short.message).toMatch(/\(not on a bpffs mount\)$/);
    const log = 'line1\nline2';
    const long = new BpfError({ errno: 22, code: 'EINVAL', op: 'BPF_PROG_LOAD', object: 'program x', detail: log });
    expect(long.message).not.toContain('line1');
    expect(long.detail).toBe(log);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BpfError } from 'bpfscope';

const require = createRequire(import.meta.url);
const { native } = require('../../dist/cjs/native.js') as { native(): { errnoName(errno: number): string | undefined } };
const { capabilityFor, copyError } = require('../../dist/cjs/errors.js') as {
  capabilityFor(op: string, code?: string): string | undefined;
  copyError(err: unknown): unknown;
};
const NATIVE_DIR = new URL('../../native/', import.meta.url);

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

  it('names a capability for every privileged operation the addon reports', () => {
    // bpf() commands, rtnetlink changes, ioctls, and the namespace, mount and perf calls: each can
    // be refused for a missing capability. Reads (RTM_GET*) and BPF_OBJ_GET_INFO_BY_FD, which
    // needs only the fd (Linux 6.5+), are not checked.
    const ops = new Set<string>();
    for (const file of readdirSync(NATIVE_DIR).filter((f) => f.endsWith('.cc'))) {
      const text = readFileSync(new URL(file, NATIVE_DIR), 'utf8');
      for (const [, op] of text.matchAll(/"(BPF_[A-Z_]+|RTM_(?:NEW|SET|DEL)[A-Z]+|SIOC[A-Z]+|mount|umount|unshare|setns|perf_event_open)"/g)) ops.add(op);
    }
    ops.delete('BPF_OBJ_GET_INFO_BY_FD');
    expect(ops.size).toBeGreaterThan(30);
    expect([...ops].filter((op) => capabilityFor(op, 'EPERM') === undefined).sort()).toEqual([]);
  });

  it('puts one-line details in the message and keeps long ones in detail only', () => {
    const short = new BpfError({ errno: 18, code: 'EXDEV', op: 'statfs', object: '/tmp', detail: 'not on a bpffs mount' });
    expect(short.message).toMatch(/\(not on a bpffs mount\)$/);
    const log = 'line1\nline2';
    const long = new BpfError({ errno: 22, code: 'EINVAL', op: 'BPF_PROG_LOAD', object: 'program x', detail: log });
    expect(long.message).not.toContain('line1');
    expect(long.detail).toBe(log);
  });

  it('names every errno Linux defines, as the system does, so that none is reported as E<n>', () => {
    // Node's table (the platform's <errno.h>), less the aliases that share a number with another name.
    const aliases = new Set(['EWOULDBLOCK', 'EDEADLOCK', 'ENOTSUP']);
    const system = Object.entries(constants.errno as Record<string, number>).filter(([name]) => !aliases.has(name));
    expect(system.length).toBeGreaterThan(70);
    for (const [name, errno] of system) expect(native().errnoName(errno), name).toBe(name);
    // Linux numbers 1 to 133, all but 41 and 58, which it leaves unused.
    for (let errno = 1; errno <= 133; errno++) {
      if (errno !== 41 && errno !== 58) expect(native().errnoName(errno), String(errno)).toMatch(/^E[A-Z0-9]+$/);
    }
    expect([88, 77, 67, 133, 524, 512].map((n) => native().errnoName(n))).toEqual(['ENOTSOCK', 'EBADFD', 'ENOLINK', 'EHWPOISON', 'ENOTSUPP', 'ERESTARTSYS']);
    expect([0, 41, 134, 600].map((n) => native().errnoName(n))).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe('argument errors', () => {
  it('name what they got once: undefined and null', async () => {
    const { getProgram, openPinned } = await import('bpfscope');
    await expect(Promise.resolve().then(() => getProgram(undefined as never))).rejects.toThrow(new TypeError('program id must be a number, got undefined'));
    await expect(Promise.resolve().then(() => openPinned(null as never))).rejects.toThrow(new TypeError('path must be a string, got null'));
  });
});

describe('copyError', () => {
  // listNetns hands one failed scan to every caller that shared it: each gets a copy of its own.
  it('copies class, message and fields into a new object, which the caller may change alone', () => {
    const shared = new BpfError({ errno: 24, code: 'EMFILE', op: 'open', object: '/proc/1/ns/net', description: 'Too many open files' });
    const copy = copyError(shared) as BpfError;
    expect(copy).not.toBe(shared);
    expect(copy).toBeInstanceOf(BpfError);
    expect({ ...copy, message: copy.message, stack: copy.stack }).toEqual({ ...shared, message: shared.message, stack: shared.stack });
    copy.stack = 'BpfError: mine';
    expect(shared.stack).not.toBe('BpfError: mine');
    const plain = new TypeError('bad');
    expect(copyError(plain)).toBeInstanceOf(TypeError);
    expect((copyError(plain) as Error).message).toBe('bad');
    expect(copyError('not an error')).toBe('not an error');
  });
});

// Namespace references as every call taking `netns` checks them, before any kernel call.
import { describe, expect, it } from 'vitest';
import { listNetns, NETNS_DIR, netnsPath } from 'bpfscope';

describe('netnsPath', () => {
  it('maps { pid }, { name } and { path } to a path, and nothing to undefined', () => {
    expect(netnsPath(undefined)).toBeUndefined();
    expect(netnsPath({ pid: 4242 })).toBe('/proc/4242/ns/net');
    expect(netnsPath({ name: 'pod-a' })).toBe(`${NETNS_DIR}/pod-a`);
    expect(netnsPath({ path: '/run/netns/pod-a' })).toBe('/run/netns/pod-a');
  });

  it('refuses references that could name something else, with the option in the message', () => {
    expect(() => netnsPath({ name: '..' }, 'findPeer: netns')).toThrow(new TypeError("findPeer: netns.name must be a plain name, got '..'"));
    expect(() => netnsPath({ name: '.' })).toThrow(TypeError);
    expect(() => netnsPath({ name: 'a/b' })).toThrow(TypeError);
    expect(() => netnsPath({ pid: 0x40000000 })).toThrow(new RangeError(`netns.pid must be a positive integer, got ${0x40000000}`));
    expect(() => netnsPath({ pid: 0 })).toThrow(RangeError);
    expect(() => netnsPath({ pid: 1.5 })).toThrow(RangeError);
    expect(() => netnsPath({ pid: '7' } as never)).toThrow(new TypeError("netns.pid must be a number, got string 7"));
    expect(() => netnsPath({ pid: 1, name: 'x' } as never)).toThrow(new TypeError('netns must have exactly one of pid, path, name; got pid, name'));
    expect(() => netnsPath({} as never)).toThrow(new TypeError('netns must have exactly one of pid, path, name; got none'));
    expect(() => netnsPath('pod-a' as never)).toThrow(TypeError);
  });
});

describe('listNetns', () => {
  it('refuses an fds option that is no boolean, and unknown options', async () => {
    await expect(listNetns({ fds: 'no' } as never)).rejects.toThrow(new TypeError('listNetns fds must be a boolean, got string no'));
    await expect(listNetns({ sockets: 1 } as never)).rejects.toThrow(new TypeError('listNetns sockets must be a boolean, got number 1'));
    await expect(listNetns({ fd: false } as never)).rejects.toThrow(new TypeError("listNetns: unknown option 'fd'"));
    await expect(listNetns(null as never)).rejects.toThrow(new TypeError('listNetns must be an object'));
  });
});

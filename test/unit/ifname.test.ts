// Interface names as every call taking `ifname` checks them: the kernel's rule (dev_valid_name),
// one check for all, before any kernel call.
import { describe, expect, it } from 'vitest';
import { findPeer, getEthtoolStats, listAttachments } from 'bpfscope';

// A namespace that does not exist: should a check be missing, the call fails entering it.
const netns = { name: 'bpfscope-test-no-such-netns' };
// 64 two-byte characters: 64 characters, 128 bytes, one more than ALTIFNAMSIZ - 1.
const LONG_BYTES = 'é'.repeat(64);

describe('ifname', () => {
  it.each(['a/b', 'a b', '.', '..', '', LONG_BYTES, 'x'.repeat(128)])('%j is refused the same way by getEthtoolStats, listAttachments and findPeer', async (ifname) => {
    const expected = new TypeError(`getEthtoolStats: ifname must be an interface name of 1 to 127 bytes without '/' or spaces, got ${ifname === '' ? 'string ' : `string ${ifname}`}`);
    await expect(getEthtoolStats({ netns, ifname })).rejects.toThrow(expected);
    for (const [what, call] of [['listAttachments', listAttachments], ['findPeer', findPeer]] as const) {
      await expect(call({ netns, ifname })).rejects.toThrow(TypeError);
      await expect(call({ netns, ifname })).rejects.toThrow(new RegExp(`^${what}: ifname must be an interface name of 1 to 127 bytes`));
    }
  });

  // A device's name has at most 15 bytes, an alternative name 127: each call looks either up.
  it('takes any name or alternative name the kernel could hold: the namespace is what fails then', async () => {
    for (const ifname of ['eth0', 'x'.repeat(15), 'é'.repeat(7), 'eth0:1', 'x'.repeat(16), 'é'.repeat(63), 'x'.repeat(127)]) {
      for (const call of [getEthtoolStats, listAttachments, findPeer]) {
        await expect(call({ netns, ifname })).rejects.toMatchObject({ name: 'BpfError', code: 'ENOENT' });
      }
    }
  });
});

// Interface names as every call taking `ifname` checks them: the kernel's rule (dev_valid_name),
// one check for all, before any kernel call.
import { describe, expect, it } from 'vitest';
import { findPeer, getEthtoolStats, listAttachments } from 'bpfscope';

// A namespace that does not exist: should a check be missing, the call fails entering it.
const netns = { name: 'bpfscope-test-no-such-netns' };
// 8 two-byte characters: 8 characters, 16 bytes, one more than IFNAMSIZ - 1.
const SIXTEEN_BYTES = 'é'.repeat(8);

describe('ifname', () => {
  it.each(['a/b', 'a b', '.', '..', '', SIXTEEN_BYTES, 'x'.repeat(16)])('%j is refused the same way by getEthtoolStats, listAttachments and findPeer', async (ifname) => {
    const expected = new TypeError(`getEthtoolStats: ifname must be an interface name of 1 to 15 bytes without '/' or spaces, got ${ifname === '' ? 'string ' : `string ${ifname}`}`);
    await expect(getEthtoolStats({ netns, ifname })).rejects.toThrow(expected);
    await expect(listAttachments({ netns, ifname })).rejects.toThrow(TypeError);
    await expect(listAttachments({ netns, ifname })).rejects.toThrow(/^listAttachments: ifname must be an interface name of 1 to 15 bytes/);
    // findPeer matches alternative names too (up to 127 bytes): only the name's form is refused
    // there; a long one reaches the namespace, which does not exist.
    if (Buffer.byteLength(ifname) > 15) await expect(findPeer({ netns, ifname })).rejects.toMatchObject({ name: 'BpfError', code: 'ENOENT' });
    else await expect(findPeer({ netns, ifname })).rejects.toThrow(/^findPeer: ifname must be an interface name of 1 to 127 bytes/);
  });

  it('takes any name the kernel could hold: the namespace is what fails then', async () => {
    for (const ifname of ['eth0', 'x'.repeat(15), 'é'.repeat(7), 'eth0:1']) {
      await expect(getEthtoolStats({ netns, ifname })).rejects.toMatchObject({ name: 'BpfError', code: 'ENOENT' });
    }
  });
});

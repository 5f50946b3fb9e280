// bpfscope/testing's options objects are checked as the main API's are: a misspelt key is a
// TypeError before any kernel call, not an option quietly left at its default.
import { describe, expect, it } from 'vitest';
import * as testing from 'bpfscope/testing';

type Call = (options: never) => Promise<unknown>;

// Each function with options it would take, plus one key it does not know, and what it says.
// The network calls name a namespace that does not exist: should a check be missing, the call
// fails entering it rather than changing the host's devices.
const netns = { name: 'bpfscope-test-no-such-netns' };
const CALLS: [string, Call, Record<string, unknown>, string][] = [
  ['loadProgram', testing.loadProgram, { Name: 'x' }, "unknown option 'Name' (did you mean 'name'?)"],
  ['createMap', testing.createMap, { type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1, maxEntires: 2 }, "unknown option 'maxEntires'"],
  ['createVeth', testing.createVeth, { netns, name: 'a', peername: 'b' }, "unknown option 'peername' (did you mean 'peerName'?)"],
  ['createBridge', testing.createBridge, { netns, name: 'br', Up: true }, "unknown option 'Up' (did you mean 'up'?)"],
  ['setLink', testing.setLink, { netns, ifname: 'a', up: true, Master: 'br' }, "unknown option 'Master' (did you mean 'master'?)"],
  ['deleteLink', testing.deleteLink, { netns, ifname: 'a', name: 'a' }, "unknown option 'name'"],
  ['addAddress', testing.addAddress, { netns, ifname: 'a', address: '10.0.0.1/24', dev: 'a' }, "unknown option 'dev'"],
  ['addRoute', testing.addRoute, { netns, dst: 'default', dev: 'a', gateway: '10.0.0.1' }, "unknown option 'gateway'"],
  ['addNeighbor', testing.addNeighbor, { netns, ifname: 'a', ip: '10.0.0.1', lladdr: '02:00:00:00:00:01', nud: 'stale' }, "unknown option 'nud'"],
  ['attachXdp', testing.attachXdp, { netns, ifname: 'a', program: {}, flags: 2 }, "unknown option 'flags'"],
  ['addTcFilter', testing.addTcFilter, { netns, ifname: 'a', direction: 'ingress', program: {}, prio: 1 }, "unknown option 'prio'"],
  ['createNetfilterLink', testing.createNetfilterLink, { netns, program: {}, family: 'ipv4', hook: 'input', priority: 1, ifname: 'a' }, "unknown option 'ifname'"],
];

describe('bpfscope/testing options', () => {
  it.each(CALLS)('%s rejects an unknown option with a TypeError', async (name, call, options, message) => {
    await expect(call(options as never)).rejects.toThrow(new TypeError(`${name}: ${message}`));
  });
});

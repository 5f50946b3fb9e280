// The PCAP recorder's capture rules: the 5-tuple wildcards (prefixes, ports or any, protocol or
// any) whose packets the datapath copies to the recorder, with the rule's id and how many bytes
// of each packet it keeps (`cilium-dbg bpf recorder list`, 1.14–1.18).
//
// Cilium versions → maps, key/value layout (1.14–1.18, unchanged; hashes of 16384 entries, flags
// BPF_F_NO_PREALLOC, declared by the datapath with ENABLE_CAPTURE, i.e. --enable-recorder):
//
//   cilium_capture4_rules
//     key   struct capture4_wcard, 16 B: saddr be32 @0, daddr be32 @4 (each masked to its prefix),
//           sport be16 @8, dport be16 @10 (0: any), nexthdr u8 @12 (0: any), smask u8 @13,
//           dmask u8 @14 (the prefix lengths), flags u8 @15 (reserved, 0)
//   cilium_capture6_rules
//     key   struct capture6_wcard, 40 B: saddr v6addr @0, daddr v6addr @16, sport be16 @32,
//           dport be16 @34, nexthdr @36, smask @37, dmask @38, flags @39
//   value struct capture_rule, 8 B: rule_id u16 @0, reserved u16 @2, cap_len u32 @4 (0: the whole packet)
//   1.19+: no maps (the recorder, its maps and the command were removed): the reader reports them
//   missing (ENOENT) for 1.19 and newer.
// (Read from bpf/lib/pcap.h, pkg/maps/recorder/{recorder,ipv4,ipv6}.go, pkg/recorder/recorder.go
// (how the agent fills the keys) and cilium-dbg/cmd/bpf_recorder_list.go (cilium/cmd/ in 1.14) of
// each version.)
import { defineLayout, type Decoded } from '../layout';
import { decodeFamilyPairs, encodePairs, familyRow, type DecodeOptions, type IpFamily, type MapLayout, type PackedEntries } from './codec';
import { protocolName } from './tables';
import { goIpText, mapByMap } from './text';
import { formatVersion, withLayout, type CiliumRecords, type Minor } from './version';

/** The ports, protocol and prefix lengths behind the two addresses (`at`: where they end). */
const wildcard = (address: 'ipv4' | 'ipv6', at: number) => defineLayout({
  sourceIp: { offset: 0, type: address },
  destinationIp: { offset: at / 2, type: address },
  sourcePort: { offset: at, type: 'be16' },
  destinationPort: { offset: at + 2, type: 'be16' },
  protocol: { offset: at + 4, type: 'u8' },
  sourcePrefixLength: { offset: at + 5, type: 'u8' },
  destinationPrefixLength: { offset: at + 6, type: 'u8' },
}, at + 8);
const KEY4 = wildcard('ipv4', 8);
const KEY6 = wildcard('ipv6', 32);
const RULE = defineLayout({
  ruleId: { offset: 0, type: 'u16' },
  capLen: { offset: 4, type: 'u32' },
}, 8);

const row = (family: IpFamily, key: typeof KEY4): MapLayout => ({
  since: 14, until: 18, map: `cilium_capture${family}_rules`, name: `capture${family}_wcard / capture_rule`,
  keySize: key.size, valueSize: RULE.size, key, value: RULE,
});
export const RECORDER_LAYOUTS: readonly MapLayout[] = [row(4, KEY4)];
export const RECORDER6_LAYOUTS: readonly MapLayout[] = [row(6, KEY6)];

export interface RecorderRecord {
  /** 4 or 6: the map the rule is in. */
  family: IpFamily;
  /** The source prefix's address and length (0: any source). */
  sourceIp: string;
  sourcePrefixLength: number;
  /** 0: any port. */
  sourcePort: number;
  destinationIp: string;
  destinationPrefixLength: number;
  destinationPort: number;
  /** The IP protocol (6 TCP, 17 UDP, …); 0: any. */
  protocol: number;
  /** The recorder's rule id: which capture the packets go to. */
  ruleId: number;
  /** How many bytes of each packet are kept; 0: the whole packet. */
  capLen: number;
}

/** What encodeRecorder packs: the family is the map's, which its options choose. */
export type RecorderEntry = Omit<RecorderRecord, 'family'>;

type Key = Decoded<typeof KEY4.fields>;
type Rule = Decoded<typeof RULE.fields>;

/** Decodes packed capture rules; the family follows the key size (16: IPv4, 40: IPv6). */
export function decodeRecorder(keys: Buffer, values: Buffer, count: number, options: DecodeOptions = {}): CiliumRecords<RecorderRecord> {
  const { keys: ks, values: vs, used, family } = decodeFamilyPairs<Key, Rule>('recorder', { 4: RECORDER_LAYOUTS, 6: RECORDER6_LAYOUTS }, 'key', KEY6.size, keys, values, count, options);
  return withLayout(ks.map((k, i): RecorderRecord => ({ family, ...k, ...vs[i] })), used);
}

/** Packs capture rules of one family (`family: 6` for cilium_capture6_rules). */
export function encodeRecorder(entries: readonly RecorderEntry[], options: { version?: string; family?: IpFamily } = {}): PackedEntries {
  const { row: chosen, family } = familyRow({ 4: RECORDER_LAYOUTS, 6: RECORDER6_LAYOUTS }, options, 'cilium recorder encode options');
  // smask and dmask are u8s, but a prefix is no longer than the family's address.
  const bits = family === 6 ? 128 : 32;
  for (const { sourcePrefixLength, destinationPrefixLength } of entries) {
    for (const length of [sourcePrefixLength, destinationPrefixLength]) {
      if (typeof length === 'number' && length > bits) throw new RangeError(`cilium recorder: an IPv${family} prefix length is at most ${bits}, got ${length}`);
    }
  }
  return encodePairs(chosen, entries.map(({ ruleId, capLen, ...key }) => [key, { ruleId, capLen }] as const));
}

const RECORDER_MAPS = [RECORDER_LAYOUTS[0].map, RECORDER6_LAYOUTS[0].map];

/**
 * One rule as the key's Dump, then the value's, print it: `saddr/smask:sport -> daddr/dmask:dport
 * PROTO ID:n CapLen:n`, IPv6 prefixes bracketed, addresses as Go's net.IP prints them (an
 * IPv4-mapped IPv6 address dotted), the ports in host order.
 */
function ruleLine(r: RecorderRecord, minor: Minor): string {
  const prefix = (address: string, length: number) => (r.family === 6 ? `[${goIpText(address, false)}/${length}]` : `${address}/${length}`);
  return `${prefix(r.sourceIp, r.sourcePrefixLength)}:${r.sourcePort} -> ${prefix(r.destinationIp, r.destinationPrefixLength)}:${r.destinationPort} ` +
    `${protocolName(r.protocol, minor)} ID:${r.ruleId} CapLen:${r.capLen}\n`;
}

/**
 * `cilium-dbg bpf recorder list` (1.14: `cilium bpf recorder list`): per map read, the IPv4 map
 * first, its rules in the order given (the kernel's) and the empty line fmt.Println adds; a map with
 * no records prints its empty line only when its family is in `families` (cilium-dbg reads the IPv6
 * map when the agent has IPv6 on). The same in 1.14–1.18; 1.19 removed the command and the maps,
 * and other versions print as 1.18. cilium-dbg fails ("Unable to open …") on a map it cannot open:
 * its "Skipping." for a missing one never runs, as os.IsNotExist does not see through the wrapped
 * error. Read from bpf_recorder_list.go and pkg/maps/recorder's Dump methods.
 */
export function formatRecorder(records: readonly RecorderRecord[], options?: { version?: string; families?: readonly IpFamily[] }): string {
  const { families = [], ...versionOption } = options ?? {};
  const minor = Math.min(RECORDER_LAYOUTS[0].until, formatVersion(records, versionOption, 'cilium.format.recorder'));
  return mapByMap('recorder', RECORDER_MAPS, (f) => [RECORDER_MAPS[f === 6 ? 1 : 0]], families, records, (r) => RECORDER_MAPS[r.family === 6 ? 1 : 0], (r) => ruleLine(r, minor));
}

// SRv6: which VRF a pod's traffic belongs to, the segment (SID) each VRF's destinations are sent
// to, and which SIDs this node terminates (`cilium-dbg bpf srv6 vrf|policy|sid`).
//
// Maps, key/value layouts (1.14–1.20-dev, unchanged):
//
//   cilium_srv6_vrf_v4     LPM trie, key struct srv6_vrf_key4, 12 B: prefixlen u32 @0 (32 for the
//                          source, then the destination's bits), src_ip be32 @4, dst_cidr be32 @8;
//                          value u32 vrf_id
//   cilium_srv6_vrf_v6     key struct srv6_vrf_key6, 36 B: prefixlen @0 (128 + the destination's
//                          bits), src_ip v6addr @4, dst_cidr v6addr @20; value u32 vrf_id
//   cilium_srv6_policy_v4  LPM trie, key struct srv6_policy_key4, 12 B: prefixlen u32 @0 (32 for the
//                          VRF id, then the destination's bits), vrf_id u32 @4, dst_cidr be32 @8;
//                          value the SID, v6addr (16 B)
//   cilium_srv6_policy_v6  key struct srv6_policy_key6, 24 B: prefixlen @0, vrf_id u32 @4,
//                          dst_cidr v6addr @8; value the SID
//   cilium_srv6_sid        hash, key the SID (v6addr, 16 B); value u32 vrf_id
// (Not in cilium-maps.md: read from Cilium's bpf/lib/srv6.h and pkg/maps/srv6map/{vrf,policy,sid}.go;
// the older cilium_srv6_state_v4/v6 maps are not read.)
import { defineLayout, type Decoded } from '../layout';
import { decodeFamilyPairs, decodePairs, encodePairs, encodeVersion, familyRow, rowFor, type DecodeOptions, type IpFamily, type MapLayout, type PackedEntries } from './codec';
import { ADDRESS_BITS, cidrOf, parseCidr, SOURCE_DESTINATION_KEY4, SOURCE_DESTINATION_KEY6 } from './prefix';
import { listing } from './text';
import { withLayout, type CiliumRecords } from './version';

const VRF_ID = defineLayout({ vrfId: { offset: 0, type: 'u32' } }, 4);
const SID = defineLayout({ sid: { offset: 0, type: 'ipv6' } }, 16);

const VRF_KEY4 = SOURCE_DESTINATION_KEY4;
const VRF_KEY6 = SOURCE_DESTINATION_KEY6;
const POLICY_KEY4 = defineLayout({
  prefixlen: { offset: 0, type: 'u32' },
  vrfId: { offset: 4, type: 'u32' },
  destination: { offset: 8, type: 'ipv4' },
}, 12);
const POLICY_KEY6 = defineLayout({
  prefixlen: { offset: 0, type: 'u32' },
  vrfId: { offset: 4, type: 'u32' },
  destination: { offset: 8, type: 'ipv6' },
}, 24);

const row = (map: string, name: string, key: MapLayout['key'], value: MapLayout['value']): MapLayout =>
  ({ since: 14, until: 20, map, name, keySize: key.size, valueSize: value.size, key, value });

export const SRV6_VRF_LAYOUTS: readonly MapLayout[] = [row('cilium_srv6_vrf_v4', 'srv6_vrf_key4 / vrf_id', VRF_KEY4, VRF_ID)];
export const SRV6_VRF6_LAYOUTS: readonly MapLayout[] = [row('cilium_srv6_vrf_v6', 'srv6_vrf_key6 / vrf_id', VRF_KEY6, VRF_ID)];
export const SRV6_POLICY_LAYOUTS: readonly MapLayout[] = [row('cilium_srv6_policy_v4', 'srv6_policy_key4 / SID', POLICY_KEY4, SID)];
export const SRV6_POLICY6_LAYOUTS: readonly MapLayout[] = [row('cilium_srv6_policy_v6', 'srv6_policy_key6 / SID', POLICY_KEY6, SID)];
export const SRV6_SID_LAYOUTS: readonly MapLayout[] = [row('cilium_srv6_sid', 'SID / vrf_id', SID, VRF_ID)];

/** The VRF id ahead of a policy key's destination: 32 bits the trie always matches. */
const VRF_ID_BITS = 32;

export interface Srv6VrfRecord {
  /** The pod's address. */
  sourceIp: string;
  /** The destination CIDR its traffic is matched against. */
  destinationCidr: string;
  /** The VRF that traffic belongs to. */
  vrfId: number;
}

export interface Srv6PolicyRecord {
  vrfId: number;
  /** The destination CIDR, within the VRF. */
  destinationCidr: string;
  /** The segment (an IPv6 address) the traffic is encapsulated to. */
  sid: string;
}

export interface Srv6SidRecord {
  /** A SID this node terminates. */
  sid: string;
  /** The VRF its decapsulated traffic belongs to. */
  vrfId: number;
}

type VrfKey = Decoded<typeof VRF_KEY4.fields>;
type PolicyKey = Decoded<typeof POLICY_KEY4.fields>;
type VrfId = Decoded<typeof VRF_ID.fields>;
type Sid = Decoded<typeof SID.fields>;

/** Decodes packed VRF mappings; the family follows the key size (12: IPv4, 36: IPv6). */
export function decodeSrv6Vrf(keys: Buffer, values: Buffer, count: number, options: DecodeOptions = {}): CiliumRecords<Srv6VrfRecord> {
  const { keys: ks, values: vs, used, family } = decodeFamilyPairs<VrfKey, VrfId>('srv6 vrf', { 4: SRV6_VRF_LAYOUTS, 6: SRV6_VRF6_LAYOUTS }, 'key', VRF_KEY6.size, keys, values, count, options);
  return withLayout(ks.map((k, i): Srv6VrfRecord => ({
    sourceIp: k.sourceIp,
    destinationCidr: cidrOf(k.destination, k.prefixlen, ADDRESS_BITS[family], family),
    vrfId: vs[i].vrfId,
  })), used);
}

/** Decodes packed SRv6 policies; the family follows the key size (12: IPv4, 24: IPv6). */
export function decodeSrv6Policy(keys: Buffer, values: Buffer, count: number, options: DecodeOptions = {}): CiliumRecords<Srv6PolicyRecord> {
  const { keys: ks, values: vs, used, family } = decodeFamilyPairs<PolicyKey, Sid>('srv6 policy', { 4: SRV6_POLICY_LAYOUTS, 6: SRV6_POLICY6_LAYOUTS }, 'key', POLICY_KEY6.size, keys, values, count, options);
  return withLayout(ks.map((k, i): Srv6PolicyRecord => ({
    vrfId: k.vrfId,
    destinationCidr: cidrOf(k.destination, k.prefixlen, VRF_ID_BITS, family),
    sid: vs[i].sid,
  })), used);
}

/** Decodes packed SID entries. */
export function decodeSrv6Sid(keys: Buffer, values: Buffer, count: number, options: DecodeOptions = {}): CiliumRecords<Srv6SidRecord> {
  const { keys: ks, values: vs, used } = decodePairs<Sid, VrfId>('srv6 sid', SRV6_SID_LAYOUTS, keys, values, count, options);
  return withLayout(ks.map((k, i): Srv6SidRecord => ({ sid: k.sid, vrfId: vs[i].vrfId })), used);
}

/** Options of `cilium.encode.srv6Vrf` and `srv6Policy`: the Cilium version's layout and the family's map. */
export interface FamilyEncodeOptions {
  version?: string;
  /** 4 (default) or 6: which of the two maps the entries are packed for. */
  family?: IpFamily;
}

/** Packs VRF mappings of one family (`family: 6` for the IPv6 map). */
export function encodeSrv6Vrf(entries: readonly Srv6VrfRecord[], options: FamilyEncodeOptions = {}): PackedEntries {
  const { row, family } = familyRow({ 4: SRV6_VRF_LAYOUTS, 6: SRV6_VRF6_LAYOUTS }, options, 'cilium srv6 vrf encode options');
  return encodePairs(row, entries.map(({ sourceIp, destinationCidr, vrfId }) => {
    const [destination, bits] = parseCidr(destinationCidr, family);
    return [{ prefixlen: ADDRESS_BITS[family] + bits, sourceIp, destination }, { vrfId }] as const;
  }));
}

/** Packs SRv6 policies of one family (`family: 6` for the IPv6 map). */
export function encodeSrv6Policy(entries: readonly Srv6PolicyRecord[], options: FamilyEncodeOptions = {}): PackedEntries {
  const { row, family } = familyRow({ 4: SRV6_POLICY_LAYOUTS, 6: SRV6_POLICY6_LAYOUTS }, options, 'cilium srv6 policy encode options');
  return encodePairs(row, entries.map(({ vrfId, destinationCidr, sid }) => {
    const [destination, bits] = parseCidr(destinationCidr, family);
    return [{ prefixlen: VRF_ID_BITS + bits, vrfId, destination }, { sid }] as const;
  }));
}

/** Packs SID entries. */
export function encodeSrv6Sid(entries: readonly Srv6SidRecord[], options: { version?: string } = {}): PackedEntries {
  const row = rowFor(SRV6_SID_LAYOUTS, encodeVersion(options, 'cilium srv6 sid encode options'));
  return encodePairs(row, entries.map(({ sid, vrfId }) => [{ sid }, { vrfId }] as const));
}

// cilium-dbg prints the IPv4 map's entries, then the IPv6 map's, in the kernel's order (as the
// readers of each family return them). Read from cilium-dbg/cmd/bpf_srv6_{vrf,policy,sid}.go.
/** `cilium-dbg bpf srv6 vrf`. */
export const formatSrv6Vrf = listing<Srv6VrfRecord>('srv6Vrf', ['Source IP', 'Destination CIDR', 'VRF ID'], (r) => [r.sourceIp, r.destinationCidr, String(r.vrfId)]);
/** `cilium-dbg bpf srv6 policy`. */
export const formatSrv6Policy = listing<Srv6PolicyRecord>('srv6Policy', ['VRF ID', 'Destination CIDR', 'SID'], (r) => [String(r.vrfId), r.destinationCidr, r.sid]);
/** `cilium-dbg bpf srv6 sid`. */
export const formatSrv6Sid = listing<Srv6SidRecord>('srv6Sid', ['SID', 'VRF ID'], (r) => [r.sid, String(r.vrfId)]);

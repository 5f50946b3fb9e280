// The endpoint map `cilium_lxc`: local endpoint IPs (and, flagged HOST, the node's own IPs) to
// endpoint id, host-side ifindex, MACs and identity (cilium-maps.md §3).
//
// Cilium versions → key/value layout (little-endian host; IPs in network order):
//
//   version  key (struct endpoint_key, 20 B packed)             value (struct endpoint_info, 48 B)
//   1.14     ip 16 B @0, family @16, key @17, cluster_id u8 @18  ifindex u32 @0, lxc_id u16 @6, flags u32 @8,
//   1.15–16  … cluster_id u16 @18                                  mac @16, node_mac @24, sec_id u32 @32
//   1.17–19  as 1.15                                            + parent_ifindex u32 @36
//   1.20-dev as 1.15                                            + rt_info u32 @12
//
// Every size is the same in every version: the version option chooses.
import { defineLayout, type Decoded } from '../layout';
import { decodePairs, encodePairs, encodeVersion, rowFor, type DecodeOptions, type MapLayout, type PackedEntries } from './codec';
import { parsePrefix } from './ipcache';
import { flagNames } from './tables';
import { FAMILY_IPV4, FAMILY_IPV6, familyName, leftPad, tablePrinter, upperMac, type Family } from './text';
import { formatVersion, recordPrototype, withLayout, type CiliumRecords, type Minor, type WithPrototype } from './version';

const KEY_FIELDS = {
  ip: { offset: 0, type: { ip: 16, v6When: { at: 16, mask: 0xff, value: FAMILY_IPV6 } } },
  family: { offset: 16, type: 'u8' },
  key: { offset: 17, type: 'u8' },
} as const;
const KEY_1_14 = defineLayout({ ...KEY_FIELDS, clusterId: { offset: 18, type: 'u8' } }, 20);
const KEY_1_15 = defineLayout({ ...KEY_FIELDS, clusterId: { offset: 18, type: 'u16' } }, 20);

const VALUE_FIELDS = {
  ifindex: { offset: 0, type: 'u32' },
  endpointId: { offset: 6, type: 'u16' },
  flags: { offset: 8, type: 'u32' },
  mac: { offset: 16, type: 'mac' },
  nodeMac: { offset: 24, type: 'mac' },
  identity: { offset: 32, type: 'u32' },
} as const;
const VALUE_1_14 = defineLayout(VALUE_FIELDS, 48);
const VALUE_1_17 = defineLayout({ ...VALUE_FIELDS, parentIfindex: { offset: 36, type: 'u32' } }, 48);
const VALUE_1_20 = defineLayout({ ...VALUE_FIELDS, parentIfindex: { offset: 36, type: 'u32' }, rtInfo: { offset: 12, type: 'u32' } }, 48);

type Key = Decoded<typeof KEY_1_15.fields>;
type Value = Decoded<typeof VALUE_FIELDS> & Partial<Decoded<typeof VALUE_1_20.fields>>;

export const ENDPOINT_LAYOUTS: readonly MapLayout[] = [
  { since: 14, until: 14, map: 'cilium_lxc', name: 'endpoint_key 1.14 (cluster_id u8) / endpoint_info', keySize: 20, valueSize: 48, key: KEY_1_14, value: VALUE_1_14 },
  { since: 15, until: 16, map: 'cilium_lxc', name: 'endpoint_key / endpoint_info', keySize: 20, valueSize: 48, key: KEY_1_15, value: VALUE_1_14 },
  { since: 17, until: 19, map: 'cilium_lxc', name: 'endpoint_key / endpoint_info with parent_ifindex', keySize: 20, valueSize: 48, key: KEY_1_15, value: VALUE_1_17 },
  { since: 20, until: 20, map: 'cilium_lxc', name: 'endpoint_key / endpoint_info with parent_ifindex, rt_info', keySize: 20, valueSize: 48, key: KEY_1_15, value: VALUE_1_20 },
];

const ENDPOINT_F_HOST = 1;
/** [bit, name, since] (`ENDPOINT_F_*`); ATHOSTNS was backported into 1.16. */
const FLAGS: readonly (readonly [number, string, Minor])[] = [
  [ENDPOINT_F_HOST, 'host', 14],
  [2, 'athostns', 16],
  [4, 'nosnatv4', 19],
  [8, 'nosnatv6', 19],
];

export interface EndpointRecord {
  /** The IP address (an endpoint's, or the node's own for host entries). */
  ip: string;
  family: Family | undefined;
  /** The key as cilium-dbg prints it: `10.3.0.115:0`, `fd00::a0f@2:0`. */
  key: string;
  clusterId: number;
  endpointId: number;
  /** The host-side interface (the lxc veth) of the endpoint. */
  ifindex: number;
  flags: string[];
  rawFlags: number;
  /** ENDPOINT_F_HOST: a local host IP, delivered to the host stack (`(localhost)`). */
  isHost: boolean;
  /** The endpoint's MAC (its eth0) and the node-side MAC (the host veth's); lowercase. */
  mac: string;
  nodeMac: string;
  identity: number;
  /** 1.17+; undefined in older layouts. */
  parentIfindex?: number;
  /** 1.20-dev; undefined in older layouts. */
  rtInfo?: number;
}

/** Decodes packed `cilium_lxc` keys and values. */
export function decodeEndpoints(keys: Buffer, values: Buffer, count: number, options?: DecodeOptions): CiliumRecords<EndpointRecord> {
  const { keys: ks, values: vs, minor, used } = decodePairs<Key, Value>('endpoints', ENDPOINT_LAYOUTS, keys, values, count, options);
  const prototype = recordPrototype(minor);
  const records = ks.map((k, i): EndpointRecord => {
    const v = vs[i];
    const ip = k.family === FAMILY_IPV4 || k.family === FAMILY_IPV6 ? k.ip : undefined;
    const record: WithPrototype<EndpointRecord> = {
      __proto__: prototype,
      ip: ip ?? '',
      family: familyName(k.family),
      key: ip === undefined ? 'nil' : `${ip}${k.clusterId !== 0 ? `@${k.clusterId}` : ''}:${k.key}`,
      clusterId: k.clusterId,
      endpointId: v.endpointId,
      ifindex: v.ifindex,
      flags: flagNames(v.flags, FLAGS, minor),
      rawFlags: v.flags,
      isHost: (v.flags & ENDPOINT_F_HOST) !== 0,
      mac: v.mac,
      nodeMac: v.nodeMac,
      identity: v.identity,
    };
    if (v.parentIfindex !== undefined) record.parentIfindex = v.parentIfindex;
    if (v.rtInfo !== undefined) record.rtInfo = v.rtInfo;
    return record;
  });
  return withLayout(records, used);
}

export interface EndpointEntry {
  ip: string;
  clusterId?: number;
  endpointId?: number;
  ifindex?: number;
  /** Flag names ('host', 'athostns', …). */
  flags?: string[];
  mac?: string;
  nodeMac?: string;
  identity?: number;
  parentIfindex?: number;
  rtInfo?: number;
}

/** Packs entries into `cilium_lxc` keys and values of that version's layout. */
export function encodeEndpoints(entries: readonly EndpointEntry[], options?: { version?: string }): PackedEntries {
  const row = rowFor(ENDPOINT_LAYOUTS, encodeVersion(options, 'cilium endpoints encode options'));
  return encodePairs(row, entries.map((e) => {
    const p = parsePrefix(e.ip);
    let flags = 0;
    for (const name of e.flags ?? []) {
      const bit = FLAGS.find(([, n]) => n === name);
      if (!bit) throw new RangeError(`unknown endpoint flag '${name}' (known: ${FLAGS.map(([, n]) => n).join(', ')})`);
      flags |= bit[0];
    }
    const { ip: _ip, clusterId, flags: _flags, ...value } = e;
    return [{ ip: p.address, family: p.family, key: 0, clusterId: clusterId ?? 0 }, { ...value, flags }] as const;
  }));
}

/** `EndpointInfo.String()` of that version. */
function valueText(r: EndpointRecord, minor: Minor): string {
  if (r.isHost) return '(localhost)';
  let text = `id=${leftPad(r.endpointId, 5)} sec_id=${leftPad(r.identity, 5)} flags=0x${r.rawFlags.toString(16).toUpperCase().padStart(4, '0')} ` +
    `ifindex=${leftPad(r.ifindex, 3)} mac=${upperMac(r.mac)} nodemac=${upperMac(r.nodeMac)}`;
  if (minor >= 18) text += ` parent_ifindex=${leftPad(r.parentIfindex ?? 0, 3)}`;
  if (minor >= 20) text += ` rt_info:${r.rtInfo ?? 0}`;
  return text;
}

/**
 * What `cilium-dbg bpf endpoint list` of that version prints (rows sorted; no entries: the header);
 * the version as formatVersion picks it.
 */
export function formatEndpoints(records: readonly EndpointRecord[], options?: { version?: string }): string {
  const minor = formatVersion(records, options, 'cilium.format.endpoints');
  return tablePrinter('IP ADDRESS', 'LOCAL ENDPOINT INFO', records.map((r) => [r.key, valueText(r, minor)] as const));
}

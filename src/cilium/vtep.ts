// The VTEP map: for each external VXLAN tunnel endpoint's CIDR (masked with the agent's
// --vtep-mask), the endpoint's MAC and IP (`cilium-dbg bpf vtep list`).
//
// Cilium versions → key/value layout (1.14–1.20-dev, unchanged): cilium_vtep_map, a hash of 8
// entries (the datapath declares it only with ENABLE_VTEP up to 1.19)
//   key   struct vtep_key, 4 B: vtep_ip be32 @0
//   value struct vtep_value, 16 B: vtep_mac u64 @0 (the MAC's 6 bytes in memory order),
//         tunnel_endpoint be32 @8, 4 B of the struct's padding
// (Read from bpf/lib/common.h (1.14–1.17), bpf/lib/vtep.h (1.18+) and pkg/maps/vtep/vtep.go.)
import { defineLayout, type Decoded } from '../layout';
import { decodePairs, encodePairs, encodeVersion, rowFor, type DecodeOptions, type MapLayout, type PackedEntries } from './codec';
import { NO_ENTRIES, tablePrinter, upperMac } from './text';
import { withLayout, type CiliumRecords } from './version';

const KEY = defineLayout({ vtepIp: { offset: 0, type: 'ipv4' } }, 4);
const VALUE = defineLayout({
  vtepMac: { offset: 0, type: 'mac' },
  tunnelEndpoint: { offset: 8, type: 'ipv4' },
}, 16);

export const VTEP_LAYOUTS: readonly MapLayout[] = [
  { since: 14, until: 20, map: 'cilium_vtep_map', name: 'vtep_key / vtep_value', keySize: 4, valueSize: 16, key: KEY, value: VALUE },
];

export interface VtepRecord {
  /** The VTEP's CIDR address (the key the datapath looks up: a destination masked with --vtep-mask). */
  vtepIp: string;
  /** The VTEP's MAC, lowercase. */
  vtepMac: string;
  /** The VTEP's address, where the traffic is tunneled to. */
  tunnelEndpoint: string;
}

type Key = Decoded<typeof KEY.fields>;
type Value = Decoded<typeof VALUE.fields>;

/** Decodes packed VTEP map entries. */
export function decodeVtep(keys: Buffer, values: Buffer, count: number, options: DecodeOptions = {}): CiliumRecords<VtepRecord> {
  const { keys: ks, values: vs, used } = decodePairs<Key, Value>('vtep', VTEP_LAYOUTS, keys, values, count, options);
  return withLayout(ks.map((k, i): VtepRecord => ({ vtepIp: k.vtepIp, vtepMac: vs[i].vtepMac, tunnelEndpoint: vs[i].tunnelEndpoint })), used);
}

/** Packs VTEP entries. */
export function encodeVtep(entries: readonly VtepRecord[], options: { version?: string } = {}): PackedEntries {
  const row = rowFor(VTEP_LAYOUTS, encodeVersion(options, 'cilium vtep encode options'));
  return encodePairs(row, entries.map(({ vtepIp, vtepMac, tunnelEndpoint }) => [{ vtepIp }, { vtepMac, tunnelEndpoint }] as const));
}

/**
 * `cilium-dbg bpf vtep list` (1.14: `cilium bpf vtep list`): the map's dump through TablePrinter
 * under IP PREFIX/ADDRESS and VTEP, each value `vtepmac=<MAC> tunnelendpoint=<IP>` (the MAC
 * uppercase), rows sorted where cilium-dbg prints Go's map order; `No entries found.` for none, on
 * stderr. The same in every version; read from cilium-dbg/cmd/bpf_vtep_list.go and
 * `VtepEndpointInfo.String()`.
 */
export function formatVtep(records: readonly VtepRecord[]): string {
  if (!Array.isArray(records)) throw new TypeError('cilium.format.vtep: records must be an array');
  if (records.length === 0) return NO_ENTRIES;
  return tablePrinter('IP PREFIX/ADDRESS', 'VTEP', records.map((r) => [r.vtepIp, `vtepmac=${upperMac(r.vtepMac)} tunnelendpoint=${r.tunnelEndpoint}`] as const));
}

// Cluster Mesh's per-cluster conntrack and SNAT maps (`cilium-dbg bpf ct list cluster <id>`, `bpf
// nat list cluster <id>`): for each remote cluster, its own TCP and non-TCP conntrack maps and SNAT
// map of each family, so that a connection to a pod of another cluster whose addresses overlap this
// one's is told apart by the cluster it came through.
//
// Cilium versions → maps, key/value layout (1.14–1.20-dev, the same maps in every version):
//
//   outer  cilium_per_cluster_ct_tcp4, _any4, _tcp6, _any6: BPF_MAP_TYPE_ARRAY_OF_MAPS indexed by
//          cluster id, key u32, value u32 (the inner map's fd written, its id read), 256 entries
//          (bpf/lib/conntrack_map.h: "Keep this sync with ClusterIDMax"; the Go side sizes it
//          ClusterIDMax + 1, from 1.15 a variable: 512 with --max-connected-clusters=511)
//   inner  <outer>_<cluster id> (cilium_per_cluster_ct_tcp4_7, …), pinned beside the outer map:
//          BPF_MAP_TYPE_LRU_HASH of the global maps' layout (struct ipv{4,6}_ct_tuple → struct
//          ct_entry, as src/cilium/conntrack.ts reads them per version) and sizes (CT_MAP_SIZE_TCP,
//          CT_MAP_SIZE_ANY); the Go side creates them with flags 0 (the C declares LRU_MEM_FLAVOR
//          from 1.18, BPF_F_NO_COMMON_LRU or 0 by the agent's config, for maps the loader would make)
// The kernel cuts every one of these names, and the per-cluster NAT maps' too, to 'cilium_per_clus',
// so the maps are found by pin only.
//
// Who has them: the datapath declares them under ENABLE_CLUSTER_AWARE_ADDRESSING up to 1.18 (as
// PER_CLUSTER_CT_TCP4 … up to 1.17, by their names from 1.18), and from 1.19 declares them always
// but looks them up only under it, so the loader prunes them (pkg/bpf/unused_maps.go); no agent's
// header writer defines it (only bpf/node_config.h for BPF tests), and no agent code creates them
// (pkg/maps/ctmap/gc: "When we don't enable cluster-aware addressing, ctmap.PerClusterCTMaps is nil
// (this is the default)"). A node has them when something else made them; the 1.14 cilium-dbg
// itself creates the outer maps (InitPerClusterCTMaps' OpenOrCreate) when asked to list a cluster.
//
// cilium-dbg bpf ct list cluster <id> (cilium/cmd/bpf_ct_list.go in 1.14, cilium-dbg/cmd/ after)
// opens the cluster's inner maps by their pins, never through the outer maps: tcp4, any4, then
// tcp6 and any6 when IPv6 is on (1.18+: IPv4 only when it is on), and prints each as `ct list
// global` prints a map (the same CtMap dump). Its argument errors go to stderr with exit 0, as
// `Invalid argument: <error>` without a newline:
//   1.14–1.20  no id (or more than one word after cluster): `missing clusterID`; an id that is no
//              u32 in decimal: `invalid clusterID: strconv.ParseUint: parsing "x": invalid syntax`
//              (`value out of range` past 4294967295)
//   1.15–1.20  0: `invalid clusterID: ClusterID 0 is reserved`; past 255: `invalid clusterID:
//              ClusterID > 255 is not supported` (cmtypes.ValidateClusterID; cilium-dbg never sets
//              ClusterIDMax from --max-connected-clusters, so 255 in every version)
//   1.14       0 and ids past 255 are taken, and print nothing (GetClusterCTMaps refuses them and
//              returns no maps)
// A missing inner map: 1.14 prints nothing at all when any of the cluster's maps will not open (no
// map is returned), and removes the pins of those it opened before that one (GetClusterCTMaps'
// deferred Unpin: tcp4 when any4 is missing, both IPv4 maps when IPv6 is on and its maps are
// not pinned); 1.15+ fails (`Error: Unable to open <path>: loading pinned map <path>: …`,
// exit 1) at the first one, after printing the maps before it: its "Skipping." branch never runs,
// as os.IsNotExist does not see through the wrapped error.
//
// SNAT, the same 1.14–1.20-dev: outer cilium_per_cluster_snat_v4_external and _v6_external (arrays
// of maps as above, 256 slots), inner <outer>_<cluster id>: LRU hashes of the global SNAT maps'
// layout (struct ipv{4,6}_ct_tuple → struct ipv{4,6}_nat_entry, src/cilium/nat.ts) and size
// (--bpf-nat-global-max), flags 0 from the Go side; the datapath declares the IPv4 one only,
// looked up under ENABLE_CLUSTER_AWARE_ADDRESSING and ENABLE_INTER_CLUSTER_SNAT; the Go side knows
// both, and no agent creates either. cilium-dbg bpf nat list cluster <id>
// opens the cluster's inner maps by pin, the IPv4 one, then the IPv6 one when IPv6 is on (1.14:
// the IPv4 one only; 1.18+: the IPv4 one only when IPv4 is on), each printed as `nat list` prints a
// map. Its argument errors, to stderr with exit 0 and no newline: any words but `cluster <id>`:
// `Invalid argument`; an id that is no decimal u32: `Invalid ClusterID: strconv.ParseUint: …`;
// 0 and past 255: `Failed to retrieve cluster maps: ClusterID 0 is reserved` (`ClusterID > 255 is
// not supported`), in 1.14 too (GetClusterNATMap validates the id). A missing inner map: 1.14
// writes `Failed to retrieve cluster maps: open inner map: …` and prints nothing; 1.15+ fails as
// ct does (`Error: Unable to open …`, exit 1). The 1.14 command creates the outer maps too.
// (Read from bpf/lib/conntrack_map.h, bpf/lib/nat.h, pkg/maps/ctmap/per_cluster_ctmap.go,
// pkg/maps/nat/per_cluster_nat.go, pkg/clustermesh/types and the ct and nat list commands of every
// version; not in cilium-maps.md.)
import { describe } from '../validate';
import type { IpFamily } from './codec';

/** The highest cluster id cilium-dbg takes (cmtypes.ClusterIDMax as cilium-dbg leaves it). */
export const CLUSTER_ID_MAX = 255;
/** Slots of each outer map: one per cluster id, 0 (the local cluster) unused. */
export const PER_CLUSTER_OUTER_ENTRIES = CLUSTER_ID_MAX + 1;

/** The outer maps of one family: TCP and everything else. */
export function perClusterCtOuterNames(family: IpFamily): { tcp: string; any: string } {
  return { tcp: `cilium_per_cluster_ct_tcp${family}`, any: `cilium_per_cluster_ct_any${family}` };
}

/** A cluster's inner maps of one family, as the agent pins them: the outer map's name and the cluster id. */
export function perClusterCtMapNames(family: IpFamily, clusterId: number): { tcp: string; any: string } {
  const outer = perClusterCtOuterNames(family);
  return { tcp: `${outer.tcp}_${clusterId}`, any: `${outer.any}_${clusterId}` };
}

/** Cluster Mesh's per-cluster SNAT map of a family: the outer map, and a cluster's inner map (as the agent pins it). */
export function perClusterNatMapNames(family: IpFamily, clusterId: number): { outer: string; inner: string } {
  const outer = `cilium_per_cluster_snat_v${family}_external`;
  return { outer, inner: `${outer}_${clusterId}` };
}

/** cmtypes.ValidateClusterID's words for an id out of range, or undefined for 1..255. */
function rangeError(id: number): string | undefined {
  if (id === 0) return 'ClusterID 0 is reserved';
  if (id > CLUSTER_ID_MAX) return `ClusterID > ${CLUSTER_ID_MAX} is not supported`;
  return undefined;
}

/** A cluster id given to the API: an integer in 1..255 (TypeError for a non-number, RangeError in cilium-dbg's words else). */
export function checkClusterId(id: unknown, what: string): number {
  if (typeof id !== 'number') throw new TypeError(`${what}: cluster must be a number, got ${describe(id)}`);
  if (!Number.isInteger(id) || id < 0) throw new RangeError(`${what}: cluster must be an integer in 1..${CLUSTER_ID_MAX}, got ${id}`);
  const error = rangeError(id);
  if (error !== undefined) throw new RangeError(`${what}: ${error}`);
  return id;
}

const U32_MAX = 0xffffffff;

/** What strconv.Quote escapes besides the non-printable: the quote, the backslash, and the C escapes it names. */
const GO_ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '\x07': 'a', '\b': 'b', '\f': 'f', '\n': 'n', '\r': 'r', '\t': 't', '\v': 'v' };

/**
 * strconv.Quote, as a NumError quotes the word: a character unicode.IsPrint refuses (any but
 * letters, marks, numbers, punctuation, symbols and the ASCII space) escaped as \xNN, \uNNNN or
 * \UNNNNNNNN, where JSON leaves a no-break or zero-width space pasted with the id as it is.
 */
function goQuote(word: string): string {
  const hex = (code: number, digits: number) => code.toString(16).padStart(digits, '0');
  const quoted = [...word].map((ch) => {
    if (GO_ESCAPES[ch] !== undefined) return `\\${GO_ESCAPES[ch]}`;
    if (ch === ' ' || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch)) return ch;
    const code = ch.codePointAt(0)!;
    return code < 0x80 ? `\\x${hex(code, 2)}` : code < 0x10000 ? `\\u${hex(code, 4)}` : `\\U${hex(code, 8)}`;
  });
  return `"${quoted.join('')}"`;
}

/**
 * What each cilium-dbg command writes to stderr (exit 0) for a bad cluster argument, by what is
 * wrong: the words, the id's syntax (strconv.ParseUint's error follows), its range (1.15+,
 * ValidateClusterID's error follows).
 */
const ARGUMENT_ERRORS = {
  ct: { words: 'Invalid argument: missing clusterID', syntax: 'Invalid argument: invalid clusterID: ', range: 'Invalid argument: invalid clusterID: ' },
  nat: { words: 'Invalid argument', syntax: 'Invalid ClusterID: ', range: 'Failed to retrieve cluster maps: ' },
} as const;

/**
 * The words after `cilium-dbg bpf ct list cluster` or `bpf nat list cluster` as 1.15+ reads them:
 * the cluster id, or the error it writes. (1.14 takes 0 and ids past 255 and prints nothing for
 * them; bpfscope refuses them in every version, as no map of theirs can be read.)
 */
export function parseClusterArgs(command: keyof typeof ARGUMENT_ERRORS, words: readonly string[]): { id: number } | { error: string } {
  const errors = ARGUMENT_ERRORS[command];
  if (words.length !== 1) return { error: errors.words };
  const [word] = words;
  // strconv.ParseUint(word, 10, 32): decimal digits only, no sign, no underscores, read from the
  // left: digits past 4294967295 are out of range before a later character is seen (4294967296x).
  const parsing = `strconv.ParseUint: parsing ${goQuote(word)}`;
  const digits = /^\d*/.exec(word)![0];
  if (Number(digits) > U32_MAX) return { error: `${errors.syntax}${parsing}: value out of range` };
  if (digits === '' || digits !== word) return { error: `${errors.syntax}${parsing}: invalid syntax` };
  const id = Number(word);
  const error = rangeError(id);
  return error === undefined ? { id } : { error: `${errors.range}${error}` };
}

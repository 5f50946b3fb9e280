// Which Cilium version runs on a node, told by the maps its agent pinned under tc/globals.
//
// The agent of each version creates its maps with the type, key and value sizes and flags specs.ts
// gives, and re-creates a pinned map whose properties differ from its own (cilium/ebpf's
// MapSpec.Compatible compares type, sizes and flags; pkg/bpf then logs "Removing map to allow for
// property upgrade" and creates it anew). So a map of a name the running version has carries that
// version's properties, and rules out every version whose agent would create it otherwise.
//
// A map of a name the running version no longer has may be left from before an upgrade: 1.17 and
// 1.18 agents leave 1.16's cilium_policy_<id> maps, 1.18 and 1.19 keep cilium_ipcache beside
// cilium_ipcache_v2 for restoration. Such a map rules out the versions before its properties
// appeared, not the versions after its name's last one. Maps of optional features (multicast,
// tunnel routing, the recorder) count only where pinned: their absence says nothing. The absence
// of a map every agent of a version pins (specs.ts ALWAYS_PINNED: the ipcache, the node map, …;
// and an endpoint's policy map of the version's name, as the host endpoint has one) rules that
// version out: a 1.15 node has no cilium_node_map_v2, which 1.16 brought.
//
// Of the flags, only BPF_F_RDONLY_PROG is compared: it comes with the version (cilium_vtep_map and
// the ip-masq-agent's map from 1.19, cilium_lxc, the Maglev outer map and the source ranges from
// 1.20), where BPF_F_NO_PREALLOC of a hash map follows the agent's --preallocate-bpf-maps.
import { BpfError } from '../errors';
import { listPinned } from '../pins';
import type { MapInfo } from '../maps';
import { checkOptions } from '../validate';
import { ALWAYS_PINNED, BPF_F_RDONLY_PROG, DEFAULT_BPFFS, globalMapSpecs, globalsDir, pinnedMapSpecs, policyMapSpec, type CiliumMapSpec } from './specs';
import { CILIUM_VERSIONS, parseVersion, versionName, type CiliumVersion, type Minor } from './version';

/** One pinned map of a name some known version's agent creates, and the versions it leaves possible. */
export interface VersionEvidence {
  /** The pin's name (`cilium_ipcache_v2`, `cilium_policy_v2_00042`). */
  name: string;
  path: string;
  mapId: number;
  /** The versions whose agent creates a map of this name with this type, key and value sizes and BPF_F_RDONLY_PROG flag. */
  createdBy: CiliumVersion[];
  /**
   * The versions the map does not rule out: `createdBy`, and the versions after the last one with
   * its name, where it can be left from an upgrade. Every version when no version creates it so
   * (the map then tells nothing).
   */
  allows: CiliumVersion[];
}

/** What the pinned maps tell of the Cilium version (cilium.nodeVersion). */
export interface NodeVersion {
  /**
   * The newest of `versions`, as the readers without a version take the newest a map's sizes fit;
   * undefined when no Cilium map is pinned, or when the maps allow no known version.
   */
  version?: CiliumVersion;
  /** Every known version all the maps allow, oldest first. */
  versions: CiliumVersion[];
  /** Each map pinned under `<bpffs>/tc/globals` of a name a known version's agent creates, in pin order. */
  maps: VersionEvidence[];
  /** Maps every agent of some versions pins that are not pinned here, and the versions that rules out (none when no Cilium map is pinned). */
  absent: { name: string; rulesOut: CiliumVersion[] }[];
}

const MINORS: readonly Minor[] = CILIUM_VERSIONS.map((v) => parseVersion(v)!);
const ENDPOINT_POLICY = /^cilium_policy(?:_v2)?_(\d{5})$/;

/** Per version, its agent's pinned maps by name (policy maps apart: they are named per endpoint). */
const SPECS_BY_VERSION = new Map(MINORS.map((minor) => [minor, new Map(pinnedMapSpecs(minor).map((s) => [s.name, s]))]));

/** The map a version's agent would pin at `name`, if any. */
function specOf(minor: Minor, name: string): CiliumMapSpec | undefined {
  const spec = SPECS_BY_VERSION.get(minor)!.get(name);
  if (spec !== undefined) return spec;
  const endpoint = ENDPOINT_POLICY.exec(name);
  if (endpoint === null) return undefined;
  const policy = policyMapSpec(minor, Number(endpoint[1]));
  return policy.name === name ? policy : undefined;
}

function createsSo(spec: CiliumMapSpec, info: MapInfo): boolean {
  return spec.type === info.type && spec.keySize === info.keySize && spec.valueSize === info.valueSize &&
    (spec.flags & BPF_F_RDONLY_PROG) === (info.flags & BPF_F_RDONLY_PROG);
}

/**
 * The maps of ALWAYS_PINNED some version names that `pinned` lacks, with the versions whose agent
 * pins them; and the endpoints' policy maps (`cilium_policy_v2_*`, …) when none of a version's name
 * is pinned, since an agent pins one for every endpoint, the host's among them.
 */
function absentMaps(pinned: readonly string[]): NodeVersion['absent'] {
  const rulesOut = new Map<string, CiliumVersion[]>();
  const absent = (name: string, minor: Minor) => rulesOut.set(name, [...(rulesOut.get(name) ?? []), versionName(minor)]);
  for (const minor of MINORS) {
    const specs = globalMapSpecs(minor);
    for (const kind of ALWAYS_PINNED) if (!pinned.includes(specs[kind].name)) absent(specs[kind].name, minor);
    const policyPrefix = policyMapSpec(minor, 0).name.slice(0, -'00000'.length);
    if (!pinned.some((name) => name.startsWith(policyPrefix) && /^\d{5}$/.test(name.slice(policyPrefix.length)))) absent(`${policyPrefix}*`, minor);
  }
  return [...rulesOut].map(([name, versions]) => ({ name, rulesOut: versions }));
}

/** What one pinned map tells; undefined when no known version's agent pins a map of its name. */
function evidenceOf(name: string, info: MapInfo): Omit<VersionEvidence, 'path' | 'mapId'> | undefined {
  const named = MINORS.filter((minor) => specOf(minor, name) !== undefined);
  if (named.length === 0) return undefined;
  const createdBy = named.filter((minor) => createsSo(specOf(minor, name)!, info));
  const lastNamed = named[named.length - 1];
  const allows = createdBy.length === 0 ? MINORS : MINORS.filter((minor) => createdBy.includes(minor) || minor > lastNamed);
  return { name, createdBy: createdBy.map(versionName), allows: allows.map(versionName) };
}

/**
 * The Cilium version the node's maps tell: every known version that each map pinned under
 * `<bpffs>/tc/globals` allows (see VersionEvidence), and the newest of them. The CLI reads with it
 * when no --version is given, so that maps whose layout no version changed (the load balancer's,
 * the source ranges) print as the node's cilium-dbg prints them, not as the newest version's.
 * No tc/globals (no Cilium here) gives no versions and no maps; one that cannot be listed, or a
 * Cilium map pinned there that cannot be opened, is a BpfError.
 */
export async function nodeVersion(options?: { bpffs?: string }): Promise<NodeVersion> {
  checkOptions(options, ['bpffs'], 'cilium.nodeVersion options');
  const bpffs = options?.bpffs ?? DEFAULT_BPFFS;
  if (typeof bpffs !== 'string' || bpffs === '') throw new TypeError('cilium.nodeVersion options: bpffs must be a non-empty path');
  const dir = globalsDir(bpffs);
  const pins = await listPinned(dir).catch((err: unknown) => (err instanceof BpfError && err.code === 'ENOENT' ? [] : Promise.reject(err)));
  const maps: VersionEvidence[] = [];
  for (const pin of pins) {
    const name = pin.path.slice(dir.length + 1);
    // A Cilium map that cannot be opened would leave its versions unchecked: the error says why.
    if (pin.kind === 'unreadable' && MINORS.some((minor) => specOf(minor, name) !== undefined)) {
      throw new BpfError({ errno: pin.errno, code: pin.code, op: 'BPF_OBJ_GET', object: pin.path });
    }
    if (pin.kind !== 'map') continue;
    const evidence = evidenceOf(name, pin.info);
    if (evidence) maps.push({ ...evidence, path: pin.path, mapId: pin.info.id });
  }
  if (maps.length === 0) return { version: undefined, versions: [], maps, absent: [] };
  const absent = absentMaps(pins.map((p) => p.path.slice(dir.length + 1)));
  const versions = CILIUM_VERSIONS.filter((v) => maps.every((m) => m.allows.includes(v)) && !absent.some((a) => a.rulesOut.includes(v)));
  return { version: versions[versions.length - 1], versions, maps, absent };
}

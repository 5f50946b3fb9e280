// Every endpoint's policy map: `cilium-dbg bpf policy get --all [-n]` and `cilium-dbg bpf policy
// list` (listAllMaps in cilium-dbg/cmd/bpf_policy_get.go, cilium/cmd/ in 1.14; bpf_policy_list.go
// calls it). Read at every anchor 1.14–1.20-dev: listAllMaps is the same in all of them, only the
// table each map prints changes with the version (policy.ts).
//
// Cilium versions → what is listed:
//
//   maps  every name in <bpffs>/tc/globals the glob `cilium_policy_*` matches, in filepath.Glob's
//         order (the names sorted bytewise). That is each endpoint's map (cilium_policy_<id %05d>
//         1.14–1.16, cilium_policy_v2_<id %05d> 1.17+; the host endpoint's too), and the other
//         name's maps as well: a 1.17 or 1.18 agent leaves the cilium_policy_<id> pins of the 1.16
//         it replaced, and both are listed, under the same endpoint id (only 1.19's agent removes
//         them at start: RemoveDisabledMaps in pkg/datapath/maps/map.go, Cilium 8845b39a77).
//         cilium_policystats (1.18+) does not match: no '_' follows "policy". No version has one
//         global policy map: 1.18+ declare `cilium_policy_v2` in bpf/lib/policy.h, which the loader
//         renames and pins per endpoint (pkg/datapath/loader).
//   id    "Endpoint ID:" is the name's part after its last '_' with the leading zeros trimmed
//         (strings.TrimLeft(…, "0")): 00042 → 42, 00000 → nothing.
//   text  per map "Endpoint ID: <id>", "Path: <pin>", an empty line, the table `bpf policy get <id>`
//         prints, two empty lines; "no maps found" when the glob matches nothing (no tc/globals
//         either). Glob would say the same of a tc/globals it cannot read, which cilium-dbg, run
//         as root, never meets: here that is an error, not no maps.
//
// cilium-dbg reads every map before it prints: a map it cannot open or dump ends the command with
// nothing on stdout, as a failed read rejects cilium.policies(). From 1.18 it reads each map's
// counters from cilium_policystats by the number after the name's last '_'.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fsError } from '../errors';
import { openMap } from '../maps';
import { checkOptions, describe } from '../validate';
import { IDENTITY_TITLES, policyTable, type PolicyRecord } from './policy';
import { readOptions, readPolicyMap, type ReadOptions } from './read';
import { globalsDir } from './specs';
import { formatVersion, parseVersion, type CiliumRecords } from './version';

/** What filepath.Glob(`<tc/globals>/cilium_policy_*`) matches: the `*` is any rest of a name. */
const GLOB_PREFIX = 'cilium_policy_';
const MAX_ENDPOINT_ID = 0xffff;

/** One policy map pinned under tc/globals, as `bpf policy get --all` lists it. */
export interface EndpointPolicyMap {
  /**
   * The endpoint the pin's name is of: the number after its last '_', by which 1.18+ read the
   * counters; undefined when that is no endpoint id (a u16).
   */
  endpointId?: number;
  /** The pin: `<bpffs>/tc/globals/<name>`. */
  path: string;
  records: CiliumRecords<PolicyRecord>;
}

/**
 * The names under `dir` the glob matches, sorted as Go's sort.Strings sorts them (by bytes). A
 * directory that cannot be read is a BpfError (opendir), not no maps.
 */
async function policyPins(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' || err.code === 'ENOTDIR' ? [] : Promise.reject(fsError(err, dir, 'opendir'))));
  return names.filter((n) => n.startsWith(GLOB_PREFIX)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** The name's part after its last '_' (the glob's prefix ends in one). */
const idPart = (name: string) => name.slice(name.lastIndexOf('_') + 1);

/** parseEndpointID of pkg/maps/policymap (1.18+): the part as a decimal u16, else none. */
function endpointIdOf(name: string): number | undefined {
  const part = idPart(name);
  return /^\d+$/.test(part) && Number(part) <= MAX_ENDPOINT_ID ? Number(part) : undefined;
}

/**
 * `cilium-dbg bpf policy get --all` and `bpf policy list`: every policy map pinned under
 * `<bpffs>/tc/globals/` as the glob `cilium_policy_*` finds them (see the module comment), in its
 * order, each read as cilium.policy() reads an endpoint's map (from 1.18 with cilium_policystats'
 * counters). None (no tc/globals either) is an empty array.
 */
export async function readPolicies(options?: ReadOptions): Promise<EndpointPolicyMap[]> {
  const o = readOptions<ReadOptions>(options, [], 'cilium.policies options');
  const dir = globalsDir(o.bpffs);
  const maps: EndpointPolicyMap[] = [];
  for (const name of await policyPins(dir)) {
    const path = join(dir, name);
    const endpointId = endpointIdOf(name);
    const records = await readPolicyMap({ map: await openMap({ pinned: path }), name, pinned: path }, endpointId, o);
    maps.push(endpointId === undefined ? { path, records } : { endpointId, path, records });
  }
  return maps;
}

/** Options of `cilium.format.policies`. */
export interface PoliciesFormatOptions {
  /** The Cilium version whose text to print; default the newest any map was decoded with (a leftover older map's is older). */
  version?: string;
  /**
   * true (default): `get --all -n`, the identity column titled IDENTITY. false: `get --all`
   * without -n and `list` (which has no -n), the column titled LABELS (source:key[=value]); its
   * cells still the numbers, as cilium-dbg prints an identity the agent does not answer for (all
   * of them when it is down; cilium-dbg then says so on stderr for each).
   */
  numeric?: boolean;
}

/**
 * What `cilium-dbg bpf policy get --all -n` (or, `numeric: false`, `bpf policy list`) prints for
 * the maps cilium.policies() reads: each map's endpoint id (from its pin's name), pin and table,
 * or "no maps found".
 */
export function formatPolicies(maps: readonly EndpointPolicyMap[], options?: PoliciesFormatOptions): string {
  const what = 'cilium.format.policies';
  if (!Array.isArray(maps)) throw new TypeError(`${what}: maps must be an array`);
  // Checked here, not only by formatVersion: with a version given it never sees the records.
  for (const m of maps as unknown[]) {
    const { path, records } = (m ?? {}) as Partial<EndpointPolicyMap>;
    if (typeof path !== 'string' || !Array.isArray(records)) throw new TypeError(`${what}: each map must be { path, records } as cilium.policies() returns them, got ${describe(m)}`);
  }
  const { version, numeric = true } = checkOptions<PoliciesFormatOptions>(options, ['version', 'numeric'], `${what} options`);
  if (typeof numeric !== 'boolean') throw new TypeError(`${what}: numeric must be a boolean`);
  const given = parseVersion(version, `${what} version`); // checked when no map is found too
  if (maps.length === 0) return 'no maps found\n';
  const minor = given ?? Math.max(...maps.map((m) => formatVersion(m.records, undefined, what)));
  const title = numeric ? IDENTITY_TITLES.numeric : IDENTITY_TITLES.labels;
  return maps.map((m) => {
    const id = idPart(m.path).replace(/^0+/, '');
    return `Endpoint ID: ${id}\nPath: ${m.path}\n\n${policyTable(m.records, minor, title)}\n\n`;
  }).join('');
}

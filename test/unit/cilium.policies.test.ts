// `cilium-dbg bpf policy get --all [-n]` and `bpf policy list` (listAllMaps in
// cilium-dbg/cmd/bpf_policy_get.go, the same at every version; the table each map prints is the
// version's `bpf policy get`), over maps decoded from entries packed by the encoder.
import { describe, expect, it } from 'vitest';
import { cilium, type EndpointPolicyMap } from 'bpfscope';

const GLOBALS = '/sys/fs/bpf/tc/globals';

/** A map of `name` holding any egress (4 packets of 296 bytes up to 1.17) and TCP 80 from 12001, decoded as `version`. */
function policyMap(version: string, name: string, endpointId?: number): EndpointPolicyMap {
  const packed = cilium.encode.policy([
    { identity: 0, direction: 'egress', packets: 4n, bytes: 296n, cookie: 5 },
    { identity: 12001, direction: 'ingress', protocol: 6, port: 80 },
  ], { version });
  const records = cilium.decode.policy(packed.keys, packed.values, packed.count, { version, map: name });
  return { endpointId, path: `${GLOBALS}/${name}`, records };
}

/** One map's lines: its endpoint id, its pin, an empty line, its table, two empty lines. */
const block = (id: string, name: string, table: string[]) => [`Endpoint ID: ${id}`, `Path: ${GLOBALS}/${name}`, '', ...table, '', ''];

describe('cilium.format.policies', () => {
  it('1.14, get --all -n: each map under its endpoint id and pin, a table as get -n prints it, two empty lines', () => {
    const maps = [policyMap('1.14', 'cilium_policy_00042', 42), policyMap('1.14', 'cilium_policy_00107', 107)];
    const table = [
      'POLICY   DIRECTION   IDENTITY   PORT/PROTO   PROXY PORT   AUTH TYPE   BYTES   PACKETS   PREFIX   ',
      'Allow    Ingress     12001      80/TCP       NONE         disabled    0       0         24       ',
      'Allow    Egress      0          ANY          NONE         disabled    296     4         0        ',
    ];
    expect(cilium.format.policies(maps)).toBe([...block('42', 'cilium_policy_00042', table), ...block('107', 'cilium_policy_00107', table), ''].join('\n'));
  });

  it('list (numeric: false): the identity column titled LABELS, its cells the numbers the agent would resolve; 1.18 counters from the stats map', () => {
    // decode.policy reads no counters from 1.18: cilium.policies() adds cilium_policystats' rows.
    const map = policyMap('1.18', 'cilium_policy_v2_00042', 42);
    Object.assign(map.records[0], { packets: 4n, bytes: 296n });
    expect(cilium.format.policies([map], { numeric: false })).toBe([...block('42', 'cilium_policy_v2_00042', [
      'POLICY   DIRECTION   LABELS (source:key[=value])   PORT/PROTO   PROXY PORT   AUTH TYPE   BYTES   PACKETS   PREFIX   ',
      'Allow    Ingress     12001                         80/TCP       NONE         disabled    -       -         24       ',
      'Allow    Egress      0                             ANY          NONE         disabled    296     4         0        ',
    ]), ''].join('\n'));
  });

  it('1.19+: the cookie last (unpadded), under either identity title; an empty map says so after its header', () => {
    const empty = cilium.decode.policy(Buffer.alloc(0), Buffer.alloc(0), 0, { version: '1.19' });
    const maps = [policyMap('1.19', 'cilium_policy_v2_00042', 42), { endpointId: 43, path: `${GLOBALS}/cilium_policy_v2_00043`, records: empty }];
    const tables = (numeric: boolean) => cilium.format.policies(maps, { numeric }).split('\n').filter((l) => l.startsWith('POLICY') || l.startsWith('Allow') || l.startsWith('Policy'));
    expect(tables(true)).toEqual([
      'POLICY   DIRECTION   IDENTITY   PORT/PROTO   PROXY PORT   AUTH TYPE   BYTES   PACKETS   PREFIX   COOKIE',
      'Allow    Ingress     12001      80/TCP       NONE         disabled    -       -         24       0',
      'Allow    Egress      0          ANY          NONE         disabled    -       -         0        5',
      'POLICY   DIRECTION   IDENTITY   PORT/PROTO   PROXY PORT   AUTH TYPE   BYTES   PACKETS   PREFIX   COOKIE',
      'Policy stats empty. Perhaps the policy enforcement is disabled?',
    ]);
    expect(tables(false)[0]).toBe('POLICY   DIRECTION   LABELS (source:key[=value])   PORT/PROTO   PROXY PORT   AUTH TYPE   BYTES   PACKETS   PREFIX   COOKIE');
  });

  it("the endpoint id is the path's part after its last '_', leading zeros trimmed: 00000 prints none", () => {
    const ids = (paths: string[]) => cilium.format.policies(paths.map((path) => ({ path, records: policyMap('1.17', 'cilium_policy_v2_00001').records })))
      .split('\n').filter((l) => l.startsWith('Endpoint ID:'));
    expect(ids([`${GLOBALS}/cilium_policy_v2_00042`, `${GLOBALS}/cilium_policy_00000`, `${GLOBALS}/cilium_policy_v2_x01`, `${GLOBALS}/cilium_policy_0100`]))
      .toEqual(['Endpoint ID: 42', 'Endpoint ID: ', 'Endpoint ID: x01', 'Endpoint ID: 100']);
  });

  it('prints the newest version the maps were decoded with (a 1.16 map an upgrade left beside 1.18 ones), else the version given', () => {
    const leftover = policyMap('1.16', 'cilium_policy_00042', 42);
    const current = policyMap('1.18', 'cilium_policy_v2_00042', 42);
    const counters = (text: string) => text.split('\n').filter((l) => l.startsWith('Allow')).map((l) => l.split(/ {3,}/).slice(6, 8).join(' '));
    // 1.18's text: counters the entry holds as they are, none as `-` (1.16's would print 0 0).
    expect(counters(cilium.format.policies([leftover, current]))).toEqual(['0 0', '296 4', '- -', '- -']);
    expect(counters(cilium.format.policies([leftover, current], { version: '1.16' }))).toEqual(['0 0', '296 4', '0 0', '0 0']);
    expect(cilium.format.policies([current], { version: '1.19' })).toContain('PREFIX   COOKIE\n');
  });

  it('no maps: "no maps found"; bad arguments are TypeErrors', () => {
    expect(cilium.format.policies([])).toBe('no maps found\n');
    expect(cilium.format.policies([], { numeric: false, version: '1.14' })).toBe('no maps found\n');
    expect(() => cilium.format.policies('nope' as never)).toThrow(TypeError);
    expect(() => cilium.format.policies([], { numeric: 'no' as never })).toThrow(TypeError);
    // The version is checked with no maps too, as cilium.format.policy checks it with no records.
    expect(() => cilium.format.policies([], { version: 'nope' })).toThrow(/cilium.format.policies version must look like/);
    expect(() => cilium.format.policies([], { version: '1.13' })).toThrow(RangeError);
    expect(() => cilium.format.policies([], { labels: true } as never)).toThrow(/unknown option 'labels'/);
    for (const version of [undefined, '1.16']) {
      // With a version too, which leaves the records' version unread: a string's characters printed as rows.
      expect(() => cilium.format.policies([{ path: 'x', records: 'nope' as never }], { version })).toThrow(/each map must be \{ path, records \}/);
      expect(() => cilium.format.policies([{ path: 1 as never, records: [] as never }], { version })).toThrow(/each map must be .*, got an object/);
      expect(() => cilium.format.policies([null as never], { version })).toThrow(/each map must be .*, got null/);
    }
  });
});

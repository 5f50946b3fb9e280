// Policy maps decoded per version, the policy stats map of 1.18+, and `cilium-dbg bpf policy get
// <id> -n` of each version (cilium-dbg/cmd/bpf_policy_get.go and pkg/maps/policymap at each
// version), from entries laid out by hand.
import { describe, expect, it } from 'vitest';
import { cilium } from 'bpfscope';

/** struct policy_key (12 B): prefixlen @0, sec_label @4, egress bit0 @8, protocol @9, dport be16 @10. */
function key(prefixlen: number, identity: number, egress: boolean, proto: number, port: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(prefixlen, 0);
  b.writeUInt32LE(identity, 4);
  b[8] = egress ? 1 : 0;
  b[9] = proto;
  b.writeUInt16BE(port, 10);
  return b;
}

interface Value {
  proxyPort?: number;
  deny?: boolean;
  /** The auth_type byte as stored (1.17+: bit 7 is has_explicit_auth_type). */
  auth?: number;
  /** The protocol and port prefix (1.16+ keep it in the value too). */
  prefix: number;
  packets?: bigint;
  bytes?: bigint;
  cookie?: number;
}

/** struct policy_entry of that version: 24 B with counters ≤1.17, 8 B in 1.18, 12 B from 1.19. */
function value(version: string, v: Value): Buffer {
  const minor = Number(version.split('.')[1]);
  const b = Buffer.alloc(minor <= 17 ? 24 : minor === 18 ? 8 : 12);
  b.writeUInt16BE(v.proxyPort ?? 0, 0);
  // 1.14–15: deny bit0, wildcard_protocol bit1, wildcard_dport bit2; 1.16+: deny, lpm_prefix_length bits 3–7.
  b[2] = (v.deny ? 1 : 0) | (minor <= 15 ? (v.prefix === 0 ? 0b110 : v.prefix === 8 ? 0b100 : 0) : v.prefix << 3);
  b[3] = v.auth ?? 0;
  if (minor <= 17) {
    b.writeBigUInt64LE(v.packets ?? 0n, 8);
    b.writeBigUInt64LE(v.bytes ?? 0n, 16);
  }
  if (minor >= 19) b.writeUInt32LE(v.cookie ?? 0, 8);
  return b;
}

// The map's entries in the kernel's order: any egress (counted), TCP 80 from 12001 through a proxy
// with spire, deny TCP 8080-8095 from world, UDP from remote-node, deny TCP 443 to a CIDR identity,
// UDP 53 from 12001 (equal to the TCP 80 entry for the sort: the order between them is the sort's).
const ENTRIES: [Buffer, Value][] = [
  [key(40, 0, true, 0, 0), { prefix: 0, packets: 4n, bytes: 296n }],
  [key(64, 12001, false, 6, 80), { prefix: 24, proxyPort: 15001, auth: 0x81, packets: 10n, bytes: 1200n, cookie: 3 }],
  [key(60, 2, false, 6, 8080), { prefix: 20, deny: true, cookie: 9 }],
  [key(48, 6, false, 17, 0), { prefix: 8 }],
  [key(64, 0x1000001, true, 6, 443), { prefix: 24, deny: true }],
  [key(64, 12001, false, 17, 53), { prefix: 24 }],
];

function decode(version: string, entries = ENTRIES) {
  const keys = Buffer.concat(entries.map(([k]) => k));
  const values = Buffer.concat(entries.map(([, v]) => value(version, v)));
  return cilium.decode.policy(keys, values, entries.length, { version, map: `cilium_policy${Number(version.split('.')[1]) >= 17 ? '_v2' : ''}_00042` });
}

describe('cilium.format.policy: `cilium-dbg bpf policy get <id> -n` of each version', () => {
  it('1.14/1.15: deny first, ingress before egress, by identity; a partial port as 0x<port>/<bits>; the auth byte whole', () => {
    const text = [
      'POLICY   DIRECTION   IDENTITY   PORT/PROTO      PROXY PORT   AUTH TYPE               BYTES   PACKETS   PREFIX   ',
      'Deny     Ingress     2          0x1f90/12/TCP   NONE         disabled                0       0         20       ',
      'Deny     Egress      16777217   443/TCP         NONE         disabled                0       0         24       ',
      'Allow    Ingress     6          UDP             NONE         disabled                0       0         8        ',
      'Allow    Ingress     12001      80/TCP          15001        Unknown-auth-type-129   1200    10        24       ',
      'Allow    Ingress     12001      53/UDP          NONE         disabled                0       0         24       ',
      'Allow    Egress      0          ANY             NONE         disabled                296     4         0        ',
      '',
    ].join('\n');
    expect(cilium.format.policy(decode('1.14'))).toBe(text);
    expect(cilium.format.policy(decode('1.15'))).toBe(text);
  });

  it('1.16: a port range as first-last; 1.17: auth_type without the explicit bit', () => {
    const v116 = cilium.format.policy(decode('1.16')).split('\n');
    expect(v116[1]).toBe('Deny     Ingress     2          8080-8095/TCP   NONE         disabled                0       0         20       ');
    expect(v116[4]).toBe('Allow    Ingress     12001      80/TCP          15001        Unknown-auth-type-129   1200    10        24       ');
    expect(cilium.format.policy(decode('1.17'))).toBe([
      'POLICY   DIRECTION   IDENTITY   PORT/PROTO      PROXY PORT   AUTH TYPE   BYTES   PACKETS   PREFIX   ',
      'Deny     Ingress     2          8080-8095/TCP   NONE         disabled    0       0         20       ',
      'Deny     Egress      16777217   443/TCP         NONE         disabled    0       0         24       ',
      'Allow    Ingress     6          UDP             NONE         disabled    0       0         8        ',
      'Allow    Ingress     12001      80/TCP          15001        spire       1200    10        24       ',
      'Allow    Ingress     12001      53/UDP          NONE         disabled    0       0         24       ',
      'Allow    Egress      0          ANY             NONE         disabled    296     4         0        ',
      '',
    ].join('\n'));
  });

  it('1.18: counters from cilium_policystats, `-` for an entry it has no row for', () => {
    // decode.policy reads the policy map alone; cilium.policy() adds the stats map's counters.
    const records = decode('1.18');
    Object.assign(records[0], { packets: 4n, bytes: 296n });
    expect(cilium.format.policy(records)).toBe([
      'POLICY   DIRECTION   IDENTITY   PORT/PROTO      PROXY PORT   AUTH TYPE   BYTES   PACKETS   PREFIX   ',
      'Deny     Ingress     2          8080-8095/TCP   NONE         disabled    -       -         20       ',
      'Deny     Egress      16777217   443/TCP         NONE         disabled    -       -         24       ',
      'Allow    Ingress     6          UDP             NONE         disabled    -       -         8        ',
      'Allow    Ingress     12001      80/TCP          15001        spire       -       -         24       ',
      'Allow    Ingress     12001      53/UDP          NONE         disabled    -       -         24       ',
      'Allow    Egress      0          ANY             NONE         disabled    296     4         0        ',
      '',
    ].join('\n'));
  });

  it('1.19+: the cookie, the last column (unpadded); an empty map says so after the header', () => {
    const text = [
      'POLICY   DIRECTION   IDENTITY   PORT/PROTO      PROXY PORT   AUTH TYPE   BYTES   PACKETS   PREFIX   COOKIE',
      'Deny     Ingress     2          8080-8095/TCP   NONE         disabled    -       -         20       9',
      'Deny     Egress      16777217   443/TCP         NONE         disabled    -       -         24       0',
      'Allow    Ingress     6          UDP             NONE         disabled    -       -         8        0',
      'Allow    Ingress     12001      80/TCP          15001        spire       -       -         24       3',
      'Allow    Ingress     12001      53/UDP          NONE         disabled    -       -         24       0',
      'Allow    Egress      0          ANY             NONE         disabled    -       -         0        0',
      '',
    ].join('\n');
    expect(cilium.format.policy(decode('1.19'))).toBe(text);
    // Copies keep the version that decoded them.
    expect(cilium.format.policy([...decode('1.20')])).toBe(text);
    expect(cilium.format.policy([], { version: '1.19' })).toBe(
      'POLICY   DIRECTION   IDENTITY   PORT/PROTO   PROXY PORT   AUTH TYPE   BYTES   PACKETS   PREFIX   COOKIE\nPolicy stats empty. Perhaps the policy enforcement is disabled?\n');
    expect(cilium.format.policy([], { version: '1.14' })).toBe(
      'POLICY   DIRECTION   IDENTITY   PORT/PROTO   PROXY PORT   AUTH TYPE   BYTES   PACKETS   PREFIX   \nPolicy stats empty. Perhaps the policy enforcement is disabled?\n');
  });

  it('a prefix outside 0 and 8–24 is invalid: a u32 below 40 bits up to 1.17, a u8 from 1.18; a port range wraps at 16 bits', () => {
    const odd: [Buffer, Value][] = [[key(44, 7, false, 6, 0), { prefix: 4 }], [key(30, 8, false, 0, 0), { prefix: 0 }], [key(49, 9, false, 6, 0xffff), { prefix: 9 }]];
    const cells = (version: string) => cilium.format.policy(decode(version, odd)).split('\n').slice(1, 4).map((l) => l.split(/ {3,}/));
    expect(cells('1.17').map((c) => [c[3], c[8]])).toEqual([['<INVALID PREFIX LENGTH: 4>', '4'], ['<INVALID PREFIX LENGTH: 4294967286>', '4294967286'], ['65535-32766/TCP', '9']]);
    expect(cells('1.18').map((c) => [c[3], c[8]])).toEqual([['<INVALID PREFIX LENGTH: 4>', '4'], ['<INVALID PREFIX LENGTH: 246>', '246'], ['65535-32766/TCP', '9']]);
    expect(cells('1.15')[2][3]).toBe('0xffff/1/TCP');
    expect(() => cilium.format.policy('nope' as never)).toThrow(TypeError);
  });
});

describe('cilium policy stats (struct policy_stats_key 12 B, policy_stats_value 16 B per CPU)', () => {
  it('decodes the endpoint, the entry key and the counters summed over CPUs; the encoder writes the same bytes', () => {
    const k = Buffer.alloc(12);
    k.writeUInt16LE(42, 0); // endpoint_id
    k[3] = 20; // prefix_len
    k.writeUInt32LE(2, 4);
    k[8] = 1; // egress
    k[9] = 6;
    k.writeUInt16BE(8080, 10);
    const v = Buffer.alloc(32); // two CPUs
    v.writeBigUInt64LE(3n, 0);
    v.writeBigUInt64LE(300n, 8);
    v.writeBigUInt64LE(1n, 16);
    v.writeBigUInt64LE(60n, 24);
    const [r, ...none] = cilium.decode.policyStats(k, v, 1, { cpus: 2 });
    expect(none).toEqual([]);
    expect(r).toEqual({
      endpointId: 42, identity: 2, direction: 'egress', lpmPrefixLength: 20, protocol: 6, port: 8080, packets: 4n, bytes: 360n,
      perCpu: [{ packets: 3n, bytes: 300n }, { packets: 1n, bytes: 60n }],
    });
    expect(cilium.decode.policyStats(k, v, 1).layout).toMatchObject({ map: 'cilium_policystats', version: '1.20', keySize: 12, valueSize: 16 });
    expect(cilium.encode.policyStats([r], { cpus: 2 })).toMatchObject({ keys: k, values: v, map: 'cilium_policystats' });
    expect(cilium.layouts.policyStats.map((row) => [row.since, row.until])).toEqual([[18, 20]]);
  });
});

describe('cilium.format.policy: rows the sort takes as equal', () => {
  it("keep the records' order (the kernel's), as Go's sort.Slice keeps it in maps of up to 12 entries", () => {
    const rows = (entries: [Buffer, Value][]) => cilium.format.policy(decode('1.17', entries)).split('\n')
      .filter((line) => / 12001 /.test(line)).map((line) => line.split(/ {3,}/)[3]);
    expect(rows(ENTRIES)).toEqual(['80/TCP', '53/UDP']);
    expect(rows([...ENTRIES].reverse())).toEqual(['53/UDP', '80/TCP']);
  });
});

describe('cilium policy: the layout each version has', () => {
  it('the value size tells 1.14–1.17 (24), 1.18 (8) and 1.19+ (12) apart', () => {
    const k = key(64, 12345, false, 6, 80);
    const v24 = Buffer.alloc(24);
    v24.writeUInt16BE(15001, 0);
    v24[2] = 0b1001_0001; // 1.16+: deny + lpm_prefix_length 18; 1.14: deny + bits 4,7 (unnamed)
    v24[3] = 0x81; // 1.17: auth_type 1 + has_explicit_auth_type
    v24[4] = 7; // 1.17: proxy_port_priority
    v24.writeBigUInt64LE(5n, 8);
    v24.writeBigUInt64LE(500n, 16);
    const r17 = cilium.decode.policy(k, v24, 1);
    expect(r17.layout).toMatchObject({ version: '1.17', versionFrom: 'sizes' });
    expect(r17[0]).toEqual({
      identity: 12345, direction: 'ingress', prefixLength: 64, protocol: 6, port: 80, portPrefixLength: 16, proxyPort: 15001,
      deny: true, authType: 1, hasExplicitAuthType: true, proxyPortPriority: 7, lpmPrefixLength: 18, packets: 5n, bytes: 500n,
    });
    const r14 = cilium.decode.policy(k, v24, 1, { version: '1.14' })[0];
    expect(r14).toMatchObject({ deny: true, wildcardProtocol: false, wildcardPort: false, authType: 0x81, packets: 5n });
    expect(r14.hasExplicitAuthType).toBeUndefined();

    const v8 = v24.subarray(0, 8);
    // The sizes win over a version they contradict, and the result says so.
    expect(cilium.decode.policy(k, v8, 1, { version: '1.14' }).layout).toMatchObject({ version: '1.18', versionFrom: 'sizes', valueSize: 8 });
    expect(cilium.decode.policy(k, v24, 1, { version: '1.16' }).layout).toMatchObject({ version: '1.16', versionFrom: 'option', map: 'cilium_policy' });
    const r18 = cilium.decode.policy(k, v8, 1)[0];
    expect(r18).toMatchObject({ proxyPort: 15001, deny: true, authType: 1, proxyPortPriority: 7 });
    expect(r18.packets).toBeUndefined();

    const v12 = Buffer.alloc(12);
    v12.writeUInt32LE(1000, 4);
    v12.writeUInt32LE(77, 8);
    const r19 = cilium.decode.policy(key(40, 2, true, 0, 0), v12, 1)[0];
    expect(r19).toMatchObject({ identity: 2, identityName: 'world', direction: 'egress', prefixLength: 40, portPrefixLength: 0, precedence: 1000, cookie: 77 });
    expect(r19.protocol).toBeUndefined(); // prefix 40: any protocol

    // 1.14's two wildcard bits, each on its own.
    const wild = Buffer.from(v24);
    wild[2] = 0b100; // wildcard_dport only
    expect(cilium.decode.policy(k, wild, 1, { version: '1.14' })[0]).toMatchObject({ deny: false, wildcardProtocol: false, wildcardPort: true });
    wild[2] = 0b010; // wildcard_protocol only
    expect(cilium.decode.policy(k, wild, 1, { version: '1.14' })[0]).toMatchObject({ wildcardProtocol: true, wildcardPort: false });
    // Prefix 48: the protocol and any port; identity 0 (any) has no reserved name; a prefix past 64 still means 16 port bits.
    const anyPort = cilium.decode.policy(key(48, 0, false, 17, 0), v12, 1)[0];
    expect(anyPort).toMatchObject({ protocol: 17, portPrefixLength: 0 });
    expect(anyPort.identityName).toBeUndefined();
    expect(cilium.decode.policy(key(80, 5, false, 6, 80), v12, 1)[0].portPrefixLength).toBe(16);
  });

  it("the map's name tells 24-byte values apart: cilium_policy_<id> is ≤1.16, cilium_policy_v2_<id> 1.17+", () => {
    // cilium-maps.md §5.2: the per-endpoint map is `cilium_policy_<EPID %05d>` up to 1.16 and
    // `cilium_policy_v2_<EPID %05d>` from 1.17; its value is 24 bytes in 1.14–1.17.
    const k = key(64, 12345, false, 6, 80);
    const v24 = Buffer.alloc(24);
    v24[2] = 0b1001_0001; // deny; 1.16: lpm_prefix_length 18
    v24[3] = 0x81; // 1.16: auth_type 0x81; 1.17: auth_type 1 + has_explicit_auth_type
    const old = cilium.decode.policy(k, v24, 1, { map: 'cilium_policy_00042' });
    expect(old.layout).toMatchObject({ map: 'cilium_policy_00042', version: '1.16', versionFrom: 'sizes' });
    expect(old[0]).toMatchObject({ deny: true, authType: 0x81, lpmPrefixLength: 18 });
    expect(old[0].hasExplicitAuthType).toBeUndefined();
    // A version the name contradicts loses to the name, as it does to the sizes.
    expect(cilium.decode.policy(k, v24, 1, { map: 'cilium_policy_00042', version: '1.17' }).layout).toMatchObject({ version: '1.16', versionFrom: 'sizes' });
    expect(cilium.decode.policy(k, v24, 1, { map: 'cilium_policy_00042', version: '1.14' }).layout).toMatchObject({ version: '1.14', versionFrom: 'option' });
    const v2 = cilium.decode.policy(k, v24, 1, { map: 'cilium_policy_v2_00042' });
    expect(v2.layout).toMatchObject({ map: 'cilium_policy_v2_00042', version: '1.17', versionFrom: 'sizes' });
    expect(v2[0]).toMatchObject({ authType: 1, hasExplicitAuthType: true });
  });

  it('the encoder writes prefix lengths 40 (any), 48 (protocol) and 64 (port)', () => {
    const packed = cilium.encode.policy([
      { identity: 2, direction: 'egress' },
      { identity: 5, direction: 'ingress', protocol: 17 },
      { identity: 12345, direction: 'ingress', protocol: 6, port: 80, proxyPort: 15001 },
    ], { version: '1.19' });
    expect(packed.keys).toEqual(Buffer.concat([key(40, 2, true, 0, 0), key(48, 5, false, 17, 0), key(64, 12345, false, 6, 80)]));
    expect(packed.valueSize).toBe(12);
    expect(packed.values.readUInt16BE(24)).toBe(15001);
    // A port range: the port's first 8 bits only.
    expect(cilium.encode.policy([{ identity: 7, direction: 'ingress', protocol: 6, port: 0x1f00, portPrefixLength: 8 }]).keys).toEqual(key(56, 7, false, 6, 0x1f00));
    expect(cilium.names.policyMaps(42)).toEqual(['cilium_policy_v2_00042', 'cilium_policy_00042']);
  });
});

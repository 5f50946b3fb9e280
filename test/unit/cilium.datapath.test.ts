// Conntrack and load-balancer maps: bytes laid out by hand from cilium-maps.md §5, decoded
// per version.
import { describe, expect, it } from 'vitest';
import { cilium } from 'bpfscope';
import { ctEntry } from '../helpers/conntrack';

const v4 = (ip: string) => Buffer.from(ip.split('.').map(Number));

describe('cilium conntrack', () => {
  /** struct ipv4_ct_tuple (14 B packed): daddr @0, saddr @4, dport be16 @8, sport be16 @10, nexthdr @12, flags @13. */
  const tuple = Buffer.concat([v4('10.0.1.15'), v4('10.0.2.7'), Buffer.from([0x00, 0x50, 0x9c, 0x40, 6, 1])]);
  const entry = ctEntry;

  it('decodes the tuple and the 1.16 entry (backend_id, packets, bytes, ifindex)', () => {
    const records = cilium.decode.conntrack(tuple, entry({ q8: 9n, q16: 10n, q24: 1500n, at40: 12 }), 1, { version: '1.16' });
    expect(records.layout).toMatchObject({ map: 'cilium_ct4_global', keySize: 14, valueSize: 56 });
    expect(records[0]).toEqual({
      family: 'ipv4', map: 'cilium_ct4_global', daddr: '10.0.1.15', saddr: '10.0.2.7', dport: 80, sport: 40000, protocol: 6,
      direction: 'in', related: false, service: false, lifetime: 21600, flags: ['seen_non_syn', 'from_tunnel'], rawFlags: 0x410,
      revNatIndex: 5, backendId: 9n, packets: 10n, bytes: 1500n, ifindex: 12, txFlagsSeen: 0x12, rxFlagsSeen: 0x10,
      srcSecId: 12345, lastTxReport: 100, lastRxReport: 200,
    });
  });

  it('1.14/1.15: rx/tx counters; 1.20-dev: nat_port (be16) at byte 40', () => {
    const old = cilium.decode.conntrack(tuple, entry({ q0: 1n, q8: 2n, q16: 3n, q24: 4n, at40: 7 }), 1, { version: '1.15' })[0];
    expect(old).toMatchObject({ rxPackets: 1n, rxBytes: 2n, txPackets: 3n, txBytes: 4n, ifindex: 7 });
    expect(old.packets).toBeUndefined();
    expect(old.backendId).toBeUndefined(); // not a service tuple
    // A service tuple of 1.14/1.15 keeps its backend id in rx_bytes.
    const serviceTuple = Buffer.from(tuple);
    serviceTuple[13] = 4; // TUPLE_F_SERVICE
    const service = cilium.decode.conntrack(serviceTuple, entry({ q8: 42n }), 1, { version: '1.14' })[0];
    expect(service).toMatchObject({ service: true, direction: 'out', backendId: 42n, rxBytes: 42n });
    const newest = cilium.decode.conntrack(tuple, entry({ at40: 0x1f90 }), 1)[0];
    expect(newest.natPort).toBe(0x901f);
    expect(newest.ifindex).toBeUndefined();
  });

  it('1.18: nothing at byte 40; 1.19+: nat_addr where a service entry has its backend, and nat_port', () => {
    expect(cilium.decode.conntrack(tuple, entry({ q8: 9n, at40: 12 }), 1, { version: '1.17' })[0]).toMatchObject({ backendId: 9n, ifindex: 12 });
    const v118 = cilium.decode.conntrack(tuple, entry({ q8: 9n, at40: 12 }), 1, { version: '1.18' })[0];
    expect(v118).toMatchObject({ backendId: 9n, packets: 0n, revNatIndex: 5 });
    expect([v118.ifindex, v118.natPort, v118.natAddr]).toEqual([undefined, undefined, undefined]);
    // An egress entry of a SNATed connection: nat_addr 192.0.2.50 (its first 4 bytes), port 40000.
    const nat = entry({ q0: BigInt(v4('192.0.2.50').readUInt32LE(0)), at40: 0x409c });
    const v119 = cilium.decode.conntrack(tuple, nat, 1, { version: '1.19' })[0];
    expect(v119).toMatchObject({ natAddr: '192.0.2.50', natPort: 40000, packets: 0n });
    expect(v119.backendId).toBeUndefined();
    const serviceTuple = Buffer.from(tuple);
    serviceTuple[13] = 4; // TUPLE_F_SERVICE
    const service = cilium.decode.conntrack(serviceTuple, entry({ q8: 42n }), 1, { version: '1.19' })[0];
    expect(service).toMatchObject({ service: true, backendId: 42n });
    expect(service.natAddr).toBeUndefined();
    const packed = cilium.encode.conntrack([{ daddr: '10.0.1.15', saddr: '10.0.2.7', dport: 80, sport: 40000, protocol: 6, direction: 'in', natAddr: '192.0.2.50', natPort: 40000 }], { version: '1.19' });
    expect(cilium.decode.conntrack(packed.keys, packed.values, 1, { version: '1.19' })[0]).toMatchObject({ natAddr: '192.0.2.50', natPort: 40000, revNatIndex: 0 });
  });

  it('names flag bits as each version\'s struct ct_entry does: nat46 in 1.14 only, dsr up to 1.15, dsr_internal after', () => {
    const flagsOf = (bits: number, version: string) => {
      const value = entry({});
      value.writeUInt16LE(bits, 36);
      return cilium.decode.conntrack(tuple, value, 1, { version })[0].flags;
    };
    // Bit 2 (nat46, unused since 1.12: unused_nat46 in 1.15, reserved1 from 1.16), bit 7, bit 9 (reserved).
    expect(flagsOf(0b10_1000_0101, '1.14')).toEqual(['rx_closing', 'nat46', 'dsr']);
    expect(flagsOf(0b10_1000_0101, '1.15')).toEqual(['rx_closing', 'dsr']);
    expect(flagsOf(0b10_1000_0101, '1.16')).toEqual(['rx_closing', 'dsr_internal']);
    expect(flagsOf(0b10_1000_0101, '1.20')).toEqual(['rx_closing', 'dsr_internal']);
  });

  it('IPv6 tuples (38 B) pick the ct6 layout; the encoder writes the same bytes', () => {
    const t6 = Buffer.alloc(38);
    Buffer.from('fd000000000000000000000000000a0f', 'hex').copy(t6, 0);
    Buffer.from('fd000000000000000000000000000001', 'hex').copy(t6, 16);
    t6.writeUInt16BE(443, 32);
    t6.writeUInt16BE(5555, 34);
    t6[36] = 17;
    t6[37] = 4 | 2; // SERVICE | RELATED
    const [r] = cilium.decode.conntrack(t6, entry({}), 1, { version: '1.17' });
    expect(r).toMatchObject({ family: 'ipv6', map: 'cilium_ct6_global', daddr: 'fd00::a0f', saddr: 'fd00::1', dport: 443, sport: 5555, protocol: 17, direction: 'out', related: true, service: true });
    const packed = cilium.encode.conntrack([{ daddr: 'fd00::a0f', saddr: 'fd00::1', dport: 443, sport: 5555, protocol: 17, related: true, service: true }], { family: 6 });
    expect(packed.keys).toEqual(t6);
  });
});

describe('cilium.format.conntrack: `cilium-dbg bpf ct list global` of each version', () => {
  const tuple = (flags: number, nexthdr = 6) => Buffer.concat([v4('10.0.1.15'), v4('10.0.2.7'), Buffer.from([0x00, 0x50, 0x9c, 0x40, nexthdr, flags])]);
  const entry = ctEntry;
  const decode = (k: Buffer, v: Buffer, version: string) => cilium.decode.conntrack(k, v, 1, { version });
  // The stored addresses are reversed (daddr holds the source): Dump swaps them back, not the ports.
  const inbound = 'TCP IN 10.0.1.15:40000 -> 10.0.2.7:80 ';
  const seen = 'RxFlagsSeen=0x10 LastRxReport=200';
  const txSeen = 'TxFlagsSeen=0x12 LastTxReport=100';
  const flags = 'Flags=0x0410 [ SeenNonSyn FromTunnel ]';

  it('prints each version\'s counters and tail, Go\'s %#04x and %#02x, and an empty line after each map', () => {
    expect(cilium.format.conntrack(decode(tuple(1), entry({ q0: 1n, q8: 2n, q16: 3n, q24: 4n, at40: 7 }), '1.14'))).toBe(
      `${inbound}expires=21600 RxPackets=1 RxBytes=2 ${seen} TxPackets=3 TxBytes=4 ${txSeen} ${flags} RevNAT=5 SourceSecurityID=12345 IfIndex=7 \n\n`);
    expect(cilium.format.conntrack(decode(tuple(1), entry({ q8: 9n, q16: 10n, q24: 1500n, at40: 12 }), '1.16'))).toBe(
      `${inbound}expires=21600 Packets=10 Bytes=1500 ${seen} ${txSeen} ${flags} RevNAT=5 SourceSecurityID=12345 IfIndex=12 BackendID=9 \n\n`);
    expect(cilium.format.conntrack(decode(tuple(1), entry({ q8: 9n, q16: 10n, q24: 1500n, at40: 12 }), '1.18'))).toBe(
      `${inbound}expires=21600 Packets=10 Bytes=1500 ${seen} ${txSeen} ${flags} RevNAT=5 SourceSecurityID=12345 BackendID=9 \n\n`);
    // 1.19+: BackendID is the u64 at byte 8 of every entry (here the zero half of an IPv4 nat_addr).
    expect(cilium.format.conntrack(decode(tuple(1), entry({ q0: BigInt(v4('192.0.2.50').readUInt32LE(0)), at40: 0x409c }), '1.19'))).toBe(
      `${inbound}expires=21600 Packets=0 Bytes=0 ${seen} ${txSeen} ${flags} RevNAT=5 SourceSecurityID=12345 BackendID=0 NatPort=40000 \n\n`);
  });

  it('service and related tuples, flag names and unknown bits, per version', () => {
    const service = (version: string) => cilium.format.conntrack(decode(tuple(4 | 2), entry({ flags: 0x80 | 0x1 }), version)).split('expires')[0];
    expect(service('1.14')).toBe('TCP OUT 10.0.1.15:40000 -> 10.0.2.7:80 related service ');
    expect(service('1.15')).toBe('TCP SVC 10.0.2.7:80 -> 10.0.1.15:40000 related ');
    const flagsOf = (f: number, version: string) => /Flags=\S+ \[[^\]]*\]/.exec(cilium.format.conntrack(decode(tuple(0), entry({ flags: f }), version)))![0];
    expect(flagsOf(0x81, '1.15')).toBe('Flags=0x0081 [ RxClosing DSR ]');
    expect(flagsOf(0x81, '1.16')).toBe('Flags=0x0081 [ RxClosing DSRInternal ]');
    // Bit 9 is reserved: neither named nor unknown; bits past from_tunnel are unknown.
    expect(flagsOf(0x1a00, '1.20')).toBe('Flags=0x1a00 [ Unknown=0x1800 ]');
    expect(flagsOf(0, '1.20')).toBe('Flags=0x0000 [ ]');
  });

  it('names protocols as that version does, leaves out protocol 0, and prints the maps read in order', () => {
    const vrrp = (version: string) => cilium.format.conntrack(decode(tuple(0, 112), entry(), version)).split(' ')[0];
    expect([vrrp('1.18'), vrrp('1.19')]).toEqual(['112', 'VRRP']);
    expect(cilium.format.conntrack(decode(tuple(0, 0), entry(), '1.20'))).toBe('\n');
    const tcp = decode(tuple(1), entry(), '1.18');
    const packedUdp = cilium.encode.conntrack([{ daddr: 'fd00::1', saddr: '::ffff:10.0.0.9', dport: 53, sport: 5353, protocol: 17, direction: 'out' }], { family: 6, version: '1.18' });
    const udp6 = cilium.decode.conntrack(packedUdp.keys, packedUdp.values, 1, { version: '1.18' });
    const text = cilium.format.conntrack([...udp6, ...tcp], { families: [4, 6] });
    // cilium_ct4_global, cilium_ct_any4_global (empty), cilium_ct6_global (the UDP entry's map as read), cilium_ct_any6_global.
    const lines = text.split('\n');
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['TCP', '', '', 'UDP', '', '', '']);
    expect(lines[0]).toMatch(/^TCP IN 10\.0\.1\.15:40000 -> 10\.0\.2\.7:80 /);
    // Up to 1.19 an IPv4-mapped IPv6 address prints dotted, as Go's net.IP does; netip after.
    expect(text).toContain('UDP OUT fd00::1:5353 -> 10.0.0.9:53 ');
    expect(cilium.format.conntrack(udp6, { version: '1.20' })).toContain('UDP OUT fd00::1:5353 -> ::ffff:10.0.0.9:53 ');
    expect(() => cilium.format.conntrack(tcp, { families: [5 as never] })).toThrow(RangeError);
  });

  it('with a clock, what --time-diff adds: the seconds left before the entry expires', () => {
    const text = (version: string, clock: { mode: 'ktime' | 'jiffies'; hertz?: number; now: bigint }) => cilium.format.conntrack(decode(tuple(1), entry(), version), { clock });
    expect(text('1.14', { mode: 'ktime', now: 21000n })).toMatch(/^TCP IN 10\.0\.1\.15:40000 -> 10\.0\.2\.7:80 expires=21600 \(remaining: 600 sec\(s\)\) RxPackets=0 /);
    expect(text('1.20', { mode: 'ktime', now: 21605n })).toContain(' expires=21600 (remaining: -5 sec(s)) Packets=0 ');
    // (21600 << 8) / 250 = 22118 (22118.4), (20000 << 8) / 250 = 20480.
    expect(text('1.18', { mode: 'jiffies', hertz: 250, now: 20000n })).toContain(' expires=21600 (remaining: 1638 sec(s)) Packets=0 ');
    expect(() => text('1.18', { mode: 'jiffies', now: 1n })).toThrow(RangeError);
  });
});

describe('cilium.format.lb and .revNat: `cilium-dbg bpf lb list [--revnat]` of each version', () => {
  const base = { address: '10.96.0.10', port: 53, protocol: 17, scope: 0, count: 0, revNatIndex: 1, flags: 0, flags2: 0 };
  // A ClusterIP service with two slots, one of whose backends is gone; an internal-scope IPv6
  // NodePort with externalTrafficPolicy Local, an L7 load balancer (its proxy port where others keep
  // the affinity timeout), bits 14 and 15 set.
  const services = [
    { ...base, backendSlot: 0, affinityTimeout: 0, count: 2, flags: 0x40 },
    { ...base, backendSlot: 1, backendId: 7 },
    { ...base, backendSlot: 2, backendId: 9 },
    { ...base, address: 'fd00::96:a', port: 443, protocol: 6, scope: 1, backendSlot: 0, l7ProxyPort: 8080, revNatIndex: 2, flags: 0x40 | 0x2 | 0x4, flags2: 0x80 | 0x40 | 0x04 },
    { ...base, address: 'fd00::96:a', port: 443, protocol: 6, scope: 1, backendSlot: 1, backendId: 8, revNatIndex: 2 },
  ];
  const backends = [
    { backendId: 7, address: '10.0.1.15', port: 5353, protocol: 17, flags: 0, clusterId: 0 },
    { backendId: 8, address: '::ffff:10.0.1.16', port: 8443, protocol: 6, flags: 0, clusterId: 3 },
  ];
  const lines = (version: string) => cilium.format.lb({ services, backends }, { version }).split('\n');

  it('1.14: the slot in each key, no protocol, the L7 proxy port after the flags', () => {
    // Go's tabwriter: the widest cell of the column and 3 spaces of padding, the last column's too.
    const widest = '[::]:0 (2) (0) [NodePort, Local, l7-load-balancer] (L7LB Proxy Port: 8080)';
    const pad = (cell: string) => cell.padEnd(widest.length + 3);
    expect(lines('1.14')).toEqual([
      'SERVICE ADDRESS          BACKEND ADDRESS (REVNAT_ID) (SLOT)',
      `10.96.0.10:53 (0)        ${pad('0.0.0.0:0 (1) (0) [ClusterIP] ')}`,
      `10.96.0.10:53 (1)        ${pad('10.0.1.15:5353 (1) (1)')}`,
      `10.96.0.10:53 (2)        ${pad('backend 9 not found')}`,
      `[fd00::96:a]:443/i (0)   ${pad(widest)}`,
      // net.IP prints an IPv4-mapped address dotted.
      `[fd00::96:a]:443/i (1)   ${pad('[10.0.1.16]:8443 (2) (1)')}`,
      '',
    ]);
  });

  it('1.15: one key per service, its entries sorted under it, and no proxy port', () => {
    expect(lines('1.15').map((l) => l.trimEnd())).toEqual([
      'SERVICE ADDRESS      BACKEND ADDRESS (REVNAT_ID) (SLOT)',
      '10.96.0.10:53        0.0.0.0:0 (1) (0) [ClusterIP]',
      '                     10.0.1.15:5353 (1) (1)',
      '                     backend 9 not found',
      '[fd00::96:a]:443/i   [10.0.1.16]:8443 (2) (1)',
      '                     [::]:0 (2) (0) [NodePort, Local, l7-load-balancer]',
      '',
    ]);
  });

  it('1.17+: protocols, quarantined and dsr; 1.19+: backends as netip with their cluster', () => {
    const v117 = lines('1.17');
    expect(v117[0]).toBe('SERVICE ADDRESS              BACKEND ADDRESS (REVNAT_ID) (SLOT)');
    expect(v117.slice(1).map((l) => l.split(/ {3,}/).slice(0, 2))).toEqual([
      ['10.96.0.10:53/UDP (0)', '0.0.0.0:0 (1) (0) [ClusterIP]'],
      ['10.96.0.10:53/UDP (1)', '10.0.1.15:5353/UDP (1) (1)'],
      ['10.96.0.10:53/UDP (2)', 'backend 9 not found'],
      ['[fd00::96:a]:443/TCP/i (0)', '[::]:0 (2) (0) [NodePort, Local, l7-load-balancer, quarantined, dsr] (L7LB Proxy Port: 8080)'],
      ['[fd00::96:a]:443/TCP/i (1)', '[10.0.1.16]:8443/TCP (2) (1)'],
      [''],
    ]);
    expect(lines('1.19')[5]).toMatch(/^\[fd00::96:a\]:443\/TCP\/i \(1\) {3}\[::ffff:10\.0\.1\.16@3\]:8443\/TCP \(2\) \(1\) +$/);
  });

  it('flag words: the type by precedence, deny under a source range from 1.17, delegate-if-local from 1.18', () => {
    const flagsOf = (flags: number, version: string) => /\[([^\]]*)\]/.exec(cilium.format.lb({ services: [{ ...base, backendSlot: 0, flags: flags & 0xff, flags2: flags >> 8 }], backends: [] }, { version }))![1];
    // ExternalIPs wins over NodePort; no routable bit: non-routable.
    expect(flagsOf(0x1 | 0x2 | 0x10 | 0x200, '1.16')).toBe('ExternalIPs, sessionAffinity, non-routable, 46x64');
    expect(flagsOf(0x40 | 0x80 | 0x4000, '1.16')).toBe('ClusterIP, check source-range');
    expect(flagsOf(0x40 | 0x80 | 0x4000, '1.17')).toBe('ClusterIP, check source-range, deny');
    expect(flagsOf(0x40 | 0x4000 | 0x1000 | 0x2000, '1.17')).toBe('ClusterIP, InternalLocal, two-scopes, quarantined');
    expect(flagsOf(0x40 | 0x800, '1.17')).toBe('ClusterIP, loopback');
    expect(flagsOf(0x40 | 0x800, '1.18')).toBe('ClusterIP, delegate-if-local');
    expect(flagsOf(0x40 | 0x8 | 0x800, '1.18')).toBe('HostPort, loopback');
    expect(flagsOf(0x40 | 0x20 | 0x100, '1.20')).toBe('LoadBalancer');
    expect(flagsOf(0x40 | 0x100, '1.20')).toBe('LocalRedirect');
  });

  it('copies of decoded records keep the version that decoded them, as the formatters read it', () => {
    const packed = cilium.encode.services([{ address: '10.96.0.10', port: 53, backendSlot: 0 }], { version: '1.15' });
    const services = [...cilium.decode.services(packed.keys, packed.values, 1, { version: '1.15' })];
    expect(cilium.format.lb({ services, backends: [] }).split('\n')[1]).toMatch(/^10\.96\.0\.10:53 {3,}0\.0\.0\.0:0 \(0\) \(0\) \[ClusterIP, non-routable\] *$/); // 1.15: no slot in the key
    const revNat = cilium.encode.revNat([{ revNatIndex: 3, address: '::ffff:10.0.0.1', port: 53 }], { family: 6 });
    const copy = [...cilium.decode.revNat(revNat.keys, revNat.values, 1, { version: '1.19' })];
    expect(cilium.format.revNat(copy)).toContain('3    10.0.0.1:53'); // net.IP, up to 1.19
  });

  it('--revnat: index → address:port, IPv6 in brackets', () => {
    const revNat = [{ revNatIndex: 2, address: 'fd00::96:a', port: 443 }, { revNatIndex: 1, address: '10.96.0.10', port: 53 }];
    expect(cilium.format.revNat(revNat, { version: '1.18' })).toBe('ID   BACKEND ADDRESS (REVNAT_ID) (SLOT)\n1    10.96.0.10:53      \n2    [fd00::96:a]:443   \n');
    expect(() => cilium.format.lb(services as never)).toThrow(TypeError);
  });
});

describe('cilium load balancer', () => {
  it('services: the service entry and a backend slot (1.17 qcount)', () => {
    const key = (slot: number) => Buffer.concat([v4('10.96.0.10'), Buffer.from([0x00, 0x35]), Buffer.from([slot, 0]), Buffer.from([17, 0, 0, 0])]);
    const value = (u32: number, count: number, qcount: number) => {
      const b = Buffer.alloc(12);
      b.writeUInt32LE(u32, 0);
      b.writeUInt16LE(count, 4);
      b.writeUInt16BE(3, 6); // rev_nat_index, in network order
      b.writeUInt8(0x40, 8);
      b.writeUInt16LE(qcount, 10);
      return b;
    };
    const keys = Buffer.concat([key(0), key(1)]);
    const values = Buffer.concat([value(10800, 2, 1), value(42, 0, 0)]);
    const records = cilium.decode.services(keys, values, 2, { version: '1.17' });
    expect(records[0]).toEqual({ address: '10.96.0.10', port: 53, backendSlot: 0, protocol: 17, scope: 0, affinityTimeout: 10800, algorithm: 0, count: 2, revNatIndex: 3, flags: 0x40, flags2: 0, qcount: 1 });
    expect(records[1]).toMatchObject({ backendSlot: 1, backendId: 42 });
    expect(cilium.decode.services(keys, values, 2, { version: '1.16' })[0].qcount).toBeUndefined();
    // From 1.17 the upper 8 bits are the algorithm (SetLbAlg, for every service: 1 random, 2 maglev).
    for (const version of ['1.17', '1.19', '1.20']) {
      expect(cilium.decode.services(key(0), value((2 << 24) | 30, 1, 0), 1, { version })[0]).toMatchObject({ affinityTimeout: 30, algorithm: 2 });
      expect(cilium.decode.services(key(0), value(1 << 24, 1, 0), 1, { version })[0]).toMatchObject({ affinityTimeout: 0, algorithm: 1 });
    }
    // Before 1.17 the whole u32 is the timeout, and there is no algorithm.
    const before = cilium.decode.services(key(0), value((2 << 24) | 30, 1, 0), 1, { version: '1.16' })[0];
    expect(before.affinityTimeout).toBe((2 << 24) | 30);
    expect(before.algorithm).toBeUndefined();
    const service = { address: '10.96.0.10', port: 53, backendSlot: 0, protocol: 17, affinityTimeout: 30, algorithm: 2, count: 1, revNatIndex: 3, flags: 0x40 };
    expect(cilium.encode.services([service], { version: '1.20' }).values.readUInt32LE(0)).toBe((2 << 24) | 30);
    expect(cilium.encode.services([service], { version: '1.17' }).values.readUInt32LE(0)).toBe((2 << 24) | 30);
    expect(cilium.encode.services([{ ...service, algorithm: 0 }], { version: '1.16' }).values.readUInt32LE(0)).toBe(30);
    expect(cilium.encode.services([{ address: '10.96.0.10', port: 53, backendSlot: 1, protocol: 17, backendId: 42, revNatIndex: 3, flags: 0x40 }], { version: '1.17' }).keys).toEqual(key(1));
  });

  it('services: an L7 load-balanced service entry holds the proxy port, in network order, where others keep timeout and algorithm', () => {
    // 10.96.0.20:80/TCP, slot 0; lb4_service with flags2 SVC_FLAG_L7LOADBALANCER (0x04) and the port
    // as the agent writes it: BackendID = uint32(HostToNetwork16(15001)), so bytes 0..1 are 0x3a 0x99.
    const key = Buffer.concat([v4('10.96.0.20'), Buffer.from([0, 80, 0, 0, 6, 0, 0, 0])]);
    const value = Buffer.from([0x3a, 0x99, 0, 0, 1, 0, 0, 7, 0x40, 0x04, 0, 0]);
    for (const version of ['1.14', '1.16', '1.17', '1.20']) {
      const [r] = cilium.decode.services(key, value, 1, { version });
      expect(r).toMatchObject({ l7ProxyPort: 15001, count: 1, revNatIndex: 7, flags2: 0x04 });
      expect(r.affinityTimeout).toBeUndefined();
      expect(r.algorithm).toBeUndefined();
    }
    const record = cilium.decode.services(key, value, 1, { version: '1.17' })[0];
    expect(cilium.encode.services([record], { version: '1.17' }).values).toEqual(value);
    // Without the flag the same bytes are a timeout (and from 1.17 an algorithm).
    const plain = Buffer.from(value);
    plain[9] = 0;
    expect(cilium.decode.services(key, plain, 1, { version: '1.16' })[0]).toMatchObject({ affinityTimeout: 0x993a });
    expect(cilium.decode.services(key, plain, 1, { version: '1.16' })[0].l7ProxyPort).toBeUndefined();
  });

  it('backends: cluster_id u8 (1.14), u16 (1.15), plus zone (1.16+)', () => {
    const value = Buffer.concat([v4('10.0.1.15'), Buffer.from([0x1f, 0x90, 6, 0, 0x02, 0x01, 9, 0])]);
    const key = Buffer.from([42, 0, 0, 0]);
    expect(cilium.decode.backends(key, value, 1, { version: '1.14' })[0]).toEqual({ backendId: 42, address: '10.0.1.15', port: 8080, protocol: 6, flags: 0, clusterId: 2 });
    expect(cilium.decode.backends(key, value, 1, { version: '1.15' })[0]).toEqual({ backendId: 42, address: '10.0.1.15', port: 8080, protocol: 6, flags: 0, clusterId: 258 });
    expect(cilium.decode.backends(key, value, 1)[0]).toMatchObject({ clusterId: 258, zone: 9 });
  });

  it('reverse NAT: the index (in network order, as the services keep it) → address and port', () => {
    const [r] = cilium.decode.revNat(Buffer.from([0, 3]), Buffer.concat([v4('10.96.0.10'), Buffer.from([0, 53])]), 1);
    expect(r).toEqual({ revNatIndex: 3, address: '10.96.0.10', port: 53 });
    expect(cilium.encode.revNat([r]).values).toEqual(Buffer.concat([v4('10.96.0.10'), Buffer.from([0, 53])]));
  });
});

describe('cilium load balancer, IPv6 (lb6_*: a 16-byte address where lb4 has 4, every later field 12 bytes on)', () => {
  /** fd00::a:10 as 16 bytes. */
  const addr = Buffer.from([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0, 0x10]);

  it('services: struct lb6_key (24 B) with struct lb6_service (12 B, as lb4)', () => {
    // address @0, dport be16 @16, backend_slot u16 @18, proto @20, scope @21, pad[2].
    const key = (slot: number) => Buffer.concat([addr, Buffer.from([0x01, 0xbb, slot, 0, 6, 1, 0, 0])]);
    const value = Buffer.alloc(12);
    value.writeUInt32LE(77, 0); // backend_id of slot 1
    value.writeUInt16LE(0, 4);
    value.writeUInt16BE(9, 6); // rev_nat_index, in network order
    const [r] = cilium.decode.services(key(1), value, 1, { version: '1.17' });
    expect(r).toEqual({ address: 'fd00::a:10', port: 443, backendSlot: 1, protocol: 6, scope: 1, backendId: 77, count: 0, revNatIndex: 9, flags: 0, flags2: 0, qcount: 0 });
    const packed = cilium.encode.services([{ address: 'fd00::a:10', port: 443, backendSlot: 1, protocol: 6, scope: 1, backendId: 77, revNatIndex: 9 }], { version: '1.17', family: 6 });
    expect(packed).toMatchObject({ keySize: 24, valueSize: 12, map: 'cilium_lb6_services_v2' });
    expect(packed.keys).toEqual(key(1));
    expect(packed.values).toEqual(value);
  });

  it('backends: struct lb6_backend (24 B), cluster_id u8 (1.14), u16 (1.15), plus zone (1.16+)', () => {
    // address @0, port be16 @16, proto @18, flags @19, cluster_id @20, zone @22.
    const value = Buffer.concat([addr, Buffer.from([0x1f, 0x90, 6, 0, 0x02, 0x01, 9, 0])]);
    const key = Buffer.from([42, 0, 0, 0]);
    expect(cilium.decode.backends(key, value, 1, { version: '1.14' })[0]).toEqual({ backendId: 42, address: 'fd00::a:10', port: 8080, protocol: 6, flags: 0, clusterId: 2 });
    expect(cilium.decode.backends(key, value, 1, { version: '1.15' })[0]).toEqual({ backendId: 42, address: 'fd00::a:10', port: 8080, protocol: 6, flags: 0, clusterId: 258 });
    expect(cilium.decode.backends(key, value, 1)[0]).toEqual({ backendId: 42, address: 'fd00::a:10', port: 8080, protocol: 6, flags: 0, clusterId: 258, zone: 9 });
    expect(cilium.encode.backends([{ backendId: 42, address: 'fd00::a:10', port: 8080, protocol: 6, clusterId: 258, zone: 9 }], { family: 6 }).values).toEqual(value);
    // An IPv4 backend is still told apart by its 12 bytes.
    expect(cilium.decode.backends(key, Buffer.concat([v4('10.0.1.15'), Buffer.from([0x1f, 0x90, 6, 0, 0x02, 0x01, 9, 0])]), 1)[0].address).toBe('10.0.1.15');
  });

  it('reverse NAT: struct lb6_reverse_nat (18 B packed)', () => {
    const value = Buffer.concat([addr, Buffer.from([0, 53])]);
    const [r] = cilium.decode.revNat(Buffer.from([0, 3]), value, 1);
    expect(r).toEqual({ revNatIndex: 3, address: 'fd00::a:10', port: 53 });
    expect(cilium.encode.revNat([r], { family: 6 }).keys).toEqual(Buffer.from([0, 3]));
    expect(cilium.encode.revNat([r], { family: 6 }).values).toEqual(value);
    expect(() => cilium.encode.revNat([r], { family: 5 as never })).toThrow(/family must be 4 or 6/);
  });
});

describe('cilium NAT (struct ipv4_nat_entry, 40 B; ipv6_nat_entry, 56 B; keys as in conntrack)', () => {
  it('decodes both directions of a translated IPv4 flow, and packs them back', () => {
    // ipv4_ct_tuple: daddr @0, saddr @4, dport be16 @8, sport be16 @10, nexthdr @12, flags @13 (1 = IN).
    const out = Buffer.concat([v4('1.1.1.1'), v4('10.3.0.115'), Buffer.from([0, 80, 0x9c, 0x40, 6, 0])]);
    const back = Buffer.concat([v4('192.168.1.10'), v4('1.1.1.1'), Buffer.from([0xea, 0x61, 0, 80, 6, 1])]);
    const entry = (created: bigint, needsCt: bigint, address: string, port: number) => {
      const b = Buffer.alloc(40);
      b.writeBigUInt64LE(created, 0);
      b.writeBigUInt64LE(needsCt, 8);
      v4(address).copy(b, 32);
      b.writeUInt16BE(port, 36);
      return b;
    };
    const keys = Buffer.concat([out, back]);
    const values = Buffer.concat([entry(5000n, 1n, '192.168.1.10', 60001), entry(5000n, 0n, '10.3.0.115', 40000)]);
    const records = cilium.decode.nat(keys, values, 2);
    expect(records.layout).toMatchObject({ map: 'cilium_snat_v4_external', layout: 'ipv4_ct_tuple / ipv4_nat_entry', keySize: 14, valueSize: 40 });
    expect([...records]).toEqual([
      { family: 'ipv4', daddr: '1.1.1.1', saddr: '10.3.0.115', dport: 80, sport: 40000, protocol: 6, direction: 'out', toAddress: '192.168.1.10', toPort: 60001, created: 5000n, needsCt: true },
      { family: 'ipv4', daddr: '192.168.1.10', saddr: '1.1.1.1', dport: 60001, sport: 80, protocol: 6, direction: 'in', toAddress: '10.3.0.115', toPort: 40000, created: 5000n, needsCt: false },
    ]);
    const packed = cilium.encode.nat([...records]);
    expect(packed.keys).toEqual(keys);
    expect(packed.values).toEqual(values);
  });

  it('IPv6: the tuple of 38 B, the address @32 and the port @48 of 56 B', () => {
    const fd = (last: number) => Buffer.from([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last]);
    const key = Buffer.concat([fd(1), fd(2), Buffer.from([0, 53, 0x30, 0x39, 17, 0])]);
    const value = Buffer.alloc(56);
    value.writeBigUInt64LE(7n, 0);
    fd(9).copy(value, 32);
    value.writeUInt16BE(1234, 48);
    const [r] = cilium.decode.nat(key, value, 1);
    expect(r).toEqual({ family: 'ipv6', daddr: 'fd00::1', saddr: 'fd00::2', dport: 53, sport: 12345, protocol: 17, direction: 'out', toAddress: 'fd00::9', toPort: 1234, created: 7n, needsCt: false });
    expect(cilium.encode.nat([r], { family: 6 }).values).toEqual(value);
  });
});

describe('cilium.format.nat: `cilium-dbg bpf nat list` of each version, Created= against a clock', () => {
  const be16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
  /** An IPv6 address of hex groups ('::ffff:a00:9' for ::ffff:10.0.0.9). */
  const v6 = (ip: string) => {
    const [head, tail = ''] = ip.split('::');
    const groups = (s: string) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
    const [h, t] = [groups(head), groups(tail)];
    return Buffer.concat([...h, ...Array(8 - h.length - t.length).fill(0), ...t].map(be16));
  };
  /** ipv{4,6}_ct_tuple: daddr, saddr, dport be16, sport be16, nexthdr, flags (1 = IN). */
  const tuple = (addr: (ip: string) => Buffer, t: { saddr: string; sport: number; daddr: string; dport: number; nexthdr?: number; flags: number }) =>
    Buffer.concat([addr(t.daddr), addr(t.saddr), be16(t.dport), be16(t.sport), Buffer.from([t.nexthdr ?? 6, t.flags])]);
  /** struct nat_entry (created @0, needs_ct @8, two pads), then the address and the be16 port: 40 B (IPv4), 56 B (IPv6). */
  const entry = (addr: (ip: string) => Buffer, created: bigint, needsCt: bigint, to: string, port: number) => {
    const b = Buffer.alloc(addr === v4 ? 40 : 56);
    b.writeBigUInt64LE(created, 0);
    b.writeBigUInt64LE(needsCt, 8);
    const a = addr(to);
    a.copy(b, 32);
    be16(port).copy(b, 32 + a.length);
    return b;
  };
  // The pod 10.3.0.115:41000 → 203.0.113.1:443 masqueraded as 192.0.2.10:61000: the egress tuple
  // holds the new source, the reply tuple (TUPLE_F_IN) the pod's address to restore.
  const ipv4 = (version: string, created = 1000n) => cilium.decode.nat(
    Buffer.concat([
      tuple(v4, { saddr: '10.3.0.115', sport: 41000, daddr: '203.0.113.1', dport: 443, flags: 0 }),
      tuple(v4, { saddr: '203.0.113.1', sport: 443, daddr: '192.0.2.10', dport: 61000, flags: 1 }),
    ]),
    Buffer.concat([entry(v4, created, 1n, '192.0.2.10', 61000), entry(v4, created + 1n, 0n, '10.3.0.115', 41000)]),
    2, { version },
  );
  const ipv6 = (version: string, nexthdr = 17) => cilium.decode.nat(
    Buffer.concat([
      tuple(v6, { saddr: 'fd00:10:3::73', sport: 5353, daddr: '::ffff:a00:9', dport: 53, nexthdr, flags: 0 }),
      tuple(v6, { saddr: '::ffff:a00:9', sport: 53, daddr: 'fd00::a', dport: 30000, nexthdr, flags: 1 }),
    ]),
    Buffer.concat([entry(v6, 7n, 0n, 'fd00::a', 30000), entry(v6, 7n, 0n, 'fd00:10:3::73', 5353)]),
    2, { version },
  );
  const out4 = 'TCP OUT 10.3.0.115:41000 -> 203.0.113.1:443 XLATE_SRC 192.0.2.10:61000';
  const in4 = 'TCP IN 203.0.113.1:443 -> 192.0.2.10:61000 XLATE_DST 10.3.0.115:41000';

  it('prints both directions, each map then an empty line; Created= raw without a clock', () => {
    for (const version of cilium.versions) {
      expect(cilium.format.nat(ipv4(version)), version).toBe(`${out4} Created=? (raw 1000) NeedsCT=1\n${in4} Created=? (raw 1001) NeedsCT=0\n\n`);
    }
    // The IPv4 map, then the IPv6 one, whatever the records' order; an empty map read prints its empty line.
    expect(cilium.format.nat([...ipv6('1.19'), ...ipv4('1.19')], { families: [4, 6] })).toBe(
      `${out4} Created=? (raw 1000) NeedsCT=1\n${in4} Created=? (raw 1001) NeedsCT=0\n\n` +
      'UDP OUT [fd00:10:3::73]:5353 -> [10.0.0.9]:53 XLATE_SRC [fd00::a]:30000 Created=? (raw 7) NeedsCT=0\n' +
      'UDP IN [10.0.0.9]:53 -> [fd00::a]:30000 XLATE_DST [fd00:10:3::73]:5353 Created=? (raw 7) NeedsCT=0\n\n');
    expect(cilium.format.nat([], { families: [4, 6] })).toBe('\n\n');
    expect(cilium.format.nat(ipv6('1.18'), { families: [4] }).split('\n')[0]).toBe('');
    expect(cilium.format.nat([])).toBe('');
  });

  it('per version: IPv4-mapped IPv6 addresses (net.IP, then netip.Addr in 1.20) and protocol names; protocol 0 left out', () => {
    expect(cilium.format.nat(ipv6('1.20')).split('\n')[0]).toBe('UDP OUT [fd00:10:3::73]:5353 -> [::ffff:10.0.0.9]:53 XLATE_SRC [fd00::a]:30000 Created=? (raw 7) NeedsCT=0');
    expect(cilium.format.nat(ipv6('1.18', 112)).split(' ')[0]).toBe('112');
    expect(cilium.format.nat(ipv6('1.19', 112)).split(' ')[0]).toBe('VRRP');
    expect(cilium.format.nat(ipv6('1.20', 0))).toBe('\n');
    // The version the records were decoded with, unless one is given.
    expect(cilium.format.nat(ipv6('1.19'), { version: '1.20' })).toContain('[::ffff:10.0.0.9]');
  });

  it('Created= in seconds before the clock\'s now: ktime seconds as they are, jiffies >> 8 through (t << 8) / hertz', () => {
    const ktime = { mode: 'ktime', now: 1500n } as const;
    expect(cilium.format.nat(ipv4('1.18'), { clock: ktime })).toBe(`${out4} Created=500sec ago NeedsCT=1\n${in4} Created=499sec ago NeedsCT=0\n\n`);
    // A stamp after now (a clock read before the entry was made) is negative, as Go's int64 prints it.
    expect(cilium.format.nat(ipv4('1.18', 1505n), { clock: ktime }).split('\n')[0]).toBe(`${out4} Created=-5sec ago NeedsCT=1`);
    // Each stamp is converted to seconds, then subtracted: (2000 << 8) / 250 = 2048, (1001 << 8) / 250 = 1025
    // (1025.02), so 1023, where (2000 − 1001) << 8 / 250 would give 1022.
    const jiffies = { mode: 'jiffies', hertz: 250, now: 2000n } as const;
    expect(cilium.format.nat(ipv4('1.14', 1001n), { clock: jiffies })).toBe(`${out4} Created=1023sec ago NeedsCT=1\n${in4} Created=1022sec ago NeedsCT=0\n\n`);
    // u64 arithmetic: the shift drops the stamp's top 8 bits, as Go's does.
    expect(cilium.format.nat(ipv4('1.14', (1n << 56n) + 1001n), { clock: jiffies }).split('\n')[0]).toBe(`${out4} Created=1023sec ago NeedsCT=1`);
    expect(cilium.format.nat(ipv6('1.20'), { clock: { mode: 'jiffies', hertz: 100, now: 400n } }).split('\n')[0]).toMatch(/ Created=1007sec ago NeedsCT=0$/); // 1024 − 17 (17.92)
  });

  it('bad options and clocks are TypeErrors and RangeErrors', () => {
    const records = ipv4('1.18');
    expect(() => cilium.format.nat(records, { clock: { mode: 'jiffies', now: 1n } as never })).toThrow(RangeError);
    expect(() => cilium.format.nat(records, { clock: { mode: 'jiffies', hertz: 0, now: 1n } })).toThrow(RangeError);
    expect(() => cilium.format.nat(records, { clock: { mode: 'ktime', now: 1 } as never })).toThrow(TypeError);
    expect(() => cilium.format.nat(records, { clock: { mode: 'ktime', now: -1n } })).toThrow(TypeError);
    expect(() => cilium.format.nat(records, { clock: { mode: 'utc', now: 1n } as never })).toThrow(RangeError);
    expect(() => cilium.format.nat(records, { clock: 5 as never })).toThrow(TypeError);
    expect(() => cilium.format.nat(records, { families: [5 as never] })).toThrow(RangeError);
    expect(() => cilium.format.nat(records, { families: 4 as never })).toThrow(TypeError);
    expect(() => cilium.format.nat(records, { now: 1n } as never)).toThrow(TypeError);
  });
});

describe('cilium egress gateway (struct egress_gw_policy_key 12 B, egress_gw_policy_entry 8 B)', () => {
  it('decodes the source, the destination CIDR from the trie prefix, and the egress and gateway addresses', () => {
    // prefixlen u32 @0 = 32 (the source) + 24, saddr @4, daddr @8; egress_ip @0, gateway_ip @4.
    const key = Buffer.concat([Buffer.from([56, 0, 0, 0]), v4('10.3.0.115'), v4('203.0.113.0')]);
    const value = Buffer.concat([v4('192.0.2.50'), v4('192.0.2.20')]);
    const records = cilium.decode.egress(key, value, 1);
    expect(records.layout).toMatchObject({ map: 'cilium_egress_gw_policy_v4', keySize: 12, valueSize: 8 });
    expect([...records]).toEqual([{ sourceIp: '10.3.0.115', destinationCidr: '203.0.113.0/24', egressIp: '192.0.2.50', gatewayIp: '192.0.2.20' }]);
    const packed = cilium.encode.egress([...records], { version: '1.19' });
    expect(packed.keys).toEqual(key);
    expect(packed.values).toEqual(value);
    expect(cilium.decode.egress(Buffer.concat([Buffer.from([32, 0, 0, 0]), v4('10.3.0.115'), v4('0.0.0.0')]), value, 1)[0].destinationCidr).toBe('0.0.0.0/0');
    expect(() => cilium.encode.egress([{ ...records[0], destinationCidr: '10.0.0.0/33' }])).toThrow(/not an IPv4 CIDR/);
  });

  it('cilium.format.egress prints cilium-dbg bpf egress list: tabwriter columns, IPv4 then IPv6, the gateway markers named', () => {
    const records = [
      { sourceIp: '10.3.0.115', destinationCidr: '203.0.113.0/24', egressIp: '192.0.2.50', gatewayIp: '192.0.2.20' },
      { sourceIp: '10.3.0.158', destinationCidr: '0.0.0.0/0', egressIp: '0.0.0.0', gatewayIp: '0.0.0.0' },
      { sourceIp: 'fd00:10:3::73', destinationCidr: '2001:db8:100::/64', egressIp: '2001:db8:1::50', gatewayIp: '0.0.0.1', egressIfindex: 7 },
    ];
    // Widths: the longest cell of each column (the last unpadded) plus tabwriter's padding of 3.
    expect(cilium.format.egress(records)).toBe([
      'Source IP       Destination CIDR    Egress IP        Gateway IP',
      '10.3.0.115      203.0.113.0/24      192.0.2.50       192.0.2.20',
      '10.3.0.158      0.0.0.0/0           0.0.0.0          Not Found',
      'fd00:10:3::73   2001:db8:100::/64   2001:db8:1::50   Excluded CIDR',
      '',
    ].join('\n'));
    expect(cilium.format.egress([])).toBe('No entries found.\n');
  });

  it('1.20 adds cilium_egress_gw_policy_v4_v2 (28 B values, egress_ifindex @20); encoders use it from 1.20 on', () => {
    const key = Buffer.concat([Buffer.from([56, 0, 0, 0]), v4('10.3.0.115'), v4('203.0.113.0')]);
    const value = Buffer.concat([v4('192.0.2.50'), v4('192.0.2.20'), Buffer.alloc(12), Buffer.from([9, 0, 0, 0]), Buffer.alloc(4)]);
    const records = cilium.decode.egress(key, value, 1);
    expect(records.layout).toMatchObject({ map: 'cilium_egress_gw_policy_v4_v2', version: '1.20', keySize: 12, valueSize: 28 });
    expect([...records]).toEqual([{ sourceIp: '10.3.0.115', destinationCidr: '203.0.113.0/24', egressIp: '192.0.2.50', gatewayIp: '192.0.2.20', egressIfindex: 9 }]);
    expect(cilium.encode.egress([...records], { version: '1.20' })).toMatchObject({ keys: key, values: value, map: 'cilium_egress_gw_policy_v4_v2' });
    expect(cilium.encode.egress([...records]).map).toBe('cilium_egress_gw_policy_v4_v2');
  });

  it('IPv6 (1.18+): struct egress_gw_policy_key6 36 B and egress_gw_policy_entry6 40 B, told apart by the key size', () => {
    // prefixlen @0 = 128 (the source) + 48, saddr @4, daddr @20; egress_ip @0, gateway_ip (IPv4) @16, egress_ifindex @32.
    const v6 = (hex: string) => Buffer.from(hex, 'hex');
    const key = Buffer.concat([Buffer.from([176, 0, 0, 0]), v6('fd000010000300000000000000000073'), v6('20010db8010000000000000000000000')]);
    const value = Buffer.concat([v6('20010db8000100000000000000000050'), v4('192.0.2.20'), Buffer.alloc(12), Buffer.from([4, 1, 0, 0]), Buffer.alloc(4)]);
    const records = cilium.decode.egress(key, value, 1);
    expect(records.layout).toMatchObject({ map: 'cilium_egress_gw_policy_v6', keySize: 36, valueSize: 40 });
    expect([...records]).toEqual([{ sourceIp: 'fd00:10:3::73', destinationCidr: '2001:db8:100::/48', egressIp: '2001:db8:1::50', gatewayIp: '192.0.2.20', egressIfindex: 260 }]);
    const packed = cilium.encode.egress([...records], { family: 6 });
    expect(packed).toMatchObject({ keys: key, values: value, keySize: 36, valueSize: 40, map: 'cilium_egress_gw_policy_v6' });
    expect(() => cilium.encode.egress([{ ...records[0], destinationCidr: '2001:db8::/129' }], { family: 6 })).toThrow(/not an IPv6 CIDR/);
  });
});

describe('cilium SRv6 (srv6_vrf_key4/6, srv6_policy_key4/6, the SID map)', () => {
  const v6 = (hex: string) => Buffer.from(hex, 'hex');
  const u32le = (n: number) => Buffer.from(new Uint32Array([n]).buffer);

  it('VRF mappings: the source matched whole, then the destination prefix; the VRF id', () => {
    // prefixlen @0 = 32 (the source) + 16, src_ip @4, dst_cidr @8; value u32 vrf_id.
    const key = Buffer.concat([u32le(48), v4('10.3.0.115'), v4('192.168.0.0')]);
    const records = cilium.decode.srv6Vrf(key, u32le(7), 1);
    expect(records.layout).toMatchObject({ map: 'cilium_srv6_vrf_v4', keySize: 12, valueSize: 4 });
    expect([...records]).toEqual([{ sourceIp: '10.3.0.115', destinationCidr: '192.168.0.0/16', vrfId: 7 }]);
    expect(cilium.encode.srv6Vrf([...records])).toMatchObject({ keys: key, values: u32le(7), map: 'cilium_srv6_vrf_v4' });
    // IPv6 (36 B keys): prefixlen = 128 + 64, src @4, dst @20.
    const key6 = Buffer.concat([u32le(192), v6('fd000010000300000000000000000073'), v6('20010db8000200000000000000000000')]);
    expect([...cilium.decode.srv6Vrf(key6, u32le(7), 1)]).toEqual([{ sourceIp: 'fd00:10:3::73', destinationCidr: '2001:db8:2::/64', vrfId: 7 }]);
    expect(cilium.encode.srv6Vrf([{ sourceIp: 'fd00:10:3::73', destinationCidr: '2001:db8:2::/64', vrfId: 7 }], { family: 6 })).toMatchObject({ keys: key6, map: 'cilium_srv6_vrf_v6' });
    expect(() => cilium.encode.srv6Vrf([{ sourceIp: '10.3.0.115', destinationCidr: '10.0.0.0/40', vrfId: 1 }])).toThrow(/not an IPv4 CIDR/);
  });

  it('policies: the VRF id ahead of the destination prefix; the SID', () => {
    // prefixlen @0 = 32 (the VRF id) + 24, vrf_id u32 @4, dst_cidr @8; value the SID (16 B).
    const key = Buffer.concat([u32le(56), u32le(7), v4('203.0.113.0')]);
    const sid = v6('fd00000000010000000000000000ff01');
    const records = cilium.decode.srv6Policy(key, sid, 1);
    expect(records.layout).toMatchObject({ map: 'cilium_srv6_policy_v4', keySize: 12, valueSize: 16 });
    expect([...records]).toEqual([{ vrfId: 7, destinationCidr: '203.0.113.0/24', sid: 'fd00:0:1::ff01' }]);
    expect(cilium.encode.srv6Policy([...records])).toMatchObject({ keys: key, values: sid });
    // IPv6 (24 B keys): prefixlen = 32 + 48, vrf_id @4, dst @8.
    const key6 = Buffer.concat([u32le(80), u32le(7), v6('20010db8000300000000000000000000')]);
    expect([...cilium.decode.srv6Policy(key6, sid, 1)]).toEqual([{ vrfId: 7, destinationCidr: '2001:db8:3::/48', sid: 'fd00:0:1::ff01' }]);
    expect(cilium.encode.srv6Policy([{ vrfId: 7, destinationCidr: '2001:db8:3::/48', sid: 'fd00:0:1::ff01' }], { family: 6 })).toMatchObject({ keys: key6, map: 'cilium_srv6_policy_v6' });
  });

  it('SIDs: the SID → its VRF id', () => {
    const sid = v6('fd00000000010000000000000000ff01');
    const records = cilium.decode.srv6Sid(sid, u32le(7), 1);
    expect(records.layout).toMatchObject({ map: 'cilium_srv6_sid', keySize: 16, valueSize: 4 });
    expect([...records]).toEqual([{ sid: 'fd00:0:1::ff01', vrfId: 7 }]);
    expect(cilium.encode.srv6Sid([...records])).toMatchObject({ keys: sid, values: u32le(7) });
  });

  it('cilium.format.srv6Vrf/srv6Policy/srv6Sid print cilium-dbg bpf srv6 vrf/policy/sid', () => {
    expect(cilium.format.srv6Vrf([
      { sourceIp: '10.3.0.115', destinationCidr: '192.168.0.0/16', vrfId: 7 },
      { sourceIp: 'fd00:10:3::73', destinationCidr: '2001:db8:2::/64', vrfId: 12 },
    ])).toBe([
      'Source IP       Destination CIDR   VRF ID',
      '10.3.0.115      192.168.0.0/16     7',
      'fd00:10:3::73   2001:db8:2::/64    12',
      '',
    ].join('\n'));
    // "VRF ID" is 6 wide: its column is 9 with the padding, the minimum width 5 never applies here.
    expect(cilium.format.srv6Policy([{ vrfId: 7, destinationCidr: '203.0.113.0/24', sid: 'fd00:0:1::ff01' }])).toBe([
      'VRF ID   Destination CIDR   SID',
      '7        203.0.113.0/24     fd00:0:1::ff01',
      '',
    ].join('\n'));
    expect(cilium.format.srv6Sid([{ sid: 'fd00:0:1::ff01', vrfId: 7 }])).toBe(['SID              VRF ID', 'fd00:0:1::ff01   7', ''].join('\n'));
    for (const format of [cilium.format.srv6Vrf, cilium.format.srv6Policy, cilium.format.srv6Sid]) expect(format([])).toBe('No entries found.\n');
  });
});

describe('cilium bandwidth manager (cilium_throttle: struct edt_id → struct edt_info)', () => {
  const u32le = (n: number) => Buffer.from(new Uint32Array([n]).buffer);
  /** struct edt_info (56 B): bps @0, t_last @8, t_horizon_drop / tokens @16, prio u32 @24 (1.17+; pad before). */
  function info(bps: bigint, tLast: bigint, horizon: bigint, at24: number): Buffer {
    const b = Buffer.alloc(56);
    b.writeBigUInt64LE(bps, 0);
    b.writeBigUInt64LE(tLast, 8);
    b.writeBigUInt64LE(horizon, 16);
    b.writeUInt32LE(at24, 24);
    return b;
  }

  it('1.14–1.16: a u64 endpoint id, no priority (the word at 24 is padding)', () => {
    const key = Buffer.from([100, 0, 0, 0, 0, 0, 0, 0]);
    const value = info(1_250_000n, 77n, 2_000_000_000n, 0);
    const records = cilium.decode.bandwidth(key, info(1_250_000n, 77n, 2_000_000_000n, 3), 1, { version: '1.16' });
    expect(records.layout).toMatchObject({ map: 'cilium_throttle', version: '1.16', layout: 'edt_id / edt_info', keySize: 8, valueSize: 56 });
    expect(records[0]).toStrictEqual({ endpointId: 100, direction: undefined, bps: 1_250_000n, tLast: 77n, tHorizonDrop: 2_000_000_000n, prio: undefined });
    expect(cilium.encode.bandwidth([...records], { version: '1.16' })).toMatchObject({ keys: key, values: value, map: 'cilium_throttle' });
  });

  it('1.17: prio u32 at 24; 1.18+: the key is a u32 id and a direction, an ingress entry holds tokens where egress holds the horizon', () => {
    expect(cilium.decode.bandwidth(Buffer.from([100, 0, 0, 0, 0, 0, 0, 0]), info(1_250_000n, 0n, 2_000_000_000n, 3), 1, { version: '1.17' })[0])
      .toStrictEqual({ endpointId: 100, direction: undefined, bps: 1_250_000n, tLast: 0n, tHorizonDrop: 2_000_000_000n, prio: 3 });
    const keys = Buffer.concat([u32le(100), Buffer.from([0, 0, 0, 0]), u32le(100), Buffer.from([1, 0, 0, 0])]);
    const values = Buffer.concat([info(1_250_000n, 0n, 2_000_000_000n, 3), info(625_000n, 9n, 4096n, 0)]);
    const records = cilium.decode.bandwidth(keys, values, 2);
    expect(records.layout).toMatchObject({ version: '1.20', versionFrom: 'sizes', layout: 'edt_id (id, direction) / edt_info (prio)' });
    expect([...records]).toStrictEqual([
      { endpointId: 100, direction: 0, bps: 1_250_000n, tLast: 0n, tHorizonDrop: 2_000_000_000n, prio: 3 },
      { endpointId: 100, direction: 1, bps: 625_000n, tLast: 9n, tokens: 4096n, prio: 0 },
    ]);
    expect(cilium.encode.bandwidth([...records])).toMatchObject({ keys, values });
    // The same bytes read as 1.17: the direction byte is the u64 id's fifth byte.
    expect(cilium.decode.bandwidth(keys, values, 2, { version: '1.17' })[1].endpointId).toBe(100 + 2 ** 32);
  });

  it('cilium.format.bandwidth prints each version\'s cilium-dbg bpf bandwidth list: ids sorted as strings, bits per second as a quantity', () => {
    const records = [
      { endpointId: 100, direction: 0, bps: 1_250_000n, tLast: 0n, tHorizonDrop: 2_000_000_000n, prio: 3 },
      { endpointId: 20, direction: 0, bps: 1_562_500n, tLast: 0n, tHorizonDrop: 2_000_000_000n, prio: 0 },
      { endpointId: 100, direction: 1, bps: 625_000n, tLast: 0n, tokens: 0n, prio: 0 },
      { endpointId: 7, direction: 0, bps: 125n, tLast: 0n, tHorizonDrop: 0n, prio: 0 },
    ];
    expect(cilium.format.bandwidth(records.slice(0, 2), { version: '1.16' })).toBe([
      'IDENTITY   EGRESS BANDWIDTH (BitsPerSec)',
      '100        10M',
      '20         12500k',
      '',
    ].join('\n'));
    // 1.17's map prints "bps, prio", which its list command fails to read as a number: 0.
    expect(cilium.format.bandwidth(records.slice(0, 2), { version: '1.17' })).toBe([
      'IDENTITY   EGRESS BANDWIDTH (BitsPerSec)',
      '100        0',
      '20         0',
      '',
    ].join('\n'));
    expect(cilium.format.bandwidth(records, { version: '1.18' })).toBe([
      'IDENTITY   DIRECTION   PRIO   BANDWIDTH (BitsPerSec)',
      '100        Egress      3      10M',
      '100        Ingress     0      5M',
      '20         Egress      0      12500k',
      '7          Egress      0      1k',
      '',
    ].join('\n'));
    expect(cilium.format.bandwidth([{ endpointId: 7, bps: 1500n, tLast: 0n }], { version: '1.14' })).toBe('IDENTITY   EGRESS BANDWIDTH (BitsPerSec)\n7          12k\n');
    expect(cilium.format.bandwidth([{ endpointId: 7, bps: 1001n, tLast: 0n }], { version: '1.14' })).toBe('IDENTITY   EGRESS BANDWIDTH (BitsPerSec)\n7          8008\n');
    expect(cilium.format.bandwidth([])).toBe('No entries found.\n');
  });
});

describe('cilium ip-masq-agent (cilium_ipmasq_v4/v6: struct lpm_v4_key / lpm_v6_key)', () => {
  it('decodes and encodes the prefix keys of both families; the value is a dummy byte', () => {
    const key = Buffer.from([8, 0, 0, 0, 10, 0, 0, 0]);
    const records = cilium.decode.ipmasq(key, Buffer.from([0]), 1);
    expect(records.layout).toMatchObject({ map: 'cilium_ipmasq_v4', keySize: 8, valueSize: 1 });
    expect([...records]).toEqual([{ cidr: '10.0.0.0/8' }]);
    expect(cilium.encode.ipmasq([...records])).toMatchObject({ keys: key, values: Buffer.from([0]) });
    const key6 = Buffer.concat([Buffer.from([32, 0, 0, 0]), Buffer.from('20010db8000000000000000000000000', 'hex')]);
    const six = cilium.decode.ipmasq(key6, Buffer.from([0]), 1);
    expect(six.layout).toMatchObject({ map: 'cilium_ipmasq_v6', keySize: 20 });
    expect([...six]).toEqual([{ cidr: '2001:db8::/32' }]);
    expect(cilium.encode.ipmasq([...six], { family: 6 })).toMatchObject({ keys: key6, map: 'cilium_ipmasq_v6' });
    expect(() => cilium.encode.ipmasq([{ cidr: '10.0.0.0/33' }])).toThrow(/not an IPv4 CIDR/);
    // A prefix length of decimal digits, one of it: '10.0.0.0/' is no /0, nor '10.0.0.0/8/9' a /8.
    for (const cidr of ['10.0.0.0/', '10.0.0.0/8/9', '10.0.0.0/ 8', '10.0.0.0/0x8', '10.0.0.0/-0']) {
      expect(() => cilium.encode.ipmasq([{ cidr }]), cidr).toThrow(/not an IPv4 CIDR/);
    }
    expect(cilium.encode.ipmasq([{ cidr: '10.1.2.3' }]).keys).toEqual(Buffer.from([32, 0, 0, 0, 10, 1, 2, 3]));
  });

  it('cilium.format.ipmasq prints cilium-dbg bpf ipmasq list: one TablePrinter column, sorted; an IPv4-mapped prefix as net.IPNet (≤1.16) or netip (1.17+) prints it', () => {
    const records = [{ cidr: '192.168.0.0/16' }, { cidr: '10.0.0.0/8' }, { cidr: 'fd00::/8' }];
    expect(cilium.format.ipmasq(records)).toBe([
      'IP PREFIX/ADDRESS   ',
      '10.0.0.0/8               ',
      '192.168.0.0/16           ',
      'fd00::/8                 ',
      '',
    ].join('\n'));
    const mapped = [{ cidr: '10.0.0.0/8' }, { cidr: '::ffff:10.0.0.0/104' }];
    expect(cilium.format.ipmasq(mapped, { version: '1.16' })).toBe('IP PREFIX/ADDRESS   \n10.0.0.0/8               \n');
    expect(cilium.format.ipmasq(mapped, { version: '1.17' })).toBe('IP PREFIX/ADDRESS     \n10.0.0.0/8                 \n::ffff:10.0.0.0/104        \n');
    expect(cilium.format.ipmasq([])).toBe('No entries found.\n');
  });
});

describe('cilium fragments (cilium_ipv4/ipv6_frag_datagrams: struct ipv4/ipv6_frag_id → l4ports)', () => {
  // ipv4_frag_id (12 B packed): daddr @0, saddr @4, id be16 @8, proto @10, pad; l4ports: sport be16, dport be16.
  const key4 = Buffer.concat([v4('203.0.113.1'), v4('10.3.0.115'), Buffer.from([0x12, 0x34, 17, 0])]);
  const ports4 = Buffer.from([0xa0, 0x29, 0x00, 0x35]); // 41001, 53
  // ipv6_frag_id (40 B packed): id be32 @0, proto @4, pad[3], saddr @8, daddr @24.
  const key6 = Buffer.concat([Buffer.from([0x00, 0xab, 0xcd, 0xef, 6, 0, 0, 0]), Buffer.from('fd000010000300000000000000000073', 'hex'), Buffer.from('20010db8000000000000000000000001', 'hex')]);
  const ports6 = Buffer.from([0x01, 0xbb, 0x9c, 0x40]); // 443, 40000
  const datagram4 = { id: 0x1234, protocol: 17, sourceIp: '10.3.0.115', destinationIp: '203.0.113.1', sourcePort: 41001, destinationPort: 53 };
  const datagram6 = { id: 0xabcdef, protocol: 6, sourceIp: 'fd00:10:3::73', destinationIp: '2001:db8::1', sourcePort: 443, destinationPort: 40000 };

  it('decodes and encodes both families in host order', () => {
    const four = cilium.decode.frag(key4, ports4, 1);
    expect(four.layout).toMatchObject({ map: 'cilium_ipv4_frag_datagrams', keySize: 12, valueSize: 4 });
    expect([...four]).toEqual([datagram4]);
    expect(cilium.encode.frag([datagram4])).toMatchObject({ keys: key4, values: ports4 });
    const six = cilium.decode.frag(key6, ports6, 1);
    expect(six.layout).toMatchObject({ map: 'cilium_ipv6_frag_datagrams', keySize: 40, valueSize: 4, version: '1.20' });
    expect([...six]).toEqual([datagram6]);
    expect(cilium.encode.frag([datagram6], { family: 6 })).toMatchObject({ keys: key6, values: ports6, map: 'cilium_ipv6_frag_datagrams' });
  });

  it('cilium.format.frag prints cilium-dbg bpf frag list: ports byte-swapped as Go reads them, the IPv4 id too up to 1.17, IPv6 destinations bracketed', () => {
    // 0x1234 → 0x3412 = 13330, port 41001 (0xa029) → 0x29a0 = 10656, 53 → 0x3500 = 13568.
    const text17 = [
      'ID      PROTO   SOURCE ADDRESS:PORT   DEST ADDRESS:PORT',
      '13330   UDP     10.3.0.115:10656      203.0.113.1:13568',
      '',
    ].join('\n');
    expect(cilium.format.frag([datagram4], { version: '1.17' })).toBe(text17);
    expect(cilium.format.frag([datagram4], { version: '1.14' })).toBe(text17); // no command before 1.17: 1.17's text
    // 443 (0x01bb) → 47873, 40000 (0x9c40) → 16540; the IPv6 id in host order.
    expect(cilium.format.frag([datagram4, datagram6], { version: '1.18' })).toBe([
      'ID         PROTO   SOURCE ADDRESS:PORT   DEST ADDRESS:PORT',
      '4660       UDP     10.3.0.115:10656      203.0.113.1:13568',
      '11259375   TCP     fd00:10:3::73:47873   [2001:db8::1]:16540',
      '',
    ].join('\n'));
    expect(cilium.format.frag([])).toBe('No entries found.\n');
  });

  it('the IPv6 map came with 1.18: reading it as an older version finds nothing (ENOENT) before any kernel work', async () => {
    await expect(cilium.frag({ family: 6, version: '1.17', bpffs: '/nonexistent' })).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('Cilium 1.17 has no such map (it came with 1.18)') });
    expect(() => cilium.encode.frag([datagram6], { family: 6, version: '1.17' })).not.toThrow(); // encoders take the nearest layout
  });
});

describe('cilium Maglev (cilium_lb{4,6}_maglev: be16 rev-NAT index → an inner array holding the table at key 0)', () => {
  const u32s = (...ids: number[]) => Buffer.from(new Uint32Array(ids).buffer);
  // Keys in network order: rev-NAT index 1 is 00 01, 258 is 01 02.
  const keys = Buffer.from([0x00, 0x01, 0x01, 0x02]);
  const tables = Buffer.concat([u32s(1, 2, 1, 2, 1), u32s(3, 3, 3, 3, 3)]);

  it('decodes each service\'s table of u32 backend ids; the family follows the map name', () => {
    const records = cilium.decode.maglev(keys, tables, 2, { version: '1.16' });
    expect(records.layout).toMatchObject({ map: 'cilium_lb4_maglev', version: '1.16', keySize: 2, valueSize: 4, layout: 'u16 rev_nat_index / inner map id (hash of maps), tables of 5 u32 backend ids' });
    expect([...records]).toEqual([
      { family: 4, revNatIndex: 1, backendIds: [1, 2, 1, 2, 1] },
      { family: 4, revNatIndex: 258, backendIds: [3, 3, 3, 3, 3] },
    ]);
    const six = cilium.decode.maglev(keys.subarray(0, 2), tables.subarray(0, 20), 1, { map: 'cilium_lb6_maglev' });
    expect([...six]).toEqual([{ family: 6, revNatIndex: 1, backendIds: [1, 2, 1, 2, 1] }]);
    expect(cilium.encode.maglev([...records])).toEqual({ keys, values: tables, count: 2, keySize: 2, valueSize: 20, map: 'cilium_lb4_maglev' });
    expect(cilium.encode.maglev([], { family: 6 })).toMatchObject({ count: 0, valueSize: 4 * 16381, map: 'cilium_lb6_maglev' });
  });

  it('refuses tables that are no whole number of backend ids, keys of another size, and uneven tables to encode', () => {
    expect(() => cilium.decode.maglev(keys, Buffer.alloc(12), 2)).toThrow(/a lookup table of 6 bytes is no whole number/);
    expect(() => cilium.decode.maglev(Buffer.alloc(8), tables, 2)).toThrow(/key\/value sizes 4\/4 match no known Cilium layout \(2\/4\)/);
    expect(() => cilium.encode.maglev([{ revNatIndex: 1, backendIds: [1, 2] }, { revNatIndex: 2, backendIds: [1] }])).toThrow(/service 2 has 1, the first 2/);
    // Each backend id a u32: no fraction, string or negative is packed as some other id.
    expect(() => cilium.encode.maglev([{ revNatIndex: 1, backendIds: [1, 1.5] }])).toThrow(RangeError);
    expect(() => cilium.encode.maglev([{ revNatIndex: 1, backendIds: [1, '2' as unknown as number] }])).toThrow(TypeError);
    expect(() => cilium.encode.maglev([{ revNatIndex: 1, backendIds: [-1, 2] }])).toThrow(/backendIds.*outside u32/);
  });

  it('cilium.format.maglev prints cilium-dbg bpf lb maglev list: [id]/v4 or /v6 and the whole table, rows sorted as strings', () => {
    const records = [
      { family: 4 as const, revNatIndex: 1, backendIds: [1, 2, 1, 2, 1] },
      { family: 4 as const, revNatIndex: 258, backendIds: [3, 3, 3, 3, 3] },
      { family: 6 as const, revNatIndex: 12, backendIds: [4, 4, 4, 4, 4] },
    ];
    // TablePrinter writes `id\ttable\t\n`: the table column is padded too, trailing spaces kept.
    expect(cilium.format.maglev(records)).toBe([
      'SVC ID     LOOKUP TABLE',
      '[12]/v6    [4 4 4 4 4]   ',
      '[1]/v4     [1 2 1 2 1]   ',
      '[258]/v4   [3 3 3 3 3]   ',
      '',
    ].join('\n'));
    // No services (or no map): the header alone.
    expect(cilium.format.maglev([])).toBe('SVC ID   LOOKUP TABLE\n');
  });

  it('cilium.format.maglevGet prints cilium-dbg bpf lb maglev get <id> (1.14-1.17): the service\'s rows of list, else the error line', () => {
    const records = [
      { family: 4 as const, revNatIndex: 1, backendIds: [1, 2, 1, 2, 1] },
      { family: 4 as const, revNatIndex: 12, backendIds: [3, 3, 3, 3, 3] },
      { family: 6 as const, revNatIndex: 12, backendIds: [4, 4, 4, 4, 4] },
    ];
    // Both families' tables of the one service, the columns as wide as its rows alone make them.
    expect(cilium.format.maglevGet(records, 12)).toBe('SVC ID    LOOKUP TABLE\n[12]/v4   [3 3 3 3 3]   \n[12]/v6   [4 4 4 4 4]   \n');
    expect(cilium.format.maglevGet(records, 1, { version: '1.14' })).toBe('SVC ID   LOOKUP TABLE\n[1]/v4   [1 2 1 2 1]   \n');
    // Fatalf's line, which cilium-dbg writes to stderr before it exits 1.
    expect(cilium.format.maglevGet(records, 2, { version: '1.17' })).toBe('Error: No entry found for service 2\n');
    expect(cilium.format.maglevGet([], 0)).toBe('Error: No entry found for service 0\n');
    // 1.18 dropped the command (bpf_lb_maglev_get.go is gone with pkg/maps/lbmap).
    expect(() => cilium.format.maglevGet(records, 12, { version: '1.18' })).toThrow(
      new RangeError('cilium.format.maglevGet: cilium-dbg bpf lb maglev get does not exist in Cilium 1.18 (1.14 to 1.17 have it)'),
    );
    for (const id of [-1, 65536, 1.5, NaN]) expect(() => cilium.format.maglevGet(records, id)).toThrow(/a service id is an integer in 0\.\.65535/);
    // A string is no id, where its RangeError read 'got 1' for '1'.
    expect(() => cilium.format.maglevGet(records, '1' as unknown as number)).toThrow(new TypeError('cilium.format.maglevGet: a service id is a number, got string 1'));
  });
});

describe('cilium socket-LB reverse NAT (struct ipv4_revnat_tuple 16 B / ipv4_revnat_entry 8 B; ipv6 32 B / 20 B)', () => {
  const v6 = (hex: string) => Buffer.from(hex, 'hex');
  const cookie = (n: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(n);
    return b;
  };
  // Ports and the rev-NAT index in network order: 53 is 00 35, 443 01 bb, index 1 00 01.
  const key4 = Buffer.concat([cookie(4097n), v4('10.3.0.115'), Buffer.from([0x00, 0x35, 0, 0])]);
  const value4 = Buffer.concat([v4('10.96.0.10'), Buffer.from([0x00, 0x35, 0x00, 0x01])]);
  const key6 = Buffer.concat([cookie(12n), v6('fd000010000300000000000000000073'), Buffer.from([0x01, 0xbb]), Buffer.alloc(6)]);
  const value6 = Buffer.concat([v6('00000000000000000000ffff0a60000a'), Buffer.from([0x01, 0xbb, 0x00, 0x02])]);
  const record4 = { cookie: 4097n, backendAddress: '10.3.0.115', backendPort: 53, frontendAddress: '10.96.0.10', frontendPort: 53, revNatIndex: 1 };
  const record6 = { cookie: 12n, backendAddress: 'fd00:10:3::73', backendPort: 443, frontendAddress: '::ffff:10.96.0.10', frontendPort: 443, revNatIndex: 2 };

  it('decodes the cookie, the backend and the service frontend with its rev-NAT index; the family follows the key size', () => {
    const records = cilium.decode.sockRevNat(key4, value4, 1);
    expect(records.layout).toMatchObject({ map: 'cilium_lb4_reverse_sk', keySize: 16, valueSize: 8 });
    expect([...records]).toEqual([record4]);
    expect(cilium.encode.sockRevNat([record4])).toMatchObject({ keys: key4, values: value4, map: 'cilium_lb4_reverse_sk' });
    const six = cilium.decode.sockRevNat(key6, value6, 1);
    expect(six.layout).toMatchObject({ map: 'cilium_lb6_reverse_sk', keySize: 32, valueSize: 20 });
    expect([...six]).toEqual([record6]);
    expect(cilium.encode.sockRevNat([record6], { family: 6 })).toMatchObject({ keys: key6, values: value6, map: 'cilium_lb6_reverse_sk' });
  });

  it('cilium.format.sockRevNat prints cilium-dbg bpf socknat list (1.18+): ports and index as a little-endian host reads them', () => {
    const text = [
      'Socket Cookie   Backend -> Frontend',
      // 443 (01 bb) read as a little-endian int16 is 0xbb01, -17663; index 2 (00 02) 512. net.IP prints the mapped address dotted.
      '12              [fd00:10:3::73]:-17663 -> [10.96.0.10]:-17663 (revnat=512)   ',
      '4097            10.3.0.115:13568 -> 10.96.0.10:13568 (revnat=256)            ',
      '',
    ].join('\n');
    for (const version of ['1.18', '1.19']) expect(cilium.format.sockRevNat([record4, record6], { version })).toBe(text);
    // 1.20's types.IPv6 prints through netip.Addr: the mapped address as it is (its column 7 wider).
    expect(cilium.format.sockRevNat([record4, record6], { version: '1.20' })).toBe([
      'Socket Cookie   Backend -> Frontend',
      '12              [fd00:10:3::73]:-17663 -> [::ffff:10.96.0.10]:-17663 (revnat=512)   ',
      '4097            10.3.0.115:13568 -> 10.96.0.10:13568 (revnat=256)                   ',
      '',
    ].join('\n'));
    // Records decoded with 1.17 carry it: cilium-dbg had no socknat command yet.
    const old = cilium.decode.sockRevNat(key4, value4, 1, { version: '1.17' });
    expect(() => cilium.format.sockRevNat(old)).toThrow(/no bpf socknat list before 1.18 \(this is 1.17\)/);
    expect(cilium.format.sockRevNat([...old], { version: '1.18' })).toBe(['Socket Cookie   Backend -> Frontend', '4097            10.3.0.115:13568 -> 10.96.0.10:13568 (revnat=256)   ', ''].join('\n'));
    expect(cilium.format.sockRevNat([])).toBe('Socket Cookie   Backend -> Frontend\n');
  });
});

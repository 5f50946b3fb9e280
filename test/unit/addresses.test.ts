// Address text both ways: formatIpv6/formatMac and the ipv4/ipv6/mac layout fields, which decode to
// text and encode from it (the Cilium encoders and lookups parse addresses the same way).
import { describe, expect, it } from 'vitest';
import { defineLayout, formatIpv6 } from 'bpfscope';

const V4 = defineLayout({ a: { offset: 0, type: 'ipv4' } });
const V6 = defineLayout({ a: { offset: 0, type: 'ipv6' } });
const MAC = defineLayout({ a: { offset: 0, type: 'mac' } });
const bytes = (groups: string) => Buffer.from(groups.replace(/:/g, ''), 'hex');

describe('IPv6 text', () => {
  it('is RFC 5952 text: lowercase, no leading zeros, the first longest run of two or more zero groups as ::', () => {
    const cases: [string, string][] = [
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['2001:0DB8:AAAA:BBBB:CCCC:DDDD:EEEE:0AAA', '2001:db8:aaaa:bbbb:cccc:dddd:eeee:aaa'],
      ['2001:0db8:0000:0001:0001:0001:0001:0001', '2001:db8:0:1:1:1:1:1'], // §4.2.2: one zero group stays
      ['2001:0000:0000:0001:0000:0000:0000:0001', '2001:0:0:1::1'], // §4.2.3: the longest run
      ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'], // §4.2.3: of equal runs, the first
      ['0000:0000:0000:0000:0000:0000:0000:0000', '::'],
      ['0000:0000:0000:0000:0000:0000:0000:0001', '::1'],
      ['fe80:0000:0000:0000:0000:0000:0000:0000', 'fe80::'],
      ['0000:0000:0000:0000:0000:ffff:0a03:0073', '::ffff:10.3.0.115'], // §5: IPv4-mapped
      ['0001:0000:0000:0000:0000:ffff:0a03:0073', '1::ffff:a03:73'], // not IPv4-mapped
    ];
    for (const [full, text] of cases) {
      expect(formatIpv6(bytes(full))).toBe(text);
      expect(V6.decode(bytes(full)).a).toBe(text);
      expect(V6.encode({ a: text })).toEqual(bytes(full));
    }
  });

  it('agrees with the WHATWG URL serializer on 5,000 random addresses, and parses back to the same bytes', () => {
    let seed = 5952;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let n = 0; n < 5000; n++) {
      const b = Buffer.alloc(16);
      // Zero groups half the time, so that runs of every length and position occur.
      for (let g = 0; g < 8; g++) if (random() < 0.5) b.writeUInt16BE(1 + Math.floor(random() * 0xffff), 2 * g);
      const text = formatIpv6(b);
      const mapped = b.subarray(0, 10).every((x) => x === 0) && b.readUInt16BE(10) === 0xffff;
      // WHATWG writes IPv4-mapped addresses in hex; everything else the same way as RFC 5952.
      if (!mapped) expect(new URL(`http://[${text}]/`).hostname).toBe(`[${text}]`);
      expect(V6.encode({ a: text })).toEqual(b);
    }
  });

  it('refuses text that is not an address', () => {
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8::1::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8', '1:2:3:4:5:6:7', '12345::', 'g::1', '::ffff:10.3.0.256', '']) {
      expect(() => V6.encode({ a: bad }), bad).toThrow(TypeError);
    }
  });
});

describe('IPv4 and MAC text', () => {
  it('round-trips and refuses what is not an address', () => {
    expect(V4.encode({ a: '255.255.255.255' })).toEqual(Buffer.from([255, 255, 255, 255]));
    expect(V4.decode(V4.encode({ a: '10.3.0.115' })).a).toBe('10.3.0.115');
    for (const bad of ['256.0.0.1', '1.2.3', '1.2.3.4.5', 'a.b.c.d', '1.2.3.-4', '1.2.3.1000']) expect(() => V4.encode({ a: bad }), bad).toThrow(TypeError);
    expect(MAC.decode(MAC.encode({ a: 'AA:bb:CC:0d:EE:ff' })).a).toBe('aa:bb:cc:0d:ee:ff');
    for (const bad of ['a:bb:cc:dd:ee:ff', 'aa:bb:cc:dd:ee', 'aa-bb-cc-dd-ee-ff', 'gg:bb:cc:dd:ee:ff', 'aa:bb:cc:dd:ee:ff:00']) {
      expect(() => MAC.encode({ a: bad }), bad).toThrow(TypeError);
    }
  });
});

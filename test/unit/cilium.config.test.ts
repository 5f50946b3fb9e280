// cilium_runtime_config: bytes laid out by hand (u32 index → u64), decoded, encoded and printed as
// cilium-dbg bpf config list prints them.
import { describe, expect, it } from 'vitest';
import { cilium } from 'bpfscope';

const index = (...indices: number[]) => Buffer.concat(indices.map((i) => Buffer.from(Uint32Array.of(i).buffer)));
const values = (...vs: bigint[]) => Buffer.concat(vs.map((v) => Buffer.from(BigUint64Array.of(v).buffer)));

describe('cilium runtime config', () => {
  it('names the indices every version defines, and others Unknown', () => {
    const records = cilium.decode.runtimeConfig(index(0, 1, 7), values(3_452_343_750_000_000n, 81_234_567_890n, 9n), 3, { version: '1.14' });
    expect([...records]).toEqual([
      { index: 0, name: 'UTimeOffset', value: 3_452_343_750_000_000n },
      { index: 1, name: 'AgentLiveness', value: 81_234_567_890n },
      { index: 7, name: 'Unknown', value: 9n },
    ]);
    expect(records.layout).toMatchObject({ map: 'cilium_runtime_config', version: '1.14', keySize: 4, valueSize: 8 });
    expect(() => cilium.decode.runtimeConfig(Buffer.alloc(8), Buffer.alloc(8), 1, { keySize: 8 })).toThrow(RangeError);
  });

  it('encodes what it decodes', () => {
    const packed = cilium.encode.runtimeConfig([{ index: 1, value: 2n ** 64n - 1n }, { index: 0, value: 5n }]);
    expect(packed.keys).toEqual(index(1, 0));
    expect(packed.values).toEqual(values(2n ** 64n - 1n, 5n));
    expect(packed).toMatchObject({ count: 2, keySize: 4, valueSize: 8, map: 'cilium_runtime_config' });
  });

  it('prints AgentLiveness, then UTimeOffset, in tabwriter columns, at every version', () => {
    const records = cilium.decode.runtimeConfig(index(0, 1), values(3_452_343_750_000_000n, 81_234_567_890n), 2);
    const text = 'KEY             VALUE\nAgentLiveness   81234567890\nUTimeOffset     3452343750000000\n';
    for (const version of cilium.versions) expect(cilium.format.runtimeConfig(cilium.decode.runtimeConfig(index(0, 1), values(3_452_343_750_000_000n, 81_234_567_890n), 2, { version }))).toBe(text);
    expect(cilium.format.runtimeConfig(records)).toBe(text);
    // cilium-dbg fails when a lookup fails: records without one of the two are an error, not a short table.
    expect(() => cilium.format.runtimeConfig(records.slice(0, 1))).toThrow(/no AgentLiveness record/);
    expect(() => cilium.format.runtimeConfig('x' as never)).toThrow(TypeError);
  });
});

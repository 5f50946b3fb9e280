// A bounded pass of the random-input targets for the TS parsers and decoders (test/fuzz/js), and
// regression tests for what they found. Longer passes: node test/fuzz/js/run.cjs --seconds 600.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { btfToC, defineLayout, type BtfTypeRecord } from 'bpfscope';

const require = createRequire(import.meta.url);
const { fuzzTarget, targetNames } = require('../fuzz/js/run.cjs') as {
  fuzzTarget(target: string, options: { seed?: number; iterations?: number }): Promise<{ iterations: number }>;
  targetNames(): string[];
};
const { BtfDecoders } = require('../../dist/cjs/btf.js') as {
  BtfDecoders: new (table: unknown) => { get(id: number): (v: DataView, b: Buffer, at: number) => unknown };
};

const ITERATIONS = Number(process.env.BPFSCOPE_JS_FUZZ_ITERATIONS ?? 20000);

describe('random inputs to the TS parsers (seeded, reproducible)', () => {
  for (const target of targetNames()) {
    it(`${target}: ${ITERATIONS} inputs raise nothing but the documented RangeError/TypeError, and none hangs`, async () => {
      const r = await fuzzTarget(target, { seed: 7, iterations: ITERATIONS });
      expect(r.iterations).toBe(ITERATIONS);
    });
  }
});

describe('what the random inputs found', () => {
  it('btfToC refuses types declared through themselves, declaration tags among them, before a walk of them overflows the stack', () => {
    const tags: BtfTypeRecord[] = [
      { id: 1, name: 'a', kind: 'decl_tag', typeId: 2, componentIdx: -1 },
      { id: 2, name: 'b', kind: 'decl_tag', typeId: 1, componentIdx: -1 },
    ];
    expect(() => btfToC(tags)).toThrow(new RangeError('BTF: type 1 is declared through itself (a loop of pointers, modifiers, arrays, typedefs, prototypes or tags)'));
    const selfish: BtfTypeRecord[] = [{ id: 1, name: undefined, kind: 'func_proto', retTypeId: 0, params: [{ name: 'f', typeId: 2 }] }, { id: 2, name: undefined, kind: 'ptr', typeId: 1 }];
    expect(() => btfToC(selfish)).toThrow(/type 1 is declared through itself/);
  });

  it('defineLayout refuses fields the decoder cannot read, when the layout is defined', () => {
    expect(() => defineLayout({ a: { offset: 0, type: 'u128' as never } })).toThrow(TypeError);
    expect(() => defineLayout({ a: { offset: 0, type: 'u8', count: -1 } })).toThrow(RangeError);
    expect(() => defineLayout({ a: { offset: 0, type: 'u8', count: 1.5 } })).toThrow(RangeError);
    expect(() => defineLayout({ a: { offset: -1, type: 'u8' } })).toThrow(RangeError);
    expect(() => defineLayout({ a: { offset: 0, type: { bytes: 0 } } })).toThrow(RangeError);
    expect(() => defineLayout({ a: { offset: 0, type: 'u16', bits: [12, 8] } })).toThrow(RangeError);
    expect(() => defineLayout({ a: { offset: 0, type: 'mac', bits: [0, 1] } })).toThrow(TypeError);
    expect(() => defineLayout({ a: { offset: 0, type: 'u8', endian: 'middle' as never } })).toThrow(TypeError);
    expect(() => defineLayout({ a: { offset: 0, type: 'u8' } }, -4)).toThrow(RangeError);
    // …and still reads what it accepts.
    expect(defineLayout({ a: { offset: 1, type: 'u16', bits: [4, 8] } }).decode(Buffer.from([0, 0xf0, 0x0f]))).toEqual({ a: 0xff });
  });

  it('decodeAll refuses a count, stride or offset that is not a whole number in range', () => {
    const layout = defineLayout({ a: { offset: 0, type: 'u8' } });
    const buf = Buffer.from([1, 2, 3]);
    expect(() => layout.decodeAll(buf, -1)).toThrow(RangeError);
    expect(() => layout.decodeAll(buf, undefined, 0)).toThrow(RangeError);
    expect(() => layout.decodeAll(buf, undefined, 1, 0.5)).toThrow(RangeError);
    expect(layout.decodeAll(buf, undefined, 1, 5)).toEqual([]);
    expect(layout.decodeAll(buf).map((r) => r.a)).toEqual([1, 2, 3]);
  });

  it('BTF decoders refuse a type that contains itself and bitfields past the record', () => {
    const loop = new BtfDecoders({ valueTypeId: 1, types: { 1: { kind: 'alias', type: 2 }, 2: { kind: 'alias', type: 1 } } });
    expect(() => loop.get(1)).toThrow(/BTF type 1 contains itself/);
    const bits = new BtfDecoders({
      valueTypeId: 1,
      types: { 1: { kind: 'struct', size: 8, members: [{ name: 'f', type: 2, bitOffset: 36, bitSize: 20 }] }, 2: { kind: 'int', size: 4, encoding: 'unsigned', bits: 32, bitOffset: 0 } },
    });
    const short = Buffer.alloc(4);
    expect(() => bits.get(1)(new DataView(short.buffer, short.byteOffset, 4), short, 0)).toThrow(RangeError);
    const full = Buffer.from([0, 0, 0, 0, 0xf0, 0xff, 0xff, 0]);
    expect(bits.get(1)(new DataView(full.buffer, full.byteOffset, 8), full, 0)).toEqual({ f: 0xfffff });
  });
});

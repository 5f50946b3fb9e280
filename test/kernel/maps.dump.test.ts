// Map dumps against `bpftool -j map dump` on maps this file creates and fills with known data.
import { statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { expect, it } from 'vitest';
import { BpfError, defineLayout, openMap, type BpfMap, type MapDump } from 'bpfscope';
import { attachCgroup, createMap, deleteElem, detachCgroup, insn, loadProgram, mapInsns, updateBatch, updateElem } from 'bpfscope/testing';
import { cleanup, describeKernel, mustCgroup, owned, run } from '../helpers/kernel';
import { u32, u64, mustMap } from '../helpers/maps';

/** bpftool's dump, as text parsed (byte arrays are "0x.." strings, so nothing loses precision). */
function bpftoolDump(id: number): unknown {
  return JSON.parse(run('bpftool', ['-j', 'map', 'dump', 'id', String(id)]));
}

/** The dump, by batch and by get_next_key iteration, equals bpftool's byte for byte. */
async function expectSameAsBpftool(map: BpfMap, expectBatched: boolean): Promise<MapDump> {
  const batched = await map.dump();
  const iterated = await map.dump({ iterate: true });
  expect(batched.batched).toBe(expectBatched);
  expect(iterated.batched).toBe(false);
  const theirs = bpftoolDump(map.info.id);
  expect(batched.toJSON()).toEqual(theirs);
  expect(iterated.toJSON()).toEqual(theirs);
  expect(map.dumpSync().toJSON()).toEqual(theirs);
  return batched;
}

/** Entries as a key-hex → value-hex map, to compare regardless of order. */
function contents(dump: MapDump): Map<string, string> {
  const out = new Map<string, string>();
  for (const { key, value } of dump) out.set(key.toString('hex'), value.toString('hex'));
  return out;
}

describeKernel('map dumps', () => {
  it('hash: every entry, in one keys buffer and one values buffer, equal to bpftool', async () => {
    const { object, map } = await mustMap({ type: 'hash', name: 'bpfs_hash', keySize: 16, valueSize: 24, maxEntries: 1024 });
    const expected = new Map<string, string>();
    for (let i = 0; i < 300; i++) {
      const key = Buffer.alloc(16, i & 0xff);
      key.writeUInt32LE(i, 0);
      const value = Buffer.alloc(24);
      value.writeBigUInt64LE(BigInt(i) * 1_000_000_007n, 0);
      value.writeUInt32LE(i ^ 0x5a5a, 8);
      await updateElem(object, key, value);
      expected.set(key.toString('hex'), value.toString('hex'));
    }
    const dump = await expectSameAsBpftool(map, true);
    expect(dump.count).toBe(300);
    expect(dump.keys.length).toBe(300 * 16);
    expect(dump.values.length).toBe(300 * 24);
    expect(dump.cpus).toBeUndefined();
    expect(contents(dump)).toEqual(expected);
    // Views, not copies: the key of entry 5 is bytes 80..96 of the packed keys.
    expect(dump.key(5).buffer).toBe(dump.keys.buffer);
    expect(dump.key(5).byteOffset).toBe(dump.keys.byteOffset + 5 * 16);
    expect(() => dump.key(300)).toThrow(RangeError);
    expect(() => dump.cpuValues(0)).toThrow(TypeError);
    expect(() => dump.id(0)).toThrow(TypeError);
  });

  it('array, lru_hash and lpm_trie equal bpftool, batched', async () => {
    const array = await mustMap({ type: 'array', keySize: 4, valueSize: 12, maxEntries: 50 });
    for (let i = 0; i < 50; i += 3) await updateElem(array.object, u32(i), Buffer.alloc(12, i));
    const arrayDump = await expectSameAsBpftool(array.map, true);
    expect(arrayDump.count).toBe(50); // arrays always hold max_entries
    expect(arrayDump.value(3)).toEqual(Buffer.alloc(12, 3));
    expect(arrayDump.value(4)).toEqual(Buffer.alloc(12, 0));

    const lru = await mustMap({ type: 'lru_hash', keySize: 4, valueSize: 8, maxEntries: 256 });
    for (let i = 0; i < 40; i++) await updateElem(lru.object, u32(i * 7), Buffer.alloc(8, i));
    expect((await expectSameAsBpftool(lru.map, true)).count).toBe(40);

    // LPM trie keys: u32 prefix length, then the address (BPF_F_NO_PREALLOC is required).
    const lpm = await mustMap({ type: 'lpm_trie', keySize: 8, valueSize: 4, maxEntries: 64, flags: 1 });
    const prefixes: [number, number[]][] = [[32, [10, 3, 0, 115]], [32, [10, 3, 0, 158]], [24, [10, 3, 0, 0]], [8, [10, 0, 0, 0]], [0, [0, 0, 0, 0]]];
    for (const [i, [len, addr]] of prefixes.entries()) await updateElem(lpm.object, Buffer.from([len, 0, 0, 0, ...addr]), u32(1000 + i));
    const lpmDump = await expectSameAsBpftool(lpm.map, true);
    expect(lpmDump.count).toBe(5);
    expect(await lpm.map.lookup(Buffer.from([32, 0, 0, 0, 10, 3, 0, 158]))).toEqual(u32(1001));
  });

  it('per-CPU maps: value(i) is the per-CPU block, cpuValues(i) one view per CPU, equal to bpftool', async () => {
    const { object, map } = await mustMap({ type: 'percpu_hash', keySize: 4, valueSize: 12, maxEntries: 64 });
    const cpus = map.possibleCpus;
    const slot = 16; // round_up(12, 8)
    for (let k = 0; k < 20; k++) {
      const block = Buffer.alloc(cpus * slot);
      for (let c = 0; c < cpus; c++) block.fill(k * 16 + c + 1, c * slot, c * slot + 12);
      await updateElem(object, u32(k), block);
    }
    const dump = await expectSameAsBpftool(map, true);
    expect(dump.cpus).toBe(cpus);
    expect(dump.valueStride).toBe(cpus * slot);
    for (let i = 0; i < dump.count; i++) {
      const k = dump.key(i).readUInt32LE(0);
      const perCpu = dump.cpuValues(i);
      expect(perCpu).toHaveLength(cpus);
      perCpu.forEach((v, c) => expect(v).toEqual(Buffer.alloc(12, k * 16 + c + 1)));
      expect(dump.value(i)).toHaveLength(cpus * slot);
    }
    expect((await map.lookup(u32(3)))!.subarray(slot, slot + 12)).toEqual(Buffer.alloc(12, 3 * 16 + 2));

    const array = await mustMap({ type: 'percpu_array', keySize: 4, valueSize: 4, maxEntries: 10 });
    await updateElem(array.object, u32(2), Buffer.alloc(cpus * 8, 7));
    const arrayDump = await expectSameAsBpftool(array.map, true);
    expect(arrayDump.count).toBe(10);
    expect(arrayDump.cpuValues(2)).toEqual(Array.from({ length: cpus }, () => Buffer.alloc(4, 7)));
  });

  it('prog_array and map-in-map give program and inner map ids, as bpftool does, and dumpInner the inner maps', async () => {
    const progA = owned(await loadProgram({ type: 'socket_filter', name: 'bpfs_tail_a' }));
    const progB = owned(await loadProgram({ type: 'socket_filter', name: 'bpfs_tail_b' }));
    const progs = await mustMap({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 8 });
    await updateElem(progs.object, u32(2), u32(progA.fd));
    await updateElem(progs.object, u32(5), u32(progB.fd));
    // prog_array has no batch ops (ENOTSUPP): the dump iterates and skips empty slots.
    const progDump = await expectSameAsBpftool(progs.map, false);
    expect(progDump.count).toBe(2);
    expect([0, 1].map((i) => [progDump.key(i).readUInt32LE(0), progDump.id(i)])).toEqual([[2, progA.id], [5, progB.id]]);

    const innerA = owned(await createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 }));
    const innerB = owned(await createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 }));
    const outer = await mustMap({ type: 'hash_of_maps', keySize: 4, valueSize: 4, maxEntries: 8, innerMap: innerA });
    await updateElem(outer.object, u32(10), u32(innerA.fd));
    await updateElem(outer.object, u32(20), u32(innerB.fd));
    const outerDump = await expectSameAsBpftool(outer.map, true);
    const ids = new Map([...Array(outerDump.count).keys()].map((i) => [outerDump.key(i).readUInt32LE(0), outerDump.id(i)]));
    expect(ids).toEqual(new Map([[10, innerA.id], [20, innerB.id]]));
    expect(outerDump.toJSON().map((e) => 'inner_map_id' in e && e.inner_map_id).sort()).toEqual([innerA.id, innerB.id].sort());

    // array_of_maps: empty slots are not entries (their lookup is ENOENT), as bpftool shows.
    const slots = await mustMap({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 4, innerMap: innerA });
    await updateElem(slots.object, u32(3), u32(innerB.fd));
    const slotDump = await expectSameAsBpftool(slots.map, true);
    expect(slotDump.count).toBe(1);
    expect([slotDump.key(0).readUInt32LE(0), slotDump.id(0)]).toEqual([3, innerB.id]);

    // dumpInner: beside each entry its inner map, read by id, equal to bpftool's dump of that id.
    await updateElem(innerA, u32(0), u32(0xaaaa));
    await updateElem(innerB, u32(0), u32(0xbbbb));
    const { dump, inner } = await outer.map.dumpInner();
    expect(inner).toHaveLength(2);
    for (let i = 0; i < dump.count; i++) {
      expect(inner[i]!.info).toMatchObject({ id: dump.id(i), type: 'array', keySize: 4, valueSize: 4 });
      expect(inner[i]!.dump!.toJSON()).toEqual(bpftoolDump(dump.id(i)));
    }
    const innerValueByKey = new Map(inner.map((m, i) => [dump.key(i).readUInt32LE(0), m!.dump!.value(0).readUInt32LE(0)]));
    expect(innerValueByKey).toEqual(new Map([[10, 0xaaaa], [20, 0xbbbb]]));
    await expect(progs.map.dumpInner()).rejects.toThrow(TypeError);
    // Its dumps are MapDumps: dump()'s format and layouts would not shape them, so they are refused.
    const iterated = await outer.map.dumpInner({ iterate: true });
    expect(iterated.dump.batched).toBe(false);
    expect(iterated.inner.map((m) => [m!.dump!.batched, m!.dump!.toJSON()])).toEqual(inner.map((m) => [false, m!.dump!.toJSON()]));
    const layout = defineLayout({ n: { offset: 0, type: 'u32' } }, 4);
    await expect(outer.map.dumpInner({ format: 'btf' } as never)).rejects.toThrow(new TypeError("dumpInner: unknown option 'format'"));
    await expect(outer.map.dumpInner({ key: layout, value: layout } as never)).rejects.toThrow(new TypeError("dumpInner: unknown option 'key'"));

    // Ring buffers per slot, a common kind of inner map: their info, and why they have no entries,
    // where the inner dump's rejection failed the whole call.
    const rings = [0, 1].map(async () => owned(await createMap({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 })));
    const [ringA, ringB] = await Promise.all(rings);
    const perSlot = await mustMap({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 2, innerMap: ringA });
    await updateElem(perSlot.object, u32(0), u32(ringA.fd));
    await updateElem(perSlot.object, u32(1), u32(ringB.fd));
    const ringsDump = await perSlot.map.dumpInner();
    const ringA2 = await openMap(ringA.id);
    const refusal = await ringA2.dump().then(() => undefined, (err: BpfError) => err);
    ringA2.close();
    expect(refusal).toBeInstanceOf(BpfError);
    expect(ringsDump.inner).toEqual([ringA, ringB].map((ring) => ({ info: expect.objectContaining({ id: ring.id, type: 'ringbuf', maxEntries: 4096 }), unreadable: expect.any(String) })));
    expect(refusal!.message).toContain((ringsDump.inner[0] as { unreadable: string }).unreadable);
  });

  it('big maps: batched and iterated dumps agree; a sparse map dumps only its entries', async () => {
    const { object, map } = await mustMap({ type: 'hash', keySize: 8, valueSize: 8, maxEntries: 65536 });
    const n = 50_000;
    const keys = Buffer.alloc(n * 8);
    const values = Buffer.alloc(n * 8);
    for (let i = 0; i < n; i++) {
      keys.writeBigUInt64LE(BigInt(i) * 2654435761n, i * 8);
      values.writeBigUInt64LE(BigInt(i), i * 8);
    }
    await updateBatch(object, keys, values, n);
    const batched = await map.dump();
    const iterated = await map.dump({ iterate: true });
    expect(batched.count).toBe(n);
    expect(batched.batched).toBe(true);
    expect(contents(batched)).toEqual(contents(iterated));

    const sparse = await mustMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1 << 20 });
    for (let i = 0; i < 100; i++) await updateElem(sparse.object, u32(i * 977), u32(i));
    const sparseDump = await sparse.map.dump();
    expect(sparseDump.count).toBe(100);
    expect(sparseDump.toJSON()).toEqual(bpftoolDump(sparse.object.id));
  });

  it('decodes records with user layouts from the packed buffers', async () => {
    const { object, map } = await mustMap({ type: 'hash', keySize: 8, valueSize: 16, maxEntries: 64 });
    for (let i = 1; i <= 10; i++) {
      const key = Buffer.from([10, 3, 0, i, 0, 0, 0, 0]);
      key.writeUInt16BE(8000 + i, 4);
      const value = Buffer.alloc(16);
      value.writeBigUInt64LE(BigInt(i) << 40n, 0);
      value.writeUInt32LE(i * 3, 8);
      value[12] = 0b1010_0000 | i;
      await updateElem(object, key, value);
    }
    const keyLayout = defineLayout({ ip: { offset: 0, type: 'ipv4' }, port: { offset: 4, type: 'be16' } }, 8);
    const valueLayout = defineLayout({
      bytes: { offset: 0, type: 'u64' },
      count: { offset: 8, type: 'u32' },
      low: { offset: 12, type: 'u8', bits: [0, 4] },
      high: { offset: 12, type: 'u8', bits: [4, 4] },
    }, 16);
    const records = await map.dump({ key: keyLayout, value: valueLayout });
    expect(records).toHaveLength(10);
    const byIp = new Map(records.map((r) => [r.key.ip, r]));
    for (let i = 1; i <= 10; i++) {
      expect(byIp.get(`10.3.0.${i}`)).toStrictEqual({
        key: { ip: `10.3.0.${i}`, port: 8000 + i },
        value: { bytes: BigInt(i) << 40n, count: i * 3, low: i, high: 0b1010 },
      });
    }
    expect(map.dumpSync({ key: keyLayout, value: valueLayout })).toEqual(records);
    // Layouts longer than the map's keys or values, and per-CPU decoding of a map without per-CPU values.
    const big = defineLayout({ x: { offset: 0, type: 'u64' } }, 24);
    expect(() => map.dumpSync({ key: keyLayout, value: big })).toThrow(new RangeError("the value layout is 24 bytes; this map's values are 16"));
    const wideKey = defineLayout({ ip: { offset: 0, type: 'ipv4' } }, 12);
    expect(() => map.dumpSync({ key: wideKey, value: valueLayout })).toThrow(new RangeError("the key layout is 12 bytes; this map's keys are 8"));
    expect(() => map.dumpSync().perCpuRecords(keyLayout, valueLayout)).toThrow(/^per-CPU records are for per-CPU maps/);

    // Record views of the same dump read the same values, field by field and as objects.
    const views = await map.dump({ key: keyLayout, value: valueLayout, views: true });
    expect(views).toHaveLength(10);
    expect(views.map((v) => v.toObject())).toEqual(records);
    for (const [i, v] of views.entries()) {
      expect(v.key.ip).toBe(records[i].key.ip);
      expect(v.value.bytes).toBe(records[i].value.bytes);
      expect(v.value.high).toBe(0b1010);
    }
    expect(map.dumpSync({ key: keyLayout, value: valueLayout, views: true }).map((v) => v.toJSON())).toEqual(records);
    // …and so do the views handed out one at a time.
    const dump = await map.dump();
    expect([...dump.iterateRecords(keyLayout, valueLayout)].map((v) => v.toObject())).toEqual(dump.records(keyLayout, valueLayout));
    const it = dump.iterateRecords(keyLayout, valueLayout);
    for (let i = 0; i < 10; i++) expect(it.next().done).toBe(false);
    expect(it.next()).toEqual({ value: undefined, done: true });
    // …and the columns: field by field, the records' values in entry order.
    const columns = dump.columns(keyLayout, valueLayout);
    const records2 = dump.records(keyLayout, valueLayout);
    expect(columns.count).toBe(10);
    for (const [side, layout] of [['key', keyLayout], ['value', valueLayout]] as const) {
      for (const field of Object.keys(layout.fields)) {
        expect(Array.from((columns[side] as Record<string, ArrayLike<unknown>>)[field]), `${side}.${field}`).toEqual(records2.map((r) => (r[side] as Record<string, unknown>)[field]));
      }
    }
    // A later dump's columns into the earlier ones: the map changed and grew by one entry.
    const key11 = Buffer.from([10, 3, 0, 11, 0x1f, 0x4b, 0, 0]);
    await updateElem(object, key11, Buffer.alloc(16, 1));
    await updateElem(object, Buffer.from([10, 3, 0, 1, 0x1f, 0x41, 0, 0]), Buffer.alloc(16, 2));
    const later = await map.dump();
    const refilled = later.columns(keyLayout, valueLayout, columns);
    const fresh = later.columns(keyLayout, valueLayout);
    expect(refilled.count).toBe(11);
    for (const side of ['key', 'value'] as const) {
      for (const [field, column] of Object.entries(fresh[side])) {
        expect(Array.from((refilled[side] as Record<string, ArrayLike<unknown>>)[field]), `${side}.${field}`).toEqual(Array.from(column as ArrayLike<unknown>));
      }
    }
    expect(refilled.key.ip).toBe(columns.key.ip);
    expect(refilled.key.ip).toContain('10.3.0.11');
    expect(refilled.value.bytes).toContain(0x0101010101010101n);
    expect(() => map.dumpSync({ views: true } as never)).toThrow(/layouts/);
  });

  it('a released dump hands its buffers to the next dump of the handle; decoded results keep their bytes', async () => {
    // 300 entries: a reused buffer is filled in place from 256 entries up (smaller ones grow).
    const n = 300;
    const { object, map } = await mustMap({ type: 'hash', keySize: 8, valueSize: 8, maxEntries: 512 });
    const fill = async (base: number): Promise<void> => {
      const keys = Buffer.concat(Array.from({ length: n }, (_, i) => u64(i)));
      const values = Buffer.concat(Array.from({ length: n }, (_, i) => u64(base + i)));
      await updateBatch(object, keys, values, n);
    };
    await fill(1000);
    const first = await map.dump();
    const memory = first.keys.buffer;
    const key3 = first.key(3);
    expect(first.count).toBe(n);
    first.release();
    expect(first.count).toBe(0);
    expect(first.keys.length + first.values.length).toBe(0);
    expect([...first]).toEqual([]);
    expect(() => first.key(0)).toThrow(RangeError);
    first.release();

    // The next dump fills the same memory, reads the map as it is now, and equals bpftool;
    // `using` releases it at the end of the block.
    await fill(2000);
    {
      using second = await map.dump();
      expect(second.keys.buffer).toBe(memory);
      expect(second.toJSON()).toEqual(bpftoolDump(map.info.id));
      expect(second.value(0).readBigUInt64LE(0) >= 2000n).toBe(true);
      // A Buffer taken before the release reads what the new dump wrote there.
      expect(key3.equals(second.key(3))).toBe(true);
    }
    const third = map.dumpSync();
    expect(third.keys.buffer).toBe(memory);
    // Unreleased, the next dump gets new memory.
    expect(map.dumpSync().keys.buffer).not.toBe(memory);
    // Two dumps started together after a release: one fills the released memory, the other new
    // memory, and both read the whole map.
    third.release();
    const together = await Promise.all([map.dump(), map.dump()]);
    expect(together.map((d) => d.keys.buffer === memory).sort()).toEqual([false, true]);
    const now = bpftoolDump(map.info.id);
    for (const d of together) expect(d.toJSON()).toEqual(now);

    // Records with { bytes } fields are views into the dump, so their dump is not recycled;
    // plain records and BTF values copy everything out and are.
    const raw = defineLayout({ raw: { offset: 0, type: { bytes: 8 } } }, 8);
    const number = defineLayout({ n: { offset: 0, type: 'u64' } }, 8);
    const views = await map.dump({ key: raw, value: raw });
    const copies = await map.dump({ key: number, value: number });
    const btf = await map.dump({ format: 'btf' });
    const seen = { views: views.map((r) => r.value.raw.toString('hex')), copies: structuredClone(copies), btf: structuredClone(btf) };
    await fill(3000);
    for (let i = 0; i < 3; i++) (await map.dump()).release();
    map.dumpSync({ key: number, value: number });
    expect(views.map((r) => r.value.raw.toString('hex'))).toEqual(seen.views);
    expect(copies).toEqual(seen.copies);
    expect(btf).toEqual(seen.btf);
    expect(copies.map((r) => r.value.n).sort((a, b) => Number(a - b))).toEqual(Array.from({ length: n }, (_, i) => BigInt(2000 + i)));
    // …which is to say the next dump fills the memory they read.
    for (const decode of [() => map.dump({ key: number, value: number }), () => map.dump({ format: 'btf' })]) {
      const before = await map.dump();
      const released = before.keys.buffer;
      before.release();
      await decode();
      expect((await map.dump()).keys.buffer).toBe(released);
    }

    // A poller's dumps are its own: releasing one changes nothing, and the poller goes on diffing.
    const poller = map.poller();
    const tick = poller.poll();
    tick.dump.release();
    expect(tick.dump.count).toBe(n);
    await updateElem(object, u64(5), u64(7));
    expect(poller.poll().changed.map((c) => c.value.readBigUInt64LE(0))).toEqual([7n]);
    // After close() the handle keeps nothing; releasing then is harmless.
    const last = map.dumpSync();
    map.close();
    last.release();
    expect(last.count).toBe(0);
  });

  it('an async dump into a released dump of several batch calls reads every entry anew', async () => {
    // 10,000 entries: three batch calls of up to 4,096, each into the part of the released buffers
    // it fills (off the main thread, zeroed first: native/maps.cc Packed::Claim).
    const n = 10_000;
    const { object, map } = await mustMap({ type: 'hash', keySize: 8, valueSize: 8, maxEntries: n });
    const fill = async (base: bigint): Promise<void> => {
      const keys = Buffer.alloc(n * 8), values = Buffer.alloc(n * 8);
      for (let i = 0; i < n; i++) {
        keys.writeBigUInt64LE(BigInt(i), i * 8);
        values.writeBigUInt64LE(base + BigInt(i), i * 8);
      }
      await updateBatch(object, keys, values, n);
    };
    // Every key once, each with the value `offset` + key.
    const check = (dump: { count: number; key(i: number): Buffer; value(i: number): Buffer }, offset: bigint): void => {
      const seen = new Uint8Array(n);
      let wrong = 0;
      for (let i = 0; i < dump.count; i++) {
        const key = dump.key(i).readBigUInt64LE(0);
        if (key >= BigInt(n) || seen[Number(key)]++ || dump.value(i).readBigUInt64LE(0) !== offset + key) wrong++;
      }
      expect({ count: dump.count, wrong }).toEqual({ count: n, wrong: 0 });
    };
    await fill(0n);
    const first = await map.dump();
    check(first, 0n); // read on the main thread, as a decoder reads
    const memory = [first.keys.buffer, first.values.buffer];
    first.release();
    await fill(1_000_000n);
    const second = await map.dump();
    expect([second.keys.buffer, second.values.buffer]).toEqual(memory);
    check(second, 1_000_000n);
  });

  it('a dropped dump, once collected, is filled by the next dump of about its size; kept memory stays bounded', () => {
    // In a Node of its own, to collect garbage on demand; it also has to exit by itself, with
    // dump memory kept (the timer that frees it must not hold the process).
    const code = `
      const { execFileSync } = require('node:child_process');
      const { openMap, dumpMemoryStats } = require('bpfscope');
      const { createMap, updateBatch, deleteElem } = require('bpfscope/testing');
      const bpftool = (id) => JSON.parse(execFileSync('bpftool', ['-j', 'map', 'dump', 'id', String(id)], { encoding: 'utf8', maxBuffer: 1 << 28 }));
      // Collects until no more than \`lent\` dump blocks are in JS: Buffers' memory is freed off the
      // main thread and their finalizers run on a later turn of the event loop.
      const collect = async (lent) => {
        for (let i = 0; i < 200 && dumpMemoryStats().lentBlocks > lent; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
      };
      // Dumps dropped in a frame of their own, which then ends: none stays reachable.
      const drop = async (map, n) => { for (let i = 0; i < n; i++) await map.dump(); };
      const filled = async (n, base) => {
        const object = await createMap({ type: 'hash', keySize: 16, valueSize: 24, maxEntries: n });
        const keys = Buffer.alloc(n * 16), values = Buffer.alloc(n * 24);
        for (let i = 0; i < n; i++) { keys.writeUInt32LE(i, i * 16); values.writeUInt32LE(base + i, i * 24); }
        await updateBatch(object, keys, values, n);
        return { object, map: await openMap(object.id) };
      };
      (async () => {
        const out = {};
        const { object, map } = await filled(4096, 1000);
        await collect(0);
        out.start = dumpMemoryStats();
        // Held until counted: a collection during the loop (one under CI's Node 24 took a dump
        // early) would give its blocks back, and the next dump would take them.
        let held = [];
        for (let i = 0; i < 8; i++) held.push(await map.dump());
        out.lent = dumpMemoryStats();
        held = undefined; // dropped
        await collect(out.start.lentBlocks);
        out.collected = dumpMemoryStats();
        // The map changes, then shrinks: dumps into kept memory read it as it is, nothing stale.
        const values = Buffer.alloc(4096 * 24);
        for (let i = 0; i < 4096; i++) values.writeUInt32LE(7000 + i, i * 24);
        const keys = Buffer.alloc(4096 * 16);
        for (let i = 0; i < 4096; i++) keys.writeUInt32LE(i, i * 16);
        await updateBatch(object, keys, values, 4096);
        // Through another handle: what the map's last dump read sizes the kept memory it looks for.
        const other = await openMap(object.id);
        const changed = await other.dump();
        out.changed = { same: JSON.stringify(changed.toJSON()) === JSON.stringify(bpftool(map.info.id)), count: changed.count, first: changed.value(0).readUInt32LE(0) };
        for (let i = 0; i < 4096; i += 2) await deleteElem(object, keys.subarray(i * 16, i * 16 + 16));
        const shrunk = map.dumpSync();
        out.shrunk = { same: JSON.stringify(shrunk.toJSON()) === JSON.stringify(bpftool(map.info.id)), count: shrunk.count };
        out.taken = dumpMemoryStats();
        // 40 dropped dumps of 2.5 MiB: what is kept stays within its bounds.
        const big = await filled(65536, 0);
        await drop(big.map, 40);
        await collect(out.taken.lentBlocks);
        out.bounded = dumpMemoryStats();
        // No dump for 10 seconds: everything kept is freed.
        await new Promise((r) => setTimeout(r, 10_200));
        out.idle = dumpMemoryStats();
        console.log(JSON.stringify(out));
      })();
    `;
    const started = Date.now();
    const out = JSON.parse(run(process.execPath, ['--expose-gc', '-e', code]));
    expect(Date.now() - started).toBeLessThan(40_000);
    // Eight dropped dumps lend 16 blocks (keys and values); collected, each is kept.
    expect(out.lent.lentBlocks - out.start.lentBlocks).toBe(16);
    expect(out.collected.lentBlocks).toBe(out.start.lentBlocks);
    expect(out.collected.keptBlocks - out.start.keptBlocks).toBe(16);
    expect(out.collected.keptBytes).toBeGreaterThanOrEqual(8 * 4096 * (16 + 24));
    // The next two dumps, the first through a new handle, take kept blocks and equal bpftool: the
    // new values, then half the entries.
    expect(out.changed).toEqual({ same: true, count: 4096, first: expect.any(Number) });
    expect(out.changed.first).toBeGreaterThanOrEqual(7000);
    expect(out.shrunk).toEqual({ same: true, count: 2048 });
    expect(out.taken.taken - out.collected.taken).toBe(2);
    expect(out.taken.keptBlocks).toBe(out.collected.keptBlocks - 4);
    // 100 MiB of dropped dumps: at most 64 MiB kept, the rest freed.
    expect(out.bounded.keptBytes).toBeLessThanOrEqual(64 << 20);
    expect(out.bounded.keptBytes).toBeGreaterThan(32 << 20);
    expect(out.bounded.freed).toBeGreaterThan(out.taken.freed);
    expect(out.idle).toMatchObject({ keptBlocks: 0, keptBytes: 0, freed: out.bounded.freed + out.bounded.keptBlocks });
  });

  it('a reused buffer far larger than the map has become gives way to one of the right size', async () => {
    // 8,192 values of 256 bytes: 2 MiB, more than the 1 MiB of slack a reused buffer may keep.
    const n = 8192;
    const { object, map } = await mustMap({ type: 'hash', keySize: 8, valueSize: 256, maxEntries: n });
    const keys = Buffer.concat(Array.from({ length: n }, (_, i) => u64(i)));
    const values = Buffer.alloc(n * 256);
    for (let i = 0; i < n; i++) values.writeUInt32LE(i, i * 256);
    await updateBatch(object, keys, values, n);
    const poller = map.poller();
    poller.poll();
    poller.poll();
    const big = await map.dump();
    const memory = big.values.buffer;
    expect(memory.byteLength).toBeGreaterThanOrEqual(n * 256);
    big.release();

    for (let i = 10; i < n; i++) await deleteElem(object, u64(i));
    const small = await map.dump();
    expect(small.count).toBe(10);
    expect(small.values.buffer).not.toBe(memory);
    expect(small.values.buffer.byteLength).toBe(10 * 256);
    expect(small.toJSON()).toEqual(bpftoolDump(map.info.id));

    // The poller's two buffers shrink the same way, one tick each, and it reports every removal.
    expect(poller.poll().removed).toHaveLength(n - 10);
    const tick = poller.poll();
    expect(tick.removed).toHaveLength(0);
    expect(tick.dump.values.buffer.byteLength).toBe(10 * 256);
    expect(tick.dump.toJSON()).toEqual(bpftoolDump(map.info.id));
  });

  it("a poller of a growing map grows each of its buffers once, then fills them in place", async () => {
    const { object, map } = await mustMap({ type: 'hash', keySize: 8, valueSize: 8, maxEntries: 8192 });
    let total = 0;
    const add = async (count: number): Promise<void> => {
      const keys = Buffer.concat(Array.from({ length: count }, (_, i) => u64(total + i)));
      await updateBatch(object, keys, Buffer.alloc(count * 8, 1), count);
      total += count;
    };
    await add(1000);
    const poller = map.poller();
    poller.poll();
    poller.poll();
    const memory = new Set<ArrayBufferLike>();
    for (let tick = 0; tick < 12; tick++) {
      await add(50);
      const changes = poller.poll();
      expect(changes.added).toHaveLength(50);
      expect(changes.dump.count).toBe(total);
      memory.add(changes.dump.keys.buffer);
    }
    // 1,000 → 1,600 entries: the first two ticks grow the poller's two buffers, with room to
    // spare, and the next ten fill them (when growth was trimmed away, every tick allocated).
    expect(memory.size).toBe(2);
    expect(poller.poll().dump.toJSON()).toEqual(bpftoolDump(map.info.id));
  });

  it('per-CPU records decode one value per CPU', async () => {
    const { object, map } = await mustMap({ type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 4 });
    const cpus = map.possibleCpus;
    const block = Buffer.alloc(cpus * 8);
    for (let c = 0; c < cpus; c++) block.writeBigUInt64LE(BigInt(100 + c), c * 8);
    await updateElem(object, u32(1), block);
    const dump = await map.dump();
    const records = dump.perCpuRecords(defineLayout({ i: { offset: 0, type: 'u32' } }), defineLayout({ packets: { offset: 0, type: 'u64' } }));
    // Plain objects, as literals would be (toStrictEqual compares prototypes too).
    expect(records[1]).toStrictEqual({ key: { i: 1 }, values: Array.from({ length: cpus }, (_, c) => ({ packets: BigInt(100 + c) })) });
    expect(records[0].values.every((v) => v.packets === 0n)).toBe(true);
    expect(() => dump.records(defineLayout({ i: { offset: 0, type: 'u32' } }), defineLayout({ p: { offset: 0, type: 'u64' } }))).toThrow(TypeError);
    const views = dump.perCpuRecordViews(defineLayout({ i: { offset: 0, type: 'u32' } }), defineLayout({ packets: { offset: 0, type: 'u64' } }));
    expect(views.map((v) => v.toObject())).toEqual(records);
    expect(views[1].values.map((v) => v.packets)).toEqual(Array.from({ length: cpus }, (_, c) => BigInt(100 + c)));
    // Columns of a per-CPU map: count × cpus value rows, entry-major.
    const columns = dump.columns(defineLayout({ i: { offset: 0, type: 'u32' } }), defineLayout({ packets: { offset: 0, type: 'u64' } }));
    expect(Array.from(columns.key.i)).toEqual(records.map((r) => r.key.i));
    expect(Array.from(columns.value.packets)).toEqual(records.flatMap((r) => r.values.map((v) => v.packets)));
    expect(columns.value.packets).toBeInstanceOf(BigUint64Array);
    expect([...dump.iteratePerCpuRecords(defineLayout({ i: { offset: 0, type: 'u32' } }), defineLayout({ packets: { offset: 0, type: 'u64' } }))].map((v) => v.toObject())).toEqual(records);
    expect(() => dump.iterateRecords(defineLayout({ i: { offset: 0, type: 'u32' } }), defineLayout({ p: { offset: 0, type: 'u64' } }))).toThrow(TypeError);
    expect(() => dump.recordViews(defineLayout({ i: { offset: 0, type: 'u32' } }), defineLayout({ p: { offset: 0, type: 'u64' } }))).toThrow(TypeError);
  });

  it('maps without key/value entries get a BpfError that says why', async () => {
    const intBtf = { types: [{ kind: 'int', name: 'int', size: 4, signed: true }], keyTypeId: 1, valueTypeId: 1 };
    for (const [options, why] of [
      [{ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 }, 'a ring buffer is a stream of records'],
      [{ type: 'user_ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 }, 'a ring buffer is a stream of records'],
      [{ type: 'queue', keySize: 0, valueSize: 4, maxEntries: 4 }, 'lookup() with an empty key reads the next one'],
      [{ type: 'stack', keySize: 0, valueSize: 4, maxEntries: 4 }, 'lookup() with an empty key reads the top one'],
      [{ type: 'bloom_filter', keySize: 0, valueSize: 4, maxEntries: 4 }, 'keeps no entries'],
      [{ type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 2 }, 'perf events, which the kernel does not return'],
      [{ type: 'cgroup_array', keySize: 4, valueSize: 4, maxEntries: 2 }, 'cgroups, which the kernel does not return'],
      [{ type: 'xskmap', keySize: 4, valueSize: 4, maxEntries: 2 }, 'AF_XDP sockets, which the kernel does not return'],
      [{ type: 'sk_storage', keySize: 4, valueSize: 4, maxEntries: 0, flags: 1, btf: intBtf }, "read with the socket's fd as the key"],
      [{ type: 'task_storage', keySize: 4, valueSize: 4, maxEntries: 0, flags: 1, btf: intBtf }, "read with the task's pidfd as the key"],
      // The kernel says ENOSPC ("No space left on device") to a 4-byte socket map value.
      [{ type: 'sockmap', keySize: 4, valueSize: 4, maxEntries: 2 }, 'socket cookies only into 8-byte values'],
    ] as const) {
      const { map } = await mustMap(options);
      const err = await map.dump().catch((e: unknown) => e);
      expect(err, options.type).toBeInstanceOf(BpfError);
      expect((err as BpfError).message).toContain(`${options.type} maps cannot be dumped: `);
      expect((err as BpfError).message).toContain(why);
      expect((err as BpfError).object).toContain(`map ${map.info.id}`);
      expect(() => map.dumpSync()).toThrow(`${options.type} maps cannot be dumped`);
    }
    // A queue's and a stack's lookup with no key peeks, as `bpftool map peek` does.
    for (const type of ['queue', 'stack'] as const) {
      const { object, map } = await mustMap({ type, keySize: 0, valueSize: 4, maxEntries: 4 });
      expect(await map.lookup(Buffer.alloc(0))).toBeUndefined();
      for (const n of [1, 2]) await updateElem(object, Buffer.alloc(0), u32(n));
      const head = await map.lookup(Buffer.alloc(0));
      expect(head?.readUInt32LE(0)).toBe(type === 'queue' ? 1 : 2);
      expect(map.lookupSync(Buffer.alloc(0))?.equals(head!)).toBe(true); // still there: peeked, not popped
      expect([...head!].map((b) => `0x${b.toString(16).padStart(2, '0')}`)).toEqual(
        (JSON.parse(run('bpftool', ['-j', 'map', 'peek', 'id', String(map.info.id)])) as { value: string[] }).value,
      );
    }
    // Lookups say the same, where the kernel has slots to look up.
    const { map: sockets } = await mustMap({ type: 'sockmap', keySize: 4, valueSize: 4, maxEntries: 2 });
    const err = await sockets.lookup(u32(0)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ENOSPC', op: 'BPF_MAP_LOOKUP_ELEM' });
    expect((err as BpfError).message).toContain('sockmap map entries cannot be read: the kernel returns socket cookies only into 8-byte values');
    expect(() => sockets.lookupSync(u32(0))).toThrow('sockmap map entries cannot be read');
    // A bloom filter's kernel lookup tests the value buffer for membership and writes nothing back:
    // with element 0 pushed, a zeroed buffer would be "found". Refused before the call instead.
    const { object: bloom, map: filter } = await mustMap({ type: 'bloom_filter', keySize: 0, valueSize: 4, maxEntries: 4 });
    await updateElem(bloom, Buffer.alloc(0), u32(0));
    const dumped = await filter.dump().catch((e: unknown) => e);
    const looked = await filter.lookup(Buffer.alloc(0)).catch((e: unknown) => e);
    expect(looked).toBeInstanceOf(BpfError);
    expect(looked).toMatchObject({ code: 'EOPNOTSUPP', errno: (dumped as BpfError).errno, op: 'BPF_MAP_LOOKUP_ELEM', object: `map ${filter.info.id} (bloom_filter)` });
    expect((looked as BpfError).message).toContain('bloom_filter map entries cannot be read: a bloom filter answers membership queries and keeps no entries');
    expect((dumped as BpfError).code).toBe('EOPNOTSUPP');
    expect(() => filter.lookupSync(Buffer.alloc(0))).toThrow('bloom_filter map entries cannot be read');
  });

  it('device, CPU, socket and LRU per-CPU maps dump as bpftool does, without its error entries for empty slots', async () => {
    // bpftool prints every slot of an array-like map, and the lookup's error for an empty one.
    const present = (entries: unknown) => (entries as { value?: unknown }[]).filter((e) => !(e.value && typeof e.value === 'object' && 'error' in e.value));
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const socketFd = (server as unknown as { _handle: { fd: number } })._handle.fd;
    expect(socketFd).toBeGreaterThan(2);

    const cases = [
      // ifindex 1 is lo in every namespace.
      { options: { type: 'devmap', keySize: 4, valueSize: 4, maxEntries: 4 }, fill: [[2, u32(1)]] },
      { options: { type: 'devmap_hash', keySize: 4, valueSize: 4, maxEntries: 4 }, fill: [[7, u32(1)]] },
      // A CPU's queue size.
      { options: { type: 'cpumap', keySize: 4, valueSize: 4, maxEntries: 2 }, fill: [[1, u32(192)]] },
      // Socket maps store an fd and return the socket's cookie.
      { options: { type: 'sockmap', keySize: 4, valueSize: 8, maxEntries: 4 }, fill: [[3, u64(socketFd)]] },
      { options: { type: 'sockhash', keySize: 4, valueSize: 8, maxEntries: 4 }, fill: [[9, u64(socketFd)]] },
      { options: { type: 'lru_percpu_hash', keySize: 4, valueSize: 8, maxEntries: 8 }, fill: [[5, Buffer.alloc(8 * 64, 0x11)]] },
    ] as const;
    for (const { options, fill } of cases) {
      const { object, map } = await mustMap(options);
      for (const [key, value] of fill) {
        await updateElem(object, u32(key), value.subarray(0, map.valueStride)); // per-CPU: a value per CPU
      }
      const ours = await map.dump();
      expect(ours.count, options.type).toBe(fill.length);
      expect(ours.key(0).readUInt32LE(0)).toBe(fill[0][0]);
      const theirs = present(bpftoolDump(map.info.id));
      expect(ours.toJSON(), options.type).toEqual(theirs);
      expect((await map.dump({ iterate: true })).toJSON()).toEqual(theirs);
      const stored = await map.lookup(u32(fill[0][0]));
      expect(stored?.equals(ours.value(0))).toBe(true);
      if (options.type.startsWith('sock')) expect(ours.value(0).readBigUInt64LE(0)).toBeGreaterThan(0n); // a cookie, not the fd
      else if (options.type !== 'lru_percpu_hash') expect(ours.value(0).equals(fill[0][1])).toBe(true);
    }
  });

  it('cgroup storage maps (max_entries 0) dump their entries, one per attached cgroup, as bpftool does', async () => {
    // max_entries must be 0 for these maps: a dump that took it for a bound stopped before the first entry.
    const dir = mustCgroup();
    const inode = statSync(dir, { bigint: true }).ino;
    for (const type of ['cgroup_storage', 'percpu_cgroup_storage'] as const) {
      // The key is struct bpf_cgroup_storage_key: the cgroup's inode (its id), the attach type.
      const { object, map } = await mustMap({ type, keySize: 16, valueSize: 8, maxEntries: 0 });
      // r1 = &map; r2 = 0; call bpf_get_local_storage; r0 = 1; exit: the attachment makes the entry.
      const insns = Buffer.concat([mapInsns(0, 1), insn(0xb7, 2, 0, 0, 0), insn(0x85, 0, 0, 0, 81), insn(0xb7, 0, 0, 0, 1), insn(0x95, 0, 0, 0, 0)]);
      const program = owned(await loadProgram({ type: 'cgroup_skb', expectedAttachType: 'cgroup_inet_egress', maps: [object], insns }));
      await attachCgroup(program, dir, 'cgroup_inet_egress', 'multi');
      cleanup(() => detachCgroup(program, dir, 'cgroup_inet_egress'));
      const ours = await map.dump();
      expect(ours.batched).toBe(false); // no batch ops: get_next_key + lookup
      expect(ours.count, type).toBe(1);
      expect(ours.key(0).readBigUInt64LE(0)).toBe(inode);
      expect(ours.key(0).readUInt32LE(8)).toBe(1); // BPF_CGROUP_INET_EGRESS
      expect(ours.toJSON()).toEqual(bpftoolDump(map.info.id));
      expect(map.poller().poll().added.map((e) => e.key.toString('hex'))).toEqual([ours.key(0).toString('hex')]);
    }
  });

  it('survives concurrent updates and deletes during dumps, and reads the final state exactly', async () => {
    const { object, map } = await mustMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4096 });
    const universe = 3000;
    const keys = Buffer.alloc(universe * 4);
    for (let i = 0; i < universe; i++) keys.writeUInt32LE(i, i * 4);
    await updateBatch(object, keys, Buffer.alloc(universe * 8), universe);
    const present = new Set(Array.from({ length: universe }, (_, i) => i));
    let stop = false;
    const churn = (async () => {
      for (let round = 0; !stop; round++) {
        const k = (round * 37) % universe;
        if (round % 2) {
          await deleteElem(object, u32(k)).catch(() => undefined);
          present.delete(k);
        } else {
          await updateElem(object, u32(k), Buffer.alloc(8, round & 0xff));
          present.add(k);
        }
      }
    })();
    try {
      for (let i = 0; i < 40; i++) {
        const batched = i % 2 === 1;
        const dump = batched ? await map.dump() : await map.dump({ iterate: true });
        const seen = new Set<number>();
        for (let e = 0; e < dump.count; e++) seen.add(dump.key(e).readUInt32LE(0));
        expect([...seen].every((k) => k < universe)).toBe(true);
        expect(seen.size).toBeLessThanOrEqual(universe);
        // Batches copy whole buckets, so no key appears twice. Iteration restarts from the first
        // bucket when get_next_key's key was deleted, and sees keys again: the walk stops at
        // max_entries (4096) entries, past the 3000 keys there can be.
        if (batched) expect(seen.size).toBe(dump.count);
        else expect(dump.count).toBeLessThanOrEqual(4096);
      }
    } finally {
      stop = true;
      await churn;
    }
    const final = await map.dump();
    expect(new Set(Array.from({ length: final.count }, (_, e) => final.key(e).readUInt32LE(0)))).toEqual(present);
    expect(final.toJSON()).toEqual(bpftoolDump(object.id));
  });
});

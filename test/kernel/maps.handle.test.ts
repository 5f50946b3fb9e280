// Opening maps (by id, pin and name), handle lifetime, lookups, and the errors bad input gets.
import { closeSync, openSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { BpfError, defineLayout, openMap } from 'bpfscope';
import { createMap, loadProgram, pin, updateElem } from 'bpfscope/testing';
import { cleanup, describeKernel, mustBpffs, openFdCount, owned, uniqueName } from '../helpers/kernel';
import { u32 } from '../helpers/maps';
import { possibleCpus } from '../helpers/host';
import { between, PACKAGE_ROOT, traced } from '../helpers/trace';


describeKernel('map handles', () => {
  it('opens a map by id, { id }, { pinned } and { name }, with its info', async () => {
    const name = uniqueName('bpfs_open');
    const object = owned(await createMap({ type: 'hash', name, keySize: 4, valueSize: 4, maxEntries: 8 }));
    const dir = await mustBpffs();
    const path = join(dir, 'm');
    await pin(object, path);
    for (const ref of [object.id, { id: object.id }, { pinned: path }, { name }]) {
      const map = await openMap(ref);
      try {
        expect(map.info).toMatchObject({ id: object.id, type: 'hash', name, keySize: 4, valueSize: 4, maxEntries: 8 });
        expect(map.closed).toBe(false);
      } finally {
        map.close();
      }
      expect(map.closed).toBe(true);
    }
  });

  it('keeps reading a map whose pin is removed and whose creator closed it', async () => {
    const object = await createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 4 });
    await updateElem(object, u32(2), u32(0xabcd));
    const dir = await mustBpffs();
    const path = join(dir, 'gone');
    await pin(object, path);
    const map = await openMap({ pinned: path });
    cleanup(() => map.close());
    unlinkSync(path);
    object.close();
    expect(await map.lookup(u32(2))).toEqual(u32(0xabcd));
    expect((await map.dump()).value(2)).toEqual(u32(0xabcd));
  });

  it('looks up values: a Buffer, undefined for a missing key, sync or async', async () => {
    const object = owned(await createMap({ type: 'hash', keySize: 8, valueSize: 4, maxEntries: 8 }));
    const key = Buffer.from('0102030405060708', 'hex');
    await updateElem(object, key, u32(77));
    using map = await openMap(object.id);
    expect(await map.lookup(key)).toEqual(u32(77));
    expect(map.lookupSync(new Uint8Array(key))).toEqual(u32(77));
    expect(await map.lookup(Buffer.alloc(8))).toBeUndefined();
    expect(map.lookupSync(Buffer.alloc(8))).toBeUndefined();
  });

  it('lookups and dumps through a handle make only their own bpf() calls: the shape read when the map was opened serves them (seen in strace)', () => {
    // A lookup that asked the kernel for the map's info first made two syscalls instead of one.
    const trace = traced(`
      (async () => {
        const out = {};
        for (const type of ['hash', 'percpu_hash']) {
          const obj = await t.createMap({ type, keySize: 4, valueSize: 4, maxEntries: 8 });
          const map = await b.openMap(obj.id);
          const key = Buffer.from([7, 0, 0, 0]);
          const value = Buffer.alloc(map.valueStride);
          for (let at = 0; at < value.length; at += map.perCpu ? 8 : 4) value.writeUInt32LE(0x0a0b0c0d, at);
          await t.updateElem(obj, key, value);
          mark(type + ' sync');
          const sync = [map.lookupSync(key), map.lookupSync(Buffer.alloc(4))];
          const syncDump = map.dumpSync();
          mark(type + ' async');
          const pooled = [await map.lookup(key), await map.lookup(Buffer.alloc(4))];
          const asyncDump = await map.dump();
          mark(type + ' end');
          const hex = (v) => v === undefined ? null : v.toString('hex');
          out[type] = { stride: map.valueStride, expected: value.toString('hex'), lookups: [...sync, ...pooled].map(hex),
            dumps: [syncDump, asyncDump].map((d) => [d.count, hex(d.key(0)), hex(d.value(0))]) };
          map.close(); obj.close();
        }
        console.log(JSON.stringify(out));
      })();
    `);
    const out = JSON.parse(trace.stdout) as Record<string, { stride: number; expected: string; lookups: (string | null)[]; dumps: [number, string, string][] }>;
    for (const type of ['hash', 'percpu_hash']) {
      const { stride, expected, lookups, dumps } = out[type];
      expect(stride).toBe(type === 'hash' ? 4 : 8 * possibleCpus());
      expect(lookups).toEqual([expected, null, expected, null]);
      expect(dumps).toEqual([[1, '07000000', expected], [1, '07000000', expected]]);
      for (const phase of ['sync', 'async']) {
        const commands = between(trace.calls, `${type} ${phase}`).filter((l) => l.includes('bpf(')).map((l) => /bpf\((BPF_\w+)/.exec(l)?.[1]);
        expect(commands).toEqual(['BPF_MAP_LOOKUP_ELEM', 'BPF_MAP_LOOKUP_ELEM', 'BPF_MAP_LOOKUP_BATCH']);
      }
    }
  });

  it('gives clear errors for bad keys, a closed handle and a wrong object kind', async () => {
    const object = owned(await createMap({ type: 'hash', keySize: 8, valueSize: 4, maxEntries: 8 }));
    const map = await openMap(object.id);
    await expect(map.lookup(Buffer.alloc(4))).rejects.toThrow(RangeError);
    await expect(map.lookup(Buffer.alloc(4))).rejects.toThrow('8-byte keys; got 4 bytes');
    await expect(map.lookup('01020304' as never)).rejects.toThrow(TypeError);
    expect(() => map.lookupSync(Buffer.alloc(9))).toThrow(RangeError);
    await expect(map.dump({ fromat: 'btf' } as never)).rejects.toThrow("unknown option 'fromat'");
    await expect(map.dump({ format: 'json' } as never)).rejects.toThrow(new TypeError("dump format must be 'btf' or 'raw', got string json"));
    // Layout options: both or neither, from defineLayout(), not with format: 'btf'; views need them.
    const layout = defineLayout({ n: { offset: 0, type: 'u32' } }, 4);
    await expect(map.dump({ key: layout } as never)).rejects.toThrow(new TypeError('dump needs both a key and a value layout'));
    expect(() => map.dumpSync({ key: layout, value: { n: { offset: 0, type: 'u32' } } } as never)).toThrow(new TypeError('dump key/value must be layouts from defineLayout()'));
    expect(() => map.dumpSync({ key: layout, value: layout, format: 'btf' } as never)).toThrow(new TypeError("dump: choose either format: 'btf' or key/value layouts"));
    expect(() => map.dumpSync({ views: 1 } as never)).toThrow(/^dump views must be a boolean, got number 1$/);
    await expect(map.dump({ iterate: 'yes' } as never)).rejects.toThrow(new TypeError('dump iterate must be a boolean, got string yes'));
    expect(() => map.dumpSync({ iterate: 1 } as never)).toThrow(new TypeError('dump iterate must be a boolean, got number 1'));

    map.close();
    await expect(map.lookup(Buffer.alloc(8))).rejects.toMatchObject({ code: 'ERR_BPFSCOPE_CLOSED', message: 'the map handle is closed' });
    await expect(map.dump()).rejects.toMatchObject({ code: 'ERR_BPFSCOPE_CLOSED' });
    expect(() => map.dumpSync()).toThrow('the map handle is closed');
    expect(() => map.poller().poll()).toThrow('the map handle is closed');
    // A fixture's handle as well: its id was read from /proc/self/fdinfo/-1 (a bare ENOENT).
    object.close();
    expect(() => object.id).toThrow(expect.objectContaining({ code: 'ERR_BPFSCOPE_CLOSED', message: 'the map handle is closed' }));

    const program = owned(await loadProgram({ type: 'socket_filter', name: 'bpfs_notmap' }));
    const dir = await mustBpffs();
    await pin(program, join(dir, 'prog'));
    const err = await openMap({ pinned: join(dir, 'prog') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BpfError);
    expect(err).toMatchObject({ code: 'EINVAL', op: 'BPF_OBJ_GET', object: join(dir, 'prog') });
    expect((err as Error).message).toContain('not a map');

    // An sk_storage key is a socket's fd: a file's gets the kernel's ENOTSOCK, by its name.
    const storage = owned(await createMap({ type: 'sk_storage', keySize: 4, valueSize: 8, maxEntries: 0, flags: 1, btf: { types: [{ kind: 'int', name: 'int', size: 4, signed: true }, { kind: 'int', name: 'long long', size: 8, signed: true }], keyTypeId: 1, valueTypeId: 2 } }));
    using sockets = await openMap(storage.id);
    const file = openSync('/proc/self/stat', 'r');
    cleanup(() => closeSync(file));
    await expect(sockets.lookup(u32(file))).rejects.toMatchObject({ code: 'ENOTSOCK', errno: 88, op: 'BPF_MAP_LOOKUP_ELEM', message: expect.stringContaining('(ENOTSOCK)') });
    // The bare errno does not say why a key is an fd at all: the error does, for a number that is no fd too.
    const hint = "a sk_storage map's key is the socket's fd: the number of an fd this process holds";
    await expect(sockets.lookup(u32(file))).rejects.toMatchObject({ description: 'Socket operation on non-socket', detail: hint, message: expect.stringContaining(hint) });
    expect(() => sockets.lookupSync(u32(0x7fffffff))).toThrow(expect.objectContaining({ code: 'EBADF', detail: hint }));
  });

  it('the addon refuses a lookup into a buffer of the wrong size instead of letting the kernel write past it', async () => {
    const object = owned(await createMap({ type: 'hash', keySize: 4, valueSize: 24, maxEntries: 8 }));
    await updateElem(object, u32(1), Buffer.alloc(24, 9));
    using map = await openMap(object.id);
    // What lookupSync() passes, done by hand, as a caller of the addon itself could.
    const { native } = require(join(PACKAGE_ROOT, 'dist/cjs/native.js')) as { native(): { mapLookupInto(h: unknown, k: Buffer, v: Buffer): boolean } };
    const handle = (map as unknown as { handle: unknown }).handle;
    for (const size of [0, 8, 23, 25]) {
      const value = Buffer.alloc(size + 64, 0xee).subarray(0, size);
      expect(() => native().mapLookupInto(handle, u32(1), value)).toThrow(TypeError);
      expect(Buffer.from(value.buffer)).toEqual(Buffer.alloc(size + 64, 0xee)); // nothing written, not even past the end
    }
    const value = Buffer.alloc(24);
    expect(native().mapLookupInto(handle, u32(1), value)).toBe(true);
    expect(value).toEqual(Buffer.alloc(24, 9));
  });

  it('rejects bad references before the kernel, and unknown ones with BpfError ENOENT', async () => {
    await expect(openMap(0)).rejects.toThrow(RangeError);
    await expect(openMap(1.5)).rejects.toThrow(RangeError);
    await expect(openMap('5' as never)).rejects.toThrow(TypeError);
    await expect(openMap({} as never)).rejects.toThrow('exactly one of id, pinned, name');
    await expect(openMap({ id: 1, name: 'x' } as never)).rejects.toThrow(TypeError);
    await expect(openMap({ Pinned: '/sys/fs/bpf/x' } as never)).rejects.toThrow("did you mean 'pinned'");
    await expect(openMap(0xfffffff0)).rejects.toMatchObject({ code: 'ENOENT', op: 'BPF_MAP_GET_FD_BY_ID' });
    await expect(openMap({ name: uniqueName('bpfs_none') })).rejects.toMatchObject({ code: 'ENOENT' });
    const bpffs = await mustBpffs();
    await expect(openMap({ pinned: join(bpffs, 'missing') })).rejects.toMatchObject({ code: 'ENOENT', op: 'BPF_OBJ_GET' });
    // The kernel's EACCES for a path that holds no pin is no permission matter: bpftool says
    // "not in bpf file system (bpffs)", and so does the error, without a capability hint.
    for (const [path, code, op, detail] of [
      ['/proc/self/stat', 'EXDEV', 'statfs', 'not on a bpffs mount'],
      ['/etc', 'EXDEV', 'statfs', 'not on a bpffs mount'],
      [bpffs, 'EISDIR', 'BPF_OBJ_GET', 'a bpffs directory, not a pinned object'],
    ]) {
      const err = await openMap({ pinned: path }).catch((e: unknown) => e);
      expect(err, path).toBeInstanceOf(BpfError);
      expect(err, path).toMatchObject({ code, op, object: path, detail, capability: undefined });
      expect((err as Error).message, path).not.toContain('this needs');
    }

    const name = uniqueName('bpfs_twice');
    owned(await createMap({ type: 'array', name, keySize: 4, valueSize: 4, maxEntries: 1 }));
    owned(await createMap({ type: 'array', name, keySize: 4, valueSize: 4, maxEntries: 1 }));
    await expect(openMap({ name })).rejects.toThrow(`2 maps are named '${name}'`);
  });

  it('returns to the same fd count after many opens, dumps and closes, even with a dump in flight at close', async () => {
    const object = owned(await createMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 64 }));
    for (let i = 0; i < 32; i++) await updateElem(object, u32(i), u32(i));
    const before = openFdCount();
    for (let i = 0; i < 200; i++) {
      const map = await openMap(object.id);
      const inFlight = map.dump();
      map.close(); // the async dump owns a dup of the fd
      expect((await inFlight).count).toBe(32);
    }
    for (let i = 0; i < 50; i++) {
      using map = await openMap(object.id);
      await map.lookup(u32(1));
      map.dumpSync();
      await map.dump({ format: 'btf' });
    }
    expect(openFdCount()).toBe(before);
  });

  it('every async call started before close() finishes from the fd it dup\'d: dumps of each format, dumpInner, lookup, entryDecoder, btfTypes', async () => {
    const btf = { types: [{ kind: 'int' as const, name: 'unsigned int', size: 4 }], keyTypeId: 1, valueTypeId: 1 };
    const object = owned(await createMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4, btf }));
    await updateElem(object, u32(1), u32(2));
    const inner = owned(await createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 }));
    const outer = owned(await createMap({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 1, innerMap: inner }));
    await updateElem(outer, u32(0), u32(inner.fd));
    const layout = defineLayout({ n: { offset: 0, type: 'u32' } }, 4);
    const started = async <T>(id: number, call: (map: Awaited<ReturnType<typeof openMap>>) => Promise<T>): Promise<T> => {
      const map = await openMap(id);
      const pending = call(map);
      map.close();
      return pending;
    };
    expect((await started(object.id, (m) => m.dump())).count).toBe(1);
    expect(await started(object.id, (m) => m.dump({ format: 'btf' }))).toEqual([{ key: 1, value: 2 }]);
    expect(await started(object.id, (m) => m.dump({ key: layout, value: layout }))).toEqual([{ key: { n: 1 }, value: { n: 2 } }]);
    expect(await started(object.id, (m) => m.lookup(u32(1)))).toEqual(u32(2));
    expect((await started(object.id, (m) => m.entryDecoder()))(u32(1), u32(2))).toEqual({ key: 1, value: 2 });
    expect((await started(object.id, (m) => m.btfTypes()))?.valueTypeId).toBe(1);
    const nested = await started(outer.id, (m) => m.dumpInner());
    expect(nested.inner.map((e) => e?.info.id)).toEqual([inner.id]);
  });
});

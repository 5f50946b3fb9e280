#!/usr/bin/env node
// The `bpfscope` command: formats what the public API returns, nothing more.
import { BpfError } from '../errors';
import { enableStats, getProgram, listPrograms, type ProgramInfo } from '../programs';
import { getMapInfo, listMaps, type MapInfo } from '../maps';
import { listLinks, type LinkInfo } from '../links';
import { listPinned } from '../pins';
import { probeFeatures, versions } from '../features';
import { parseArgs, UsageError, type ParsedArgs } from './args';
import { bold, bytes, dim, table, toJson } from './format';

/** Exit codes, documented in the README. */
export const EXIT = { ok: 0, error: 1, usage: 2, permission: 3, notFound: 4 } as const;

const USAGE = `usage: bpfscope [command] [--json]

  (no command)            overview: programs by type, maps, links
  prog [id]               BPF programs (bpftool prog show)
  map show [id|name]      BPF maps (bpftool map show)
  link                    BPF links, tcx and netkit included (bpftool link show)
  pinned [root]           objects pinned in bpffs
  top [--interval ms] [--count n]
                          programs by CPU share, refreshing (needs CAP_SYS_ADMIN for statistics)
  version                 bpfscope, libbpf, kernel and the features bpfscope probes

Every command takes --json (64-bit numbers as strings). Colour follows NO_COLOR and the terminal.`;

interface Context {
  json: boolean;
  out: (s: string) => void;
}

type Command = (args: ParsedArgs, ctx: Context) => Promise<void>;

function print(ctx: Context, value: unknown, text: () => string): void {
  ctx.out(ctx.json ? toJson(value) : text());
}

function programRows(programs: ProgramInfo[]): unknown[][] {
  return programs.map((p) => [p.id, p.type, p.name, p.tag, p.loadedAt, p.bytesXlated, p.bytesJited, bytes(p.bytesMemlock), p.mapIds]);
}

const commands: Record<string, Command> = {
  async prog({ positionals }, ctx) {
    if (positionals.length > 1) throw new UsageError('prog takes at most one id');
    const programs = positionals[0] ? [await getProgram(parseId(positionals[0]))] : await listPrograms();
    print(ctx, positionals[0] ? programs[0] : programs, () =>
      table(['id', 'type', 'name', 'tag', 'loaded', 'xlated', 'jited', 'memlock', 'maps'], programRows(programs)),
    );
  },

  async map({ positionals }, ctx) {
    const [sub, ref, ...rest] = positionals;
    if (sub !== 'show' || rest.length > 0) throw new UsageError('usage: bpfscope map show [id|name]');
    let maps: MapInfo[];
    if (ref === undefined) maps = await listMaps();
    else if (/^\d+$/.test(ref)) maps = [await getMapInfo(parseId(ref))];
    else maps = (await listMaps()).filter((m) => m.name === ref);
    if (ref !== undefined && maps.length === 0) throw new NotFound(`no map named ${ref}`);
    print(ctx, ref !== undefined && maps.length === 1 ? maps[0] : maps, () =>
      table(
        ['id', 'type', 'name', 'key', 'value', 'max', 'flags', 'memlock', 'btf'],
        maps.map((m) => [m.id, m.type, m.name, m.keySize, m.valueSize, m.maxEntries, `0x${m.flags.toString(16)}`, bytes(m.bytesMemlock), m.btfId]),
      ),
    );
  },

  async link(_args, ctx) {
    const links = await listLinks();
    print(ctx, links, () => table(['id', 'type', 'prog', 'details'], links.map((l) => [l.id, l.type, l.progId, linkDetails(l)])));
  },

  async pinned({ positionals }, ctx) {
    const entries = await listPinned(positionals[0]);
    print(ctx, entries, () =>
      table(['path', 'kind', 'id', 'name / type'], entries.map((e) =>
        'info' in e ? [e.path, e.kind, e.info.id, 'name' in e.info ? e.info.name : e.info.type] : [e.path, e.kind, '-', e.code],
      )),
    );
  },

  async top({ options }, ctx) {
    const interval = options.interval ? parsePositive(options.interval as string, '--interval') : 1000;
    const count = options.count ? parsePositive(options.count as string, '--count') : Infinity;
    using _stats = await enableStats();
    let before = new Map((await listPrograms()).map((p) => [p.id, p]));
    for (let n = 0; n < count; n++) {
      await new Promise((r) => setTimeout(r, interval));
      const now = await listPrograms();
      const rows = now
        .map((p) => {
          const prev = before.get(p.id);
          const dt = (p.runTimeNs ?? 0n) - (prev?.runTimeNs ?? p.runTimeNs ?? 0n);
          const dc = (p.runCount ?? 0n) - (prev?.runCount ?? p.runCount ?? 0n);
          return { id: p.id, type: p.type, name: p.name, cpuPercent: (Number(dt) / (interval * 1e6)) * 100, eventsPerSec: Number(dc) / (interval / 1000), avgNs: dc > 0n ? Number(dt / dc) : 0 };
        })
        .sort((a, b) => b.cpuPercent - a.cpuPercent || b.eventsPerSec - a.eventsPerSec);
      before = new Map(now.map((p) => [p.id, p]));
      if (ctx.json) ctx.out(toJson(rows));
      else {
        if (process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
        ctx.out(`${bold('bpfscope top')} ${dim(`every ${interval} ms, ${rows.length} programs`)}`);
        ctx.out(table(['id', 'type', 'name', 'cpu %', 'events/s', 'avg ns'], rows.slice(0, 40).map((r) => [r.id, r.type, r.name, r.cpuPercent.toFixed(2), Math.round(r.eventsPerSec), r.avgNs])));
      }
    }
  },

  async version(_args, ctx) {
    const v = versions();
    const features = await probeFeatures().catch(() => []);
    print(ctx, { ...v, features }, () =>
      [
        `bpfscope ${v.bpfscope} (node ${v.node}, napi ${v.napi})`,
        `libbpf ${v.libbpf.runtime} (built against ${v.libbpf.build})`,
        `kernel ${v.kernel} ${v.machine}${v.vmlinuxBtf ? ', vmlinux BTF' : ''}`,
        ...features.map((f) => `  ${f.supported === undefined ? '?' : f.supported ? '✓' : '✗'} ${f.name} (Linux ≥ ${f.minKernel})`),
      ].join('\n'),
    );
  },
};

async function overview(ctx: Context): Promise<void> {
  const [programs, maps, links] = await Promise.all([listPrograms(), listMaps(), listLinks()]);
  const byType = new Map<string, number>();
  for (const p of programs) byType.set(String(p.type), (byType.get(String(p.type)) ?? 0) + 1);
  print(ctx, { programs, maps, links }, () =>
    [
      bold(`${programs.length} programs`) + ` (${[...byType].map(([t, n]) => `${t} ${n}`).join(', ') || 'none'})`,
      bold(`${maps.length} maps`) + `, ${bold(`${links.length} links`)}`,
      '',
      table(['link', 'type', 'prog', 'program name', 'details'], links.map((l) => [l.id, l.type, l.progId, programs.find((p) => p.id === l.progId)?.name, linkDetails(l)])),
    ].join('\n'),
  );
}

function linkDetails(l: LinkInfo): string {
  const { id: _id, type: _type, progId: _prog, ...rest } = l as unknown as Record<string, unknown>;
  return Object.entries(rest).map(([k, v]) => `${k}=${String(v)}`).join(' ');
}

class NotFound extends Error {}

function parseId(s: string): number {
  if (!/^\d+$/.test(s)) throw new UsageError(`not an id: ${s}`);
  return Number(s);
}

function parsePositive(s: string, what: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${what} must be a positive integer`);
  return n;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(`${s}\n`)): Promise<number> {
  try {
    const args = parseArgs(argv, ['interval', 'count'], ['json', 'help']);
    const ctx: Context = { json: Boolean(args.options.json), out };
    const [name, ...rest] = args.positionals;
    if (args.options.help || name === 'help') {
      out(USAGE);
      return EXIT.ok;
    }
    if (name === undefined) await overview(ctx);
    else if (commands[name]) await commands[name]({ positionals: rest, options: args.options }, ctx);
    else throw new UsageError(`unknown command ${name}`);
    return EXIT.ok;
  } catch (err) {
    return report(err);
  }
}

/** One line for the error, one line of hint; the exit code says what kind of failure it was. */
function report(err: unknown): number {
  const line = (s: string) => process.stderr.write(`${s}\n`);
  if (err instanceof UsageError) {
    line(`bpfscope: ${err.message}`);
    line('hint: bpfscope --help lists the commands');
    return EXIT.usage;
  }
  if (err instanceof BpfError) {
    line(`bpfscope: ${err.message}`);
    if (err.code === 'EPERM' || err.code === 'EACCES') {
      line(`hint: run as root, or grant ${err.capability ?? 'the capability named above'}`);
      return EXIT.permission;
    }
    if (err.code === 'ENOENT') {
      line('hint: the object is gone or never existed; list what exists with the matching list command');
      return EXIT.notFound;
    }
    return EXIT.error;
  }
  if (err instanceof NotFound) {
    line(`bpfscope: ${err.message}`);
    return EXIT.notFound;
  }
  line(`bpfscope: ${err instanceof Error ? err.message : String(err)}`);
  return EXIT.error;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

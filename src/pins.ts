// Objects pinned in bpffs.
import { mountsOf } from './mounts';
import { BpfError, withCallerStack } from './errors';
import { linksOf, type LinkInfo } from './links';
import { mapsOf, type MapInfo } from './maps';
import { native, type NativePinnedSet } from './native';
import { programsOf, type ProgramInfo } from './programs';
import { checkPath } from './validate';

export type PinnedObject =
  | { path: string; kind: 'program'; info: ProgramInfo }
  | { path: string; kind: 'map'; info: MapInfo }
  | { path: string; kind: 'link'; info: LinkInfo };

/**
 * A pin that exists but could not be opened (e.g. EACCES), with the errno's name; or a directory
 * below the root that could not be read, or a bpffs mount that could not be listed (EXDEV when
 * another filesystem is mounted over it).
 */
export interface UnreadablePin {
  path: string;
  kind: 'unreadable';
  code: string;
  errno: number;
}

/** Pairs each pin with its object's info, in the order the addon found them. */
function pinnedOf(set: NativePinnedSet): (PinnedObject | UnreadablePin)[] {
  const infos = { program: programsOf(set.programs), map: mapsOf(set.maps), link: linksOf(set.links) };
  return set.entries.map((e) => (e.kind === 'unreadable' ? e : ({ path: e.path, kind: e.kind, info: infos[e.kind][e.row] } as PinnedObject)));
}

/**
 * Which object (program, map or link) is pinned at `path`, with its info.
 * A directory (in bpffs or not) rejects with BpfError EISDIR; any other path outside bpffs with
 * EXDEV; a missing path with ENOENT.
 */
export async function openPinned(path: string): Promise<PinnedObject> {
  checkPath(path, 'path');
  return pinnedOf(await withCallerStack(() => native().openPinned(path)))[0] as PinnedObject;
}

/**
 * Every object pinned below `root` (default: every bpffs mount of this process), depth first,
 * in name order. Pins and directories that cannot be opened are listed as `unreadable` in their
 * place, not skipped silently, and so are default mounts that cannot be listed: one does not
 * hide the rest. A `root` given that cannot be listed rejects. Symlinks are skipped, as
 * bpftool's walk skips them: the object one points to is listed where it is pinned.
 */
export async function listPinned(root?: string): Promise<(PinnedObject | UnreadablePin)[]> {
  if (root !== undefined) {
    checkPath(root, 'root');
    return pinnedOf(await withCallerStack(() => native().listPinned(root)));
  }
  const out: (PinnedObject | UnreadablePin)[] = [];
  for (const dir of await bpffsMounts()) out.push(...(await mountPins(dir)));
  return out;
}

/** One bpffs mount's pins, or the mount as unreadable (over-mounted, not readable); none when it is gone. */
async function mountPins(dir: string): Promise<(PinnedObject | UnreadablePin)[]> {
  try {
    return pinnedOf(await withCallerStack(() => native().listPinned(dir)));
  } catch (err) {
    if (!(err instanceof BpfError)) throw err;
    if (err.code === 'ENOENT') return []; // unmounted and removed since mountinfo was read
    return [{ path: dir, kind: 'unreadable', code: err.code, errno: err.errno }];
  }
}

/** Mount points of bpffs as this process sees them (from /proc/self/mountinfo). */
export async function bpffsMounts(): Promise<string[]> {
  return mountsOf('bpf');
}


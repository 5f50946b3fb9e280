// Mounts by filesystem type, from /proc/self/mountinfo: where bpffs and cgroup2 are, and which
// namespaces are bind-mounted (nsfs).
import { readFile } from 'node:fs/promises';

/** One mount: the part of its filesystem it shows (`root`: '/' for a whole one, `net:[INODE]` for a namespace) and where. */
export interface MountEntry {
  root: string;
  mountPoint: string;
}

/** Mounts of filesystems of type `fstype` ('bpf', 'cgroup2', 'nsfs') as this process sees them, in mount order. */
export async function mountEntriesOf(fstype: string): Promise<MountEntry[]> {
  return parseMountEntries(await readFile('/proc/self/mountinfo', 'utf8'), fstype);
}

/** Mount points of filesystems of type `fstype`, in mount order, each once. */
export async function mountsOf(fstype: string): Promise<string[]> {
  return parseMounts(await readFile('/proc/self/mountinfo', 'utf8'), fstype);
}

/** The mounts of type `fstype` in mountinfo text (fields 4 and 5 are the root and the mount point; after " - " comes the fs type). */
export function parseMountEntries(mountinfo: string, fstype: string): MountEntry[] {
  const mounts: MountEntry[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    if (line.slice(sep + 3).split(' ')[0] !== fstype) continue;
    const [, , , root, mountPoint] = line.slice(0, sep).split(' ');
    if (root && mountPoint) mounts.push({ root: unescapeMountPath(root), mountPoint: unescapeMountPath(mountPoint) });
  }
  return mounts;
}

/** The mount points of type `fstype` in mountinfo text, each once. */
export function parseMounts(mountinfo: string, fstype: string): string[] {
  return [...new Set(parseMountEntries(mountinfo, fstype).map((m) => m.mountPoint))];
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

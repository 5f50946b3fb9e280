// Mount points by filesystem type, from /proc/self/mountinfo: where bpffs and cgroup2 are.
import { readFile } from 'node:fs/promises';

/** Mount points of filesystems of type `fstype` ('bpf', 'cgroup2') as this process sees them, in mount order. */
export async function mountsOf(fstype: string): Promise<string[]> {
  return parseMounts(await readFile('/proc/self/mountinfo', 'utf8'), fstype);
}

/** The mount points of type `fstype` in mountinfo text (field 5 is the mount point; after " - " comes the fs type). */
export function parseMounts(mountinfo: string, fstype: string): string[] {
  const mounts: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    if (line.slice(sep + 3).split(' ')[0] !== fstype) continue;
    const mountPoint = line.slice(0, sep).split(' ')[4];
    if (mountPoint) mounts.push(unescapeMountPath(mountPoint));
  }
  return [...new Set(mounts)];
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

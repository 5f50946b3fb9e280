// Telling a process from a later one that reuses its pid: what fixtures record about their maker,
// so that the leftovers of a killed process can be recognised and a live one's left alone.
import { readFileSync } from 'node:fs';

/**
 * A process's start time, in clock ticks since boot (field 22 of /proc/PID/stat), as text; undefined
 * when there is no such process. A pid with the start time recorded earlier is the same process.
 */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces and ')': fields 3 on follow the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

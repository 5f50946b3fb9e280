// The README's API table names every field of the records it describes: a field added to a type
// and not to its row is one a reader of the table never learns of.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url);
const README = readFileSync(new URL('README.md', ROOT), 'utf8');

/** The property names of an exported interface in the built declarations. */
function fieldsOf(dts: string, name: string): string[] {
  const text = readFileSync(new URL(`dist/cjs/${dts}`, ROOT), 'utf8');
  const body = new RegExp(`export interface ${name}(?: extends [\\w, ]+)? \\{\\n([\\s\\S]*?)\\n\\}`).exec(text)?.[1];
  if (body === undefined) throw new Error(`no interface ${name} in ${dts}`);
  return [...body.matchAll(/^ {4}(?:readonly )?(\w+)\??:/gm)].map((m) => m[1]);
}

/** The README API table's row for a call (the row whose first cell starts with it). */
function rowOf(call: string): string {
  const row = README.split('\n').find((line) => line.startsWith(`| \`${call}`));
  if (row === undefined) throw new Error(`no README row for ${call}`);
  return row;
}

describe('README API tables', () => {
  it.each([
    ['listPrograms()', 'programs.d.ts', 'ProgramInfo'],
    ['listMaps()', 'maps.d.ts', 'MapInfo'],
    ['listCgroupAttachments(', 'cgroups.d.ts', 'CgroupAttachment'],
    ['listLinks()', 'links.d.ts', 'PerfEventLinkInfo'],
    ['listLinks()', 'links.d.ts', 'UprobeMultiLinkInfo'],
    ['listInterfaces(', 'interfaces.d.ts', 'InterfaceInfo'],
  ])('the row of %s names every field of %s', (call, dts, type) => {
    const fields = fieldsOf(dts, type);
    expect(fields.length).toBeGreaterThan(5);
    const words = new Set(rowOf(call).split(/[^\w]+/));
    expect(fields.filter((f) => !words.has(f))).toEqual([]);
  });
});

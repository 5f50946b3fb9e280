// vitest's globalSetup: before any file runs, removes what test processes of an earlier run left on
// the host when they were killed before their cleanups ran: what their journals list (host.ts),
// and a fake Cilium node (which names itself on its cilium_host).
import { rmSync } from 'node:fs';
import { removeStaleFakeCiliumNode } from 'bpfscope/testing';
import { isRoot } from './host';
import { describeLeftover, findLeftovers, orphanedJournals, removeLeftovers } from './leftovers';

export default async function sweep(): Promise<void> {
  if (!isRoot) return;
  for (const journal of orphanedJournals()) {
    const found = await findLeftovers(journal.names, journal.dirs);
    const failed = await removeLeftovers(found);
    if (found.length > 0) {
      console.warn(`removed what test process ${journal.pid} of an interrupted run left: ${found.map(describeLeftover).join(', ')}`);
    }
    if (failed.length > 0) throw new Error(`could not remove what test process ${journal.pid} left: ${failed.join('; ')}`);
    rmSync(journal.file, { force: true });
  }
  // A cilium_host that is no dead fake node's is left alone: the Cilium tests then say why they fail.
  if (await removeStaleFakeCiliumNode().catch(() => false)) console.warn('removed a fake Cilium node left by an interrupted run');
}

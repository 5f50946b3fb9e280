// Runs before every test file. Kernel tests need root; with CI=true they must not skip.
import { afterAll, beforeAll } from 'vitest';
import { closeJournal, isRoot, made, openFdCount, runFileCleanups } from './kernel';
import { describeLeftover, findLeftovers } from './leftovers';

let fdsAtStart = 0;
beforeAll(() => {
  fdsAtStart = openFdCount();
});
afterAll(async () => {
  await runFileCleanups();
  // Every kernel object a file made is closed by its own teardown; a leak shows here.
  const now = openFdCount();
  if (now > fdsAtStart + 2) {
    throw new Error(`file leaked ${now - fdsAtStart} file descriptors (${fdsAtStart} → ${now})`);
  }
  // And everything it made on the host (namespaces, interfaces, cgroups, mounts, directories) is
  // gone, even when a test failed. If not, the journal stays for the next run to remove them.
  const left = isRoot ? await findLeftovers(made.names, made.dirs, 3000) : [];
  if (left.length > 0) throw new Error(`file left behind: ${left.map(describeLeftover).join(', ')}`);
  closeJournal();
});

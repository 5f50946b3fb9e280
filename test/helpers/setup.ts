// Runs before every test file. Kernel tests need root; with CI=true they must not skip.
import { afterAll, beforeAll } from 'vitest';
import { openFdCount } from './kernel';

let fdsAtStart = 0;
beforeAll(() => {
  fdsAtStart = openFdCount();
});
afterAll(() => {
  // Every kernel object a file made is closed by its own teardown; a leak shows here.
  const now = openFdCount();
  if (now > fdsAtStart + 2) {
    throw new Error(`file leaked ${now - fdsAtStart} file descriptors (${fdsAtStart} → ${now})`);
  }
});

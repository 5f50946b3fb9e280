#!/usr/bin/env node
// With CI=true, a skipped test under test/kernel/ fails the run: kernel tests must really run in CI.
// Prints the closing line "N passed, N failed, N skipped".
import { readFileSync } from 'node:fs';

const text = readFileSync(process.argv[2], 'utf8');
if (!text.trim()) {
  // vitest writes its report when the run ends: one stopped (Ctrl-C, the watchdog) left none.
  console.error('no test report: the run was stopped before it ended');
  process.exit(1);
}
const report = JSON.parse(text);
const inCI = process.env.CI === 'true' || process.env.CI === '1';
let passed = 0, failed = 0, skipped = 0;
const skippedKernel = [];
for (const file of report.testResults ?? []) {
  for (const t of file.assertionResults ?? []) {
    if (t.status === 'passed') passed++;
    else if (t.status === 'failed') failed++;
    else {
      skipped++;
      if (file.name.includes('/test/kernel/')) skippedKernel.push(`${file.name}: ${t.fullName}`);
    }
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
if (inCI && skippedKernel.length > 0) {
  console.error(`CI=true: ${skippedKernel.length} kernel test(s) skipped, which counts as failure:`);
  for (const s of skippedKernel) console.error(`  ${s}`);
  process.exit(1);
}

// `npm run demo`: `bpfscope demo` from the built package (see src/cli/demo.ts).
//   node scripts/demo.mjs [--version 1.16]
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
if (process.getuid?.() !== 0) {
  console.error('The demo creates namespaces, veths, BPF programs and maps: run it as root.');
  process.exit(1);
}
const { main } = require('../dist/cjs/cli/main.js');
process.exitCode = await main(['demo', ...process.argv.slice(2)]);

// Prints one list from binding.gyp (the one source list), ';'-separated for CMake:
//   sources   every source of the addon, with "<@(variable)" entries expanded
//   parsers   the parser sources (variables.parser_sources), which link without N-API
//   defines   the addon's preprocessor defines
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const gyp = JSON.parse(readFileSync(join(__dirname, '..', 'binding.gyp'), 'utf8'));
const expand = (list) =>
  list.flatMap((item) => {
    const m = /^<@\((\w+)\)$/.exec(item);
    return m ? gyp.variables[m[1]] : [item];
  });
const lists = {
  sources: () => expand(gyp.targets[0].sources),
  parsers: () => gyp.variables.parser_sources,
  defines: () => gyp.targets[0].defines,
};
const what = process.argv[2];
if (!lists[what]) {
  console.error(`usage: node scripts/gyp-list.cjs ${Object.keys(lists).join('|')}`);
  process.exit(2);
}
process.stdout.write(lists[what]().join(';'));

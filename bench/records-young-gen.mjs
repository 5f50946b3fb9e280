// Decoded records of one benchmark map paired with the C baseline, in a Node started with a larger
// young generation (run by bench/maps.bench.mjs, which cannot change its own heap's configuration):
//   node --max-semi-space-size=MB bench/records-young-gen.mjs C_BINARY SCENARIO MAP_ID TIMING_JSON
// prints paired()'s result as JSON.
import { openMap } from 'bpfscope';
import { paired } from './lib.mjs';
import { cBatchMs, decodeRecords, scenarios } from './map-scenarios.mjs';

const [binary, index, id, timing] = process.argv.slice(2);
const scenario = scenarios[Number(index)];
const map = await openMap(Number(id));
try {
  const cBlock = async (runs) => (await cBatchMs(binary, id, runs)).ms;
  console.log(JSON.stringify(await paired(cBlock, () => decodeRecords(map, scenario), JSON.parse(timing))));
} finally {
  map.close();
}

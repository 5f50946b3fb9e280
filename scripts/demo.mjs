// The walkthrough on a fake Cilium node: two pods (client 10.3.0.115, server 10.3.0.158) behind
// cilium_host 10.3.0.179, the three `cilium-dbg bpf … list` tables, then explainPod for the client,
// and once more for a node broken on purpose. Everything is removed at the end.
//   node scripts/demo.mjs [--version 1.16]
import { cilium } from 'bpfscope';
import { createFakeCiliumNode } from 'bpfscope/testing';

const at = process.argv.indexOf('--version');
const version = at > 0 ? process.argv[at + 1] : '1.18';
if (process.getuid?.() !== 0) {
  console.error('The demo creates namespaces, veths, BPF programs and maps: run it as root.');
  process.exit(1);
}

const title = (text) => console.log(`\n\x1b[1m== ${text}\x1b[0m\n`);
const node = await createFakeCiliumNode({ version, pods: [{ ip: '10.3.0.115' }, { ip: '10.3.0.158' }] });
try {
  const [client, server] = node.pods;
  console.log(`A fake Cilium ${node.version} node: client ${client.ip} (netns ${client.netns.name}, host veth ${client.lxc.name}),`);
  console.log(`server ${server.ip} (${server.lxc.name}), gateway ${node.gateway} on ${node.hostDevice.name}; maps pinned in ${node.bpffs}.`);

  title(`cilium-dbg bpf ipcache list   (cilium.format.ipcache(await cilium.ipcache()))`);
  process.stdout.write(cilium.format.ipcache(await cilium.ipcache({ bpffs: node.bpffs, version })));
  title('cilium-dbg bpf endpoint list');
  process.stdout.write(cilium.format.endpoints(await cilium.endpoints({ bpffs: node.bpffs, version })));
  title('cilium-dbg bpf metrics list');
  process.stdout.write(cilium.format.metrics(await cilium.metrics({ bpffs: node.bpffs, version })));

  title(`explainPod({ ip: '${client.ip}' })`);
  process.stdout.write(cilium.format.pod(await cilium.explainPod({ ip: client.ip }, { bpffs: node.bpffs, version })));
} finally {
  await node.destroy();
}

title('The same client on a broken node (wrong ifindex in cilium_lxc, no ipcache entry, no program)');
const broken = await createFakeCiliumNode({ version, pods: [{ ip: '10.3.0.115', faults: ['endpoint-ifindex', 'ipcache', 'program'] }] });
try {
  const report = await cilium.explainPod({ ip: '10.3.0.115' }, { bpffs: broken.bpffs, version });
  for (const f of report.findings) console.log(`${f.severity.toUpperCase().padEnd(7)} ${f.code}: ${f.message}`);
} finally {
  await broken.destroy();
}
console.log('\nEverything the demo made has been removed.');

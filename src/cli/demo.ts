// `bpfscope demo` (and `npm run demo`): the pod-debugging walkthrough on a fake Cilium node —
// two pods (client 10.3.0.115, server 10.3.0.158) behind cilium_host 10.3.0.179 — the three
// `cilium-dbg bpf … list` tables, explainPod for the client, then the same client on a node broken
// on purpose. Everything it builds is removed at the end, also when a step fails or the process is
// interrupted.
import { constants } from 'node:os';
import { cilium } from '../cilium';
import { createFakeCiliumNode, type FakeCiliumNode, type FakeCiliumNodeOptions } from '../testing/cilium';
import { bold, dim } from './format';

export async function runDemo(out: (s: string) => void, version = '1.18'): Promise<void> {
  // Progress goes to stderr, and only to a terminal: piped output stays the walkthrough itself.
  const progress = (s: string) => {
    if (process.stderr.isTTY) process.stderr.write(dim(`… ${s}\n`, process.env.NO_COLOR === undefined));
  };
  const title = (text: string) => out(`\n${bold(`== ${text}`)}\n`);
  const text = (s: string) => out(s.trimEnd());

  progress('building a fake Cilium node: namespaces, veths, cilium_host, programs, pinned maps');
  await withNode({ version, pods: [{ ip: '10.3.0.115' }, { ip: '10.3.0.158' }] }, async (node) => {
    const [client, server] = node.pods;
    const read = { bpffs: node.bpffs, version };
    out(`A fake Cilium ${node.version} node: client ${client.ip} (netns ${client.netns.name}, host veth ${client.lxc.name}),`);
    out(`server ${server.ip} (${server.lxc.name}), gateway ${node.gateway} on ${node.hostDevice.name}; maps pinned in ${node.bpffs}.`);
    title('cilium-dbg bpf ipcache list   (cilium.format.ipcache(await cilium.ipcache()))');
    text(cilium.format.ipcache(await cilium.ipcache(read)));
    title('cilium-dbg bpf endpoint list   (cilium.endpoints())');
    text(cilium.format.endpoints(await cilium.endpoints(read)));
    title('cilium-dbg bpf metrics list   (cilium.metrics())');
    text(cilium.format.metrics(await cilium.metrics(read)));
    title(`explainPod({ ip: '${client.ip}' })`);
    text(cilium.format.pod(await cilium.explainPod({ ip: client.ip }, read)));
    progress('removing the fake node');
  });

  title('The same client on a broken node (wrong ifindex in cilium_lxc, no ipcache entry, no program)');
  progress('building a broken node');
  await withNode({ version, pods: [{ ip: '10.3.0.115', faults: ['endpoint-ifindex', 'ipcache', 'program'] }] }, async (broken) => {
    const report = await cilium.explainPod({ ip: '10.3.0.115' }, { bpffs: broken.bpffs, version });
    for (const f of report.findings) out(`${f.severity.toUpperCase().padEnd(7)} ${f.code}: ${f.message}`);
  });
  out('\nEverything the demo made has been removed.');
}

/**
 * Builds a fake node, runs `use` with it, and destroys it: also when `use` fails, and when the
 * process is interrupted (Ctrl-C, SIGTERM), whose handler destroys the node, then exits as the
 * signal would have (128 + its number). A signal during the build waits for the build to finish.
 */
async function withNode(options: FakeCiliumNodeOptions, use: (node: FakeCiliumNode) => Promise<void>): Promise<void> {
  let node: FakeCiliumNode | undefined;
  let signalled: NodeJS.Signals | undefined;
  const exitAfterDestroy = (n: FakeCiliumNode, signal: NodeJS.Signals) =>
    n.destroy().finally(() => process.exit(128 + constants.signals[signal]));
  const onSignal = (signal: NodeJS.Signals) => {
    signalled = signal;
    if (node) void exitAfterDestroy(node, signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    node = await createFakeCiliumNode(options);
    if (signalled) return await exitAfterDestroy(node, signalled);
    await use(node);
  } finally {
    // The handlers stay until the node is gone: a signal meanwhile waits for this same removal.
    try {
      await node?.destroy();
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

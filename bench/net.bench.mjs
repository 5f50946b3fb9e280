// listInterfaces on 2,000 interfaces (1,000 veth pairs in a test namespace) against `ip -j link`
// and a C rtnetlink dump (scripts/bench/rtnl_dump.c); findPeer for 200 pods against the
// `ip netns exec … ethtool -S eth0` + `ip -j link` chain it replaces; listNetns among them, and
// with 10,000 sockets more open, without and with asking them.
import { execFileSync, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readdirSync } from 'node:fs';
import { findPeer, listInterfaces, listNetns } from 'bpfscope';
import { createNetns, createVeth } from 'bpfscope/testing';
import { commandMs, compileBaseline, fmt, medianMs, paired, ratio, runBaseline, table } from './lib.mjs';

const PAIRS = 1000;
const PODS = 200;
const SOCKETS = 10_000;
const tag = `bn${process.pid.toString(36)}`;
const undo = [];

async function main() {
  // 2,000 interfaces in one namespace; `ip -batch` only to build them quickly.
  const big = await createNetns(`${tag}big`);
  undo.push(() => big.remove());
  const batch = Array.from({ length: PAIRS }, (_, i) => `link add va${i} type veth peer name vb${i}`).join('\n');
  execFileSync('ip', ['-n', big.name, '-batch', '-'], { input: batch });

  const dump = compileBaseline('rtnl_dump');
  const cOut = execFileSync(dump, [big.path, '31'], { encoding: 'utf8' }).trim().split(' ');
  const start = process.hrtime.bigint();
  const count = (await listInterfaces({ netns: big.ref })).length;
  const firstMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (count !== Number(cOut[1]) || count < 2 * PAIRS) throw new Error(`interface counts differ: ${count} vs ${cOut[1]}`);
  // A poller's steady state: V8 has compiled the row builder at its top tier after a few dozen
  // calls (the first call, above, runs it in the interpreter).
  const cBlock = async (runs) => Number((await runBaseline(dump, [big.path, String(runs)])).trim().split(' ')[0]);
  const ours = await paired(cBlock, () => listInterfaces({ netns: big.ref }), { blocks: 7, runs: 9, warmup: 30 });
  const ipMs = await commandMs('ip', ['-n', big.name, '-j', 'link', 'show'], 7);
  const ipDetailMs = await commandMs('ip', ['-n', big.name, '-j', '-d', 'link', 'show'], 7);
  const { ms: oursMs, baselineMs: cMs } = ours;

  console.log(`### Network: interfaces and veth peers\n`);
  console.log(`listInterfaces in a namespace with ${count} interfaces (a dedicated thread enters it per call), timed against the C dump in 7 alternating blocks of 9 calls after 30 warm-up calls (the ratio: the median of the per-block ratios and their range); the process's first call separately:\n`);
  table(
    ['operation', 'bpfscope ms', 'C rtnetlink dump ms', 'ip -j link ms', 'ip -j -d link ms', 'vs C', 'vs ip -j link'],
    [
      [`listInterfaces (${count} interfaces)`, fmt(oursMs), fmt(cMs), fmt(ipMs), fmt(ipDetailMs), ours.ratio, ratio(oursMs, ipMs)],
      ['listInterfaces, first call of the process', fmt(firstMs), fmt(cMs), fmt(ipMs), fmt(ipDetailMs), ratio(firstMs, cMs), ratio(firstMs, ipMs)],
    ],
  );

  // 200 pods: a namespace each, eth0 paired with a host-side veth.
  const pods = [];
  for (let i = 0; i < PODS; i++) {
    const ns = await createNetns(`${tag}p${i}`);
    undo.push(() => ns.remove());
    const host = `lxb${tag}${i}`.slice(0, 15);
    const veth = await createVeth({ name: host, peerName: 'eth0', peerNetns: ns.ref });
    undo.push(() => veth.remove());
    pods.push({ ns, host });
  }
  const check = await findPeer({ netns: pods[7].ns.ref });
  if (check.peer?.name !== pods[7].host) throw new Error(`findPeer found ${check.peer?.name}, expected ${pods[7].host}`);
  const back = await findPeer({ ifname: pods[7].host });
  if (!back.peer?.netns.names.includes(pods[7].ns.name)) throw new Error(`findPeer from ${pods[7].host} found ${back.peer?.netns.names}`);
  const allMs = await medianMs(() => Promise.all(pods.map((p) => findPeer({ netns: p.ns.ref }))), 7);
  const seqMs = await medianMs(async () => {
    for (const p of pods) await findPeer({ netns: p.ns.ref });
  }, 3);
  // From the host side the pod's namespace is looked up by nsid among listNetns's (without the fd scan).
  const hostAllMs = await medianMs(() => Promise.all(pods.map((p) => findPeer({ ifname: p.host }))), 7);
  const listMs = await medianMs(() => listNetns(), 9);
  const listNoFdsMs = await medianMs(() => listNetns({ fds: false }), 9);
  const namespaces = (await listNetns()).length;
  // Sockets are asked of only with { sockets: true }: a copy of each, taken from its process, and
  // its namespace's cookie. This process opens SOCKETS more (in its own namespace, so none is listed).
  const udp = await Promise.all(Array.from({ length: SOCKETS }, () => new Promise((res, rej) => {
    const s = createSocket('udp4');
    s.once('error', rej);
    s.bind(0, '127.0.0.1', () => res(s));
  })));
  const withSocketsMs = await medianMs(() => listNetns(), 9);
  const socketsMs = await medianMs(() => listNetns({ sockets: true }), 9);
  await Promise.all(udp.map((s) => new Promise((res) => s.close(res))));
  // The shell chain, per pod, on a sample of pods: peer_ifindex from ethtool inside, then ip link.
  const sample = pods.slice(0, 20);
  const chainMs = await medianMs(() => {
    for (const p of sample) {
      const out = spawnSync('ip', ['netns', 'exec', p.ns.name, 'ethtool', '-S', 'eth0'], { encoding: 'utf8' }).stdout;
      const peer = Number(/peer_ifindex: (\d+)/.exec(out)[1]);
      const links = JSON.parse(spawnSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' }).stdout);
      if (!links.some((l) => l.ifindex === peer)) throw new Error(`no host device ${peer}`);
    }
  }, 3);
  const chainPerPod = chainMs / sample.length;
  console.log(`\nfindPeer for ${PODS} pods (pod eth0 → host veth, with its attachments), medians:\n`);
  table(
    ['operation', 'bpfscope ms', 'per pod ms', 'ethtool -S + ip -j link per pod ms', 'vs tools'],
    [
      [`findPeer × ${PODS}, concurrent`, fmt(allMs), fmt(allMs / PODS), fmt(chainPerPod), ratio(allMs / PODS, chainPerPod)],
      [`findPeer × ${PODS}, one after another`, fmt(seqMs), fmt(seqMs / PODS), fmt(chainPerPod), ratio(seqMs / PODS, chainPerPod)],
      [`findPeer × ${PODS} from the host veths, concurrent`, fmt(hostAllMs), fmt(hostAllMs / PODS), '-', '-'],
    ],
  );
  // The tools after our series: they fork.
  const lsnsMs = await commandMs('lsns', ['-t', 'net', '-J'], 7);
  const listIdMs = await commandMs('ip', ['-j', 'netns', 'list-id'], 7);
  const processes = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  const openFds = processes.reduce((n, pid) => n + (readdirOrNone(`/proc/${pid}/fd`)?.length ?? 0), 0);
  console.log(`\nlistNetns with ${namespaces} namespaces and ${processes.length} processes holding ${openFds} fds, medians (lsns and ip list fewer: the namespaces of processes, the nsids):\n`);
  table(
    ['operation', 'bpfscope ms', 'lsns -t net -J ms', 'ip -j netns list-id ms'],
    [
      ['listNetns() (every process\'s fds read)', fmt(listMs), fmt(lsnsMs), fmt(listIdMs)],
      ['listNetns({ fds: false })', fmt(listNoFdsMs), fmt(lsnsMs), fmt(listIdMs)],
      [`listNetns() with ${SOCKETS} more sockets open`, fmt(withSocketsMs), '-', '-'],
      [`listNetns({ sockets: true }) with ${SOCKETS} more sockets open`, fmt(socketsMs), '-', '-'],
    ],
  );
  console.log(`\nAsking sockets: ${fmt(((socketsMs - withSocketsMs) * 1000) / SOCKETS)} µs a socket.`);
  console.log('');
}

function readdirOrNone(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return undefined; // exited meanwhile
  }
}

try {
  await main();
} finally {
  for (const fn of undo.reverse()) {
    try {
      await fn();
    } catch {
      // keep cleaning
    }
  }
}

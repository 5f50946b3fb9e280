// Runs the targets of targets.cjs, each in a worker thread watched for hangs.
//   node test/fuzz/js/run.cjs [--iterations N | --seconds S] [--seed N] [target…]
// Prints one line per target (iterations, time) and exits 1 on an unexpected error or a hang,
// naming the seed and iteration that reproduce it. The vitest wrapper (test/unit/fuzz.js.test.ts)
// runs a bounded pass; longer passes are by flag.
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');

/** An iteration that takes longer than this is a hang. */
const HANG_MS = 5000;

if (!isMainThread) {
  const { runOne } = require('./targets.cjs');
  const { target, seed, iterations, seconds } = workerData;
  const deadline = seconds ? Date.now() + seconds * 1000 : Infinity;
  let i = 0;
  for (; (iterations === undefined || i < iterations) && Date.now() < deadline; i++) {
    if (i % 256 === 0) parentPort.postMessage({ at: i });
    const err = runOne(target, seed, i);
    if (err) {
      parentPort.postMessage({ failed: i, error: `${err.name}: ${err.message}\n${err.stack}` });
      return;
    }
  }
  parentPort.postMessage({ done: i });
  return;
}

/** Fuzzes one target; resolves to { target, iterations, ms } or rejects with the reproducer. */
function fuzzTarget(target, { seed = 1, iterations, seconds }) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const worker = new Worker(__filename, { workerData: { target, seed, iterations, seconds } });
    let at = 0;
    let seen = Date.now();
    let outcome;
    // Settles once the worker has exited, so its thread and fds are gone when the caller goes on.
    const finish = (result) => {
      outcome ??= result;
      clearInterval(watchdog);
      worker.terminate();
    };
    const watchdog = setInterval(() => {
      if (Date.now() - seen > HANG_MS + 256 * 50) {
        finish(new Error(`${target}: no progress for ${Date.now() - seen} ms after iteration ${at} (seed ${seed}): a hang`));
      }
    }, 500);
    worker.on('message', (m) => {
      seen = Date.now();
      if (m.at !== undefined) at = m.at;
      if (m.failed !== undefined) finish(new Error(`${target}: iteration ${m.failed} of seed ${seed} threw ${m.error}`));
      if (m.done !== undefined) finish({ target, iterations: m.done, ms: Date.now() - started });
    });
    worker.on('error', (err) => finish(err));
    worker.on('exit', () => {
      clearInterval(watchdog);
      if (outcome instanceof Error || outcome === undefined) reject(outcome ?? new Error(`${target}: the worker exited early`));
      else resolve(outcome);
    });
  });
}

module.exports = { fuzzTarget, targetNames: () => Object.keys(require('./targets.cjs').targets) };

if (require.main === module) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const [, value] = args.splice(i, 2);
    return Number(value);
  };
  const iterations = opt('--iterations');
  const seconds = opt('--seconds');
  const seed = opt('--seed') ?? 1;
  const names = args.length ? args : module.exports.targetNames();
  (async () => {
    let status = 0;
    for (const target of names) {
      try {
        const r = await fuzzTarget(target, { seed, iterations: seconds ? undefined : iterations ?? 20000, seconds });
        console.log(`js fuzz ${r.target}: ${r.iterations} inputs in ${(r.ms / 1000).toFixed(1)} s, clean`);
      } catch (err) {
        console.error(String(err.message ?? err));
        status = 1;
      }
    }
    process.exit(status);
  })();
}

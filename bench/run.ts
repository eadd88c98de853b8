// `npm run bench [-- --quick] [-- --no-peers] [-- --no-readme]`: our two builds (plain and relaxed
// SIMD) against TF.js and numpy in the same process and run. Progress on stderr, the report on stdout,
// every number in bench/results.json, and (full runs) the README's performance section regenerated.
import './node-select.js'; // first: --node N re-runs this bench on that Node version
import './flags.js'; // first: Node 20 needs relaxed SIMD enabled before any wasm is compiled
import { statSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadKernels, type Kernels } from '../src/index.js';
import { loadMnist } from '../src/data/mnist.js';
import { parseOptions } from './options.js';
import { FULL, QUICK } from './plan.js';
import { measureOurs, WASM_FILE, type OurBuild, type PeerWorkloads } from './ours.js';
import { BENCH_WASM_FILE, loadBenchKernels } from './bench-kernels.js';
import { loadTfjs, type TfPeer } from './peers/tfjs.js';
import { measureTfjs } from './peers/tfjs-suite.js';
import { runNumpy } from './peers/numpy.js';
import { measureCnn } from './cnn.js';
import { measureConvLayers } from './conv-layers.js';
import { deriveRatios, deriveTargets, gitSource, loadAverage, machine, type Build, type Results } from './results.js';
import { renderReport } from './report.js';
import { RESULTS_FILE, updateReadme } from './readme.js';
import { elapsedSeconds, progress } from './progress.js';
import { measureThreads } from './threads-suite.js';
import { availableParallelism } from 'node:os';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const opts = parseOptions(process.argv.slice(2));
const plan = opts.quick ? QUICK : FULL;

const results: Results = {
  schema: 1, date: new Date().toISOString(), command: opts.command, quick: opts.quick, seconds: 0,
  machine: machine(), source: gitSource(ROOT), headline: 'plain', builds: {}, skippedBuilds: {},
  peers: null, ratios: { tfjsWasm: [], numpy: [] }, targets: [], notes: [],
};
if (results.source.dirty) results.notes.push(`assembly/ or src/ had uncommitted changes (on top of ${results.source.commit})`);
const stale = staleBuilds();
if (stale) results.notes.push(stale);

progress('loading the MNIST digits');
// the first 8,000 training and 2,000 test digits of the standard split: the workloads and the
// accuracy race are timed on these, so a full run stays a few minutes
const data = await loadMnist({ trainRows: 8000, testRows: 2000 });

const kernels: Partial<Record<Build, OurBuild>> = {};
for (const build of ['plain', 'relaxed'] as const satisfies readonly Build[]) {
  try {
    // one thread: these are the single-thread figures (bench/threads.ts measures more)
    const k: Kernels = await loadKernels({ simd: build, threads: 1 });
    if (k.features.relaxedSimd !== (build === 'relaxed')) results.notes.push(`loadKernels({ simd: '${build}' }) reported relaxedSimd = ${k.features.relaxedSimd}`);
    kernels[build] = { k, bench: await loadBenchKernels(build) };
  } catch (e) {
    results.skippedBuilds[build] = (e as Error).message;
    results.notes.push(`${build} build not measured: ${(e as Error).message}`);
    progress(`${build} build skipped: ${(e as Error).message}`);
  }
}
// TF.js's wasm backend loads first: W1-W3 are timed in turns with it (ours.ts)
let wasmPeer: TfPeer | { skipped: string } | null = null;
if (opts.peers) {
  progress('TF.js wasm: loading');
  wasmPeer = await loadTfjs('wasm');
}
const peerWorkloads: PeerWorkloads = {};
results.builds = await measureOurs(kernels, data, plan, wasmPeer && !('skipped' in wasmPeer) ? wasmPeer : null, peerWorkloads);
const measured = (['relaxed', 'plain'] as const).find((b) => results.builds[b]);
if (!measured) throw new Error('no build of the kernels could be loaded: run `npm run build:wasm`');
results.headline = measured;

// LeNet-5 training in turns with ConvNetJS and TF.js cpu (TF.js wasm tried once), then its conv layers alone
try {
  results.cnn = await measureCnn(kernels, data, plan.cnn, opts.peers ? { wasm: wasmPeer } : null);
  results.conv = measureConvLayers(kernels, plan.conv);
} catch (e) {
  results.notes.push(`the CNN or conv-layer measurements failed: ${(e as Error).message}`);
  progress(`CNN / conv layers failed: ${(e as Error).message}`);
}

if (opts.peers) {
  const tfjsWasm = await measureTfjs('wasm', data, { ...plan.tfjs, accuracy: plan.accuracy, peer: wasmPeer ?? undefined, workloads: peerWorkloads });
  const tfjsCpu = plan.tfjs.backends.includes('cpu')
    ? await measureTfjs('cpu', data, { ...plan.tfjs, accuracy: false })
    : { skipped: 'not run' };
  progress('numpy (python3)');
  const numpy = runNumpy(data.train.x, data.train.y, opts.quick);
  results.peers = { tfjsWasm, tfjsCpu, numpy };
  for (const [name, p] of Object.entries(results.peers)) {
    if ('skipped' in p && p.skipped !== 'not run') results.notes.push(`${name} skipped: ${p.skipped}`);
    if ('leakedTensors' in p && p.leakedTensors !== 0) results.notes.push(`${name} leaked ${p.leakedTensors} tensors during its runs`);
  }
}

// threads: the same workloads at 1 thread and at every core, in turns, numpy beside them (threads-suite.ts)
const cores = availableParallelism();
if (cores > 1) {
  try {
    const label = `${results.machine.cpu}, ${cores} cores available, Node ${process.versions.node}`;
    results.threads = await measureThreads([1, cores], data.train, opts.quick, label, progress);
  } catch (e) {
    results.notes.push(`the thread measurements failed: ${(e as Error).message}`);
    progress(`threads failed: ${(e as Error).message}`);
  }
} else {
  results.notes.push('one core available: no thread measurements');
}

for (const b of Object.values(results.builds)) {
  const bad = b.gemm.filter((g) => (g.checkError ?? 0) > 1e-4);
  if (bad.length) results.notes.push(`${b.build} GEMM gave wrong results (spot check) on ${bad.map((g) => `${g.product} ${g.m}x${g.k}x${g.n}`).join(', ')}`);
}
results.ratios = deriveRatios(results);
results.targets = deriveTargets(results);
results.seconds = elapsedSeconds();
results.machine.loadAverageEnd = loadAverage();
const busiest = Math.max(results.machine.loadAverage, results.machine.loadAverageEnd);
if (busiest > results.machine.cores) {
  results.notes.push(`the machine was busy (1-minute load average ${results.machine.loadAverage} at the start, ${results.machine.loadAverageEnd} at the end, on ${results.machine.cores} cores): other processes shared the cores, so these numbers are noisy; ratios between measurements taken minutes apart (ours vs a peer) are the least reliable`);
}

// a --quick run is a smoke check: it never replaces the full numbers the README is built from
const file = opts.quick ? RESULTS_FILE.replace(/results\.json$/, 'results-quick.json') : RESULTS_FILE;
writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
progress(`wrote ${file}`);
if (opts.readme) {
  updateReadme(file);
  progress('README.md performance section regenerated');
}
// leave once the report is flushed: TF.js's backends may keep the event loop alive
process.stdout.write(renderReport(results), () => process.exit(0));

/** a note when a wasm build is older than the AssemblyScript sources it is built from */
function staleBuilds(): string | null {
  try {
    const src = readdirSync(`${ROOT}assembly`).map((f) => statSync(`${ROOT}assembly/${f}`).mtimeMs);
    const newest = Math.max(...src);
    const old = [...Object.values(WASM_FILE), ...Object.values(BENCH_WASM_FILE)].filter((f) => statSync(`${ROOT}${f}`).mtimeMs < newest);
    return old.length ? `${old.join(' and ')} older than assembly/ (run \`npm run build:wasm\` to measure the current source)` : null;
  } catch {
    return null;
  }
}

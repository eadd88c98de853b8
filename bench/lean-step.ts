// `npx tsx bench/lean-step.ts [--founding-only | --fit-only]`: how lean a training step is, on one thread (issue 11, point 6).
//   1. W1 trainBatch (784-128-10, batch 64) in samples/s and as a fraction of the in-run peak probe,
//      each W1 repetition followed by a probe (as bench/ours.ts does), for each SIMD build
//   2. the divergence guard's share of a W1 step: W1 steps with and without it, in turns
//   3. fit() epochs against trainBatch over as many batches, step by step in turns: a one-epoch fit
//      and a four-epoch one (the dataset is copied into wasm memory once a fit)
//   4. the founding document's regression (y = 2x, one weight, SGD lr 0.01 momentum 0.9): building it
//      and its first 200 steps in a fresh process after loadKernels(), against the same in TF.js's
//      wasm backend once it is ready, processes taken in turns
// Medians throughout: this 2-core machine is shared, so every comparison is interleaved.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { loadKernels, dense, SGD, type Kernels } from '../src/index.js';
import { loadMnist, type Digits } from '../src/data/mnist.js';
import { loadBenchKernels } from './bench-kernels.js';
import { makeProbe } from './peak.js';
import { median, timeInTurns } from './timing.js';
import { fitAgainstTrainBatch, mlpStepper, sliceBatches, W1 } from './workloads.js';

const fitOnly = process.argv.includes('--fit-only');

/** flops of one W1 sample: forward 784x128 and 128x10 products, backward both weight gradients and
 *  the hidden layer's input gradient (the first layer's is never computed), 2 flops a multiply-add */
const W1_FLOPS = 2 * (784 * 128 + 128 * 10) + 2 * (784 * 128 + 128 * 10) + 2 * (128 * 10);
const ROUNDS_200 = 5;

await main();

async function main(): Promise<void> {
  if (process.argv.includes('--founding-only')) { founding200(); return; }
  await import('./flags.js'); // the parent only: relaxed SIMD on Node 20, before any wasm is compiled
  // the bench's own data: the first 8,000 training digits
  const train = (await loadMnist({ trainRows: 8000, testRows: 0 })).train;
  for (const build of ['plain', 'relaxed'] as const) {
    const k = await loadKernels({ simd: build, threads: 1 });
    if (k.features.relaxedSimd !== (build === 'relaxed')) { console.log(`${build}: not available here`); continue; }
    console.log(`--- ${build} build, one thread`);
    if (!fitOnly) {
      w1AgainstPeak(k, await loadBenchKernels(build), train);
      guardShare(k, train);
    }
    await fitVsTrainBatch(k, train);
  }
  if (!fitOnly) founding200();
}

function w1AgainstPeak(k: Kernels, bench: Awaited<ReturnType<typeof loadBenchKernels>>, train: Digits): void {
  const probe = makeProbe(bench, 50), peaks: number[] = [];
  const s = mlpStepper(k, W1, train);
  const [t] = timeInTurns([s.step], { repMs: 200, reps: 11, warmupMs: 400, afterRep: () => peaks.push(probe.once()) });
  s.dispose();
  const rate = W1.batch / t!.seconds, peak = median(peaks);
  console.log(`W1 trainBatch: ${(rate / 1000).toFixed(1)}k samples/s = ${(rate * W1_FLOPS / 1e9).toFixed(1)} GFLOP/s, ` +
    `${(100 * rate * W1_FLOPS / 1e9 / peak).toFixed(1)}% of the in-run peak ${peak.toFixed(1)} GFLOP/s (spread ${(100 * t!.spread).toFixed(0)}%)`);
}

/** W1 as workloads.ts builds it, with its optimizer at hand */
function w1Model(k: Kernels) {
  return { model: k.sequential({ inputSize: 784, layers: [dense(128, 'relu'), dense(10, 'softmax')], seed: 1 }), opt: new SGD({ learningRate: 0.01, momentum: 0.9 }) };
}

/** The guard's cost inside a step: two W1 models stepped alternately (ABBA, so neither always goes
 *  first), one with its optimizer's guard switched off on that instance only; the difference of the
 *  median step times. The guard alone, timed apart, leaves out the cache misses it takes in a step
 *  (and the full reads it makes now and then), so both are printed. */
function guardShare(k: Kernels, train: Digits): void {
  const on = w1Model(k), off = w1Model(k), { x, y } = sliceBatches(train, W1.batch), params = on.model.parameters();
  (off.opt as unknown as { guard: () => boolean }).guard = () => true;
  const models = [on, off], times: number[][] = [[], []];
  let i = 0;
  for (let s = 0; s < 200 + 2 * 1500; s++) {
    for (let u = 0; u < 2; u++) {
      const m = models[s % 2 === 0 ? u : 1 - u]!;
      const t = performance.now();
      m.model.trainBatch(x[i]!, y[i]!, m.opt);
      if (s >= 200) times[m === on ? 0 : 1]!.push(performance.now() - t);
    }
    i = (i + 1) % x.length;
  }
  const withGuard = median(times[0]!), without = median(times[1]!);
  // after a step the gradients are that step's and prepare() has run: what the guard sees inside apply()
  const [alone] = timeInTurns([() => { on.opt.guard(params, 0.01, 1, Infinity); }], { repMs: 50, reps: 11, warmupMs: 100 });
  console.log(`divergence guard: ${(1000 * (withGuard - without)).toFixed(1)} us of a ${(1000 * withGuard).toFixed(0)} us W1 step = ` +
    `${(100 * (withGuard - without) / withGuard).toFixed(2)}% (in turns with the guard switched off; alone: ${(alone!.seconds * 1e6).toFixed(1)} us)`);
  on.model.dispose(); off.model.dispose();
}

/** fit() against trainBatch, step by step in turns (workloads.ts): a one-epoch fit (which also
 *  copies the dataset into wasm memory and checks it finite, once a fit) and a four-epoch one;
 *  medians of 7 fits each after one not counted. */
async function fitVsTrainBatch(k: Kernels, train: Digits): Promise<void> {
  for (const epochs of [1, 4]) {
    const f = await fitAgainstTrainBatch(k, train, epochs, { reps: 7, warmupCalls: 1 });
    console.log(`fit() of ${epochs} epoch${epochs > 1 ? 's' : ''}: ${f.fitMsPerEpoch.toFixed(1)} ms an epoch, a twin's trainBatch over as many batches ` +
      `${f.trainBatchMsPerEpoch.toFixed(1)} ms: fit runs at ${f.vsTrainBatch.toFixed(3)} of trainBatch (step by step in turns)`);
  }
}

/** Fresh processes, ours and TF.js's in turns, each printing {ms} for building the regression and
 *  its first 200 steps, and {loadMs} for its import and load before them: once with the clock
 *  started right after loading, as a script runs, and once after a quiet pause (bench/first-200.ts,
 *  the child, says how) */
function founding200(): void {
  const script = fileURLToPath(new URL('./first-200.ts', import.meta.url));
  type Child = { ms: number; loadMs: number; weight?: number } | { skipped: string };
  const run = (who: string, mode: string): Child => {
    const r = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, script, who, mode], { encoding: 'utf8' });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    try { return JSON.parse(line); } catch { return { skipped: (r.stderr || line).trim().split('\n').pop() ?? 'no output' }; }
  };
  console.log(`--- the founding regression, built and stepped 200 times in a fresh process (median of ${ROUNDS_200}; "ready": the library's import and load before it)`);
  for (const mode of ['at once', 'after a quiet pause']) {
    const ours: number[] = [], oursLoad: number[] = [], tf: number[] = [], tfLoad: number[] = [];
    let skipped = '';
    for (let r = 0; r < ROUNDS_200; r++) {
      const o = run('ours', mode);
      if ('skipped' in o) throw new Error(`the first-200 child failed: ${o.skipped}`);
      ours.push(o.ms); oursLoad.push(o.loadMs);
      if (skipped) continue;
      const t = run('tfjs', mode);
      if ('skipped' in t) skipped = t.skipped; else { tf.push(t.ms); tfLoad.push(t.loadMs); }
    }
    const m = median(ours);
    console.log(`${mode}: ours (loadKernels() defaults) ${m.toFixed(2)} ms (ready in ${median(oursLoad).toFixed(0)} ms); ` +
      (skipped ? `TF.js wasm skipped (${skipped})` : `TF.js wasm ${median(tf).toFixed(1)} ms (ready in ${median(tfLoad).toFixed(0)} ms): ours is ${(median(tf) / m).toFixed(1)}x faster`));
  }
}

// The child process of bench/lean-step.ts's founding-regression measurement: `tsx bench/first-200.ts
// ours|tfjs [mode]` loads one library, as a newcomer's script does, builds the founding document's
// regression (y = 2x, one weight, SGD lr 0.01 momentum 0.9) and steps it 200 times, and prints
// {ms} for the build and the steps, and {loadMs}: from the library's import until it is ready to
// build (ours: loadKernels(), with its warm-up; TF.js: its wasm backend set up), since what a load
// does ahead of time the steps no longer pay. It imports nothing else, so neither side's clock runs while
// the transpiler or the collector is busy with bench code the measurement never uses.
import { performance } from 'node:perf_hooks';

const [who, mode] = process.argv.slice(2);

/** In the quiet mode the clock starts once the garbage of loading the modules (tsx's transpiler
 *  among them) is collected and the engine's background compilation of it is done, for ours and
 *  TF.js alike; otherwise a major collection or a busy second core lands on whichever milliseconds
 *  come next: all of our 200 steps, part of TF.js's. */
async function quiet(): Promise<void> {
  if (mode !== 'after a quiet pause') return;
  await new Promise((r) => setTimeout(r, 300));
  (globalThis as { gc?: () => void }).gc?.();
}

const loadStart = performance.now();
if (who === 'ours') {
  const { loadKernels, dense, SGD } = await import('../src/index.js');
  const k = await loadKernels();
  const loadMs = performance.now() - loadStart;
  await quiet();
  const t0 = performance.now();
  const model = k.sequential({ inputSize: 1, layers: [dense(1, 'linear', { bias: false })], loss: 'mse', seed: 3 });
  model.setWeights([Float32Array.of(0)]);
  const sgd = new SGD({ learningRate: 0.01, momentum: 0.9 });
  const xs = Float32Array.of(1, 2, 3, 4), ys = Float32Array.of(2, 4, 6, 8);
  for (let s = 0; s < 200; s++) model.trainBatch(xs, ys, sgd);
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ ms, loadMs, weight: model.getWeights()[0]!.values[0] }));
} else if (who === 'tfjs') {
  const { loadTfjs, tfjsLinearStepper } = await import('./peers/tfjs.js');
  const peer = await loadTfjs('wasm');
  const loadMs = performance.now() - loadStart;
  if ('skipped' in peer) {
    console.log(JSON.stringify({ skipped: peer.skipped }));
  } else {
    await quiet();
    const t0 = performance.now();
    const s = tfjsLinearStepper(peer);
    for (let i = 0; i < 200; i++) s.step();
    const ms = performance.now() - t0;
    s.dispose();
    console.log(JSON.stringify({ ms, loadMs }));
  }
} else {
  throw new Error(`usage: tsx bench/first-200.ts ours|tfjs ['at once' | 'after a quiet pause'], got '${who}'`);
}

// `npx tsx bench/warm-up.ts [--steps 2,10] [--processes 9]`: what loadKernels()'s warm-up costs and
// what it saves, for each warm-up length (src/warm-up.ts: WARM_UP_STEPS is the one shipped). Each
// sample is a fresh process, the lengths in turns, as a newcomer's script starts: a kernels instance
// without the warm-up, then warmUp(steps) timed, then the founding document's regression built and
// stepped 200 times (its first ten steps timed on their own). Prints the medians.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { median } from './timing.js';

const args = process.argv.slice(2);
const flag = (name: string) => { const at = args.indexOf(name); return at >= 0 ? args[at + 1] : undefined; };

if (flag('--child') !== undefined) {
  const steps = Number(flag('--child'));
  const { loadKernels, dense, SGD } = await import('../src/index.js');
  const { warmUp } = await import('../src/warm-up.js');
  const k = await loadKernels({ warmUp: false });
  const w0 = performance.now();
  if (steps > 0) warmUp((c) => k.sequential(c), steps);
  const warmMs = performance.now() - w0;
  const t0 = performance.now();
  const model = k.sequential({ inputSize: 1, layers: [dense(1, 'linear', { bias: false })], loss: 'mse', seed: 3 });
  const sgd = new SGD({ learningRate: 0.01, momentum: 0.9 });
  const xs = Float32Array.of(1, 2, 3, 4), ys = Float32Array.of(2, 4, 6, 8);
  const t1 = performance.now();
  for (let s = 0; s < 10; s++) model.trainBatch(xs, ys, sgd);
  const firstTenUs = (performance.now() - t1) * 100;
  for (let s = 10; s < 200; s++) model.trainBatch(xs, ys, sgd);
  console.log(JSON.stringify({ warmMs, firstTenUs, first200Ms: performance.now() - t0 }));
  k.dispose();
} else {
  const lengths = (flag('--steps') ?? '2,10').split(',').map(Number);
  const processes = Number(flag('--processes') ?? 9);
  if (lengths.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`--steps: expected counts like 2,10, got '${flag('--steps')}'`);
  const script = fileURLToPath(import.meta.url);
  const got = lengths.map(() => ({ warm: [] as number[], ten: [] as number[], first: [] as number[] }));
  for (let p = 0; p < processes; p++) {
    lengths.forEach((n, i) => {
      const r = spawnSync(process.execPath, [...process.execArgv, script, '--child', String(n)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`the child for ${n} steps failed: ${r.stderr.trim().split('\n').pop()}`);
      const o = JSON.parse(r.stdout.trim().split('\n').pop()!) as { warmMs: number; firstTenUs: number; first200Ms: number };
      got[i]!.warm.push(o.warmMs); got[i]!.ten.push(o.firstTenUs); got[i]!.first.push(o.first200Ms);
    });
  }
  console.log(`medians of ${processes} fresh processes each, the lengths in turns:`);
  lengths.forEach((n, i) => {
    const g = got[i]!;
    console.log(`warm-up of ${n} steps: ${median(g.warm).toFixed(2)} ms; then a new model's first ten steps ${median(g.ten).toFixed(1)} µs a step, ` +
      `its build and first 200 steps ${median(g.first).toFixed(2)} ms`);
  });
}

// `npx tsx bench/step-trace.ts [w1|w2] [--threads N] [--simd plain|relaxed] [--steps 400]`: where one
// training step's time goes, kernel call by kernel call, on 1 thread and on N (default: every core).
// It wraps the dispatcher's gemm(), gemmDepthHalves() and parallel() and the model's load() (the
// batch's copy into wasm memory and its check) with performance.now() (about 0.1 µs each, some 18
// calls a W1 step), steps a 1-thread and an N-thread model in turns (blocks of 19 traced steps),
// and prints each call's median time at both counts, and what the step spends outside them
// (JavaScript bookkeeping, and the loss, whose kernel the model calls directly). A tool for
// reading, not for the README's headline numbers: those come from bench/threads.ts and npm run bench.
import './flags.js';
import { availableParallelism } from 'node:os';
import { Dispatcher } from '../src/runtime/dispatch.js';
import { Sequential } from '../src/model/sequential.js';
import * as lib from '../src/index.js';
import { loadMnist } from '../src/data/mnist.js';

const args = process.argv.slice(2);
const flag = (name: string) => { const at = args.indexOf(name); return at >= 0 ? args[at + 1] : undefined; };
const workload = args.includes('w2') ? 'w2' : 'w1';
const threads = Number(flag('--threads') ?? availableParallelism());
const simd = (flag('--simd') ?? 'auto') as 'auto' | 'plain' | 'relaxed';
const steps = Number(flag('--steps') ?? 400);
const { batch, hidden } = workload === 'w2' ? { batch: 256, hidden: [512, 512] } : { batch: 64, hidden: [128] };

// the calls of the step being traced: a label and a duration each
let tracing = false;
const labels: string[] = [], durations: number[] = [];
type Method = (this: unknown, ...a: never[]) => number | void;
// a call made inside a traced one (a deep product's halves on one thread call gemm()) is the outer one's
let depth = 0;
function wrap(name: string, label: (a: unknown[]) => string, of: object = Dispatcher.prototype): void {
  const proto = of as unknown as Record<string, Method>;
  const inner = proto[name]!;
  proto[name] = function (this: unknown, ...a: never[]) {
    if (!tracing || depth > 0) return inner.apply(this, a);
    depth++;
    const t0 = performance.now();
    try {
      return inner.apply(this, a);
    } finally {
      durations.push(performance.now() - t0);
      labels.push(label(a));
      depth--;
    }
  };
}
// before loadKernels: the Kernels facade binds these methods when it is made
wrap('gemm', (a) => `gemm ${a[0]}${a[1]} ${a[2]}x${a[3]}x${a[4]}`);
wrap('parallel', (a) => `${a[0]} n=${a[1]}`);
wrap('gemmDepthHalves', (a) => `gemm halves ${a[0]}x${a[1]}x${a[2]}`);
// the batch's copy into wasm memory and its finiteness check (all_finite, inside it)
wrap('load', () => 'load: copy in, all_finite', Sequential.prototype);

const { train } = await loadMnist({ trainRows: 4096, testRows: 0 });
const batches = Math.floor(train.rows / batch);
function stepper(k: lib.Kernels): (i: number) => void {
  const model = k.sequential({ inputSize: 784, layers: [...hidden.map((h) => lib.dense(h, 'relu')), lib.dense(10, 'softmax')], seed: 1 });
  const opt = new lib.SGD({ learningRate: 0.01, momentum: 0.9 });
  return (i) => {
    const b = i % batches;
    model.trainBatch(train.x.subarray(b * batch * 784, (b + 1) * batch * 784), train.y.subarray(b * batch, (b + 1) * batch), opt);
  };
}
const ks = [await lib.loadKernels({ simd, threads: 1 }), await lib.loadKernels({ simd, threads })];
const steppers = ks.map(stepper);
for (let i = 0; i < 1000; i++) for (const s of steppers) s(i);

const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const perCall = ks.map(() => [] as number[][]), totals = ks.map(() => [] as number[]), outside = ks.map(() => [] as number[]);
const order: string[][] = ks.map(() => []);
// in blocks of BLOCK steps, the first of each untraced: a pool's workers fall asleep while the
// other model steps, and the wake-up (tens of µs) would land on the first call of the next step
const BLOCK = 20;
for (let i = 0; i < steps; i += BLOCK - 1) {
  steppers.forEach((s, j) => {
    s(i);
    for (let r = 1; r < BLOCK; r++) {
      labels.length = 0; durations.length = 0;
      tracing = true;
      const t0 = performance.now();
      s(i + r);
      const t = performance.now() - t0;
      tracing = false;
      totals[j]!.push(t);
      outside[j]!.push(t - durations.reduce((a, b) => a + b, 0));
      durations.forEach((d, c) => (perCall[j]![c] ??= []).push(d));
      order[j] = labels.slice();
    }
  });
}
const us = (ms: number) => (ms * 1000).toFixed(1).padStart(8);
console.log(`${workload} (batch ${batch}), ${ks[1]!.features.relaxedSimd ? 'relaxed' : 'plain'} build, median µs of ${totals[0]!.length} steps in turns: 1 thread, ${threads}, ratio`);
if (order[0]!.join() !== order[1]!.join()) console.log('(the two models made different calls; they are listed as the 1-thread model made them)');
order[0]!.forEach((label, c) => {
  const a = median(perCall[0]![c]!), b = perCall[1]![c] ? median(perCall[1]![c]!) : NaN;
  console.log(`${label.padEnd(30)}${us(a)}${us(b)}  ${(a / b).toFixed(2)}x`);
});
const [t1, tn] = totals.map(median) as [number, number];
console.log(`${'outside kernel calls'.padEnd(30)}${us(median(outside[0]!))}${us(median(outside[1]!))}`);
console.log(`${'step'.padEnd(30)}${us(t1)}${us(tn)}  ${(t1 / tn).toFixed(2)}x`);
for (const k of ks) k.dispose();

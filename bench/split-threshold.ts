// `npx tsx bench/split-threshold.ts`: where splitting a kernel call between two threads starts to
// pay, the measurement behind GEMM_MIN_MACS_PER_THREAD (src/runtime/parallel-gemm.ts) and
// ELEMENT_GRAIN (src/runtime/parts.ts). Each size runs whole on a one-thread instance and in two
// parts on a two-thread one (every call split: splitAll), the repetitions in turns (timing.ts),
// with the worker warm, as it is between the calls of a training step. Last, on one thread, where
// the packed GEMM overtakes gemm_small (SMALL_GEMM_MACS, src/runtime/dispatch.ts).
import { loadKernels, type Kernels } from '../src/index.js';
import { ARGS, perElementArgs } from '../src/runtime/parts.js';
import { timeInTurns } from './timing.js';

const one = await loadKernels({ threads: 1 });
const two = await loadKernels({ threads: 2 });
two.splitAll = true;
const opts = { repMs: 80, reps: 7, warmupMs: 80 };

function row(label: string, make: (k: Kernels) => () => void): void {
  const [a, b] = timeInTurns([make(one), make(two)], opts);
  console.log(`| ${label} | ${(a!.seconds * 1e6).toFixed(2)} | ${(b!.seconds * 1e6).toFixed(2)} | ${(a!.seconds / b!.seconds).toFixed(2)}x |`);
}

console.log(`| GEMM (multiply-adds) | 1 thread, µs | 2 threads, µs | gain |\n|---|---|---|---|`);
for (const [M, N, K] of [[16, 16, 16], [32, 32, 32], [32, 64, 32], [64, 64, 64], [64, 128, 128], [16, 150, 432], [64, 128, 784]] as const) {
  row(`${M}x${N}x${K} (${M * N * K})`, (k) => {
    const a = k.arena.alloc(M * K * 4, true), b = k.arena.alloc(K * N * 4, true), c = k.arena.alloc(M * N * 4, true);
    return () => k.gemm(0, 0, M, N, K, a, K, b, N, c, N, 0, 0, 0);
  });
}
console.log(`\n| update (elements) | 1 thread, µs | 2 threads, µs | gain |\n|---|---|---|---|`);
for (const n of [4096, 8192, 16384, 32768, 65536, 262144]) {
  row(`SGD momentum, ${n}`, (k) => {
    const w = k.arena.alloc(n * 4, true), v = k.arena.alloc(n * 4, true), g = k.arena.alloc(n * 4, true);
    const scalars = [0.01, 0.9, 0, 0, 0, 1, Infinity, 1]; // lr, momentum, nesterov, wd, decay, gscale, clip, commit
    return () => {
      ARGS[0] = w; ARGS[1] = v; ARGS[2] = g; ARGS[3] = n; ARGS.set(scalars, 4);
      perElementArgs(k, 'sgd_seed', 12, 3);
    };
  });
}
console.log(`\n| one thread (multiply-adds) | packed gemm, ns | gemm_small, ns |\n|---|---|---|`);
for (const [M, N, K] of [[4, 1, 1], [4, 4, 4], [8, 8, 4], [8, 8, 8], [16, 16, 4], [16, 16, 16]] as const) {
  const e = one.exports;
  const a = one.arena.alloc(M * K * 4, true), b = one.arena.alloc(K * N * 4, true), c = one.arena.alloc(M * N * 4, true);
  const [packed, small] = timeInTurns([
    () => e.gemm(0, 0, M, N, K, a, K, b, N, c, N, 0, 0, one.scratch.ptr, 0),
    () => e.gemm_small(0, 0, M, N, K, a, K, b, N, c, N, 0, 0, 0),
  ], { repMs: 40, reps: 7, warmupMs: 40 });
  console.log(`| ${M}x${N}x${K} (${M * N * K}) | ${(packed!.seconds * 1e9).toFixed(0)} | ${(small!.seconds * 1e9).toFixed(0)} |`);
}
one.dispose();
two.dispose();

// `npx tsx bench/gemm-threads.ts`: the pool's GEMM alone, plain build, 1 thread then 2, three shapes
// (W1's forward and weight-gradient products, and 1024³), back-to-back calls after a warm-up.
import { loadKernels } from '../src/index.js';
for (const threads of [1, 2]) {
  const k = await loadKernels({ simd: 'plain', threads });
  for (const [M, N, K, tA, tB] of [[64, 128, 784, 0, 0], [784, 128, 64, 1, 0], [1024, 1024, 1024, 0, 0]] as const) {
    const a = k.arena.alloc(M * K * 4, true), b = k.arena.alloc(K * N * 4, true), c = k.arena.alloc(M * N * 4, true);
    const run = () => k.gemm(tA, tB, M, N, K, a, tA ? M : K, b, N, c, N, 0, 0, 0);
    for (let i = 0; i < 50; i++) run();
    const reps = M === 1024 ? 5 : 500;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) run();
    const dt = (performance.now() - t0) / reps;
    console.log(threads, `${M}x${N}x${K}`, `${(dt * 1000).toFixed(1)} µs`, `${((2 * M * N * K) / dt / 1e6).toFixed(1)} GFLOP/s`);
  }
  k.dispose();
}

// The in-run peak: peak_probe(iters) runs 12 independent f32x4 multiply-add chains (96 flops per
// iteration) with no memory traffic, the most this build's SIMD can do on this core right now.
// It lives in the bench build (bench-kernels.ts), a second instance beside the production module:
// the probe touches no memory, so which instance runs it does not matter.
// Other work on the machine slows the probe and the GEMMs alike, so GEMM percentages are taken
// against probes run right next to each GEMM repetition (see gemm.ts), and the peak reported is
// the median of every probe repetition of the run.
import { performance } from 'node:perf_hooks';
import type { BenchKernels } from './bench-kernels.js';
import { median } from './timing.js';
import type { BuildResult } from './results.js';

const FLOPS_PER_ITER = 96;

export interface Probe {
  iters: number;
  /** one timed call: GFLOP/s */
  once(): number;
}

/** A probe whose one call lasts about `ms`, warmed up (compiled and tiered up) already. */
export function makeProbe(k: BenchKernels, ms: number): Probe {
  const probe = k.exports.peak_probe;
  // Short calls for a while: newer V8s tier a function up in the background and switch only on a
  // later call, so a few long warm-up calls could leave the timed ones on the baseline compiler.
  const w0 = performance.now();
  while (performance.now() - w0 < 150) probe(1e5);
  const t0 = performance.now();
  probe(1e7);
  const took = Math.max(performance.now() - t0, 0.01);
  const iters = Math.max(1e5, Math.round((1e7 * ms) / took));
  return {
    iters,
    once() {
      const t = performance.now();
      probe(iters);
      return (FLOPS_PER_ITER * iters) / ((performance.now() - t) / 1000) / 1e9;
    },
  };
}

/** `reps` probe calls after a warm-up of two: GFLOP/s of each */
export function probeReps(p: Probe, reps: number): number[] {
  p.once();
  p.once();
  return Array.from({ length: reps }, () => p.once());
}

export function summarisePeak(gflops: number[], iters: number): BuildResult['peak'] {
  const m = median(gflops);
  return { gflops: m, best: Math.max(...gflops), iters, reps: gflops.length, spread: (Math.max(...gflops) - Math.min(...gflops)) / m };
}

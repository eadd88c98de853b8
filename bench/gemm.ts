// Our GEMM on the benchmark shapes, all three products, called through the raw export with operands
// laid out in the arena the way the model uses them:
//   nn  C = A·B    A stored M×K, B stored K×N   (forward)
//   tn  C = Aᵀ·B   A stored K×M                 (weight gradients)
//   nt  C = A·Bᵀ   B stored N×K                 (input gradients)
// Each timed repetition is followed by one peak-probe call, and the percentage of peak is the median
// of the per-repetition ratios: a burst of other work on this shared machine then slows both sides.
// The repetitions of every shape, product and build are taken in turns (ours.ts), so a busy spell
// lands on all of them rather than on the few measured during it.
import type { Kernels } from '../src/index.js';
import { Block } from '../src/runtime/memory.js';
import { median, warmUp, type Timing } from './timing.js';
import type { GemmResult, Product } from './results.js';

export interface Shape { m: number; k: number; n: number }

export const PRODUCTS: readonly Product[] = ['nn', 'tn', 'nt'];
export const GEMM_SHAPES: readonly Shape[] = [
  { m: 64, k: 784, n: 128 },
  { m: 256, k: 784, n: 512 },
  { m: 256, k: 512, n: 512 },
  { m: 512, k: 512, n: 512 },
  { m: 1024, k: 1024, n: 1024 },
];
export const QUICK_SHAPES: readonly Shape[] = [GEMM_SHAPES[0]!, GEMM_SHAPES[1]!, GEMM_SHAPES[3]!];
/** TF.js's transposed products run at ~1 GFLOP/s, so it gets only these two shapes */
export const TFJS_SHAPES: readonly Shape[] = [GEMM_SHAPES[1]!, GEMM_SHAPES[2]!];

export interface GemmOptions {
  shapes: readonly Shape[];
  repMs: number;
  reps: number;
  warmupMs: number;
  /** length of the peak-probe call after each repetition */
  probeMs: number;
}

function fillUniform(a: Float32Array, seed: number): void {
  let s = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
}

/** Operands for the largest shape, in one build's arena. */
export class GemmBench {
  private readonly A: Block;
  private readonly B: Block;
  private readonly C: Block;

  constructor(private readonly k: Kernels, shapes: readonly Shape[]) {
    this.A = new Block(k.arena, Math.max(...shapes.map((s) => s.m * s.k)));
    this.B = new Block(k.arena, Math.max(...shapes.map((s) => s.k * s.n)));
    this.C = new Block(k.arena, Math.max(...shapes.map((s) => s.m * s.n)));
    fillUniform(this.A.f32, 1);
    fillUniform(this.B.f32, 2);
  }

  call(s: Shape, p: Product): () => void {
    const e = this.k.exports, scratch = this.k.scratch.ptr;
    const { A, B, C } = this;
    const tA = p === 'tn' ? 1 : 0, tB = p === 'nt' ? 1 : 0;
    const lda = tA ? s.m : s.k, ldb = tB ? s.k : s.n;
    return () => e.gemm(tA, tB, s.m, s.n, s.k, A.ptr, lda, B.ptr, ldb, C.ptr, s.n, 0, 0, scratch);
  }

  /** the microkernel and packers compile lazily and tier up while hot */
  warmUp(s: Shape, ms: number): void {
    for (const p of PRODUCTS) warmUp(this.call(s, p), ms);
  }

  /** the result row of one shape and product, from its repetitions' seconds per call and the probes after them */
  row(s: Shape, p: Product, t: Timing, probes: readonly number[]): GemmResult {
    const flops = 2 * s.m * s.n * s.k;
    this.call(s, p)(); // C holds whichever cell ran last: recompute this one for the spot check
    const rates = t.perCall.map((sec) => flops / sec / 1e9);
    return {
      ...s, product: p, gflops: flops / t.seconds / 1e9, best: Math.max(...rates),
      pctPeak: 100 * median(rates.map((r, i) => r / probes[i]!)), spread: t.spread,
      checkError: this.spotCheck(s, p),
    };
  }

  free(): void {
    this.A.free(); this.B.free(); this.C.free();
  }

  /** a few entries of C against float64 dot products, divided by K (entries of A and B lie in [-1, 1]) */
  private spotCheck(s: Shape, p: Product): number {
    const a = this.A.f32, b = this.B.f32, c = this.C.f32;
    let worst = 0;
    const picks = [[0, 0], [s.m - 1, s.n - 1], [s.m >> 1, s.n >> 1], [s.m - 1, 0], [3 % s.m, s.n - 2]] as const;
    for (const [i, j] of picks) {
      let ref = 0;
      for (let q = 0; q < s.k; q++) {
        const av = p === 'tn' ? a[q * s.m + i]! : a[i * s.k + q]!;
        const bv = p === 'nt' ? b[j * s.k + q]! : b[q * s.n + j]!;
        ref += av * bv;
      }
      worst = Math.max(worst, Math.abs(c[i * s.n + j]! - ref) / s.k);
    }
    return worst;
  }
}

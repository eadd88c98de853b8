// The bench build (assembly/bench.ts, built to build/bench.wasm and build/bench-relaxed.wasm): every
// production kernel, the same ABI_VERSION included, plus the kernels only the bench and the kernel
// tests call. Loaded like any module handed to loadKernels({ wasm }); the library never loads it.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadKernels, type Kernels, type KernelExports } from '../src/index.js';

export interface BenchKernelExports extends KernelExports {
  /** 12 independent f32x4 multiply-add chains, `iters` times (96 flops each): the in-run peak */
  peak_probe(iters: number): number;
  /** the build's GEMM microkernel n times over kc-deep panels at pa, pb into one tile at c */
  gemm_microkernel_loop(n: number, kc: number, pa: number, pb: number, c: number): void;
  /** w -= lr g: sgd_seed with nothing else switched on */
  sgd_plain(w: number, g: number, n: number, lr: number): void;
  /** v = beta v - lr g; w += v */
  sgd_momentum(w: number, v: number, g: number, n: number, lr: number, beta: number): void;
  /** the Nesterov form of sgd_momentum */
  sgd_nesterov(w: number, v: number, g: number, n: number, lr: number, beta: number): void;
  /** y = e^x through the kernels' own exp (exp4 on groups of four, exp1 on the tail) */
  exp_forward(x: number, y: number, n: number): void;
}

export type BenchKernels = Kernels & { readonly exports: BenchKernelExports };

export type BenchBuild = 'plain' | 'relaxed';

/** the bench build of each SIMD flavour, relative to the package root */
export const BENCH_WASM_FILE: Record<BenchBuild, string> = { plain: 'build/bench.wasm', relaxed: 'build/bench-relaxed.wasm' };

/** The bench build of `build`; throws if it is missing or reports the other flavour. */
export async function loadBenchKernels(build: BenchBuild): Promise<BenchKernels> {
  const file = fileURLToPath(new URL(`../${BENCH_WASM_FILE[build]}`, import.meta.url));
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    throw new Error(`${BENCH_WASM_FILE[build]} could not be read (${(e as Error).message}): run \`npm run build:wasm\``);
  }
  const k = await loadKernels({ wasm: bytes });
  if (k.features.relaxedSimd !== (build === 'relaxed')) throw new Error(`${BENCH_WASM_FILE[build]} is not the ${build} build`);
  for (const name of ['peak_probe', 'gemm_microkernel_loop', 'exp_forward'] as const) {
    if (typeof (k.exports as Partial<BenchKernelExports>)[name] !== 'function') throw new Error(`${BENCH_WASM_FILE[build]} has no ${name}: run \`npm run build:wasm\``);
  }
  return k as BenchKernels;
}

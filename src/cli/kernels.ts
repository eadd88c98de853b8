// How the CLI loads the kernels: the relaxed (FMA) build where the engine can run it.
import { setFlagsFromString } from 'node:v8';
import { loadKernels, relaxedSimdSupported, type Kernels } from '../index.js';
import { UsageError } from './usage-error.js';

export type SimdFlag = 'auto' | 'plain' | 'relaxed';

/** `--threads`: 'auto' (the default, as the library's) or a count. Measured on the 2-vCPU VM of the
 *  README: `train mnist --epochs 1 --limit 6000` trained in 2.5-3.0 s on two threads, 3.4-3.7 s on one */
export function threadsFlag(v: string | undefined): number | 'auto' {
  if (v === undefined) return 'auto';
  if (v === 'auto') return 'auto';
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--threads: expected auto or a count in 1..64, got '${v}'`);
  return n;
}

export async function cliKernels(simd: 'auto' | 'plain' | 'relaxed', threads: number | 'auto' = 'auto'): Promise<Kernels> {
  // Node 20 runs relaxed SIMD (FMA) only behind a V8 flag; this is our own process, so turn it on
  // before the first module compiles (the library itself never does this on import). Node 22+ runs
  // it by default and Node 24 rejects the flag, so ask the engine first.
  if (simd !== 'plain' && !relaxedSimdSupported()) setFlagsFromString('--experimental-wasm-relaxed-simd');
  return loadKernels({ simd, threads });
}


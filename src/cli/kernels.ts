// How the CLI loads the kernels: the relaxed (FMA) build where the engine can run it.
import { setFlagsFromString } from 'node:v8';
import { loadKernels, relaxedSimdSupported, type Kernels } from '../index.js';

export type SimdFlag = 'auto' | 'plain' | 'relaxed';

export async function cliKernels(simd: 'auto' | 'plain' | 'relaxed'): Promise<Kernels> {
  // Node 20 runs relaxed SIMD (FMA) only behind a V8 flag; this is our own process, so turn it on
  // before the first module compiles (the library itself never does this on import). Node 22+ runs
  // it by default and Node 24 rejects the flag, so ask the engine first.
  if (simd !== 'plain' && !relaxedSimdSupported()) setFlagsFromString('--experimental-wasm-relaxed-simd');
  return loadKernels({ simd });
}


// Shared by the tests: the build under test (MW_SIMD, set per vitest project) and small
// tensors placed in the kernels' memory.
import { loadKernels, type Kernels } from '../src/index.js';
import { Block } from '../src/memory.js';

export const SIMD = (process.env.MW_SIMD ?? 'plain') as 'plain' | 'relaxed';

/** the kernels of the build this project tests; throws if the other build was loaded */
export async function kernelsUnderTest(): Promise<Kernels> {
  const k = await loadKernels({ simd: SIMD });
  if (k.features.relaxedSimd !== (SIMD === 'relaxed')) throw new Error(`expected the ${SIMD} build`);
  return k;
}

/** a block in wasm memory holding `data` (or `data` zeros) */
export function put(k: Kernels, data: ArrayLike<number> | number): Block {
  const n = typeof data === 'number' ? data : data.length;
  const b = new Block(k.arena, n);
  if (typeof data !== 'number') b.f32.set(data);
  return b;
}

/** deterministic values in [-scale, scale) */
export function seeded(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/** max |a - b| / (atol + rtol |b|) over elements: <= 1 means close */
export function closeness(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (atol + rtol * Math.abs(b[i]!)));
  return worst;
}

// Shared by the tests: the build under test (MW_SIMD, set per vitest project) and small
// tensors placed in the kernels' memory.
import { spawnSync } from 'node:child_process';
import { loadKernels, type Kernels } from '../src/index.js';
import { Block } from '../src/runtime/memory.js';
import { loadBenchKernels, type BenchKernels } from '../bench/bench-kernels.js';

export const SIMD = (process.env.MW_SIMD ?? 'plain') as 'plain' | 'relaxed';

/** the kernels of the build this project tests; throws if the other build was loaded */
/** the build under test on one thread (test/threads.test.ts checks that more threads give the same bits) */
export async function kernelsUnderTest(): Promise<Kernels> {
  const k = await loadKernels({ simd: SIMD, threads: 1 });
  if (k.features.relaxedSimd !== (SIMD === 'relaxed')) throw new Error(`expected the ${SIMD} build`);
  return k;
}

/**
 * The bench build of the flavour this project tests (build/bench.wasm or build/bench-relaxed.wasm,
 * loaded through loadKernels({ wasm })): the production kernels plus the test-only ones
 * (gemm_microkernel_loop, sgd_plain / sgd_momentum / sgd_nesterov, exp_forward, peak_probe).
 */
export function benchKernelsUnderTest(): Promise<BenchKernels> {
  return loadBenchKernels(SIMD);
}

/**
 * The V8 flags a child `node` needs to run this project's build: the relaxed SIMD flag on V8
 * before 11.4 (Node 20) only; Node 22+ runs relaxed SIMD by default and Node 24 exits with
 * "bad option" when given the flag.
 */
export function relaxedSimdNodeFlags(): string[] {
  if (SIMD !== 'relaxed') return [];
  const [major, minor] = process.versions.v8.split('.').map(Number) as [number, number];
  return major < 11 || (major === 11 && minor < 4) ? ['--experimental-wasm-relaxed-simd'] : [];
}

let numpy: boolean | undefined;
/**
 * Whether `python3` can import numpy, for tests that cross-check against it. Without numpy they
 * skip (say so loudly); under REQUIRE_NUMPY=1 (CI) this throws instead, so a missing numpy fails
 * the run rather than silently passing it.
 */
export function numpyAvailable(): boolean {
  numpy ??= (() => {
    const probe = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
    return !probe.error && probe.status === 0;
  })();
  if (!numpy && process.env.REQUIRE_NUMPY === '1') {
    throw new Error('REQUIRE_NUMPY=1 but python3 cannot import numpy (install it: pip install numpy, or apt-get install -y python3-numpy)');
  }
  return numpy;
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

const GUARD = 16; // floats (64 bytes) of sentinel on each side of a guarded output
const SENTINEL = 12345.5;

export interface Guarded {
  b: Block;
  /** the data's pointer, past the leading guard band */
  at: number;
  n: number;
  data(): Float32Array;
  i32(): Int32Array;
  guardsIntact(): boolean;
}

/** a block in `k`'s memory with `n` floats of `data` (or zeros) between two guard bands of a
 *  sentinel, so a test can tell that a kernel wrote nothing outside its output */
export function guarded(k: Kernels, data: ArrayLike<number> | number): Guarded {
  const n = typeof data === 'number' ? data : data.length;
  const b = put(k, n + 2 * GUARD);
  const f = b.f32;
  f.fill(SENTINEL);
  if (typeof data === 'number') f.fill(0, GUARD, GUARD + n);
  else f.set(data, GUARD);
  return {
    b,
    at: b.ptr + GUARD * 4,
    n,
    data: () => b.f32.slice(GUARD, GUARD + n),
    i32: () => b.i32.slice(GUARD, GUARD + n),
    guardsIntact: () => {
      const g = b.f32;
      for (let i = 0; i < GUARD; i++) if (g[i] !== SENTINEL || g[GUARD + n + i] !== SENTINEL) return false;
      return true;
    },
  };
}

export function free(...bs: Block[]): void {
  for (const b of bs) b.free();
}

/** index of the first element whose bits differ, or -1 (vitest's toEqual is slow on big typed arrays) */
export function firstDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

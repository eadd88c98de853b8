// Every raw kernel export against the float64 oracle, on sizes that are not multiples of the SIMD
// width (scalar tails) and, for GEMM, on shapes around every edge of the build's blocking: the
// tile (4x8 plain, 3x12 relaxed), the k-block, the m-block and the n-block, read from the module's
// own GEMM_* exports. Runs on the plain and on the relaxed (FMA) build. The test-only kernels
// (gemm_microkernel_loop, the single-rule SGD forms) come from the bench build of the same flavour,
// and the production module is checked not to export them.
import { readFileSync } from 'node:fs';
import { describe, it, expect, beforeAll } from 'vitest';
import type { Kernels } from '../src/index.js';
import type { Block } from '../src/runtime/memory.js';
import { BENCH_WASM_FILE, type BenchKernels } from '../bench/bench-kernels.js';
import { kernelsUnderTest, benchKernelsUnderTest, put, seeded, closeness, SIMD, guarded as guardedIn, free, firstDiff } from './helpers.js';
import * as oracle from './oracle/oracle.js';

let k: Kernels;
let bk: BenchKernels;
beforeAll(async () => {
  k = await kernelsUnderTest();
  bk = await benchKernelsUnderTest();
});

/** a guarded block in this build's memory (or `kk`'s) */
const guarded = (data: ArrayLike<number> | number, kk: Kernels = k) => guardedIn(kk, data);

const SIZES = [1, 3, 5, 17, 33, 130];
/** what float32 storage makes of a float64 array */
const f32 = (a: ArrayLike<number>) => Float32Array.from(a);

// ------------------------------------------------------------------------------------------ GEMM

type Product = 'nn' | 'tn' | 'nt';
const PRODUCTS: Product[] = ['nn', 'tn', 'nt'];

/**
 * Runs the kernel for C (M x N) = op(A)·op(B) in all three modes with natural strides and compares
 * each to the oracle (whose product is computed once per shape); also checks that nothing outside C
 * was written and that A and B were left alone. Returns the worst closeness per mode.
 */
function checkGemm(product: Product, M: number, N: number, K: number, seed: number): number[] {
  const a = seeded(M * K, seed);
  const bm = seeded(K * N, seed + 1);
  const c0 = seeded(M * N, seed + 2);
  const bias = seeded(N, seed + 3);
  const A = put(k, a), B = put(k, bm), bb = put(k, bias);
  const transA = product === 'tn' ? 1 : 0, transB = product === 'nt' ? 1 : 0;
  const lda = transA ? M : K; // A stored K x M for 'tn', else M x K
  const ldb = transB ? K : N; // B stored N x K for 'nt', else K x N
  const prod = oracle.gemm(product, M, N, K, Float64Array.from(a), Float64Array.from(bm));
  // each mode with and without the relu epilogue (max(C, 0) once the last k-block is stored)
  const worst = [0, 1, 2].map((mode) => Math.max(...[0, 1].map((relu) => {
    const C = guarded(mode === 1 ? c0 : M * N);
    if (mode !== 1) new Float32Array(C.b.f32.buffer, C.at, M * N).fill(-777); // stale values the kernel must overwrite
    k.exports.gemm(transA, transB, M, N, K, A.ptr, lda, B.ptr, ldb, C.at, N, mode, mode === 2 ? bb.ptr : 0, k.scratch.ptr, relu);
    const want = Float64Array.from(prod);
    if (mode === 1) for (let i = 0; i < M * N; i++) want[i]! += c0[i]!;
    if (mode === 2) for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) want[i * N + j]! += bias[j]!;
    if (relu) for (let i = 0; i < M * N; i++) want[i] = Math.max(want[i]!, 0);
    expect(C.guardsIntact(), `${product} ${M}x${N}x${K} mode ${mode} relu ${relu} wrote outside C`).toBe(true);
    const w = closeness(C.data(), want, 1e-5 * Math.sqrt(Math.max(K, 1)), 1e-5);
    C.b.free();
    return w;
  })));
  expect(firstDiff(A.f32, a), 'A unchanged').toBe(-1);
  expect(firstDiff(B.f32, bm), 'B unchanged').toBe(-1);
  free(A, B, bb);
  return worst;
}

describe('gemm', () => {
  const small = [1, 3, 4, 5, 7, 8, 9];
  for (const product of PRODUCTS) {
    it(`${product}, modes 0/1/2: every M, N in {1,3,4,5,7,8,9} x K in {1,3,5,8,9}`, () => {
      let seed = 1;
      for (const M of small) for (const N of small) for (const K of [1, 3, 5, 8, 9]) {
        checkGemm(product, M, N, K, seed += 7).forEach((w, mode) => {
          expect(w, `${product} ${M}x${N}x${K} mode ${mode}`).toBeLessThanOrEqual(1);
        });
      }
    });
  }

  it('gemm_small (no packing) writes exactly the bits gemm writes: all four products, every mode, relu, K past the k-block, a row stride', () => {
    let seed = 500, cases = 0;
    for (const [transA, transB] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
      for (const M of [1, 2, 3, 4, 5, 9]) for (const N of [1, 3, 4, 5, 8, 13]) for (const K of [1, 2, 5, 8, 600]) {
        const a = seeded(M * K, seed += 5), b = seeded(K * N, seed + 1), c0 = seeded(M * (N + 3), seed + 2), bias = seeded(N, seed + 3);
        const A = put(k, a), B = put(k, b), BI = put(k, bias);
        const lda = transA ? M : K, ldb = transB ? K : N, ldc = N + 3; // C has three spare columns a row
        for (const mode of [0, 1, 2]) for (const relu of [0, 1]) {
          const want = guarded(c0), got = guarded(c0);
          k.exports.gemm(transA, transB, M, N, K, A.ptr, lda, B.ptr, ldb, want.at, ldc, mode, BI.ptr, k.scratch.ptr, relu);
          k.exports.gemm_small(transA, transB, M, N, K, A.ptr, lda, B.ptr, ldb, got.at, ldc, mode, BI.ptr, relu);
          expect(got.guardsIntact(), 'wrote outside C').toBe(true);
          expect(firstDiff(got.data(), want.data()), `${transA}${transB} ${M}x${N}x${K} mode ${mode} relu ${relu}`).toBe(-1);
          free(want.b, got.b);
          cases++;
        }
        free(A, B, BI);
      }
    }
    expect(cases).toBe(4 * 6 * 6 * 5 * 6);
  });

  // shapes straddling the k-block, the m-block, the n-block and the tile edges, for this build's
  // blocking (read from the module, so a retuned constant is still tested at its edges)
  const blocking = () => {
    const e = k.exports as unknown as Record<string, WebAssembly.Global>;
    const v = (n: string) => Number(e[n]!.value);
    return { MR: v('GEMM_MR'), NR: v('GEMM_NR'), KC: v('GEMM_KC'), MC: v('GEMM_MC'), NC: v('GEMM_NC') };
  };
  const edgeShapes = (): Array<[number, number, number]> => {
    const { MR, NR, KC, MC, NC } = blocking();
    return [
      [MR + 1, NR + 1, KC - 1], [MR, NR, KC], [2 * MR + 1, NR - 1, KC + 1], [MR - 1, 2 * NR + 1, 2 * KC - 1],
      [2 * MR, 2 * NR, 2 * KC], [3 * MR - 1, NR - 3, 2 * KC + 1],
      [MR - 1, NC - 1, 17], [MR + 1, NC, 9], [MR, NC + 1, 33], [1, NC + 1, KC + 1], [7, 2 * NC + 1, 5],
      [MC - 1, 9, 33], [MC, NR, 5], [MC + 1, 7, 3], [2 * MC + MR + 1, NR + 5, KC + 3],
      [33, 130, KC + 1], [MC + 3, NC + 1, 65], [9, NC + 1, KC + 1], [MC + 1, 9, KC + 1], [257, 255, KC], [255, 17, KC - 1],
    ];
  };
  it('gemm_microkernel_loop (the bench\'s diagnostic, bench build) computes one MRxNR tile from k-major panels', () => {
    const { MR, NR } = blocking();
    const kc = 37;
    const a = seeded(kc * MR, 51), b = seeded(kc * NR, 52);
    const A = put(bk, a), B = put(bk, b), C = guarded(MR * NR, bk);
    bk.exports.gemm_microkernel_loop(3, kc, A.ptr, B.ptr, C.at);
    const got = C.data();
    for (let r = 0; r < MR; r++) for (let j = 0; j < NR; j++) {
      let want = 0;
      for (let q = 0; q < kc; q++) want += a[q * MR + r]! * b[q * NR + j]!;
      expect(Math.abs(got[r * NR + j]! - want), `tile ${r},${j}`).toBeLessThanOrEqual(1e-5 * Math.sqrt(kc));
    }
    expect(C.guardsIntact()).toBe(true);
    free(A, B, C.b);
  });

  it('the blocking constants are what gemm.ts documents for this build', () => {
    const b = blocking();
    expect(b).toEqual(k.features.relaxedSimd
      ? { MR: 3, NR: 12, KC: 512, MC: 96, NC: 1032 }
      : { MR: 4, NR: 8, KC: 512, MC: 96, NC: 1032 });
    expect(b.MC % b.MR).toBe(0);
    expect(b.NC % b.NR).toBe(0);
  });
  for (const product of PRODUCTS) {
    it(`${product}: shapes around the k-block, n-block and tile edges, all modes`, () => {
      let seed = 1000;
      for (const [M, N, K] of edgeShapes()) {
        checkGemm(product, M, N, K, seed += 11).forEach((w, mode) => {
          expect(w, `${product} ${M}x${N}x${K} mode ${mode}`).toBeLessThanOrEqual(1);
        });
      }
    });
  }

  it('K = 0 gives the mode\'s starting value (zero, C unchanged, the bias row; with relu, clamped at 0 where written)', () => {
    for (const [mode, relu] of [[0, 0], [1, 0], [2, 0], [1, 1], [2, 1]] as const) {
      const M = 5, N = 9;
      const c0 = seeded(M * N, 3), bias = seeded(N, 4);
      const C = guarded(c0), bb = put(k, bias);
      k.exports.gemm(0, 0, M, N, 0, 0, 0, 0, N, C.at, N, mode, bb.ptr, k.scratch.ptr, relu);
      const want = new Float32Array(M * N);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
        const v = mode === 0 ? 0 : mode === 1 ? c0[i * N + j]! : bias[j]!;
        want[i * N + j] = relu ? Math.max(v, 0) : v;
      }
      expect(C.data()).toEqual(want);
      expect(C.guardsIntact()).toBe(true);
      free(C.b, bb);
    }
  });

  it('a C, or a bias, that ends where wasm memory ends: tiles cut by its edges read and write nothing past it', () => {
    const arena = k.arena;
    for (const [M, N, K] of [[5, 7, 9], [4, 10, 33], [7, 13, 3], [1, 1, 5], [2, 11, 520]] as const) {
      const a = seeded(M * K, M + N), b = seeded(K * N, K), c0 = seeded(M * N, N), bias = seeded(N, 3);
      const A = put(k, a), B = put(k, b), C = put(k, c0), BI = put(k, bias);
      // then the free top of memory, from the arena's next block up to the memory's end, so that
      // nothing allocated below grows the memory past `end`
      const at = arena.alloc(64);
      arena.release(at);
      const top = arena.alloc(arena.byteLength - at);
      const end = arena.byteLength;
      const want = oracle.gemm('nn', M, N, K, Float64Array.from(a), Float64Array.from(b));
      const mem = () => new Float32Array(k.exports.memory.buffer);
      try {
        for (const [mode, relu] of [[1, 0], [1, 1], [2, 0], [2, 1]] as const) {
          // C at the very end (the bias elsewhere), then the bias at the very end (C elsewhere)
          for (const cAtEnd of [true, false]) {
            const cPtr = cAtEnd ? end - M * N * 4 : C.ptr, bPtr = cAtEnd ? BI.ptr : end - N * 4;
            mem().set(c0, cPtr / 4);
            if (!cAtEnd) mem().set(bias, bPtr / 4);
            k.exports.gemm(0, 0, M, N, K, A.ptr, K, B.ptr, N, cPtr, N, mode, bPtr, k.scratch.ptr, relu);
            expect(arena.byteLength).toBe(end);
            const got = mem().subarray(cPtr / 4, cPtr / 4 + M * N);
            for (let i = 0; i < M * N; i++) {
              let v = want[i]! + (mode === 1 ? c0[i]! : bias[i % N]!);
              if (relu) v = Math.max(v, 0);
              expect(Math.abs(got[i]! - v), `${M}x${N}x${K} mode ${mode} relu ${relu} ${cAtEnd ? 'C' : 'bias'} at the end, element ${i}`)
                .toBeLessThanOrEqual(1e-5 * Math.sqrt(K) + 1e-5 * Math.abs(v));
            }
          }
        }
      } finally {
        arena.release(top);
        free(A, B, C, BI);
      }
    }
  });

  it('row strides larger than the row (a sub-matrix of a wider one) in A, B and C', () => {
    // C[:, 0:N] of a wider C (ldc = N + 3) = A[:, 0:K] (lda = K + 5) · B[0:K, 0:N] (ldb = N + 2)
    for (const [M, N, K] of [[5, 9, 7], [4, 8, 257], [9, 17, 5], [13, 25, 513]] as const) {
      const lda = K + 5, ldb = N + 2, ldc = N + 3;
      const aw = seeded(M * lda, 21), bw = seeded(K * ldb, 22), cw = seeded(M * ldc, 23);
      const A = put(k, aw), B = put(k, bw), C = put(k, cw);
      k.exports.gemm(0, 0, M, N, K, A.ptr, lda, B.ptr, ldb, C.ptr, ldc, 1, 0, k.scratch.ptr);
      const a = new Float64Array(M * K), bm = new Float64Array(K * N);
      for (let i = 0; i < M; i++) for (let p = 0; p < K; p++) a[i * K + p] = aw[i * lda + p]!;
      for (let p = 0; p < K; p++) for (let j = 0; j < N; j++) bm[p * N + j] = bw[p * ldb + j]!;
      const prod = oracle.gemm('nn', M, N, K, a, bm);
      const got = C.f32;
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < ldc; j++) {
          const want = j < N ? cw[i * ldc + j]! + prod[i * N + j]! : cw[i * ldc + j]!;
          if (j >= N) expect(got[i * ldc + j]).toBe(cw[i * ldc + j]); // padding columns untouched
          else expect(Math.abs(got[i * ldc + j]! - want)).toBeLessThanOrEqual(1e-5 * Math.sqrt(K) + 1e-5 * Math.abs(want));
        }
      }
      free(A, B, C);
    }
  });
});

// ------------------------------------------------------------------------------------ activations

type Elementwise = 'relu' | 'sigmoid' | 'tanh';
const forwardOf = (act: Elementwise) =>
  act === 'relu' ? k.exports.relu_forward : act === 'sigmoid' ? k.exports.sigmoid_forward : k.exports.tanh_forward;
const backwardOf = (act: Elementwise) =>
  act === 'relu' ? k.exports.relu_backward : act === 'sigmoid' ? k.exports.sigmoid_backward : k.exports.tanh_backward;

/** inputs of size n with extreme values spread over the SIMD body and the tail */
function activationInputs(n: number, seed: number): Float32Array {
  const x = seeded(n, seed, 4);
  const extremes = [50, -50, 100, -100, 1000, -1000, 0, 1e-3, -1e-3, 20, -20];
  // one extreme in the tail (last index), the others spread through the body
  for (let i = 0; i < extremes.length && i < n; i++) x[i === 0 ? n - 1 : Math.floor((i * n) / extremes.length)] = extremes[i]!;
  return x;
}

describe('activations', () => {
  for (const act of ['relu', 'sigmoid', 'tanh'] as const) {
    it(`${act} forward, out of place and in place, sizes ${SIZES.join(', ')}`, () => {
      for (const n of SIZES) {
        const x = activationInputs(n, n * 3 + 1);
        const want = oracle.activationForward(act, x, 1, n);
        const X = put(k, x), Y = guarded(n);
        forwardOf(act)(X.ptr, Y.at, n);
        const got = Y.data();
        expect(Y.guardsIntact()).toBe(true);
        expect(X.f32).toEqual(x);
        expect(got.every(Number.isFinite), `${act} n=${n} finite`).toBe(true);
        expect(closeness(got, want, 1e-6, 2e-6), `${act} n=${n}`).toBeLessThanOrEqual(1);
        // in place, as the model runs it
        forwardOf(act)(X.ptr, X.ptr, n);
        expect(X.f32).toEqual(got);
        free(X, Y.b);
      }
    });

    it(`${act} backward from the forward output, sizes ${SIZES.join(', ')}`, () => {
      for (const n of SIZES) {
        const z = activationInputs(n, n * 5 + 2);
        const y = f32(oracle.activationForward(act, z, 1, n));
        const dy = seeded(n, n * 7 + 3, 2);
        const want = oracle.activationBackward(act, z, y, dy, 1, n);
        const Yb = put(k, y), DY = put(k, dy), DZ = guarded(n);
        backwardOf(act)(Yb.ptr, DY.ptr, DZ.at, n);
        expect(DZ.guardsIntact()).toBe(true);
        expect(closeness(DZ.data(), want, 1e-6, 1e-5), `${act}' n=${n}`).toBeLessThanOrEqual(1);
        // in place on dy, as the model runs it
        backwardOf(act)(Yb.ptr, DY.ptr, DY.ptr, n);
        expect(DY.f32).toEqual(DZ.data());
        free(Yb, DY, DZ.b);
      }
    });
  }

  it('tanh and sigmoid saturate exactly and stay finite at |x| = 50, 100, 1000, 1e30', () => {
    const x = f32([50, -50, 100, -100, 1000, -1000, 1e30, -1e30, 88.5, -88.5, 0.5]);
    const n = x.length;
    const X = put(k, x), T = put(k, n), S = put(k, n);
    k.exports.tanh_forward(X.ptr, T.ptr, n);
    k.exports.sigmoid_forward(X.ptr, S.ptr, n);
    const t = T.f32, s = S.f32;
    for (let i = 0; i < n - 1; i++) {
      expect(t[i], `tanh(${x[i]})`).toBe(Math.sign(x[i]!));
      expect(Math.abs(s[i]! - (x[i]! > 0 ? 1 : 0)), `sigmoid(${x[i]})`).toBeLessThan(1e-20);
      expect(s[i]! >= 0 && s[i]! <= 1).toBe(true);
    }
    expect(t[n - 1]).toBeCloseTo(Math.tanh(0.5), 6);
    expect(s[n - 1]).toBeCloseTo(1 / (1 + Math.exp(-0.5)), 6);
    free(X, T, S);
  });

  it('relu passes exactly the positive values and zeroes the gradient where y = 0', () => {
    const x = f32([-1, 0, 2, -0, 3.5, -2, 7, 1e-30, -1e-30]);
    const X = put(k, x), Y = put(k, x.length), D = put(k, x.length);
    k.exports.relu_forward(X.ptr, Y.ptr, x.length);
    expect(Array.from(Y.f32)).toEqual([0, 0, 2, 0, 3.5, 0, 7, x[7], 0]);
    const dy = f32([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const DY = put(k, dy);
    k.exports.relu_backward(Y.ptr, DY.ptr, D.ptr, x.length);
    expect(Array.from(D.f32)).toEqual([0, 0, 3, 0, 5, 0, 7, 8, 0]);
    free(X, Y, D, DY);
  });

  it('add_f32 (a deep product\'s halves): c = c + p rounded to float32, then relu when asked; the SIMD body and the tail alike', () => {
    for (const n of [1, 4, 13, 64]) {
      const c = seeded(n, n, 3), p = seeded(n, n + 1, 3);
      for (const relu of [0, 1]) {
        const C = put(k, c), P = put(k, p);
        k.exports.add_f32(C.ptr, P.ptr, n, relu);
        const want = Array.from(c, (v, i) => { const s = Math.fround(v + p[i]!); return relu && s < 0 ? 0 : s; });
        expect(Array.from(C.f32), `n ${n}, relu ${relu}`).toEqual(want);
        expect(Array.from(P.f32)).toEqual(Array.from(p)); // p is only read
        free(C, P);
      }
    }
  });

  it(`softmax forward per row: rows 1, 3, 5 x cols ${SIZES.join(', ')}, rows sum to 1`, () => {
    for (const rows of [1, 3, 5]) {
      for (const cols of SIZES) {
        const z = seeded(rows * cols, rows * 100 + cols, 8);
        const want = oracle.activationForward('softmax', z, rows, cols);
        const Z = put(k, z), Y = guarded(rows * cols);
        k.exports.softmax_forward(Z.ptr, Y.at, rows, cols);
        const got = Y.data();
        expect(Y.guardsIntact()).toBe(true);
        expect(closeness(got, want, 1e-7, 1e-5), `softmax ${rows}x${cols}`).toBeLessThanOrEqual(1);
        for (let r = 0; r < rows; r++) {
          let s = 0;
          for (let j = 0; j < cols; j++) s += got[r * cols + j]!;
          expect(Math.abs(s - 1)).toBeLessThan(2e-6);
        }
        k.exports.softmax_forward(Z.ptr, Z.ptr, rows, cols); // in place
        expect(Z.f32).toEqual(got);
        free(Z, Y.b);
      }
    }
  });

  it('softmax forward with logits of ±1000 (the max in the body and in the tail)', () => {
    for (const cols of [3, 5, 17, 33]) {
      const rows = 3;
      const z = seeded(rows * cols, cols, 3);
      z[0] = 1000; z[1] = -1000; // row 0: max in the body
      z[cols + cols - 1] = 1000; z[cols] = -1000; z[cols + 1] = 999; // row 1: max in the tail, runner-up 1 below
      for (let j = 0; j < cols; j++) z[2 * cols + j] = -1000; // row 2: all -1000: uniform
      const want = oracle.activationForward('softmax', z, rows, cols);
      const Z = put(k, z), Y = put(k, rows * cols);
      k.exports.softmax_forward(Z.ptr, Y.ptr, rows, cols);
      const got = Y.f32;
      expect(got.every(Number.isFinite)).toBe(true);
      expect(closeness(got, want, 1e-7, 1e-5), `±1000, cols ${cols}`).toBeLessThanOrEqual(1);
      free(Z, Y);
    }
  });

  it(`softmax backward (Jacobian-vector product) vs the oracle's explicit Jacobian, cols ${SIZES.join(', ')}`, () => {
    for (const rows of [1, 3, 5]) {
      for (const cols of SIZES) {
        const z = seeded(rows * cols, rows * 10 + cols, 3);
        const y = f32(oracle.activationForward('softmax', z, rows, cols));
        const dy = seeded(rows * cols, rows * 10 + cols + 1, 2);
        const want = oracle.activationBackward('softmax', z, y, dy, rows, cols);
        const Yb = put(k, y), DY = put(k, dy), DZ = guarded(rows * cols);
        k.exports.softmax_backward(Yb.ptr, DY.ptr, DZ.at, rows, cols);
        expect(DZ.guardsIntact()).toBe(true);
        expect(closeness(DZ.data(), want, 1e-6, 1e-5), `softmax' ${rows}x${cols}`).toBeLessThanOrEqual(1);
        k.exports.softmax_backward(Yb.ptr, DY.ptr, DY.ptr, rows, cols); // in place on dy
        expect(DY.f32).toEqual(DZ.data());
        free(Yb, DY, DZ.b);
      }
    }
  });
});

// ---------------------------------------------------------------------------------- column sums

describe('column_sums', () => {
  it(`bias gradients: rows x cols over ${SIZES.join(', ')}`, () => {
    for (const rows of SIZES) {
      for (const cols of SIZES) {
        const dy = seeded(rows * cols, rows * 1000 + cols, 2);
        // the oracle's dense backward with a 1-wide zero input gives db = column sums of dy
        const want = oracle.denseBackward(new Float64Array(rows), dy, new Float64Array(cols), rows, 1, cols).db;
        const DY = put(k, dy), DB = guarded(cols);
        k.exports.column_sums(DY.ptr, rows, cols, cols, DB.at);
        expect(DB.guardsIntact()).toBe(true);
        expect(closeness(DB.data(), want, 1e-6 * Math.sqrt(rows), 1e-5), `${rows}x${cols}`).toBeLessThanOrEqual(1);
        // columns [j0, cols) alone, through the row stride: the same bits as in the whole call
        const j0 = cols >= 8 ? 4 : 0, PART = guarded(cols - j0);
        k.exports.column_sums(DY.ptr + j0 * 4, rows, cols - j0, cols, PART.at);
        expect(PART.guardsIntact()).toBe(true);
        expect(Array.from(PART.data()), `${rows}x${cols} from column ${j0}`).toEqual(Array.from(DB.data().subarray(j0)));
        free(DY, DB.b, PART.b);
      }
    }
  });
});

// --------------------------------------------------------------------------------------- losses

function argmaxRow(a: ArrayLike<number>, o: number, cols: number): number {
  let best = 0;
  for (let j = 1; j < cols; j++) if (a[o + j]! > a[o + best]!) best = j;
  return best;
}

function labelsFor(rows: number, cols: number, seed: number): Int32Array {
  const r = seeded(rows, seed);
  return Int32Array.from(r, (v) => Math.min(cols - 1, Math.floor(((v + 1) / 2) * cols)));
}

function oneHot(labels: Int32Array, cols: number): Float32Array {
  const t = new Float32Array(labels.length * cols);
  labels.forEach((c, r) => { t[r * cols + c] = 1; });
  return t;
}

/** soft labels: positive, each row summing to 1 (or to `total` if given) */
function softLabels(rows: number, cols: number, seed: number, total = 1): Float32Array {
  const t = seeded(rows * cols, seed);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < cols; j++) { t[r * cols + j] = Math.abs(t[r * cols + j]!) + 0.01; s += t[r * cols + j]!; }
    for (let j = 0; j < cols; j++) t[r * cols + j] = (t[r * cols + j]! / s) * total;
  }
  return t;
}

type LabelKind = 'indices' | 'one-hot' | 'soft';

describe('softmax_cross_entropy (fused)', () => {
  function run(z: Float32Array, rows: number, cols: number, kind: LabelKind, seed: number, inPlace = false) {
    const idx = labelsFor(rows, cols, seed);
    const labels = kind === 'indices' ? idx : kind === 'one-hot' ? oneHot(idx, cols) : softLabels(rows, cols, seed);
    const Z = put(k, z), L = put(k, labels.length), DZ = guarded(rows * cols), C = put(k, 1);
    if (kind === 'indices') L.i32.set(labels); else L.f32.set(labels);
    C.i32[0] = -1;
    const dz = inPlace ? Z.ptr : DZ.at;
    const loss = k.exports.softmax_cross_entropy(Z.ptr, rows, cols, L.ptr, kind === 'indices' ? 1 : 0, dz, C.ptr);
    const grad = inPlace ? Z.f32.slice() : DZ.data();
    const correct = C.i32[0]!;
    expect(DZ.guardsIntact()).toBe(true);
    free(Z, L, DZ.b, C);
    const want = oracle.softmaxCrossEntropy(z, labels, rows, cols, kind === 'indices');
    let wantCorrect = 0;
    for (let r = 0; r < rows; r++) {
      const target = kind === 'indices' ? labels[r]! : argmaxRow(labels, r * cols, cols);
      if (argmaxRow(z, r * cols, cols) === target) wantCorrect++;
    }
    return { loss, grad, correct, want, wantCorrect };
  }

  for (const kind of ['indices', 'one-hot', 'soft'] as const) {
    it(`${kind} labels: loss, dlogits and the correct count, rows {1,3,5,17,33} x cols ${SIZES.join(', ')}`, () => {
      for (const rows of [1, 3, 5, 17, 33]) {
        for (const cols of SIZES) {
          const z = seeded(rows * cols, rows * 31 + cols, 4);
          const r = run(z, rows, cols, kind, rows + cols);
          const tag = `${kind} ${rows}x${cols}`;
          expect(Math.abs(r.loss - r.want.loss), tag).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(r.want.loss));
          expect(closeness(r.grad, r.want.dlogits, 1e-7, 1e-5), tag).toBeLessThanOrEqual(1);
          expect(r.correct, tag).toBe(r.wantCorrect);
        }
      }
    });
  }

  it('dlogits may overwrite the logits (dz == z)', () => {
    for (const kind of ['indices', 'soft'] as const) {
      const rows = 5, cols = 17;
      const z = seeded(rows * cols, 77, 4);
      const a = run(z, rows, cols, kind, 9, false), b = run(z, rows, cols, kind, 9, true);
      expect(b.loss).toBe(a.loss);
      expect(b.grad).toEqual(a.grad);
    }
  });

  it('logits of ±1000: finite loss of about 2000 when the label sits at -1000', () => {
    for (const cols of [3, 5, 17, 130]) {
      const rows = 3;
      const z = seeded(rows * cols, cols + 5, 2);
      z[0] = 1000; z[1] = -1000;
      z[cols + cols - 1] = 1000; z[cols] = -1000;
      z[2 * cols + 2] = -1000; z[2 * cols] = 1000;
      const Z = put(k, z), L = put(k, rows), DZ = put(k, rows * cols), C = put(k, 1);
      const labels = Int32Array.from([1, 0, 2]); // each row's label is its -1000 logit
      L.i32.set(labels);
      const loss = k.exports.softmax_cross_entropy(Z.ptr, rows, cols, L.ptr, 1, DZ.ptr, C.ptr);
      const want = oracle.softmaxCrossEntropy(z, labels, rows, cols, true);
      expect(Number.isFinite(loss)).toBe(true);
      expect(Math.abs(loss - 2000)).toBeLessThan(1);
      expect(Math.abs(loss - want.loss)).toBeLessThan(1e-3);
      expect(closeness(DZ.f32, want.dlogits, 1e-7, 1e-5)).toBeLessThanOrEqual(1);
      expect(C.i32[0]).toBe(0);
      free(Z, L, DZ, C);
    }
  });

  it('soft labels that do not sum to 1: loss Σt(lse - z) and gradient (softmax·Σt - t)/rows', () => {
    // derived in float64 here, and that derivation checked by central differences
    const rows = 3, cols = 17;
    const z = seeded(rows * cols, 55, 3);
    const t = softLabels(rows, cols, 56, 2.5);
    const lossOf = (zz: ArrayLike<number>) => {
      let tot = 0;
      for (let r = 0; r < rows; r++) {
        let mx = -Infinity;
        for (let j = 0; j < cols; j++) mx = Math.max(mx, zz[r * cols + j]!);
        let s = 0;
        for (let j = 0; j < cols; j++) s += Math.exp(zz[r * cols + j]! - mx);
        for (let j = 0; j < cols; j++) tot += t[r * cols + j]! * (mx + Math.log(s) - zz[r * cols + j]!);
      }
      return tot / rows;
    };
    const p = oracle.activationForward('softmax', z, rows, cols);
    const grad = new Float64Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      let ts = 0;
      for (let j = 0; j < cols; j++) ts += t[r * cols + j]!;
      for (let j = 0; j < cols; j++) grad[r * cols + j] = (p[r * cols + j]! * ts - t[r * cols + j]!) / rows;
    }
    const zz = Float64Array.from(z);
    for (let i = 0; i < zz.length; i++) {
      const h = 1e-6, v = zz[i]!;
      zz[i] = v + h; const up = lossOf(zz);
      zz[i] = v - h; const dn = lossOf(zz);
      zz[i] = v;
      expect(Math.abs((up - dn) / (2 * h) - grad[i]!)).toBeLessThan(1e-7);
    }
    const Z = put(k, z), L = put(k, t), DZ = put(k, rows * cols);
    const loss = k.exports.softmax_cross_entropy(Z.ptr, rows, cols, L.ptr, 0, DZ.ptr, 0);
    expect(Math.abs(loss - lossOf(z))).toBeLessThan(1e-5 * lossOf(z));
    expect(closeness(DZ.f32, grad, 1e-7, 1e-5)).toBeLessThanOrEqual(1);
    free(Z, L, DZ);
  });
});

describe('cross_entropy (on probabilities, unfused)', () => {
  for (const kind of ['indices', 'one-hot', 'soft'] as const) {
    it(`${kind} labels: loss, dprobs and the correct count, rows {1,3,5,17} x cols ${SIZES.join(', ')}`, () => {
      for (const rows of [1, 3, 5, 17]) {
        for (const cols of SIZES) {
          const p = f32(oracle.activationForward('softmax', seeded(rows * cols, rows * 13 + cols, 2), rows, cols));
          const idx = labelsFor(rows, cols, rows * 3 + cols);
          const labels = kind === 'indices' ? idx : kind === 'one-hot' ? oneHot(idx, cols) : softLabels(rows, cols, rows + 2 * cols);
          const P = put(k, p), L = put(k, labels.length), DP = guarded(rows * cols), C = put(k, 1);
          if (kind === 'indices') L.i32.set(labels); else L.f32.set(labels);
          C.i32[0] = -1;
          const loss = k.exports.cross_entropy(P.ptr, rows, cols, L.ptr, kind === 'indices' ? 1 : 0, DP.at, C.ptr);
          const want = oracle.crossEntropy(p, labels, rows, cols, kind === 'indices');
          const tag = `${kind} ${rows}x${cols}`;
          expect(Math.abs(loss - want.loss), tag).toBeLessThanOrEqual(1e-6 + 1e-6 * Math.abs(want.loss));
          expect(closeness(DP.data(), want.dprobs, 1e-6, 1e-5), tag).toBeLessThanOrEqual(1);
          expect(DP.guardsIntact()).toBe(true);
          let hits = 0;
          for (let r = 0; r < rows; r++) {
            const target = kind === 'indices' ? labels[r]! : argmaxRow(labels, r * cols, cols);
            if (argmaxRow(p, r * cols, cols) === target) hits++;
          }
          expect(C.i32[0], tag).toBe(hits);
          free(P, L, DP.b, C);
        }
      }
    });
  }

  it('a probability of exactly 0 on the label gives a finite loss (clamped at 1e-7)', () => {
    const p = f32([0, 0.5, 0.5]);
    const P = put(k, p), L = put(k, 1), DP = put(k, 3);
    L.i32[0] = 0;
    const loss = k.exports.cross_entropy(P.ptr, 1, 3, L.ptr, 1, DP.ptr, 0);
    expect(loss).toBeCloseTo(-Math.log(1e-7), 4);
    expect(DP.f32.every(Number.isFinite)).toBe(true);
    free(P, L, DP);
  });
});

describe('mean_squared_error', () => {
  it(`loss (mean over all elements) and dy = 2(y - t)/n, n = ${SIZES.join(', ')}, 1000`, () => {
    for (const n of [...SIZES, 1000]) {
      const y = seeded(n, n + 3, 3), t = seeded(n, n + 4, 3);
      const Y = put(k, y), T = put(k, t), DY = guarded(n);
      const loss = k.exports.mean_squared_error(Y.ptr, T.ptr, n, DY.at);
      const want = oracle.mse(y, t, n);
      expect(Math.abs(loss - want.loss), `n=${n}`).toBeLessThanOrEqual(1e-5 * want.loss);
      expect(closeness(DY.data(), want.dy, 1e-7, 1e-6), `n=${n}`).toBeLessThanOrEqual(1);
      expect(DY.guardsIntact()).toBe(true);
      expect(Y.f32).toEqual(y);
      expect(T.f32).toEqual(t);
      free(Y, T, DY.b);
    }
  });
});

// ----------------------------------------------------------------------------------- optimizers

describe('update rules', () => {
  const settings: Array<[number, number]> = [[0.1, 0.9], [0.01, 0.5], [1.5, 0.99], [0.05, 0]];
  it(`sgd_plain, sgd_momentum, sgd_nesterov (bench build) against the oracle, n = ${SIZES.join(', ')}, several steps`, () => {
    for (const n of SIZES) {
      for (const [lr, beta] of settings) {
        for (const rule of ['plain', 'momentum', 'nesterov'] as const) {
          const w0 = seeded(n, n * 17 + 1, 2), v0 = seeded(n, n * 17 + 2, 0.5);
          const W = guarded(w0, bk), V = guarded(v0, bk), G = put(bk, n);
          const w = Float64Array.from(w0), v = Float64Array.from(v0);
          for (let step = 0; step < 3; step++) {
            const g = seeded(n, n * 17 + 3 + step, 3);
            G.f32.set(g);
            // the kernel takes lr and beta as f32: give the oracle the same numbers
            const lr32 = Math.fround(lr), b32 = Math.fround(beta);
            if (rule === 'plain') { bk.exports.sgd_plain(W.at, G.ptr, n, lr); oracle.sgdPlain(w, g, lr32); }
            else if (rule === 'momentum') { bk.exports.sgd_momentum(W.at, V.at, G.ptr, n, lr, beta); oracle.sgdMomentum(w, v, g, lr32, b32); }
            else { bk.exports.sgd_nesterov(W.at, V.at, G.ptr, n, lr, beta); oracle.sgdNesterov(w, v, g, lr32, b32); }
            const tag = `${rule} n=${n} lr=${lr} beta=${beta} step ${step}`;
            expect(closeness(W.data(), w, 1e-6, 1e-5), tag).toBeLessThanOrEqual(1);
            expect(closeness(V.data(), v, 1e-6, 1e-5), tag).toBeLessThanOrEqual(1);
            expect(G.f32, 'the gradient is read only').toEqual(g);
          }
          expect(W.guardsIntact() && V.guardsIntact()).toBe(true);
          if (rule === 'plain') expect(V.data()).toEqual(v0); // plain GD keeps no velocity
          free(W.b, V.b, G);
        }
      }
    }
  });
});

// ---------------------------------------------------------------------------------- all_finite

describe('all_finite', () => {
  it('1 for finite data, extremes included: ±3.4e38, ±0, subnormals', () => {
    for (const n of SIZES) {
      const x = seeded(n, n, 1e30);
      const specials = [3.4e38, -3.4e38, 0, -0, 1e-45, -1e-45];
      specials.forEach((v, i) => { if (i < n) x[(i * 7) % n] = v; });
      const X = put(k, x);
      expect(k.exports.all_finite(X.ptr, n), `n=${n}`).toBe(1);
      free(X);
    }
  });

  it('0 for NaN, +Infinity or -Infinity at every position, SIMD body and scalar tail', () => {
    for (const n of SIZES) {
      const X = put(k, n);
      for (const bad of [NaN, Infinity, -Infinity]) {
        for (let i = 0; i < n; i++) {
          X.f32.set(seeded(n, n + i));
          X.f32[i] = bad;
          expect(k.exports.all_finite(X.ptr, n), `${bad} at ${i} of ${n}`).toBe(0);
        }
      }
      // +Infinity and -Infinity in the same SIMD lane of different vectors
      if (n >= 8) {
        X.f32.set(seeded(n, 3));
        X.f32[0] = Infinity; X.f32[4] = -Infinity;
        expect(k.exports.all_finite(X.ptr, n)).toBe(0);
      }
      free(X);
    }
  });

  it('looks only at its n elements', () => {
    const x = f32([1, 2, 3, 4, 5, NaN]);
    const X = put(k, x);
    expect(k.exports.all_finite(X.ptr, 5)).toBe(1);
    expect(k.exports.all_finite(X.ptr, 6)).toBe(0);
    free(X);
  });
});

// --------------------------------------------------------------------------------- gather_rows

describe('gather_rows', () => {
  // shuffled rows go eight side by side, runs of consecutive rows in one bulk copy: orders that
  // mix both, with runs of every length around eight, and rows of whole and partial vectors
  const orders: Record<string, (count: number, srcRows: number, seed: number) => Int32Array> = {
    shuffled: (count, srcRows, seed) => Int32Array.from(seeded(count, seed), (v) => Math.floor(((v + 1) / 2) * srcRows) % srcRows),
    'in order': (count, srcRows) => Int32Array.from({ length: count }, (_, r) => r % srcRows),
    'runs of 1 to 11': (count, srcRows, seed) => {
      const idx = new Int32Array(count), u = seeded(2 * count, seed);
      for (let r = 0, j = 0; r < count; j++) {
        const len = 1 + Math.floor(((u[2 * j]! + 1) / 2) * 11) % 11, start = Math.floor(((u[2 * j + 1]! + 1) / 2) * srcRows) % srcRows;
        for (let q = 0; q < len && r < count; q++, r++) idx[r] = (start + q) % srcRows;
      }
      return idx;
    },
  };
  it.each(Object.keys(orders))('copies row idx[r] of src to row r of dst, bit for bit, repeats allowed: %s', (order) => {
    const srcRows = 40;
    for (const width of [1, 3, 4, 5, 17, 33, 196]) {
      for (const count of [1, 3, 5, 7, 8, 9, 17, 33, 130]) {
        const src = seeded(srcRows * width, width * 7 + count, 100);
        src[3] = NaN; // bits travel unchanged
        const idx = orders[order]!(count, srcRows, width + count * 3);
        if (order === 'shuffled') idx[0] = srcRows - 1;
        const S = put(k, src), I = put(k, count), D = guarded(count * width);
        I.i32.set(idx);
        k.exports.gather_rows(S.ptr, I.ptr, count, width, D.at);
        const want = new Float32Array(count * width);
        for (let r = 0; r < count; r++) want.set(src.subarray(idx[r]! * width, (idx[r]! + 1) * width), r * width);
        expect(new Uint32Array(D.data().buffer)).toEqual(new Uint32Array(want.buffer));
        expect(D.guardsIntact()).toBe(true);
        free(S, I, D.b);
      }
    }
  });
});

// ------------------------------------------------------------------- production and bench builds

describe('the production module and the bench build', () => {
  const BENCH_ONLY = ['peak_probe', 'gemm_microkernel_loop', 'sgd_plain', 'sgd_momentum', 'sgd_nesterov', 'exp_forward'];
  const exportsOf = (file: string) => WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(new URL(`../${file}`, import.meta.url))));
  const production = SIMD === 'relaxed' ? 'build/relaxed.wasm' : 'build/release.wasm';

  it(`${production} exports none of the bench's and tests' own kernels, nor the removed copy_f32`, () => {
    const names = exportsOf(production).map((e) => e.name);
    expect(names).toContain('gemm');
    for (const name of [...BENCH_ONLY, 'copy_f32']) expect(names, name).not.toContain(name);
  });

  it(`${BENCH_WASM_FILE[SIMD]} exports everything ${production} does, the same ABI_VERSION, plus those kernels`, () => {
    const prod = exportsOf(production), bench = exportsOf(BENCH_WASM_FILE[SIMD]);
    const key = (e: WebAssembly.ModuleExportDescriptor) => `${e.name}:${e.kind}`;
    expect(bench.map(key).sort()).toEqual([...prod.map(key), ...BENCH_ONLY.map((n) => `${n}:function`)].sort());
    const version = (ex: WebAssembly.Exports) => Number((ex.ABI_VERSION as WebAssembly.Global).value);
    expect(version(bk.exports as unknown as WebAssembly.Exports)).toBe(version(k.exports as unknown as WebAssembly.Exports));
    expect(bk.features.relaxedSimd).toBe(k.features.relaxedSimd);
  });
});

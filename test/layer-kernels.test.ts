// The layer kernels (assembly/conv.ts, pool.ts, norm.ts, dropout.ts) against the float64 layer
// oracle, on odd sizes (scalar channel tails), strides 1 and 2, 'valid' and 'same' padding, batch 1
// and 3, with guard bands around every output. Conv2d is also checked as the whole composition the
// layer will run: im2col + gemm in chunks of output positions that do not divide the batch's total.
// Runs on the plain and on the relaxed (FMA) build.
import { describe, it, expect, beforeAll } from 'vitest';
import type { Kernels } from '../src/index.js';
import type { LayerKernelExports } from '../src/runtime/abi-layers.js';
import { kernelsUnderTest, put, seeded, closeness, guarded as guardedIn, free, firstDiff } from './helpers.js';
import * as oracle from './oracle/layers-oracle.js';
import type { ConvGeometry, PoolGeometry } from './oracle/layers-oracle.js';

type Block = ReturnType<typeof put>;

let k: Kernels;
let lk: LayerKernelExports;
beforeAll(async () => {
  k = await kernelsUnderTest();
  lk = k.exports as unknown as LayerKernelExports;
});

/** a guarded block in this build's memory (or `kk`'s) */
const guarded = (data: ArrayLike<number> | number, kk: Kernels = k) => guardedIn(kk, data);

/** a guarded output prefilled with garbage the kernel must overwrite */
function stale(n: number): ReturnType<typeof guarded> {
  return guarded(seeded(n, n + 99, 777));
}

const f32 = (a: ArrayLike<number>) => Float32Array.from(a);

// ------------------------------------------------------------------------------------ geometry

const SIDES = [1, 3, 5, 7, 9];
const CHANNELS = [1, 3, 5, 17];
const KERNELS: Array<[number, number]> = [[1, 1], [2, 2], [3, 3], [5, 5], [2, 3], [3, 1]];
const STRIDES: Array<[number, number]> = [[1, 1], [2, 2], [2, 1]];
const PADS = ['valid', 'same'] as const;

/** every conv geometry of the grid with a nonempty output; C, F, N rotate with the case index */
function convGrid(opts: { allChannels: boolean; filters: number[]; sides: Array<[number, number]> }): ConvGeometry[] {
  const out: ConvGeometry[] = [];
  let i = 0;
  for (const [H, W] of opts.sides) for (const [KH, KW] of KERNELS) for (const [SH, SW] of STRIDES) for (const pad of PADS) {
    for (const C of opts.allChannels ? CHANNELS : [CHANNELS[i % CHANNELS.length]!]) {
      const N = i % 2 === 0 ? 1 : 3, F = opts.filters[i % opts.filters.length]!;
      i++;
      const g = oracle.convGeometry(N, H, W, C, KH, KW, F, SH, SW, pad);
      if (g.OH >= 1 && g.OW >= 1) out.push(g);
    }
  }
  return out;
}
const allSides = SIDES.flatMap((H) => SIDES.map((W) => [H, W] as [number, number]));
const someSides: Array<[number, number]> = [[1, 1], [3, 5], [5, 3], [7, 7], [9, 5], [1, 9]];

const tag = (g: ConvGeometry) =>
  `N${g.N} ${g.H}x${g.W}x${g.C} k${g.KH}x${g.KW} F${g.F} s${g.SH},${g.SW} pad ${g.PT},${g.PL} out ${g.OH}x${g.OW}`;

/** the geometry arguments of im2col / col2im_add, in ABI order up to OW */
const geo = (g: ConvGeometry) => [g.H, g.W, g.C, g.KH, g.KW, g.SH, g.SW, g.PT, g.PL, g.OH, g.OW] as const;

// -------------------------------------------------------------------------------- im2col, col2im

describe('im2col', () => {
  it('every H, W in {1,3,5,7,9} x C in {1,3,5,17} x 6 kernels x 3 strides x valid/same: bit-exact rows, chunked, nothing outside', () => {
    let cases = 0;
    for (const g of convGrid({ allChannels: true, filters: [1], sides: allSides })) {
      const P = g.N * g.OH * g.OW, K = g.KH * g.KW * g.C;
      const x = seeded(g.N * g.H * g.W * g.C, P + K, 3);
      const X = put(k, x);
      const want = f32(oracle.im2col(x, g, 0, P));
      // the whole batch in one call, then a chunk starting mid-image
      const all = stale(P * K);
      lk.im2col(X.ptr, ...geo(g), 0, P, all.at);
      expect(firstDiff(all.data(), want), tag(g)).toBe(-1);
      expect(all.guardsIntact(), tag(g)).toBe(true);
      const p0 = Math.floor(P / 3), np = Math.min(7, P - p0);
      const part = stale(np * K);
      lk.im2col(X.ptr, ...geo(g), p0, np, part.at);
      expect(firstDiff(part.data(), want.subarray(p0 * K, (p0 + np) * K)), `${tag(g)} chunk ${p0}+${np}`).toBe(-1);
      expect(part.guardsIntact(), tag(g)).toBe(true);
      expect(firstDiff(X.f32, x), 'x unchanged').toBe(-1);
      free(X, all.b, part.b);
      cases++;
    }
    expect(cases).toBeGreaterThan(1500);
  });

  it('long contiguous runs (C = 64, 7 kernel columns) go through the bulk-copy path', () => {
    for (const pad of PADS) {
      const g = oracle.convGeometry(2, 9, 11, 64, 3, 7, 1, 1, 2, pad);
      const P = g.N * g.OH * g.OW, K = g.KH * g.KW * g.C;
      const x = seeded(g.N * g.H * g.W * g.C, 5);
      const X = put(k, x), col = stale(P * K);
      lk.im2col(X.ptr, ...geo(g), 0, P, col.at);
      expect(firstDiff(col.data(), f32(oracle.im2col(x, g, 0, P))), tag(g)).toBe(-1);
      expect(col.guardsIntact()).toBe(true);
      free(X, col.b);
    }
  });
});

describe('col2im_add', () => {
  it('the adjoint of im2col, added to dx, in chunks of 7 positions, every H, W in {1,3,5,7,9}', () => {
    for (const g of convGrid({ allChannels: false, filters: [1], sides: allSides })) {
      const P = g.N * g.OH * g.OW, K = g.KH * g.KW * g.C, nIn = g.N * g.H * g.W * g.C;
      const col = seeded(P * K, P * 3 + K), d0 = seeded(nIn, nIn + 1);
      const COL = put(k, col), DX = guarded(d0);
      for (let p0 = 0; p0 < P; p0 += 7) lk.col2im_add(COL.ptr + p0 * K * 4, ...geo(g), p0, Math.min(7, P - p0), DX.at);
      const want = oracle.col2im(col, g, 0, P).map((v, i) => v + d0[i]!);
      expect(closeness(DX.data(), want, 1e-6 * Math.sqrt(g.KH * g.KW + 1), 1e-6), tag(g)).toBeLessThanOrEqual(1);
      expect(DX.guardsIntact(), tag(g)).toBe(true);
      expect(firstDiff(COL.f32, col), 'col unchanged').toBe(-1);
      free(COL, DX.b);
    }
  });
});

describe('zero_f32', () => {
  it('zeroes exactly n floats, n = 1, 3, 5, 17, 33, 63, 64, 65, 130, 1000', () => {
    for (const n of [1, 3, 5, 17, 33, 63, 64, 65, 130, 1000]) {
      const b = guarded(seeded(n, n, 5));
      lk.zero_f32(b.at, n);
      expect(b.data().every((v) => v === 0), `n=${n}`).toBe(true);
      expect(b.guardsIntact(), `n=${n}`).toBe(true);
      free(b.b);
    }
  });
});

// ------------------------------------------------------------------- conv2d as im2col + gemm

/**
 * What the conv2d layer will do, driven from TypeScript: for each chunk of `chunk` output positions,
 * im2col, then Y = col·W + b (gemm mode 2, optionally relu), dW (+)= colᵀ·dY (gemm transA), and
 * dcol = dY·Wᵀ (gemm transB) scattered by col2im_add; db = column sums of dY.
 */
function convViaKernels(g: ConvGeometry, x: Float32Array, w: Float32Array, b: Float32Array, dy: Float32Array, chunk: number, relu: boolean) {
  const P = g.N * g.OH * g.OW, K = g.KH * g.KW * g.C, F = g.F, nIn = g.N * g.H * g.W * g.C;
  const e = k.exports, s = k.scratch.ptr;
  const X = put(k, x), Wt = put(k, w), B = put(k, b), DY = put(k, dy);
  const Y = stale(P * F), DW = stale(K * F), DB = stale(F), DX = stale(nIn);
  const col = put(k, chunk * K), dcol = put(k, chunk * K);
  for (let p0 = 0; p0 < P; p0 += chunk) {
    const np = Math.min(chunk, P - p0);
    lk.im2col(X.ptr, ...geo(g), p0, np, col.ptr);
    e.gemm(0, 0, np, F, K, col.ptr, K, Wt.ptr, F, Y.at + p0 * F * 4, F, 2, B.ptr, s, relu ? 1 : 0);
  }
  lk.zero_f32(DX.at, nIn);
  for (let p0 = 0; p0 < P; p0 += chunk) {
    const np = Math.min(chunk, P - p0);
    const dyChunk = DY.ptr + p0 * F * 4;
    lk.im2col(X.ptr, ...geo(g), p0, np, col.ptr);
    e.gemm(1, 0, K, F, np, col.ptr, K, dyChunk, F, DW.at, F, p0 === 0 ? 0 : 1, 0, s, 0);
    e.gemm(0, 1, np, K, F, dyChunk, F, Wt.ptr, F, dcol.ptr, K, 0, 0, s, 0);
    lk.col2im_add(dcol.ptr, ...geo(g), p0, np, DX.at);
  }
  e.column_sums(DY.ptr, P, F, F, DB.at);
  const outs = { Y, DW, DB, DX };
  for (const [name, o] of Object.entries(outs)) expect(o.guardsIntact(), `${tag(g)}: ${name} guards`).toBe(true);
  const r = { y: Y.data(), dw: DW.data(), db: DB.data(), dx: DX.data() };
  free(X, Wt, B, DY, Y.b, DW.b, DB.b, DX.b, col, dcol);
  return r;
}

function checkConv(g: ConvGeometry, chunk: number, relu: boolean, seed: number): void {
  const P = g.N * g.OH * g.OW, K = g.KH * g.KW * g.C;
  const x = seeded(g.N * g.H * g.W * g.C, seed), w = seeded(K * g.F, seed + 1), b = seeded(g.F, seed + 2);
  const dy = seeded(P * g.F, seed + 3);
  const got = convViaKernels(g, x, w, b, dy, chunk, relu);
  const y = oracle.conv2dForward(x, w, b, g);
  if (relu) y.forEach((v, i) => { y[i] = Math.max(v, 0); });
  const t = `${tag(g)} chunk ${chunk}${relu ? ' relu' : ''}`;
  expect(closeness(got.y, y, 1e-5 * Math.sqrt(K), 1e-5), `${t}: y`).toBeLessThanOrEqual(1);
  expect(closeness(got.dw, oracle.conv2dFilterGrad(x, dy, g), 1e-5 * Math.sqrt(P), 1e-5), `${t}: dW`).toBeLessThanOrEqual(1);
  expect(closeness(got.db, oracle.conv2dBiasGrad(dy, g), 1e-5 * Math.sqrt(P), 1e-5), `${t}: db`).toBeLessThanOrEqual(1);
  expect(closeness(got.dx, oracle.conv2dInputGrad(dy, w, g), 1e-5 * Math.sqrt(g.KH * g.KW * g.F), 1e-5), `${t}: dX`).toBeLessThanOrEqual(1);
}

describe('conv2d = im2col + gemm, chunked, against the oracle (y, dW, db, dX)', () => {
  it('H, W in {1,3,5,7,9} (paired), 6 kernels, 3 strides, valid/same, C in {1,3,5,17}, F in {1,5,9,13}, batch 1 and 3, chunks of 7', () => {
    let seed = 1;
    for (const g of convGrid({ allChannels: false, filters: [1, 5, 9, 13], sides: someSides })) checkConv(g, 7, false, seed += 5);
  });
  it('chunk sizes 1, 5, 13 and the whole batch in one chunk; the relu epilogue', () => {
    const gs = [
      oracle.convGeometry(3, 7, 5, 3, 3, 3, 5, 1, 1, 'same'),
      oracle.convGeometry(3, 9, 9, 17, 5, 5, 13, 2, 2, 'same'),
      oracle.convGeometry(1, 9, 7, 5, 2, 3, 9, 2, 1, 'valid'),
    ];
    let seed = 500;
    for (const g of gs) {
      const P = g.N * g.OH * g.OW;
      for (const chunk of [1, 5, 13, P]) checkConv(g, chunk, false, seed += 5);
      checkConv(g, 7, true, seed += 5);
    }
  });
  it('a wide layer: 2x12x12x32 input, 3x3 kernel, 40 filters, same, chunks of 100 (K = 288 and P = 288 past the tiles)', () => {
    checkConv(oracle.convGeometry(2, 12, 12, 32, 3, 3, 40, 1, 1, 'same'), 100, true, 900);
  });
});

// --------------------------------------------------------------------------------------- pooling

const POOLS: Array<[number, number]> = [[1, 1], [2, 2], [3, 3], [2, 3], [3, 2]];
const POOL_STRIDES: Array<[number, number]> = [[1, 1], [2, 2], [1, 2]];

function poolGrid(): PoolGeometry[] {
  const out: PoolGeometry[] = [];
  let i = 0;
  for (const [H, W] of allSides) for (const [PH, PW] of POOLS) for (const [SH, SW] of POOL_STRIDES) for (const C of CHANNELS) {
    if (PH > H || PW > W) continue;
    out.push(oracle.poolGeometry(i++ % 2 === 0 ? 1 : 3, H, W, C, PH, PW, SH, SW));
  }
  return out;
}
const ptag = (g: PoolGeometry) => `N${g.N} ${g.H}x${g.W}x${g.C} pool ${g.PH}x${g.PW} s${g.SH},${g.SW} out ${g.OH}x${g.OW}`;
const pgeo = (g: PoolGeometry) => [g.N, g.H, g.W, g.C, g.PH, g.PW, g.SH, g.SW, g.OH, g.OW] as const;

describe('max pooling', () => {
  for (const ties of [false, true]) {
    it(`forward (values and argmax within the image) and backward, every H, W in {1,3,5,7,9}, C in {1,3,5,17}, overlapping windows${ties ? ', many ties (first wins)' : ''}`, () => {
      let seed = ties ? 7000 : 1;
      for (const g of poolGrid()) {
        const nIn = g.N * g.H * g.W * g.C, nOut = g.N * g.OH * g.OW * g.C;
        let x = seeded(nIn, seed += 3, 3);
        if (ties) x = x.map(Math.round); // values in {-3..3}: most windows tie
        const dy = seeded(nOut, seed + 1);
        const want = oracle.maxPoolForward(x, g);
        const X = put(k, x), DY = put(k, dy), Y = stale(nOut), A = stale(nOut), DX = stale(nIn);
        lk.max_pool_forward(X.ptr, ...pgeo(g), Y.at, A.at);
        expect(firstDiff(Y.data(), f32(want.y)), ptag(g)).toBe(-1);
        // the oracle's flat index into the batch, less the image's start
        const inPer = nIn / g.N, outPer = nOut / g.N;
        expect(Array.from(A.i32()), ptag(g)).toEqual(Array.from(want.argmax, (a, i) => a - Math.floor(i / outPer) * inPer));
        lk.max_pool_backward(DY.ptr, A.at, g.N, outPer, DX.at, inPer);
        expect(closeness(DX.data(), oracle.maxPoolBackward(x, dy, g), 1e-6, 1e-6), ptag(g)).toBeLessThanOrEqual(1);
        for (const o of [Y, A, DX]) expect(o.guardsIntact(), ptag(g)).toBe(true);
        free(X, DY, Y.b, A.b, DX.b);
      }
    });
  }
});

describe('average pooling', () => {
  it('forward and backward, every H, W in {1,3,5,7,9}, C in {1,3,5,17}, overlapping windows accumulate', () => {
    let seed = 3;
    for (const g of poolGrid()) {
      const nIn = g.N * g.H * g.W * g.C, nOut = g.N * g.OH * g.OW * g.C;
      const x = seeded(nIn, seed += 3, 3), dy = seeded(nOut, seed + 1);
      const X = put(k, x), DY = put(k, dy), Y = stale(nOut), DX = stale(nIn);
      lk.avg_pool_forward(X.ptr, ...pgeo(g), Y.at);
      lk.avg_pool_backward(DY.ptr, ...pgeo(g), DX.at);
      const win = g.PH * g.PW;
      expect(closeness(Y.data(), oracle.avgPoolForward(x, g), 1e-6 * Math.sqrt(win), 1e-6), ptag(g)).toBeLessThanOrEqual(1);
      expect(closeness(DX.data(), oracle.avgPoolBackward(dy, g), 1e-6 * Math.sqrt(win), 1e-6), ptag(g)).toBeLessThanOrEqual(1);
      expect(Y.guardsIntact() && DX.guardsIntact(), ptag(g)).toBe(true);
      free(X, DY, Y.b, DX.b);
    }
  });
});

// ------------------------------------------------------------------------------------ batch norm

// M around the f32 block (256 rows) and the elementwise tile (64 rows); C around the SIMD width and
// the 16-channel reduction group
const BN_ROWS = [1, 3, 5, 17, 63, 64, 65, 255, 256, 257, 700];
const BN_CHANNELS = [1, 3, 4, 5, 16, 17, 23, 36]; // 16-channel groups, then 4-channel groups, then single channels

describe('batch norm', () => {
  it(`stats, training forward (out of place and in place) and backward, M in {${BN_ROWS.join(',')}} x C in {${BN_CHANNELS.join(',')}}`, () => {
    let seed = 11;
    for (const M of BN_ROWS) for (const C of BN_CHANNELS) {
      const t = `M=${M} C=${C}`;
      const eps = 1e-3;
      const x = seeded(M * C, seed += 7, 2).map((v, i) => v + (i % C) - 1); // per-channel offsets
      const gamma = seeded(C, seed + 1, 2), beta = seeded(C, seed + 2), dy = seeded(M * C, seed + 3);
      const X = put(k, x), G = put(k, gamma), Bt = put(k, beta), DYb = put(k, dy);
      const MEAN = stale(C), VAR = stale(C), Y = stale(M * C), DX = stale(M * C), DG = stale(C), DB = stale(C);
      lk.batchnorm_stats(X.ptr, M, C, MEAN.at, VAR.at);
      const stats = oracle.batchNormStats(x, M, C);
      expect(closeness(MEAN.data(), stats.mean, 1e-6, 1e-5), `${t}: mean`).toBeLessThanOrEqual(1);
      expect(closeness(VAR.data(), stats.variance, 1e-6, 1e-5), `${t}: var`).toBeLessThanOrEqual(1);

      lk.batchnorm_forward(X.ptr, M, C, MEAN.at, VAR.at, G.ptr, Bt.ptr, eps, Y.at);
      const want = oracle.batchNormTraining(x, M, C, gamma, beta, eps);
      expect(closeness(Y.data(), want.y, 2e-5, 1e-5), `${t}: y`).toBeLessThanOrEqual(1);

      lk.batchnorm_backward(X.ptr, DYb.ptr, M, C, MEAN.at, VAR.at, G.ptr, eps, DX.at, DG.at, DB.at);
      const bw = oracle.batchNormBackward(x, dy, M, C, gamma, eps);
      const big = Math.max(...bw.dx.map(Math.abs), 1e-3);
      expect(closeness(DX.data(), bw.dx, 1e-5 * big * Math.sqrt(M), 1e-4), `${t}: dx`).toBeLessThanOrEqual(1);
      expect(closeness(DG.data(), bw.dgamma, 1e-5 * Math.sqrt(M), 1e-5), `${t}: dgamma`).toBeLessThanOrEqual(1);
      expect(closeness(DB.data(), bw.dbeta, 1e-5 * Math.sqrt(M), 1e-5), `${t}: dbeta`).toBeLessThanOrEqual(1);
      for (const o of [MEAN, VAR, Y, DX, DG, DB]) expect(o.guardsIntact(), t).toBe(true);

      // in place: y over x, dx over dy, as the layer may run them
      const dxOut = DX.data(), yOut = Y.data();
      lk.batchnorm_backward(X.ptr, DYb.ptr, M, C, MEAN.at, VAR.at, G.ptr, eps, DYb.ptr, DG.at, DB.at);
      expect(firstDiff(DYb.f32, dxOut), `${t}: dx over dy`).toBe(-1);
      lk.batchnorm_forward(X.ptr, M, C, MEAN.at, VAR.at, G.ptr, Bt.ptr, eps, X.ptr);
      expect(firstDiff(X.f32, yOut), `${t}: y over x`).toBe(-1);
      free(X, G, Bt, DYb, MEAN.b, VAR.b, Y.b, DX.b, DG.b, DB.b);
    }
  });

  it('inference forward with given statistics, M in {1,5,65}, C in {1,3,5,17}', () => {
    for (const M of [1, 5, 65]) for (const C of [1, 3, 5, 17]) {
      const x = seeded(M * C, M * 5 + C, 3), mean = seeded(C, C + 1), variance = seeded(C, C + 2).map((v) => v * v + 0.1);
      const gamma = seeded(C, C + 3, 2), beta = seeded(C, C + 4);
      const X = put(k, x), MEAN = put(k, mean), VAR = put(k, variance), G = put(k, gamma), Bt = put(k, beta), Y = stale(M * C);
      lk.batchnorm_forward(X.ptr, M, C, MEAN.ptr, VAR.ptr, G.ptr, Bt.ptr, 1e-5, Y.at);
      expect(closeness(Y.data(), oracle.batchNormInference(x, M, C, mean, variance, gamma, beta, 1e-5), 1e-5, 1e-5), `M=${M} C=${C}`).toBeLessThanOrEqual(1);
      expect(Y.guardsIntact()).toBe(true);
      free(X, MEAN, VAR, G, Bt, Y.b);
    }
  });

  it('stats of up to 1e6 rows offset by 1000 (std ~0.6): no cancellation, f32-level accuracy', () => {
    for (const [M, C] of [[1_000_000, 5], [300_001, 23]] as const) {
      const x = seeded(M * C, 42 + C).map((v, i) => 1000 + v + 0.25 * (i % C));
      const X = put(k, x), MEAN = put(k, C), VAR = put(k, C);
      lk.batchnorm_stats(X.ptr, M, C, MEAN.ptr, VAR.ptr);
      const want = oracle.batchNormStats(x, M, C);
      expect(closeness(MEAN.f32, want.mean, 0, 1e-7), `M=${M} C=${C}`).toBeLessThanOrEqual(1); // within an f32 ulp of 1000
      expect(closeness(VAR.f32, want.variance, 0, 1e-5), `M=${M} C=${C}`).toBeLessThanOrEqual(1);
      free(X, MEAN, VAR);
    }
  });

  it('running statistics: momentum·running + (1 - momentum)·batch, C in {1,3,5,17}', () => {
    for (const C of [1, 3, 5, 17]) {
      const rm = seeded(C, C, 2), rv = seeded(C, C + 1).map(Math.abs), m = seeded(C, C + 2, 2), v = seeded(C, C + 3).map(Math.abs);
      const RM = guarded(rm), RV = guarded(rv), MB = put(k, m), VB = put(k, v);
      lk.batchnorm_running(RM.at, RV.at, MB.ptr, VB.ptr, C, 0.9);
      const wm = Float64Array.from(rm), wv = Float64Array.from(rv);
      oracle.batchNormRunning(wm, wv, m, v, Math.fround(0.9));
      expect(closeness(RM.data(), wm, 1e-7, 1e-6), `C=${C}`).toBeLessThanOrEqual(1);
      expect(closeness(RV.data(), wv, 1e-7, 1e-6), `C=${C}`).toBeLessThanOrEqual(1);
      expect(RM.guardsIntact() && RV.guardsIntact()).toBe(true);
      free(RM.b, RV.b, MB, VB);
    }
  });
});

// --------------------------------------------------------------------------------------- dropout

/** the documented hash, in JavaScript: keep element i when u(i) >= rate */
function fmix32(h: number): number {
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
function referenceMask(n: number, rate: number, seed: number, counter: number): Float32Array {
  const key = fmix32((fmix32(seed >>> 0) + counter) >>> 0);
  const scale = Math.fround(1 / (1 - Math.fround(rate)));
  const mask = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = (fmix32((Math.imul(i, 0x9e3779b9) ^ key) >>> 0) >>> 8) / 16777216;
    mask[i] = u >= Math.fround(rate) ? scale : 0;
  }
  return mask;
}

describe('dropout', () => {
  function run(x: Float32Array, rate: number, seed: number, counter: number) {
    const n = x.length;
    const X = put(k, x), Y = stale(n), MASK = stale(n);
    lk.dropout_forward(X.ptr, Y.at, MASK.at, n, rate, seed, counter, 0);
    expect(Y.guardsIntact() && MASK.guardsIntact()).toBe(true);
    const r = { y: Y.data(), mask: MASK.data() };
    free(X, Y.b, MASK.b);
    return r;
  }

  it('a tensor dropped in parts (i0 = each part\'s first index, as threads call it) gets the masks of one call over all of it', () => {
    const n = 1003, x = seeded(n, 41);
    const whole = run(x, 0.4, 9, 3);
    const X = put(k, x), Y = stale(n), MASK = stale(n);
    for (const [lo, hi] of [[0, 4], [4, 500], [500, 1000], [1000, 1003]] as const) {
      lk.dropout_forward(X.ptr + lo * 4, Y.at + lo * 4, MASK.at + lo * 4, hi - lo, 0.4, 9, 3, lo);
    }
    expect(Y.guardsIntact() && MASK.guardsIntact()).toBe(true);
    expect(Array.from(MASK.data())).toEqual(Array.from(whole.mask));
    expect(Array.from(Y.data())).toEqual(Array.from(whole.y));
    free(X, Y.b, MASK.b);
  });

  it('100k elements, rate 0.3: mask in {0, 1/0.7}, kept fraction 0.7 ± 0.01, y = x·mask exactly', () => {
    const n = 100_003, rate = 0.3;
    const x = seeded(n, 1, 3);
    const { y, mask } = run(x, rate, 1234, 0);
    const scale = Math.fround(1 / (1 - Math.fround(rate)));
    let kept = 0;
    for (let i = 0; i < n; i++) {
      if (mask[i] === scale) kept++;
      else expect(mask[i]).toBe(0);
    }
    expect(Math.abs(kept / n - 0.7)).toBeLessThan(0.01);
    expect(firstDiff(y, f32(oracle.dropoutForward(x, mask)))).toBe(-1);
  });

  it('the mask is the documented hash of (seed, counter, i): same inputs same mask, seeds past 2^31 included', () => {
    const x = seeded(1001, 2);
    for (const [seed, counter, rate] of [[0, 0, 0.5], [1234, 7, 0.1], [0xdeadbeef, 3, 0.9], [2 ** 32 - 1, 2 ** 31, 0.25]] as const) {
      const a = run(x, rate, seed, counter), b = run(x, rate, seed, counter);
      expect(firstDiff(a.mask, referenceMask(x.length, rate, seed, counter)), `seed ${seed} counter ${counter}`).toBe(-1);
      expect(firstDiff(a.mask, b.mask)).toBe(-1);
    }
  });

  it('another counter or seed gives another mask (about half the entries differ at rate 0.5)', () => {
    const x = seeded(10_000, 3);
    const base = run(x, 0.5, 99, 5).mask;
    for (const [seed, counter] of [[99, 6], [100, 5], [99, 4]]) {
      const other = run(x, 0.5, seed!, counter!).mask;
      let differ = 0;
      for (let i = 0; i < x.length; i++) if (other[i] !== base[i]) differ++;
      expect(Math.abs(differ / x.length - 0.5), `seed ${seed} counter ${counter}`).toBeLessThan(0.03);
    }
  });

  it('element i does not depend on n (SIMD body or scalar tail): n = 1, 3, 5, 17 are prefixes of n = 1000', () => {
    const x = seeded(1000, 4);
    const full = run(x, 0.4, 5, 6);
    for (const n of [1, 3, 5, 17]) {
      const part = run(x.slice(0, n), 0.4, 5, 6);
      expect(firstDiff(part.mask, full.mask.slice(0, n)), `n=${n}`).toBe(-1);
      expect(firstDiff(part.y, full.y.slice(0, n)), `n=${n}`).toBe(-1);
    }
  });

  it('rate 0 keeps everything (mask 1, y = x); rate 1 drops everything', () => {
    const x = seeded(37, 5);
    const keep = run(x, 0, 1, 2);
    expect(keep.mask.every((v) => v === 1)).toBe(true);
    expect(firstDiff(keep.y, x)).toBe(-1);
    const drop = run(x, 1, 1, 2);
    expect(drop.mask.every((v) => v === 0)).toBe(true);
    expect(drop.y.every((v) => v === 0)).toBe(true);
  });

  it('multiply_f32 (the backward dx = dy·mask) is exact, out of place and in place, n = 1, 3, 5, 17, 33, 130', () => {
    for (const n of [1, 3, 5, 17, 33, 130]) {
      const a = seeded(n, n, 3), m = run(seeded(n, n + 1), 0.5, n, 0).mask;
      const A = put(k, a), MB = put(k, m), OUT = stale(n);
      lk.multiply_f32(A.ptr, MB.ptr, OUT.at, n);
      const want = f32(oracle.dropoutBackward(a, m));
      expect(firstDiff(OUT.data(), want), `n=${n}`).toBe(-1);
      expect(OUT.guardsIntact()).toBe(true);
      lk.multiply_f32(A.ptr, MB.ptr, A.ptr, n);
      expect(firstDiff(A.f32, want), `n=${n} in place`).toBe(-1);
      free(A, MB, OUT.b);
    }
  });
});

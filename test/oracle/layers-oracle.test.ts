/**
 * Checks of the layer oracle itself against facts that do not come from it: hand-computed tiny
 * cases, TensorFlow's 'same' padding rule worked by hand, and central finite differences of its
 * own forward functions (so every backward function is the true gradient of its forward).
 */
import { describe, it, expect } from 'vitest';
import { gemm } from './oracle.js';
import { dot, numericGrad } from './numeric.js';
import {
  type ConvGeometry, type PoolGeometry,
  padding, convGeometry, conv2dForward, conv2dInputGrad, conv2dFilterGrad, conv2dBiasGrad, im2col, col2im,
  poolGeometry, maxPoolForward, maxPoolBackward, avgPoolForward, avgPoolBackward,
  batchNormStats, batchNormInference, batchNormTraining, batchNormBackward, batchNormRunning,
  dropoutForward, dropoutBackward,
} from './layers-oracle.js';

// --- helpers -----------------------------------------------------------------

/** deterministic values in [lo, hi) (mulberry32) */
function randArray(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  let s = seed >>> 0;
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    a[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return a;
}



/** the analytic gradient matches the numeric one (relative to its norm), and is not vacuously zero */
function expectGradClose(analytic: ArrayLike<number>, numeric: ArrayLike<number>, tol = 1e-7): void {
  expect(analytic.length).toBe(numeric.length);
  let d = 0, n = 0;
  for (let i = 0; i < numeric.length; i++) { d += (analytic[i]! - numeric[i]!) ** 2; n += numeric[i]! ** 2; }
  expect(n).toBeGreaterThan(1e-12);
  expect(Math.sqrt(d / n)).toBeLessThan(tol);
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!), `index ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(tol);
  }
}

const X3x3 = [1, 2, 3, 4, 5, 6, 7, 8, 9]; // one 3x3 image, one channel
const K2x2 = [1, 2, 3, 4];                // [[1,2],[3,4]], C = F = 1

// --- padding -----------------------------------------------------------------

describe('padding (TensorFlow rule, by hand)', () => {
  it("'same': out = ceil(size/s), total = max((out-1)s + k - size, 0), the extra row at the bottom", () => {
    expect(padding(5, 3, 2, 'same')).toEqual({ out: 3, before: 1, after: 1 });
    expect(padding(4, 3, 2, 'same')).toEqual({ out: 2, before: 0, after: 1 });
    expect(padding(6, 1, 2, 'same')).toEqual({ out: 3, before: 0, after: 0 });
    expect(padding(7, 5, 1, 'same')).toEqual({ out: 7, before: 2, after: 2 });
    expect(padding(3, 2, 1, 'same')).toEqual({ out: 3, before: 0, after: 1 });
    expect(padding(1, 5, 2, 'same')).toEqual({ out: 1, before: 2, after: 2 });
  });
  it("'valid': out = floor((size - k)/s) + 1, no padding", () => {
    expect(padding(7, 3, 2, 'valid')).toEqual({ out: 3, before: 0, after: 0 });
    expect(padding(8, 3, 2, 'valid')).toEqual({ out: 3, before: 0, after: 0 });
    expect(padding(5, 5, 1, 'valid')).toEqual({ out: 1, before: 0, after: 0 });
  });
});

// --- conv2d --------------------------------------------------------------------

describe('conv2d (hand-computed)', () => {
  it("valid 3x3 * 2x2 = [[37,47],[67,77]], plus bias", () => {
    const g = convGeometry(1, 3, 3, 1, 2, 2, 1, 1, 1, 'valid');
    expect(Array.from(conv2dForward(X3x3, K2x2, null, g))).toEqual([37, 47, 67, 77]);
    expect(Array.from(conv2dForward(X3x3, K2x2, [10], g))).toEqual([47, 57, 77, 87]);
  });
  it("same 3x3 * 2x2, stride 1: padding only at the bottom and right", () => {
    const g = convGeometry(1, 3, 3, 1, 2, 2, 1, 1, 1, 'same');
    expect([g.PT, g.PL, g.OH, g.OW]).toEqual([0, 0, 3, 3]);
    expect(Array.from(conv2dForward(X3x3, K2x2, null, g))).toEqual([37, 47, 21, 67, 77, 33, 23, 26, 9]);
  });
  it('same 1x5 * 1x3 of ones, stride 2: one zero on each side', () => {
    const g = convGeometry(1, 1, 5, 1, 1, 3, 1, 1, 2, 'same');
    expect([g.PL, g.OW]).toEqual([1, 3]);
    expect(Array.from(conv2dForward([1, 2, 3, 4, 5], [1, 1, 1], null, g))).toEqual([3, 9, 9]);
  });
  it('kernel layout [kh, kw, c, f]: a 1x1 conv is x·W per pixel with W rows = input channels', () => {
    const g = convGeometry(1, 1, 2, 2, 1, 1, 2, 1, 1, 'valid');
    // pixels [1,2] and [0,-1]; W = [[1,2],[3,4]]
    expect(Array.from(conv2dForward([1, 2, 0, -1], [1, 2, 3, 4], null, g))).toEqual([7, 10, -3, -4]);
  });
  it('gradients with dy = 1 on valid 3x3 * 2x2: dx counts kernel taps, dw sums windows, db counts positions', () => {
    const g = convGeometry(1, 3, 3, 1, 2, 2, 1, 1, 1, 'valid');
    const ones = [1, 1, 1, 1];
    expect(Array.from(conv2dInputGrad(ones, K2x2, g))).toEqual([1, 3, 2, 4, 10, 6, 3, 7, 4]);
    expect(Array.from(conv2dFilterGrad(X3x3, ones, g))).toEqual([12, 16, 24, 28]);
    expect(Array.from(conv2dBiasGrad(ones, g))).toEqual([4]);
  });
});

const convCases: Array<[string, ConvGeometry]> = [
  ['2x5x4x3, 3x2 kernel, 2 filters, stride (2,1), same', convGeometry(2, 5, 4, 3, 3, 2, 2, 2, 1, 'same')],
  ['1x6x7x2, 2x3 kernel, 3 filters, stride 2, valid', convGeometry(1, 6, 7, 2, 2, 3, 3, 2, 2, 'valid')],
  ['1x3x3x1, 5x5 kernel larger than the image, same', convGeometry(1, 3, 3, 1, 5, 5, 1, 1, 1, 'same')],
  ['2x4x4x2, 2x2 kernel, stride 2, same (no padding needed)', convGeometry(2, 4, 4, 2, 2, 2, 2, 2, 2, 'same')],
];

describe('conv2d gradients are the finite differences of conv2dForward', () => {
  for (const [name, g] of convCases) {
    it(name, () => {
      const x = randArray(g.N * g.H * g.W * g.C, 1), w = randArray(g.KH * g.KW * g.C * g.F, 2), b = randArray(g.F, 3);
      const r = randArray(g.N * g.OH * g.OW * g.F, 4); // L = Σ r·y, so dL/dy = r
      const loss = () => dot(r, conv2dForward(x, w, b, g));
      expectGradClose(conv2dInputGrad(r, w, g), numericGrad(loss, x));
      expectGradClose(conv2dFilterGrad(x, r, g), numericGrad(loss, w));
      expectGradClose(conv2dBiasGrad(r, g), numericGrad(loss, b));
    });
  }
});

describe('im2col and col2im', () => {
  for (const [name, g] of convCases) {
    it(`${name}: im2col · W + b is the convolution; col2im is its adjoint; chunks are row ranges`, () => {
      const P = g.N * g.OH * g.OW, K = g.KH * g.KW * g.C;
      const x = randArray(g.N * g.H * g.W * g.C, 5), w = randArray(K * g.F, 6), b = randArray(g.F, 7);
      const col = im2col(x, g, 0, P);
      const y = gemm('nn', P, g.F, K, col, w);
      for (let p = 0; p < P; p++) for (let f = 0; f < g.F; f++) y[p * g.F + f]! += b[f]!;
      expectClose(y, conv2dForward(x, w, b, g), 1e-12);
      const c = randArray(P * K, 8);
      expect(Math.abs(dot(col, c) - dot(x, col2im(c, g, 0, P)))).toBeLessThan(1e-12);
      const p0 = Math.floor(P / 3), np = P - p0 - 1;
      expect(Array.from(im2col(x, g, p0, np))).toEqual(Array.from(col.subarray(p0 * K, (p0 + np) * K)));
    });
  }
});

// --- pooling -------------------------------------------------------------------

describe('pooling (hand-computed)', () => {
  const x = [1, 3, 2, 4, 5, 6, 8, 7, 9, 2, 1, 0, 3, 4, 6, 5]; // 4x4, one channel
  const g = poolGeometry(1, 4, 4, 1, 2, 2, 2, 2);
  it('max 2x2 stride 2: values, flat argmax, and the gradient routed to the argmax', () => {
    const { y, argmax } = maxPoolForward(x, g);
    expect(Array.from(y)).toEqual([6, 8, 9, 6]);
    expect(Array.from(argmax)).toEqual([5, 6, 8, 14]);
    const dx = maxPoolBackward(x, [1, 2, 3, 4], g);
    expect(Array.from(dx)).toEqual([0, 0, 0, 0, 0, 1, 2, 0, 3, 0, 0, 0, 0, 0, 4, 0]);
  });
  it('max: ties go to the first element in row-major window order', () => {
    const { argmax } = maxPoolForward(new Array(16).fill(7), g);
    expect(Array.from(argmax)).toEqual([0, 2, 8, 10]);
  });
  it('max: channels are pooled separately; the flat index counts channels', () => {
    // 1x2 image, 2 channels: pixel 0 = [5, 1], pixel 1 = [3, 4]; pool 1x2
    const { y, argmax } = maxPoolForward([5, 1, 3, 4], poolGeometry(1, 1, 2, 2, 1, 2, 1, 1));
    expect(Array.from(y)).toEqual([5, 4]);
    expect(Array.from(argmax)).toEqual([0, 3]);
  });
  it('avg 2x2 stride 2, and overlapping windows accumulate in the backward pass', () => {
    expect(Array.from(avgPoolForward(x, g))).toEqual([3.75, 5.25, 4.5, 3]);
    const go = poolGeometry(1, 1, 3, 1, 1, 2, 1, 1); // [a, b, c] -> [(a+b)/2, (b+c)/2]
    expect(Array.from(avgPoolForward([1, 2, 4], go))).toEqual([1.5, 3]);
    expect(Array.from(avgPoolBackward([1, 1], go))).toEqual([0.5, 1, 0.5]);
  });
});

const poolCases: Array<[string, PoolGeometry]> = [
  ['2x5x5x3, pool 2x2 stride 2 (the last row and column unused)', poolGeometry(2, 5, 5, 3, 2, 2, 2, 2)],
  ['1x6x5x2, pool 3x2 stride (1,1), overlapping', poolGeometry(1, 6, 5, 2, 3, 2, 1, 1)],
  ['1x7x7x1, pool 3x3 stride 2, overlapping', poolGeometry(1, 7, 7, 1, 3, 3, 2, 2)],
];

describe('pooling gradients are the finite differences of the forward functions', () => {
  for (const [name, g] of poolCases) {
    it(name, () => {
      const x = randArray(g.N * g.H * g.W * g.C, 11); // distinct values: max is differentiable there
      const r = randArray(g.N * g.OH * g.OW * g.C, 12);
      expectGradClose(maxPoolBackward(x, r, g), numericGrad(() => dot(r, maxPoolForward(x, g).y), x));
      expectGradClose(avgPoolBackward(r, g), numericGrad(() => dot(r, avgPoolForward(x, g)), x));
    });
  }
});

// --- batch norm ------------------------------------------------------------------

describe('batch norm (hand-computed)', () => {
  it('stats of [1,2,3] and [10,10,40] (two channels, interleaved): means 2, 20; biased variances 2/3, 200', () => {
    const { mean, variance } = batchNormStats([1, 10, 2, 10, 3, 40], 3, 2);
    expectClose(mean, [2, 20]);
    expectClose(variance, [2 / 3, 200]);
  });
  it('training forward of [1,2,3], gamma 2, beta 1, eps 0: 1 ± 2·sqrt(3/2), 1', () => {
    const { y } = batchNormTraining([1, 2, 3], 3, 1, [2], [1], 0);
    const d = 2 * Math.sqrt(1.5);
    expectClose(y, [1 - d, 1, 1 + d]);
  });
  it('inference uses the given statistics: (4 - 1)/sqrt(8 + 1) * 3 - 2 = 1', () => {
    expectClose(batchNormInference([4], 1, 1, [1], [8], [3], [-2], 1), [1]);
  });
  it('backward: a constant dy moves nothing (normalization is shift invariant), dbeta = M·dy, dgamma = 0', () => {
    const x = randArray(15, 21);
    const r = batchNormBackward(x, new Array(15).fill(0.5), 5, 3, [1, 2, 3], 1e-3);
    expectClose(r.dx, new Array(15).fill(0), 1e-12);
    expectClose(r.dbeta, [2.5, 2.5, 2.5]);
    expectClose(r.dgamma, [0, 0, 0], 1e-12);
  });
  it('running statistics: 0.9·1 + 0.1·3 = 1.2, 0.9·2 + 0.1·7 = 2.5', () => {
    const rm = Float64Array.from([1]), rv = Float64Array.from([2]);
    batchNormRunning(rm, rv, [3], [7], 0.9);
    expectClose(rm, [1.2], 1e-15);
    expectClose(rv, [2.5], 1e-15);
  });
});

describe('batch norm backward is the finite difference of the training forward', () => {
  for (const [M, C, eps] of [[7, 3, 1e-3], [4, 1, 1e-5], [12, 5, 0.1]] as const) {
    it(`M=${M}, C=${C}, eps=${eps}: dx, dgamma, dbeta`, () => {
      const x = randArray(M * C, M + C, -2, 3), gamma = randArray(C, 31, 0.5, 2), beta = randArray(C, 32);
      const r = randArray(M * C, 33);
      const loss = () => dot(r, batchNormTraining(x, M, C, gamma, beta, eps).y);
      const g = batchNormBackward(x, r, M, C, gamma, eps);
      expectGradClose(g.dx, numericGrad(loss, x), 1e-6);
      expectGradClose(g.dgamma, numericGrad(loss, gamma), 1e-6);
      expectGradClose(g.dbeta, numericGrad(loss, beta), 1e-6);
    });
  }
});

// --- dropout ---------------------------------------------------------------------

describe('dropout with a given mask', () => {
  it('y = x·mask and dx = dy·mask, mask 1/(1-rate) where kept', () => {
    const mask = [2, 0, 2, 0]; // rate 0.5
    expect(Array.from(dropoutForward([1, 2, 3, 4], mask))).toEqual([2, 0, 6, 0]);
    expect(Array.from(dropoutBackward([-1, 5, 0.5, 1], mask))).toEqual([-2, 0, 1, 0]);
    const r = randArray(4, 41), x = Float64Array.from([1, 2, 3, 4]);
    expectGradClose(dropoutBackward(r, mask), numericGrad(() => dot(r, dropoutForward(x, mask)), x));
  });
});

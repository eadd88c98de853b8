// The loss kernels' numerics beyond the oracle comparisons in kernels.test.ts: mean_squared_error
// summed over a large output without float32 drift, and cross_entropy's gradient the exact
// derivative of the loss it returns, also where the clamp at 1e-7 is active.
import { describe, it, expect, beforeAll } from 'vitest';
import type { Kernels } from '../src/index.js';
import { kernelsUnderTest, put, seeded } from './helpers.js';

let k: Kernels;
beforeAll(async () => {
  k = await kernelsUnderTest();
});

describe('mean_squared_error on a large output', () => {
  it('1e6 elements near 1 against targets near 0: the loss matches a float64 sum to 1e-6 relative', () => {
    // one f32x4 accumulator over 250000 terms per lane ends near 2.5e5, where a float32 ulp is
    // 2^-6: each add of (y - t)^2 ~ 1.004 then rounds the 0.004 away, and the mean drifts by ~1e-3
    for (const n of [1_000_000, 1_000_003]) {
      const y = seeded(n, 7, 1e-3).map((v) => 1.002 + v); // 1.002 ± 1e-3
      const t = seeded(n, 8, 1e-4); // 0 ± 1e-4
      const Y = put(k, y), T = put(k, t), DY = put(k, n);
      const loss = k.exports.mean_squared_error(Y.ptr, T.ptr, n, DY.ptr);
      let want = 0;
      for (let i = 0; i < n; i++) { const d = Math.fround(y[i]! - t[i]!); want += d * d; }
      want /= n;
      expect(Math.abs(loss - want) / want, `n=${n}: ${loss} vs ${want}`).toBeLessThan(1e-6);
      // the gradient is elementwise: 2 (y - t) / n, rounded once in float32
      const dy = DY.f32, s = Math.fround(2 / n);
      for (let i = 0; i < n; i += 9973) expect(dy[i]).toBe(Math.fround(Math.fround(y[i]! - t[i]!) * s));
      Y.free(); T.free(); DY.free();
    }
  });
});

describe('cross_entropy: the gradient is the derivative of the loss it returns', () => {
  const EPS = Math.fround(1e-7);

  /** a row of probabilities with some entries below the clamp (1e-7), zero included */
  function probsWithTiny(rows: number, cols: number, seed: number): Float32Array {
    const p = seeded(rows * cols, seed, 0.5).map((v) => 0.5 + v + 1e-3);
    const tiny = [0, 1e-9, 5e-8, 9e-8];
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < cols; j++) if ((r * 7 + j * 3) % 4 === 0) p[r * cols + j] = tiny[(r + j) % tiny.length]!;
    }
    return p; // rows need not sum to 1: the kernel takes them as given
  }

  for (const kind of ['indices', 'soft'] as const) {
    it(`${kind} labels: central differences of the kernel's own loss equal its dp, clamped entries included`, () => {
      const rows = 5, cols = 7;
      const p = probsWithTiny(rows, cols, 31);
      const labels = kind === 'indices'
        ? Int32Array.from({ length: rows }, (_, r) => [0, 3, 6, 1, 2][r]!) // rows 0-3 label a tiny p, row 4 does not
        : seeded(rows * cols, 32, 0.5).map((v) => 0.5 + v);
      const P = put(k, p), L = put(k, labels.length), DP = put(k, rows * cols), D2 = put(k, rows * cols);
      if (kind === 'indices') L.i32.set(labels); else L.f32.set(labels);
      const ind = kind === 'indices' ? 1 : 0;
      const loss = () => k.exports.cross_entropy(P.ptr, rows, cols, L.ptr, ind, D2.ptr, 0);
      k.exports.cross_entropy(P.ptr, rows, cols, L.ptr, ind, DP.ptr, 0);
      const dp = DP.f32.slice();
      let clampedWithLabel = 0;
      for (let i = 0; i < rows * cols; i++) {
        const v = p[i]!;
        const t = kind === 'indices' ? (i % cols === labels[Math.floor(i / cols)]! ? 1 : 0) : labels[i]!;
        if (v < EPS && t !== 0) clampedWithLabel++;
        // a step well inside the same side of the clamp (float32 p, so h is relative)
        const h = v < EPS ? 1e-9 : v * 1e-3;
        const pf = P.f32;
        pf[i] = v + h; const up = loss();
        pf[i] = Math.max(v - h, 0); const dn = loss();
        const hUsed = Math.fround(v + h) - Math.fround(Math.max(v - h, 0));
        pf[i] = v;
        const fd = (up - dn) / hUsed;
        const tag = `${kind} element ${i}: p=${v}, t=${t}, dp=${dp[i]}, fd=${fd}`;
        if (v < EPS) {
          // below the clamp the loss does not change with p at all, so neither may the gradient
          expect(fd, tag).toBe(0);
          expect(Math.abs(dp[i]!), tag).toBe(0);
        }
        else expect(Math.abs(fd - dp[i]!), tag).toBeLessThanOrEqual(1e-3 * Math.abs(dp[i]!) + 1e-6);
      }
      expect(clampedWithLabel, 'the test covers labelled entries below the clamp').toBeGreaterThan(2);
      P.free(); L.free(); DP.free(); D2.free();
    });
  }

  it('the loss is the clamped log: -t log(max(p, 1e-7)), dp = -t / (p rows) above the clamp', () => {
    const p = Float32Array.from([0, 0.25, 0.75, 2e-8, 0.5, 0.5]);
    const L = put(k, 2), P = put(k, p), DP = put(k, 6);
    L.i32.set([0, 1]);
    const loss = k.exports.cross_entropy(P.ptr, 2, 3, L.ptr, 1, DP.ptr, 0);
    expect(loss).toBeCloseTo((-Math.log(EPS) - Math.log(0.5)) / 2, 6);
    expect(Array.from(DP.f32, (v) => v + 0)).toEqual([0, 0, 0, 0, -1, 0]); // + 0: the sign of a zero is no matter
    L.free(); P.free(); DP.free();
  });
});

// The one-channel direct convolution (assembly/conv_c1.ts) against the float64 layer oracle: odd
// image sizes (pixel groups of four that run past the row), filter counts around its groups of
// four and eight, 'valid' and 'same' padding, non-square kernels, batch 1 and 3, guard bands; the
// filter gradient as each sample's, summed by conv_filter_grad_sum.
import { describe, it, expect, beforeAll } from 'vitest';
import type { Kernels } from '../src/index.js';
import { kernelsUnderTest, put, seeded, closeness, guarded } from './helpers.js';
import { sameBits } from './model-helpers.js';
import * as oracle from './oracle/layers-oracle.js';

let k: Kernels;
beforeAll(async () => {
  k = await kernelsUnderTest();
});

describe('conv_c1_forward and conv_c1_filter_grad (one input channel, stride 1)', () => {
  const shapes: Array<[number, number]> = [[1, 1], [3, 5], [5, 3], [9, 7], [6, 13]];
  const kernels: Array<[number, number]> = [[1, 1], [2, 3], [3, 3], [5, 5], [3, 1]];
  for (const padding of ['valid', 'same'] as const) {
    it(`${padding}: every H x W in ${shapes.map((s) => s.join('x')).join(', ')}, kernels ${kernels.map((s) => s.join('x')).join(', ')}, 1-17 filters, batch 1 and 3`, () => {
      let seed = 3, cases = 0;
      for (const [H, W] of shapes) for (const [KH, KW] of kernels) for (const F of [1, 3, 4, 6, 8, 9, 17]) for (const N of [1, 3]) {
        if (padding === 'valid' && (KH > H || KW > W)) continue;
        const g = oracle.convGeometry(N, H, W, 1, KH, KW, F, 1, 1, padding);
        const x = seeded(N * H * W, seed++), w = seeded(KH * KW * F, seed++), b = seeded(F, seed++);
        const dy = seeded(N * g.OH * g.OW * F, seed++);
        const X = put(k, x), Wt = put(k, w), B = put(k, b), DY = put(k, dy);
        const pad = put(k, k.exports.conv_c1_pad_floats(g.OH, g.OW, KH, KW, F));
        const where = `${N}x${H}x${W} k${KH}x${KW} F${F} ${padding}`;
        for (const relu of [0, 1]) {
          const Y = guarded(k, N * g.OH * g.OW * F);
          k.exports.conv_c1_forward(X.ptr, N, H, W, KH, KW, g.PT, g.PL, g.OH, g.OW, F, Wt.ptr, relu ? B.ptr : 0, relu, Y.at, pad.ptr);
          let want = oracle.conv2dForward(x, w, relu ? b : null, g);
          if (relu) want = want.map((v) => Math.max(v, 0));
          expect(Y.guardsIntact(), `${where}: wrote outside y`).toBe(true);
          expect(closeness(Y.data(), want, 1e-5 * KH * KW, 1e-5), `${where} relu ${relu}`).toBeLessThanOrEqual(1);
          Y.b.free();
        }
        // each sample's gradient (F x KH·KW) over stale values: the kernel writes, not adds; then
        // the samples' added in order into the [KH, KW, 1, F] gradient
        // (F rows of the taps, then the bias's part)
        const taps = KH * KW;
        const P = guarded(k, seeded(N * F * (taps + 1), 99));
        k.exports.conv_c1_filter_grad(X.ptr, H, W, KH, KW, g.PT, g.PL, g.OH, g.OW, F, 0, N, DY.ptr, P.at, 1, pad.ptr);
        expect(P.guardsIntact(), `${where}: wrote outside the partials`).toBe(true);
        const DW = guarded(k, seeded(taps * F, 97)), DB = guarded(k, seeded(F, 96));
        k.exports.conv_filter_grad_sum(P.at, N, F, taps, 0, taps + 1, DW.at, DB.at);
        const sum = N * g.OH * g.OW;
        expect(DW.guardsIntact() && DB.guardsIntact(), `${where}: wrote outside dw or db`).toBe(true);
        expect(closeness(DW.data(), oracle.conv2dFilterGrad(x, dy, g), 1e-5 * Math.sqrt(sum), 1e-5), `${where} dw`).toBeLessThanOrEqual(1);
        const db = Array.from({ length: F }, (_, f) => { let t = 0; for (let i = f; i < dy.length; i += F) t += dy[i]!; return t; });
        expect(closeness(DB.data(), db, 1e-5 * Math.sqrt(sum), 1e-5), `${where} db`).toBeLessThanOrEqual(1);
        DB.b.free();
        // samples [n, N) and [0, n) in two calls (as two threads): the same bits as one call
        const whole = P.data().slice(), n = N >> 1;
        const PARTS = guarded(k, seeded(N * F * (taps + 1), 98));
        k.exports.conv_c1_filter_grad(X.ptr, H, W, KH, KW, g.PT, g.PL, g.OH, g.OW, F, n, N, DY.ptr, PARTS.at, 1, pad.ptr);
        k.exports.conv_c1_filter_grad(X.ptr, H, W, KH, KW, g.PT, g.PL, g.OH, g.OW, F, 0, n, DY.ptr, PARTS.at, 1, pad.ptr);
        expect(PARTS.guardsIntact(), `${where}: sample ranges wrote outside the partials`).toBe(true);
        expect(sameBits(PARTS.data(), whole), `${where} partials by sample ranges`).toBe(true);
        PARTS.b.free();
        P.b.free();
        for (const blk of [X, Wt, B, DY, pad, DW.b]) blk.free();
        cases++;
      }
      expect(cases).toBeGreaterThan(200);
    });
  }
});

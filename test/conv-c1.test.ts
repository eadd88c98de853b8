// The one-channel direct convolution (assembly/conv_c1.ts) against the float64 layer oracle: odd
// image sizes (pixel groups of four that run past the row), filter counts around its groups of
// four and eight, 'valid' and 'same' padding, non-square kernels, batch 1 and 3, guard bands.
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
        const DW = guarded(k, seeded(KH * KW * F, 99)); // stale values: the kernel writes, not adds
        k.exports.conv_c1_filter_grad(X.ptr, N, H, W, KH, KW, g.PT, g.PL, g.OH, g.OW, F, 0, F, DY.ptr, DW.at, pad.ptr);
        const sum = N * g.OH * g.OW;
        expect(DW.guardsIntact(), `${where}: wrote outside dw`).toBe(true);
        expect(closeness(DW.data(), oracle.conv2dFilterGrad(x, dy, g), 1e-5 * Math.sqrt(sum), 1e-5), `${where} dw`).toBeLessThanOrEqual(1);
        // filters [0, f) and [f, F) in two calls (as two threads): the same bits as one call
        const whole = DW.data().slice(), f = F >> 1;
        const PARTS = guarded(k, seeded(KH * KW * F, 98));
        k.exports.conv_c1_filter_grad(X.ptr, N, H, W, KH, KW, g.PT, g.PL, g.OH, g.OW, F, f, F, DY.ptr, PARTS.at, pad.ptr);
        k.exports.conv_c1_filter_grad(X.ptr, N, H, W, KH, KW, g.PT, g.PL, g.OH, g.OW, F, 0, f, DY.ptr, PARTS.at, pad.ptr);
        expect(PARTS.guardsIntact(), `${where}: filter ranges wrote outside dw`).toBe(true);
        expect(sameBits(PARTS.data(), whole), `${where} dw by filter ranges`).toBe(true);
        PARTS.b.free();
        for (const blk of [X, Wt, B, DY, pad, DW.b]) blk.free();
        cases++;
      }
      expect(cases).toBeGreaterThan(200);
    });
  }
});

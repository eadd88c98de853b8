// fit()'s data (src/model/fit-data.ts): whether the dataset is copied into wasm memory or left in JS
// memory, each batch is the same rows of x with the same labels or targets, bit for bit, and a model
// trains to the same weights.
import { describe, it, expect, beforeAll } from 'vitest';
import { SGD, dense, flatten, type Kernels } from '../src/index.js';
import { fitData, type DataLayout } from '../src/model/fit-data.js';
import { Block } from '../src/runtime/memory.js';
import { kernelsUnderTest, seeded } from './helpers.js';
import { sameBits } from './model-helpers.js';

let k: Kernels;
beforeAll(async () => {
  k = await kernelsUnderTest();
});

const ROWS = 23, F = 5, W = 3;

describe('fitData', () => {
  const layouts: Array<[string, Partial<DataLayout>]> = [['wasm memory', { inWasm: true }], ['JS memory', { inWasm: false }]];
  for (const indices of [true, false]) {
    it(`every batch is rows order[start..] of x with their ${indices ? 'class ids' : 'targets'}, whichever way the data is held`, () => {
      const x = seeded(ROWS * F, 1), y = indices ? Int32Array.from({ length: ROWS }, (_, i) => (i * 7) % W) : seeded(ROWS * W, 2);
      for (const [name, l] of layouts) {
        const layout = { features: F, width: indices ? 1 : W, indices, ...l } as DataLayout;
        const data = fitData(k, x, y, layout);
        const order = new Block(k.arena, ROWS), ws = { x: new Block(k.arena, 8 * F), labels: new Block(k.arena, 8), targets: new Block(k.arena, 8 * W) };
        for (let epoch = 0; epoch < 3; epoch++) {
          const perm = order.i32;
          for (let i = 0; i < ROWS; i++) perm[i] = (i * (5 + 2 * epoch) + epoch) % ROWS;
          for (let start = 0; start < ROWS; start += 8) {
            const n = Math.min(8, ROWS - start);
            data.gather(order, start, n, ws);
            const rows = ws.x.f32;
            for (let i = 0; i < n; i++) {
              const r = perm[start + i]!;
              const what = `${name}, epoch ${epoch}, row ${start + i}`;
              expect(sameBits(rows.subarray(i * F, (i + 1) * F), x.subarray(r * F, (r + 1) * F)), what).toBe(true);
              if (indices) expect(ws.labels.i32[i], what).toBe((y as Int32Array)[r]);
              else expect(sameBits(ws.targets.f32.subarray(i * W, (i + 1) * W), (y as Float32Array).subarray(r * W, (r + 1) * W)), what).toBe(true);
            }
          }
        }
        data.free(); order.free(); ws.x.free(); ws.labels.free(); ws.targets.free();
      }
    });
  }

  it('a model (flatten first) trains to the same bits from wasm memory and from JS memory', async () => {
    const x = seeded(40 * 12, 3), y = Int32Array.from({ length: 40 }, (_, i) => (i * 3) % 4);
    const train = async (dataInWasm: boolean) => {
      const m = k.sequential({ inputShape: [3, 2, 2], layers: [flatten(), dense(7, 'relu'), dense(4, 'softmax')], seed: 5 });
      await m.fit(x, y, { epochs: 3, batchSize: 6, dataInWasm, optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }) });
      const w = m.getWeights().map((t) => t.values);
      m.dispose();
      return w;
    };
    const a = await train(true), b = await train(false);
    a.forEach((w, i) => expect(sameBits(w, b[i]!), `weights ${i}`).toBe(true));
  });
});

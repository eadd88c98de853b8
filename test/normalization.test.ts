// normalization(): standardisation by a mean and variance that belong to the model, given or
// measured by model.adapt(x), against float64 references; never stepped; saved, loaded and
// exported to the torch layout like batch norm's running statistics.
import { describe, it, expect, beforeAll } from 'vitest';
import { SGD, Adam, dense, conv2d, flatten, normalization, InvalidArgumentError, type Kernels, type Sequential } from '../src/index.js';
import { kernelsUnderTest, seeded, closeness } from './helpers.js';
import { sameBits } from './model-helpers.js';

let k: Kernels;
beforeAll(async () => {
  k = await kernelsUnderTest();
});

const stateOf = (m: Sequential) => (m as unknown as { stateTensors(): Array<{ name: string; block: { f32: Float32Array } }> }).stateTensors();

/** per-feature mean and biased variance, plainly in float64 */
function moments(x: ArrayLike<number>, C: number): { mean: Float64Array; variance: Float64Array } {
  const n = x.length / C, mean = new Float64Array(C), variance = new Float64Array(C);
  for (let i = 0; i < x.length; i++) mean[i % C]! += x[i]! / n;
  for (let i = 0; i < x.length; i++) variance[i % C]! += (x[i]! - mean[i % C]!) ** 2 / n;
  return { mean, variance };
}

describe('normalization()', () => {
  it('with a given mean and variance: (x - mean) / sqrt(variance + 1e-7), per feature; the identity until adapted', () => {
    const mean = [1, -2, 0.5], variance = [4, 0.25, 0];
    const m = k.sequential({ inputSize: 3, layers: [normalization({ mean, variance })], seed: 1 });
    const x = seeded(7 * 3, 2, 3);
    const want = Array.from(x, (v, i) => (v - mean[i % 3]!) / Math.sqrt(variance[i % 3]! + 1e-7));
    expect(closeness(m.predict(x), want, 1e-6, 1e-6)).toBeLessThanOrEqual(1);
    const id = k.sequential({ inputSize: 3, layers: [normalization()], seed: 1 });
    expect(closeness(id.predict(x), x, 1e-6, 1e-6)).toBeLessThanOrEqual(1);
    expect(m.parameters()).toEqual([]);
    m.dispose(); id.dispose();
  });

  it('adapt(x): the mean and variance of every feature over all rows (several chunks), offset data included; then predict standardises', () => {
    const rows = 1300, C = 5;
    const x = seeded(rows * C, 4, 2).map((v, i) => v * (1 + (i % C)) + 1000 * ((i % C) - 2));
    const m = k.sequential({ inputSize: C, layers: [normalization(), dense(2)], seed: 1 });
    m.adapt(x);
    const want = moments(x, C);
    const [mean, variance] = stateOf(m).map((t) => t.block.f32);
    expect(stateOf(m).map((t) => t.name)).toEqual(['normalization_0/mean', 'normalization_0/variance']);
    expect(closeness(mean!, want.mean, 1e-4, 1e-6)).toBeLessThanOrEqual(1);
    expect(closeness(variance!, want.variance, 1e-6, 1e-5)).toBeLessThanOrEqual(1);
    const standard = k.sequential({ inputSize: C, layers: [normalization({ mean: want.mean, variance: want.variance })], seed: 1 });
    const z = moments(standard.predict(x), C);
    expect(closeness(z.mean, new Float64Array(C), 1e-5, 0)).toBeLessThanOrEqual(1);
    expect(closeness(z.variance, new Float64Array(C).fill(1), 0, 1e-5)).toBeLessThanOrEqual(1);
    m.dispose(); standard.dispose();
  });

  it('adapt measures each normalization on the output of the layers before it (inference mode), and images per channel', () => {
    const m = k.sequential({ inputShape: [4, 4, 2], layers: [conv2d(3, 3, 'tanh', { padding: 'same' }), normalization(), flatten(), dense(2)], seed: 3 });
    const x = seeded(9 * 32, 5);
    const before = m.predict(x); // unchanged weights: predict's first layers equal what adapt measures
    m.adapt(x);
    const conv = k.sequential({ inputShape: [4, 4, 2], layers: [conv2d(3, 3, 'tanh', { padding: 'same' })], seed: 3 });
    const want = moments(conv.predict(x), 3);
    const [mean, variance] = stateOf(m).map((t) => t.block.f32);
    expect(closeness(mean!, want.mean, 1e-6, 1e-5)).toBeLessThanOrEqual(1);
    expect(closeness(variance!, want.variance, 1e-6, 1e-5)).toBeLessThanOrEqual(1);
    expect(sameBits(m.predict(x), before)).toBe(false);
    m.dispose(); conv.dispose();
  });

  it('is state, not a parameter: training steps never change it, and the gradient below it is dy / sqrt(variance + eps)', () => {
    const mean = [0.5, -1], variance = [2, 0.5];
    const m = k.sequential({ inputSize: 2, layers: [dense(2, 'tanh'), normalization({ mean, variance }), dense(1)], seed: 2 });
    const x = seeded(6 * 2, 7), y = seeded(6, 8);
    const w0 = m.getWeights().map((w) => w.values);
    m.trainBatch(x, y, new SGD({ learningRate: 0 }));
    const grads = m.parameters().map((p) => Float64Array.from(p.grad));
    // finite differences of the loss over the first layer's kernel, in float64
    const loss = (w: Float32Array[]) => {
      let s = 0;
      for (let r = 0; r < 6; r++) {
        const h = [0, 1].map((u) => Math.tanh(x[2 * r]! * w[0]![u]! + x[2 * r + 1]! * w[0]![2 + u]! + w[1]![u]!));
        const z = h.map((v, u) => (v - mean[u]!) / Math.sqrt(variance[u]! + 1e-7));
        const out = z[0]! * w[2]![0]! + z[1]! * w[2]![1]! + w[3]![0]!;
        s += (out - y[r]!) ** 2;
      }
      return s / 6;
    };
    const w64 = w0.map((w) => Float64Array.from(w));
    for (let j = 0; j < 4; j++) {
      const at = (d: number) => { const c = w64.map((w) => Float32Array.from(w)); const v = w64[0]![j]! + d; return loss(c.map((t, i) => (i === 0 ? Float32Array.from(t, (q, qi) => (qi === j ? v : q)) : t))); };
      const fd = (at(1e-3) - at(-1e-3)) / 2e-3;
      expect(Math.abs(grads[0]![j]! - fd)).toBeLessThan(1e-3 * (1 + Math.abs(fd)));
    }
    const opt = new Adam({ learningRate: 0.01 });
    for (let i = 0; i < 5; i++) m.trainBatch(x, y, opt);
    expect(Array.from(stateOf(m)[0]!.block.f32)).toEqual(mean);
    expect(Array.from(stateOf(m)[1]!.block.f32)).toEqual(variance);
    m.dispose();
  });

  it('round-trips through save / load bit for bit, and the torch layout is BatchNorm1d with weight 1 and bias 0', () => {
    const m = k.sequential({ inputSize: 3, layers: [normalization(), dense(2, 'relu')], seed: 4 });
    m.adapt(seeded(40 * 3, 9, 5));
    const x = seeded(5 * 3, 10);
    const back = k.load(m.save()).model;
    expect(sameBits(back.predict(x), m.predict(x))).toBe(true);
    stateOf(m).forEach((t, i) => expect(sameBits(stateOf(back)[i]!.block.f32, t.block.f32)).toBe(true));
    const torch = k.load(m.save({ format: 'torch' }), { architecture: m.config }).model;
    expect(sameBits(torch.predict(x), m.predict(x))).toBe(true);
    m.dispose(); back.dispose(); torch.dispose();
  });

  it('bad values and bad calls: InvalidArgumentError naming them, nothing changed', () => {
    expect(() => normalization({ variance: [1, -1] })).toThrow(/options\.variance\[1\]/);
    expect(() => normalization({ mean: [NaN] })).toThrow(/options\.mean\[0\]/);
    expect(() => normalization({ mean: 'x' as unknown as number })).toThrow(/options\.mean/);
    expect(() => k.sequential({ inputSize: 3, layers: [normalization({ mean: [1, 2] })] })).toThrow(/config\.layers\[0\].*3 values of mean/);
    const plain = k.sequential({ inputSize: 2, layers: [dense(1)], seed: 1 });
    expect(() => plain.adapt(seeded(4, 1))).toThrow(InvalidArgumentError);
    const m = k.sequential({ inputSize: 2, layers: [normalization({ mean: [1, 2], variance: [3, 4] })], seed: 1 });
    const bad = seeded(8, 2); bad[5] = NaN;
    expect(() => m.adapt(bad)).toThrow(/finite/);
    expect(() => m.adapt(seeded(7, 2))).toThrow(/multiple of inputSize/);
    expect(Array.from(stateOf(m)[0]!.block.f32)).toEqual([1, 2]);
    expect(Array.from(stateOf(m)[1]!.block.f32)).toEqual([3, 4]);
    plain.dispose(); m.dispose();
  });
});

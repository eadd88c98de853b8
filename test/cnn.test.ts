// Convolutional models end to end against the float64 network oracle: predictions, gradients of
// whole training steps by finite differences through models that mix every layer type (odd
// sizes, strides 1 and 2, both paddings, 1 and several channels), batch-norm running statistics
// and dropout masks across steps. Runs on the plain and the relaxed build.
import { describe, it, expect, beforeAll } from 'vitest';
import { SGD, dense, conv2d, maxPool2d, avgPool2d, flatten, dropout, batchNorm, normalization, type Kernels, type Sequential, type LayerSpec } from '../src/index.js';
import { kernelsUnderTest, seeded, closeness } from './helpers.js';
import { networkForward, networkLoss, type NetState, type SpecLike } from './oracle/network-oracle.js';

let k: Kernels;
beforeAll(async () => {
  k = await kernelsUnderTest();
});

/** the model's weights, running statistics and dropout streams as the oracle's float64 state */
function stateOf(model: Sequential): NetState {
  const net = (model as unknown as { net: Array<{ rngState?: number; seed?: number; state: Array<{ block: { f32: Float32Array } }> }> }).net;
  const dropout = new Map<number, { seed: number; counter: number }>();
  net.forEach((l, i) => { if (l.rngState !== undefined) dropout.set(i, { seed: (l as unknown as { seed: number }).seed, counter: l.rngState }); });
  return {
    weights: model.getWeights().map((w) => Float64Array.from(w.values)),
    running: net.flatMap((l) => l.state.map((s) => Float64Array.from(s.block.f32))),
    dropout,
  };
}

interface Case {
  name: string;
  inputShape: number[];
  layers: LayerSpec[];
  rows: number;
}

const CASES: Case[] = [
  {
    name: 'conv same stride 2 (non-square kernel) → batchNorm → avgPool stride 1 → 1x1 conv → maxPool [2,1] → flatten → dropout → dense → batchNorm → softmax',
    inputShape: [9, 7, 3],
    layers: [conv2d(4, [3, 2], 'tanh', { stride: 2, padding: 'same' }), batchNorm(), avgPool2d(2, { stride: 1 }), conv2d(5, 1, 'sigmoid'),
      maxPool2d([2, 1]), flatten(), normalization({ mean: 0.1, variance: 2 }), dropout(0.3), dense(6, 'tanh'), batchNorm({ momentum: 0.9, epsilon: 0.01 }), dense(3, 'softmax')],
    rows: 5,
  },
  {
    name: 'one channel, conv valid 5x5 relu → maxPool 2 → conv same 3x3 stride 1 → flatten → dense softmax (LeNet-like)',
    inputShape: [11, 11, 1],
    layers: [conv2d(3, 5, 'relu'), maxPool2d(2), conv2d(4, 3, 'tanh', { padding: 'same' }), flatten(), dense(4, 'softmax')],
    rows: 3,
  },
  {
    name: 'conv valid stride 2 without bias → maxPool stride 1 (overlapping) → conv same stride 2 (odd padding) → flatten → dense linear (mse)',
    inputShape: [8, 9, 2],
    layers: [conv2d(3, 3, 'linear', { stride: 2, bias: false }), maxPool2d(2, { stride: 1 }), conv2d(2, 2, 'sigmoid', { stride: 2, padding: 'same' }), flatten(), dense(2)],
    rows: 4,
  },
  {
    name: 'a 5x5 conv over 16 channels (three one-image blocks summed in one filter-gradient group) → conv valid stride 2 → flatten → dense softmax',
    inputShape: [9, 9, 16],
    layers: [conv2d(2, 5, 'tanh', { padding: 'same' }), conv2d(3, 3, 'relu', { stride: 2 }), flatten(), dense(2, 'softmax')],
    rows: 3,
  },
  {
    name: 'filter-gradient groups of two 25-image blocks, the last group short (60 images: 50 + 10), the input gradient through them; a 1x1 conv before',
    inputShape: [5, 5, 4],
    layers: [conv2d(32, 1, 'tanh'), conv2d(3, 3, 'relu'), flatten(), dense(2, 'softmax')],
    rows: 60,
  },
  {
    name: 'an image larger than one block (400 positions, 200 deep): the kernel-by-kernel path, its input gradient through col2im',
    inputShape: [20, 20, 3],
    layers: [conv2d(8, 1, 'relu'), conv2d(2, 5, 'tanh', { padding: 'same' }), maxPool2d(4), flatten(), dense(2, 'softmax')],
    rows: 2,
  },
  {
    name: 'one input channel at stride 1 in the middle of a model (direct kernels, input gradient through col2im): same padding, 5 filters, odd widths',
    inputShape: [7, 9, 1],
    layers: [conv2d(1, 3, 'tanh', { padding: 'same' }), conv2d(5, [2, 3], 'relu', { padding: 'same' }), avgPool2d(2), flatten(), dense(3, 'softmax')],
    rows: 3,
  },
  {
    name: 'more filters than the transposed forward takes (70, then a 1x1 with 66): the A·B forward and the direct 1x1 path',
    inputShape: [4, 5, 1],
    layers: [conv2d(70, 2, 'relu', { padding: 'same' }), conv2d(66, 1, 'tanh'), maxPool2d(2), flatten(), dense(2, 'softmax')],
    rows: 2,
  },
];

function data(c: Case, seed: number) {
  const inSize = c.inputShape.reduce((a, b) => a * b, 1);
  const x = seeded(c.rows * inSize, seed);
  return { x, inSize };
}

describe('convolutional models against the float64 network oracle', () => {
  for (const c of CASES) {
    it(`predict equals the oracle's inference forward: ${c.name}`, () => {
      const model = k.sequential({ inputShape: c.inputShape, layers: c.layers, seed: 7 });
      const { x } = data(c, 11);
      // train a few steps first so batch norm's running statistics are not the initial ones
      const y = model.loss === 'mse' ? seeded(c.rows * model.outputSize, 5) : new Uint8Array(c.rows).map((_, i) => i % model.outputSize);
      const sgd = new SGD({ learningRate: 0.05, momentum: 0.9 });
      for (let i = 0; i < 3; i++) model.trainBatch(x, y, sgd);
      const want = networkForward(model.layers as unknown as SpecLike[], c.inputShape, stateOf(model), x, c.rows, false).y;
      expect(closeness(model.predict(x), want, 1e-5, 1e-4)).toBeLessThanOrEqual(1);
      model.dispose();
    });

    it(`every gradient of a training step equals a float64 finite difference: ${c.name}`, () => {
      const model = k.sequential({ inputShape: c.inputShape, layers: c.layers, seed: 3 });
      const { x } = data(c, 21);
      const mse = model.loss === 'mse';
      const labels = new Uint8Array(c.rows).map((_, i) => (i * 7 + 1) % model.outputSize);
      const targets = seeded(c.rows * model.outputSize, 9);
      const y = mse ? targets : labels;
      const st = stateOf(model);
      // learning rate 0: the step computes the gradients and leaves the weights where they were
      model.trainBatch(x, y, new SGD({ learningRate: 0 }));
      const grads = model.parameters().map((p) => Float64Array.from(p.grad));
      const specs = model.layers as unknown as SpecLike[];
      const lossAt = (s: NetState) => networkLoss(networkForward(specs, c.inputShape, s, x, c.rows, true).y, c.rows, mse ? targets : labels, model.loss);
      let worst = 0, checked = 0;
      let expected = 0;
      st.weights.forEach((w, ti) => {
        // every weight of small tensors; an even spread of 300 of a large one (a 66-filter 1x1 conv)
        const stride = Math.ceil(w.length / 300);
        expected += Math.ceil(w.length / stride);
        for (let j = 0; j < w.length; j += stride) {
          const h = 1e-6 * Math.max(1, Math.abs(w[j]!));
          const keep = w[j]!;
          w[j] = keep + h; const up = lossAt(st);
          w[j] = keep - h; const down = lossAt(st);
          w[j] = keep;
          const fd = (up - down) / (2 * h);
          worst = Math.max(worst, Math.abs(grads[ti]![j]! - fd) / (1e-4 + 1e-3 * Math.abs(fd)));
          checked++;
        }
      });
      expect(checked).toBe(expected);
      expect(st.weights.length).toBe(model.parameters().length);
      expect(worst, `worst closeness over ${checked} weights`).toBeLessThanOrEqual(1);
      model.dispose();
    });
  }

  it('batch norm: running statistics move once per committed step, by momentum, from the batch statistics', () => {
    const c = CASES[0]!;
    const model = k.sequential({ inputShape: c.inputShape, layers: c.layers, seed: 1 });
    const { x } = data(c, 31);
    const y = new Uint8Array(c.rows).map((_, i) => i % 3);
    const sgd = new SGD({ learningRate: 0.01, momentum: 0.9 });
    const before = stateOf(model);
    const stats = networkForward(model.layers as unknown as SpecLike[], c.inputShape, before, x, c.rows, true).batchStats;
    model.trainBatch(x, y, sgd);
    const after = stateOf(model);
    const momenta = [0.99, 0.9];
    // state pairs in layer order: batch norm 1, the normalization layer (which never moves), batch norm 2
    const pairs = [0, 2];
    stats.forEach((s, b) => {
      const m = momenta[b]!, p = pairs[b]!;
      const wantMean = before.running[2 * p]!.map((r, i) => m * r + (1 - m) * s.mean[i]!);
      const wantVar = before.running[2 * p + 1]!.map((r, i) => m * r + (1 - m) * s.variance[i]!);
      expect(closeness(after.running[2 * p]!, wantMean, 1e-6, 1e-5)).toBeLessThanOrEqual(1);
      expect(closeness(after.running[2 * p + 1]!, wantVar, 1e-6, 1e-5)).toBeLessThanOrEqual(1);
    });
    expect(Array.from(after.running[2]!)).toEqual(Array.from(before.running[2]!));
    // an optimizer never steps them: they are not parameters
    expect(model.parameters().some((p) => p.name.includes('running'))).toBe(false);
    model.dispose();
  });

  it('dropout: a new mask every committed step, identity in predict and evaluate, seeded from the model seed', () => {
    const model = k.sequential({ inputSize: 200, layers: [dropout(0.5), dense(2, 'softmax')], seed: 4 });
    const x = seeded(3 * 200, 1);
    const sgd = new SGD({ learningRate: 0 });
    const y = new Uint8Array([0, 1, 0]);
    const first = model.trainBatch(x, y, sgd);
    const second = model.trainBatch(x, y, sgd);
    expect(first).not.toBe(second); // another mask, same weights
    const st = stateOf(model);
    const oracle = (training: boolean) => networkForward(model.layers as unknown as SpecLike[], [200], st, x, 3, training).y;
    expect(closeness(model.predict(x), oracle(false), 1e-6, 1e-5)).toBeLessThanOrEqual(1);
    const twin = k.sequential({ inputSize: 200, layers: [dropout(0.5), dense(2, 'softmax')], seed: 4 });
    expect(twin.trainBatch(x, y, sgd)).toBe(first);
    const other = k.sequential({ inputSize: 200, layers: [dropout(0.5), dense(2, 'softmax')], seed: 5 });
    other.setWeights(model.getWeights());
    expect(other.trainBatch(x, y, sgd)).not.toBe(first);
    for (const m of [model, twin, other]) m.dispose();
  });
});

describe('weights, shapes and the summary', () => {
  it("getWeights: conv kernels [kh, kw, in, filters], biases [filters], batch norm's gamma and beta, in layer order; setWeights checks shapes", () => {
    const model = k.sequential({ inputShape: [8, 8, 3], layers: [conv2d(5, [3, 2], 'relu'), batchNorm(), flatten(), dense(2, 'softmax')], seed: 1 });
    const w = model.getWeights();
    expect(w.map((t) => [t.name, t.shape])).toEqual([
      ['conv2d_0/kernel', [3, 2, 3, 5]], ['conv2d_0/bias', [5]], ['batchNorm_1/gamma', [5]], ['batchNorm_1/beta', [5]],
      ['dense_3/kernel', [6 * 7 * 5, 2]], ['dense_3/bias', [2]],
    ]);
    expect(Array.from(w[2]!.values)).toEqual([1, 1, 1, 1, 1, 1].slice(0, 5));
    const before = model.getWeights().map((t) => t.values);
    // the right number of values in the wrong shape ([2, 3, 3, 5] has as many as [3, 2, 3, 5])
    const wrong = w.map((t, i) => (i === 0 ? { ...t, shape: [2, 3, 3, 5] } : t));
    expect(() => model.setWeights(wrong)).toThrow(/weights\[0\]\.shape: expected \[3, 2, 3, 5\]/);
    model.getWeights().forEach((t, i) => expect(Array.from(t.values)).toEqual(Array.from(before[i]!)));
    model.setWeights(w.map((t) => ({ ...t, values: t.values.map((v) => v / 2) })));
    expect(model.getWeights()[0]!.values[0]).toBe(w[0]!.values[0]! / 2);
    model.dispose();
  });

  it('summary(): each layer with its output shape and parameter count, and the totals', () => {
    const model = k.sequential({ inputShape: [28, 28, 1], layers: [conv2d(6, 5, 'relu', { padding: 'same' }), maxPool2d(2), conv2d(16, 5, 'relu'), maxPool2d(2), flatten(), dense(120, 'relu'), dense(84, 'relu'), dropout(0.5), dense(10, 'softmax')], seed: 1 });
    let printed = '';
    const text = model.summary((t) => { printed = t; });
    expect(printed).toBe(text);
    const lines = text.split('\n');
    const row = (i: number) => lines.find((l) => l.startsWith(`${i} `))!;
    expect(row(0)).toMatch(/conv2d 6 5x5 relu same\s+\[28, 28, 6\]\s+156$/);
    expect(row(2)).toMatch(/\[10, 10, 16\]\s+2416$/);
    expect(row(4)).toMatch(/flatten\s+\[400\]\s+0$/);
    expect(row(5)).toMatch(/dense 120 relu\s+\[120\]\s+48120$/);
    expect(text).toMatch(/trainable parameters: 61706; loss: crossEntropy$/);
    model.dispose();
  });
});

describe('layer configuration errors name the layer and what was expected, before any memory is allocated', () => {
  const bad: Array<[string, () => unknown, RegExp]> = [
    ['a kernel larger than its input (valid)', () => k.sequential({ inputShape: [4, 4, 1], layers: [conv2d(2, 5), flatten(), dense(1)] }), /config\.layers\[0\].*kernel no larger than its input/],
    ['dense fed a 3-D shape', () => k.sequential({ inputShape: [4, 4, 1], layers: [conv2d(2, 3), dense(1)] }), /config\.layers\[1\].*flatten\(\)/],
    ['a pool window larger than its input', () => k.sequential({ inputShape: [3, 3, 1], layers: [maxPool2d(4), flatten(), dense(1)] }), /config\.layers\[0\].*pool window/],
    ['conv2d on a vector', () => k.sequential({ inputSize: 10, layers: [conv2d(2, 3)] }), /config\.layers\[0\].*\[height, width, channels\]/],
    ['dropout rate 1', () => dropout(1), /rate/],
    ['dropout rate -0.1', () => dropout(-0.1), /rate/],
    ['a non-integer filter count', () => conv2d(2.5, 3), /filters/],
    ['a non-integer kernel size', () => conv2d(2, [3, 1.5]), /kernelSize/],
    ['stride 0', () => maxPool2d(2, { stride: 0 }), /stride/],
    ['an unknown padding', () => conv2d(2, 3, 'relu', { padding: 'full' as 'same' }), /padding/],
    ['a hand-written spec with a bad rate', () => k.sequential({ inputSize: 4, layers: [{ type: 'dropout', rate: 2 } as LayerSpec, dense(1)] }), /config\.layers\[0\].*rate/],
    ['inputShape of 2 dimensions', () => k.sequential({ inputShape: [4, 4], layers: [flatten(), dense(1)] }), /inputShape/],
    ['batchNorm momentum 1.5', () => batchNorm({ momentum: 1.5 }), /momentum/],
  ];
  for (const [what, f, msg] of bad) {
    it(what, () => {
      const used = k.arena.bytesInUse;
      expect(f).toThrow(msg);
      try { f(); } catch (e) { expect((e as Error).name).toBe('InvalidArgumentError'); }
      expect(k.arena.bytesInUse).toBe(used);
    });
  }
});

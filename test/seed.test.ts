// The founding document's numbers, reproduced through the public API: the one-parameter momentum
// example and the linear-regression example (X = [1,2,3,4], y = 2x, one weight, no bias, MSE).
import { describe, it, expect, beforeAll } from 'vitest';
import { SGD, dense, type Kernels, type Sequential } from '../src/index.js';
import { kernelsUnderTest } from './helpers.js';

let k: Kernels;
beforeAll(async () => {
  k = await kernelsUnderTest();
});

describe("the seed's numeric example", () => {
  it('w = 2.0, velocity -0.03, grad 0.5, lr 0.1, momentum 0.9: velocity -0.077, value 1.923', () => {
    const w = k.parameter([2.0]);
    const sgd = new SGD({ learningRate: 0.1, momentum: 0.9 });
    // the velocity is the optimizer's own state for w, created zeroed when first asked for
    sgd.state(w).velocity[0] = -0.03;
    w.grad[0] = 0.5;
    sgd.step([w]);
    // 0.9 * -0.03 - 0.1 * 0.5 = -0.077; 2.0 + -0.077 = 1.923 (float32: a few ulp)
    expect(Math.abs(sgd.state(w).velocity[0]! - -0.077)).toBeLessThan(1e-7);
    expect(Math.abs(w.value[0]! - 1.923)).toBeLessThan(2e-7);
    expect(w.grad[0]).toBe(0.5); // the update reads the gradient, never changes it
    w.dispose();
  });

  it('the same step on a parameter of 17 values (SIMD body and tail) gives the same numbers everywhere', () => {
    const w = k.parameter(new Float32Array(17).fill(2));
    const sgd = new SGD({ learningRate: 0.1, momentum: 0.9 });
    sgd.state(w).velocity.fill(-0.03);
    w.grad.fill(0.5);
    sgd.step([w]);
    const velocity = sgd.state(w).velocity;
    for (let i = 0; i < 17; i++) {
      expect(Math.abs(velocity[i]! - -0.077), `velocity[${i}]`).toBeLessThan(1e-7);
      expect(Math.abs(w.value[i]! - 1.923), `value[${i}]`).toBeLessThan(2e-7);
    }
    w.dispose();
  });
});

describe("the seed's linear regression", () => {
  const x = Float32Array.from([1, 2, 3, 4]);
  const y = Float32Array.from([2, 4, 6, 8]);

  function regression(momentum: number): { model: Sequential; losses: number[]; weights: number[] } {
    const model = k.sequential({ inputSize: 1, layers: [dense(1, 'linear', { bias: false })], loss: 'mse', seed: 3 });
    model.setWeights([Float32Array.from([0])]);
    const sgd = new SGD({ learningRate: 0.01, momentum });
    const losses: number[] = [];
    const weights: number[] = [];
    for (let step = 0; step < 200; step++) {
      losses.push(model.trainBatch(x, y, sgd));
      weights.push(model.getWeights()[0]!.values[0]!);
    }
    return { model, losses, weights };
  }

  it('one weight, no bias, MSE: the model has exactly one parameter of shape [1, 1]', () => {
    const model = k.sequential({ inputSize: 1, layers: [dense(1, 'linear', { bias: false })], loss: 'mse' });
    const ws = model.getWeights();
    expect(ws.map((w) => [w.name, w.shape])).toEqual([['dense_0/kernel', [1, 1]]]);
    model.dispose();
  });

  it('momentum 0.9, lr 0.01, 200 full-batch steps: the weight ends at 2.0000341 (float64 2.0000341922569422)', () => {
    const { model, losses, weights } = regression(0.9);
    expect(losses[0]).toBe(30); // mean((0 - 2x)^2) = (4 + 16 + 36 + 64) / 4
    const w = weights[weights.length - 1]!;
    expect(Math.abs(w - 2.0000341922569422)).toBeLessThan(1e-5);
    expect(Math.abs(w - 2.0000341)).toBeLessThan(1e-5);
    expect(w).toBeGreaterThan(2); // 200 steps in, momentum still sits just above 2
    // momentum overshoots: some weight along the way is past the solution
    expect(Math.max(...weights)).toBeGreaterThan(2.05);
    // the last loss was taken at the weight before the last step: mean(x^2) (w - 2)^2 = 7.5 (w - 2)^2
    const before = weights[weights.length - 2]!;
    expect(Math.abs(losses[losses.length - 1]! - 7.5 * (before - 2) ** 2)).toBeLessThan(1e-9);
    model.dispose();
  });

  it('plain gradient descent (momentum 0): the weight ends at 1.9999999999999847 and never overshoots', () => {
    const { model, losses, weights } = regression(0);
    expect(losses[0]).toBe(30);
    const w = weights[weights.length - 1]!;
    expect(Math.abs(w - 1.9999999999999847)).toBeLessThan(1e-5);
    // w_{t+1} = 0.85 w_t + 0.3 from 0: rises monotonically towards 2 and never above it
    for (let i = 0; i < weights.length; i++) {
      expect(weights[i]!, `step ${i}`).toBeLessThanOrEqual(2);
      if (i > 0) expect(weights[i]!, `step ${i}`).toBeGreaterThanOrEqual(weights[i - 1]!);
    }
    // the first steps follow the closed form 2 - 2 * 0.85^t
    for (let t = 1; t <= 10; t++) expect(Math.abs(weights[t - 1]! - (2 - 2 * 0.85 ** t)), `step ${t}`).toBeLessThan(1e-6);
    // losses fall every step
    for (let i = 1; i < 30; i++) expect(losses[i]!).toBeLessThan(losses[i - 1]!);
    model.dispose();
  });

  it('momentum follows the float64 recurrence v = 0.9 v - 0.01 g, w = w + v with g = 15 w - 30', () => {
    // d/dw mean((w x - 2x)^2) = 2 (w - 2) mean(x^2) = 15 w - 30
    const { model, weights } = regression(0.9);
    let w = 0, v = 0, peak = 0;
    for (let t = 0; t < 200; t++) {
      v = 0.9 * v - 0.01 * (15 * w - 30);
      w = w + v;
      peak = Math.max(peak, w);
      expect(Math.abs(weights[t]! - w), `step ${t + 1}`).toBeLessThan(1e-5);
    }
    expect(Math.abs(Math.max(...weights) - peak)).toBeLessThan(1e-5); // the overshoot peaks at ~3.33
    expect(w).toBe(2.0000341922569422); // the document's float64 value, from its own recurrence
    model.dispose();
  });
});

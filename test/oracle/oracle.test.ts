/**
 * Checks of the float64 oracle itself against facts that do not come from the
 * oracle: hand-computed tiny cases, central finite differences, and the numbers
 * stated in the founding document.
 */
import { describe, it, expect } from 'vitest';
import { dot, numericGrad } from './numeric.js';
import {
  type Act,
  type OracleLayer,
  gemm,
  denseForward,
  denseBackward,
  activationForward,
  activationBackward,
  softmaxCrossEntropy,
  crossEntropy,
  mse,
  sgdPlain,
  sgdMomentum,
  sgdNesterov,
  mlpForward,
  mlpLossAndGrads,
  mlpTrainStep,
} from './oracle.js';

// --- helpers -----------------------------------------------------------------

/** Deterministic PRNG (mulberry32) so failures are reproducible. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randArray(n: number, r: () => number, lo = -1, hi = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

/** Values in ±[0.1, 1.5], never near 0 (keeps relu away from its kink). */
function randAwayFromZero(n: number, r: () => number): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() < 0.5 ? -1 : 1) * (0.1 + 1.4 * r());
  return a;
}



/** ‖a - b‖ / max(‖a‖, ‖b‖, tiny). */
function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i]! - b[i]!) ** 2;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(na), Math.sqrt(nb), 1e-300);
}

function expectGradClose(analytic: ArrayLike<number>, numeric: ArrayLike<number>): void {
  // Guard against vacuous passes: the gradient must not be all zeros.
  let norm = 0;
  for (let i = 0; i < numeric.length; i++) norm += numeric[i]! * numeric[i]!;
  expect(norm).toBeGreaterThan(1e-12);
  expect(relError(analytic, numeric)).toBeLessThan(1e-6);
}

function expectArrayClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!), `index ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(tol);
  }
}

const ALL_ACTS: Act[] = ['relu', 'sigmoid', 'tanh', 'linear', 'softmax'];

// --- hand-computed cases -------------------------------------------------------

describe('gemm (hand-computed)', () => {
  const A = [1, 2, 3, 4]; // [[1,2],[3,4]]
  const B = [5, 6, 7, 8]; // [[5,6],[7,8]]

  it('nn 2x2: [[1,2],[3,4]]·[[5,6],[7,8]] = [[19,22],[43,50]]', () => {
    expect(Array.from(gemm('nn', 2, 2, 2, A, B))).toEqual([19, 22, 43, 50]);
  });

  it('tn 2x2: Aᵀ·B = [[26,30],[38,44]]', () => {
    expect(Array.from(gemm('tn', 2, 2, 2, A, B))).toEqual([26, 30, 38, 44]);
  });

  it('nt 2x2: A·Bᵀ = [[17,23],[39,53]]', () => {
    expect(Array.from(gemm('nt', 2, 2, 2, A, B))).toEqual([17, 23, 39, 53]);
  });

  it('nn rectangular 2x3 · 3x2', () => {
    // [[1,2,3],[4,5,6]] · [[1,0],[0,1],[-1,2]] = [[-2,8],[-2,17]]
    expect(Array.from(gemm('nn', 2, 2, 3, [1, 2, 3, 4, 5, 6], [1, 0, 0, 1, -1, 2]))).toEqual([-2, 8, -2, 17]);
  });

  it('tn rectangular: A stored 3x2 (k×m), m=2, n=1, k=3', () => {
    // A stored [[1,4],[2,5],[3,6]] so Aᵀ = [[1,2,3],[4,5,6]]; B = [1,0,-1]ᵀ -> [-2,-2]
    expect(Array.from(gemm('tn', 2, 1, 3, [1, 4, 2, 5, 3, 6], [1, 0, -1]))).toEqual([-2, -2]);
  });

  it('nt rectangular: B stored 1x3 (n×k), m=2, n=1, k=3', () => {
    expect(Array.from(gemm('nt', 2, 1, 3, [1, 2, 3, 4, 5, 6], [1, 0, -1]))).toEqual([-2, -2]);
  });

  it('outer product (k=1) and inner product (m=n=1)', () => {
    expect(Array.from(gemm('nn', 2, 3, 1, [1, 2], [3, 4, 5]))).toEqual([3, 4, 5, 6, 8, 10]);
    expect(Array.from(gemm('nn', 1, 1, 3, [1, 2, 3], [4, 5, 6]))).toEqual([32]);
  });

  it('rejects wrong input lengths', () => {
    expect(() => gemm('nn', 2, 2, 2, [1, 2, 3], B)).toThrow();
  });
});

describe('dense (hand-computed)', () => {
  it('forward: Y = X·W + b', () => {
    // X = [[1,2]], W = [[1,2,3],[4,5,6]], b = [0.5,-1,0]
    const y = denseForward([1, 2], 1, 2, [1, 2, 3, 4, 5, 6], [0.5, -1, 0], 3);
    expect(Array.from(y)).toEqual([9.5, 11, 15]);
    const y0 = denseForward([1, 2], 1, 2, [1, 2, 3, 4, 5, 6], null, 3);
    expect(Array.from(y0)).toEqual([9, 12, 15]);
  });

  it('backward: dW = Xᵀ·dY, db = column sums, dX = dY·Wᵀ', () => {
    // X = [[1,2],[3,4]], dY = [[1,0],[0,1]] (identity), W = [[1,2],[3,4]]
    const { dw, db, dx } = denseBackward([1, 2, 3, 4], [1, 0, 0, 1], [1, 2, 3, 4], 2, 2, 2);
    expect(Array.from(dw)).toEqual([1, 3, 2, 4]); // Xᵀ
    expect(Array.from(db)).toEqual([1, 1]);
    expect(Array.from(dx)).toEqual([1, 3, 2, 4]); // Wᵀ
  });
});

describe('activations (hand-computed)', () => {
  it('sigmoid(0) = 0.5, tanh(0) = 0, relu clips negatives, linear is identity', () => {
    expect(activationForward('sigmoid', [0], 1, 1)[0]).toBe(0.5);
    expect(activationForward('tanh', [0], 1, 1)[0]).toBe(0);
    expect(Array.from(activationForward('relu', [-2, 0, 3], 1, 3))).toEqual([0, 0, 3]);
    expect(Array.from(activationForward('linear', [-2, 0, 3], 1, 3))).toEqual([-2, 0, 3]);
  });

  it('sigmoid(ln 3) = 0.75 and tanh(ln 2) = 0.6', () => {
    expect(activationForward('sigmoid', [Math.log(3)], 1, 1)[0]).toBeCloseTo(0.75, 15);
    expect(activationForward('tanh', [Math.log(2)], 1, 1)[0]).toBeCloseTo(0.6, 15);
  });

  it('softmax of [0,0] = [0.5,0.5], row-wise', () => {
    expect(Array.from(activationForward('softmax', [0, 0], 1, 2))).toEqual([0.5, 0.5]);
    // two rows, each uniform regardless of the other row's values
    expect(Array.from(activationForward('softmax', [0, 0, 7, 7], 2, 2))).toEqual([0.5, 0.5, 0.5, 0.5]);
  });

  it('softmax of [0, ln 3] = [0.25, 0.75]', () => {
    const y = activationForward('softmax', [0, Math.log(3)], 1, 2);
    expectArrayClose(y, [0.25, 0.75], 1e-15);
  });

  it('softmax subtracts the row max (no overflow at 1000)', () => {
    // exact inputs (1001 is representable), so only exp/divide rounding remains
    const y = activationForward('softmax', [1000, 1000, 1001], 1, 3);
    const e = Math.E;
    expectArrayClose(y, [1 / (2 + e), 1 / (2 + e), e / (2 + e)], 1e-15);
    const far = activationForward('softmax', [-1000, 1000], 1, 2);
    expect(Array.from(far)).toEqual([0, 1]);
  });

  it('relu derivative is 0 at z <= 0 and 1 at z > 0', () => {
    const dz = activationBackward('relu', [-1, 0, 2], [0, 0, 2], [5, 5, 5], 1, 3);
    expect(Array.from(dz)).toEqual([0, 0, 5]);
  });

  it('sigmoid derivative at 0 is 0.25, tanh derivative at 0 is 1', () => {
    expect(activationBackward('sigmoid', [0], [0.5], [1], 1, 1)[0]).toBe(0.25);
    expect(activationBackward('tanh', [0], [0], [1], 1, 1)[0]).toBe(1);
  });
});

describe('losses (hand-computed)', () => {
  it('softmaxCrossEntropy of uniform logits is ln(classes); gradient is (1/C - onehot)/batch', () => {
    const r = softmaxCrossEntropy([0, 0, 0, 0, 5, 5, 5, 5], [2, 0], 2, 4, true);
    expect(r.loss).toBeCloseTo(Math.log(4), 14);
    expectArrayClose(r.dlogits, [0.125, 0.125, -0.375, 0.125, -0.375, 0.125, 0.125, 0.125], 1e-15);
  });

  it('softmaxCrossEntropy: index labels and one-hot labels agree', () => {
    const logits = [0.3, -1.2, 2.0, 0.7, 0.1, -0.4];
    const a = softmaxCrossEntropy(logits, [2, 0], 2, 3, true);
    const b = softmaxCrossEntropy(logits, [0, 0, 1, 1, 0, 0], 2, 3, false);
    expect(a.loss).toBe(b.loss);
    expect(Array.from(a.dlogits)).toEqual(Array.from(b.dlogits));
  });

  it('softmaxCrossEntropy of [0, ln 3] with label 1 is -ln 0.75', () => {
    const r = softmaxCrossEntropy([0, Math.log(3)], [1], 1, 2, true);
    expect(r.loss).toBeCloseTo(-Math.log(0.75), 15);
  });

  it('crossEntropy on probabilities: -mean log p[label]', () => {
    const r = crossEntropy([0.25, 0.75, 0.5, 0.5], [1, 0], 2, 2, true);
    expect(r.loss).toBeCloseTo(-(Math.log(0.75) + Math.log(0.5)) / 2, 15);
    expectArrayClose(r.dprobs, [0, -1 / (0.75 * 2), -1 / (0.5 * 2), 0], 1e-15);
  });

  it('mse: mean over all elements', () => {
    // y - t = [1, -2, 0, 3] -> sum sq = 14, n = 4
    const r = mse([1, 0, 5, 3], [0, 2, 5, 0], 4);
    expect(r.loss).toBe(3.5);
    expect(Array.from(r.dy)).toEqual([0.5, -1, 0, 1.5]);
  });

  it('rejects out-of-range class ids', () => {
    expect(() => softmaxCrossEntropy([0, 0], [2], 1, 2, true)).toThrow();
  });
});

// --- finite differences ----------------------------------------------------------

describe('finite differences', () => {
  it('denseBackward: dW, db, dX match central differences', () => {
    const r = rng(1);
    const batch = 3;
    const inSize = 4;
    const outSize = 5;
    const x = randArray(batch * inSize, r);
    const w = randArray(inSize * outSize, r);
    const b = randArray(outSize, r);
    const dy = randArray(batch * outSize, r); // L = Σ dy ⊙ Y
    const f = () => dot(dy, denseForward(x, batch, inSize, w, b, outSize));
    const g = denseBackward(x, dy, w, batch, inSize, outSize);
    expectGradClose(g.dw, numericGrad(f, w));
    expectGradClose(g.db, numericGrad(f, b));
    expectGradClose(g.dx, numericGrad(f, x));
  });

  for (const act of ALL_ACTS) {
    it(`activationBackward '${act}' matches central differences`, () => {
      const r = rng(100 + ALL_ACTS.indexOf(act));
      const batch = 3;
      const width = 4;
      const z = randAwayFromZero(batch * width, r);
      const dy = randArray(batch * width, r);
      const f = () => dot(dy, activationForward(act, z, batch, width));
      const y = activationForward(act, z, batch, width);
      const analytic = activationBackward(act, z, y, dy, batch, width);
      expectGradClose(analytic, numericGrad(f, z));
    });
  }

  it('softmaxCrossEntropy (index labels) matches central differences', () => {
    const r = rng(7);
    const batch = 4;
    const classes = 5;
    const logits = randArray(batch * classes, r, -3, 3);
    const labels = [0, 4, 2, 2];
    const f = () => softmaxCrossEntropy(logits, labels, batch, classes, true).loss;
    expectGradClose(softmaxCrossEntropy(logits, labels, batch, classes, true).dlogits, numericGrad(f, logits));
  });

  it('softmaxCrossEntropy (soft / one-hot labels) matches central differences', () => {
    const r = rng(8);
    const batch = 3;
    const classes = 4;
    const logits = randArray(batch * classes, r, -3, 3);
    // rows of a probability distribution (sum to 1)
    const labels = [0, 1, 0, 0, 0.2, 0.3, 0.5, 0, 0.25, 0.25, 0.25, 0.25];
    const f = () => softmaxCrossEntropy(logits, labels, batch, classes, false).loss;
    expectGradClose(softmaxCrossEntropy(logits, labels, batch, classes, false).dlogits, numericGrad(f, logits));
  });

  it('crossEntropy on probabilities matches central differences', () => {
    const r = rng(9);
    const batch = 3;
    const classes = 4;
    const probs = randArray(batch * classes, r, 0.1, 0.9);
    const labels = [1, 3, 0];
    const f = () => crossEntropy(probs, labels, batch, classes, true).loss;
    expectGradClose(crossEntropy(probs, labels, batch, classes, true).dprobs, numericGrad(f, probs));
  });

  it('mse matches central differences', () => {
    const r = rng(10);
    const n = 12;
    const y = randArray(n, r);
    const t = randArray(n, r);
    const f = () => mse(y, t, n).loss;
    expectGradClose(mse(y, t, n).dy, numericGrad(f, y));
  });

  function makeMlp(seed: number, sizes: number[], acts: Act[], withBias: boolean[]): OracleLayer[] {
    const r = rng(seed);
    return acts.map((act, l) => ({
      w: randArray(sizes[l]! * sizes[l + 1]!, r),
      b: withBias[l] ? randArray(sizes[l + 1]!, r) : null,
      inSize: sizes[l]!,
      outSize: sizes[l + 1]!,
      act,
    }));
  }

  function checkMlpGrads(
    layers: OracleLayer[],
    x: Float64Array,
    labels: number[],
    batch: number,
    loss: 'crossEntropy' | 'mse',
    labelsAreIndices: boolean,
  ): void {
    const f = () => mlpLossAndGrads(layers, x, labels, batch, loss, labelsAreIndices).loss;
    const g = mlpLossAndGrads(layers, x, labels, batch, loss, labelsAreIndices);
    for (let l = 0; l < layers.length; l++) {
      expectGradClose(g.dws[l]!, numericGrad(f, layers[l]!.w));
      const b = layers[l]!.b;
      if (b === null) expect(g.dbs[l]).toBeNull();
      else expectGradClose(g.dbs[l]!, numericGrad(f, b));
    }
  }

  it('mlpLossAndGrads: tanh → sigmoid → softmax with fused cross-entropy', () => {
    const layers = makeMlp(20, [3, 5, 4, 3], ['tanh', 'sigmoid', 'softmax'], [true, false, true]);
    const x = randArray(4 * 3, rng(21));
    checkMlpGrads(layers, x, [0, 2, 1, 2], 4, 'crossEntropy', true);
  });

  it('mlpLossAndGrads: relu → linear with mse', () => {
    const layers = makeMlp(30, [2, 6, 2], ['relu', 'linear'], [true, true]);
    const x = randArray(5 * 2, rng(31));
    const targets = Array.from(randArray(5 * 2, rng(32)));
    checkMlpGrads(layers, x, targets, 5, 'mse', false);
  });

  it('mlpLossAndGrads: sigmoid output with unfused cross-entropy, and softmax output with mse', () => {
    const a = makeMlp(40, [3, 4, 2], ['tanh', 'sigmoid'], [true, true]);
    checkMlpGrads(a, randArray(3 * 3, rng(41)), [1, 0, 1], 3, 'crossEntropy', true);
    const b = makeMlp(42, [3, 4, 3], ['relu', 'softmax'], [true, true]);
    checkMlpGrads(b, randArray(3 * 3, rng(43)), [0, 1, 0, 0, 0, 1, 1, 0, 0], 3, 'mse', false);
  });

  it('mlpForward: shapes and chaining', () => {
    const layers = makeMlp(50, [3, 4, 2], ['relu', 'softmax'], [true, true]);
    const x = randArray(2 * 3, rng(51));
    const { zs, ys } = mlpForward(layers, x, 2);
    expect(zs.map((z) => z.length)).toEqual([8, 4]);
    expect(ys.map((y) => y.length)).toEqual([8, 4]);
    expectArrayClose(zs[1]!, denseForward(ys[0]!, 2, 4, layers[1]!.w, layers[1]!.b, 2), 0);
    expect(ys[1]![0]! + ys[1]![1]!).toBeCloseTo(1, 15);
  });
});

// --- update rules and the founding document's numbers ---------------------------------

describe('update rules', () => {
  it('momentum step from the founding document: v=-0.03, g=0.5, lr=0.1, beta=0.9 → v=-0.077, w=1.923', () => {
    const w = Float64Array.of(2.0);
    const v = Float64Array.of(-0.03);
    sgdMomentum(w, v, [0.5], 0.1, 0.9);
    expect(v[0]).toBeCloseTo(-0.077, 15);
    expect(w[0]).toBeCloseTo(1.923, 15);
  });

  it('nesterov step: same inputs → v=-0.077, w = 2 + 0.9·(-0.077) - 0.05 = 1.8807', () => {
    const w = Float64Array.of(2.0);
    const v = Float64Array.of(-0.03);
    sgdNesterov(w, v, [0.5], 0.1, 0.9);
    expect(v[0]).toBeCloseTo(-0.077, 15);
    expect(w[0]).toBeCloseTo(1.8807, 15);
  });

  it('plain step: w = 2 - 0.1·0.5 = 1.95', () => {
    const w = Float64Array.of(2.0);
    sgdPlain(w, [0.5], 0.1);
    expect(w[0]).toBeCloseTo(1.95, 15);
  });
});

describe('linear regression y = 2x (founding document)', () => {
  // X = [1,2,3,4], t = 2x, one weight w0 = 0, no bias, MSE mean over the 4 samples,
  // lr 0.01, beta 0.9, 200 full-batch steps. Gradient is 15·(w - 2).
  const x = [1, 2, 3, 4];
  const t = [2, 4, 6, 8];
  const makeLayer = (): OracleLayer => ({ w: Float64Array.of(0), b: null, inSize: 1, outSize: 1, act: 'linear' });

  it('momentum: w = 2.0000341922569422 after 200 steps', () => {
    const layer = makeLayer();
    const velocities = [new Float64Array(1)];
    const losses: number[] = [];
    for (let i = 0; i < 200; i++) {
      losses.push(mlpTrainStep([layer], velocities, x, t, 4, 'mse', false, 'momentum', 0.01, 0.9));
    }
    expect(losses[0]).toBe(30); // (4 + 16 + 36 + 64) / 4, loss before the first update
    expect(Math.abs(layer.w[0]! - 2.0000341922569422)).toBeLessThanOrEqual(1e-12);
  });

  it('plain GD: w = 1.9999999999999847 after 200 steps (closed form 2 - 2·0.85^200)', () => {
    const layer = makeLayer();
    for (let i = 0; i < 200; i++) mlpTrainStep([layer], [], x, t, 4, 'mse', false, 'plain', 0.01, 0.9);
    expect(Math.abs(layer.w[0]! - 1.9999999999999847)).toBeLessThanOrEqual(1e-12);
    // independent closed form: error shrinks by (1 - lr·15) = 0.85 per step
    expect(Math.abs(layer.w[0]! - (2 - 2 * 0.85 ** 200))).toBeLessThanOrEqual(1e-12);
  });

  it('first momentum step by hand: g = 15·(0 - 2) = -30, v = 0.3, w = 0.3', () => {
    const layer = makeLayer();
    const velocities = [new Float64Array(1)];
    mlpTrainStep([layer], velocities, x, t, 4, 'mse', false, 'momentum', 0.01, 0.9);
    expect(velocities[0]![0]).toBeCloseTo(0.3, 15);
    expect(layer.w[0]).toBeCloseTo(0.3, 15);
  });

  it('mlpTrainStep requires one velocity per parameter for momentum', () => {
    expect(() => mlpTrainStep([makeLayer()], [], x, t, 4, 'mse', false, 'momentum', 0.01, 0.9)).toThrow();
  });
});

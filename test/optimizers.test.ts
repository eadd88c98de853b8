// Issue 6's reference tests for the optimizers, in both builds: every update rule step by step
// against a float64 transcription of the algorithm its documentation gives (torch.optim.SGD,
// torch.optim.Adam, Keras's SGD, Keras 3's decoupled weight decay, global-norm and value
// clipping), the values of TensorFlow.js's and Keras's optimizer unit tests worked out by hand,
// the schedules at known steps, and the arguments the optimizers refuse.
import { describe, it, expect, beforeAll } from 'vitest';
import {
  SGD, Adam, InvalidArgumentError, stepDecay, exponentialDecay, cosineDecay, linearWarmup, dense,
  type Kernels, type Optimizer, type Parameter,
} from '../src/index.js';
import { kernelsUnderTest, seeded, closeness } from './helpers.js';
import { sameBits } from './model-helpers.js';

let k: Kernels;
beforeAll(async () => {
  k = await kernelsUnderTest();
});

// ------------------------------------------------------------------ float64 references

interface State {
  w: Float64Array[];
  /** SGD: the velocity (seed) or momentum buffer (pytorch); Adam: the first moment */
  s1: Float64Array[];
  /** Adam: the second moment */
  s2: Float64Array[];
}
/** one update of every parameter; t is the optimizer's step number, 0 for the first update */
type Reference = (st: State, grads: Float64Array[], t: number) => void;
type Lr = number | ((t: number) => number);
const lrAt = (lr: Lr, t: number) => (typeof lr === 'number' ? lr : lr(t));

/** clipping happens to the raw gradients, before any optimizer sees them: first the global norm
 *  over all parameters (Keras global_clipnorm, torch.nn.utils.clip_grad_norm_), then each value */
function clipped(grads: Float64Array[], clipNorm?: number, clipValue?: number): Float64Array[] {
  const out = grads.map((g) => Float64Array.from(g));
  if (clipNorm !== undefined) {
    let ss = 0;
    for (const g of out) for (const v of g) ss += v * v;
    const norm = Math.sqrt(ss);
    if (norm > clipNorm) for (const g of out) for (let i = 0; i < g.length; i++) g[i]! *= clipNorm / norm;
  }
  if (clipValue !== undefined) for (const g of out) for (let i = 0; i < g.length; i++) g[i] = Math.min(Math.max(g[i]!, -clipValue), clipValue);
  return out;
}

/**
 * torch.optim.SGD, as its documentation writes the algorithm:
 *   g_t ← ∇f(θ_{t−1});  if λ ≠ 0: g_t ← g_t + λ θ_{t−1}
 *   if μ ≠ 0: b_t ← (t > 1) ? μ b_{t−1} + (1 − τ) g_t : g_t
 *             g_t ← nesterov ? g_t + μ b_t : b_t
 *   θ_t ← θ_{t−1} − γ g_t
 */
function torchSgd(o: { lr: Lr; momentum?: number; dampening?: number; weightDecay?: number; nesterov?: boolean; clipNorm?: number; clipValue?: number }): Reference {
  const mu = o.momentum ?? 0, tau = o.dampening ?? 0, wd = o.weightDecay ?? 0;
  return (st, grads, t) => {
    const lr = lrAt(o.lr, t);
    clipped(grads, o.clipNorm, o.clipValue).forEach((g0, p) => {
      const w = st.w[p]!, b = st.s1[p]!;
      for (let i = 0; i < w.length; i++) {
        let g = g0[i]!;
        if (wd !== 0) g = g + wd * w[i]!;
        if (mu !== 0) {
          b[i] = t > 0 ? mu * b[i]! + (1 - tau) * g : g;
          g = o.nesterov ? g + mu * b[i]! : b[i]!;
        }
        w[i] = w[i]! - lr * g;
      }
    });
  };
}

/**
 * Keras's SGD (the seed's form), as its documentation writes it:
 *   velocity = momentum * velocity - learning_rate * g;  w = w + velocity
 *   nesterov: velocity = momentum * velocity - learning_rate * g;  w = w + momentum * velocity - learning_rate * g
 * with coupled weight decay g ← g + wd·w, or Keras 3's decoupled form, applied to the variable
 * before the update: w ← w − learning_rate · wd · w.
 */
function seedSgd(o: { lr: Lr; momentum?: number; weightDecay?: number; decoupled?: boolean; nesterov?: boolean; clipNorm?: number; clipValue?: number }): Reference {
  const mu = o.momentum ?? 0, wd = o.weightDecay ?? 0;
  return (st, grads, t) => {
    const lr = lrAt(o.lr, t);
    clipped(grads, o.clipNorm, o.clipValue).forEach((g0, p) => {
      const w = st.w[p]!, v = st.s1[p]!;
      for (let i = 0; i < w.length; i++) {
        let g = g0[i]!;
        if (wd !== 0 && !o.decoupled) g += wd * w[i]!;
        if (wd !== 0 && o.decoupled) w[i] = w[i]! - lr * wd * w[i]!;
        if (mu === 0) { w[i] = w[i]! - lr * g; continue; }
        v[i] = mu * v[i]! - lr * g;
        w[i] = o.nesterov ? w[i]! + mu * v[i]! - lr * g : w[i]! + v[i]!;
      }
    });
  };
}

/**
 * torch.optim.Adam, as its documentation writes the algorithm (amsgrad off):
 *   if λ ≠ 0: g_t ← g_t + λ θ_{t−1}
 *   m_t ← β1 m_{t−1} + (1 − β1) g_t;   v_t ← β2 v_{t−1} + (1 − β2) g_t²
 *   m̂_t ← m_t / (1 − β1^t);   v̂_t ← v_t / (1 − β2^t)
 *   θ_t ← θ_{t−1} − γ m̂_t / (√v̂_t + ε)
 */
function torchAdam(o: { lr: Lr; beta1?: number; beta2?: number; epsilon?: number; weightDecay?: number; clipNorm?: number; clipValue?: number }): Reference {
  const b1 = o.beta1 ?? 0.9, b2 = o.beta2 ?? 0.999, eps = o.epsilon ?? 1e-8, wd = o.weightDecay ?? 0;
  return (st, grads, t0) => {
    const t = t0 + 1, lr = lrAt(o.lr, t0);
    clipped(grads, o.clipNorm, o.clipValue).forEach((g0, p) => {
      const w = st.w[p]!, m = st.s1[p]!, v = st.s2[p]!;
      for (let i = 0; i < w.length; i++) {
        let g = g0[i]!;
        if (wd !== 0) g += wd * w[i]!;
        m[i] = b1 * m[i]! + (1 - b1) * g;
        v[i] = b2 * v[i]! + (1 - b2) * g * g;
        const mh = m[i]! / (1 - Math.pow(b1, t)), vh = v[i]! / (1 - Math.pow(b2, t));
        w[i] = w[i]! - (lr * mh) / (Math.sqrt(vh) + eps);
      }
    });
  };
}

// ------------------------------------------------------------------ harness

const f64 = (a: ArrayLike<number>) => Float64Array.from(a);
/** the optimizer's own state tensor `i` (in stateNames order) for p, or zeros where it keeps none
 *  (yet): read without creating it */
const stateTensor = (opt: Optimizer, p: Parameter, i: number): Float32Array => {
  const name = opt.stateNames[i];
  return name !== undefined && opt.hasState(p) ? opt.state(p)[name]! : new Float32Array(p.size);
};
const stateOf = (opt: Optimizer, ps: Parameter[]): State => ({
  w: ps.map((p) => f64(p.value)),
  s1: ps.map((p) => f64(stateTensor(opt, p, 0))),
  s2: ps.map((p) => f64(stateTensor(opt, p, 1))),
});

/** float32 rounding of one step: values of order 1 change in their last bits */
const STEP_ATOL = 2e-6, STEP_RTOL = 2e-6;

/**
 * Runs `steps` updates of `opt` on parameters of the given sizes (SIMD body and scalar tail) with
 * seeded gradients, and checks every step two ways: from the optimizer's own float32 state, one
 * reference step must land on the new state (tight: float32 rounding of one step); and a float64
 * trajectory run alongside from the same start must stay close (looser: rounding accumulates).
 * Returns the parameters for further checks.
 */
function follow(opt: Optimizer, ref: Reference, o: { sizes?: number[]; steps?: number; gradScale?: number; drift?: number; grads?: (t: number, st: State) => Float64Array[] } = {}): Parameter[] {
  const sizes = o.sizes ?? [17, 5];
  const steps = o.steps ?? 12;
  const ps = sizes.map((n, i) => k.parameter(seeded(n, 100 + i, 1.5), `p${i}`));
  const long = stateOf(opt, ps);
  for (let t = 0; t < steps; t++) {
    const grads = o.grads ? o.grads(t, stateOf(opt, ps)) : sizes.map((n, i) => f64(seeded(n, 1000 * t + 7 * i + 1, o.gradScale ?? 1)));
    ps.forEach((p, i) => p.grad.set(grads[i]!));
    const one = stateOf(opt, ps);
    const g32 = ps.map((p) => f64(p.grad)); // the float32 gradients the kernels see
    ref(one, g32.map((g) => Float64Array.from(g)), t);
    ref(long, g32, t);
    opt.step(ps);
    expect(opt.iterations).toBe(t + 1);
    const now = stateOf(opt, ps);
    for (const key of ['w', 's1', 's2'] as const) {
      now[key].forEach((a, i) => {
        expect(closeness(a, one[key][i]!, STEP_ATOL, STEP_RTOL), `${key}[${i}] after step ${t + 1}`).toBeLessThanOrEqual(1);
        expect(closeness(a, long[key][i]!, o.drift ?? 1e-5, o.drift ?? 1e-5), `${key}[${i}] vs the float64 run after step ${t + 1}`).toBeLessThanOrEqual(1);
      });
    }
  }
  return ps;
}
const dispose = (ps: Parameter[]) => ps.forEach((p) => p.dispose());

/** runs fn, expecting an InvalidArgumentError for `argument` whose message matches */
function rejects(fn: () => unknown, argument: string, expected: RegExp): void {
  let err: unknown;
  try { fn(); } catch (e) { err = e; }
  expect(err, `expected an InvalidArgumentError for ${argument}`).toBeInstanceOf(InvalidArgumentError);
  expect((err as InvalidArgumentError).argument).toBe(argument);
  expect((err as Error).message).toMatch(expected);
}

/** one update of a single parameter holding `w` with gradient `g`; returns the parameter */
function stepOnce(opt: Optimizer, p: Parameter, g: ArrayLike<number>): Parameter {
  p.grad.set(g);
  opt.step([p]);
  return p;
}

// ------------------------------------------------------------------ torch.optim.SGD

describe("convention 'pytorch': torch.optim.SGD's documented algorithm, step by step", () => {
  const cases: Array<[string, Parameters<typeof torchSgd>[0]]> = [
    ['plain (momentum 0)', { lr: 0.1 }],
    ['momentum 0.9', { lr: 0.05, momentum: 0.9 }],
    ['momentum 0.9, dampening 0.3 (the first step is not damped)', { lr: 0.05, momentum: 0.9, dampening: 0.3 }],
    ['Nesterov, momentum 0.8', { lr: 0.05, momentum: 0.8, nesterov: true }],
    ['weight decay 0.1 added to the gradient, momentum 0.9', { lr: 0.05, momentum: 0.9, weightDecay: 0.1 }],
    ['weight decay 0.05 without momentum', { lr: 0.1, weightDecay: 0.05 }],
    ['everything: Nesterov, weight decay, clipNorm and clipValue', { lr: 0.03, momentum: 0.7, nesterov: true, weightDecay: 0.02, clipNorm: 1.5, clipValue: 0.4 }],
    ['a stepDecay learning rate with dampening', { lr: stepDecay(0.1, 0.5, 4), momentum: 0.9, dampening: 0.5 }],
  ];
  for (const [name, o] of cases) {
    it(name, () => {
      const opt = new SGD({ learningRate: o.lr, momentum: o.momentum, dampening: o.dampening, weightDecay: o.weightDecay, nesterov: o.nesterov, clipNorm: o.clipNorm, clipValue: o.clipValue, convention: 'pytorch' });
      dispose(follow(opt, torchSgd(o), { sizes: [17, 5, 1], steps: 14 }));
    });
  }

  it('the buffer is the gradient itself after the first step (dampening does not apply to it), momentum 0 keeps no buffer', () => {
    const opt = new SGD({ learningRate: 0.5, momentum: 0.9, dampening: 0.5, convention: 'pytorch' });
    const p = stepOnce(opt, k.parameter([1, 2, 3, 4, 5]), [0.5, -1, 2, 0.25, -4]);
    expect(Array.from(opt.state(p).velocity)).toEqual([0.5, -1, 2, 0.25, -4]);
    expect(Array.from(p.value)).toEqual([0.75, 2.5, 2, 3.875, 7]);
    // second step: b = 0.9 b + 0.5 g, w -= 0.5 b
    stepOnce(opt, p, [1, 1, 1, 1, 1]);
    expect(closeness(opt.state(p).velocity, [0.95, -0.4, 2.3, 0.725, -3.1], 1e-7, 1e-6)).toBeLessThanOrEqual(1);
    expect(closeness(p.value, [0.275, 2.7, 0.85, 3.5125, 8.55], 1e-6, 1e-6)).toBeLessThanOrEqual(1);
    const plain = new SGD({ learningRate: 0.5, convention: 'pytorch' });
    const q = stepOnce(plain, k.parameter([1, 2]), [1, 1]);
    expect(Array.from(q.value)).toEqual([0.5, 1.5]);
    expect(plain.hasState(q), 'momentum 0 keeps no buffer').toBe(false);
    expect(Array.from(plain.state(q).velocity)).toEqual([0, 0]);
    p.dispose(); q.dispose();
  });

  it("the buffer is born per parameter, as torch's per-parameter state: a parameter this optimizer has not stepped yet starts from its gradient", () => {
    const opt = new SGD({ learningRate: 0.5, momentum: 0.9, dampening: 0.5, convention: 'pytorch' });
    const p = stepOnce(opt, k.parameter([1, 2]), [1, 1]);
    stepOnce(opt, p, [1, 1]);
    // a second parameter, first stepped at the optimizer's third update: b = g, not (1 - dampening) g
    const q = stepOnce(opt, k.parameter([1, 2]), [2, -2]);
    expect(Array.from(opt.state(q).velocity)).toEqual([2, -2]);
    expect(Array.from(q.value)).toEqual([0, 3]);
    // a momentum-0 step keeps no buffer, so the first step with momentum still starts from g
    const sched = new SGD({ learningRate: 0.5, momentum: (t: number) => (t === 0 ? 0 : 0.9), dampening: 0.5, convention: 'pytorch' });
    const r = stepOnce(sched, k.parameter([1, 2]), [1, 1]);
    expect(sched.hasState(r), 'no buffer after a momentum-0 step').toBe(false);
    stepOnce(sched, r, [4, 4]);
    expect(Array.from(sched.state(r).velocity)).toEqual([4, 4]);
    p.dispose(); q.dispose(); r.dispose();
  });
});

// ------------------------------------------------------------------ the seed's form (Keras)

describe("convention 'seed' (default): Keras's SGD, step by step", () => {
  const cases: Array<[string, Parameters<typeof seedSgd>[0]]> = [
    ['plain (momentum 0)', { lr: 0.1 }],
    ['momentum 0.9', { lr: 0.05, momentum: 0.9 }],
    ['Nesterov: w += beta v - lr g', { lr: 0.05, momentum: 0.9, nesterov: true }],
    ['coupled weight decay (added to the gradient, inside the velocity)', { lr: 0.05, momentum: 0.9, weightDecay: 0.1 }],
    ['decoupled weight decay (Keras 3: w -= lr wd w before the update)', { lr: 0.05, momentum: 0.9, weightDecay: 0.1, decoupled: true }],
    ['decoupled weight decay with Nesterov', { lr: 0.05, momentum: 0.5, nesterov: true, weightDecay: 0.2, decoupled: true }],
    ['decoupled weight decay without momentum', { lr: 0.1, weightDecay: 0.3, decoupled: true }],
    ['an exponentialDecay learning rate', { lr: exponentialDecay(0.1, 0.5, 5), momentum: 0.9 }],
  ];
  for (const [name, o] of cases) {
    it(name, () => {
      const opt = new SGD({ learningRate: o.lr, momentum: o.momentum, weightDecay: o.weightDecay, decoupledWeightDecay: o.decoupled, nesterov: o.nesterov });
      expect(opt.convention).toBe('seed');
      dispose(follow(opt, seedSgd(o), { sizes: [17, 5, 1], steps: 14 }));
    });
  }

  it('decoupled weight decay is not the coupled one: with a zero gradient only the decoupled form leaves the velocity at 0', () => {
    const coupled = new SGD({ learningRate: 0.5, momentum: 0.9, weightDecay: 0.1 });
    const decoupled = new SGD({ learningRate: 0.5, momentum: 0.9, weightDecay: 0.1, decoupledWeightDecay: true });
    const a = stepOnce(coupled, k.parameter([2, -4]), [0, 0]), b = stepOnce(decoupled, k.parameter([2, -4]), [0, 0]);
    // coupled: v = -0.5 · 0.1 · w = [-0.1, 0.2], w = [1.9, -3.8]
    expect(closeness(coupled.state(a).velocity, [-0.1, 0.2], 1e-7, 1e-6)).toBeLessThanOrEqual(1);
    expect(closeness(a.value, [1.9, -3.8], 1e-7, 1e-6)).toBeLessThanOrEqual(1);
    // decoupled: w = w − 0.5 · 0.1 · w = [1.9, -3.8] too, but nothing enters the velocity
    expect(Array.from(decoupled.state(b).velocity)).toEqual([0, 0]);
    expect(closeness(b.value, [1.9, -3.8], 1e-7, 1e-6)).toBeLessThanOrEqual(1);
    // so the second zero-gradient step differs: coupled carries momentum, decoupled only decays
    stepOnce(coupled, a, [0, 0]); stepOnce(decoupled, b, [0, 0]);
    // coupled: v = 0.9 · -0.1 − 0.05 · 1.9 = -0.185, w = 1.715; decoupled: w = 1.9 · 0.95 = 1.805
    expect(closeness(a.value, [1.715, -3.43], 1e-6, 1e-6)).toBeLessThanOrEqual(1);
    expect(closeness(b.value, [1.805, -3.61], 1e-6, 1e-6)).toBeLessThanOrEqual(1);
    a.dispose(); b.dispose();
  });
});

// ------------------------------------------------------------------ torch.optim.Adam

describe('Adam: torch.optim.Adam with bias correction, step by step', () => {
  const cases: Array<[string, Parameters<typeof torchAdam>[0]]> = [
    ['defaults (lr 0.001, betas 0.9 / 0.999, eps 1e-8)', { lr: 0.001 }],
    ['lr 0.1, betas 0.8 / 0.9, eps 1e-6', { lr: 0.1, beta1: 0.8, beta2: 0.9, epsilon: 1e-6 }],
    ['weight decay 0.1 added to the gradient', { lr: 0.05, weightDecay: 0.1 }],
    ['clipNorm and clipValue', { lr: 0.05, clipNorm: 1, clipValue: 0.3 }],
    ['a cosineDecay learning rate', { lr: cosineDecay(0.1, 10, 0.01) }],
  ];
  for (const [name, o] of cases) {
    it(name, () => {
      const opt = new Adam({ learningRate: o.lr, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon, weightDecay: o.weightDecay, clipNorm: o.clipNorm, clipValue: o.clipValue });
      dispose(follow(opt, torchAdam(o), { sizes: [17, 5, 1], steps: 14 }));
    });
  }

  it('the first step moves every weight by about lr against its gradient (m̂ = g, v̂ = g²)', () => {
    const p = stepOnce(new Adam({ learningRate: 0.01 }), k.parameter([1, 1, 1, 1, 1]), [3, -0.5, 1e-3, -200, 7]);
    // lr · g / (|g| + 1e-8): 1e-3 loses 1e-5 of its step to epsilon
    expect(closeness(p.value, [0.99, 1.01, 0.99 + 1e-7, 1.01, 0.99], 2e-7, 0)).toBeLessThanOrEqual(1);
    p.dispose();
  });
});

// ------------------------------------------------------------------ published values

describe("values from Keras's and TensorFlow.js's optimizer tests, worked by hand from the documented formulas", () => {
  it("Keras / TensorFlow momentum test: var0 [1, 2], var1 [3, 4], grads 0.1 and 0.01, lr 2, momentum 0.9", () => {
    // (tf.keras gradient_descent_test testMomentum, tf.compat.v1 momentum_test)
    // step 1: the accumulators are 0, so a plain step: var0 = [1 − 0.1·2, 2 − 0.1·2] = [0.8, 1.8],
    //         var1 = [3 − 0.01·2, 4 − 0.01·2] = [2.98, 3.98]
    // step 2: var0 = [1 − 0.2 − (0.9·0.1 + 0.1)·2, …] = [0.42, 1.42]
    //         var1 = [2.98 − (0.9·0.01 + 0.01)·2, 3.98 − …] = [2.942, 3.942]
    for (const convention of ['seed', 'pytorch'] as const) {
      const opt = new SGD({ learningRate: 2, momentum: 0.9, convention });
      const var0 = k.parameter([1, 2]), var1 = k.parameter([3, 4]);
      var0.grad.set([0.1, 0.1]); var1.grad.set([0.01, 0.01]);
      opt.step([var0, var1]);
      expect(closeness(var0.value, [0.8, 1.8], 1e-6, 1e-6), convention).toBeLessThanOrEqual(1);
      expect(closeness(var1.value, [2.98, 3.98], 1e-6, 1e-6), convention).toBeLessThanOrEqual(1);
      opt.step([var0, var1]);
      expect(closeness(var0.value, [0.42, 1.42], 1e-6, 1e-6), convention).toBeLessThanOrEqual(1);
      expect(closeness(var1.value, [2.942, 3.942], 1e-6, 1e-6), convention).toBeLessThanOrEqual(1);
      var0.dispose(); var1.dispose();
    }
  });

  it("Keras / TensorFlow Nesterov test: loss 5·var0² + 3·var1, lr 2, momentum 0.9, against their numpy helper", () => {
    // the tests' helper: accum = accum · momentum − g · lr;  var += accum · momentum − g · lr
    // (grads: 10·var0 and 3). Step 1 by hand: var0 = [1, 2], g = [10, 20], accum = [-20, -40],
    // var0 = [1 − 18 − 20, 2 − 36 − 40] = [-37, -74]; var1: g = 3, accum = -6, var1 = [3 − 5.4 − 6, 4 − 11.4] = [-8.4, -7.4]
    const opt = new SGD({ learningRate: 2, momentum: 0.9, nesterov: true });
    const var0 = k.parameter([1, 2]), var1 = k.parameter([3, 4]);
    const n0 = [1, 2], n1 = [3, 4], a0 = [0, 0], a1 = [0, 0];
    const helper = (v: number[], a: number[], g: number[]) => v.forEach((_, i) => { a[i] = a[i]! * 0.9 - g[i]! * 2; v[i] = v[i]! + a[i]! * 0.9 - g[i]! * 2; });
    for (let t = 0; t < 3; t++) {
      const g0 = Array.from(var0.value, (w) => 10 * w);
      var0.grad.set(g0); var1.grad.set([3, 3]);
      helper(n0, a0, g0); helper(n1, a1, [3, 3]);
      opt.step([var0, var1]);
      expect(closeness(var0.value, n0, 1e-5, 1e-6), `var0 after step ${t + 1}`).toBeLessThanOrEqual(1);
      expect(closeness(var1.value, n1, 1e-5, 1e-6), `var1 after step ${t + 1}`).toBeLessThanOrEqual(1);
      if (t === 0) {
        expect(closeness(var0.value, [-37, -74], 1e-5, 1e-6)).toBeLessThanOrEqual(1);
        expect(closeness(var1.value, [-8.4, -7.4], 1e-5, 1e-6)).toBeLessThanOrEqual(1);
      }
    }
    var0.dispose(); var1.dispose();
  });

  it('Keras SGD single step: lr 0.5, grads [1, 6, 7, 2], vars [1, 2, 3, 4] → [0.5, -1, -0.5, 3]', () => {
    // w − 0.5 g, exactly representable
    const p = stepOnce(new SGD({ learningRate: 0.5 }), k.parameter([1, 2, 3, 4]), [1, 6, 7, 2]);
    expect(Array.from(p.value)).toEqual([0.5, -1, -0.5, 3]);
    p.dispose();
  });

  it('Keras Adam single step: lr 0.5, grads [1, 6, 7, 2], vars [1, 2, 3, 4] → [0.5, 1.5, 2.5, 3.5]', () => {
    // the first bias-corrected step is lr · g / (|g| + ε) ≈ lr for every element. Keras checks
    // to 1e-4; float32 holds 1 − β2 = 0.001 only to about 1e-5 relative (as in PyTorch, where the
    // moments are float32 and the bias correction a double), so the step is 0.5 to a few 1e-6
    const p = stepOnce(new Adam({ learningRate: 0.5 }), k.parameter([1, 2, 3, 4]), [1, 6, 7, 2]);
    expect(closeness(p.value, [0.5, 1.5, 2.5, 3.5], 1e-5, 0)).toBeLessThanOrEqual(1);
    p.dispose();
  });

  // TensorFlow.js's tests minimise f(x) = Σ x² from x = [1, 2], so the gradient is 2x
  const minimiseSquares = (opt: Optimizer, x0: number[], steps: number): number[][] => {
    const x = k.parameter(x0);
    const out: number[][] = [];
    for (let t = 0; t < steps; t++) { stepOnce(opt, x, Array.from(x.value, (v) => 2 * v)); out.push(Array.from(x.value)); }
    x.dispose();
    return out;
  };

  it('TensorFlow.js sgd: lr 0.1 → [0.8, 1.6], then [0.64, 1.28]', () => {
    // de/dx = [2, 4]: x = [0.8, 1.6];  de/dx = [1.6, 3.2]: x = [0.64, 1.28]
    const [s1, s2] = minimiseSquares(new SGD({ learningRate: 0.1 }), [1, 2], 2);
    expect(closeness(s1!, [0.8, 1.6], 1e-6, 1e-6)).toBeLessThanOrEqual(1);
    expect(closeness(s2!, [0.64, 1.28], 1e-6, 1e-6)).toBeLessThanOrEqual(1);
  });

  it('TensorFlow.js momentum: lr 0.1, momentum 0.5 → [0.8, 1.6], then [0.54, 1.08] (both conventions)', () => {
    // accumulation = momentum · accumulation + g;  x −= lr · accumulation  (the PyTorch form)
    // de/dx = [2, 4]: acc = [2, 4], x = [0.8, 1.6];  de/dx = [1.6, 3.2]: acc = [2.6, 5.2], x = [0.54, 1.08]
    for (const convention of ['seed', 'pytorch'] as const) {
      const [s1, s2] = minimiseSquares(new SGD({ learningRate: 0.1, momentum: 0.5, convention }), [1, 2], 2);
      expect(closeness(s1!, [0.8, 1.6], 1e-6, 1e-6), convention).toBeLessThanOrEqual(1);
      expect(closeness(s2!, [0.54, 1.08], 1e-6, 1e-6), convention).toBeLessThanOrEqual(1);
    }
  });

  it('TensorFlow.js momentum with Nesterov: lr 0.1, momentum 0.5 → [0.7, 1.4], then [0.44, 0.88] (both conventions)', () => {
    // x −= lr · (momentum · acc_new + g)
    // de/dx = [2, 4]: acc = [2, 4], x = [1, 2] − 0.1 · ([1, 2] + [2, 4]) = [0.7, 1.4]
    // de/dx = [1.4, 2.8]: acc = [2.4, 4.8], x = [0.7, 1.4] − 0.1 · ([1.2, 2.4] + [1.4, 2.8]) = [0.44, 0.88]
    for (const convention of ['seed', 'pytorch'] as const) {
      const [s1, s2] = minimiseSquares(new SGD({ learningRate: 0.1, momentum: 0.5, nesterov: true, convention }), [1, 2], 2);
      expect(closeness(s1!, [0.7, 1.4], 1e-6, 1e-6), convention).toBeLessThanOrEqual(1);
      expect(closeness(s2!, [0.44, 0.88], 1e-6, 1e-6), convention).toBeLessThanOrEqual(1);
    }
  });

  it('TensorFlow.js adam: lr 0.1, beta1 0.8, beta2 0.9, x = [2, 4] → [1.9, 3.9] after the first step', () => {
    // the first step moves each weight by lr (m̂ = g, v̂ = g²); the second, worked by hand for x[0]:
    // g = 3.8, m = 0.8 · 0.8 + 0.2 · 3.8 = 1.4, v = 0.9 · 1.6 + 0.1 · 14.44 = 2.884,
    // m̂ = 1.4 / 0.36, v̂ = 2.884 / 0.19, x = 1.9 − 0.1 · m̂ / √v̂ = 1.80018…
    const [s1, s2] = minimiseSquares(new Adam({ learningRate: 0.1, beta1: 0.8, beta2: 0.9 }), [2, 4], 2);
    expect(closeness(s1!, [1.9, 3.9], 1e-6, 1e-6)).toBeLessThanOrEqual(1);
    const x0 = 1.9 - (0.1 * (1.4 / 0.36)) / (Math.sqrt(2.884 / 0.19) + 1e-8);
    expect(x0).toBeCloseTo(1.80018, 5);
    expect(Math.abs(s2![0]! - x0)).toBeLessThan(2e-6);
  });
});

// ------------------------------------------------------------------ clipping

describe('clipping', () => {
  it('clipNorm scales all gradients together by clipNorm / (global L2 norm over every parameter)', () => {
    // two parameters: g1 = [3, 4] (norm 5), g2 = [12] (norm 12): global norm 13
    const opt = new SGD({ learningRate: 1, clipNorm: 6.5 });
    const a = k.parameter([0, 0]), b = k.parameter([0]);
    a.grad.set([3, 4]); b.grad.set([12]);
    opt.step([a, b]);
    // scale 6.5 / 13 = 0.5 for both, not per tensor (per tensor, a would be unclipped)
    expect(closeness(a.value, [-1.5, -2], 1e-7, 1e-6)).toBeLessThanOrEqual(1);
    expect(closeness(b.value, [-6], 1e-7, 1e-6)).toBeLessThanOrEqual(1);
    // below the bound nothing changes
    const c = k.parameter([0, 0]);
    stepOnce(new SGD({ learningRate: 1, clipNorm: 5.5 }), c, [3, 4]);
    expect(Array.from(c.value)).toEqual([-3, -4]);
    a.dispose(); b.dispose(); c.dispose();
  });

  it('clipNorm over a large parameter and many steps, with momentum (both conventions)', () => {
    for (const convention of ['seed', 'pytorch'] as const) {
      const opt = new SGD({ learningRate: 0.02, momentum: 0.9, clipNorm: 2, convention });
      const ref = convention === 'seed' ? seedSgd({ lr: 0.02, momentum: 0.9, clipNorm: 2 }) : torchSgd({ lr: 0.02, momentum: 0.9, clipNorm: 2 });
      dispose(follow(opt, ref, { sizes: [1031, 33, 3], steps: 6, gradScale: 3 }));
    }
  });

  it('clipValue clamps every element to [-clipValue, clipValue], body and tail', () => {
    const g = [5, -5, 0.25, -0.1, 3, -2, 0.3, 1];
    const p = stepOnce(new SGD({ learningRate: 1, clipValue: 0.3 }), k.parameter(new Array(8).fill(0)), g);
    expect(closeness(p.value, [-0.3, 0.3, -0.25, 0.1, -0.3, 0.3, -0.3, -0.3], 1e-7, 1e-6)).toBeLessThanOrEqual(1);
    const q = stepOnce(new SGD({ learningRate: 1, clipValue: 0.3 }), k.parameter(new Array(5).fill(0)), g.slice(0, 5));
    expect(closeness(q.value, [-0.3, 0.3, -0.25, 0.1, -0.3], 1e-7, 1e-6)).toBeLessThanOrEqual(1);
    p.dispose(); q.dispose();
  });

  it('clipping acts on the raw gradient: coupled weight decay is added after it', () => {
    // g = 10 clipped to 1, then + 0.5 · w (w = 4): 3, w = 4 − 0.1 · 3 = 3.7
    const p = stepOnce(new SGD({ learningRate: 0.1, clipValue: 1, weightDecay: 0.5, convention: 'pytorch' }), k.parameter([4]), [10]);
    expect(p.value[0]).toBeCloseTo(3.7, 6);
    p.dispose();
  });
});

// ------------------------------------------------------------------ the two conventions

describe("'seed' and 'pytorch' conventions", () => {
  // Without dampening or weight decay, at a constant rate lr, the seed's velocity is always
  // −lr times PyTorch's buffer: v₁ = −lr g₁ = −lr b₁, and v' = β v − lr g = −lr (β b + g) = −lr b'.
  // So w + v' = w − lr b' (and likewise with Nesterov): the same trajectory, up to float32
  // rounding (the two compute the products in different orders).
  // When lr changes between steps the invariant breaks: the seed's velocity was accumulated with
  // the OLD rate (v = −lr_old b) and is only scaled by β, so after a drop from lr_old to lr_new
  // the seed still moves by β·lr_old·b + lr_new·g, while PyTorch multiplies the whole buffer by the
  // new rate: lr_new·(β b + g). The seed "remembers" the old rate's scale for a while.
  const run = (convention: 'seed' | 'pytorch', lr: number | ReturnType<typeof stepDecay>, nesterov: boolean, steps: number) => {
    const opt = new SGD({ learningRate: lr, momentum: 0.9, nesterov, convention });
    const ps = [k.parameter(seeded(37, 5, 1)), k.parameter(seeded(6, 6, 1))];
    const traj: Float32Array[][] = [];
    for (let t = 0; t < steps; t++) {
      ps.forEach((p, i) => p.grad.set(seeded(p.size, 31 * t + i + 1, 1)));
      opt.step(ps);
      traj.push(ps.map((p) => p.value.slice()));
    }
    const vel = ps.map((p) => opt.state(p).velocity.slice());
    dispose(ps);
    return { traj, vel };
  };

  for (const nesterov of [false, true]) {
    it(`agree at a constant learning rate, to float32 rounding, over 300 steps${nesterov ? ' (Nesterov)' : ''}`, () => {
      const a = run('seed', 0.01, nesterov, 300), b = run('pytorch', 0.01, nesterov, 300);
      let worst = 0;
      a.traj.forEach((ws, t) => ws.forEach((w, i) => { worst = Math.max(worst, closeness(w, b.traj[t]![i]!, 1e-5, 1e-5)); }));
      expect(worst).toBeLessThanOrEqual(1);
      // and the seed's velocity is −lr times the buffer
      a.vel.forEach((v, i) => expect(closeness(v, Array.from(b.vel[i]!, (x) => -0.01 * x), 1e-6, 1e-4)).toBeLessThanOrEqual(1));
    });
  }

  it('differ once the learning rate changes (stepDecay 0.1 → 0.01 after 10 steps), each following its own rule', () => {
    const lr = () => stepDecay(0.1, 0.1, 10);
    const a = run('seed', lr(), false, 20), b = run('pytorch', lr(), false, 20);
    const gap = (t: number) => Math.max(...a.traj[t]!.map((w, i) => closeness(w, b.traj[t]![i]!, 1e-6, 0)));
    // the same up to the drop (the 10th step uses lr 0.1 in both)…
    for (let t = 0; t < 10; t++) expect(gap(t), `step ${t + 1}`).toBeLessThan(10);
    // …then apart: from the 11th step the seed carries 0.9 · 0.1 · b where PyTorch carries 0.9 · 0.01 · b
    expect(gap(10)).toBeGreaterThan(1e3);
    expect(gap(19)).toBeGreaterThan(1e3);
    // and each is its documented rule, step by step
    dispose(follow(new SGD({ learningRate: lr(), momentum: 0.9 }), seedSgd({ lr: lr(), momentum: 0.9 }), { steps: 16, sizes: [9] }));
    dispose(follow(new SGD({ learningRate: lr(), momentum: 0.9, convention: 'pytorch' }), torchSgd({ lr: lr(), momentum: 0.9 }), { steps: 16, sizes: [9] }));
  });
});

// ------------------------------------------------------------------ schedules

describe('schedules', () => {
  it('stepDecay: initial · factor^floor(step / every)', () => {
    const s = stepDecay(0.1, 0.5, 10);
    expect([0, 9, 10, 19, 20, 35].map(s)).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.0125]);
    expect(s.spec).toEqual({ type: 'stepDecay', initial: 0.1, factor: 0.5, every: 10 });
  });

  it('exponentialDecay: initial · rate^(step / steps), continuous (Keras ExponentialDecay, staircase off)', () => {
    const s = exponentialDecay(0.1, 0.96, 100);
    expect(s(0)).toBe(0.1);
    expect(s(100)).toBeCloseTo(0.096, 15);
    expect(s(200)).toBeCloseTo(0.1 * 0.96 * 0.96, 15);
    expect(s(50)).toBeCloseTo(0.1 * Math.sqrt(0.96), 15);
  });

  it('cosineDecay: initial at 0, halfway between initial and minimum at steps/2, minimum from steps on', () => {
    const s = cosineDecay(0.1, 100, 0.02);
    expect(s(0)).toBeCloseTo(0.1, 15);
    expect(s(50)).toBeCloseTo(0.06, 15);
    expect(s(25)).toBeCloseTo(0.02 + 0.08 * 0.5 * (1 + Math.SQRT1_2), 15);
    expect(s(100)).toBeCloseTo(0.02, 15);
    expect(s(1000)).toBeCloseTo(0.02, 15);
    expect(cosineDecay(1, 10)(10)).toBeCloseTo(0, 15); // minimum defaults to 0
  });

  it('linearWarmup: target·(step+1)/steps during the warm-up, then the follow-up schedule from its own step 0', () => {
    const w = linearWarmup(0.1, 4);
    expect([0, 1, 2, 3, 4, 100].map(w).map((v) => +v.toFixed(12))).toEqual([0.025, 0.05, 0.075, 0.1, 0.1, 0.1]);
    const wc = linearWarmup(0.1, 5, cosineDecay(0.1, 10));
    expect(wc(4)).toBeCloseTo(0.1, 15);
    expect(wc(5)).toBeCloseTo(0.1, 15); // cosine at its step 0
    expect(wc(10)).toBeCloseTo(0.05, 15); // cosine at its step 5
    expect(wc(15)).toBeCloseTo(0, 15);
    const wn = linearWarmup(0.2, 2, 0.05);
    expect([0, 1, 2, 9].map(wn)).toEqual([0.1, 0.2, 0.05, 0.05]);
  });

  it('a learning-rate function sees step 0 on the first update, then 1, 2, …; so does a momentum function', () => {
    const lrSteps: number[] = [], muSteps: number[] = [];
    const opt = new SGD({ learningRate: (s) => { lrSteps.push(s); return 0.1; }, momentum: (s) => { muSteps.push(s); return 0.5; } });
    const p = k.parameter([1, 2, 3]);
    expect(opt.learningRate).toBe(0.1); // the rate of the next update: step 0
    expect(lrSteps).toEqual([0]);
    lrSteps.length = 0;
    for (let t = 0; t < 3; t++) {
      const from = lrSteps.length, mfrom = muSteps.length;
      stepOnce(opt, p, [1, 1, 1]);
      expect(new Set(lrSteps.slice(from)), `learning rate during update ${t + 1}`).toEqual(new Set([t]));
      expect(new Set(muSteps.slice(mfrom)), `momentum during update ${t + 1}`).toEqual(new Set([t]));
    }
    expect(lrSteps[0]).toBe(0);
    const adamSteps: number[] = [];
    const adam = new Adam({ learningRate: (s) => { adamSteps.push(s); return 0.01; } });
    stepOnce(adam, p, [1, 1, 1]); stepOnce(adam, p, [1, 1, 1]);
    expect([...new Set(adamSteps)]).toEqual([0, 1]);
    p.dispose();
  });

  it('a schedule drives the update: stepDecay(0.5, 0.1, 2) gives steps of 0.5, 0.5, 0.05, 0.05', () => {
    const p = k.parameter([0]);
    const opt = new SGD({ learningRate: stepDecay(0.5, 0.1, 2) });
    const seen: number[] = [];
    for (let t = 0; t < 4; t++) { const before = p.value[0]!; stepOnce(opt, p, [-1]); seen.push(p.value[0]! - before); }
    expect(closeness(seen, [0.5, 0.5, 0.05, 0.05], 1e-7, 1e-6)).toBeLessThanOrEqual(1);
    p.dispose();
  });

  it('schedule helpers reject bad arguments', () => {
    rejects(() => stepDecay(0.1, 0.5, 0), 'every', /an integer >= 1/);
    rejects(() => stepDecay(-0.1, 0.5, 3), 'initial', />= 0/);
    rejects(() => exponentialDecay(0.1, NaN, 3), 'rate', /a finite number/);
    rejects(() => cosineDecay(0.1, 2.5), 'steps', /an integer >= 1/);
    rejects(() => linearWarmup(0.1, 3, 'x' as never), 'after', /a number or a schedule/);
  });
});

// ------------------------------------------------------------------ rejected arguments

describe('rejected with a clear InvalidArgumentError', () => {
  it('momentum ≥ 1 (SGD) and beta1 / beta2 ≥ 1 (Adam)', () => {
    rejects(() => new SGD({ momentum: 1 }), 'momentum', /< 1, got 1$/);
    rejects(() => new SGD({ momentum: 1.01, convention: 'pytorch' }), 'momentum', /< 1, got 1\.01/);
    rejects(() => new Adam({ beta1: 1 }), 'beta1', /< 1/);
    rejects(() => new Adam({ beta2: 1.5 }), 'beta2', /< 1/);
    // a momentum schedule that reaches 1 is refused at the step that would use it, and nothing moves
    const opt = new SGD({ learningRate: 0.1, momentum: (s) => (s < 1 ? 0.9 : 1) });
    const p = stepOnce(opt, k.parameter([1, 2]), [1, 1]);
    const w = p.value.slice(), v = opt.state(p).velocity.slice();
    rejects(() => stepOnce(opt, p, [1, 1]), 'momentum', /\[0, 1\) \(step 1\), got 1/);
    expect(Array.from(p.value)).toEqual(Array.from(w));
    expect(Array.from(opt.state(p).velocity)).toEqual(Array.from(v));
    expect(opt.iterations).toBe(1);
    p.dispose();
  });

  it('a negative learning rate, given or returned by a schedule', () => {
    rejects(() => new SGD({ learningRate: -0.01 }), 'learningRate', />= 0, got -0\.01/);
    rejects(() => new SGD({ learningRate: -1, convention: 'pytorch' }), 'learningRate', />= 0/);
    rejects(() => new Adam({ learningRate: -0.001 }), 'learningRate', />= 0/);
    const p = k.parameter([1]);
    rejects(() => stepOnce(new SGD({ learningRate: () => -0.1 }), p, [1]), 'learningRate', /finite numbers in \[0, Infinity\) \(step 0\), got -0\.1/);
    rejects(() => stepOnce(new Adam({ learningRate: () => NaN }), p, [1]), 'learningRate', /got NaN/);
    expect(p.value[0]).toBe(1);
    p.dispose();
  });

  it('Nesterov without momentum (in both conventions, and a momentum schedule that gives 0)', () => {
    rejects(() => new SGD({ nesterov: true }), 'nesterov', /momentum > 0/);
    rejects(() => new SGD({ momentum: 0, nesterov: true }), 'nesterov', /momentum > 0/);
    rejects(() => new SGD({ momentum: 0, nesterov: true, convention: 'pytorch' }), 'nesterov', /momentum > 0/);
    const p = k.parameter([1]);
    rejects(() => stepOnce(new SGD({ momentum: () => 0, nesterov: true }), p, [1]), 'momentum', /> 0 with nesterov/);
    expect(p.value[0]).toBe(1);
    p.dispose();
  });

  it("dampening with Nesterov under the PyTorch convention (and dampening outside it)", () => {
    rejects(() => new SGD({ momentum: 0.9, nesterov: true, dampening: 0.1, convention: 'pytorch' }), 'dampening', /0 with nesterov/);
    rejects(() => new SGD({ momentum: 0.9, dampening: 0.1 }), 'dampening', /convention: 'pytorch'/);
    rejects(() => new SGD({ momentum: 0.9, dampening: 1.5, convention: 'pytorch' }), 'dampening', /<= 1/);
    rejects(() => new SGD({ weightDecay: 0.1, decoupledWeightDecay: true, convention: 'pytorch' }), 'decoupledWeightDecay', /convention: 'seed'/);
    rejects(() => new SGD({ convention: 'keras' as never }), 'convention', /'seed', 'pytorch'/);
    rejects(() => new SGD({ clipNorm: 0 }), 'clipNorm', /> 0/);
    rejects(() => new Adam({ clipValue: -1 }), 'clipValue', /> 0/);
    rejects(() => new Adam({ epsilon: 0 }), 'epsilon', /> 0/);
    // accepted: dampening with plain momentum under the PyTorch convention
    expect(new SGD({ momentum: 0.9, dampening: 0.1, convention: 'pytorch' }).dampening).toBe(0.1);
  });
});

// ------------------------------------------------------------------ the optimizer owns its state

describe('the optimizer owns its state (velocities, Adam moments), per parameter', () => {
  const bits = (a: Float32Array, b: Float32Array) => sameBits(a, b);
  const copies = (ws: ReadonlyArray<{ values: Float32Array }>) => ws.map((w) => w.values.slice());
  const IN = 5;
  const netConfig = { inputSize: IN, layers: [dense(7, 'tanh'), dense(3, 'softmax')], seed: 17 };
  const batch = (rows: number, seed: number) => ({
    x: seeded(rows * IN, seed, 1.5),
    y: Int32Array.from(seeded(rows, seed + 1), (v) => Math.min(2, Math.floor(((v + 1) / 2) * 3))),
  });

  it("the founding example through sgd.state(w): velocity -0.03, grad 0.5, lr 0.1, momentum 0.9 gives velocity -0.077, value 1.923", () => {
    const w = k.parameter([2.0]);
    const sgd = new SGD({ learningRate: 0.1, momentum: 0.9 });
    expect(sgd.hasState(w)).toBe(false);
    expect(Object.keys(sgd.state(w))).toEqual(['velocity']);
    expect(sgd.hasState(w)).toBe(true);
    sgd.state(w).velocity[0] = -0.03;
    w.grad[0] = 0.5;
    sgd.step([w]);
    expect(Math.abs(sgd.state(w).velocity[0]! - -0.077)).toBeLessThan(1e-7);
    expect(Math.abs(w.value[0]! - 1.923)).toBeLessThan(2e-7);
    // exactly the float32 rounding of the rule
    expect(sgd.state(w).velocity[0]).toBe(Math.fround(Math.fround(Math.fround(0.9) * Math.fround(-0.03)) - Math.fround(Math.fround(0.1) * 0.5)));
    w.dispose();
  });

  it('state(param) is zeroed when first asked, even where the arena hands back memory a disposed parameter left dirty', () => {
    const sgd = new SGD({ learningRate: 0.1, momentum: 0.9 }), adam = new Adam();
    const dirty = k.parameter(new Float32Array(33).fill(5));
    sgd.state(dirty).velocity.fill(-7);
    adam.state(dirty).m.fill(3); adam.state(dirty).v.fill(9);
    dirty.grad.fill(11);
    dirty.dispose(); // five blocks of 33 floats, all non-zero, back to the arena
    const p = k.parameter({ shape: [33] });
    expect(sgd.hasState(p)).toBe(false);
    expect(adam.hasState(p)).toBe(false);
    expect(sgd.state(p).velocity.every((v) => v === 0)).toBe(true);
    const s = adam.state(p);
    expect(Object.keys(s)).toEqual(['m', 'v']);
    expect(s.m.every((v) => v === 0) && s.v.every((v) => v === 0)).toBe(true);
    expect(s.m.length).toBe(33);
    p.dispose();
  });

  it('state(param) returns live views: a write through it is what the next step starts from (SGD and Adam)', () => {
    // SGD, seed form: v = 0.5 · 1 - 0.25 · 2 = 0, w = 1 + 0 = 1; then v = 0.5 · 4 - 0.25 · 2 = 1.5, w = 2.5
    const sgd = new SGD({ learningRate: 0.25, momentum: 0.5 });
    const p = k.parameter([1, 1]);
    const views = sgd.state(p);
    views.velocity.set([1, 4]);
    p.grad.set([2, 2]);
    sgd.step([p]);
    expect(Array.from(p.value)).toEqual([1, 2.5]);
    expect(Array.from(views.velocity)).toEqual([0, 1.5]); // the same views object sees the step
    // Adam: m and v written by hand; with g = 0 the step is lr · m̂ / (√v̂ + ε)
    const adam = new Adam({ learningRate: 0.5, beta1: 0.5, beta2: 0.75, epsilon: 1e-8 });
    const q = k.parameter([0]);
    adam.state(q).m[0] = 2; adam.state(q).v[0] = 16;
    q.grad[0] = 0;
    adam.step([q]);
    // m = 0.5 · 2 = 1, v = 0.75 · 16 = 12; m̂ = 1 / 0.5 = 2, v̂ = 12 / 0.25 = 48: w = -0.5 · 2 / (√48 + 1e-8)
    expect(adam.state(q).m[0]).toBe(1);
    expect(adam.state(q).v[0]).toBe(12);
    expect(Math.abs(q.value[0]! - -1 / (Math.sqrt(48) + 1e-8))).toBeLessThan(1e-7);
    p.dispose(); q.dispose();
  });

  it('state views survive memory growth (re-taken on every read)', () => {
    const adam = new Adam({ learningRate: 0.01 });
    const p = k.parameter(seeded(17, 1));
    p.grad.set(seeded(17, 2));
    adam.step([p]);
    const views = adam.state(p);
    const m = views.m.slice(), v = views.v.slice(), buffer = k.exports.memory.buffer;
    const grows = k.arena.grows;
    const big = k.parameter({ shape: [4_000_000] }); // 48 MB: forces memory.grow
    expect(k.arena.grows).toBeGreaterThan(grows);
    expect(k.exports.memory.buffer).not.toBe(buffer);
    expect(bits(views.m, m) && bits(views.v, v)).toBe(true);
    expect(views.m.buffer).toBe(k.exports.memory.buffer);
    expect(bits(adam.state(p).m, m)).toBe(true);
    big.dispose(); p.dispose();
  });

  it('state is freed when the model is disposed, and with optimizer.dispose(); no view reads freed memory', () => {
    const inUse = k.arena.bytesInUse;
    const model = k.sequential(netConfig);
    const { x, y } = batch(8, 3);
    model.trainBatch(x, y, new SGD({ learningRate: 0.1 })); // momentum 0: sizes the workspace, keeps no state
    const modelBytes = k.arena.bytesInUse;
    const sgd = new SGD({ learningRate: 0.1, momentum: 0.9 }), adam = new Adam();
    model.trainBatch(x, y, sgd);
    const withSgd = k.arena.bytesInUse;
    const floats = model.parameters().reduce((n, p) => n + p.size, 0);
    expect(withSgd - modelBytes).toBeGreaterThanOrEqual(floats * 4); // one velocity per parameter
    model.trainBatch(x, y, adam);
    const withAdam = k.arena.bytesInUse;
    expect(withAdam - withSgd).toBeGreaterThanOrEqual(2 * floats * 4); // m and v
    // optimizer.dispose() gives back exactly its own state
    sgd.dispose();
    expect(k.arena.bytesInUse).toBe(withAdam - (withSgd - modelBytes));
    for (const p of model.parameters()) { expect(sgd.hasState(p)).toBe(false); expect(adam.hasState(p)).toBe(true); }
    // it can still step: its state is made again, zeroed (one step from zero: v = -lr g)
    model.trainBatch(x, y, sgd);
    const p0 = model.parameters()[0]!;
    const v = sgd.state(p0).velocity;
    for (let i = 0; i < p0.size; i++) expect(v[i], `velocity[${i}]`).toBe(Math.fround(-Math.fround(0.1) * p0.grad[i]!));
    // the model's dispose frees every optimizer's state for its parameters
    const views = adam.state(p0);
    model.dispose();
    expect(k.arena.bytesInUse).toBe(inUse);
    expect(sgd.hasState(p0)).toBe(false);
    expect(adam.hasState(p0)).toBe(false);
    expect(() => views.m, 'a view of freed state').toThrow(InvalidArgumentError);
    expect(() => adam.state(p0)).toThrow(/disposed/);
    // disposing an optimizer twice, or one that holds nothing, is harmless
    expect(() => { sgd.dispose(); sgd.dispose(); new Adam().dispose(); }).not.toThrow();
    expect(k.arena.bytesInUse).toBe(inUse);
  });

  it('optimizer.dispose() frees its state on a bare parameter: bytes in use go back, the parameter keeps value and grad', () => {
    const p = k.parameter(seeded(100, 4));
    p.grad.set(seeded(100, 5));
    const before = k.arena.bytesInUse;
    const adam = new Adam({ learningRate: 0.01 });
    adam.step([p]);
    expect(k.arena.bytesInUse).toBeGreaterThanOrEqual(before + 2 * 100 * 4);
    const w = p.value.slice();
    adam.dispose();
    expect(k.arena.bytesInUse).toBe(before);
    expect(bits(p.value, w)).toBe(true);
    p.dispose();
  });

  it('20 steps of SGD (momentum 0.9) on a model, then one step of a new Adam: bitwise one step of a fresh Adam from the same weights; the SGD velocity is untouched', () => {
    const model = k.sequential(netConfig);
    const sgd = new SGD({ learningRate: 0.1, momentum: 0.9 });
    for (let s = 0; s < 20; s++) { const b = batch(8, 10 + s); model.trainBatch(b.x, b.y, sgd); }
    const params = model.parameters();
    for (const p of params) expect(sgd.state(p).velocity.some((v) => v !== 0), `${p.name}: SGD left a velocity`).toBe(true);
    const velocities = params.map((p) => sgd.state(p).velocity.slice());
    const weights = copies(model.getWeights());
    // the twin: the same weights, never trained
    const twin = k.sequential(netConfig);
    twin.setWeights(weights);
    const b = batch(8, 99);
    const adam = new Adam({ learningRate: 0.01 }), fresh = new Adam({ learningRate: 0.01 });
    expect(model.trainBatch(b.x, b.y, adam)).toBe(twin.trainBatch(b.x, b.y, fresh));
    const after = copies(model.getWeights()), want = copies(twin.getWeights());
    after.forEach((w, i) => expect(bits(w, want[i]!), `weights[${i}] (Adam did not start from the SGD velocity)`).toBe(true));
    params.forEach((p, i) => {
      const q = twin.parameters()[i]!;
      expect(bits(adam.state(p).m, fresh.state(q).m) && bits(adam.state(p).v, fresh.state(q).v), `${p.name}: Adam's own m and v`).toBe(true);
      expect(bits(sgd.state(p).velocity, velocities[i]!), `${p.name}: the SGD velocity`).toBe(true);
    });
    // and Adam really moved the weights (else the comparison proves nothing)
    expect(after.some((w, i) => !bits(w, weights[i]!))).toBe(true);
    model.dispose(); twin.dispose();
  });

  it('two SGD optimizers on one parameter keep separate velocities', () => {
    const p = k.parameter([1, 1]);
    const a = new SGD({ learningRate: 0.5, momentum: 0.5 }), b = new SGD({ learningRate: 0.25, momentum: 0.5 });
    p.grad.set([1, 2]);
    a.step([p]); // a: v = [-0.5, -1]
    b.step([p]); // b: v = 0.5 · 0 - 0.25 g = [-0.25, -0.5] (a shared velocity would give [-0.5, -1])
    expect(Array.from(a.state(p).velocity)).toEqual([-0.5, -1]);
    expect(Array.from(b.state(p).velocity)).toEqual([-0.25, -0.5]);
    a.step([p]); // a: v = 0.5 · [-0.5, -1] - 0.5 g = [-0.75, -1.5]
    expect(Array.from(a.state(p).velocity)).toEqual([-0.75, -1.5]);
    expect(Array.from(b.state(p).velocity)).toEqual([-0.25, -0.5]);
    expect(Array.from(p.value)).toEqual([1 - 0.5 - 0.25 - 0.75, 1 - 1 - 0.5 - 1.5]);
    p.dispose();
  });

  it("two SGD optimizers on one model, stepped in turn: neither step touches the other's velocity", () => {
    const model = k.sequential(netConfig);
    const a = new SGD({ learningRate: 0.1, momentum: 0.9 }), b = new SGD({ learningRate: 0.05, momentum: 0.5, nesterov: true });
    // each velocity moves only on its own optimizer's steps
    let lastA: Float32Array[] | null = null;
    for (let s = 0; s < 6; s++) {
      const bt = batch(8, 40 + s);
      const opt = s % 2 === 0 ? a : b, other = s % 2 === 0 ? b : a;
      const otherBefore = model.parameters().map((p) => (other.hasState(p) ? other.state(p).velocity.slice() : null));
      model.trainBatch(bt.x, bt.y, opt);
      model.parameters().forEach((p, i) => {
        const ob = otherBefore[i]!;
        if (ob === null) expect(other.hasState(p), `step ${s}: ${p.name}`).toBe(false);
        else expect(bits(other.state(p).velocity, ob), `step ${s}: ${p.name}, the other optimizer's velocity`).toBe(true);
      });
      if (opt === a) lastA = model.parameters().map((p) => a.state(p).velocity.slice());
    }
    expect(a.iterations).toBe(3);
    expect(b.iterations).toBe(3);
    model.parameters().forEach((p, i) => {
      expect(bits(a.state(p).velocity, lastA![i]!)).toBe(true);
      expect(bits(a.state(p).velocity, b.state(p).velocity)).toBe(false);
    });
    model.dispose();
  });

  it('step([w, w]) is refused with InvalidArgumentError naming params[1], and changes nothing', () => {
    for (const make of [() => new SGD({ learningRate: 0.1, momentum: 0.9 }), () => new SGD({ learningRate: 0.1 }), () => new Adam({ learningRate: 0.1 })]) {
      const opt = make();
      const w = k.parameter([1, 2, 3]), u = k.parameter([4, 5]);
      w.grad.set([1, 1, 1]); u.grad.set([1, 1]);
      opt.step([w, u]);
      const value = w.value.slice(), state = opt.stateNames.map((n) => (opt.state(w) as Record<string, Float32Array>)[n]!.slice()), it0 = opt.iterations;
      rejects(() => opt.step([w, w]), 'params[1]', /each parameter once/);
      rejects(() => opt.step([w, u, w]), 'params[2]', /'parameter' is listed twice/);
      expect(bits(w.value, value), 'value').toBe(true);
      opt.stateNames.forEach((n, i) => expect(bits((opt.state(w) as Record<string, Float32Array>)[n]!, state[i]!), n).toBe(true));
      expect(opt.iterations).toBe(it0);
      w.dispose(); u.dispose();
    }
  });

  it('step refuses what is not a live Parameter: a disposed one, or something else (naming its index)', () => {
    const sgd = new SGD({ learningRate: 0.1, momentum: 0.9 });
    const p = k.parameter([1]), q = k.parameter([2]);
    q.dispose();
    expect(() => sgd.step([p, q])).toThrow(InvalidArgumentError);
    expect(() => sgd.step([p, q])).toThrow(/disposed/);
    rejects(() => sgd.step([p, { value: [1] } as never]), 'params[1]', /a Parameter/);
    rejects(() => sgd.step(p as never), 'params', /an array of Parameter/);
    expect(p.value[0]).toBe(1);
    expect(sgd.iterations).toBe(0);
    expect(() => sgd.state({} as never)).toThrow(InvalidArgumentError);
    p.dispose();
  });
});

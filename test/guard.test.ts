// The divergence guard (src/optim/guard.ts): one read of each parameter's tensors bounds the
// update's magnitude, and only a step whose bound is not far inside float32's range gets the exact
// dry run. Every way a step can turn non-finite must still change nothing: overflow from finite
// inputs, a NaN or infinity in any element of any tensor (the last parameter's last element, the
// SIMD body, the scalar tail), values written through views held across steps, a negative Adam
// second moment. And a step the bound cannot vouch for but that is finite must commit exactly.
import { describe, it, expect, beforeAll, vi } from 'vitest';
import { SGD, Adam, dense, TrainingDivergedError, InvalidArgumentError, type Kernels, type Optimizer, type Parameter } from '../src/index.js';
import { kernelsUnderTest, put, seeded, free } from './helpers.js';
import { sameBits } from './model-helpers.js';
import { COMMIT, CHECKED_COMMIT, DRY_RUN } from '../src/optim/guard.js';

let k: Kernels;
beforeAll(async () => {
  k = await kernelsUnderTest();
});

const SIZES = [1, 3, 4, 5, 8, 12, 14, 17, 33]; // no vector; one; one plus a tail; a pair; a pair and one; pairs and a tail
const bitsOf = (x: number) => new Uint32Array(Float32Array.of(x).buffer)[0]!;

// ------------------------------------------------------------------ the magnitude scans

describe('max_abs_bits and update_bound_bits', () => {
  it('the bits of the largest magnitude, at every position of the SIMD body and the scalar tail', () => {
    for (const n of SIZES) {
      for (let at = 0; at < n; at++) {
        const x = seeded(n, n * 31 + at, 0.5);
        x[at] = -7.25;
        const X = put(k, x);
        expect(k.exports.max_abs_bits(X.ptr, n) >>> 0, `n=${n} at ${at}`).toBe(bitsOf(7.25));
        free(X);
      }
    }
  });

  it('NaN and ±Infinity anywhere order above every finite value; so does a negative s1 (signed), not a negative s0', () => {
    for (const n of SIZES) {
      const tensors = () => [seeded(n, 1), seeded(n, 2), seeded(n, 3), Float32Array.from(seeded(n, 4), Math.abs)];
      const scan = (t: Float32Array[], states: number) => {
        const [W, G, S0, S1] = t.map((a) => put(k, a));
        const bits = k.exports.update_bound_bits(W!.ptr, states >= 1 ? S0!.ptr : 0, states >= 2 ? S1!.ptr : 0, G!.ptr, n) >>> 0;
        free(W!, G!, S0!, S1!);
        return bits;
      };
      for (const states of [0, 1, 2]) expect(scan(tensors(), states), `finite, ${states} states`).toBeLessThan(0x7f800000);
      for (const bad of [NaN, Infinity, -Infinity]) {
        for (let at = 0; at < n; at++) {
          for (let which = 0; which < 2 + 2; which++) {
            const t = tensors();
            t[which]![at] = bad;
            const states = Math.max(2, which);
            expect(scan(t, states), `${bad} in tensor ${which} at ${at} of ${n}`).toBeGreaterThanOrEqual(0x7f800000);
          }
        }
      }
      const neg = tensors(); neg[3]![n - 1] = -1e-30;
      expect(scan(neg, 2), 'a negative s1').toBeGreaterThanOrEqual(0x7f800000);
      const negZero = tensors(); negZero[3]![0] = -0;
      expect(scan(negZero, 2), '-0 in s1').toBeGreaterThanOrEqual(0x7f800000);
      const negS0 = tensors(); negS0[2]![n - 1] = -1e30;
      expect(scan(negS0, 2), 'a negative s0 is a magnitude').toBe(bitsOf(1e30));
      // a state the call does not name is not read
      const unused = tensors(); unused[3]![0] = NaN;
      expect(scan(unused, 1), 's1 not named').toBeLessThan(0x7f800000);
    }
  });
});

// ------------------------------------------------------------------ optimizers on bare parameters

type Options = Record<string, unknown>;
const OPTIMIZERS: Array<[string, 'SGD' | 'Adam', Options]> = [
  ['SGD', 'SGD', {}],
  ['SGD momentum', 'SGD', { momentum: 0.9 }],
  ['SGD Nesterov, weight decay', 'SGD', { momentum: 0.9, nesterov: true, weightDecay: 0.01 }],
  ['SGD decoupled weight decay', 'SGD', { momentum: 0.5, weightDecay: 0.1, decoupledWeightDecay: true }],
  ["SGD 'pytorch', dampening", 'SGD', { momentum: 0.9, dampening: 0.1, convention: 'pytorch' }],
  ["SGD 'pytorch' Nesterov", 'SGD', { momentum: 0.9, nesterov: true, convention: 'pytorch' }],
  ['SGD clipValue', 'SGD', { momentum: 0.9, clipValue: 0.5 }],
  ['Adam', 'Adam', {}],
  ['Adam clipNorm, weight decay', 'Adam', { clipNorm: 0.3, weightDecay: 0.01 }],
];
const make = (kind: 'SGD' | 'Adam', options: Options, lr: number): Optimizer =>
  kind === 'SGD' ? new SGD({ ...options, learningRate: lr }) : new Adam({ ...options, learningRate: lr });

/** three parameters, stepped twice so every state is in use: 263 and 301 elements take the scan
 *  (SCAN_MIN is 256; two-vector steps, a one-vector step, scalar tails), 7 the exact dry run */
const SIZES_STEPPED = [263, 7, 301];
/** the small one last: its exact dry run is made by its commit call itself (CHECKED_COMMIT) */
const SMALL_LAST = [263, 301, 7];
function stepped(opt: Optimizer, sizes = SIZES_STEPPED): Parameter[] {
  const ps = sizes.map((n, i) => k.parameter(seeded(n, i + 1)));
  for (let s = 0; s < 2; s++) {
    ps.forEach((p, i) => p.grad.set(seeded(p.size, 10 * s + i + 3)));
    opt.step(ps);
  }
  return ps;
}

interface Snapshot { values: Float32Array[]; states: Float32Array[][]; iterations: number }
// read through the library's own accessor: the public `value` would switch the parameter to full
// scans for good, and the path under test is the one a training loop takes
const snap = (opt: Optimizer, ps: Parameter[]): Snapshot => ({
  values: ps.map((p) => p.values.slice()),
  states: ps.map((p) => opt.peekState(p) ?? []),
  iterations: opt.iterations,
});
function expectUnchanged(opt: Optimizer, ps: Parameter[], before: Snapshot, what: string): void {
  const now = snap(opt, ps);
  now.values.forEach((v, i) => expect(sameBits(v, before.values[i]!), `${what}: value ${i}`).toBe(true));
  now.states.forEach((s, i) => s.forEach((t, j) => expect(sameBits(t, before.states[i]![j]!), `${what}: state ${i}.${j}`).toBe(true)));
  expect(now.iterations, `${what}: iterations`).toBe(before.iterations);
}
const stepError = (opt: Optimizer, ps: Parameter[]): unknown => {
  try { opt.step(ps); } catch (e) { return e; }
  return undefined;
};
const dispose = (ps: Parameter[]) => ps.forEach((p) => p.dispose());

/** a non-finite gradient element at each (parameter, index) of `cases`, one step each */
function nonFiniteGradients(name: string, kind: 'SGD' | 'Adam', options: Options, sizes: number[], cases: ReadonlyArray<readonly [number, number]>): void {
  for (const bad of [NaN, Infinity, -Infinity]) {
    for (const [which, at] of cases) {
      const opt = make(kind, options, 0.01), ps = stepped(opt, sizes);
      ps.forEach((p, i) => p.grad.set(seeded(p.size, i + 40)));
      ps[which]!.grad[at] = bad;
      const before = snap(opt, ps);
      const err = stepError(opt, ps);
      if (name === 'SGD clipValue' && !Number.isNaN(bad)) {
        // clipValue clamps an infinite gradient element to ±clipValue: a finite step, as before the guard
        expect(err, `${bad} at ${which}[${at}]`).toBeUndefined();
      } else {
        expect(err, `${bad} at ${which}[${at}]`).toBeInstanceOf(TrainingDivergedError);
        expectUnchanged(opt, ps, before, `${bad} at ${which}[${at}]`);
      }
      dispose(ps);
    }
  }
}

describe('a step that would not be finite changes nothing', () => {
  for (const [name, kind, options] of OPTIMIZERS) {
    it(`${name}: NaN or ±Infinity in one element of the last parameter's gradient (SIMD body or scalar tail)`, () => {
      // the last parameter (scanned): a two-vector step, the one-vector step, the scalar tail; the small one (dry run)
      nonFiniteGradients(name, kind, options, SIZES_STEPPED, [[2, 0], [2, 13], [2, 297], [2, 300], [1, 6]]);
    });
    it(`${name}: a small last parameter, checked in its own commit call: NaN or ±Infinity in its gradient, or in an earlier one`, () => {
      nonFiniteGradients(name, kind, options, SMALL_LAST, [[2, 0], [2, 4], [2, 6], [0, 100], [1, 300]]);
    });
  }

  it('an update that overflows to ±Infinity from finite inputs (learning rate 3e38; for Adam a gradient whose square overflows) changes neither parameter', () => {
    // (clipping would scale or clamp the huge gradient back into range)
    for (const [name, kind, options] of OPTIMIZERS.filter(([n]) => !n.includes('clip'))) {
      const warm = make(kind, options, 0.01), ps = stepped(warm);
      // the same state under the huge setting: only the last parameter's update overflows
      const opt = make(kind, options, kind === 'SGD' ? 3e38 : 0.01);
      ps.forEach((p) => opt.restoreState(p, warm.peekState(p) ?? [], warm.stepped(p)));
      opt.iterations = warm.iterations;
      ps[0]!.grad.fill(kind === 'SGD' ? 1e-30 : 0.5);
      ps[1]!.grad.fill(kind === 'SGD' ? 1e-30 : 0.5);
      ps[2]!.grad.set(seeded(301, 5, 0.1));
      ps[2]!.grad[299] = kind === 'SGD' ? 3 : 3e38;
      const before = snap(opt, ps);
      const err = stepError(opt, ps);
      expect(err, name).toBeInstanceOf(TrainingDivergedError);
      expect((err as Error).message, name).toMatch(/not finite/);
      expectUnchanged(opt, ps, before, name);
      dispose(ps);
    }
  });

  it('values and state written through views held across steps are caught: a weight, a velocity, Adam moments', () => {
    const cases: Array<[string, 'SGD' | 'Adam', (value: Float32Array, state: Float32Array[]) => void]> = [
      ['an infinite weight', 'SGD', (value) => { value[262] = -Infinity; }],
      ['a NaN velocity', 'SGD', (_, state) => { state[0]![17] = NaN; }],
      ['an infinite Adam first moment', 'Adam', (_, state) => { state[0]![2] = Infinity; }],
      ['a negative Adam second moment', 'Adam', (_, state) => { state[1]![258] = -4; }],
    ];
    for (const [what, kind, poke] of cases) {
      const opt = make(kind, { momentum: kind === 'SGD' ? 0.9 : undefined }, 0.01), ps = stepped(opt);
      const p = ps[0]!;
      // views taken now, written to after another step
      const value = p.value;
      const views = opt.state(p) as Record<string, Float32Array>;
      const state = opt.stateNames.map((n) => views[n]!);
      ps.forEach((q, i) => q.grad.set(seeded(q.size, i + 60)));
      opt.step(ps);
      poke(value, state);
      const before = snap(opt, ps);
      expect(stepError(opt, ps), what).toBeInstanceOf(TrainingDivergedError);
      expectUnchanged(opt, ps, before, what);
      dispose(ps);
    }
  });

  it('Adam: a second moment of -0 takes the exact dry run and steps exactly as +0 does', () => {
    const run = (v0: number) => {
      const opt = new Adam({ learningRate: 0.01 }), ps = stepped(opt);
      (opt.state(ps[2]!) as { v: Float32Array }).v[2] = v0;
      ps.forEach((p, i) => p.grad.set(seeded(p.size, i + 70)));
      expect(stepError(opt, ps)).toBeUndefined();
      const values = ps.map((p) => p.value.slice());
      dispose(ps);
      return values;
    };
    const minus = run(-0), plus = run(0);
    minus.forEach((v, i) => expect(sameBits(v, plus[i]!), `value ${i}`).toBe(true));
  });
});

describe('the bound only decides whether the exact dry run is needed: the commit is the same either way', () => {
  type Bounded = { magnitudeBound: (...a: number[]) => number };
  /** one step from the same state with the bound forced to pass (0) or to fail (Infinity) */
  const stepForced = (kind: 'SGD' | 'Adam', options: Options, lr: number, bound: number) => {
    const warm = make(kind, options, 0.01), ps = stepped(warm);
    const opt = make(kind, options, lr);
    ps.forEach((p) => opt.restoreState(p, warm.peekState(p) ?? [], warm.stepped(p)));
    opt.iterations = warm.iterations;
    ps.forEach((p, i) => p.grad.set(seeded(p.size, i + 80)));
    const spy = vi.spyOn(opt as unknown as Bounded, 'magnitudeBound').mockReturnValue(bound);
    const err = stepError(opt, ps);
    spy.mockRestore();
    const out = { err, ...snap(opt, ps) };
    dispose(ps);
    return out;
  };
  for (const [name, kind, options] of OPTIMIZERS) {
    it(`${name}: ordinary and huge (1e36, 2e37) learning rates, finite, the same bits through the dry run as straight to the commit`, () => {
      for (const lr of [0.01, 1e36, 2e37]) {
        const checked = stepForced(kind, options, lr, Infinity), straight = stepForced(kind, options, lr, 0);
        expect(checked.err, `lr ${lr}`).toBeUndefined();
        checked.values.forEach((v, i) => {
          expect(v.every(Number.isFinite), `lr ${lr} value ${i} finite`).toBe(true);
          expect(sameBits(v, straight.values[i]!), `lr ${lr} value ${i}`).toBe(true);
        });
        checked.states.forEach((s, i) => s.forEach((t, j) => expect(sameBits(t, straight.states[i]![j]!), `lr ${lr} state ${i}.${j}`).toBe(true)));
      }
    });
  }

  it('clipValue above every gradient element gives the same bits as no clipping (the clamped and the plain commit agree)', () => {
    for (const [name, kind, options] of OPTIMIZERS.filter(([n]) => !n.includes('clip'))) {
      const a = make(kind, options, 0.01), b = make(kind, { ...options, clipValue: 1e30 }, 0.01);
      const pa = stepped(a), pb = stepped(b);
      pa.forEach((p, i) => expect(sameBits(p.value, pb[i]!.value), `${name} value ${i}`).toBe(true));
      dispose([...pa, ...pb]);
    }
  });
});

describe('the bound carried from the last commit is used only while nothing else can have written', () => {
  it('another optimizer stepping the same parameter in between: the next step reads it in full', () => {
    const a = new SGD({ learningRate: 0.01, momentum: 0.9 }), b = new SGD({ learningRate: 0.01 });
    const ps = stepped(a);
    const scans = vi.spyOn(k.exports, 'update_bound_bits');
    a.step(ps);
    expect(scans.mock.calls.length, 'a, nothing in between').toBe(0);
    b.step(ps); // b has never stepped them: it reads them in full
    a.step(ps);
    expect(scans.mock.calls.length, 'b once, then a after b').toBe(2 + 2);
    scans.mockRestore();
    dispose(ps);
  });

  it('a value another optimizer made huge is read afresh, so the small step that now overflows is caught', () => {
    // a's learning rate jumps after two steps; its bound carried from step 2 knows nothing of b's write
    const a = new SGD({ learningRate: (t: number) => (t < 2 ? 0.01 : 1e35), momentum: 0.9 }), b = new SGD({ learningRate: 1e38 });
    const ps = stepped(a);
    ps.forEach((p) => p.grad.fill(0));
    ps[2]!.grad.fill(-3.402); // b: the last parameter to about 3.402e38, 0.8e35 below float32's largest
    b.step(ps);
    expect(ps[2]!.values.every((x) => x > 3.4e38 && Number.isFinite(x))).toBe(true);
    ps[2]!.grad.fill(-1); // a: + 1e35 more overflows
    const before = snap(a, ps);
    expect(stepError(a, ps)).toBeInstanceOf(TrainingDivergedError);
    expectUnchanged(a, ps, before, 'after another optimizer');
    dispose(ps);
  });

  it('a restored Adam state with a negative second moment is read afresh: the NaN it would give is caught', () => {
    const opt = new Adam({ learningRate: 0.01 }), ps = stepped(opt);
    const state = opt.peekState(ps[2]!)!;
    state[1]![150] = -1;
    opt.restoreState(ps[2]!, state, true);
    ps.forEach((p, i) => p.grad.set(seeded(p.size, i + 99)));
    const before = snap(opt, ps);
    expect(stepError(opt, ps)).toBeInstanceOf(TrainingDivergedError);
    expectUnchanged(opt, ps, before, 'negative second moment');
    dispose(ps);
  });

  it('setWeights between steps: the next step reads the new weights in full', () => {
    const model = k.sequential({ inputSize: 40, layers: [dense(16, 'relu'), dense(3, 'softmax')], seed: 1 });
    const opt = new SGD({ learningRate: 0.01, momentum: 0.9 });
    const x = seeded(6 * 40, 3), y = Int32Array.from({ length: 6 }, (_, i) => i % 3);
    for (let s = 0; s < 3; s++) model.trainBatch(x, y, opt);
    const scans = vi.spyOn(k.exports, 'update_bound_bits');
    model.trainBatch(x, y, opt);
    expect(scans.mock.calls.length, 'a step with the bound carried over').toBe(0);
    model.setWeights(model.getWeights());
    model.trainBatch(x, y, opt);
    expect(scans.mock.calls.length, 'the step after setWeights').toBe(1);
    model.parameters()[0]!.value; // handed out: read in full from now on
    model.trainBatch(x, y, opt);
    model.trainBatch(x, y, opt);
    expect(scans.mock.calls.length, 'after value was handed out').toBe(3);
    scans.mockRestore();
    model.dispose();
  });
});

describe('the guard stays out of the way', () => {
  it('a long run reads only each large gradient on most steps, and everything now and then as the carried bound grows', () => {
    const model = k.sequential({ inputSize: 40, layers: [dense(16, 'relu'), dense(3, 'softmax')], seed: 1 });
    const opt = new SGD({ learningRate: 0.01, momentum: 0.9 });
    const x = seeded(6 * 40, 3), y = Int32Array.from({ length: 6 }, (_, i) => i % 3);
    const scans = vi.spyOn(k.exports, 'update_bound_bits'), grads = vi.spyOn(k.exports, 'max_abs_bits');
    for (let s = 0; s < 300; s++) model.trainBatch(x, y, opt);
    // one large parameter (the 640-float kernel): a full read on the first step, then rarely
    expect(scans.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(scans.mock.calls.length).toBeLessThan(30);
    expect(grads.mock.calls.length).toBeGreaterThan(270);
    scans.mockRestore(); grads.mockRestore();
    model.dispose();
  });

  it('saving between steps (a model file, a checkpoint, ONNX, getWeights) reads the weights without exposing them: the carried bound stays in use', () => {
    const model = k.sequential({ inputSize: 40, layers: [dense(16, 'relu'), dense(3, 'softmax')], seed: 1 });
    const opt = new SGD({ learningRate: 0.01, momentum: 0.9 });
    const x = seeded(6 * 40, 3), y = Int32Array.from({ length: 6 }, (_, i) => i % 3);
    for (let s = 0; s < 3; s++) model.trainBatch(x, y, opt);
    const scans = vi.spyOn(k.exports, 'update_bound_bits');
    for (let s = 0; s < 40; s++) {
      model.save();
      model.save({ optimizer: opt });
      model.save({ format: 'onnx' });
      model.getWeights();
      model.trainBatch(x, y, opt);
    }
    expect(model.parameters().some((p) => p.exposed)).toBe(false);
    // a full read only now and then, as without the saves (the test above): not on every step
    expect(scans.mock.calls.length).toBeLessThan(10);
    scans.mockRestore();
    model.dispose();
  });

  it('an ordinary training step scans each large parameter once and dry-runs only the small ones, the last in its own commit', () => {
    for (const opt of [new SGD({ learningRate: 0.01, momentum: 0.9 }), new SGD({ learningRate: 0.01, momentum: 0.9, convention: 'pytorch' }), new Adam()]) {
      // kernels of 40 x 16 = 640 (scanned) and 16 x 3 = 48 (dry run), biases of 16 and 3
      const model = k.sequential({ inputSize: 40, layers: [dense(16, 'relu'), dense(3, 'softmax')], seed: 1 });
      const x = seeded(6 * 40, 3), y = Int32Array.from({ length: 6 }, (_, i) => i % 3);
      model.trainBatch(x, y, opt);
      const run = vi.spyOn(opt as unknown as { run: (...a: unknown[]) => number }, 'run');
      for (let s = 0; s < 5; s++) model.trainBatch(x, y, opt);
      const sizes = (mode: number) => run.mock.calls.filter((c) => c[2] === mode).map((c) => (c[0] as Parameter).size).sort((a, b) => a - b);
      const fives = (...n: number[]) => n.flatMap((v) => [v, v, v, v, v]);
      // the last parameter (the output bias, 3) is checked by its commit call itself (CHECKED_COMMIT)
      expect(sizes(DRY_RUN), opt.constructor.name).toEqual(fives(16, 48));
      expect(sizes(CHECKED_COMMIT), opt.constructor.name).toEqual(fives(3));
      expect(sizes(COMMIT), opt.constructor.name).toEqual(fives(16, 48, 640));
      run.mockRestore();
      model.dispose();
    }
  });
});

describe('fit checks every row before the first step, in wasm', () => {
  it('NaN or Infinity at a chunk boundary, in the last row, with the data in JS memory, or in the validation rows: InvalidArgumentError, nothing changed', async () => {
    const model = k.sequential({ inputSize: 4, layers: [dense(3, 'softmax')], seed: 2 });
    const rows = 16390; // 65,560 floats: the check's chunks are 65,536
    const opt = new SGD({ learningRate: 0.01, momentum: 0.9 });
    const y = Int32Array.from({ length: rows }, (_, i) => i % 3);
    const w0 = model.getWeights().map((w) => w.values);
    for (const [at, value, options, name] of [
      [65536, NaN, {}, 'x'], [65535, Infinity, {}, 'x'], [rows * 4 - 1, -Infinity, {}, 'x'],
      [rows * 4 - 1, NaN, { dataInWasm: false }, 'x'], [-1, NaN, {}, 'options.validationData[0]'],
    ] as const) {
      const x = seeded(rows * 4, 5);
      const vx = seeded(8, 6);
      if (at >= 0) x[at] = value; else vx[7] = value;
      const err = await model.fit(x, y, { epochs: 1, batchSize: 64, optimizer: opt, validationData: [vx, Int32Array.of(0, 1)], ...options })
        .then(() => undefined, (e: unknown) => e);
      expect(err, `${value} at ${at}`).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).message, `${value} at ${at}`).toContain(name);
      if (at >= 0) expect((err as Error).message).toContain(`at index ${at}`);
      model.getWeights().forEach((w, i) => expect(sameBits(w.values, w0[i]!)).toBe(true));
      expect(opt.iterations).toBe(0);
    }
    model.dispose();
  });
});

describe('the bound is sound: whatever it vouches for, the exact dry run finds finite too', () => {
  it('worst-case signs at magnitudes from 1 to 1e36, learning rates from 1e-3 to 1e36, every rule', () => {
    type Internals = { prepare(): void; magnitudeBound(m: number, lr: number, gscale: number, clip: number): number };
    let vouched = 0, refused = 0;
    for (const [name, kind, options] of OPTIMIZERS) {
      for (const lr of [1e-3, 1, 1e20, 1e30, 1e36]) {
        for (const m of [1, 1e10, 1e18, 1e30, 1e36]) {
          for (const signs of [[1, 1, -1], [1, -1, 1], [-1, -1, -1]]) {
            const opt = make(kind, options, lr);
            const p = k.parameter(Array.from({ length: 263 }, () => signs[0]! * m)); // above SCAN_MIN: the bound decides
            p.grad.fill(signs[2]! * m);
            const views = opt.state(p) as Record<string, Float32Array>;
            // Adam's second moment is never negative
            opt.stateNames.forEach((n, i) => views[n]!.fill(i === 1 ? m : signs[1]! * m));
            const internals = opt as unknown as Internals;
            internals.prepare();
            const clip = (options.clipValue as number | undefined) ?? Infinity;
            if (internals.magnitudeBound(m, lr, 1, clip) > 1e37) { refused++; p.dispose(); continue; }
            vouched++;
            expect(stepError(opt, [p]), `${name} lr ${lr} m ${m} signs ${signs}`).toBeUndefined();
            expect(p.value.every(Number.isFinite)).toBe(true);
            p.dispose();
          }
        }
      }
    }
    expect(vouched).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(100);
  });

  it('at ordinary magnitudes the bound is at least every new value and state a step writes (so no term is missing)', () => {
    type Internals = { prepare(): void; magnitudeBound(m: number, lr: number, gscale: number, clip: number): number };
    for (const [name, kind, options] of OPTIMIZERS) {
      for (const lr of [0.01, 1, 10]) {
        for (const m of [1, 100]) {
          for (const signs of [[1, 1, -1], [1, -1, 1], [-1, -1, 1], [-1, 1, -1]]) {
            const opt = make(kind, options, lr);
            const p = k.parameter(Array.from({ length: 263 }, () => signs[0]! * m));
            p.grad.fill(signs[2]! * m);
            const views = opt.state(p) as Record<string, Float32Array>;
            opt.stateNames.forEach((n, i) => views[n]!.fill(i === 1 ? m : signs[1]! * m));
            const internals = opt as unknown as Internals;
            internals.prepare();
            const bound = internals.magnitudeBound(m, lr, 1, (options.clipValue as number | undefined) ?? Infinity);
            opt.step([p]);
            const largest = Math.max(...[p.value, ...opt.stateNames.map((n) => views[n]!)].map((a) => a.reduce((x, y) => Math.max(x, Math.abs(y)), 0)));
            expect(largest, `${name} lr ${lr} m ${m} signs ${signs}`).toBeLessThanOrEqual(bound);
            p.dispose();
          }
        }
      }
    }
  });
});

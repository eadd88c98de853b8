// Issue 5's guarantees, in both builds: after any thrown error (a bad argument, a schedule gone
// wrong, a diverged step, memory exhausted) the model's weights, velocities and the optimizer's
// state (step count, Adam's second moments) are exactly what they were; a diverging run stops
// cleanly with the last good state; models sharing one kernels instance do not disturb each
// other; and the same seed gives the same bits run after run.
import { describe, it, expect, beforeAll } from 'vitest';
import {
  SGD, Adam, dense, loadKernels, InvalidArgumentError, TrainingDivergedError, OutOfMemoryError,
  type Kernels, type Sequential, type Optimizer, type SequentialConfig,
} from '../src/index.js';
import { kernelsUnderTest, seeded, SIMD } from './helpers.js';
import { sameBits, stateCopy } from './model-helpers.js';

let k: Kernels;
beforeAll(async () => {
  k = await kernelsUnderTest();
});

// ------------------------------------------------------------------ state snapshots

interface State {
  weights: Float32Array[];
  /** the optimizer's first state tensor per parameter: SGD's velocity, Adam's m */
  velocities: Float32Array[];
  /** Adam's v (zeros for SGD) */
  seconds: Float32Array[];
  iterations: number;
  shuffle: number;
}

function state(model: Sequential, opt: Optimizer): State {
  const ps = model.parameters();
  return {
    weights: model.getWeights().map((w) => w.values),
    // the optimizer's own state, read without creating it: state not yet allocated is all zeros
    velocities: ps.map((p) => stateCopy(opt, p, opt.stateNames[0]!)),
    seconds: ps.map((p) => (opt.stateNames[1] === undefined ? new Float32Array(p.size) : stateCopy(opt, p, opt.stateNames[1]))),
    iterations: opt.iterations,
    shuffle: model.shuffleState,
  };
}

/** `shuffle: false` for a fit stopped by an error: fit shuffles each epoch's order when the epoch
 *  starts, so after a failure on an epoch's first batch the stream has moved past that shuffle */
function expectState(model: Sequential, opt: Optimizer, before: State, what: string, o: { shuffle?: boolean } = {}): void {
  const now = state(model, opt);
  now.weights.forEach((w, i) => expect(sameBits(w, before.weights[i]!), `${what}: weights[${i}]`).toBe(true));
  now.velocities.forEach((v, i) => expect(sameBits(v, before.velocities[i]!), `${what}: velocity[${i}]`).toBe(true));
  now.seconds.forEach((s, i) => expect(sameBits(s, before.seconds[i]!), `${what}: second moment[${i}]`).toBe(true));
  expect(now.iterations, `${what}: optimizer iterations`).toBe(before.iterations);
  if (o.shuffle !== false) expect(now.shuffle, `${what}: shuffle state`).toBe(before.shuffle);
}

async function caught(fn: () => unknown): Promise<unknown> {
  try { await fn(); } catch (e) { return e; }
  return undefined;
}

const IN = 5, OUT = 4;
const X = (rows: number, seed = 1) => seeded(rows * IN, seed, 2);
const Y = (rows: number, seed = 2) => Int32Array.from(seeded(rows, seed), (v) => Math.floor(((v + 1) / 2) * OUT) % OUT);
const classifier = (seed = 3) => k.sequential({ inputSize: IN, layers: [dense(7, 'relu'), dense(6, 'tanh'), dense(OUT, 'softmax')], seed });

// ------------------------------------------------------------------ InvalidArgumentError

describe('after an InvalidArgumentError nothing changed', () => {
  const optimizers: Array<[string, () => Optimizer]> = [
    ['SGD (seed, Nesterov)', () => new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true })],
    ['SGD (pytorch, dampening)', () => new SGD({ learningRate: 0.1, momentum: 0.9, dampening: 0.2, convention: 'pytorch' })],
    ['Adam', () => new Adam({ learningRate: 0.01, weightDecay: 0.01 })],
  ];
  for (const [name, make] of optimizers) {
    it(`${name}: trainBatch (bad x, bad y, labels out of range), setWeights, fit options`, async () => {
      const model = classifier();
      const opt = make();
      // a few good steps first, so velocities (and Adam's moments) are not zero
      for (let i = 0; i < 3; i++) model.trainBatch(X(8, i), Y(8, i), opt);
      await model.fit(X(12, 9), Y(12, 9), { epochs: 1, batchSize: 5, optimizer: opt });
      for (const p of model.parameters()) expect(stateCopy(opt, p, opt.stateNames[0]!).some((v) => v !== 0), p.name).toBe(true);
      const before = state(model, opt);
      const bad: Array<[string, () => unknown, string]> = [
        ['x of the wrong length', () => model.trainBatch(seeded(8 * IN - 1, 1), Y(8), opt), 'x'],
        ['x with NaN in the last row', () => { const x = X(8); x[8 * IN - 1] = NaN; return model.trainBatch(x, Y(8), opt); }, 'x'],
        ['x as a Float64Array', () => model.trainBatch(Float64Array.from(X(8)) as never, Y(8), opt), 'x'],
        ['y of the wrong length', () => model.trainBatch(X(8), Y(7), opt), 'y'],
        ['y of Infinity targets', () => { const t = new Float32Array(8 * OUT); t[3] = Infinity; return model.trainBatch(X(8), t, opt); }, 'y'],
        ['a label equal to the class count', () => { const y = Y(8); y[7] = OUT; return model.trainBatch(X(8), y, opt); }, 'y'],
        ['a negative label', () => { const y = Y(8); y[0] = -1; return model.trainBatch(X(8), y, opt); }, 'y'],
        ['a fractional float label count', () => model.trainBatch(X(2), new Float32Array(2 * OUT + 1), opt), 'y'],
        ['setWeights with a NaN in the last tensor', () => { const w = model.getWeights().map((t) => t.values.map((v) => v + 1)); w[w.length - 1]![0] = NaN; model.setWeights(w); }, 'weights[5]'],
        ['setWeights with a short tensor', () => { const w = model.getWeights().map((t) => t.values); w[2] = w[2]!.subarray(1); model.setWeights(w); }, 'weights[2]'],
        ['setWeights with too few tensors', () => model.setWeights(model.getWeights().slice(1)), 'weights'],
        ['fit epochs 0', () => model.fit(X(8), Y(8), { epochs: 0, optimizer: opt }), 'options.epochs'],
        ['fit batchSize -1', () => model.fit(X(8), Y(8), { batchSize: -1, optimizer: opt }), 'options.batchSize'],
        ['fit seed 2^32', () => model.fit(X(8), Y(8), { seed: 2 ** 32, optimizer: opt }), 'options.seed'],
        ['fit shuffle "yes"', () => model.fit(X(8), Y(8), { shuffle: 'yes' as never, optimizer: opt }), 'options.shuffle'],
        ['fit onEpochEnd not a function', () => model.fit(X(8), Y(8), { onEpochEnd: 3 as never, optimizer: opt }), 'options.onEpochEnd'],
        ['fit validation labels out of range', () => model.fit(X(8), Y(8), { validationData: [X(2), Int32Array.from([0, OUT])], optimizer: opt }), 'options.validationData[1]'],
        ['fit NaN in the last row of x', () => { const x = X(8); x[x.length - 1] = NaN; return model.fit(x, Y(8), { optimizer: opt }); }, 'x'],
      ];
      for (const [what, fn, argument] of bad) {
        const err = await caught(fn);
        expect(err, what).toBeInstanceOf(InvalidArgumentError);
        expect((err as InvalidArgumentError).argument, what).toBe(argument);
        expectState(model, opt, before, what);
      }
      // and a good step still works from exactly there
      model.trainBatch(X(8, 30), Y(8, 30), opt);
      expect(opt.iterations).toBe(before.iterations + 1);
      model.dispose();
    });
  }

  it('a learning-rate or momentum schedule that returns NaN: trainBatch and fit throw at that step, the state is from before it', async () => {
    for (const make of [
      () => new SGD({ learningRate: (s) => (s < 4 ? 0.1 : NaN), momentum: 0.9 }),
      () => new SGD({ learningRate: 0.1, momentum: (s) => (s < 4 ? 0.9 : NaN), convention: 'pytorch' }),
      () => new Adam({ learningRate: (s) => (s < 4 ? 0.01 : NaN) }),
    ]) {
      const model = classifier(), opt = make();
      for (let i = 0; i < 4; i++) model.trainBatch(X(6, i), Y(6, i), opt);
      const before = state(model, opt);
      const err = await caught(() => model.trainBatch(X(6, 9), Y(6, 9), opt));
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toMatch(/finite numbers in \[0, (Infinity|1)\) \(step 4\), got NaN/);
      expectState(model, opt, before, 'trainBatch');

      // in fit: the 5th update fails; the model holds what the 4th left
      const m2 = classifier(), o2 = make();
      let last: State | null = null;
      const err2 = await caught(() => m2.fit(X(12), Y(12), { epochs: 5, batchSize: 3, optimizer: o2, onBatchEnd: () => { last = state(m2, o2); } }));
      expect(err2).toBeInstanceOf(InvalidArgumentError);
      expect(o2.iterations).toBe(4);
      const l = last as State | null;
      expect(l).not.toBeNull();
      expectState(m2, o2, l!, 'fit', { shuffle: false }); // the 5th update is the 2nd epoch's first
      model.dispose(); m2.dispose();
    }
  });

  it('a schedule that throws its own error: it propagates, and the state is from before the step', () => {
    const model = classifier();
    const opt = new SGD({ learningRate: (s) => { if (s === 2) throw new RangeError('schedule broke'); return 0.1; }, momentum: 0.5 });
    model.trainBatch(X(4), Y(4), opt); model.trainBatch(X(4), Y(4), opt);
    const before = state(model, opt);
    expect(() => model.trainBatch(X(4), Y(4), opt)).toThrow(RangeError);
    expectState(model, opt, before, 'after the schedule threw');
    model.dispose();
  });
});

// ------------------------------------------------------------------ TrainingDivergedError

describe('TrainingDivergedError', () => {
  // MSE regression with learning rate 10 and momentum 0.99: the loss overflows to Infinity at step 14
  const regression = () => k.sequential({ inputSize: 4, layers: [dense(6, 'tanh'), dense(2, 'linear')], loss: 'mse', seed: 3 });
  const rx = seeded(16 * 4, 1, 2), rt = seeded(16 * 2, 2, 3);
  const unstable = () => new SGD({ learningRate: 10, momentum: 0.99 });

  it('trainBatch: lr 10, momentum 0.99 diverges within a few steps; the error names epoch, step, lr, momentum and the hint; the state is from before the step', () => {
    const model = regression(), opt = unstable();
    let before: State | null = null, err: unknown, steps = 0;
    for (; steps < 40; steps++) {
      before = state(model, opt);
      try { model.trainBatch(rx, rt, opt); } catch (e) { err = e; break; }
    }
    expect(err).toBeInstanceOf(TrainingDivergedError);
    expect(steps).toBeLessThan(30);
    const e = err as TrainingDivergedError;
    expect([e.epoch, e.step, e.learningRate, e.momentum]).toEqual([0, steps + 1, 10, 0.99]);
    expect(e.message).toMatch(new RegExp(`epoch 0, step ${steps + 1}\\b`));
    expect(e.message).toMatch(/learning rate 10, momentum 0\.99/);
    expect(e.message).toMatch(/Lower the learning rate or the momentum/);
    expectState(model, opt, before!, 'after divergence');
    for (const w of state(model, opt).weights) expect(w.every(Number.isFinite)).toBe(true);
    // the model is still usable: a sane optimizer continues from the last good state
    const fresh = regression();
    model.setWeights(fresh.getWeights());
    expect(Number.isFinite(model.trainBatch(rx, rt, new SGD({ learningRate: 0.01 })))).toBe(true);
    model.dispose(); fresh.dispose();
  });

  it('Adam with a huge learning rate diverges too, and its second moments are from before the step', () => {
    for (const lr of [1e30, 3e38]) { // the loss overflows at step 2; the first update itself overflows
      const model = regression(), opt = new Adam({ learningRate: lr });
      let before: State | null = null, err: unknown;
      for (let s = 0; s < 10 && !err; s++) {
        before = state(model, opt);
        try { model.trainBatch(rx, rt, opt); } catch (e) { err = e; }
      }
      expect(err, `lr ${lr}`).toBeInstanceOf(TrainingDivergedError);
      expect((err as TrainingDivergedError).learningRate).toBe(lr);
      expect((err as TrainingDivergedError).momentum).toBe(0.9); // Adam's beta1
      expectState(model, opt, before!, `Adam lr ${lr}`);
      model.dispose();
    }
  });

  it('an update that is finite for the first parameter and not for the last changes neither (dry run, then commit)', () => {
    for (const opt of [new SGD({ learningRate: 10, momentum: 0.9 }), new SGD({ learningRate: 10, momentum: 0.9, convention: 'pytorch' }), new Adam({ learningRate: 0.1 })]) {
      const a = k.parameter(seeded(19, 1)), b = k.parameter(seeded(7, 2));
      a.grad.set(seeded(19, 3)); b.grad.set(seeded(7, 4));
      opt.step([a, b]);
      const copy = (p: typeof a) => opt.stateNames.map((n) => (opt.state(p) as Record<string, Float32Array>)[n]!.slice());
      const wa = a.value.slice(), wb = b.value.slice(), sa = copy(a), sb = copy(b), it0 = opt.iterations;
      // SGD: lr · g overflows; Adam: g² overflows the second moment
      b.grad.set(seeded(7, 5, 3e38)); b.grad[6] = 3.4e38;
      const err = (() => { try { opt.step([a, b]); } catch (e) { return e; } })();
      expect(err).toBeInstanceOf(TrainingDivergedError);
      expect((err as Error).message).toMatch(/the update is not finite/);
      expect(sameBits(a.value, wa) && sameBits(b.value, wb)).toBe(true);
      // every state tensor (velocity; Adam's m and v) of both parameters
      opt.stateNames.forEach((n, i) => {
        expect(sameBits((opt.state(a) as Record<string, Float32Array>)[n]!, sa[i]!), `a ${n}`).toBe(true);
        expect(sameBits((opt.state(b) as Record<string, Float32Array>)[n]!, sb[i]!), `b ${n}`).toBe(true);
      });
      expect(opt.iterations).toBe(it0);
      a.dispose(); b.dispose();
    }
  });

  it("fit throws it with the epoch; the weights are the last batch's; onDivergence: 'stop' ends training with that state and history.stopped 'diverged'", async () => {
    const fitOnce = async (onDivergence: 'throw' | 'stop') => {
      const model = regression(), opt = unstable();
      let last = state(model, opt), batches = 0;
      const result = await model.fit(rx, rt, {
        epochs: 40, batchSize: 4, optimizer: opt, onDivergence,
        onBatchEnd: () => { last = state(model, opt); batches++; },
      }).then((h) => ({ h }), (e: unknown) => ({ e }));
      return { model, opt, last, batches, ...result } as { model: Sequential; opt: Optimizer; last: State; batches: number; h?: Awaited<ReturnType<Sequential['fit']>>; e?: unknown };
    };
    const a = await fitOnce('throw');
    expect(a.e).toBeInstanceOf(TrainingDivergedError);
    const e = a.e as TrainingDivergedError;
    expect(e.epoch).toBe(Math.floor(a.batches / 4) + 1); // 4 batches per epoch
    expect(e.step).toBe(a.batches + 1);
    expect(e.message).toMatch(new RegExp(`epoch ${e.epoch}, step ${e.step}\\b.*learning rate 10, momentum 0\\.99.*Lower the learning rate or the momentum`));
    expectState(a.model, a.opt, a.last, 'fit that threw');

    const b = await fitOnce('stop');
    expect(b.e).toBeUndefined();
    const h = b.h!;
    expect(h.stopped).toBe('diverged');
    expect(h.diverged).toEqual({ epoch: e.epoch, step: e.step, message: e.message });
    expect(h.epochs).toBeLessThan(40);
    expect(b.batches).toBe(a.batches);
    expectState(b.model, b.opt, a.last, "fit with onDivergence 'stop'");
    for (const l of h.loss) expect(Number.isFinite(l)).toBe(true);
    a.model.dispose(); b.model.dispose();
  });
});

// ------------------------------------------------------------------ OutOfMemoryError

describe('OutOfMemoryError', () => {
  it('a model too large for wasm32 memory: requested and available bytes; nothing kept; the kernels instance trains another model', () => {
    const bytes = k.exports.memory.buffer.byteLength, inUse = k.arena.bytesInUse;
    let err: unknown;
    try { k.sequential({ inputSize: 200_000, layers: [dense(20_000, 'relu'), dense(10, 'softmax')], seed: 1 }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(OutOfMemoryError);
    const e = err as OutOfMemoryError;
    expect(e.requested).toBeGreaterThanOrEqual(200_000 * 20_000 * 4);
    expect(e.available).toBeGreaterThan(0);
    expect(e.available).toBeLessThan(e.requested);
    expect(e.message).toContain(`${e.requested} bytes requested`);
    expect(e.message).toContain(`${e.available} bytes available`);
    // a failure in a later layer gives back what the earlier layers took
    expect(() => k.sequential({ inputSize: 10, layers: [dense(50, 'relu'), dense(300_000_000, 'softmax')] })).toThrow(OutOfMemoryError);
    expect(() => k.parameter({ shape: [100_000, 100_000] })).toThrow(OutOfMemoryError);
    expect(k.exports.memory.buffer.byteLength).toBe(bytes);
    expect(k.arena.bytesInUse).toBe(inUse);
    // the same instance still works
    const model = classifier();
    const opt = new SGD({ learningRate: 0.1, momentum: 0.9 });
    const l0 = model.evaluate(X(40, 5), Y(40, 6)).loss;
    for (let i = 0; i < 30; i++) model.trainBatch(X(40, 5), Y(40, 6), opt);
    expect(model.evaluate(X(40, 5), Y(40, 6)).loss).toBeLessThan(l0);
    model.dispose();
  });

  it('1,000 create / train / dispose cycles leave memory.buffer.byteLength unchanged after the first', () => {
    const cycle = (i: number) => {
      const m = k.sequential({ inputSize: IN, layers: [dense(8 + (i % 5), 'relu'), dense(OUT, 'softmax')], seed: i });
      m.trainBatch(X(3 + (i % 4), i), Y(3 + (i % 4), i), new SGD({ learningRate: 0.05, momentum: 0.9 }));
      m.dispose();
    };
    cycle(0);
    const bytes = k.exports.memory.buffer.byteLength, inUse = k.arena.bytesInUse;
    for (let i = 1; i <= 1000; i++) cycle(i);
    expect(k.exports.memory.buffer.byteLength).toBe(bytes);
    expect(k.arena.bytesInUse).toBe(inUse);
  });
});

// ------------------------------------------------------------------ isolation and determinism

describe('isolation and determinism', () => {
  const cfgA: SequentialConfig = { inputSize: IN, layers: [dense(9, 'relu'), dense(OUT, 'softmax')], seed: 21 };
  const cfgB: SequentialConfig = { inputSize: IN, layers: [dense(13, 'tanh'), dense(3, 'linear')], loss: 'mse', seed: 22 };
  const optA = () => new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true, clipNorm: 3 });
  const optB = () => new Adam({ learningRate: 0.01 });
  // batch sizes that grow at different times in each model, so workspaces (and memory) grow mid-run
  const rowsA = (s: number) => 2 + ((s * 7) % 23), rowsB = (s: number) => 1 + ((s * 5) % 31);
  const tB = (rows: number, s: number) => seeded(rows * 3, 500 + s);

  const trainA = (m: Sequential, o: Optimizer, s: number) => m.trainBatch(X(rowsA(s), 100 + s), Y(rowsA(s), 200 + s), o);
  const trainB = (m: Sequential, o: Optimizer, s: number) => m.trainBatch(X(rowsB(s), 300 + s), tB(rowsB(s), s), o);
  const STEPS = 40;

  function expectSame(a: Sequential, oa: Optimizer, b: Sequential, ob: Optimizer, what: string): void {
    const sa = state(a, oa);
    expectState(b, ob, sa, what);
  }

  it('two models on one kernels instance, trained batch by batch in turn (with predictions between), end bitwise identical to each trained alone', async () => {
    // alone: each on a kernels instance of its own
    const kA = await loadKernels({ simd: SIMD }), kB = await loadKernels({ simd: SIMD });
    const aloneA = kA.sequential(cfgA), aloneB = kB.sequential(cfgB), oA1 = optA(), oB1 = optB();
    const lossA: number[] = [], lossB: number[] = [];
    for (let s = 0; s < STEPS; s++) lossA.push(trainA(aloneA, oA1, s));
    for (let s = 0; s < STEPS; s++) lossB.push(trainB(aloneB, oB1, s));
    // together, interleaved, plus a third model created and disposed in the middle
    const a = k.sequential(cfgA), b = k.sequential(cfgB), oA = optA(), oB = optB();
    for (let s = 0; s < STEPS; s++) {
      expect(trainA(a, oA, s), `A step ${s}`).toBe(lossA[s]);
      b.predict(X(7, s));
      expect(trainB(b, oB, s), `B step ${s}`).toBe(lossB[s]);
      a.evaluate(X(5, s), Y(5, s));
      if (s === STEPS / 2) { const c = classifier(); c.trainBatch(X(64), Y(64), new SGD({ learningRate: 1, momentum: 0.5 })); c.dispose(); }
    }
    expectSame(aloneA, oA1, a, oA, 'model A');
    expectSame(aloneB, oB1, b, oB, 'model B');
    a.dispose(); b.dispose();
  });

  it('two fits running at once on one instance (interleaved epoch by epoch) match each run alone', async () => {
    const xA = X(30, 1), yA = Y(30, 2), xB = X(25, 3), tBf = seeded(25 * 3, 4);
    const run = async (together: boolean) => {
      const kk = together ? k : await loadKernels({ simd: SIMD });
      const a = kk.sequential(cfgA), b = (together ? kk : await loadKernels({ simd: SIMD })).sequential(cfgB), oA = optA(), oB = optB();
      const yieldNow = () => new Promise<void>((r) => setTimeout(r, 0));
      const fa = a.fit(xA, yA, { epochs: 6, batchSize: 7, optimizer: oA, onEpochEnd: yieldNow });
      const fb = b.fit(xB, tBf, { epochs: 6, batchSize: 4, optimizer: oB, onEpochEnd: yieldNow });
      const [ha, hb] = await Promise.all([fa, fb]);
      return { a, b, oA, oB, ha, hb };
    };
    const alone = await run(false), together = await run(true);
    expect(together.ha.loss).toEqual(alone.ha.loss);
    expect(together.hb.loss).toEqual(alone.hb.loss);
    expectSame(alone.a, alone.oA, together.a, together.oA, 'fit A');
    expectSame(alone.b, alone.oB, together.b, together.oB, 'fit B');
    together.a.dispose(); together.b.dispose();
  });

  it('the same seed gives bitwise identical weights run after run (fresh instances, shuffled fits); another seed does not', async () => {
    const x = X(40, 7), y = Y(40, 8);
    const run = async (kk: Kernels, seed: number) => {
      const m = kk.sequential({ ...cfgA, seed });
      const o = new SGD({ learningRate: 0.05, momentum: 0.9 });
      await m.fit(x, y, { epochs: 3, batchSize: 6, optimizer: o });
      await m.fit(x, y, { epochs: 1, batchSize: 6, optimizer: o }); // continues the model's shuffle stream
      return { m, o };
    };
    const first = await run(k, 77);
    for (const kk of [k, await loadKernels({ simd: SIMD }), await loadKernels({ simd: SIMD })]) {
      const again = await run(kk, 77);
      expectSame(first.m, first.o, again.m, again.o, 'same seed');
      again.m.dispose();
    }
    const other = await run(k, 78);
    expect(sameBits(other.m.getWeights()[0]!.values, first.m.getWeights()[0]!.values)).toBe(false);
    first.m.dispose(); other.m.dispose();
  });
});

// Bad input throws InvalidArgumentError whose message names the argument and what was expected,
// and a model method that throws leaves the model exactly as it was: weights, velocities, the
// optimizer's step count, and what the next good step computes.
import { describe, it, expect, beforeAll } from 'vitest';
import { SGD, dense, InvalidArgumentError, type Kernels, type Sequential } from '../src/index.js';
import { kernelsUnderTest, seeded } from './helpers.js';
import { sameBits, snapshot } from './model-helpers.js';

let k: Kernels;
beforeAll(async () => {
  k = await kernelsUnderTest();
});

/** the error `fn` throws, checked: an InvalidArgumentError for `argument`, "argument: expected …" matching `expected` */
function expectInvalid(fn: () => unknown, argument: string, expected: RegExp): InvalidArgumentError {
  let err: unknown;
  try { fn(); } catch (e) { err = e; }
  return checkInvalid(err, argument, expected);
}
async function expectInvalidAsync(fn: () => Promise<unknown>, argument: string, expected: RegExp): Promise<InvalidArgumentError> {
  let err: unknown;
  try { await fn(); } catch (e) { err = e; }
  return checkInvalid(err, argument, expected);
}
function checkInvalid(err: unknown, argument: string, expected: RegExp): InvalidArgumentError {
  expect(err, `expected an InvalidArgumentError for ${argument}`).toBeInstanceOf(InvalidArgumentError);
  const e = err as InvalidArgumentError;
  expect(e.argument).toBe(argument);
  expect(e.message.startsWith(`${argument}: expected `), e.message).toBe(true);
  expect(e.message).toMatch(expected);
  return e;
}

const IN = 6, OUT = 10;
const classifier = () => k.sequential({ inputSize: IN, layers: [dense(9, 'relu'), dense(OUT, 'softmax')], seed: 4 });
const goodX = (rows: number, seed = 1) => seeded(rows * IN, seed);
const goodY = (rows: number, seed = 2) => Int32Array.from(seeded(rows, seed), (v) => Math.floor(((v + 1) / 2) * OUT) % OUT);

describe('optimizer and layer arguments', () => {
  it('learning rate: NaN, Infinity, negative, not a number', () => {
    expectInvalid(() => new SGD({ learningRate: NaN }), 'learningRate', /a finite number, got NaN/);
    expectInvalid(() => new SGD({ learningRate: Infinity }), 'learningRate', /a finite number, got Infinity/);
    expectInvalid(() => new SGD({ learningRate: -0.1 }), 'learningRate', />= 0, got -0\.1/);
    expectInvalid(() => new SGD({ learningRate: '0.1' as never }), 'learningRate', /a finite number/);
    expect(new SGD({ learningRate: 0 }).learningRate).toBe(0); // 0 is allowed (gradient checks use it)
  });

  it('momentum: negative, 1, 1.5, NaN; Nesterov without momentum', () => {
    expectInvalid(() => new SGD({ momentum: -0.1 }), 'momentum', />= 0, got -0\.1/);
    expectInvalid(() => new SGD({ momentum: 1 }), 'momentum', /< 1, got 1$/);
    expectInvalid(() => new SGD({ momentum: 1.5 }), 'momentum', /< 1, got 1\.5/);
    expectInvalid(() => new SGD({ momentum: NaN }), 'momentum', /a finite number, got NaN/);
    expectInvalid(() => new SGD({ momentum: 0, nesterov: true }), 'nesterov', /momentum > 0/);
    expect(new SGD({ momentum: 0.999 }).momentum).toBe(0.999);
    expect(new SGD().momentum).toBe(0); // default: plain gradient descent
  });

  it('dense(): unknown activation, units 0, fractional or negative units, bad bias option', () => {
    expectInvalid(() => dense(3, 'gelu' as never), 'activation', /one of 'relu', 'sigmoid', 'tanh', 'linear', 'softmax', got "gelu"/);
    expectInvalid(() => dense(0), 'units', /an integer >= 1, got 0/);
    expectInvalid(() => dense(2.5, 'relu'), 'units', /an integer >= 1, got 2\.5/);
    expectInvalid(() => dense(-3, 'relu'), 'units', /an integer >= 1/);
    expectInvalid(() => dense(3, 'relu', { bias: 'yes' as never }), 'options.bias', /a boolean/);
  });

  it('k.sequential(): bad inputSize, no layers, a hand-made layer with a bad activation, unknown loss, bad seed', () => {
    const L = [dense(3, 'softmax')];
    expectInvalid(() => k.sequential({ inputSize: 0, layers: L }), 'config.inputSize', /an integer >= 1, got 0/);
    expectInvalid(() => k.sequential({ inputSize: 4, layers: [] }), 'config.layers', /non-empty array/);
    expectInvalid(() => k.sequential({ inputSize: 4, layers: [{ type: 'dense', units: 3, activation: 'swish', bias: true } as never] }),
      'config.layers[0]', /activation: expected one of/);
    expectInvalid(() => k.sequential({ inputSize: 4, layers: L, loss: 'hinge' as never }), 'config.loss', /'crossEntropy', 'mse', got "hinge"/);
    expectInvalid(() => k.sequential({ inputSize: 4, layers: L, seed: -1 }), 'config.seed', /an integer in \[0, 2\^32\)/);
  });

  it('k.parameter(): empty, NaN, a bad shape', () => {
    expectInvalid(() => k.parameter([]), 'init', /at least one value/);
    expectInvalid(() => k.parameter([1, NaN]), 'init', /finite values only, got "NaN at index 1"/);
    expectInvalid(() => k.parameter(Float32Array.from([Infinity])), 'init', /finite values only/);
    expectInvalid(() => k.parameter({ shape: [2, 0] }), 'init.shape', /positive integers/);
  });
});

describe('model methods: the error names the argument, and the model is unchanged', () => {
  let model: Sequential;
  let twin: Sequential; // trained identically, never shown bad input
  let sgd: SGD;
  let twinSgd: SGD;

  // train a few steps with momentum first, so the velocities are not zero
  beforeAll(() => {
    model = classifier(); twin = classifier();
    sgd = new SGD({ learningRate: 0.1, momentum: 0.9 }); twinSgd = new SGD({ learningRate: 0.1, momentum: 0.9 });
    for (let i = 0; i < 3; i++) { model.trainBatch(goodX(8, i), goodY(8, i), sgd); twin.trainBatch(goodX(8, i), goodY(8, i), twinSgd); }
    for (const p of model.parameters()) expect(sgd.state(p).velocity.some((v) => v !== 0), p.name).toBe(true);
  });

  /** runs `fn` expecting the error, then checks weights, velocities and the step count are bit-identical */
  function unchangedAfter(fn: () => unknown, argument: string, expected: RegExp): void {
    const before = snapshot(model, sgd);
    const iterations = sgd.iterations;
    expectInvalid(fn, argument, expected);
    const after = snapshot(model, sgd);
    after.weights.forEach((w, i) => expect(sameBits(w, before.weights[i]!), `weights[${i}] after a bad ${argument}`).toBe(true));
    after.velocities.forEach((v, i) => expect(sameBits(v, before.velocities[i]!), `velocity[${i}] after a bad ${argument}`).toBe(true));
    expect(sgd.iterations).toBe(iterations);
  }
  async function unchangedAfterAsync(fn: () => Promise<unknown>, argument: string, expected: RegExp): Promise<void> {
    const before = snapshot(model, sgd);
    await expectInvalidAsync(fn, argument, expected);
    const after = snapshot(model, sgd);
    after.weights.forEach((w, i) => expect(sameBits(w, before.weights[i]!), `weights[${i}] after a bad ${argument}`).toBe(true));
    after.velocities.forEach((v, i) => expect(sameBits(v, before.velocities[i]!), `velocity[${i}] after a bad ${argument}`).toBe(true));
  }

  it('wrong x length, empty x, x of the wrong type', () => {
    unchangedAfter(() => model.trainBatch(seeded(8 * IN + 1, 1), goodY(8), sgd), 'x', /a positive multiple of inputSize 6, got "length 49"/);
    unchangedAfter(() => model.trainBatch(new Float32Array(0), new Int32Array(0), sgd), 'x', /positive multiple of inputSize 6/);
    unchangedAfter(() => model.trainBatch(Float64Array.from(goodX(8)) as never, goodY(8), sgd), 'x', /a Float32Array of rows × 6 inputs, got Float64Array/);
    unchangedAfter(() => model.evaluate(seeded(5, 1), goodY(1)), 'x', /multiple of inputSize 6/);
    unchangedAfter(() => model.predict(seeded(7, 1)), 'x', /multiple of inputSize 6, got "length 7"/);
  });

  it('wrong y length: class ids and float targets', () => {
    unchangedAfter(() => model.trainBatch(goodX(8), goodY(7), sgd), 'y', /8 class ids \(one per row of x\), got "length 7"/);
    unchangedAfter(() => model.trainBatch(goodX(8), new Float32Array(8 * OUT - 1), sgd), 'y', /8 × 10 = 80 targets, got "length 79"/);
    unchangedAfter(() => model.evaluate(goodX(4), Uint8Array.from([1, 2, 3])), 'y', /4 class ids/);
    unchangedAfter(() => model.trainBatch(goodX(2), [1, 2] as never, sgd), 'y', /Int32Array \/ Uint8Array of class ids/);
  });

  it('labels out of range: 10 for 10 classes, -1, 255 in a Uint8Array', () => {
    const y = goodY(8);
    y[5] = 10;
    unchangedAfter(() => model.trainBatch(goodX(8), y, sgd), 'y', /class ids in \[0, 10\), got "10 at index 5"/);
    y[5] = -1;
    unchangedAfter(() => model.trainBatch(goodX(8), y, sgd), 'y', /class ids in \[0, 10\), got "-1 at index 5"/);
    const u8 = Uint8Array.from(goodY(8));
    u8[7] = 255; // last row: the check covers every label, not only the first
    unchangedAfter(() => model.trainBatch(goodX(8), u8, sgd), 'y', /got "255 at index 7"/);
    unchangedAfter(() => model.evaluate(goodX(8), u8), 'y', /got "255 at index 7"/);
  });

  it('NaN or Infinity in x or in float targets', () => {
    const x = goodX(8);
    x[8 * IN - 1] = NaN; // in the last row
    unchangedAfter(() => model.trainBatch(x, goodY(8), sgd), 'x', /finite values only/);
    unchangedAfter(() => model.evaluate(x, goodY(8)), 'x', /finite values only/);
    x[8 * IN - 1] = 0; x[3] = -Infinity;
    unchangedAfter(() => model.trainBatch(x, goodY(8), sgd), 'x', /finite values only/);
    const t = new Float32Array(8 * OUT);
    t[17] = NaN;
    unchangedAfter(() => model.trainBatch(goodX(8), t, sgd), 'y', /finite values only, got "NaN at index 17"/);
  });

  it('a bad optimizer', () => {
    unchangedAfter(() => model.trainBatch(goodX(2), goodY(2), { learningRate: 0.1 } as never), 'optimizer', /new SGD/);
  });

  it('setWeights: wrong count, wrong length, NaN, not a Float32Array', () => {
    const good = model.getWeights().map((w) => w.values);
    unchangedAfter(() => model.setWeights(good.slice(0, 3)), 'weights', /4 arrays \(the trainable tensors of each layer, in order: dense_0\/kernel, dense_0\/bias, dense_1\/kernel, dense_1\/bias\), got "3"/);
    unchangedAfter(() => model.setWeights([...good, good[0]!]), 'weights', /4 arrays/);
    const short = good.map((w) => w.slice());
    short[2] = short[2]!.slice(1);
    unchangedAfter(() => model.setWeights(short), 'weights[2]', /90 values for dense_1\/kernel \[9, 10\], got "89"/);
    // a NaN in the last array: nothing before it may have been written either
    const nan = good.map((w) => w.map((v) => v + 1));
    nan[3]![4] = NaN;
    unchangedAfter(() => model.setWeights(nan), 'weights[3]', /finite values only, got "NaN at index 4"/);
    unchangedAfter(() => model.setWeights([good[0]!, Array.from(good[1]!) as never, good[2]!, good[3]!]), 'weights[1]', /a Float32Array for dense_0\/bias/);
  });

  it('fit: bad options, NaN in x or in the validation data; nothing trains', async () => {
    await unchangedAfterAsync(() => model.fit(goodX(8), goodY(8), { epochs: 0 }), 'options.epochs', /an integer >= 1, got 0/);
    await unchangedAfterAsync(() => model.fit(goodX(8), goodY(8), { batchSize: 1.5 }), 'options.batchSize', /an integer >= 1/);
    await unchangedAfterAsync(() => model.fit(goodX(8), goodY(8), { onDivergence: 'ignore' as never }), 'options.onDivergence', /'throw', 'stop'/);
    await unchangedAfterAsync(() => model.fit(goodX(8), goodY(8), { optimizer: {} as never }), 'options.optimizer', /new SGD/);
    await unchangedAfterAsync(() => model.fit(goodX(8), goodY(9)), 'y', /8 class ids/);
    const bad = goodY(8); bad[0] = 10;
    await unchangedAfterAsync(() => model.fit(goodX(8), bad), 'y', /class ids in \[0, 10\)/);
    const x = goodX(8); x[20] = NaN;
    // NaN inputs are a bad argument, not a diverged run
    await unchangedAfterAsync(() => model.fit(x, goodY(8)), 'x', /finite values only/);
    const vx = goodX(4); vx[1] = Infinity;
    await unchangedAfterAsync(() => model.fit(goodX(8), goodY(8), { validationData: [vx, goodY(4)] }), 'options.validationData[0]', /finite values only/);
    await unchangedAfterAsync(() => model.fit(goodX(8), goodY(8), { validationData: [goodX(4), goodY(3)] }), 'options.validationData[1]', /4 class ids/);
  });

  it('after all those errors the next good step computes exactly what the untouched twin computes', () => {
    const x = goodX(8, 50), y = goodY(8, 51);
    const a = model.trainBatch(x, y, sgd), b = twin.trainBatch(x, y, twinSgd);
    expect(a).toBe(b);
    const sm = snapshot(model, sgd), st = snapshot(twin, twinSgd);
    sm.weights.forEach((w, i) => expect(sameBits(w, st.weights[i]!)).toBe(true));
    sm.velocities.forEach((v, i) => expect(sameBits(v, st.velocities[i]!)).toBe(true));
    expect(sameBits(model.predict(goodX(3, 9)), twin.predict(goodX(3, 9)))).toBe(true);
  });

  it('a disposed model: every method names the model', async () => {
    const m = classifier();
    m.trainBatch(goodX(2), goodY(2), new SGD({ learningRate: 0.1, momentum: 0.5 }));
    m.dispose();
    const disposed = /a model that has not been disposed, got "a disposed model"/;
    expectInvalid(() => m.trainBatch(goodX(2), goodY(2), sgd), 'model', disposed);
    expectInvalid(() => m.predict(goodX(2)), 'model', disposed);
    expectInvalid(() => m.evaluate(goodX(2), goodY(2)), 'model', disposed);
    expectInvalid(() => m.getWeights(), 'model', disposed);
    expectInvalid(() => m.setWeights([]), 'model', disposed);
    expectInvalid(() => m.parameters(), 'model', disposed);
    expectInvalid(() => m.summary(null), 'model', disposed);
    expectInvalid(() => m.save(), 'model', disposed);
    expectInvalid(() => m.save({ optimizer: sgd }), 'model', disposed);
    await expectInvalidAsync(() => m.fit(goodX(2), goodY(2)), 'model', disposed);
    await expectInvalidAsync(() => m.fit(goodX(2), goodY(2), { optimizer: sgd }), 'model', disposed);
  });
});

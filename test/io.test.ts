// Model files (issue 5): save / load round trips bit for bit; the header (parsed here from the
// bytes, independently of the library's reader) carries the architecture and the library version;
// a checkpoint resumed in a fresh process continues training exactly; the 'torch' layout holds a
// PyTorch nn.Sequential state dict (checked with numpy when python3 has it).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  SGD, Adam, dense, stepDecay, linearWarmup, cosineDecay, VERSION, ModelFormatError, InvalidArgumentError,
  type Kernels, type Sequential, type Optimizer, type SequentialConfig,
} from '../src/index.js';
import { kernelsUnderTest, seeded, SIMD, numpyAvailable, relaxedSimdNodeFlags } from './helpers.js';
import { sameBits, stateCopy } from './model-helpers.js';
import { writeSafetensors, type Tensor } from '../src/io/safetensors.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

let k: Kernels;
let dir: string;
beforeAll(async () => {
  k = await kernelsUnderTest();
  dir = mkdtempSync(join(tmpdir(), 'mw-io-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// ------------------------------------------------------------------ an independent safetensors reader

interface Entry { dtype: string; shape: number[]; data_offsets: [number, number] }
interface Parsed { metadata: Record<string, string>; entries: Map<string, Entry>; order: string[]; tensor(name: string): Float32Array; headerLength: number }

/** 8-byte little-endian header length, a JSON header, then little-endian data */
function parse(bytes: Uint8Array): Parsed {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
  const entries = new Map<string, Entry>();
  for (const [name, e] of Object.entries(header)) if (name !== '__metadata__') entries.set(name, e as Entry);
  const start = 8 + n;
  return {
    metadata: (header.__metadata__ ?? {}) as Record<string, string>,
    entries,
    order: [...entries.keys()],
    headerLength: n,
    tensor(name) {
      const e = entries.get(name)!;
      const [b, end] = e.data_offsets;
      const out = new Float32Array((end - b) / 4);
      for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(start + b + 4 * i, true);
      return out;
    },
  };
}

/** a safetensors file from named F32 tensors (and optional metadata) */
function write(tensors: Array<[string, number[], Float32Array]>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let off = 0;
  for (const [name, shape, data] of tensors) { header[name] = { dtype: 'F32', shape, data_offsets: [off, off + data.length * 4] }; off += data.length * 4; }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + off);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const [, , data] of tensors) for (const v of data) { dv.setFloat32(at, v, true); at += 4; }
  return out;
}

// ------------------------------------------------------------------ data and comparisons

const classData = (rows: number, inputs: number, classes: number, seed: number) => ({
  x: seeded(rows * inputs, seed, 2),
  y: Int32Array.from(seeded(rows, seed + 1), (v) => Math.floor(((v + 1) / 2) * classes) % classes),
});

function expectSameWeights(a: Sequential, b: Sequential, what: string): void {
  const wa = a.getWeights(), wb = b.getWeights();
  expect(wb.map((w) => w.name)).toEqual(wa.map((w) => w.name));
  wa.forEach((w, i) => expect(sameBits(w.values, wb[i]!.values), `${what}: ${w.name}`).toBe(true));
}

/** the weights, each optimizer's state for every parameter (velocity; Adam's m and v) and the shuffle state */
function expectSameState(a: Sequential, oa: Optimizer, b: Sequential, ob: Optimizer, what: string): void {
  expectSameWeights(a, b, what);
  expect(ob.stateNames, `${what}: optimizer state names`).toEqual(oa.stateNames);
  const pa = a.parameters(), pb = b.parameters();
  pa.forEach((p, i) => {
    for (const name of oa.stateNames) {
      expect(sameBits(stateCopy(oa, p, name), stateCopy(ob, pb[i]!, name)), `${what}: ${name} of ${p.name}`).toBe(true);
    }
  });
  expect(b.shuffleState, `${what}: shuffle state`).toBe(a.shuffleState);
}

// ------------------------------------------------------------------ round trips

describe('save / load', () => {
  const arch = (): SequentialConfig => ({ inputSize: 7, layers: [dense(9, 'relu'), dense(6, 'tanh', { bias: false }), dense(5, 'sigmoid'), dense(4, 'softmax')], seed: 11 });

  it('weights round trip bit for bit, and so do the architecture, predictions and a further training step', async () => {
    const model = k.sequential(arch());
    const { x, y } = classData(30, 7, 4, 1);
    await model.fit(x, y, { epochs: 2, batchSize: 8, optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }) });
    const bytes = model.save();
    expect(bytes).toBeInstanceOf(Uint8Array);
    const loaded = k.load(bytes);
    expect(loaded.optimizer).toBeUndefined(); // not a checkpoint
    const m = loaded.model;
    expect(m.config).toEqual(model.config);
    expectSameWeights(model, m, 'loaded');
    expect(sameBits(m.predict(x), model.predict(x))).toBe(true);
    // from an ArrayBuffer and from a Uint8Array that is a window into a larger buffer
    const padded = new Uint8Array(bytes.length + 13);
    padded.set(bytes, 5);
    expectSameWeights(model, k.load(bytes.slice().buffer).model, 'from an ArrayBuffer');
    expectSameWeights(model, k.load(padded.subarray(5, 5 + bytes.length)).model, 'from a subarray');
    // a loaded model is a full model: the same step gives the same result (fresh optimizers: the
    // velocity the fit left is its optimizer's, not the model's)
    const s1 = new SGD({ learningRate: 0.05, momentum: 0.9 }), s2 = new SGD({ learningRate: 0.05, momentum: 0.9 });
    expect(m.trainBatch(x, y, s2)).toBe(model.trainBatch(x, y, s1));
    expectSameWeights(model, m, 'after a step');
    // saving the loaded model gives the same bytes
    const again = k.load(bytes).model;
    expect(Buffer.from(again.save()).equals(Buffer.from(bytes))).toBe(true);
    model.dispose(); m.dispose(); again.dispose();
  });

  it('the header: 8-byte little-endian length, JSON with dense_i/kernel [in, units] and dense_i/bias F32, the architecture and the library version', () => {
    const model = k.sequential(arch());
    const bytes = model.save();
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = Number(dv.getBigUint64(0, true));
    expect(8 + n).toBeLessThanOrEqual(bytes.length);
    expect((8 + n) % 8).toBe(0); // the data starts aligned
    const f = parse(bytes);
    expect(f.order).toEqual(['dense_0/kernel', 'dense_0/bias', 'dense_1/kernel', 'dense_2/kernel', 'dense_2/bias', 'dense_3/kernel', 'dense_3/bias']);
    const shapes = Object.fromEntries([...f.entries].map(([name, e]) => [name, e.shape]));
    expect(shapes).toEqual({
      'dense_0/kernel': [7, 9], 'dense_0/bias': [9], 'dense_1/kernel': [9, 6], 'dense_2/kernel': [6, 5], 'dense_2/bias': [5], 'dense_3/kernel': [5, 4], 'dense_3/bias': [4],
    });
    for (const e of f.entries.values()) expect(e.dtype).toBe('F32');
    // the bytes at each tensor's offsets are getWeights()' values (row-major [in, units])
    for (const w of model.getWeights()) expect(sameBits(f.tensor(w.name), w.values), w.name).toBe(true);
    // the data is exactly the tensors, back to back
    const total = [...f.entries.values()].reduce((s, e) => s + e.data_offsets[1] - e.data_offsets[0], 0);
    expect(bytes.length).toBe(8 + n + total);

    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    expect(f.metadata.library).toBe(`momentum-wasm ${pkg.version}`);
    const a = JSON.parse(f.metadata.architecture!) as Record<string, unknown>;
    // the layers carry their type, and the input its shape (files of 0.1.0 had inputSize and
    // untyped dense layers: they still load, see 'files written by 0.1.0' below)
    expect(a).toEqual({
      inputShape: [7],
      layers: [
        { type: 'dense', units: 9, activation: 'relu', bias: true }, { type: 'dense', units: 6, activation: 'tanh', bias: false },
        { type: 'dense', units: 5, activation: 'sigmoid', bias: true }, { type: 'dense', units: 4, activation: 'softmax', bias: true },
      ],
      loss: 'crossEntropy',
      seed: 11,
    });
    expect(f.metadata.optimizer).toBeUndefined();
    model.dispose();
  });

  it('a checkpoint adds each velocity (and second moment, for Adam), the optimizer state and the shuffling RNG', async () => {
    const model = k.sequential({ inputSize: 4, layers: [dense(3, 'relu'), dense(2, 'softmax')], seed: 2 });
    const { x, y } = classData(10, 4, 2, 3);
    const adam = new Adam({ learningRate: 0.01, beta1: 0.8, weightDecay: 0.001, clipNorm: 5 });
    await model.fit(x, y, { epochs: 3, batchSize: 4, optimizer: adam });
    const f = parse(model.save({ optimizer: adam }));
    expect(f.order).toEqual([
      'dense_0/kernel', 'dense_0/bias', 'dense_1/kernel', 'dense_1/bias',
      'optimizer/dense_0/kernel/velocity', 'optimizer/dense_0/kernel/second_moment', 'optimizer/dense_0/bias/velocity', 'optimizer/dense_0/bias/second_moment',
      'optimizer/dense_1/kernel/velocity', 'optimizer/dense_1/kernel/second_moment', 'optimizer/dense_1/bias/velocity', 'optimizer/dense_1/bias/second_moment',
    ]);
    for (const p of model.parameters()) {
      // Adam's m is stored under 'velocity' (the name files have always used), v under 'second_moment'
      expect(sameBits(f.tensor(`optimizer/${p.name}/velocity`), adam.state(p).m)).toBe(true);
      expect(sameBits(f.tensor(`optimizer/${p.name}/second_moment`), adam.state(p).v)).toBe(true);
    }
    expect(JSON.parse(f.metadata.optimizer!)).toEqual({
      type: 'Adam', iterations: 9,
      config: { learningRate: 0.01, beta1: 0.8, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.001, clipNorm: 5, clipValue: null },
    });
    expect(Number(f.metadata.rng)).toBe(model.shuffleState);

    const sgd = new SGD({ learningRate: stepDecay(0.1, 0.5, 3), momentum: 0.9, convention: 'pytorch', dampening: 0.2 });
    model.trainBatch(x, y, sgd);
    const g = parse(model.save({ optimizer: sgd }));
    expect(g.order.filter((n) => n.endsWith('second_moment'))).toEqual([]);
    expect(JSON.parse(g.metadata.optimizer!)).toMatchObject({
      type: 'SGD', iterations: 1,
      config: { learningRate: { type: 'stepDecay', initial: 0.1, factor: 0.5, every: 3 }, momentum: 0.9, convention: 'pytorch', dampening: 0.2, nesterov: false },
    });
    const back = k.load(model.save({ optimizer: sgd }));
    expect(back.optimizer).toBeInstanceOf(SGD);
    const o = back.optimizer as SGD;
    expect([o.iterations, o.convention, o.dampening, o.momentum, o.learningRate]).toEqual([1, 'pytorch', 0.2, 0.9, 0.1]);
    o.iterations = 3;
    expect(o.learningRate).toBe(0.05); // the schedule came back, not just its current value
    // a schedule that is a plain function cannot be saved: refused before anything is written,
    // also when it hides inside a warm-up (else the checkpoint would be written and never load)
    expect(() => model.save({ optimizer: new SGD({ learningRate: (s) => 0.1 / (1 + s) }) })).toThrow(InvalidArgumentError);
    expect(() => model.save({ optimizer: new SGD({ learningRate: linearWarmup(0.1, 3, (s) => 0.1 / (1 + s)) }) })).toThrow(/learningRate: expected a number or a schedule made by/);
    expect(() => model.save({ optimizer: new SGD({ momentum: linearWarmup(0.9, 3, () => 0.9) }) })).toThrow(/momentum: expected/);
    // a warm-up into a saveable schedule comes back whole
    const warm = new SGD({ learningRate: linearWarmup(0.1, 3, cosineDecay(0.1, 10, 0.01)), momentum: linearWarmup(0.9, 2) });
    const w = k.load(model.save({ optimizer: warm })).optimizer!;
    for (const step of [0, 2, 3, 8, 20]) {
      w.iterations = warm.iterations = step;
      expect([w.learningRate, w.momentum], `step ${step}`).toEqual([warm.learningRate, warm.momentum]);
    }
    model.dispose(); back.model.dispose();
  });
});

describe('checkpoints of per-parameter state that has not started yet', () => {
  it("SGD 'pytorch' with dampening, saved while its momentum schedule was still 0 (no buffer yet): the resumed run is bit for bit the one that never stopped", () => {
    // torch's buffer starts from the gradient on a parameter's first momentum step; a checkpoint
    // taken before that step must not make the loaded optimizer start from (1 - dampening) · g
    const cfg: SequentialConfig = { inputSize: 4, layers: [dense(3, 'tanh'), dense(2, 'softmax')], seed: 3 };
    const { x, y } = classData(6, 4, 2, 95);
    const make = () => new SGD({ learningRate: 0.1, momentum: linearWarmup(0, 2, 0.9), dampening: 0.5, convention: 'pytorch' });
    const a = k.sequential(cfg), oa = make();
    for (let i = 0; i < 2; i++) a.trainBatch(x, y, oa);
    for (const p of a.parameters()) expect(oa.hasState(p), 'momentum 0 so far: no buffer').toBe(false);
    const { model: b, optimizer: ob } = k.load(a.save({ optimizer: oa }));
    for (let i = 0; i < 3; i++) expect(b.trainBatch(x, y, ob!), `step ${i + 3}: loss`).toBe(a.trainBatch(x, y, oa));
    expectSameState(a, oa, b, ob!, 'resumed before the first momentum step');
    a.dispose(); b.dispose();
  });
});

// ------------------------------------------------------------------ files of the previous version

describe('files written by 0.1.0 still load', () => {
  // exactly what 0.1.0 wrote: the architecture as { inputSize, layers of { units, activation, bias } }
  // (no layer type), the weights, and for a checkpoint the optimizer's description, the shuffling
  // RNG and per parameter optimizer/<name>/velocity (and, for Adam, second_moment right after it)
  const ARCH = '{"inputSize":4,"layers":[{"units":3,"activation":"relu","bias":true},{"units":2,"activation":"softmax","bias":true}],"loss":"crossEntropy","seed":1}';
  const SHAPES: Array<[string, number[]]> = [['dense_0/kernel', [4, 3]], ['dense_0/bias', [3]], ['dense_1/kernel', [3, 2]], ['dense_1/bias', [2]]];
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const WEIGHTS = SHAPES.map(([, s], i) => seeded(size(s), 60 + i, 0.8));
  const VELOCITIES = SHAPES.map(([, s], i) => seeded(size(s), 70 + i, 0.05));
  const SECONDS = SHAPES.map(([, s], i) => seeded(size(s), 80 + i, 0.01).map(Math.abs));
  const META = { format: 'momentum-wasm', library: 'momentum-wasm 0.1.0', architecture: ARCH };
  const SGD_STATE = '{"type":"SGD","iterations":7,"config":{"learningRate":0.05,"momentum":0.9,"nesterov":false,"dampening":0,"weightDecay":0,"decoupledWeightDecay":false,"convention":"seed","clipNorm":null,"clipValue":null}}';
  const ADAM_STATE = '{"type":"Adam","iterations":5,"config":{"learningRate":0.01,"beta1":0.9,"beta2":0.999,"epsilon":1e-8,"weightDecay":0,"clipNorm":null,"clipValue":null}}';
  const RNG = 123456789;
  const config = (): SequentialConfig => ({ inputSize: 4, layers: [dense(3, 'relu'), dense(2, 'softmax')], loss: 'crossEntropy', seed: 1 });
  const weights = (): Array<[string, Tensor]> => SHAPES.map(([name, shape], i) => [name, { shape, data: WEIGHTS[i]! }]);
  const { x, y } = classData(6, 4, 2, 90);

  function expectWeights(m: Sequential, what: string): void {
    const ws = m.getWeights();
    expect(ws.map((w) => [w.name, w.shape]), what).toEqual(SHAPES);
    ws.forEach((w, i) => expect(sameBits(w.values, WEIGHTS[i]!), `${what}: ${w.name}`).toBe(true));
  }
  /** a model that never went through a file: built, the weights set, the optimizer's state written through state() */
  function twin(opt: Optimizer, state: Float32Array[][]): Sequential {
    const m = k.sequential(config());
    m.setWeights(WEIGHTS);
    m.parameters().forEach((p, i) => opt.stateNames.forEach((name, j) => (opt.state(p) as Record<string, Float32Array>)[name]!.set(state[j]![i]!)));
    return m;
  }
  function expectSameStep(a: Sequential, oa: Optimizer, b: Sequential, ob: Optimizer, what: string): void {
    expect(a.trainBatch(x, y, oa), `${what}: loss`).toBe(b.trainBatch(x, y, ob));
    expectSameState(a, oa, b, ob, `${what}: after one more step`);
    expect(oa.iterations).toBe(ob.iterations);
  }

  it('a model file: the architecture, the weights bit for bit, predictions and a further training step', () => {
    const bytes = writeSafetensors(weights(), META);
    const { model, optimizer } = k.load(bytes);
    expect(optimizer).toBeUndefined();
    expect(model.config).toEqual({ inputShape: [4], inputSize: 4, layers: [dense(3, 'relu'), dense(2, 'softmax')], loss: 'crossEntropy', seed: 1 });
    expectWeights(model, 'loaded');
    const ref = k.sequential(config());
    ref.setWeights(WEIGHTS);
    expect(sameBits(model.predict(x), ref.predict(x))).toBe(true);
    const sa = new SGD({ learningRate: 0.1, momentum: 0.9 }), sb = new SGD({ learningRate: 0.1, momentum: 0.9 });
    expectSameStep(model, sa, ref, sb, '0.1.0 model');
    // saved again, it is written in the current form, and loads to the same model
    const again = k.load(model.save()).model;
    expectSameWeights(model, again, 'saved again');
    expect(JSON.parse(parse(model.save()).metadata.architecture!)).toMatchObject({ inputShape: [4], layers: [{ type: 'dense' }, { type: 'dense' }] });
    model.dispose(); ref.dispose(); again.dispose();
  });

  it('an SGD checkpoint: the velocities written, the step count, the shuffling RNG; one more step and a fit match a model that never went through a file', async () => {
    const tensors = weights();
    SHAPES.forEach(([name, shape], i) => tensors.push([`optimizer/${name}/velocity`, { shape, data: VELOCITIES[i]! }]));
    const bytes = writeSafetensors(tensors, { ...META, optimizer: SGD_STATE, rng: String(RNG) });
    const { model, optimizer } = k.load(bytes);
    expect(optimizer).toBeInstanceOf(SGD);
    const sgd = optimizer as SGD;
    expect([sgd.iterations, sgd.learningRate, sgd.momentum, sgd.nesterov, sgd.convention]).toEqual([7, 0.05, 0.9, false, 'seed']);
    expect(model.shuffleState).toBe(RNG);
    expectWeights(model, 'checkpoint');
    model.parameters().forEach((p, i) => expect(sameBits(sgd.state(p).velocity, VELOCITIES[i]!), `velocity of ${p.name}`).toBe(true));
    // the twin: the same weights and velocities, an SGD at the same step, the same RNG state
    const refSgd = new SGD({ learningRate: 0.05, momentum: 0.9 });
    refSgd.iterations = 7;
    const ref = twin(refSgd, [VELOCITIES]);
    ref.shuffleState = RNG;
    expectSameState(ref, refSgd, model, sgd, 'loaded vs never saved');
    expectSameStep(model, sgd, ref, refSgd, '0.1.0 SGD checkpoint');
    const xs = seeded(20 * 4, 91, 2), ys = classData(20, 4, 2, 92).y;
    await model.fit(xs, ys, { epochs: 2, batchSize: 6, optimizer: sgd });
    await ref.fit(xs, ys, { epochs: 2, batchSize: 6, optimizer: refSgd });
    expectSameState(ref, refSgd, model, sgd, 'after a fit (shuffled from the RNG state)');
    model.dispose(); ref.dispose();
  });

  it("an Adam checkpoint: m from 'velocity', v from 'second_moment', the bias correction from the step count", () => {
    const tensors = weights();
    SHAPES.forEach(([name, shape], i) => {
      tensors.push([`optimizer/${name}/velocity`, { shape, data: VELOCITIES[i]! }]);
      tensors.push([`optimizer/${name}/second_moment`, { shape, data: SECONDS[i]! }]);
    });
    const { model, optimizer } = k.load(writeSafetensors(tensors, { ...META, optimizer: ADAM_STATE, rng: String(RNG) }));
    expect(optimizer).toBeInstanceOf(Adam);
    const adam = optimizer as Adam;
    expect([adam.iterations, adam.learningRate, adam.beta1, adam.beta2, adam.epsilon]).toEqual([5, 0.01, 0.9, 0.999, 1e-8]);
    expectWeights(model, 'Adam checkpoint');
    model.parameters().forEach((p, i) => {
      expect(sameBits(adam.state(p).m, VELOCITIES[i]!), `m of ${p.name}`).toBe(true);
      expect(sameBits(adam.state(p).v, SECONDS[i]!), `v of ${p.name}`).toBe(true);
    });
    const refAdam = new Adam({ learningRate: 0.01 });
    refAdam.iterations = 5;
    const ref = twin(refAdam, [VELOCITIES, SECONDS]);
    ref.shuffleState = RNG;
    expectSameStep(model, adam, ref, refAdam, '0.1.0 Adam checkpoint');
    // the step used the stored moments: a fresh Adam from the same weights lands elsewhere
    const fresh = k.sequential(config());
    fresh.setWeights(WEIGHTS);
    fresh.trainBatch(x, y, new Adam({ learningRate: 0.01 }));
    expect(sameBits(fresh.getWeights()[0]!.values, model.getWeights()[0]!.values)).toBe(false);
    model.dispose(); ref.dispose(); fresh.dispose();
  });
});

// ------------------------------------------------------------------ resume in a fresh process

// The child loads each checkpoint with the build under test, trains the remaining epochs with
// the optimizer it found in the file, and writes a checkpoint back.
const CHILD = `
import { readFileSync, writeFileSync } from 'node:fs';
const [indexUrl, simd, dir, names] = process.argv.slice(2);
const { loadKernels } = await import(indexUrl);
const k = await loadKernels({ simd });
if (k.features.relaxedSimd !== (simd === 'relaxed')) throw new Error('expected the ' + simd + ' build');
for (const name of names.split(',')) {
  const spec = JSON.parse(readFileSync(dir + '/' + name + '.json', 'utf8'));
  const raw = readFileSync(dir + '/' + name + '.data');
  const x = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + spec.xBytes));
  const yb = raw.buffer.slice(raw.byteOffset + spec.xBytes, raw.byteOffset + raw.length);
  const y = spec.labels ? new Int32Array(yb) : new Float32Array(yb);
  const { model, optimizer } = k.load(new Uint8Array(readFileSync(dir + '/' + name + '.ckpt')));
  if (!optimizer) throw new Error('no optimizer in ' + name);
  await model.fit(x, y, { epochs: spec.epochs, batchSize: spec.batchSize, optimizer });
  writeFileSync(dir + '/' + name + '.out', model.save({ optimizer }));
}
`;

describe('checkpoint resume: N epochs = N/2, save, load in a fresh process, N/2 more (bit for bit)', () => {
  interface Variant { name: string; config: SequentialConfig; optimizer: () => Optimizer; regression: boolean }
  const variants: Variant[] = [
    { name: 'sgd-seed', config: { inputSize: 6, layers: [dense(8, 'relu'), dense(4, 'softmax')], seed: 5 }, regression: false,
      optimizer: () => new SGD({ learningRate: 0.05, momentum: 0.9, nesterov: true }) },
    { name: 'sgd-pytorch-stepdecay', config: { inputSize: 6, layers: [dense(8, 'tanh'), dense(4, 'softmax')], seed: 6 }, regression: false,
      optimizer: () => new SGD({ learningRate: stepDecay(0.2, 0.5, 7), momentum: 0.9, dampening: 0.1, weightDecay: 0.01, convention: 'pytorch' }) },
    { name: 'adam', config: { inputSize: 6, layers: [dense(8, 'tanh'), dense(3, 'linear')], loss: 'mse', seed: 7 }, regression: true,
      optimizer: () => new Adam({ learningRate: 0.01, weightDecay: 0.001 }) },
  ];
  const EPOCHS = 6, BATCH = 5, ROWS = 23; // 5 batches per epoch, the last one short

  it('SGD (seed), SGD (pytorch, stepDecay crossing the resume point) and Adam', async () => {
    const full: Sequential[] = [];
    const fullOpt: Optimizer[] = [];
    for (const v of variants) {
      const x = seeded(ROWS * 6, 40, 2);
      const y = v.regression ? seeded(ROWS * 3, 41, 1) : classData(ROWS, 6, 4, 42).y;
      // the whole run, in this process
      const a = k.sequential(v.config);
      const oa = v.optimizer();
      await a.fit(x, y, { epochs: EPOCHS, batchSize: BATCH, optimizer: oa });
      full.push(a);
      fullOpt.push(oa);
      // half of it, then a checkpoint for the child
      const b = k.sequential(v.config);
      const ob = v.optimizer();
      await b.fit(x, y, { epochs: EPOCHS / 2, batchSize: BATCH, optimizer: ob });
      expect(ob.iterations).toBe(15);
      writeFileSync(join(dir, `${v.name}.ckpt`), b.save({ optimizer: ob }));
      writeFileSync(join(dir, `${v.name}.data`), Buffer.concat([Buffer.from(x.buffer), Buffer.from(y.buffer)]));
      writeFileSync(join(dir, `${v.name}.json`), JSON.stringify({ epochs: EPOCHS / 2, batchSize: BATCH, xBytes: x.byteLength, labels: !v.regression }));
      // in this process, a second fit continues the shuffling stream and the optimizer: the same as one fit
      await b.fit(x, y, { epochs: EPOCHS / 2, batchSize: BATCH, optimizer: ob });
      expectSameState(a, oa, b, ob, `${v.name}, two fits in one process`);
      b.dispose();
    }
    writeFileSync(join(dir, 'child.mjs'), CHILD);
    const flags = relaxedSimdNodeFlags();
    const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', join(dir, 'child.mjs'),
      pathToFileURL(join(ROOT, 'src/index.ts')).href, SIMD, dir, variants.map((v) => v.name).join(',')], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, `child process failed:\n${r.stderr}`).toBe(0);
    variants.forEach((v, i) => {
      const { model, optimizer } = k.load(new Uint8Array(readFileSync(join(dir, `${v.name}.out`))));
      expect(optimizer!.iterations, v.name).toBe(30);
      expectSameState(full[i]!, fullOpt[i]!, model, optimizer!, v.name);
      model.dispose(); full[i]!.dispose();
    });
  }, 60_000);
});

// ------------------------------------------------------------------ the PyTorch layout

describe("format 'torch': a PyTorch nn.Sequential state dict", () => {
  it('names count modules (Linear, activation, …; linear adds none), weights are [out, in], biases [out]', () => {
    // nn.Sequential(Linear(3,5), ReLU, Linear(5,4), Linear(4,3, bias=False), Tanh, Linear(3,2), Softmax)
    const model = k.sequential({ inputSize: 3, layers: [dense(5, 'relu'), dense(4, 'linear'), dense(3, 'tanh', { bias: false }), dense(2, 'softmax')], seed: 9 });
    const bytes = model.save({ format: 'torch' });
    const f = parse(bytes);
    expect(f.order).toEqual(['0.weight', '0.bias', '2.weight', '2.bias', '3.weight', '5.weight', '5.bias']);
    const shapes = Object.fromEntries([...f.entries].map(([name, e]) => [name, e.shape]));
    expect(shapes).toEqual({ '0.weight': [5, 3], '0.bias': [5], '2.weight': [4, 5], '2.bias': [4], '3.weight': [3, 4], '5.weight': [2, 3], '5.bias': [2] });
    expect(f.metadata.format).toBe('pt');
    // W_torch[o][i] = kernel[i][o]
    const ws = model.getWeights();
    const kernels: Array<[string, number]> = [['0.weight', 0], ['2.weight', 2], ['3.weight', 4], ['5.weight', 5]];
    for (const [name, wi] of kernels) {
      const [out, inp] = f.entries.get(name)!.shape as [number, number];
      const t = f.tensor(name), kern = ws[wi]!.values;
      expect(ws[wi]!.shape).toEqual([inp, out]);
      for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) expect(t[o * inp + i], `${name}[${o}][${i}]`).toBe(kern[i * out + o]);
    }
    expect(sameBits(f.tensor('0.bias'), ws[1]!.values)).toBe(true);
    expect(sameBits(f.tensor('5.bias'), ws[6]!.values)).toBe(true);
    // and back: k.load reads the torch layout (the file carries the architecture)
    const m = k.load(bytes).model;
    expect(m.config).toEqual(model.config);
    expectSameWeights(model, m, 'torch round trip');
    const x = seeded(4 * 3, 3);
    expect(sameBits(m.predict(x), model.predict(x))).toBe(true);
    // no optimizer state in this layout
    expect(() => model.save({ format: 'torch', optimizer: new SGD() })).toThrow(InvalidArgumentError);
    model.dispose(); m.dispose();
  });

  it('a bare state dict (no __metadata__) loads only when given { architecture }', () => {
    const model = k.sequential({ inputSize: 4, layers: [dense(6, 'sigmoid'), dense(3, 'softmax')], seed: 12 });
    const f = parse(model.save({ format: 'torch' }));
    const bare = write(f.order.map((n) => [n, f.entries.get(n)!.shape, f.tensor(n)]));
    expect(parse(bare).metadata).toEqual({});
    let err: unknown;
    try { k.load(bare); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ModelFormatError);
    expect((err as Error).message).toMatch(/no architecture.*pass \{ architecture \}/);
    const m = k.load(bare, { architecture: model.config }).model;
    expectSameWeights(model, m, 'bare torch state dict');
    // the architecture must fit the tensors
    expect(() => k.load(bare, { architecture: { inputSize: 4, layers: [dense(7, 'sigmoid'), dense(3, 'softmax')] } })).toThrow(/'0.weight' has shape \[6, 4\], the architecture needs \[7, 4\]/);
    // { architecture } is an argument: checked like k.sequential's config, before the file is read
    const argErr = (arch: unknown, expected: RegExp) => {
      let err: unknown;
      try { k.load(bare, { architecture: arch as never }); } catch (e) { err = e; }
      expect(err, JSON.stringify(arch)).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).argument).toMatch(/^options\.architecture/);
      expect((err as Error).message).toMatch(expected);
    };
    argErr('4-6-3', /a model config/);
    argErr(null, /a model config/);
    argErr({ inputSize: 4 }, /a model config/);
    argErr({ inputSize: 4, layers: [null, dense(3, 'softmax')] }, /options\.architecture\.layers\[0\]: expected a layer made by dense\(\)/);
    argErr({ inputSize: 4, layers: [{ type: 'dense', units: 6, activation: 'swish', bias: true }, dense(3, 'softmax')] }, /activation: expected one of/);
    argErr({ inputSize: 0, layers: [dense(6, 'sigmoid'), dense(3, 'softmax')] }, /options\.architecture\.inputSize: expected an integer >= 1/);
    // a hand-written layer without `bias` has one, as in k.sequential
    const handWritten = { inputSize: 4, layers: [{ type: 'dense', units: 6, activation: 'sigmoid' }, { type: 'dense', units: 3, activation: 'softmax' }] };
    expectSameWeights(model, k.load(bare, { architecture: handWritten as never }).model, 'hand-written architecture');
    // the momentum layout without metadata loads the same way
    const g = parse(model.save());
    const bareOurs = write(g.order.map((n) => [n, g.entries.get(n)!.shape, g.tensor(n)]));
    expectSameWeights(model, k.load(bareOurs, { architecture: model.config }).model, 'bare momentum layout');
    model.dispose(); m.dispose();
  });

  it('read with numpy (a tiny safetensors reader): softmax(relu(x W0ᵀ + b0) W2ᵀ + b2) equals predict', (ctx) => {
    if (!numpyAvailable()) {
      console.warn('skipped: python3 with numpy is not available');
      ctx.skip();
      return;
    }
    const model = k.sequential({ inputSize: 5, layers: [dense(7, 'relu'), dense(3, 'softmax')], seed: 13 });
    const x = seeded(6 * 5, 14, 2);
    const path = join(dir, 'torch.safetensors');
    writeFileSync(path, model.save({ format: 'torch' }));
    writeFileSync(join(dir, 'x.f32'), Buffer.from(x.buffer));
    const py = `
import json, struct, sys
import numpy as np
raw = open(sys.argv[1], 'rb').read()
(n,) = struct.unpack('<Q', raw[:8])
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
def tensor(name):
    e = header[name]
    assert e['dtype'] == 'F32'
    b, end = e['data_offsets']
    return np.frombuffer(data[b:end], dtype='<f4').reshape(e['shape']).astype(np.float64)
x = np.fromfile(sys.argv[2], dtype='<f4').reshape(-1, 5).astype(np.float64)
h = np.maximum(x @ tensor('0.weight').T + tensor('0.bias'), 0)
z = h @ tensor('2.weight').T + tensor('2.bias')
z = z - z.max(axis=1, keepdims=True)
p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
print(json.dumps({'names': sorted(k for k in header if k != '__metadata__'), 'p': p.ravel().tolist()}))
`;
    const r = spawnSync('python3', ['-c', py, path, join(dir, 'x.f32')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { names: string[]; p: number[] };
    expect(out.names).toEqual(['0.bias', '0.weight', '2.bias', '2.weight']);
    const ours = model.predict(x);
    expect(out.p.length).toBe(ours.length);
    out.p.forEach((v, i) => expect(Math.abs(v - ours[i]!), `output ${i}`).toBeLessThan(1e-5));
    model.dispose();
  });
});

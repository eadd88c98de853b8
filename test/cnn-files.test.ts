// Files of convolutional models: every layer type round-trips bit for bit (running statistics and
// dropout streams included, checkpoints resume exactly), the torch layout is read back by an
// independent numpy implementation of the matching nn.Sequential on NCHW input, and hostile
// files about the new tensors and architecture entries are refused with ModelFormatError.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SGD, Adam, dense, conv2d, maxPool2d, avgPool2d, flatten, dropout, batchNorm, normalization, ModelFormatError, type Kernels, type Sequential, type LayerSpec, type Optimizer } from '../src/index.js';
import { writeSafetensors, readSafetensors } from '../src/io/safetensors.js';
import { kernelsUnderTest, seeded, closeness, numpyAvailable } from './helpers.js';
import { sameBits } from './model-helpers.js';

let k: Kernels;
let dir: string;
beforeAll(async () => {
  k = await kernelsUnderTest();
  dir = mkdtempSync(join(tmpdir(), 'mw-cnn-files-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EVERY_LAYER: LayerSpec[] = [
  conv2d(4, 3, 'relu', { padding: 'same' }), batchNorm(), maxPool2d(2), conv2d(3, [2, 3], 'tanh', { stride: 2, padding: 'same' }),
  avgPool2d(2, { stride: 1 }), flatten(), dropout(0.25), dense(5, 'sigmoid'), batchNorm({ momentum: 0.9 }), dense(3, 'softmax'),
];
const SHAPE = [10, 9, 2];
const ROWS = 6;
const x = seeded(ROWS * 10 * 9 * 2, 17);
const y = new Uint8Array(ROWS).map((_, i) => i % 3);

function trained(opt: Optimizer, steps = 4): Sequential {
  const m = k.sequential({ inputShape: SHAPE, layers: EVERY_LAYER, seed: 12 });
  for (let i = 0; i < steps; i++) m.trainBatch(x, y, opt);
  return m;
}

/** every trainable tensor and every running statistic, as bits */
function allTensors(m: Sequential): Float32Array[] {
  return [...m.getWeights().map((w) => w.values), ...(m as unknown as { stateTensors(): Array<{ block: { f32: Float32Array } }> }).stateTensors().map((s) => s.block.f32.slice())];
}

describe('every layer type round-trips', () => {
  it('save → load: weights, running statistics, predictions, the architecture and summary, bit for bit', () => {
    const m = trained(new SGD({ learningRate: 0.05, momentum: 0.9 }));
    const { model } = k.load(m.save());
    const a = allTensors(m), b = allTensors(model);
    expect(b.length).toBe(a.length);
    a.forEach((t, i) => expect(sameBits(t, b[i]!), `tensor ${i}`).toBe(true));
    expect(sameBits(model.predict(x), m.predict(x))).toBe(true);
    expect(model.config).toEqual(m.config);
    expect(model.summary(null)).toBe(m.summary(null));
    const names = [...readSafetensors(m.save()).tensors.keys()];
    expect(names).toEqual(expect.arrayContaining(['conv2d_0/kernel', 'conv2d_0/bias', 'batchNorm_1/gamma', 'batchNorm_1/beta', 'batchNorm_1/running_mean', 'batchNorm_1/running_var', 'dense_7/kernel', 'batchNorm_8/running_var']));
    expect(readSafetensors(m.save()).tensors.get('conv2d_0/kernel')!.shape).toEqual([3, 3, 2, 4]);
    m.dispose(); model.dispose();
  });

  for (const [name, make] of [['SGD (seed, Nesterov)', () => new SGD({ learningRate: 0.05, momentum: 0.9, nesterov: true })],
    ['SGD (pytorch)', () => new SGD({ learningRate: 0.05, momentum: 0.8, convention: 'pytorch' })], ['Adam', () => new Adam({ learningRate: 0.01 })]] as const) {
    it(`checkpoint with ${name}: N steps, save, load, N more equals 2N steps bit for bit (dropout masks and batch norm included)`, () => {
      const straight = trained(make(), 6);
      const opt = make();
      const half = trained(opt, 3);
      const r = k.load(half.save({ optimizer: opt }));
      for (let i = 0; i < 3; i++) r.model.trainBatch(x, y, r.optimizer!);
      const a = allTensors(straight), b = allTensors(r.model);
      a.forEach((t, i) => expect(sameBits(t, b[i]!), `tensor ${i}`).toBe(true));
      straight.dispose(); half.dispose(); r.model.dispose();
    });
  }
});

describe("save({ format: 'torch' }): the state dict of the matching torch.nn.Sequential", () => {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'torch_reference.py');
  const cases: Array<[string, number[], LayerSpec[]]> = [
    ['every layer type; same padding with an odd total at stride 2 (an explicit ZeroPad2d)', SHAPE, EVERY_LAYER],
    ['LeNet-style: conv same 5x5 (symmetric padding 2), pools, flatten → Linear with CHW-permuted inputs', [12, 12, 1],
      [conv2d(3, 5, 'relu', { padding: 'same' }), maxPool2d(2), conv2d(4, 3, 'relu'), maxPool2d(2), flatten(), dense(6, 'relu'), dropout(0.5), dense(3, 'softmax')]],
    ['conv valid stride 2 without bias, batch norm 2d, flatten → normalization → batch norm 1d → Linear', [7, 8, 3],
      [conv2d(2, 3, 'linear', { stride: 2, bias: false }), batchNorm(), flatten(), normalization({ mean: 0.2, variance: 1.5 }), batchNorm(), dense(2, 'tanh')]],
    ['a vector model (inputSize) with normalization()', [6], [normalization({ mean: [0, 1, 2, 3, 4, 5], variance: [1, 2, 3, 0.5, 0.25, 4] }), dense(4, 'relu'), batchNorm(), dense(2)]],
  ];
  for (const [what, shape, layers] of cases) {
    it(`numpy runs the file on NCHW input and computes what predict computes on NHWC: ${what}`, (ctx) => {
      if (!numpyAvailable()) { console.warn('skipped: python3 with numpy is not available'); ctx.skip(); return; }
      const m = k.sequential({ inputShape: shape, layers, seed: 5 });
      const size = shape.reduce((a, b) => a * b, 1);
      const xs = seeded(4 * size, 3);
      const ys = m.loss === 'mse' ? seeded(4 * m.outputSize, 4) : new Uint8Array(4).map((_, i) => i % m.outputSize);
      for (let i = 0; i < 3; i++) m.trainBatch(xs, ys, new SGD({ learningRate: 0.05, momentum: 0.9 }));
      const file = join(dir, 'model.safetensors'), xf = join(dir, 'x.f32');
      writeFileSync(file, m.save({ format: 'torch' }));
      writeFileSync(xf, new Uint8Array(xs.buffer, xs.byteOffset, xs.byteLength));
      const [H, W, C] = shape.length === 3 ? shape : [1, shape[0]!, 1];
      const r = spawnSync('python3', [script, file, xf, '4', String(H), String(W), String(C)], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { names: string[]; y: number[] };
      expect(closeness(m.predict(xs), out.y, 1e-5, 1e-5)).toBeLessThanOrEqual(1);
      // and it loads back into the same model through { architecture }
      const back = k.load(m.save({ format: 'torch' }), { architecture: m.config }).model;
      expect(sameBits(back.predict(xs), m.predict(xs))).toBe(true);
      m.dispose(); back.dispose();
    });
  }

  it('names and layouts: Conv2d weight [out, in, kh, kw], BatchNorm buffers, module indices counting activations, pools and flatten', () => {
    const m = k.sequential({ inputShape: [6, 6, 2], layers: [conv2d(3, [3, 2], 'relu'), maxPool2d(2), batchNorm(), flatten(), dense(2)], seed: 1 });
    const f = readSafetensors(m.save({ format: 'torch' }));
    expect([...f.tensors.keys()].sort()).toEqual(['0.bias', '0.weight', '3.bias', '3.num_batches_tracked', '3.running_mean', '3.running_var', '3.weight', '5.bias', '5.weight']);
    expect(f.tensors.get('0.weight')!.shape).toEqual([3, 2, 3, 2]);
    const ours = m.getWeights()[0]!.values, torch = f.tensors.get('0.weight')!.data;
    // ours [kh, kw, c, f]; PyTorch's [f, c, kh, kw]
    expect(torch[((2 * 2 + 1) * 3 + 2) * 2 + 1]).toBe(ours[((2 * 2 + 1) * 2 + 1) * 3 + 2]);
    expect(JSON.parse(f.metadata.torch_modules!).map((mm: { type: string }) => mm.type)).toEqual(['Conv2d', 'ReLU', 'MaxPool2d', 'BatchNorm2d', 'Flatten', 'Linear']);
    m.dispose();
  });
});

describe('hostile files about the new layers', () => {
  const base = () => {
    const m = k.sequential({ inputShape: [6, 6, 1], layers: [conv2d(2, 3, 'relu'), batchNorm(), maxPool2d(2), flatten(), dropout(0.5), dense(2, 'softmax')], seed: 2 });
    const bytes = m.save();
    m.dispose();
    return readSafetensors(bytes);
  };
  const rewrite = (edit: (t: Map<string, { shape: number[]; data: Float32Array }>, meta: Record<string, string>) => void) => {
    const f = base();
    const tensors = new Map([...f.tensors].map(([n, t]) => [n, { shape: t.shape.slice(), data: t.data.slice() }]));
    const meta = { ...f.metadata };
    edit(tensors, meta);
    return writeSafetensors([...tensors], meta);
  };
  const arch = (meta: Record<string, string>, f: (a: { layers: Array<Record<string, unknown>> }) => void) => {
    const a = JSON.parse(meta.architecture!);
    f(a);
    meta.architecture = JSON.stringify(a);
  };
  const refused: Array<[string, () => Uint8Array, RegExp]> = [
    ['a negative running variance', () => rewrite((t) => { t.get('batchNorm_1/running_var')!.data[1] = -1; }), /negative variance/],
    ['a NaN running mean', () => rewrite((t) => { t.get('batchNorm_1/running_mean')!.data[0] = NaN; }), /non-finite/],
    ['a missing running statistic', () => rewrite((t) => { t.delete('batchNorm_1/running_mean'); }), /missing/],
    ['a conv kernel in the wrong shape', () => rewrite((t) => { t.get('conv2d_0/kernel')!.shape = [3, 3, 2, 1]; }), /shape/],
    ['an unknown layer type', () => rewrite((_t, m) => arch(m, (a) => { a.layers[2]!.type = 'maxPool3d'; })), /layers\[2\]/],
    ['a bad kernel size', () => rewrite((_t, m) => arch(m, (a) => { a.layers[0]!.kernelSize = [3, 0]; })), /kernelSize/],
    ['a kernel larger than the input', () => rewrite((_t, m) => arch(m, (a) => { a.layers[0]!.kernelSize = [9, 9]; })), /kernel no larger/],
    ['a dropout rate of 1', () => rewrite((_t, m) => arch(m, (a) => { a.layers[4]!.rate = 1; })), /rate/],
    ['a 2-D input shape', () => rewrite((_t, m) => { const a = JSON.parse(m.architecture!); a.inputShape = [6, 6]; m.architecture = JSON.stringify(a); }), /inputShape/],
    ['a huge architecture the file does not hold', () => rewrite((_t, m) => { const a = JSON.parse(m.architecture!); a.inputShape = [4096, 4096, 64]; m.architecture = JSON.stringify(a); }), /missing|shape/],
    ['a bad layer_rng entry', () => rewrite((_t, m) => { m.layer_rng = '{"9": 1}'; m.optimizer = JSON.stringify({ type: 'SGD', config: {}, iterations: 0 }); m.rng = '1'; }), /layer_rng|missing/],
  ];
  for (const [what, bytes, msg] of refused) {
    it(`${what}: ModelFormatError, nothing allocated`, () => {
      const used = k.arena.bytesInUse;
      let err: unknown;
      const file = bytes();
      try { k.load(file); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(ModelFormatError);
      expect((err as Error).message).toMatch(msg);
      expect(k.arena.bytesInUse).toBe(used);
    });
  }

  it('1,500 mutated CNN files (bytes flipped, truncated, JSON edited): each loads or throws ModelFormatError', () => {
    const m = k.sequential({ inputShape: [6, 6, 1], layers: [conv2d(2, 3, 'relu'), batchNorm(), maxPool2d(2), flatten(), dropout(0.5), dense(2, 'softmax')], seed: 2 });
    const good = m.save({ optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }) });
    m.dispose();
    const used = k.arena.bytesInUse;
    let s = 99;
    const rnd = (n: number) => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s % n; };
    const headerLen = Number(new DataView(good.buffer, good.byteOffset).getBigUint64(0, true));
    const text = new TextDecoder().decode(good.subarray(8, 8 + headerLen));
    let loaded = 0;
    for (let i = 0; i < 1500; i++) {
      let bytes: Uint8Array;
      const kind = i % 3;
      if (kind === 0) { bytes = good.slice(); const at = rnd(bytes.length); bytes[at] = bytes[at]! ^ (1 << rnd(8)); }
      else if (kind === 1) bytes = good.slice(0, rnd(good.length));
      else {
        // change one digit or letter of the header JSON, keeping its length
        const pos = 8 + rnd(headerLen);
        const c = text[pos - 8]!;
        const swap = /[0-9]/.test(c) ? String((Number(c) + 1 + rnd(8)) % 10) : /[a-z]/.test(c) ? String.fromCharCode(97 + rnd(26)) : c;
        bytes = good.slice();
        bytes[pos] = swap.charCodeAt(0);
      }
      try {
        const r = k.load(bytes);
        loaded++;
        r.model.dispose();
        r.optimizer?.dispose();
      } catch (e) {
        if (!(e instanceof ModelFormatError)) throw new Error(`mutation ${i} (kind ${kind}) threw ${(e as Error).name}: ${(e as Error).message}`);
      }
    }
    expect(loaded).toBeGreaterThan(0);
    expect(k.arena.bytesInUse).toBe(used);
  });
});

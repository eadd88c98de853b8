// Memory over long runs: a training step allocates nothing (wasm memory fixed after the first
// step, the JS heap flat), and models and fits give back what they took. Runs once (plain build).
import { describe, it, expect, beforeAll } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SGD, Adam, dense, conv2d, maxPool2d, avgPool2d, flatten, dropout, batchNorm, type Kernels } from '../src/index.js';
import { kernelsUnderTest, seeded } from './helpers.js';

let k: Kernels;
beforeAll(async () => {
  k = await kernelsUnderTest();
});

// a real collector even without --expose-gc: the flag set at run time, the function taken from a fresh context
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

const wasmBytes = () => k.exports.memory.buffer.byteLength;
const data = (rows: number, seed: number) => ({
  x: seeded(rows * 12, seed),
  y: Int32Array.from(seeded(rows, seed + 1), (v) => Math.floor(((v + 1) / 2) * 5) % 5),
});

describe('a long training run', () => {
  it('20,000 trainBatch calls: wasm memory unchanged after the first, JS heap flat', () => {
    const model = k.sequential({ inputSize: 12, layers: [dense(16, 'relu'), dense(5, 'softmax')], seed: 1 });
    const sgd = new SGD({ learningRate: 0.01, momentum: 0.9, nesterov: true });
    const { x, y } = data(8, 1);
    model.trainBatch(x, y, sgd); // sizes the workspace
    const bytes = wasmBytes(), grows = k.arena.grows, inUse = k.arena.bytesInUse;
    const heap = heapAfterGc();
    let sum = 0;
    for (let i = 0; i < 20_000; i++) sum += model.trainBatch(x, y, sgd);
    const heapGrowth = heapAfterGc() - heap;
    expect(Number.isFinite(sum)).toBe(true);
    expect(sgd.iterations).toBe(20_001);
    expect(wasmBytes()).toBe(bytes);
    expect(k.arena.grows).toBe(grows);
    expect(k.arena.bytesInUse).toBe(inUse);
    // 20,000 steps holding even 100 bytes each would be 2 MB: allow well under that
    expect(heapGrowth).toBeLessThan(1_000_000);
    model.dispose();
  }, 60_000);
});

describe('a long training run of a CNN with every layer type', () => {
  it('5,000 trainBatch calls (conv, batch norm, pools, flatten, dropout, dense; Adam): wasm memory unchanged, JS heap flat', () => {
    const model = k.sequential({
      inputShape: [12, 12, 2],
      layers: [conv2d(4, 3, 'relu', { padding: 'same' }), batchNorm(), maxPool2d(2), conv2d(6, 3, 'tanh', { stride: 2, padding: 'same' }),
        avgPool2d(2, { stride: 1 }), flatten(), dropout(0.3), dense(8, 'relu'), dense(5, 'softmax')],
      seed: 2,
    });
    const opt = new Adam({ learningRate: 0.001 });
    const x = seeded(8 * 12 * 12 * 2, 3), y = data(8, 4).y;
    // the first few hundred steps also compile and optimize the step's code once (kept on the heap):
    // take the baseline after them, so what is measured is what steps keep
    for (let i = 0; i < 500; i++) model.trainBatch(x, y, opt);
    const bytes = wasmBytes(), grows = k.arena.grows, inUse = k.arena.bytesInUse;
    const heap = heapAfterGc();
    let sum = 0;
    for (let i = 0; i < 5_000; i++) sum += model.trainBatch(x, y, opt);
    const heapGrowth = heapAfterGc() - heap;
    expect(Number.isFinite(sum)).toBe(true);
    expect(wasmBytes()).toBe(bytes);
    expect(k.arena.grows).toBe(grows);
    expect(k.arena.bytesInUse).toBe(inUse);
    expect(heapGrowth, `the JS heap grew ${heapGrowth} bytes over 5,000 steps`).toBeLessThan(500_000);
    model.dispose();
    opt.dispose();
  }, 60_000);
});

describe('create and dispose', () => {
  it('1,000 create / train / predict / dispose cycles do not grow wasm memory or leak arena bytes', () => {
    const keep = k.sequential({ inputSize: 12, layers: [dense(7, 'tanh'), dense(5, 'softmax')], seed: 3 }); // lives throughout
    const small = data(3, 2), big = data(17, 3);
    keep.trainBatch(small.x, small.y, new SGD());
    const cycle = (i: number) => {
      const m = k.sequential({ inputSize: 12, layers: [dense(9 + (i % 3), 'relu'), dense(5, 'softmax')], seed: i });
      const sgd = new SGD({ learningRate: 0.05, momentum: 0.9 });
      m.trainBatch(small.x, small.y, sgd);
      m.trainBatch(big.x, big.y, sgd); // the workspace grows inside the cycle
      m.predict(small.x);
      keep.trainBatch(small.x, small.y, sgd); // the optimizer's velocity for a live neighbour…
      m.dispose(); // frees the model and this optimizer's state for it
      expect(sgd.hasState(keep.parameters()[0]!)).toBe(true);
      sgd.dispose(); // …is the optimizer's, given back with it
      expect(sgd.hasState(keep.parameters()[0]!)).toBe(false);
    };
    for (let i = 0; i < 3; i++) cycle(i);
    const bytes = wasmBytes(), inUse = k.arena.bytesInUse;
    for (let i = 3; i < 1000; i++) cycle(i);
    expect(wasmBytes()).toBe(bytes);
    expect(k.arena.bytesInUse).toBe(inUse);
    keep.dispose();
  }, 60_000);

  it('200 fits give back their dataset copies (one optimizer throughout: its state is made once)', async () => {
    const model = k.sequential({ inputSize: 12, layers: [dense(8, 'sigmoid'), dense(5, 'softmax')], seed: 5 });
    const { x, y } = data(40, 4);
    const sgd = new SGD({ learningRate: 0.01, momentum: 0.9 });
    await model.fit(x, y, { epochs: 1, batchSize: 16, optimizer: sgd });
    const bytes = wasmBytes(), inUse = k.arena.bytesInUse;
    for (let i = 0; i < 200; i++) await model.fit(x, y, { epochs: 1, batchSize: 16, seed: i, optimizer: sgd });
    expect(wasmBytes()).toBe(bytes);
    expect(k.arena.bytesInUse).toBe(inUse);
    model.dispose();
  }, 60_000);

  it("200 fits with the default optimizer give back their dataset copies and that optimizer's state", async () => {
    // fit makes its own SGD when given none; nobody else can dispose it, so fit must
    const model = k.sequential({ inputSize: 12, layers: [dense(8, 'sigmoid'), dense(5, 'softmax')], seed: 5 });
    const { x, y } = data(40, 4);
    await model.fit(x, y, { epochs: 1, batchSize: 16 });
    const bytes = wasmBytes(), inUse = k.arena.bytesInUse;
    for (let i = 0; i < 200; i++) await model.fit(x, y, { epochs: 1, batchSize: 16, seed: i });
    expect(wasmBytes()).toBe(bytes);
    expect(k.arena.bytesInUse).toBe(inUse);
    model.dispose();
  }, 60_000);
});

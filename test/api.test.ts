// The public API's contract (issue 2): loading, parameters, sequential defaults and initialisation,
// weights in and out, live parameter views, predict / evaluate against the oracle, label forms,
// velocities, dispose, fit (history, callbacks, seeded shuffling, abort) and divergence.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFile } from 'node:fs/promises';
import {
  loadKernels, relaxedSimdSupported, SGD, Adam, dense, Parameter, InvalidArgumentError, TrainingDivergedError, UnsupportedError,
  type Kernels, type Sequential, type BatchLogs, type EpochLogs,
} from '../src/index.js';
import { ABI_VERSION } from '../src/runtime/abi.js';
import { splitsDepth } from '../src/runtime/split-depth.js';
import { kernelsUnderTest, seeded, closeness, SIMD, put } from './helpers.js';
import { oracleLayers, sameBits, argmaxRow } from './model-helpers.js';
import * as oracle from './oracle/oracle.js';

let k: Kernels;
beforeAll(async () => {
  k = await kernelsUnderTest();
});

const classes = (n: number, c: number, seed: number) => Int32Array.from(seeded(n, seed), (v) => Math.min(c - 1, Math.floor(((v + 1) / 2) * c)));

/** a small classifier and data with structure to learn: the class is the argmax of the first 3 inputs */
function blobs(rows: number, seed: number): { x: Float32Array; y: Int32Array } {
  const x = seeded(rows * 6, seed);
  const y = new Int32Array(rows);
  for (let r = 0; r < rows; r++) y[r] = argmaxRow(x.subarray(r * 6, r * 6 + 3), 0, 3);
  return { x, y };
}
const classifier = (seed = 1) => k.sequential({ inputSize: 6, layers: [dense(9, 'tanh'), dense(3, 'softmax')], seed });

describe('loadKernels', () => {
  it('reports the build it loaded: simd true, relaxedSimd per the build', () => {
    expect(k.features).toEqual({ simd: true, relaxedSimd: SIMD === 'relaxed', threads: 1, threadsReason: null });
    expect(Object.isFrozen(k.features)).toBe(true);
  });

  it("{ simd: 'plain' } loads the plain build; a module given as bytes or compiled reports its own features", async () => {
    const plain = await loadKernels({ simd: 'plain' });
    expect(plain.features.relaxedSimd).toBe(false);
    const bytes = await readFile(new URL('../build/release.wasm', import.meta.url));
    const fromBytes = await loadKernels({ wasm: new Uint8Array(bytes) });
    // one module given: threads would need its shared-memory build too (options.sharedWasm)
    expect(fromBytes.features).toMatchObject({ simd: true, relaxedSimd: false, threads: 1 });
    expect(fromBytes.features.threadsReason).toMatch(/options\.sharedWasm/);
    const fromModule = await loadKernels({ wasm: await WebAssembly.compile(bytes) });
    expect(fromModule.features.relaxedSimd).toBe(false);
    // each instance has its own memory: a parameter in one is not in the other
    const a = fromBytes.parameter([1, 2, 3]), b = fromModule.parameter([4, 5, 6]);
    expect(Array.from(a.value)).toEqual([1, 2, 3]);
    expect(Array.from(b.value)).toEqual([4, 5, 6]);
    expect(fromBytes.exports.memory).not.toBe(fromModule.exports.memory);
    if (SIMD === 'relaxed') {
      const relaxed = await loadKernels({ wasm: await readFile(new URL('../build/relaxed.wasm', import.meta.url)) });
      expect(relaxed.features.relaxedSimd).toBe(true);
    }
  });

  it('rejects a bad simd choice and a module that is not ours', async () => {
    await expect(loadKernels({ simd: 'avx' as never })).rejects.toThrow(/options\.simd/);
    // (module (memory (export "memory") 1)): valid wasm, none of our exports
    const other = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 3, 1, 0, 1, 7, 10, 1, 6, 109, 101, 109, 111, 114, 121, 2, 0]);
    await expect(loadKernels({ wasm: other })).rejects.toThrow(/options\.wasm/);
  });
});

/** a tiny module, hand-encoded: memory, heap_base, gemm, gemm_scratch_bytes, RELAXED_SIMD and,
 *  unless abi is null, ABI_VERSION = abi (an immutable i32 global, as AssemblyScript exports a const) */
function fakeKernels(abi: number | null): Uint8Array<ArrayBuffer> {
  const uleb = (n: number) => { const out: number[] = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n); return out; };
  const sleb = (n: number) => {
    const out: number[] = [];
    for (;;) { const b = n & 0x7f; n >>= 7; if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) { out.push(b); return out; } out.push(b | 0x80); }
  };
  const name = (s: string) => [...uleb(s.length), ...new TextEncoder().encode(s)];
  const section = (id: number, items: number[][]) => { const body = [...uleb(items.length), ...items.flat()]; return [id, ...uleb(body.length), ...body]; };
  const i32Global = (v: number) => [0x7f, 0x00, 0x41, ...sleb(v), 0x0b];
  const globals = [i32Global(0), ...(abi === null ? [] : [i32Global(abi)])];
  const exports = [[...name('memory'), 2, 0], [...name('heap_base'), 0, 0], [...name('gemm'), 0, 1], [...name('gemm_scratch_bytes'), 0, 2],
    [...name('RELAXED_SIMD'), 3, 0], ...(abi === null ? [] : [[...name('ABI_VERSION'), 3, 1]])];
  const body = (code: number[]) => [...uleb(code.length + 1), 0, ...code];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [[0x60, 0, 1, 0x7f], [0x60, 0, 0]]), // () -> i32, () -> ()
    ...section(3, [[0], [1], [0]]),
    ...section(5, [[0, 1]]), // one page
    ...section(6, globals),
    ...section(7, exports),
    ...section(10, [body([0x41, ...sleb(1024), 0x0b]), body([0x0b]), body([0x41, 0, 0x0b])]),
  ]);
}

describe('the ABI version', () => {
  it('the packaged modules export the ABI_VERSION this library needs, and load', async () => {
    expect(ABI_VERSION).toBe(9);
    const plain = await loadKernels({ simd: 'plain' });
    const abi = (plain.exports as unknown as { ABI_VERSION: WebAssembly.Global }).ABI_VERSION;
    expect(abi).toBeInstanceOf(WebAssembly.Global);
    expect(abi.value).toBe(ABI_VERSION);
    const bytes = new Uint8Array(await readFile(new URL('../build/release.wasm', import.meta.url)));
    expect((await loadKernels({ wasm: bytes })).features.relaxedSimd).toBe(false);
    if (relaxedSimdSupported()) {
      const relaxed = await loadKernels({ simd: 'relaxed' });
      expect((relaxed.exports as unknown as { ABI_VERSION: WebAssembly.Global }).ABI_VERSION.value).toBe(ABI_VERSION);
      const rbytes = new Uint8Array(await readFile(new URL('../build/relaxed.wasm', import.meta.url)));
      expect((await loadKernels({ wasm: rbytes })).features.relaxedSimd).toBe(true);
    }
  });

  it('a module of another ABI version (or none) passed as { wasm } is refused with an UnsupportedError naming both versions', async () => {
    // the same module with the current version loads: what is refused is the version alone
    const current = fakeKernels(ABI_VERSION);
    expect(WebAssembly.validate(current)).toBe(true);
    const ok = await loadKernels({ wasm: current, warmUp: false }); // a fake: its kernels do nothing a warm-up could use
    expect(ok.features.relaxedSimd).toBe(false);
    for (const abi of [1, ABI_VERSION - 1, ABI_VERSION + 1, 0, -1, null]) {
      const bytes = fakeKernels(abi);
      expect(WebAssembly.validate(bytes), `abi ${abi}: a valid module`).toBe(true);
      for (const wasm of [bytes, bytes.buffer, await WebAssembly.compile(bytes)]) {
        const err = await loadKernels({ wasm }).then(() => null, (e: unknown) => e);
        expect(err, `abi ${abi}`).toBeInstanceOf(UnsupportedError);
        const message = (err as Error).message;
        expect(message).toMatch(new RegExp(`ABI version ${abi === null ? 'none' : abi}\\b`));
        expect(message).toMatch(new RegExp(`needs ${ABI_VERSION}\\b`));
        expect(message).toMatch(/options\.wasm/);
      }
    }
  });
});

describe('the warm-up at load', () => {
  it('leaves nothing behind: the same memory in use as without it, and a model trains to the same bits', async () => {
    const warm = await loadKernels({ simd: SIMD, threads: 1 }), cold = await loadKernels({ simd: SIMD, threads: 1, warmUp: false });
    expect(warm.arena.bytesInUse).toBe(cold.arena.bytesInUse);
    const x = Float32Array.from({ length: 8 * 5 }, (_, i) => Math.sin(i)), y = Int32Array.from({ length: 8 }, (_, i) => i % 3);
    const weights = [warm, cold].map((k) => {
      const m = k.sequential({ inputSize: 5, layers: [dense(7, 'relu'), dense(3, 'softmax')], seed: 4 });
      const opt = new SGD({ learningRate: 0.1, momentum: 0.9 });
      for (let s = 0; s < 3; s++) m.trainBatch(x, y, opt);
      return m.getWeights().map((w) => Array.from(w.values));
    });
    expect(weights[0]).toEqual(weights[1]);
  });

  it('options.warmUp must be a boolean', async () => {
    for (const bad of [0, 'no', null]) await expect(loadKernels({ warmUp: bad as never })).rejects.toThrow(/options\.warmUp/);
  });
});

describe('k.parameter', () => {
  it('from an array: shape [n], the values, zero grad; value + grad only, and an optimizer\'s velocity for it starts at zero', () => {
    const p = k.parameter([2, -1.5, 3.25]);
    expect(p).toBeInstanceOf(Parameter);
    expect(p.shape).toEqual([3]);
    expect(p.size).toBe(3);
    expect(Array.from(p.value)).toEqual([2, -1.5, 3.25]);
    expect(Array.from(p.grad)).toEqual([0, 0, 0]);
    // a Parameter is value + grad: whatever an optimizer remembers about it is that optimizer's
    expect('velocity' in p).toBe(false);
    expect('secondMoment' in p).toBe(false);
    const sgd = new SGD({ momentum: 0.9 });
    expect(sgd.hasState(p)).toBe(false);
    expect(Array.from(sgd.state(p).velocity)).toEqual([0, 0, 0]);
    p.dispose();
  });

  it('from a Float32Array (copied, not aliased) and from { shape }', () => {
    const src = seeded(17, 3);
    const p = k.parameter(src);
    expect(p.shape).toEqual([17]);
    expect(sameBits(p.value, src)).toBe(true);
    src[0] = 99;
    expect(p.value[0]).not.toBe(99);
    const q = k.parameter({ shape: [2, 3] });
    expect(q.shape).toEqual([2, 3]);
    expect(q.size).toBe(6);
    expect(q.value).toEqual(new Float32Array(6));
    expect(q.grad).toEqual(new Float32Array(6));
    expect(new SGD({ momentum: 0.9 }).state(q).velocity).toEqual(new Float32Array(6));
    p.dispose(); q.dispose();
  });

  it("value, grad and an optimizer's velocity are separate live views that survive memory growth", () => {
    const p = k.parameter([1, 2, 3, 4, 5]);
    const sgd = new SGD({ momentum: 0.9 });
    const state = sgd.state(p);
    p.grad.set([5, 4, 3, 2, 1]);
    state.velocity.set([-1, -1, -1, -1, -1]);
    expect(Array.from(p.value)).toEqual([1, 2, 3, 4, 5]);
    const grows = k.arena.grows;
    const big = k.parameter({ shape: [4_000_000] }); // 48 MB: forces memory.grow
    expect(k.arena.grows).toBeGreaterThan(grows);
    expect(Array.from(p.value)).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(p.grad)).toEqual([5, 4, 3, 2, 1]);
    expect(Array.from(state.velocity)).toEqual([-1, -1, -1, -1, -1]); // the same views object, re-taken
    expect(Array.from(sgd.state(p).velocity)).toEqual([-1, -1, -1, -1, -1]);
    big.dispose();
    p.dispose();
  });

  it('SGD.step on several parameters updates each by the seed rule', () => {
    const a = k.parameter([1, 2, 3]), b = k.parameter({ shape: [5] });
    a.grad.set([1, 1, 1]); b.grad.set([2, 2, 2, 2, 2]);
    const sgd = new SGD({ learningRate: 0.5, momentum: 0.5 });
    sgd.step([a, b]);
    sgd.step([a, b]);
    // v1 = -0.5 g, w1 = w0 - 0.5 g; v2 = 0.5 v1 - 0.5 g = -0.75 g, w2 = w1 - 0.75 g
    expect(Array.from(a.value)).toEqual([1 - 1.25, 2 - 1.25, 3 - 1.25]);
    expect(Array.from(sgd.state(b).velocity)).toEqual([-1.5, -1.5, -1.5, -1.5, -1.5]);
    expect(sgd.iterations).toBe(2);
    a.dispose(); b.dispose();
  });
});

describe('k.sequential: defaults and initialisation', () => {
  it('loss defaults to crossEntropy after softmax, else mse; an explicit loss wins', () => {
    const mk = (act: 'softmax' | 'sigmoid' | 'linear' | 'relu' | 'tanh', loss?: 'mse' | 'crossEntropy') =>
      k.sequential({ inputSize: 4, layers: [dense(5, 'relu'), dense(3, act)], loss, seed: 1 });
    const cases: Array<[Sequential, string]> = [
      [mk('softmax'), 'crossEntropy'], [mk('sigmoid'), 'mse'], [mk('linear'), 'mse'], [mk('relu'), 'mse'], [mk('tanh'), 'mse'],
      [mk('softmax', 'mse'), 'mse'], [mk('sigmoid', 'crossEntropy'), 'crossEntropy'],
    ];
    for (const [m, loss] of cases) { expect(m.loss).toBe(loss); m.dispose(); }
    // dense() defaults: linear, with bias
    expect(dense(3)).toEqual({ type: 'dense', units: 3, activation: 'linear', bias: true });
  });

  it('the same seed gives bitwise identical weights; another seed does not', () => {
    const cfg = { inputSize: 33, layers: [dense(17, 'relu'), dense(10, 'softmax')] };
    const a = k.sequential({ ...cfg, seed: 42 }), b = k.sequential({ ...cfg, seed: 42 }), c = k.sequential({ ...cfg, seed: 43 });
    const wa = a.getWeights(), wb = b.getWeights(), wc = c.getWeights();
    wa.forEach((w, i) => expect(sameBits(w.values, wb[i]!.values)).toBe(true));
    expect(sameBits(wa[0]!.values, wc[0]!.values)).toBe(false);
    expect(a.seed).toBe(42);
    // without a seed, two models differ (a random seed each)
    const r1 = k.sequential(cfg), r2 = k.sequential(cfg);
    expect(sameBits(r1.getWeights()[0]!.values, r2.getWeights()[0]!.values)).toBe(false);
    for (const m of [a, b, c, r1, r2]) m.dispose();
  });

  it('He uniform for relu (±√(6/in)), Glorot uniform otherwise (±√(6/(in+out))), biases 0', () => {
    const model = k.sequential({
      inputSize: 300,
      layers: [dense(200, 'relu'), dense(60, 'tanh'), dense(40, 'sigmoid'), dense(10, 'softmax')],
      seed: 9,
    });
    const sizes = [[300, 200, 'relu'], [200, 60, 'tanh'], [60, 40, 'sigmoid'], [40, 10, 'softmax']] as const;
    const ws = model.getWeights();
    sizes.forEach(([inS, outS, act], l) => {
      const kernel = ws[2 * l]!.values, bias = ws[2 * l + 1]!.values;
      const limit = act === 'relu' ? Math.sqrt(6 / inS) : Math.sqrt(6 / (inS + outS));
      let max = 0, sum = 0, sq = 0;
      for (const v of kernel) { max = Math.max(max, Math.abs(v)); sum += v; sq += v * v; }
      const n = kernel.length;
      expect(max, `layer ${l} within the limit ${limit}`).toBeLessThanOrEqual(limit);
      // uniform on [-limit, limit]: the extremes are nearly reached, mean 0, variance limit²/3
      expect(max, `layer ${l} fills the range`).toBeGreaterThan(limit * (1 - 20 / n));
      expect(Math.abs(sum / n), `layer ${l} mean`).toBeLessThan((4 * limit) / Math.sqrt(3 * n));
      expect(Math.abs(sq / n / (limit * limit / 3) - 1), `layer ${l} variance`).toBeLessThan(0.1);
      expect(bias.every((v) => v === 0), `layer ${l} bias`).toBe(true);
    });
    // relu's limit is He's, which Glorot's would not reach: √(6/300) = 0.141 vs √(6/500) = 0.110
    model.dispose();
  });
});

describe('weights in and out', () => {
  it('getWeights: names, shapes [in, units] and [units], layer order, and copies', () => {
    const model = k.sequential({ inputSize: 5, layers: [dense(7, 'relu'), dense(4, 'tanh', { bias: false }), dense(3, 'softmax')], seed: 2 });
    const ws = model.getWeights();
    expect(ws.map((w) => w.name)).toEqual(['dense_0/kernel', 'dense_0/bias', 'dense_1/kernel', 'dense_2/kernel', 'dense_2/bias']);
    expect(ws.map((w) => w.shape)).toEqual([[5, 7], [7], [7, 4], [4, 3], [3]]);
    ws.forEach((w) => expect(w.values.length).toBe(w.shape.reduce((a, b) => a * b, 1)));
    expect(model.parameters().map((p) => p.name)).toEqual(ws.map((w) => w.name));
    // copies: writing to them changes nothing in the model
    const before = model.getWeights()[0]!.values;
    ws[0]!.values.fill(123);
    ws[0]!.shape[0] = 99;
    expect(sameBits(model.getWeights()[0]!.values, before)).toBe(true);
    expect(model.getWeights()[0]!.shape).toEqual([5, 7]);
    model.dispose();
  });

  it('setWeights round trip, from Float32Arrays or from getWeights() output; the layout is [in, units] row-major', () => {
    const model = k.sequential({ inputSize: 5, layers: [dense(7, 'sigmoid'), dense(3, 'linear')], seed: 2 });
    const mine = model.getWeights().map((w, i) => seeded(w.values.length, 100 + i));
    model.setWeights(mine);
    model.getWeights().forEach((w, i) => expect(sameBits(w.values, mine[i]!)).toBe(true));
    // the oracle reads W as in×out row-major: predict agrees only if setWeights used that layout
    const x = seeded(4 * 5, 7);
    const want = oracle.mlpForward(oracleLayers(model), x, 4).ys[1]!;
    expect(closeness(model.predict(x), want, 1e-6, 1e-5)).toBeLessThanOrEqual(1);
    const other = k.sequential({ inputSize: 5, layers: [dense(7, 'sigmoid'), dense(3, 'linear')], seed: 3 });
    other.setWeights(model.getWeights());
    expect(sameBits(other.predict(x), model.predict(x))).toBe(true);
    model.dispose(); other.dispose();
  });

  it('parameters() are live views: writing p.value changes predict, getWeights and what training starts from', () => {
    const model = k.sequential({ inputSize: 3, layers: [dense(2, 'linear')], seed: 5 });
    const [kernel, bias] = model.parameters();
    expect(model.parameters()[0]).toBe(kernel); // the same objects every time
    kernel!.value.set([1, 2, 3, 4, 5, 6]); // W = [[1,2],[3,4],[5,6]]
    bias!.value.set([0.5, -0.5]);
    expect(Array.from(model.predict(Float32Array.from([1, 1, 1])))).toEqual([9.5, 11.5]);
    expect(Array.from(model.getWeights()[1]!.values)).toEqual([0.5, -0.5]);
    model.setWeights([new Float32Array(6), Float32Array.from([1, 2])]);
    expect(Array.from(kernel!.value)).toEqual([0, 0, 0, 0, 0, 0]); // and the other way round
    model.dispose();
  });
});

describe('predict and evaluate against the oracle', () => {
  it('predict: rows × outputs, softmax rows sum to 1, any batch size (1, 3, 17, 600 and 1100 rows)', () => {
    const model = k.sequential({ inputSize: 13, layers: [dense(9, 'relu'), dense(5, 'softmax')], seed: 4 });
    model.setWeights(model.getWeights().map((w, i) => (i % 2 ? seeded(w.values.length, i, 0.2) : w.values)));
    for (const rows of [1, 3, 17, 600, 1100, 2]) {
      const x = seeded(rows * 13, rows);
      const out = model.predict(x);
      expect(out).toBeInstanceOf(Float32Array);
      expect(out.length).toBe(rows * 5);
      const want = oracle.mlpForward(oracleLayers(model), x, rows).ys[1]!;
      expect(closeness(out, want, 1e-6, 1e-5), `${rows} rows`).toBeLessThanOrEqual(1);
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let j = 0; j < 5; j++) s += out[r * 5 + j]!;
        expect(Math.abs(s - 1)).toBeLessThan(1e-6);
      }
    }
    model.dispose();
  });

  it('deep inputs (600 and 1100 features: the first forward product is cut in depth, split-depth.ts): predict and training steps against the oracle', () => {
    const firsts = [dense(20, 'relu'), dense(16, 'tanh', { bias: false }), dense(13, 'linear')];
    for (const inSize of [600, 1100]) {
      expect(splitsDepth(inSize)).toBe(true);
      firsts.forEach((first, f) => {
        const model = k.sequential({ inputSize: inSize, layers: [first, dense(5, 'softmax')], seed: f + 1 });
        const sgd = new SGD({ learningRate: 0.05, momentum: 0.9 });
        const layers = oracleLayers(model);
        const vel = model.parameters().map((p) => new Float64Array(p.size));
        for (const rows of [1, 17, 64]) {
          const x = seeded(rows * inSize, rows + inSize), y = classes(rows, 5, rows);
          const where = `${inSize} inputs, ${first.activation}${first.bias ? '' : ' without bias'}, ${rows} rows`;
          expect(closeness(model.predict(x), oracle.mlpForward(layers, x, rows).ys[1]!, 1e-5, 1e-4), where).toBeLessThanOrEqual(1);
          const loss = model.trainBatch(x, y, sgd);
          const want = oracle.mlpTrainStep(layers, vel, x, y, rows, 'crossEntropy', true, 'momentum', 0.05, 0.9);
          expect(Math.abs(loss - want), where).toBeLessThanOrEqual(1e-5 * want);
        }
        const probe = seeded(9 * inSize, 3);
        expect(closeness(model.predict(probe), oracle.mlpForward(layers, probe, 9).ys[1]!, 1e-5, 1e-4)).toBeLessThanOrEqual(1);
        model.dispose(); sgd.dispose();
      });
    }
  });

  it('evaluate: { loss, accuracy } for cross-entropy, { loss } for mse, over chunked batches too', () => {
    const ce = k.sequential({ inputSize: 13, layers: [dense(9, 'tanh'), dense(5, 'softmax')], seed: 4 });
    const mse = k.sequential({ inputSize: 13, layers: [dense(9, 'tanh'), dense(5, 'sigmoid')], seed: 4 });
    for (const rows of [1, 7, 1100]) {
      const x = seeded(rows * 13, rows + 1, 2);
      const y = classes(rows, 5, rows + 2);
      const r = ce.evaluate(x, y);
      const { zs, ys } = oracle.mlpForward(oracleLayers(ce), x, rows);
      const want = oracle.softmaxCrossEntropy(zs[1]!, y, rows, 5, true).loss;
      expect(Math.abs(r.loss - want), `${rows} rows`).toBeLessThanOrEqual(1e-5 * want);
      let hits = 0;
      for (let i = 0; i < rows; i++) if (argmaxRow(ys[1]!, i, 5) === y[i]) hits++;
      expect(r.accuracy).toBe(hits / rows);
      const t = seeded(rows * 5, rows + 3);
      const rm = mse.evaluate(x, t);
      expect(Object.keys(rm)).toEqual(['loss']);
      const wantM = oracle.mse(oracle.mlpForward(oracleLayers(mse), x, rows).ys[1]!, t, rows * 5).loss;
      expect(Math.abs(rm.loss - wantM)).toBeLessThanOrEqual(1e-5 * wantM);
    }
    ce.dispose(); mse.dispose();
  });

  it('the batch size may change between calls: trainBatch, predict and evaluate stay right', () => {
    const model = classifier(3);
    const sgd = new SGD({ learningRate: 0.1, momentum: 0.9 });
    const layers = oracleLayers(model);
    const vel = model.parameters().map((p) => new Float64Array(p.size));
    for (const rows of [5, 17, 3, 64, 1, 33]) {
      const { x, y } = blobs(rows, rows);
      const loss = model.trainBatch(x, y, sgd);
      const want = oracle.mlpTrainStep(layers, vel, x, y, rows, 'crossEntropy', true, 'momentum', 0.1, 0.9);
      expect(Math.abs(loss - want), `${rows} rows`).toBeLessThanOrEqual(1e-5 * want);
      const probe = blobs(rows + 2, 99);
      expect(closeness(model.predict(probe.x), oracle.mlpForward(layers, probe.x, rows + 2).ys[1]!, 1e-5, 1e-4)).toBeLessThanOrEqual(1);
    }
    model.dispose();
  });

  it('labels as Int32Array, Uint8Array and one-hot Float32Array give identical losses and steps', () => {
    const { x, y } = blobs(21, 8);
    const u8 = Uint8Array.from(y);
    const hot = new Float32Array(21 * 3);
    y.forEach((c, r) => { hot[r * 3 + c] = 1; });
    const m = classifier(6);
    const e32 = m.evaluate(x, y), e8 = m.evaluate(x, u8), eh = m.evaluate(x, hot);
    expect(e8).toEqual(e32);
    expect(eh).toEqual(e32);
    // one training step from the same weights with each form of labels
    const runs = [y, u8, hot].map((labels) => {
      const mm = classifier(6);
      const loss = mm.trainBatch(x, labels, new SGD({ learningRate: 0.5, momentum: 0.9 }));
      const w = mm.getWeights().map((t) => t.values);
      mm.dispose();
      return { loss, w };
    });
    expect(runs[1]!.loss).toBe(runs[0]!.loss);
    expect(runs[2]!.loss).toBe(runs[0]!.loss);
    runs[1]!.w.forEach((w, i) => expect(sameBits(w, runs[0]!.w[i]!)).toBe(true));
    runs[2]!.w.forEach((w, i) => expect(closeness(w, runs[0]!.w[i]!, 1e-7, 1e-6)).toBeLessThanOrEqual(1));
    // and for mse, class ids become one-hot targets
    const mse = k.sequential({ inputSize: 6, layers: [dense(3, 'sigmoid')], seed: 1 });
    expect(mse.evaluate(x, y).loss).toBe(mse.evaluate(x, hot).loss);
    m.dispose(); mse.dispose();
  });
});

describe('velocity', () => {
  it("is the optimizer's: none before it steps, then zero for every parameter, and the first momentum step sets it to -lr·grad", () => {
    const model = k.sequential({ inputSize: 6, layers: [dense(9, 'relu'), dense(5, 'tanh', { bias: false }), dense(3, 'softmax')], seed: 1 });
    const sgd = new SGD({ learningRate: 0.1, momentum: 0.9 });
    for (const p of model.parameters()) expect(sgd.hasState(p), p.name).toBe(false);
    for (const p of model.parameters()) expect(sgd.state(p).velocity.every((v) => v === 0), p.name).toBe(true);
    const before = model.getWeights().map((w) => w.values);
    const { x, y } = blobs(10, 2);
    model.trainBatch(x, y, sgd);
    const lr = Math.fround(0.1);
    model.parameters().forEach((p, i) => {
      let moved = 0;
      const velocity = sgd.state(p).velocity;
      for (let j = 0; j < p.size; j++) {
        expect(velocity[j], `${p.name}[${j}]`).toBe(Math.fround(-lr * p.grad[j]!)); // 0.9 · 0 - lr · g, one rounding
        expect(p.value[j]).toBe(Math.fround(before[i]![j]! + velocity[j]!));
        if (velocity[j] !== 0) moved++;
      }
      expect(moved, `${p.name} has non-zero gradients`).toBeGreaterThan(0);
    });
    model.dispose();
  });

  it('belongs to its parameter: two models trained alternately match two trained alone', () => {
    const { x, y } = blobs(16, 4);
    const run = (interleave: boolean) => {
      const a = classifier(1), b = classifier(2);
      const sa = new SGD({ learningRate: 0.2, momentum: 0.9 }), sb = new SGD({ learningRate: 0.2, momentum: 0.9 });
      if (interleave) for (let i = 0; i < 5; i++) { a.trainBatch(x, y, sa); b.trainBatch(x, y, sb); }
      else { for (let i = 0; i < 5; i++) a.trainBatch(x, y, sa); for (let i = 0; i < 5; i++) b.trainBatch(x, y, sb); }
      const w = [...a.getWeights(), ...b.getWeights()].map((t) => t.values);
      a.dispose(); b.dispose();
      return w;
    };
    const one = run(true), two = run(false);
    one.forEach((w, i) => expect(sameBits(w, two[i]!)).toBe(true));
  });
});

describe('dispose', () => {
  it('then every entry point throws InvalidArgumentError naming the model, and the memory (optimizer state included) goes back', async () => {
    const inUse = k.arena.bytesInUse;
    const model = classifier(1);
    const p = model.parameters()[0]!;
    const { x, y } = blobs(4, 1);
    const sgd = new SGD({ learningRate: 0.1, momentum: 0.9 }), adam = new Adam();
    model.trainBatch(x, y, sgd);
    model.trainBatch(x, y, adam);
    expect(k.arena.bytesInUse).toBeGreaterThan(inUse);
    const w = model.getWeights();
    model.dispose();
    expect(model.disposed).toBe(true);
    expect(k.arena.bytesInUse).toBe(inUse);
    expect(sgd.hasState(p) || adam.hasState(p)).toBe(false);
    const calls: Array<[string, () => unknown]> = [
      ['predict', () => model.predict(x)],
      ['evaluate', () => model.evaluate(x, y)],
      ['trainBatch', () => model.trainBatch(x, y, new SGD())],
      ['trainBatch with an optimizer that has state', () => model.trainBatch(x, y, sgd)],
      ['getWeights', () => model.getWeights()],
      ['setWeights', () => model.setWeights(w)],
      ['setWeights (bad argument)', () => model.setWeights([])],
      ['parameters', () => model.parameters()],
      ['summary', () => model.summary(null)],
      ['save', () => model.save()],
      ['save a checkpoint', () => model.save({ optimizer: sgd })],
      ["save in the torch layout", () => model.save({ format: 'torch' })],
    ];
    const checkErr = (name: string, err: unknown) => {
      expect(err, name).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).argument, name).toBe('model');
      expect((err as Error).message, name).toMatch(/model: expected a model that has not been disposed/);
    };
    for (const [name, call] of calls) {
      let err: unknown;
      try { call(); } catch (e) { err = e; }
      checkErr(name, err);
    }
    for (const [name, call] of [['fit', () => model.fit(x, y)], ['fit with options', () => model.fit(x, y, { optimizer: sgd, epochs: 2 })]] as const) {
      checkErr(name, await call().then(() => null, (e: unknown) => e));
    }
    expect(k.arena.bytesInUse, 'the calls allocated nothing').toBe(inUse);
    expect(sgd.hasState(p)).toBe(false);
    expect(() => p.value).toThrow(/disposed/); // views of its parameters too
    expect(() => sgd.state(p)).toThrow(/disposed/);
    expect(() => model.dispose()).not.toThrow(); // a second dispose is harmless
  });

  it('model.dispose() inside onBatchEnd: fit rejects at the next batch with InvalidArgumentError naming the model, writes nothing into the freed memory, and gives it all back', async () => {
    const { x, y } = blobs(40, 6);
    for (const [what, dispose] of [['onBatchEnd', 'batch'], ['onEpochEnd', 'epoch']] as const) {
      const inUse = k.arena.bytesInUse;
      const model = classifier(3);
      const sgd = new SGD({ learningRate: 0.1, momentum: 0.9 });
      let batches = 0, epochs = 0;
      const canaries: ReturnType<typeof put>[] = [];
      const kill = () => {
        const before = k.arena.bytesInUse;
        model.dispose();
        const freed = before - k.arena.bytesInUse;
        expect(freed, `${what}: the model's memory is freed at once`).toBeGreaterThan(0);
        // refill every byte just freed (first fit: 64-byte blocks land in the freed ranges) with a
        // pattern: a step that went on would overwrite some of it
        for (let i = 0; i < freed / 64; i++) canaries.push(put(k, new Float32Array(16).fill(-12345.5)));
      };
      const err = await model.fit(x, y, {
        epochs: 3, batchSize: 8, optimizer: sgd,
        onBatchEnd: () => { batches++; if (dispose === 'batch' && batches === 2) kill(); },
        onEpochEnd: () => { epochs++; if (dispose === 'epoch' && epochs === 1) kill(); },
      }).then(() => null, (e: unknown) => e);
      expect(err, what).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).argument, what).toBe('model');
      expect((err as Error).message, what).toMatch(/model: expected a model that has not been disposed, got "a disposed model"/);
      // no batch ran after the dispose
      expect(batches, what).toBe(dispose === 'batch' ? 2 : 5);
      expect(sgd.iterations, what).toBe(batches);
      expect(canaries.length, what).toBeGreaterThan(0);
      canaries.forEach((c, i) => expect(c.f32.every((v) => v === -12345.5), `${what}: canary ${i} was written over`).toBe(true));
      for (const c of canaries) c.free();
      // fit gave back its dataset copy, the model and the optimizer's state are gone
      expect(k.arena.bytesInUse, what).toBe(inUse);
    }
  });
});

describe('fit', () => {
  it('history has one entry per epoch in every field; the last validation numbers are evaluate()', async () => {
    const model = classifier(1);
    const train = blobs(100, 1), test = blobs(40, 2);
    const epochs: Array<[number, EpochLogs]> = [];
    const batches: BatchLogs[] = [];
    const h = await model.fit(train.x, train.y, {
      epochs: 4, batchSize: 32, optimizer: new SGD({ learningRate: 0.3, momentum: 0.9 }),
      validationData: [test.x, test.y],
      onEpochEnd: (e, logs) => { epochs.push([e, logs]); },
      onBatchEnd: (logs) => { batches.push(logs); },
    });
    expect(h.epochs).toBe(4);
    for (const field of ['loss', 'accuracy', 'valLoss', 'valAccuracy', 'samplesPerSec'] as const) expect(h[field].length, field).toBe(4);
    expect(h.stopped).toBeUndefined();
    expect(h.samplesPerSec.every((s) => s > 0)).toBe(true);
    expect(h.loss[3]!).toBeLessThan(h.loss[0]!); // it learns
    const final = model.evaluate(test.x, test.y);
    expect(h.valLoss[3]).toBe(final.loss);
    expect(h.valAccuracy[3]).toBe(final.accuracy);
    // callbacks: 4 epochs, ceil(100 / 32) = 4 batches each, the last of 4 rows
    expect(epochs.map(([e]) => e)).toEqual([1, 2, 3, 4]);
    epochs.forEach(([, logs], i) => { expect(logs.loss).toBe(h.loss[i]); expect(logs.valAccuracy).toBe(h.valAccuracy[i]); });
    expect(batches.length).toBe(16);
    expect(batches.map((b) => `${b.epoch}.${b.batch}/${b.batches}`).slice(0, 5)).toEqual(['1.1/4', '1.2/4', '1.3/4', '1.4/4', '2.1/4']);
    // the epoch loss is the row-weighted mean of its batch losses
    for (let e = 1; e <= 4; e++) {
      const ls = batches.filter((b) => b.epoch === e).map((b) => b.loss);
      const mean = (ls[0]! * 32 + ls[1]! * 32 + ls[2]! * 32 + ls[3]! * 4) / 100;
      expect(Math.abs(h.loss[e - 1]! - mean)).toBeLessThan(1e-12);
    }
    model.dispose();
  });

  it('shuffle: false is exactly trainBatch over consecutive batches', async () => {
    const { x, y } = blobs(50, 3);
    const a = classifier(7), b = classifier(7);
    const fitSgd = new SGD({ learningRate: 0.2, momentum: 0.9 });
    await a.fit(x, y, { epochs: 2, batchSize: 16, shuffle: false, optimizer: fitSgd });
    const sgd = new SGD({ learningRate: 0.2, momentum: 0.9 });
    for (let e = 0; e < 2; e++) {
      for (let s = 0; s < 50; s += 16) {
        const n = Math.min(16, 50 - s);
        b.trainBatch(x.subarray(s * 6, (s + n) * 6), y.subarray(s, s + n), sgd);
      }
    }
    a.getWeights().forEach((w, i) => expect(sameBits(w.values, b.getWeights()[i]!.values)).toBe(true));
    a.parameters().forEach((p, i) => expect(sameBits(fitSgd.state(p).velocity, sgd.state(b.parameters()[i]!).velocity)).toBe(true));
    a.dispose(); b.dispose();
  });

  it('dataInWasm: false (batches copied in from JS memory, for data too large to hold twice) trains to the same bits', async () => {
    const { x, y } = blobs(70, 3);
    const run = async (dataInWasm: boolean) => {
      const m = classifier(5);
      const h = await m.fit(x, y, { epochs: 3, batchSize: 16, dataInWasm, optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }) });
      const w = m.getWeights().map((t) => t.values);
      m.dispose();
      return { w, loss: h.loss };
    };
    const a = await run(true), b = await run(false);
    expect(b.loss).toEqual(a.loss);
    a.w.forEach((w, i) => expect(sameBits(w, b.w[i]!)).toBe(true));
    // float targets, several per row
    const k = await kernelsUnderTest();
    const targets = seeded(70 * 2, 9);
    const fitRegression = async (dataInWasm: boolean) => {
      const m = k.sequential({ inputSize: 6, layers: [dense(5, 'tanh'), dense(2, 'linear')], seed: 4 });
      await m.fit(x, targets, { epochs: 2, batchSize: 8, dataInWasm, optimizer: new SGD({ learningRate: 0.05, momentum: 0.9 }) });
      const w = m.getWeights().map((t) => t.values);
      m.dispose();
      return w;
    };
    const [r1, r2] = [await fitRegression(true), await fitRegression(false)];
    r1.forEach((w, i) => expect(sameBits(w, r2[i]!)).toBe(true));
    const m = classifier(5);
    await expect(m.fit(x, y, { dataInWasm: 'no' as unknown as boolean })).rejects.toThrow(/options\.dataInWasm/);
    m.dispose();
  });

  it('seeded shuffling: the same seed gives identical weights, another seed or no shuffle differs', async () => {
    const { x, y } = blobs(64, 5);
    const train = async (opts: { seed?: number; shuffle?: boolean }) => {
      const m = classifier(3);
      await m.fit(x, y, { epochs: 2, batchSize: 8, optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }), ...opts });
      const w = m.getWeights().map((t) => t.values);
      m.dispose();
      return w;
    };
    const a = await train({ seed: 11 }), b = await train({ seed: 11 }), c = await train({ seed: 12 }), d = await train({ shuffle: false });
    const same = (p: Float32Array[], q: Float32Array[]) => p.every((w, i) => sameBits(w, q[i]!));
    expect(same(a, b)).toBe(true);
    expect(same(a, c)).toBe(false);
    expect(same(a, d)).toBe(false);
    // no seed: the model's seed, so it is reproducible too
    expect(same(await train({}), await train({}))).toBe(true);
    // shuffled rows really are a permutation: one epoch with batch = all rows equals no shuffle
    const full = async (shuffle: boolean) => {
      const m = k.sequential({ inputSize: 6, layers: [dense(3, 'softmax')], seed: 1 });
      await m.fit(x, y, { epochs: 1, batchSize: 64, shuffle, optimizer: new SGD({ learningRate: 0.1 }) });
      const w = m.getWeights().map((t) => t.values);
      m.dispose();
      return w;
    };
    const [s, u] = [await full(true), await full(false)];
    s.forEach((w, i) => expect(closeness(w, u[i]!, 1e-6, 1e-5)).toBeLessThanOrEqual(1));
  });

  it('shuffling visits every row once per epoch, in a new order each epoch', async () => {
    // with learning rate 0 and batches of one row, each batch loss identifies the row it came from
    const rows = 24;
    const { x, y } = blobs(rows, 13);
    const model = classifier(4);
    const rowLoss = Array.from({ length: rows }, (_, r) => model.evaluate(x.subarray(r * 6, (r + 1) * 6), y.subarray(r, r + 1)).loss);
    expect(new Set(rowLoss).size).toBe(rows); // distinct, so the mapping back is unambiguous
    const orders = async (opts: { seed?: number; shuffle?: boolean }) => {
      const seen: number[][] = [[], [], []];
      await model.fit(x, y, {
        epochs: 3, batchSize: 1, optimizer: new SGD({ learningRate: 0 }), ...opts,
        onBatchEnd: (b) => { seen[b.epoch - 1]!.push(rowLoss.indexOf(b.loss)); },
      });
      return seen;
    };
    const identity = Array.from({ length: rows }, (_, i) => i);
    const a = await orders({ seed: 5 });
    for (const epoch of a) expect([...epoch].sort((p, q) => p - q)).toEqual(identity); // a permutation
    expect(a[0]).not.toEqual(identity);
    expect(a[1]).not.toEqual(a[0]);
    expect(a[2]).not.toEqual(a[1]);
    expect(await orders({ seed: 5 })).toEqual(a);
    expect(await orders({ shuffle: false })).toEqual([identity, identity, identity]);
    model.dispose();
  });

  it('an AbortSignal stops after the current batch; aborted before the start, nothing runs', async () => {
    const { x, y } = blobs(100, 6);
    const model = classifier(2), twin = classifier(2);
    const ctrl = new AbortController();
    let calls = 0;
    const h = await model.fit(x, y, {
      epochs: 5, batchSize: 10, shuffle: false, optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }), signal: ctrl.signal,
      onBatchEnd: () => { if (++calls === 3) ctrl.abort(); },
    });
    expect(h.stopped).toBe('aborted');
    expect(calls).toBe(3);
    expect(h.epochs).toBeLessThanOrEqual(1);
    // exactly three steps were taken
    const sgd = new SGD({ learningRate: 0.1, momentum: 0.9 });
    for (let b = 0; b < 3; b++) twin.trainBatch(x.subarray(b * 60, (b + 1) * 60), y.subarray(b * 10, (b + 1) * 10), sgd);
    model.getWeights().forEach((w, i) => expect(sameBits(w.values, twin.getWeights()[i]!.values)).toBe(true));

    const before = model.getWeights().map((w) => w.values);
    const done = new AbortController();
    done.abort();
    const h2 = await model.fit(x, y, { epochs: 3, signal: done.signal, onBatchEnd: () => { throw new Error('no batch may run'); } });
    expect(h2.stopped).toBe('aborted');
    expect(h2.epochs).toBe(0);
    model.getWeights().forEach((w, i) => expect(sameBits(w.values, before[i]!)).toBe(true));
    model.dispose(); twin.dispose();
  });
});

describe('divergence', () => {
  // a regression that a learning rate of 1e6 with momentum 0.99 blows up within a few steps
  const x = seeded(8 * 4, 1, 2), t = seeded(8 * 2, 2, 3);
  const regression = () => k.sequential({ inputSize: 4, layers: [dense(5, 'tanh'), dense(2, 'linear')], loss: 'mse', seed: 1 });
  const huge = () => new SGD({ learningRate: 1e6, momentum: 0.99 });

  it('trainBatch throws TrainingDivergedError naming the step, learning rate and momentum; weights from before the step', () => {
    const model = regression();
    const sgd = huge();
    let err: unknown, last: Float32Array[] = [], steps = 0;
    for (; steps < 100; steps++) {
      last = model.getWeights().map((w) => w.values);
      try { model.trainBatch(x, t, sgd); } catch (e) { err = e; break; }
    }
    expect(err).toBeInstanceOf(TrainingDivergedError);
    const e = err as TrainingDivergedError;
    expect(e.step).toBe(steps + 1);
    expect(e.epoch).toBe(0);
    expect(e.learningRate).toBe(1e6);
    expect(e.momentum).toBe(0.99);
    expect(e.message).toMatch(new RegExp(`step ${steps + 1}\\b`));
    expect(e.message).toMatch(/learning rate 1000000\b/);
    expect(e.message).toMatch(/momentum 0\.99\b/);
    expect(e.message).toMatch(/epoch 0\b/);
    model.getWeights().forEach((w, i) => {
      expect(sameBits(w.values, last[i]!), 'the failed step changed nothing').toBe(true);
      expect(w.values.every(Number.isFinite)).toBe(true);
    });
    model.dispose();
  });

  it("fit throws it with the epoch; with onDivergence: 'stop' it returns history.stopped 'diverged' and finite weights", async () => {
    const a = regression();
    const err = await a.fit(x, t, { epochs: 50, batchSize: 2, optimizer: huge() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingDivergedError);
    const e = err as TrainingDivergedError;
    expect(e.epoch).toBeGreaterThanOrEqual(1);
    expect(e.message).toMatch(new RegExp(`epoch ${e.epoch}, step ${e.step}\\b`));
    expect(e.message).toMatch(/learning rate 1000000, momentum 0\.99/);

    const b = regression();
    const stopped = huge();
    const h = await b.fit(x, t, { epochs: 50, batchSize: 2, optimizer: stopped, onDivergence: 'stop' });
    expect(h.stopped).toBe('diverged');
    expect(h.diverged).toMatchObject({ epoch: e.epoch, step: e.step });
    expect(h.diverged!.message).toBe(e.message);
    expect(h.epochs).toBeLessThan(50);
    for (const w of b.getWeights()) expect(w.values.every(Number.isFinite), w.name).toBe(true);
    for (const p of b.parameters()) expect(stopped.hasState(p) && stopped.state(p).velocity.every(Number.isFinite), p.name).toBe(true);
    a.dispose(); b.dispose();
  });

  it('an update that would overflow (finite loss and gradient, lr 3e38) is caught before it lands', () => {
    // the loss and the gradient of the first step are finite; only w - lr·g overflows to ±Infinity
    for (const momentum of [0, 0.5]) {
      const model = regression();
      const before = model.getWeights().map((w) => w.values);
      let err: unknown;
      const sgd = new SGD({ learningRate: 3e38, momentum });
      try { model.trainBatch(x, t, sgd); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(TrainingDivergedError);
      expect((err as TrainingDivergedError).step).toBe(1);
      expect(sgd.iterations).toBe(0);
      model.getWeights().forEach((w, i) => expect(sameBits(w.values, before[i]!), w.name).toBe(true));
      // the velocity is still zero (momentum 0 keeps none at all)
      for (const p of model.parameters()) {
        if (momentum === 0) expect(sgd.hasState(p), p.name).toBe(false);
        expect(sgd.state(p).velocity.every((v) => v === 0), p.name).toBe(true);
      }
      model.dispose();
    }
  });
});

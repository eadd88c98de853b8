// Threads: loadKernels({ threads }) runs every large enough GEMM on a pool of workers sharing one
// wasm memory, and the promise is that nothing depends on how many: weights after any number of
// steps are bitwise identical for threads = 1 (the plain, unshared build), 2, 3 and 8 (this
// machine has 2 cores), for an MLP and a CNN with every layer type, SGD, Nesterov and Adam, on the
// build under test. Also: how a product is split, what features say, and the pool's lifecycle
// (dispose, a dead worker, 1,000 models, a process that trains and exits on its own).
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import {
  loadKernels, dense, conv2d, maxPool2d, avgPool2d, flatten, dropout, batchNorm, normalization, SGD, Adam, InvalidArgumentError, TrainingDivergedError,
  type Kernels, type LayerSpec, type Optimizer, type SequentialConfig,
} from '../src/index.js';
import { splitGemm, GEMM_MIN_MACS_PER_THREAD } from '../src/runtime/parallel-gemm.js';
import { kernelNames } from '../src/runtime/dispatch.js';
import { splitsDepth } from '../src/runtime/split-depth.js';
import { SIMD, seeded } from './helpers.js';
import { sameBits } from './model-helpers.js';

const THREADS = [1, 2, 3, 8] as const;
const instances = new Map<number, Kernels>();
async function kernels(threads: number): Promise<Kernels> {
  if (!instances.has(threads)) instances.set(threads, await loadKernels({ simd: SIMD, threads }));
  return instances.get(threads)!;
}
afterAll(() => { for (const k of instances.values()) k.dispose(); });

describe('splitGemm: whole microkernel tiles, each output element in exactly one part', () => {
  it('parts tile C exactly, along the rows when B is the smaller operand and along the columns otherwise', () => {
    for (const [M, N, K] of [[784, 128, 64], [64, 128, 784], [1024, 1024, 1024], [97, 333, 301], [5, 4000, 600]] as const) {
      for (const t of [2, 3, 8]) {
        const parts = splitGemm(t, M, N, K, 4, 8);
        expect(parts.length).toBeGreaterThan(1);
        expect(parts.length).toBeLessThanOrEqual(t);
        const seen = new Uint8Array(M * N);
        for (const p of parts) {
          for (let i = p.m0; i < p.m1; i++) for (let j = p.n0; j < p.n1; j++) seen[i * N + j]!++;
          if (p.m1 - p.m0 < M) expect([p.m0 % 4, p.m1 === M ? 0 : p.m1 % 4]).toEqual([0, 0]);
          if (p.n1 - p.n0 < N) expect([p.n0 % 8, p.n1 === N ? 0 : p.n1 % 8]).toEqual([0, 0]);
        }
        expect(seen.every((v) => v === 1), `${M}x${N}x${K} on ${t}`).toBe(true);
        expect(parts.every((p) => p.m1 - p.m0 === M) || parts.every((p) => p.n1 - p.n0 === N)).toBe(true);
        expect(parts[0]!.m1 - parts[0]!.m0 === M).toBe(K * N > M * K); // columns when A is the smaller
      }
    }
  });

  it(`a product under ${GEMM_MIN_MACS_PER_THREAD * 2} multiply-adds stays whole, and so does one too narrow to share`, () => {
    expect(splitGemm(8, 16, 32, 64, 4, 8)).toEqual([{ m0: 0, m1: 16, n0: 0, n1: 32 }]);
    expect(splitGemm(8, 4, 8, 1 << 20, 4, 8)).toEqual([{ m0: 0, m1: 4, n0: 0, n1: 8 }]);
    expect(splitGemm(1, 1024, 1024, 1024, 4, 8)).toHaveLength(1);
  });
});

describe('loadKernels({ threads })', () => {
  it("features.threads says how many run; 'auto' is every available core in Node", async () => {
    for (const t of THREADS) expect((await kernels(t)).features).toMatchObject({ threads: t, threadsReason: null });
    const auto = await loadKernels({ simd: SIMD });
    expect(auto.features.threads).toBe(availableParallelism());
    auto.dispose();
  });

  it('bad values are refused, naming options.threads', async () => {
    for (const bad of [0, -1, 1.5, 65, 'all', '2']) {
      await expect(loadKernels({ threads: bad as never })).rejects.toThrow(InvalidArgumentError);
      await expect(loadKernels({ threads: bad as never })).rejects.toThrow(/options\.threads/);
    }
  });
});

/** a model trained `steps` batches on every thread count: its weights, optimizer state and losses */
async function trainEverywhere(config: SequentialConfig, optimizer: () => Optimizer, x: Float32Array, y: Int32Array, batch: number, steps: number) {
  const out: Array<{ weights: Float32Array[]; state: Float32Array[]; losses: number[] }> = [];
  for (const t of THREADS) {
    const k = await kernels(t);
    const model = k.sequential(config);
    const opt = optimizer();
    const losses: number[] = [];
    const rows = y.length, f = x.length / rows;
    for (let s = 0; s < steps; s++) {
      const r0 = (s * batch) % (rows - batch + 1);
      losses.push(model.trainBatch(x.subarray(r0 * f, (r0 + batch) * f), y.subarray(r0, r0 + batch), opt));
    }
    const h = await model.fit(x, y, { epochs: 1, batchSize: batch, optimizer: opt });
    losses.push(...h.loss);
    out.push({
      weights: model.getWeights().map((w) => w.values),
      state: model.parameters().flatMap((p) => Object.values(opt.state(p)).map((v) => (v as Float32Array).slice())),
      losses,
    });
    model.dispose();
    opt.dispose();
  }
  return out;
}

function expectSameBits(runs: Awaited<ReturnType<typeof trainEverywhere>>): void {
  for (let i = 1; i < runs.length; i++) {
    expect(runs[i]!.losses, `losses with ${THREADS[i]} threads`).toEqual(runs[0]!.losses);
    runs[i]!.weights.forEach((w, j) => expect(sameBits(w, runs[0]!.weights[j]!), `weight ${j} with ${THREADS[i]} threads`).toBe(true));
    runs[i]!.state.forEach((s, j) => expect(sameBits(s, runs[0]!.state[j]!), `state ${j} with ${THREADS[i]} threads`).toBe(true));
  }
}

describe('bitwise identical weights for threads = 1, 2, 3 and 8', () => {
  const rows = 192;
  const mlpX = seeded(rows * 400, 5), mlpY = Int32Array.from({ length: rows }, (_, i) => (i * 7) % 10);
  const mlp: SequentialConfig = { inputSize: 400, layers: [dense(256, 'relu'), dense(128, 'tanh'), dense(10, 'softmax')], seed: 11 };
  const optimizers: Array<[string, () => Optimizer]> = [
    ['SGD momentum', () => new SGD({ learningRate: 0.05, momentum: 0.9 })],
    ['Nesterov', () => new SGD({ learningRate: 0.05, momentum: 0.9, nesterov: true })],
    ['Adam, clipNorm', () => new Adam({ learningRate: 0.001, clipNorm: 1 })],
  ];
  for (const [name, opt] of optimizers) {
    it(`MLP 400-256-128-10, batch 64, ${name}: 4 steps and a fit epoch`, async () => {
      // the first layer's products are 64x256x400 (6.5M multiply-adds): split on every count but 1
      expect(splitGemm(2, 64, 256, 400, 4, 8).length).toBe(2);
      expectSameBits(await trainEverywhere(mlp, opt, mlpX, mlpY, 64, 4));
    });
  }

  it('MLP 784-128-10 and 600-40(tanh, no bias)-10, batch 64 (the first forward product cut in depth, split-depth.ts), SGD momentum and Adam', async () => {
    const x = seeded(rows * 784, 13);
    const w1: SequentialConfig = { inputSize: 784, layers: [dense(128, 'relu'), dense(10, 'softmax')], seed: 3 };
    const other: SequentialConfig = { inputSize: 600, layers: [dense(40, 'tanh', { bias: false }), dense(10, 'softmax')], seed: 4 };
    expect(splitsDepth(784) && splitsDepth(600)).toBe(true);
    expectSameBits(await trainEverywhere(w1, () => new SGD({ learningRate: 0.05, momentum: 0.9 }), x, mlpY, 64, 3));
    expectSameBits(await trainEverywhere(other, () => new Adam({ learningRate: 0.001 }), x.subarray(0, rows * 600), mlpY, 64, 3));
  });

  it('CNN with every layer type (both paddings, stride 2, both pools, batch norm, dropout), SGD momentum', async () => {
    const layers: LayerSpec[] = [
      conv2d(24, 3, 'relu', { padding: 'same' }), batchNorm(), maxPool2d(2),
      conv2d(32, 3, 'relu', { stride: 2 }), avgPool2d(2), flatten(), dropout(0.25), dense(40, 'relu'), dense(10, 'softmax'),
    ];
    const n = 96;
    const x = seeded(n * 24 * 24 * 3, 8), y = Int32Array.from({ length: n }, (_, i) => i % 10);
    expectSameBits(await trainEverywhere({ inputShape: [24, 24, 3], layers, seed: 5 }, () => new SGD({ learningRate: 0.02, momentum: 0.9 }), x, y, 32, 3));
  });

  it('memory that grows while the pool runs (a large model made after the workers started): still the same bits', async () => {
    const big: SequentialConfig = { inputSize: 400, layers: [dense(12288, 'relu'), dense(10, 'softmax')], seed: 2 };
    const x = mlpX.subarray(0, 64 * 400), y = mlpY.subarray(0, 64);
    const results: Float32Array[][] = [];
    for (const t of [1, 3]) {
      const k = await kernels(t);
      const grows = k.arena.grows;
      const m = k.sequential(big);
      const opt = new SGD({ learningRate: 0.01, momentum: 0.9 });
      m.trainBatch(x, y, opt); // the velocities and the workspace come now
      expect(k.arena.grows).toBeGreaterThan(grows);
      for (let s = 0; s < 2; s++) m.trainBatch(x, y, opt);
      results.push(m.getWeights().map((w) => w.values));
      m.dispose();
      opt.dispose();
    }
    results[1]!.forEach((w, i) => expect(sameBits(w, results[0]![i]!)).toBe(true));
  });
});

describe('every kernel split, however small (splitAll): still the same bits for threads = 1, 2, 3 and 8', () => {
  /** the kernels the pool's workers ran parts of while `f` ran, on every threaded instance */
  async function splitting<T>(f: () => Promise<T>): Promise<{ result: T; ran: Set<string> }> {
    const ran = new Set<string>();
    const restore: Array<() => void> = [];
    for (const t of THREADS.slice(1)) {
      const k = await kernels(t), pool = k.threadPool!;
      // the dispatcher's list: the module's functions, in export order
      const names = kernelNames(k.exports);
      const run = pool.run.bind(pool);
      pool.run = (workers, own) => { if (workers > 0) ran.add(names[pool.job(0)[0]!]!); run(workers, own); };
      k.splitAll = true;
      restore.push(() => { k.splitAll = false; pool.run = run; });
    }
    try {
      return { result: await f(), ran };
    } finally {
      for (const r of restore) r();
    }
  }

  it('MLP with tanh, sigmoid, relu, dropout and normalization; SGD (both conventions), Nesterov, Adam with clipNorm', async () => {
    const rows = 96, x = seeded(rows * 30, 12), y = Int32Array.from({ length: rows }, (_, i) => i % 5);
    const config: SequentialConfig = {
      inputSize: 30, layers: [normalization(), dense(24, 'tanh'), dropout(0.3), dense(17, 'sigmoid'), dense(13, 'relu'), dense(5, 'softmax')], seed: 4,
    };
    for (const opt of [
      () => new SGD({ learningRate: 0.05, momentum: 0.9 }),
      () => new SGD({ learningRate: 0.05, momentum: 0.9, convention: 'pytorch', weightDecay: 1e-3 }),
      () => new SGD({ learningRate: 0.05, momentum: 0.9, nesterov: true }),
      () => new Adam({ learningRate: 0.01, clipNorm: 0.5 }),
    ]) {
      const { result, ran } = await splitting(() => trainEverywhere(config, opt, x, y, 32, 3));
      expectSameBits(result);
      for (const kernel of ['gemm', 'batchnorm_forward', 'dropout_forward', 'multiply_f32', 'tanh_backward', 'sigmoid_backward', 'relu_backward', 'column_sums', 'gather_rows', 'all_finite']) {
        expect(ran, kernel).toContain(kernel);
      }
      expect([...ran].some((n) => ['sgd_seed', 'sgd_torch', 'adam'].includes(n))).toBe(true);
    }
  });

  it('a deep MLP (520 inputs: the first forward product cut in depth, its halves split again on 3 and 8 threads), relu and linear', async () => {
    const n = 40, x = seeded(n * 520, 22), y = Int32Array.from({ length: n }, (_, i) => i % 5);
    for (const act of ['relu', 'linear'] as const) {
      const config: SequentialConfig = { inputSize: 520, layers: [dense(30, act), dense(5, 'softmax')], seed: 5 };
      const { result, ran } = await splitting(() => trainEverywhere(config, () => new SGD({ learningRate: 0.05, momentum: 0.9 }), x, y, 20, 2));
      expectSameBits(result);
      for (const kernel of ['gemm', 'add_f32']) expect(ran, `${act}: ${kernel}`).toContain(kernel);
    }
  });

  it('LeNet-like CNN on one channel (the direct kernels), max pooling, then a 3-channel CNN with every layer type', async () => {
    const n = 40, x1 = seeded(n * 16 * 16, 21), y = Int32Array.from({ length: n }, (_, i) => i % 10);
    const lenet: SequentialConfig = {
      inputShape: [16, 16, 1], seed: 3,
      layers: [conv2d(6, 5, 'relu'), maxPool2d(2), conv2d(8, 3, 'relu'), maxPool2d(2), flatten(), dense(20, 'relu'), dense(10, 'softmax')],
    };
    const one = await splitting(() => trainEverywhere(lenet, () => new SGD({ learningRate: 0.02, momentum: 0.9 }), x1, y, 20, 2));
    expectSameBits(one.result);
    for (const kernel of ['conv_c1_forward', 'conv_c1_filter_grad', 'max_pool_forward', 'max_pool_backward', 'max_abs_bits']) {
      expect(one.ran, kernel).toContain(kernel);
    }
    const layers: LayerSpec[] = [
      conv2d(8, 3, 'relu', { padding: 'same' }), batchNorm(), maxPool2d(2),
      conv2d(12, 3, 'tanh', { stride: 2 }), avgPool2d(2), flatten(), dropout(0.25), dense(10, 'softmax'),
    ];
    const x3 = seeded(n * 12 * 12 * 3, 22);
    const three = await splitting(() => trainEverywhere({ inputShape: [12, 12, 3], layers, seed: 6 }, () => new Adam({ learningRate: 0.01 }), x3, y, 20, 2));
    expectSameBits(three.result);
    // the first convolution: 20 images in blocks of 16, so two blocks and two filter-gradient groups
    for (const kernel of ['avg_pool_forward', 'avg_pool_backward', 'batchnorm_forward', 'conv_blocks_forward', 'conv_blocks_backward', 'conv_filter_grad_sum']) {
      expect(three.ran, kernel).toContain(kernel);
    }
  });

  it('convolutions of every plan: 1x1 blocks, an image larger than a block (kernel by kernel), filter-gradient groups of two blocks', async () => {
    // 32x32x2 → a 1x1 conv (x is the column matrix; 8 images a block) → a 3x3 conv over 8
    // channels: 1,024 positions an image, more than a 72-deep block holds, so im2col, the
    // products, col2im and the transpose each split on their own
    const n = 24, y = Int32Array.from({ length: n }, (_, i) => i % 10);
    const big: SequentialConfig = {
      inputShape: [32, 32, 2], seed: 8,
      layers: [conv2d(8, 1, 'relu'), conv2d(4, 3, 'tanh', { padding: 'same' }), maxPool2d(4), flatten(), dense(10, 'softmax')],
    };
    const a = await splitting(() => trainEverywhere(big, () => new SGD({ learningRate: 0.02, momentum: 0.9 }), seeded(n * 32 * 32 * 2, 31), y, 12, 2));
    expectSameBits(a.result);
    for (const kernel of ['im2col', 'col2im_add', 'transpose_bias_relu', 'zero_f32', 'conv_blocks_forward', 'conv_blocks_backward']) expect(a.ran, kernel).toContain(kernel);
    // 5x5x4 → 1x1 to 32 channels → 3x3 over them: 288 deep, blocks of 25 images, two blocks a
    // group; 60 images make groups of 50 and 10, the input gradient flowing back through both
    const m = 60, ym = Int32Array.from({ length: m }, (_, i) => i % 10);
    const deep: SequentialConfig = {
      inputShape: [5, 5, 4], seed: 9,
      layers: [conv2d(32, 1, 'tanh'), conv2d(3, 3, 'relu'), flatten(), dense(10, 'softmax')],
    };
    const b = await splitting(() => trainEverywhere(deep, () => new Adam({ learningRate: 0.01 }), seeded(m * 5 * 5 * 4, 32), ym, m, 2));
    expectSameBits(b.result);
    for (const kernel of ['conv_blocks_forward', 'conv_blocks_backward', 'conv_filter_grad_sum']) expect(b.ran, kernel).toContain(kernel);
  });

  it("a small last parameter's checked commit is never split: a non-finite element where a second part would start changes nothing", async () => {
    await splitting(async () => {
      for (const t of THREADS.slice(1)) {
        const k = await kernels(t);
        for (const opt of [new SGD({ learningRate: 0.1, momentum: 0.9 }), new SGD({ learningRate: 0.1, convention: 'pytorch', momentum: 0.9 }), new Adam({ learningRate: 0.1 })]) {
          // 300 (the scan), then 11: split, its parts would be [0, 4) and [4, 11)
          const ps = [k.parameter(seeded(300, 1)), k.parameter(seeded(11, 2))];
          ps.forEach((p, i) => p.grad.set(seeded(p.size, i + 3)));
          opt.step(ps);
          ps.forEach((p, i) => p.grad.set(seeded(p.size, i + 5)));
          ps[1]!.grad[6] = NaN;
          const before = ps.map((p) => [p.values.slice(), ...(opt.peekState(p) ?? [])]);
          expect(() => opt.step(ps), `${t} threads`).toThrow(TrainingDivergedError);
          ps.forEach((p, i) => [p.values, ...(opt.peekState(p) ?? [])].forEach((a, j) => expect(sameBits(a, before[i]![j]!), `${t} threads, parameter ${i}, tensor ${j}`).toBe(true)));
          ps.forEach((p) => p.dispose());
        }
      }
    });
  });
});

describe('the pool: lifecycle', () => {
  it('1,000 models made and disposed on a threaded instance leave its memory and its workers as they were', async () => {
    const k = await kernels(3);
    const m0 = k.sequential({ inputSize: 64, layers: [dense(64, 'relu'), dense(4, 'softmax')] });
    m0.dispose();
    const inUse = k.arena.bytesInUse, bytes = k.arena.byteLength, workers = k.threadPool!.size;
    const x = seeded(8 * 64, 1), y = Int32Array.from({ length: 8 }, (_, i) => i % 4);
    for (let i = 0; i < 1000; i++) {
      const m = k.sequential({ inputSize: 64, layers: [dense(64, 'relu'), dense(4, 'softmax')], seed: i });
      if (i % 100 === 0) m.trainBatch(x, y, new SGD({ learningRate: 0.1 }));
      m.dispose();
    }
    expect([k.arena.bytesInUse, k.arena.byteLength, k.threadPool!.size]).toEqual([inUse, bytes, workers]);
  });

  it('dispose() ends the workers; the models go on, on this thread alone, with the same bits', async () => {
    const k = await loadKernels({ simd: SIMD, threads: 2 });
    const x = seeded(64 * 400, 3), y = Int32Array.from({ length: 64 }, (_, i) => i % 10);
    const m = k.sequential({ inputSize: 400, layers: [dense(256, 'relu'), dense(10, 'softmax')], seed: 9 });
    const ref = (await kernels(1)).sequential({ inputSize: 400, layers: [dense(256, 'relu'), dense(10, 'softmax')], seed: 9 });
    const o1 = new SGD({ learningRate: 0.05, momentum: 0.9 }), o2 = new SGD({ learningRate: 0.05, momentum: 0.9 });
    m.trainBatch(x, y, o1); ref.trainBatch(x, y, o2);
    k.dispose();
    expect(k.threadPool).toBeNull();
    m.trainBatch(x, y, o1); ref.trainBatch(x, y, o2);
    m.getWeights().forEach((w, i) => expect(sameBits(w.values, ref.getWeights()[i]!.values)).toBe(true));
    k.dispose(); // twice is fine
    m.dispose(); ref.dispose();
  });

  it('a worker that finishes just as the caller stops spinning is never slept through (40,000 parts around the caller\'s spin)', async () => {
    // run() spins, then sleeps on the worker's DONE word until notified; a sleep on a value the
    // worker had already replaced (and notified) would last the whole 1 s wait
    const k = await kernels(2), pool = k.threadPool!;
    // a stress test: the race's window is a few nanoseconds, and the old code was caught in about half
    // the runs of this test; a spin of about 50 µs puts parts of 2 to 60 µs on both sides of it
    pool.spin = 4000;
    const names = kernelNames(k.exports);
    const x = k.arena.alloc(1 << 20, true), job = pool.job(0);
    let worst = 0;
    for (let i = 0; i < 40000; i++) {
      job[0] = names.indexOf('max_abs_bits'); job[1] = 2; job[2] = x; job[3] = 16384 * (1 + (i % 16));
      const t0 = performance.now();
      pool.run(1, () => {});
      worst = Math.max(worst, performance.now() - t0);
    }
    k.arena.release(x);
    pool.spin = 100_000;
    expect(worst).toBeLessThan(900);
  });

  it('a worker that dies turns into a clear error on the next call, not a hang', async () => {
    const k = await loadKernels({ simd: SIMD, threads: 2 });
    const m = k.sequential({ inputSize: 400, layers: [dense(256, 'relu'), dense(10, 'softmax')], seed: 1 });
    const x = seeded(64 * 400, 3), y = Int32Array.from({ length: 64 }, (_, i) => i % 10);
    const opt = new SGD({ learningRate: 0.05 });
    m.trainBatch(x, y, opt);
    k.threadPool!.killForTest(0);
    await new Promise((r) => setTimeout(r, 200)); // the exit event
    expect(() => m.trainBatch(x, y, opt)).toThrow(/the worker pool cannot run: thread 1 of the pool ended/);
    k.dispose();
  });

  it('a script that trains on a threaded instance and returns exits on its own (an idle pool keeps no process alive)', () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const script = `
      import { loadKernels, dense, SGD } from ${JSON.stringify(join(root, 'src', 'index.ts'))};
      const k = await loadKernels({ simd: 'plain', threads: 3 });
      const m = k.sequential({ inputSize: 400, layers: [dense(256, 'relu'), dense(10, 'softmax')] });
      const x = new Float32Array(64 * 400).fill(0.5), y = new Int32Array(64);
      m.trainBatch(x, y, new SGD({ learningRate: 0.01 }));
      console.log('trained on', k.features.threads, 'threads');`;
    const t0 = Date.now();
    const r = spawnSync(join(root, 'node_modules', '.bin', 'tsx'), ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('trained on 3 threads');
    expect(r.status).toBe(0);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });
});

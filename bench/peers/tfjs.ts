// TensorFlow.js peer measurements: runs the same workloads as our bench so it can print ratios.
// TF.js is an optional peer (devDependencies only): every import is dynamic, and loadTfjs
// reports { skipped } instead of throwing when the packages are missing.
import { createRequire, register } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

export type TfBackend = 'wasm' | 'cpu';
export interface TfPeer { backend: TfBackend; version: string; tf: any }

const CORE = '@tensorflow/tfjs-core';
const BACKEND_PKG: Record<TfBackend, string> = {
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

// Specifiers go through a variable so tsc does not need the packages' types to compile this file.
// Returns the module, or why it could not be loaded.
async function importOptional(spec: string): Promise<{ mod: any } | { error: string }> {
  try {
    const mod: any = await import(spec);
    // Node exposes CJS packages both as named exports and as `default`; prefer whichever is populated.
    return { mod: mod && Object.keys(mod).length > 1 ? mod : (mod?.default ?? mod) };
  } catch (e) {
    const code = (e as { code?: string }).code;
    return { error: code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
      ? `${spec} is not installed` : `${spec} failed to load: ${(e as Error).message}` };
  }
}

// setWasmPaths throws once the wasm backend is initialised, so it must run exactly once per process.
let wasmPathsSet = false;

// tfjs-core's Node bundle ships no gradients (the @tensorflow/tfjs meta-package bundles them in);
// they live only in dist/register_all_gradients.js, an ES module tree written for bundlers, with
// extensionless and directory imports that Node's resolver rejects. This hook retries just those
// failed relative imports from tfjs-core/dist with '.js' and '/index.js'. The ESM copy of the ops it
// loads shares the CJS copy's engine and registries (tfjs keeps them on globalThis), so the
// gradients land where tf.train optimizers look, and TF.js runs its own backward pass.
const RESOLVE_HOOK = `
export async function resolve(spec, ctx, next) {
  try { return await next(spec, ctx); } catch (e) {
    if (!spec.startsWith('.') || !ctx.parentURL?.includes('/@tensorflow/tfjs-core/dist/')) throw e;
    try { return await next(spec + '.js', ctx); } catch { return await next(spec + '/index.js', ctx); }
  }
}`;

async function ensureGradients(tf: any): Promise<string | null> {
  if (tf.getGradient('BatchMatMul')) return null; // already registered (e.g. by @tensorflow/tfjs)
  try {
    if (typeof register !== 'function') return 'node:module register() is unavailable (Node >= 20.6 needed)';
    register('data:text/javascript,' + encodeURIComponent(RESOLVE_HOOK), import.meta.url);
    await import(`${CORE}/dist/register_all_gradients.js`); // about 2 s: several hundred small modules
  } catch (e) {
    return `cannot load TF.js gradients: ${(e as Error).message}`;
  }
  return tf.getGradient('BatchMatMul') ? null : 'TF.js gradients did not register';
}

export async function loadTfjs(backend: TfBackend): Promise<TfPeer | { skipped: string }> {
  const core = await importOptional(CORE);
  if ('error' in core) return { skipped: core.error };
  const tf = core.mod;
  // tfjs-core is a process-wide singleton: importing a backend package registers it there, and
  // several backends can coexist; we switch between them with setBackend (see useBackend).
  const pkg = await importOptional(BACKEND_PKG[backend]);
  if ('error' in pkg) return { skipped: pkg.error };
  const gradError = await ensureGradients(tf);
  if (gradError) return { skipped: gradError };
  try {
    if (backend === 'wasm' && !wasmPathsSet) {
      // In Node the emscripten loader reads the .wasm files with fs, so it needs a file path
      // to dist/ with a trailing slash.
      const require = createRequire(import.meta.url);
      const dist = path.dirname(require.resolve(BACKEND_PKG.wasm)) + path.sep;
      pkg.mod.setWasmPaths(dist);
      wasmPathsSet = true;
    }
    if (!(await tf.setBackend(backend))) return { skipped: `TF.js backend '${backend}' failed to initialise` };
    await tf.ready();
    // The cpu backend prints a one-off "install tfjs-node" banner on first use; it is noise here.
    const cpu = backend === 'cpu' ? tf.findBackend('cpu') : null;
    if (cpu) cpu.firstUse = false;
  } catch (e) {
    return { skipped: `TF.js backend '${backend}': ${(e as Error).message}` };
  }
  return { backend, version: String(tf.version_core ?? tf.version?.['tfjs-core'] ?? 'unknown'), tf };
}

/** Makes the peer's backend the active one (another peer may have switched the singleton since). */
export async function useBackend(peer: TfPeer): Promise<void> {
  if (peer.tf.getBackend() !== peer.backend) {
    await peer.tf.setBackend(peer.backend);
    await peer.tf.ready();
  }
}

// ---------- timing ----------

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

interface TimeOpts {
  steps?: number;     // fixed steps per rep; otherwise chosen so a rep lasts >= minRepMs
  reps?: number;      // fixed reps; otherwise `defaultReps`, reduced so the total stays near budgetMs
  minSteps?: number;
  minRepMs?: number;
  defaultReps?: number;
  budgetMs?: number;
  warmup?: number;     // max warm-up steps; warm-up also stops after ~minRepMs (slow workloads)
}

/** Warms `step` up, sizes the reps from the warm-up, and returns the median steps/second over the reps. */
function timeSteps(step: (i: number) => void, o: TimeOpts): number {
  const { minSteps = 1, minRepMs = 500, defaultReps = 5, budgetMs = 4000, warmup = 3 } = o;
  // The first step pays for kernel setup and allocation, so only the later warm-up steps size the reps.
  let i = 0;
  step(i++);
  const w0 = performance.now();
  while (i < Math.max(2, warmup) && (i < 2 || performance.now() - w0 < minRepMs)) step(i++);
  const perStep = Math.max((performance.now() - w0) / (i - 1), 1e-3);
  const steps = o.steps ?? Math.max(minSteps, Math.ceil(minRepMs / perStep));
  const reps = o.reps ?? Math.max(3, Math.min(defaultReps, Math.floor(budgetMs / (steps * perStep))));
  const rates: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (let s = 0; s < steps; s++) step(i++);
    rates.push(steps / ((performance.now() - t0) / 1000));
  }
  return median(rates);
}

// ---------- MLP ----------

interface Mlp { weights: any[]; biases: any[] }

// Glorot-uniform weights (limit sqrt(6/(fanIn+fanOut))) from a fixed seed per layer, zero biases.
function makeMlp(tf: any, sizes: number[], seed: number): Mlp {
  const weights: any[] = [];
  const biases: any[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [fi, fo] = [sizes[l]!, sizes[l + 1]!];
    const lim = Math.sqrt(6 / (fi + fo));
    // tidy: the variable shares its initial tensor's data, but that tensor would stay tracked (a leak).
    weights.push(tf.tidy(() => tf.variable(tf.randomUniform([fi, fo], -lim, lim, 'float32', seed + l))));
    biases.push(tf.tidy(() => tf.variable(tf.zeros([fo]))));
  }
  return { weights, biases };
}

/** Logits: relu on hidden layers, linear last layer (softmax lives in the loss). */
function forward(tf: any, net: Mlp, x: any): any {
  let h = x;
  const L = net.weights.length;
  for (let l = 0; l < L; l++) {
    h = tf.add(tf.matMul(h, net.weights[l]), net.biases[l]);
    if (l + 1 < L) h = tf.relu(h);
  }
  return h;
}

function disposeMlp(net: Mlp): void {
  for (const v of [...net.weights, ...net.biases]) v.dispose();
}

/** MomentumOptimizer.dispose() forgets the learning-rate scalar its SGD base keeps, so free it too. */
function disposeOptimizer(opt: any): void {
  opt.dispose();
  opt.c?.dispose();
}

function oneHot(labels: Uint8Array, classes: number): Float32Array {
  const y = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) y[i * classes + labels[i]!] = 1;
  return y;
}

/**
 * One SGD-momentum step on rows [start, start+rows): the batch is uploaded from JS each step, as
 * in real training, and the loss is read back so the backend has really finished the work.
 */
function trainStep(tf: any, net: Mlp, opt: any, x: Float32Array, y: Float32Array,
  start: number, rows: number, nIn: number, nOut: number): number {
  const loss = tf.tidy(() => {
    const xb = tf.tensor2d(x.subarray(start * nIn, (start + rows) * nIn), [rows, nIn]);
    const yb = tf.tensor2d(y.subarray(start * nOut, (start + rows) * nOut), [rows, nOut]);
    // softmaxCrossEntropy's default reduction is the batch mean.
    return opt.minimize(() => tf.losses.softmaxCrossEntropy(yb, forward(tf, net, xb)), true);
  });
  const v = loss.dataSync()[0];
  loss.dispose();
  return v;
}

/** A training loop that bench/ can time in turns with ours: one call of `step` is one training step. */
export interface Stepper {
  step(): void;
  /** samples per step (1 for the founding example, which counts steps) */
  perStep: number;
  dispose(): void;
}

/** SGD-momentum steps of a `sizes` MLP on consecutive batches (the backend must be active: see useBackend) */
export function tfjsMlpStepper(peer: TfPeer, sizes: number[], batch: number, x: Float32Array, labels: Uint8Array,
  opts: { lr?: number; momentum?: number } = {}): Stepper {
  const { tf } = peer;
  const nIn = sizes[0]!;
  const nOut = sizes[sizes.length - 1]!;
  const n = Math.floor(x.length / nIn);
  const batches = Math.floor(Math.min(n, labels.length) / batch);
  if (batches < 1) throw new Error(`tfjsMlpStepper: need at least ${batch} samples, got ${n}`);
  const y = oneHot(labels, nOut);
  const net = makeMlp(tf, sizes, 42);
  const opt = tf.train.momentum(opts.lr ?? 0.01, opts.momentum ?? 0.9);
  let i = 0;
  return {
    step: () => { trainStep(tf, net, opt, x, y, (i++ % batches) * batch, batch, nIn, nOut); },
    perStep: batch,
    dispose: () => { disposeOptimizer(opt); disposeMlp(net); },
  };
}

/** Median training throughput (samples/s) of a `sizes` MLP with SGD momentum on consecutive batches. */
export async function tfjsMlpSamplesPerSec(peer: TfPeer, sizes: number[], batch: number, x: Float32Array, labels: Uint8Array,
  opts: { lr?: number; momentum?: number; steps?: number; reps?: number } = {}): Promise<number> {
  await useBackend(peer);
  const s = tfjsMlpStepper(peer, sizes, batch, x, labels, opts);
  try {
    return timeSteps(() => s.step(), { steps: opts.steps, reps: opts.reps, minRepMs: 500, defaultReps: 5, warmup: 3 }) * batch;
  } finally {
    s.dispose();
  }
}

// ---------- founding example ----------

/** One weight, no bias, X=[1,2,3,4], y=2x, MSE, lr 0.01, momentum 0.9: full-batch steps. */
export function tfjsLinearStepper(peer: TfPeer): Stepper {
  const { tf } = peer;
  const xs = tf.tensor1d([1, 2, 3, 4]);
  const ys = tf.tensor1d([2, 4, 6, 8]);
  const w = tf.tidy(() => tf.variable(tf.scalar(0)));
  const opt = tf.train.momentum(0.01, 0.9);
  return {
    step: () => {
      const loss = opt.minimize(() => tf.losses.meanSquaredError(ys, tf.mul(w, xs)), true);
      loss.dataSync();
      loss.dispose();
    },
    perStep: 1,
    dispose: () => { disposeOptimizer(opt); for (const t of [xs, ys, w]) t.dispose(); },
  };
}

/** The founding example's median full-batch steps/s. */
export async function tfjsLinearStepsPerSec(peer: TfPeer, opts: { steps?: number; reps?: number } = {}): Promise<number> {
  await useBackend(peer);
  const s = tfjsLinearStepper(peer);
  try {
    // Reps of at least 200 steps (and ~0.25 s) so per-rep timer noise stays small.
    return timeSteps(() => s.step(), { steps: opts.steps, reps: opts.reps, minSteps: 200, minRepMs: 250, defaultReps: 7, warmup: 20 });
  } finally {
    s.dispose();
  }
}

// ---------- GEMM ----------

/** Median GFLOP/s of tf.matMul for 'nn' A·B, 'tn' Aᵀ·B (A stored k×m), 'nt' A·Bᵀ (B stored n×k). */
export async function tfjsGemmGflops(peer: TfPeer, m: number, k: number, n: number, product: 'nn' | 'tn' | 'nt',
  opts: { reps?: number } = {}): Promise<number> {
  await useBackend(peer);
  const { tf } = peer;
  const tA = product === 'tn';
  const tB = product === 'nt';
  const a = tf.randomUniform(tA ? [k, m] : [m, k], -1, 1, 'float32', 1);
  const b = tf.randomUniform(tB ? [n, k] : [k, n], -1, 1, 'float32', 2);
  const step = () => {
    const c = tf.matMul(a, b, tA, tB);
    c.dataSync(); // forces completion on async backends; a small copy next to 2mnk flops
    c.dispose();
  };
  try {
    const perSec = timeSteps(step, { reps: opts.reps, minRepMs: 250, defaultReps: 7, warmup: 3 });
    return (perSec * 2 * m * n * k) / 1e9;
  } finally {
    a.dispose();
    b.dispose();
  }
}

// ---------- MNIST accuracy ----------

/** mulberry32: tiny seeded PRNG so the shuffle order is reproducible. */
function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Trains a [784,128,10] MLP with SGD momentum on shuffled mini-batches and returns test accuracy in [0,1]. */
export async function tfjsMnistAccuracy(peer: TfPeer, xTrain: Float32Array, yTrain: Uint8Array, xTest: Float32Array, yTest: Uint8Array,
  opts: { epochs?: number; batchSize?: number; lr?: number; momentum?: number; seed?: number } = {}): Promise<number> {
  await useBackend(peer);
  const { tf } = peer;
  const { epochs = 3, batchSize = 64, lr = 0.01, momentum = 0.9, seed = 1 } = opts;
  const sizes = [784, 128, 10];
  const [nIn, nOut] = [784, 10];
  const nTrain = yTrain.length;
  const rand = mulberry32(seed);
  const net = makeMlp(tf, sizes, seed);
  const opt = tf.train.momentum(lr, momentum);
  // Shuffled copies are gathered per epoch so each batch is one contiguous upload.
  const order = Uint32Array.from({ length: nTrain }, (_, i) => i);
  const xs = new Float32Array(nTrain * nIn);
  const ys = new Float32Array(nTrain * nOut);
  try {
    for (let e = 0; e < epochs; e++) {
      for (let i = nTrain - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      ys.fill(0);
      for (let i = 0; i < nTrain; i++) {
        const src = order[i]!;
        xs.set(xTrain.subarray(src * nIn, (src + 1) * nIn), i * nIn);
        ys[i * nOut + yTrain[src]!] = 1;
      }
      for (let s = 0; s < nTrain; s += batchSize) {
        trainStep(tf, net, opt, xs, ys, s, Math.min(batchSize, nTrain - s), nIn, nOut);
      }
    }
    // Evaluate in chunks so large test sets do not need one huge activation tensor.
    let correct = 0;
    const nTest = yTest.length;
    for (let s = 0; s < nTest; s += 1000) {
      const rows = Math.min(1000, nTest - s);
      const pred = tf.tidy(() =>
        tf.argMax(forward(tf, net, tf.tensor2d(xTest.subarray(s * nIn, (s + rows) * nIn), [rows, nIn])), 1));
      const p = pred.dataSync();
      pred.dispose();
      for (let i = 0; i < rows; i++) if (p[i] === yTest[s + i]) correct++;
    }
    return correct / nTest;
  } finally {
    disposeOptimizer(opt);
    disposeMlp(net);
  }
}

// Sequential: dense layers in wasm memory, trained by calling kernels on fixed offsets.
// Memory plan per model: every parameter (value, grad, velocity) at build time; a workspace
// (input rows, each layer's outputs, two gradient buffers, labels) sized for the largest batch
// seen so far. A training step is then a fixed sequence of kernel calls: no JS allocation.
import type { Kernels } from './kernels.js';
import type { KernelExports } from './abi.js';
import { MODE_BIAS, MODE_ZERO } from './abi.js';
import { Block } from './memory.js';
import { Parameter } from './parameter.js';
import { dense, type Activation, type DenseSpec } from './layers.js';
import { InvalidArgumentError, TrainingDivergedError } from './errors.js';
import { positiveInt, oneOf } from './check.js';
import { Rng } from './rng.js';
import { isOptimizer, type Optimizer } from './optimizers.js';
import { fit, type FitOptions, type History } from './train.js';
import { saveModel, type SaveOptions } from './io.js';

export type LossName = 'crossEntropy' | 'mse';
/** class ids (Int32Array / Uint8Array, one per row) or float targets (rows × outputs) */
export type Targets = Float32Array | Int32Array | Uint8Array;

export interface SequentialConfig {
  inputSize: number;
  layers: DenseSpec[];
  /** default: 'crossEntropy' when the last layer is softmax, else 'mse' */
  loss?: LossName;
  /** seeds the weight initialisation (He uniform for relu, Glorot uniform otherwise); default random */
  seed?: number;
}

export interface WeightTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

interface Layer {
  spec: DenseSpec;
  inSize: number;
  outSize: number;
  kernel: Parameter;
  bias: Parameter | null;
}

const PREDICT_CHUNK = 512;

export class Sequential {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly loss: LossName;
  readonly seed: number;
  readonly layers: readonly DenseSpec[];
  /** @internal */ readonly kernels: Kernels;
  private readonly k: KernelExports;
  private readonly net: Layer[] = [];
  private readonly params: Parameter[] = [];
  /** softmax + cross-entropy are fused: the last layer's softmax is skipped while training */
  private readonly fused: boolean;
  private readonly maxWidth: number;
  private disposedFlag = false;
  /** the shuffling stream fit() continues from call to call (checkpoints store its state) */
  private readonly shuffleRng: Rng;

  // workspace, sized for `cap` rows
  private cap = 0;
  private ws: { x: Block; ys: Block[]; dA: Block; dB: Block; labels: Block; targets: Block; correct: Block } | null = null;

  /** @internal use k.sequential() */
  constructor(kernels: Kernels, config: SequentialConfig) {
    if (config === null || typeof config !== 'object') throw new InvalidArgumentError('config', 'an object', config);
    this.kernels = kernels;
    this.k = kernels.exports;
    this.inputSize = positiveInt('config.inputSize', config.inputSize);
    if (!Array.isArray(config.layers) || config.layers.length === 0) {
      throw new InvalidArgumentError('config.layers', 'a non-empty array of layers made by dense()', config.layers);
    }
    // re-check each spec: a hand-written object must meet the same rules as dense()'s output
    const specs = config.layers.map((s, i) => {
      if (s === null || typeof s !== 'object' || (s as DenseSpec).type !== 'dense') {
        throw new InvalidArgumentError(`config.layers[${i}]`, 'a layer made by dense()', s);
      }
      try {
        return dense(s.units, s.activation, { bias: s.bias });
      } catch (e) {
        throw new InvalidArgumentError(`config.layers[${i}]`, (e as Error).message);
      }
    });
    this.layers = Object.freeze(specs);
    const last = specs[specs.length - 1]!;
    this.outputSize = last.units;
    this.loss = config.loss === undefined ? (last.activation === 'softmax' ? 'crossEntropy' : 'mse') : oneOf('config.loss', config.loss, ['crossEntropy', 'mse'] as const);
    this.fused = this.loss === 'crossEntropy' && last.activation === 'softmax';
    if (config.seed !== undefined && (typeof config.seed !== 'number' || !Number.isInteger(config.seed) || config.seed < 0 || config.seed > 0xffffffff)) {
      throw new InvalidArgumentError('config.seed', 'an integer in [0, 2^32)', config.seed);
    }
    this.seed = config.seed ?? Math.floor(Math.random() * 0x100000000);
    this.maxWidth = Math.max(...specs.map((s) => s.units));

    const rng = new Rng(this.seed);
    this.shuffleRng = new Rng((this.seed ^ 0x5f3759df) >>> 0);
    try {
      let inSize = this.inputSize;
      specs.forEach((spec, i) => {
        const kernel = new Parameter(kernels, [inSize, spec.units], `dense_${i}/kernel`);
        this.params.push(kernel);
        const bias = spec.bias ? new Parameter(kernels, [spec.units], `dense_${i}/bias`) : null;
        if (bias) this.params.push(bias);
        initKernel(kernel.value, inSize, spec.units, spec.activation, rng);
        this.net.push({ spec, inSize, outSize: spec.units, kernel, bias });
        inSize = spec.units;
      });
    } catch (e) {
      for (const p of this.params) p.dispose();
      throw e;
    }
  }

  get disposed(): boolean {
    return this.disposedFlag;
  }

  /** the architecture, enough to build the same model again */
  get config(): Required<SequentialConfig> {
    return { inputSize: this.inputSize, layers: this.layers.slice(), loss: this.loss, seed: this.seed };
  }

  /** The Parameter objects (live views) the optimizer steps, in layer order: kernel, bias, … */
  parameters(): Parameter[] {
    this.alive();
    return this.params.slice();
  }

  /** Copies of the weights in layer order, kernels as [inputs, units] row-major. */
  getWeights(): WeightTensor[] {
    this.alive();
    return this.params.map((p) => ({ name: p.name, shape: p.shape.slice(), values: p.value.slice() }));
  }

  /** Sets every weight from Float32Arrays in getWeights() order and layout. Checks all before writing any. */
  setWeights(weights: ArrayLike<Float32Array | WeightTensor>): void {
    this.alive();
    if (weights === null || typeof weights !== 'object' || typeof weights.length !== 'number') {
      throw new InvalidArgumentError('weights', `an array of ${this.params.length} Float32Arrays`, weights);
    }
    if (weights.length !== this.params.length) {
      throw new InvalidArgumentError('weights', `${this.params.length} arrays (kernel and bias of each layer, in order)`, `${weights.length}`);
    }
    const arrays = Array.from(weights, (w, i) => {
      const a = w instanceof Float32Array ? w : (w as WeightTensor | null)?.values;
      const p = this.params[i]!;
      if (!(a instanceof Float32Array)) throw new InvalidArgumentError(`weights[${i}]`, `a Float32Array for ${p.name}`, w);
      if (a.length !== p.size) throw new InvalidArgumentError(`weights[${i}]`, `${p.size} values for ${p.name} [${p.shape.join(', ')}]`, `${a.length}`);
      for (let j = 0; j < a.length; j++) {
        if (!Number.isFinite(a[j]!)) throw new InvalidArgumentError(`weights[${i}]`, 'finite values only', `${a[j]} at index ${j}`);
      }
      return a;
    });
    arrays.forEach((a, i) => this.params[i]!.value.set(a));
  }

  /**
   * One step of gradient descent on a batch: forward, loss, backward, update.
   * Returns the batch loss before the update. On any error the model is unchanged.
   */
  trainBatch(x: Float32Array, y: Targets, optimizer: Optimizer): number {
    this.alive();
    if (!isOptimizer(optimizer)) throw new InvalidArgumentError('optimizer', 'an optimizer such as new SGD({ learningRate, momentum })', optimizer);
    const rows = this.checkX('x', x);
    const indices = this.checkY('y', y, rows);
    this.load(x, y, rows, indices);
    return this.step(rows, indices, optimizer, 0);
  }

  /** Outputs for every row of x (activations applied, softmax included), rows × outputSize. */
  predict(x: Float32Array): Float32Array {
    this.alive();
    const rows = this.checkX('x', x);
    const out = new Float32Array(rows * this.outputSize);
    const chunk = Math.max(this.cap, Math.min(rows, PREDICT_CHUNK));
    this.ensureCapacity(Math.min(rows, chunk));
    const ws = this.ws!;
    for (let r0 = 0; r0 < rows; r0 += chunk) {
      const n = Math.min(chunk, rows - r0);
      ws.x.f32.set(x.subarray(r0 * this.inputSize, (r0 + n) * this.inputSize));
      if (this.k.all_finite(ws.x.ptr, n * this.inputSize) === 0) throw new InvalidArgumentError('x', 'finite values only', 'NaN or Infinity');
      this.forward(n, false);
      out.set(ws.ys[ws.ys.length - 1]!.f32.subarray(0, n * this.outputSize), r0 * this.outputSize);
    }
    return out;
  }

  /** Mean loss over x, and accuracy (argmax against the label) when the loss is cross-entropy. */
  evaluate(x: Float32Array, y: Targets): { loss: number; accuracy?: number } {
    this.alive();
    const rows = this.checkX('x', x);
    const indices = this.checkY('y', y, rows);
    const chunk = Math.max(this.cap, Math.min(rows, PREDICT_CHUNK));
    this.ensureCapacity(Math.min(rows, chunk));
    let loss = 0, correct = 0;
    for (let r0 = 0; r0 < rows; r0 += chunk) {
      const n = Math.min(chunk, rows - r0);
      const yPart = indices ? y.subarray(r0, r0 + n) : y.subarray(r0 * this.outputSize, (r0 + n) * this.outputSize);
      this.load(x.subarray(r0 * this.inputSize, (r0 + n) * this.inputSize), yPart as Targets, n, indices);
      this.forward(n, true);
      loss += this.lossAndGradient(n, indices) * n;
      correct += this.ws!.correct.i32[0]!;
    }
    return this.loss === 'crossEntropy' ? { loss: loss / rows, accuracy: correct / rows } : { loss: loss / rows };
  }

  /** Trains for several epochs of shuffled mini-batches; see FitOptions. */
  fit(x: Float32Array, y: Targets, options: FitOptions = {}): Promise<History> {
    return fit(this, x, y, options);
  }

  /** The model as safetensors bytes; with { optimizer }, a checkpoint to resume training exactly. */
  save(options: SaveOptions = {}): Uint8Array {
    return saveModel(this, options);
  }

  /** state of the shuffling generator that fit() continues from */
  get shuffleState(): number {
    return this.shuffleRng.state;
  }
  set shuffleState(s: number) {
    this.shuffleRng.state = s;
  }
  /** @internal */
  get shuffler(): Rng {
    return this.shuffleRng;
  }

  /** Gives the model's memory back to the arena; the model cannot be used afterwards. */
  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    for (const p of this.params) p.dispose();
    this.freeWorkspace();
  }

  // ---------------------------------------------------------------- internals used by fit()

  /** @internal */
  alive(): void {
    if (this.disposedFlag) throw new InvalidArgumentError('model', 'a model that has not been disposed', 'a disposed model');
  }

  /** @internal rows in x, or throws naming `name` */
  checkX(name: string, x: unknown): number {
    if (!(x instanceof Float32Array)) throw new InvalidArgumentError(name, `a Float32Array of rows × ${this.inputSize} inputs`, x);
    if (x.length === 0 || x.length % this.inputSize !== 0) {
      throw new InvalidArgumentError(name, `a length that is a positive multiple of inputSize ${this.inputSize}`, `length ${x.length}`);
    }
    return x.length / this.inputSize;
  }

  /** @internal true when y holds class ids; throws naming `name` */
  checkY(name: string, y: unknown, rows: number): boolean {
    const out = this.outputSize;
    if (y instanceof Int32Array || y instanceof Uint8Array) {
      if (y.length !== rows) throw new InvalidArgumentError(name, `${rows} class ids (one per row of x)`, `length ${y.length}`);
      for (let i = 0; i < y.length; i++) {
        const c = y[i]!;
        if (c < 0 || c >= out) throw new InvalidArgumentError(name, `class ids in [0, ${out})`, `${c} at index ${i}`);
      }
      return true;
    }
    if (y instanceof Float32Array) {
      if (y.length !== rows * out) throw new InvalidArgumentError(name, `${rows} × ${out} = ${rows * out} targets`, `length ${y.length}`);
      for (let i = 0; i < y.length; i++) {
        if (!Number.isFinite(y[i]!)) throw new InvalidArgumentError(name, 'finite values only', `${y[i]} at index ${i}`);
      }
      return false;
    }
    throw new InvalidArgumentError(name, 'a Float32Array of targets, or an Int32Array / Uint8Array of class ids', y);
  }

  /** @internal copies a checked batch into the workspace */
  load(x: Float32Array, y: Targets, rows: number, indices: boolean): void {
    this.ensureCapacity(rows);
    const ws = this.ws!;
    ws.x.f32.set(x);
    if (this.k.all_finite(ws.x.ptr, rows * this.inputSize) === 0) {
      throw new InvalidArgumentError('x', 'finite values only', 'NaN or Infinity');
    }
    if (indices) ws.labels.i32.set(y);
    else ws.targets.f32.set(y);
    if (indices && this.loss === 'mse') this.oneHot(rows);
  }

  /** @internal the workspace, sized for at least `rows` (fit() gathers batches straight into it) */
  workspace(rows: number): { x: Block; labels: Block; targets: Block } {
    this.ensureCapacity(rows);
    return this.ws!;
  }

  /** @internal mse trained on class ids: expand them to one-hot targets */
  oneHot(rows: number): void {
    const ws = this.ws!;
    const t = ws.targets.f32, lab = ws.labels.i32, out = this.outputSize;
    t.fill(0, 0, rows * out);
    for (let r = 0; r < rows; r++) t[r * out + lab[r]!] = 1;
  }

  /** @internal forward, loss, backward, update on a loaded batch; returns the loss */
  step(rows: number, indices: boolean, opt: Optimizer, epoch: number): number {
    this.forward(rows, true);
    const loss = this.lossAndGradient(rows, indices);
    if (!Number.isFinite(loss)) this.diverged(epoch, opt, loss, `the batch loss is ${loss}`);
    this.backward(rows);
    // the optimizer dry-runs the update and commits only if every new value is finite
    if (!opt.apply(this.params)) this.diverged(epoch, opt, loss, 'the update (or the gradient) is not finite');
    return loss;
  }

  /** @internal correct predictions in the last loss call */
  get lastCorrect(): number {
    return this.ws!.correct.i32[0]!;
  }

  /** epoch: where the step sits in a fit (0 outside one), for the message */
  private diverged(epoch: number, opt: Optimizer, loss: number, what: string): never {
    throw new TrainingDivergedError({ epoch, step: opt.iterations + 1, learningRate: opt.learningRate, momentum: opt.momentum, loss, what });
  }

  // ---------------------------------------------------------------- the passes

  private forward(rows: number, training: boolean): void {
    const k = this.k, ws = this.ws!, scratch = this.kernels.scratch.ptr;
    let inPtr = ws.x.ptr;
    const last = this.net.length - 1;
    for (let l = 0; l <= last; l++) {
      const L = this.net[l]!;
      const y = ws.ys[l]!.ptr;
      // bias and relu run in the GEMM's epilogue; the other activations are one pass after it
      const relu = L.spec.activation === 'relu';
      k.gemm(0, 0, rows, L.outSize, L.inSize, inPtr, L.inSize, L.kernel.valuePtr, L.outSize, y, L.outSize,
        L.bias ? MODE_BIAS : MODE_ZERO, L.bias ? L.bias.valuePtr : 0, scratch, relu ? 1 : 0);
      // training with fused softmax-cross-entropy keeps the logits: the loss kernel does the softmax
      if (!relu && !(training && l === last && this.fused)) activate(k, L.spec.activation, y, rows, L.outSize);
      inPtr = y;
    }
  }

  /** loss of the last forward, and its gradient w.r.t. the last layer's pre-activation into dA */
  private lossAndGradient(rows: number, indices: boolean): number {
    const k = this.k, ws = this.ws!;
    const L = this.net[this.net.length - 1]!;
    const y = ws.ys[ws.ys.length - 1]!.ptr;
    const out = L.outSize;
    const labels = indices ? ws.labels.ptr : ws.targets.ptr;
    if (this.fused) return k.softmax_cross_entropy(y, rows, out, labels, indices ? 1 : 0, ws.dA.ptr, ws.correct.ptr);
    let loss: number;
    if (this.loss === 'crossEntropy') loss = k.cross_entropy(y, rows, out, labels, indices ? 1 : 0, ws.dA.ptr, ws.correct.ptr);
    else loss = k.mean_squared_error(y, ws.targets.ptr, rows * out, ws.dA.ptr);
    activateBackward(k, L.spec.activation, y, ws.dA.ptr, rows, out);
    return loss;
  }

  /** gradients of every parameter from dA (the last layer's pre-activation gradient) */
  private backward(rows: number): void {
    const k = this.k, ws = this.ws!, scratch = this.kernels.scratch.ptr;
    let d = ws.dA.ptr, other = ws.dB.ptr;
    for (let l = this.net.length - 1; l >= 0; l--) {
      const L = this.net[l]!;
      if (l < this.net.length - 1) activateBackward(k, L.spec.activation, ws.ys[l]!.ptr, d, rows, L.outSize);
      const xIn = l === 0 ? ws.x.ptr : ws.ys[l - 1]!.ptr;
      // dW = Xᵀ·dZ, db = column sums of dZ
      k.gemm(1, 0, L.inSize, L.outSize, rows, xIn, L.inSize, d, L.outSize, L.kernel.gradPtr, L.outSize, MODE_ZERO, 0, scratch);
      if (L.bias) k.column_sums(d, rows, L.outSize, L.bias.gradPtr);
      // dX = dZ·Wᵀ, not needed below the first layer
      if (l > 0) {
        k.gemm(0, 1, rows, L.inSize, L.outSize, d, L.outSize, L.kernel.valuePtr, L.outSize, other, L.inSize, MODE_ZERO, 0, scratch);
        const t = d; d = other; other = t;
      }
    }
  }

  private ensureCapacity(rows: number): void {
    if (rows <= this.cap && this.ws) return;
    const a = this.kernels.arena;
    const made: Block[] = [];
    const mk = (n: number) => { const b = new Block(a, n); made.push(b); return b; };
    try {
      const ws = {
        x: mk(rows * this.inputSize),
        ys: this.net.map((L) => mk(rows * L.outSize)),
        dA: mk(rows * this.maxWidth),
        dB: mk(rows * this.maxWidth),
        labels: mk(rows),
        targets: mk(rows * this.outputSize),
        correct: mk(1),
      };
      this.freeWorkspace();
      this.ws = ws;
      this.cap = rows;
    } catch (e) {
      for (const b of made) b.free();
      throw e;
    }
  }

  private freeWorkspace(): void {
    if (!this.ws) return;
    const ws = this.ws;
    for (const b of [ws.x, ...ws.ys, ws.dA, ws.dB, ws.labels, ws.targets, ws.correct]) b.free();
    this.ws = null;
    this.cap = 0;
  }
}

function activate(k: KernelExports, act: Activation, y: number, rows: number, cols: number): void {
  const n = rows * cols;
  switch (act) {
    case 'relu': k.relu_forward(y, y, n); break; // (fused into the GEMM by forward())
    case 'sigmoid': k.sigmoid_forward(y, y, n); break;
    case 'tanh': k.tanh_forward(y, y, n); break;
    case 'softmax': k.softmax_forward(y, y, rows, cols); break;
    case 'linear': break;
  }
}

/** d (dL/dy) becomes dL/dz in place, from the layer's output y */
function activateBackward(k: KernelExports, act: Activation, y: number, d: number, rows: number, cols: number): void {
  const n = rows * cols;
  switch (act) {
    case 'relu': k.relu_backward(y, d, d, n); break;
    case 'sigmoid': k.sigmoid_backward(y, d, d, n); break;
    case 'tanh': k.tanh_backward(y, d, d, n); break;
    case 'softmax': k.softmax_backward(y, d, d, rows, cols); break;
    case 'linear': break;
  }
}

/** He uniform for relu (limit √(6/in)), Glorot uniform otherwise (limit √(6/(in+out))) */
function initKernel(w: Float32Array, inSize: number, outSize: number, act: Activation, rng: Rng): void {
  const limit = act === 'relu' ? Math.sqrt(6 / inSize) : Math.sqrt(6 / (inSize + outSize));
  for (let i = 0; i < w.length; i++) w[i] = (2 * rng.next() - 1) * limit;
}

// Sequential: a chain of layers in wasm memory, trained by calling kernels on fixed offsets.
// The model owns the memory plan: every layer's tensors at build time; a workspace (the input
// rows, each layer's output, two gradient buffers, each layer's own persistent workspace, one
// shared scratch, labels) sized for the largest batch seen so far. A training step is then a
// fixed sequence of layer calls: no JS allocation. What a layer computes is in its own file.
import type { Runtime } from '../runtime/runtime.js';
import type { KernelExports } from '../runtime/abi.js';
import { Block } from '../runtime/memory.js';
import type { Parameter } from '../runtime/parameter.js';
import { allOk, perElement } from '../runtime/parts.js';
import type { Layer, LayerCall, LayerSpec, Shape, StateTensor } from '../layers/layer.js';
import { size } from '../layers/layer.js';
import { layerType } from '../layers/index.js';
import { InvalidArgumentError, TrainingDivergedError } from '../util/errors.js';
import { positiveInt, oneOf, seed32, allFinite } from '../util/check.js';
import { Rng } from '../util/rng.js';
import { isOptimizer, type Optimizer } from '../optim/optimizer.js';
import { LOSSES, lossAndGradient, type LossName } from './loss.js';
import type { Targets, FitOptions, History, SaveOptions } from './options.js';

export type { LossName };

export interface SequentialConfig {
  /** [height, width, channels] for images (rows of x are NHWC, row-major), or [features] */
  inputShape?: readonly number[];
  /** the same as inputShape: [inputSize] */
  inputSize?: number;
  layers: readonly LayerSpec[];
  /** default: 'crossEntropy' when the last layer is softmax, else 'mse' */
  loss?: LossName;
  /** seeds the weight initialisation (He uniform for relu, Glorot uniform otherwise) and dropout; default random */
  seed?: number;
}

export interface WeightTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** What the facade gives a model for its entry points that live in other files. */
export interface ModelServices {
  fit(model: Sequential, x: Float32Array, y: Targets, options: FitOptions): Promise<History>;
  save(model: Sequential, options: SaveOptions): Uint8Array;
}

interface Workspace {
  /** acts[0]: the input rows; acts[l + 1]: layer l's output (the same block for in-place layers) */
  acts: Block[];
  dA: Block;
  dB: Block;
  /** each layer's persistent workspace, or null */
  work: Array<Block | null>;
  scratch: Block | null;
  labels: Block;
  targets: Block;
  correct: Block;
  /** what fit() gathers batches into, made once with the workspace (no object per batch) */
  io: { x: Block; labels: Block; targets: Block };
}

const PREDICT_CHUNK = 512;

export class Sequential {
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly inputSize: number;
  readonly outputSize: number;
  readonly loss: LossName;
  readonly seed: number;
  /** the layer specs, as given (checked) */
  readonly layers: readonly LayerSpec[];
  /** @internal */ readonly runtime: Runtime;
  private readonly k: KernelExports;
  private readonly services: ModelServices;
  /** @internal the live layers */
  readonly net: readonly Layer[];
  private readonly params: Parameter[];
  /** the first layer with parameters: the backward pass needs input gradients only above it */
  private readonly firstTrainable: number;
  /** softmax + cross-entropy are fused: the last layer's softmax is left to the loss while training */
  private readonly fused: boolean;
  private disposedFlag = false;
  /** the shuffling stream fit() continues from call to call (checkpoints store its state) */
  private readonly shuffleRng: Rng;

  private cap = 0;
  private ws: Workspace | null = null;
  private readonly call: LayerCall = { rows: 0, x: 0, y: 0, dy: 0, dx: 0, work: 0, scratch: 0, training: false, logits: false };

  /** @internal use k.sequential() */
  constructor(runtime: Runtime, config: SequentialConfig, services: ModelServices) {
    if (config === null || typeof config !== 'object') throw new InvalidArgumentError('config', 'an object', config);
    this.runtime = runtime;
    this.k = runtime.exports;
    this.services = services;
    this.inputShape = Object.freeze(inputShapeOf(config));
    this.inputSize = size(this.inputShape);
    if (!Array.isArray(config.layers) || config.layers.length === 0) {
      throw new InvalidArgumentError('config.layers', 'a non-empty array of layers made by dense(), conv2d(), …', config.layers);
    }
    // every spec and shape checked before any memory is allocated
    const plan: Array<{ type: ReturnType<typeof layerType>['type']; spec: LayerSpec; input: Shape }> = [];
    let shape: Shape = this.inputShape;
    config.layers.forEach((s, i) => {
      const where = `config.layers[${i}]`;
      const { type, spec } = layerType(s, where);
      const out = type.outputShape(spec, shape, where);
      plan.push({ type, spec, input: shape });
      shape = out;
    });
    this.layers = Object.freeze(plan.map((p) => p.spec));
    this.outputShape = Object.freeze(shape.slice());
    this.outputSize = size(shape);
    const lastAct = (plan[plan.length - 1]!.spec as { activation?: string }).activation;
    this.loss = config.loss === undefined ? (lastAct === 'softmax' ? 'crossEntropy' : 'mse') : oneOf('config.loss', config.loss, LOSSES);
    this.fused = this.loss === 'crossEntropy' && lastAct === 'softmax';
    this.seed = config.seed === undefined ? Math.floor(Math.random() * 0x100000000) : seed32('config.seed', config.seed);

    const rng = new Rng(this.seed);
    this.shuffleRng = new Rng((this.seed ^ 0x5f3759df) >>> 0);
    const net: Layer[] = [];
    try {
      plan.forEach((p, i) => net.push(p.type.create(runtime, p.spec, p.input, `${p.spec.type}_${i}`, rng, this.seed)));
    } catch (e) {
      for (const l of net) l.dispose();
      throw e;
    }
    this.net = net;
    this.params = net.flatMap((l) => l.params);
    // the layers wrote their initial weights through `value`; nobody outside holds a view yet
    for (const p of this.params) p.settle();
    this.firstTrainable = net.findIndex((L) => L.params.length > 0);
  }

  get disposed(): boolean {
    return this.disposedFlag;
  }

  /** the architecture, enough to build the same model again */
  get config(): { inputShape: number[]; inputSize: number; layers: LayerSpec[]; loss: LossName; seed: number } {
    return { inputShape: this.inputShape.slice(), inputSize: this.inputSize, layers: this.layers.slice(), loss: this.loss, seed: this.seed };
  }

  /** The Parameter objects (live views) the optimizer steps, in layer order: kernel, bias, … */
  parameters(): Parameter[] {
    this.alive();
    return this.params.slice();
  }

  /** @internal every non-trainable tensor (running statistics), in layer order */
  stateTensors(): StateTensor[] {
    this.alive();
    return this.net.flatMap((l) => l.state);
  }

  /** Copies of the trainable weights in layer order: dense kernels [inputs, units], conv kernels
   *  [kh, kw, inChannels, filters], biases [units], batch norm's gamma and beta [channels]. */
  getWeights(): WeightTensor[] {
    this.alive();
    return this.params.map((p) => ({ name: p.name, shape: p.shape.slice(), values: p.values.slice() }));
  }

  /** Sets every weight from Float32Arrays (or WeightTensors, whose shapes are checked too) in
   *  getWeights() order and layout. Checks all before writing any. */
  setWeights(weights: ArrayLike<Float32Array | WeightTensor>): void {
    this.alive();
    if (weights === null || typeof weights !== 'object' || typeof weights.length !== 'number') {
      throw new InvalidArgumentError('weights', `an array of ${this.params.length} Float32Arrays`, weights);
    }
    if (weights.length !== this.params.length) {
      throw new InvalidArgumentError('weights', `${this.params.length} arrays (the trainable tensors of each layer, in order: ${this.params.map((p) => p.name).join(', ')})`, `${weights.length}`);
    }
    const arrays = Array.from(weights, (w, i) => {
      const p = this.params[i]!;
      const a = w instanceof Float32Array ? w : (w as WeightTensor | null)?.values;
      if (!(a instanceof Float32Array)) throw new InvalidArgumentError(`weights[${i}]`, `a Float32Array for ${p.name}`, w);
      if (!(w instanceof Float32Array)) {
        const shape = (w as WeightTensor).shape;
        if (!Array.isArray(shape) || shape.length !== p.shape.length || shape.some((d, j) => d !== p.shape[j])) {
          throw new InvalidArgumentError(`weights[${i}].shape`, `[${p.shape.join(', ')}] for ${p.name}`, Array.isArray(shape) ? `[${shape.join(', ')}]` : shape);
        }
      }
      if (a.length !== p.size) throw new InvalidArgumentError(`weights[${i}]`, `${p.size} values for ${p.name} [${p.shape.join(', ')}]`, `${a.length}`);
      for (let j = 0; j < a.length; j++) {
        if (!Number.isFinite(a[j]!)) throw new InvalidArgumentError(`weights[${i}]`, 'finite values only', `${a[j]} at index ${j}`);
      }
      return a;
    });
    arrays.forEach((a, i) => { const p = this.params[i]!; p.values.set(a); p.wrote(); });
  }

  /** A table of the layers: type, output shape, parameter count; and the total. Printed with
   *  `print` (default console.log) and returned. */
  summary(print: ((text: string) => void) | null = console.log): string {
    this.alive();
    const rows = [['layer', 'output shape', 'parameters']];
    rows.push(['input', `[${this.inputShape.join(', ')}]`, '']);
    let total = 0;
    this.net.forEach((l, i) => {
      const n = l.params.reduce((a, p) => a + p.size, 0);
      total += n;
      rows.push([`${i} ${describeSpec(l.spec)}`, `[${l.outputShape.join(', ')}]`, String(n)]);
    });
    const state = this.net.reduce((a, l) => a + l.state.reduce((b, t) => b + size(t.shape), 0), 0);
    const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
    const line = (r: string[]) => `${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]!.padStart(widths[2]!)}`;
    const rule = '-'.repeat(widths[0]! + widths[1]! + widths[2]! + 4);
    const text = [line(rows[0]!), rule, ...rows.slice(1).map(line), rule,
      `trainable parameters: ${total}${state ? `; non-trainable state: ${state}` : ''}; loss: ${this.loss}`].join('\n');
    print?.(text);
    return text;
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
      ws.acts[0]!.f32.set(x.subarray(r0 * this.inputSize, (r0 + n) * this.inputSize));
      if (perElement(this.runtime, 'all_finite', n * this.inputSize, ws.acts[0]!.ptr, -1, -1, -1, allOk) === 0) throw new InvalidArgumentError('x', 'finite values only', 'NaN or Infinity');
      this.forward(n, false, false);
      out.set(ws.acts[this.net.length]!.f32.subarray(0, n * this.outputSize), r0 * this.outputSize);
    }
    return out;
  }

  /** Mean loss over x, and accuracy (argmax against the label) when the loss is cross-entropy.
   *  Inference mode: dropout off, batch norm on its running statistics. */
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
      this.forward(n, false, this.fused);
      loss += this.lossAndGradient(n, indices) * n;
      correct += this.ws!.correct.i32[0]!;
    }
    return this.loss === 'crossEntropy' ? { loss: loss / rows, accuracy: correct / rows } : { loss: loss / rows };
  }

  /**
   * Measures, over every row of x, the per-feature mean and (biased) variance of each
   * normalization() layer's input (the layers before it in inference mode) and sets them, in layer
   * order. Weights and optimizer state are unchanged; on an error, so is every statistic.
   */
  adapt(x: Float32Array): void {
    this.alive();
    const rows = this.checkX('x', x);
    const layers = this.net.map((L, i) => [L, i] as const).filter(([L]) => L.adapt !== undefined);
    if (layers.length === 0) throw new InvalidArgumentError('model', 'a model with a layer to adapt (normalization())', 'none');
    allFinite('x', x); // before anything is measured, so a bad row changes nothing
    const chunk = Math.max(this.cap, Math.min(rows, PREDICT_CHUNK));
    this.ensureCapacity(Math.min(rows, chunk));
    const ws = this.ws!, k = this.k;
    // what each adapted layer held before, to put back if a later one fails
    const before: Array<{ L: Layer; state: Float32Array[] }> = [];
    try {
      for (const [L, l] of layers) {
        const C = L.inputShape[L.inputShape.length - 1]!, perRow = size(L.inputShape) / C;
        const stats = new Block(this.runtime.arena, 2 * C);
        // Chan's pairwise update: chunk statistics combine exactly into the whole set's
        const mean = new Float64Array(C), m2 = new Float64Array(C);
        let count = 0;
        try {
          for (let r0 = 0; r0 < rows; r0 += chunk) {
            const n = Math.min(chunk, rows - r0);
            ws.acts[0]!.f32.set(x.subarray(r0 * this.inputSize, (r0 + n) * this.inputSize));
            this.forward(n, false, false, l);
            const m = n * perRow;
            k.batchnorm_stats(ws.acts[l]!.ptr, m, C, stats.ptr, stats.ptr + C * 4);
            const f = stats.f32, total = count + m;
            for (let c = 0; c < C; c++) {
              const d = f[c]! - mean[c]!;
              mean[c] = mean[c]! + (d * m) / total;
              m2[c] = m2[c]! + f[C + c]! * m + (d * d * count * m) / total;
            }
            count = total;
          }
        } finally {
          stats.free();
        }
        const variance = m2.map((v) => v / count);
        // set now: the next adapted layer's input depends on this one
        before.push({ L, state: L.state.map((t) => t.block.f32.slice()) });
        L.adapt!(mean, variance);
      }
    } catch (e) {
      for (const b of before) b.state.forEach((t, i) => b.L.state[i]!.block.f32.set(t));
      throw e;
    }
  }

  /** Trains for several epochs of shuffled mini-batches; see FitOptions. */
  fit(x: Float32Array, y: Targets, options: FitOptions = {}): Promise<History> {
    return this.services.fit(this, x, y, options);
  }

  /** The model as safetensors bytes; with { optimizer }, a checkpoint to resume training exactly. */
  save(options: SaveOptions = {}): Uint8Array {
    return this.services.save(this, options);
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
    for (const l of this.net) l.dispose();
    this.freeWorkspace();
  }

  // ---------------------------------------------------------------- internals used by fit()

  /** @internal */
  alive(): void {
    if (this.disposedFlag) throw new InvalidArgumentError('model', 'a model that has not been disposed', 'a disposed model');
  }

  /** @internal rows in x, or throws naming `name` */
  checkX(name: string, x: unknown): number {
    if (!(x instanceof Float32Array)) throw new InvalidArgumentError(name, `a Float32Array of rows × ${this.inputSize} inputs${this.shapeWords()}`, x);
    if (x.length === 0 || x.length % this.inputSize !== 0) {
      throw new InvalidArgumentError(name, `a length that is a positive multiple of inputSize ${this.inputSize}${this.shapeWords()}`, `length ${x.length}`);
    }
    return x.length / this.inputSize;
  }

  /** the input shape in words, for errors only (checkX runs on every step: it builds no string then) */
  private shapeWords(): string {
    return this.inputShape.length > 1 ? ` (rows of [${this.inputShape.join(', ')}], NHWC)` : '';
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
    // With a pool, a worker read part of the last batch, so each line copied in must first be taken
    // back from its core. V8 copies into shared memory word by word (relaxed atomics), and, as we
    // read it, waits on those lines a few at a time; wasm's memory.fill claims them in a burst
    // first (W1 on two threads, bench/step-trace.ts: load() 35 µs without, 28 with)
    if (this.runtime.threads > 1) this.runtime.exports.zero_f32(ws.acts[0]!.ptr, rows * this.inputSize);
    ws.acts[0]!.f32.set(x);
    if (perElement(this.runtime, 'all_finite', rows * this.inputSize, ws.acts[0]!.ptr, -1, -1, -1, allOk) === 0) {
      throw new InvalidArgumentError('x', 'finite values only', 'NaN or Infinity');
    }
    if (indices) ws.labels.i32.set(y);
    else ws.targets.f32.set(y);
    if (indices && this.loss === 'mse') this.oneHot(rows);
  }

  /** @internal the workspace, sized for at least `rows` (fit() gathers batches straight into it) */
  workspace(rows: number): { x: Block; labels: Block; targets: Block } {
    this.ensureCapacity(rows);
    return this.ws!.io;
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
    this.alive();
    this.forward(rows, true, this.fused);
    const loss = this.lossAndGradient(rows, indices);
    if (!Number.isFinite(loss)) this.diverged(epoch, opt, loss, `the batch loss is ${loss}`);
    this.backward(rows);
    // the optimizer commits only once every new value is shown finite (optim/guard.ts)
    if (!opt.apply(this.params)) this.diverged(epoch, opt, loss, 'the update (or the gradient) is not finite');
    this.commit(rows);
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

  /** logits: leave the last layer's softmax to the fused loss; end: stop before this layer */
  private forward(rows: number, training: boolean, logits: boolean, end = this.net.length): void {
    const ws = this.ws!, c = this.call, last = this.net.length - 1;
    c.rows = rows; c.training = training; c.scratch = ws.scratch ? ws.scratch.ptr : 0; c.dy = 0; c.dx = 0;
    for (let l = 0; l < end; l++) {
      const L = this.net[l]!;
      if (L.inPlace) continue;
      c.x = ws.acts[l]!.ptr; c.y = ws.acts[l + 1]!.ptr; c.work = ws.work[l] ? ws.work[l]!.ptr : 0;
      c.logits = logits && l === last;
      L.forward(this.runtime, c);
    }
  }

  /** the step is committed: layers that keep something from batches move it on */
  private commit(rows: number): void {
    const ws = this.ws!, c = this.call;
    c.rows = rows; c.training = true;
    for (let l = 0; l < this.net.length; l++) {
      const L = this.net[l]!;
      if (!L.commit) continue;
      c.x = ws.acts[l]!.ptr; c.y = ws.acts[l + 1]!.ptr; c.work = ws.work[l] ? ws.work[l]!.ptr : 0;
      L.commit(this.runtime, c);
    }
  }

  /** loss of the last forward, and its gradient w.r.t. the last layer's output (its logits when fused) into dA */
  private lossAndGradient(rows: number, indices: boolean): number {
    const ws = this.ws!;
    return lossAndGradient(this.k, this.loss, this.fused, ws.acts[this.net.length]!.ptr, rows, this.outputSize,
      ws.labels.ptr, ws.targets.ptr, indices, ws.dA.ptr, ws.correct.ptr);
  }

  /** gradients of every parameter from dA (the gradient w.r.t. the last layer's output) */
  private backward(rows: number): void {
    const ws = this.ws!, c = this.call, last = this.net.length - 1;
    let d = ws.dA.ptr, other = ws.dB.ptr;
    c.rows = rows; c.training = true;
    const first = this.firstTrainable;
    for (let l = last; l >= 0 && l >= first; l--) {
      const L = this.net[l]!;
      if (L.inPlace) continue;
      c.x = ws.acts[l]!.ptr; c.y = ws.acts[l + 1]!.ptr; c.work = ws.work[l] ? ws.work[l]!.ptr : 0;
      c.dy = d; c.dx = l > first ? other : 0; c.logits = this.fused && l === last;
      L.backward(this.runtime, c);
      if (c.dx) { const t = d; d = other; other = t; }
    }
  }

  private ensureCapacity(rows: number): void {
    if (rows <= this.cap && this.ws) return;
    const a = this.runtime.arena;
    const made: Block[] = [];
    const mk = (n: number) => { const b = new Block(a, n); made.push(b); return b; };
    try {
      const acts: Block[] = [mk(rows * this.inputSize)];
      this.net.forEach((L, l) => acts.push(L.inPlace ? acts[l]! : mk(rows * size(L.outputShape))));
      const widest = Math.max(this.inputSize, ...this.net.map((L) => size(L.outputShape)));
      const spaces = this.net.map((L) => L.workspace(rows));
      const scratch = Math.max(0, ...spaces.map((s) => s.scratch));
      const labels = mk(rows), targets = mk(rows * this.outputSize);
      const ws: Workspace = {
        acts,
        dA: mk(rows * widest),
        dB: mk(rows * widest),
        work: spaces.map((s) => (s.persistent > 0 ? mk(s.persistent) : null)),
        scratch: scratch > 0 ? mk(scratch) : null,
        labels,
        targets,
        correct: mk(1),
        io: { x: acts[0]!, labels, targets },
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
    const blocks = new Set<Block>([...ws.acts, ws.dA, ws.dB, ws.labels, ws.targets, ws.correct]);
    for (const b of ws.work) if (b) blocks.add(b);
    if (ws.scratch) blocks.add(ws.scratch);
    for (const b of blocks) b.free();
    this.ws = null;
    this.cap = 0;
  }
}

function inputShapeOf(config: SequentialConfig): number[] {
  const { inputShape, inputSize } = config;
  if (inputShape === undefined) return [positiveInt('config.inputSize', inputSize)];
  if (!Array.isArray(inputShape) || (inputShape.length !== 1 && inputShape.length !== 3) ||
      !inputShape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 1)) {
    throw new InvalidArgumentError('config.inputShape', '[features] or [height, width, channels] of positive integers', inputShape);
  }
  if (inputSize !== undefined && inputSize !== size(inputShape)) {
    throw new InvalidArgumentError('config.inputSize', `${size(inputShape)} (the size of inputShape [${inputShape.join(', ')}]) or nothing`, inputSize);
  }
  return inputShape.slice();
}

/** 'conv2d 6 5x5 relu same': the spec's type and its settings, for summary() (bias and stride 1 unsaid) */
function describeSpec(spec: LayerSpec): string {
  const parts: string[] = [spec.type];
  for (const [k, v] of Object.entries(spec)) {
    if (k === 'type' || v === true || (k === 'stride' && Array.isArray(v) && v.every((d) => d === 1))) continue;
    if (k === 'bias' && v === false) { parts.push('no bias'); continue; }
    parts.push(Array.isArray(v) ? `${k === 'stride' ? 'stride ' : ''}${v.join('x')}` : String(v));
  }
  return parts.join(' ');
}

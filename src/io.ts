// Model files: a Sequential ⇄ safetensors bytes. Two layouts:
//  - 'momentum' (default): dense_0/kernel as [in, units], dense_0/bias, …, with the architecture
//    and the library version in __metadata__; with an optimizer, a checkpoint: every parameter's
//    velocity (and Adam's second moment), the optimizer's hyperparameters and step count, and the
//    model's shuffling RNG state, so a resumed fit continues bit for bit.
//  - 'torch': the state dict of nn.Sequential(nn.Linear, activation, nn.Linear, …): N.weight as
//    [out, in], N.bias, where N counts modules (an activation other than linear is a module).
import type { Kernels } from './kernels.js';
import type { Sequential, SequentialConfig } from './model.js';
import { Optimizer, SGD, Adam, type OptimizerState } from './optimizers.js';
import { scheduleFromSpec, type ScheduleSpec } from './schedules.js';
import { readSafetensors, writeSafetensors, type Tensor } from './safetensors.js';
import { InvalidArgumentError, ModelFormatError } from './errors.js';
import { parseStrictJson } from './json.js';
import { dense, ACTIVATIONS } from './layers.js';
import { VERSION } from './version.js';
import { positiveInt } from './check.js';

export interface SaveOptions {
  /** also save this optimizer's state and every velocity: a checkpoint to resume training from */
  optimizer?: Optimizer;
  /** 'momentum' (default) or 'torch' (PyTorch nn.Sequential state-dict names and layouts) */
  format?: 'momentum' | 'torch';
}

export interface LoadOptions {
  /** the architecture, for files that do not carry one (e.g. a PyTorch state dict) */
  architecture?: SequentialConfig;
}

export interface Loaded {
  model: Sequential;
  /** present when the file is a checkpoint */
  optimizer?: Optimizer;
}

interface ArchJson {
  inputSize: number;
  layers: Array<{ units: number; activation: string; bias: boolean }>;
  loss: string;
  seed: number;
}

function archJson(c: SequentialConfig): ArchJson {
  return { inputSize: c.inputSize, layers: c.layers.map((l) => ({ units: l.units, activation: l.activation, bias: l.bias })), loss: c.loss ?? 'mse', seed: c.seed ?? 0 };
}

/** torch module index of each dense layer */
function torchIndices(c: { layers: ReadonlyArray<{ activation: string }> }): number[] {
  const out: number[] = [];
  let i = 0;
  for (const l of c.layers) {
    out.push(i++);
    if (l.activation !== 'linear') i++;
  }
  return out;
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c]!;
  return t;
}

export function saveModel(model: Sequential, options: SaveOptions = {}): Uint8Array {
  model.alive();
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'an object', options);
  const format = options.format ?? 'momentum';
  if (format !== 'momentum' && format !== 'torch') throw new InvalidArgumentError('options.format', "'momentum' or 'torch'", format);
  const opt = options.optimizer;
  if (opt !== undefined && !(opt instanceof Optimizer)) throw new InvalidArgumentError('options.optimizer', 'an optimizer (SGD or Adam)', opt);
  if (opt !== undefined && format === 'torch') throw new InvalidArgumentError('options.optimizer', "no optimizer with format 'torch' (checkpoints use the momentum format)", 'an optimizer');
  const arch = archJson(model.config);
  const metadata: Record<string, string> = { format: format === 'torch' ? 'pt' : 'momentum-wasm', library: `momentum-wasm ${VERSION}`, architecture: JSON.stringify(arch) };
  const params = model.parameters();
  const tensors: Array<[string, Tensor]> = [];
  if (format === 'torch') {
    const idx = torchIndices(arch);
    let p = 0;
    model.layers.forEach((l, i) => {
      const kernel = params[p++]!;
      const [inSize, units] = kernel.shape as [number, number];
      tensors.push([`${idx[i]}.weight`, { shape: [units, inSize], data: transpose(kernel.value, inSize, units) }]);
      if (l.bias) tensors.push([`${idx[i]}.bias`, { shape: [units], data: params[p++]!.value.slice() }]);
    });
  } else {
    for (const p of params) tensors.push([p.name, { shape: p.shape.slice(), data: p.value.slice() }]);
  }
  if (opt) {
    const state = opt.state(); // throws for unsaveable (custom-function) schedules before anything is written
    metadata.optimizer = JSON.stringify(state);
    metadata.rng = String(model.shuffleState);
    for (const p of params) {
      tensors.push([`optimizer/${p.name}/velocity`, { shape: p.shape.slice(), data: p.velocity.slice() }]);
      if (state.type === 'Adam') tensors.push([`optimizer/${p.name}/second_moment`, { shape: p.shape.slice(), data: (p.secondMoment ?? new Float32Array(p.size)).slice() }]);
    }
  }
  return writeSafetensors(tensors, metadata);
}

/** a JSON value stored as a __metadata__ string */
function metadataJson(key: string, text: string): unknown {
  try {
    return parseStrictJson(text);
  } catch (e) {
    throw new ModelFormatError(`__metadata__.${key} is not valid JSON: ${(e as Error).message}`);
  }
}

function parseArchitecture(text: string): SequentialConfig {
  const o = metadataJson('architecture', text) as Partial<ArchJson> | null;
  if (o === null || typeof o !== 'object' || !Array.isArray(o.layers)) throw new ModelFormatError('__metadata__.architecture is not an architecture object');
  try {
    return {
      inputSize: o.inputSize as number,
      layers: o.layers.map((l) => dense(l?.units as number, l?.activation as (typeof ACTIVATIONS)[number], { bias: l?.bias as boolean })),
      loss: o.loss as 'crossEntropy' | 'mse',
      seed: o.seed as number,
    };
  } catch (e) {
    throw new ModelFormatError(`__metadata__.architecture: ${(e as Error).message}`);
  }
}

function parseOptimizer(text: string): OptimizerState {
  const o = metadataJson('optimizer', text) as Partial<OptimizerState> | null;
  if (o === null || typeof o !== 'object' || (o.type !== 'SGD' && o.type !== 'Adam') || typeof o.config !== 'object' || o.config === null ||
      !Number.isSafeInteger(o.iterations) || (o.iterations as number) < 0) {
    throw new ModelFormatError('__metadata__.optimizer is not an optimizer state');
  }
  return o as OptimizerState;
}

function buildOptimizer(state: OptimizerState): Optimizer {
  const c = state.config;
  const rate = (v: unknown) => (v === null || v === undefined ? undefined : scheduleFromSpec(v as ScheduleSpec | number));
  const opt = (v: unknown) => (v === null ? undefined : v);
  try {
    const o = state.type === 'SGD'
      ? new SGD({
        learningRate: rate(c.learningRate), momentum: rate(c.momentum), nesterov: c.nesterov as boolean, dampening: c.dampening as number,
        weightDecay: c.weightDecay as number, decoupledWeightDecay: c.decoupledWeightDecay as boolean, convention: c.convention as 'seed' | 'pytorch',
        clipNorm: opt(c.clipNorm) as number | undefined, clipValue: opt(c.clipValue) as number | undefined,
      })
      : new Adam({
        learningRate: rate(c.learningRate), beta1: c.beta1 as number, beta2: c.beta2 as number, epsilon: c.epsilon as number,
        weightDecay: c.weightDecay as number, clipNorm: opt(c.clipNorm) as number | undefined, clipValue: opt(c.clipValue) as number | undefined,
      });
    o.iterations = state.iterations;
    return o;
  } catch (e) {
    throw new ModelFormatError(`__metadata__.optimizer: ${(e as Error).message}`);
  }
}

/** options.architecture, held to k.sequential's rules for layers and input size: it decides which
 *  tensors the file must hold, so a malformed one must not reach that (or be read differently:
 *  a hand-written layer without `bias` has one, as in k.sequential) */
function architectureOption(a: unknown): SequentialConfig {
  const c = a as SequentialConfig | null;
  if (c === null || typeof c !== 'object' || !Array.isArray(c.layers)) {
    throw new InvalidArgumentError('options.architecture', 'a model config { inputSize, layers } such as model.config', a);
  }
  positiveInt('options.architecture.inputSize', c.inputSize);
  const layers = c.layers.map((l, i) => {
    if (l === null || typeof l !== 'object' || l.type !== 'dense') throw new InvalidArgumentError(`options.architecture.layers[${i}]`, 'a layer made by dense()', l);
    try {
      return dense(l.units, l.activation, { bias: l.bias });
    } catch (e) {
      throw new InvalidArgumentError(`options.architecture.layers[${i}]`, (e as Error).message);
    }
  });
  return { ...c, layers };
}

export function loadModel(kernels: Kernels, bytes: Uint8Array | ArrayBuffer, options: LoadOptions = {}): Loaded {
  if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer)) throw new InvalidArgumentError('bytes', 'a Uint8Array or ArrayBuffer with a safetensors file', bytes);
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'an object', options);
  const given = options.architecture === undefined ? undefined : architectureOption(options.architecture);
  const file = readSafetensors(bytes);
  const arch = file.metadata.architecture !== undefined ? parseArchitecture(file.metadata.architecture) : given;
  if (!arch) throw new ModelFormatError('no architecture in __metadata__; pass { architecture } to load a bare state dict');
  const state = file.metadata.optimizer !== undefined ? parseOptimizer(file.metadata.optimizer) : null;

  // every expected tensor, by name, with its shape and how to turn it into our layout
  const torch = !file.tensors.has('dense_0/kernel') && file.tensors.has('0.weight');
  const idx = torchIndices(arch);
  // shape: in the file's layout; own: in ours (velocities and moments are always stored in ours)
  const expected: Array<{ name: string; shape: number[]; own: number[]; convert: (d: Float32Array) => Float32Array }> = [];
  let inSize = arch.inputSize;
  arch.layers.forEach((l, i) => {
    const units = l.units, n = inSize;
    if (torch) {
      expected.push({ name: `${idx[i]}.weight`, shape: [units, n], own: [n, units], convert: (d) => transpose(d, units, n) });
      if (l.bias) expected.push({ name: `${idx[i]}.bias`, shape: [units], own: [units], convert: (d) => d });
    } else {
      expected.push({ name: `dense_${i}/kernel`, shape: [n, units], own: [n, units], convert: (d) => d });
      if (l.bias) expected.push({ name: `dense_${i}/bias`, shape: [units], own: [units], convert: (d) => d });
    }
    inSize = units;
  });
  const wanted = new Set<string>();
  const take = (name: string, shape: number[]): Float32Array => {
    wanted.add(name);
    const t = file.tensors.get(name);
    if (!t) throw new ModelFormatError(`tensor '${name}' is missing (the architecture needs it)`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ModelFormatError(`tensor '${name}' has shape [${t.shape.join(', ')}], the architecture needs [${shape.join(', ')}]`);
    }
    for (let i = 0; i < t.data.length; i++) if (!Number.isFinite(t.data[i]!)) throw new ModelFormatError(`tensor '${name}' holds a non-finite value (${t.data[i]}) at index ${i}`);
    return t.data;
  };
  const weights = expected.map((e) => e.convert(take(e.name, e.shape)));
  const paramNames: string[] = [];
  arch.layers.forEach((l, i) => { paramNames.push(`dense_${i}/kernel`); if (l.bias) paramNames.push(`dense_${i}/bias`); });
  const velocities = state ? paramNames.map((n, i) => take(`optimizer/${n}/velocity`, expected[i]!.own)) : [];
  const seconds = state?.type === 'Adam' ? paramNames.map((n, i) => take(`optimizer/${n}/second_moment`, expected[i]!.own)) : [];
  for (const name of file.tensors.keys()) if (!wanted.has(name)) throw new ModelFormatError(`unexpected tensor '${name}' (not part of the architecture)`);
  let rngState: number | undefined;
  if (state) {
    const r = Number(file.metadata.rng);
    if (!Number.isInteger(r) || r < 0 || r > 0xffffffff) throw new ModelFormatError('__metadata__.rng is not a generator state');
    rngState = r;
  }
  const optimizer = state ? buildOptimizer(state) : undefined;

  // everything checked: only now does wasm memory get allocated, for tensors the file really holds
  let model: Sequential;
  try {
    model = kernels.sequential(arch);
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw new ModelFormatError(`architecture: ${e.message}`);
    throw e;
  }
  model.setWeights(weights);
  const params = model.parameters();
  velocities.forEach((v, i) => params[i]!.velocity.set(v));
  seconds.forEach((s, i) => { params[i]!.secondPtr(); params[i]!.secondMoment!.set(s); });
  if (optimizer && optimizer.iterations > 0) optimizer.markStepped(params);
  if (rngState !== undefined) model.shuffleState = rngState;
  return optimizer ? { model, optimizer } : { model };
}

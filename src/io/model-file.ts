// Model files: a Sequential ⇄ safetensors bytes. Two layouts:
//  - 'momentum' (default): '<layer>_<i>/<tensor>' in our layouts (dense kernels [in, units], conv
//    kernels [kh, kw, in, filters], batch norm's running statistics too), with the architecture and
//    the library version in __metadata__; with an optimizer, a checkpoint: the optimizer's state for
//    every parameter, its hyperparameters and step count, the model's shuffling RNG state and each
//    dropout layer's stream, so a resumed fit continues bit for bit.
//  - 'torch': the state dict of the matching torch.nn.Sequential (each layer says how it maps, in
//    its LayerType.torch), so PyTorch on NCHW input computes what predict computes on NHWC input.
// save({ format: 'onnx' }) is not a safetensors file: it is handed to onnx.ts.
import type { Sequential, SequentialConfig } from '../model/sequential.js';
import type { SaveOptions } from '../model/options.js';
import type { LayerSpec, Shape, TorchModule } from '../layers/layer.js';
import { layerType } from '../layers/index.js';
import { Optimizer, type OptimizerState } from '../optim/optimizer.js';
import { SGD } from '../optim/sgd.js';
import { Adam } from '../optim/adam.js';
import { scheduleFromSpec, type ScheduleSpec } from '../optim/schedules.js';
import { readSafetensors, writeSafetensors, type Tensor } from './safetensors.js';
import { saveOnnx, type OnnxEncoder } from './onnx.js';
import { InvalidArgumentError, ModelFormatError } from '../util/errors.js';
import { parseStrictJson } from '../util/json.js';
import { VERSION } from '../util/version.js';
import { positiveInt } from '../util/check.js';

export type { SaveOptions };

export interface LoadOptions {
  /** the architecture, for files that do not carry one (e.g. a PyTorch state dict) */
  architecture?: SequentialConfig;
}

export interface Loaded {
  model: Sequential;
  /** present when the file is a checkpoint */
  optimizer?: Optimizer;
  /** the entries saved with `save({ metadata })` (the library's own keys left out) */
  metadata: Record<string, string>;
}

/** the __metadata__ keys the library writes and reads itself; save({ metadata }) may not use them */
export const RESERVED_METADATA_KEYS: readonly string[] = [
  'format', 'library', 'architecture', 'torch_modules', 'optimizer', 'rng', 'layer_rng', 'optimizer_stepped',
];

/** builds a model from a checked architecture (the facade's k.sequential) */
export type BuildModel = (config: SequentialConfig) => Sequential;

/** how an optimizer's state tensors are named in a file (Adam's m kept the name 'velocity') */
const STATE_FILE_NAMES: Record<string, string> = { velocity: 'velocity', m: 'velocity', v: 'second_moment' };

interface ArchJson {
  inputShape: number[];
  layers: LayerSpec[];
  loss: string;
  seed: number;
}

/** every tensor the architecture implies, in the model's order: its file name and shape in our layout */
interface Planned {
  layer: number;
  local: string;
  name: string;
  shape: number[];
  trainable: boolean;
}

/** checks the architecture the way k.sequential does, without allocating: layer specs, shapes, tensors */
function plan(arch: { inputShape: readonly number[]; layers: readonly LayerSpec[] }, where: string): { tensors: Planned[]; inputs: Shape[] } {
  const tensors: Planned[] = [];
  const inputs: Shape[] = [];
  let shape: Shape = arch.inputShape;
  arch.layers.forEach((s, i) => {
    const w = `${where}.layers[${i}]`;
    const { type, spec } = layerType(s, w);
    inputs.push(shape);
    for (const t of type.tensors(spec, shape)) tensors.push({ layer: i, local: t.name, name: `${spec.type}_${i}/${t.name}`, shape: t.shape, trainable: t.trainable });
    shape = type.outputShape(spec, shape, w);
  });
  return { tensors, inputs };
}

/** the torch state dict's entries for the architecture, with the conversion to and from our layouts */
function torchPlan(arch: { inputShape: readonly number[]; layers: readonly LayerSpec[] }) {
  const modules: TorchModule[] = [];
  const out: Array<{ file: string; shape: number[]; ours: string | null; value?: Float32Array; toTorch(d: Float32Array): Float32Array; fromTorch(d: Float32Array): Float32Array }> = [];
  let module = 0;
  let featuresFrom: readonly number[] | null = null;
  let shape: Shape = arch.inputShape;
  arch.layers.forEach((s, i) => {
    const w = `layers[${i}]`;
    const { type, spec } = layerType(s, w);
    const m = type.torch(spec, shape, featuresFrom, w);
    for (const t of m.tensors) {
      out.push({ file: `${module + t.module}.${t.key}`, shape: t.shape, ours: t.ours === null ? null : `${spec.type}_${i}/${t.ours}`, value: t.value, toTorch: t.toTorch, fromTorch: t.fromTorch });
    }
    module += m.modules.length;
    modules.push(...m.modules);
    featuresFrom = m.featuresFrom;
    shape = type.outputShape(spec, shape, w);
  });
  return { tensors: out, modules };
}

/** `encodeOnnx`: the ONNX encoder the facade loaded (or why it could not), for format 'onnx' */
export function saveModel(model: Sequential, options: SaveOptions = {}, encodeOnnx: OnnxEncoder = new Error('no ONNX encoder was given')): Uint8Array {
  model.alive();
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'an object', options);
  const format = options.format ?? 'momentum';
  if (format !== 'momentum' && format !== 'torch' && format !== 'onnx') throw new InvalidArgumentError('options.format', "'momentum', 'torch' or 'onnx'", format);
  const opt = options.optimizer;
  if (opt !== undefined && !(opt instanceof Optimizer)) throw new InvalidArgumentError('options.optimizer', 'an optimizer (SGD or Adam)', opt);
  if (opt !== undefined && format !== 'momentum') throw new InvalidArgumentError('options.optimizer', `no optimizer with format '${format}' (checkpoints use the momentum format)`, 'an optimizer');
  if (format === 'onnx') return saveOnnx(model, userMetadata(options.metadata), encodeOnnx);
  const c = model.config;
  const arch: ArchJson = { inputShape: c.inputShape, layers: c.layers, loss: c.loss, seed: c.seed };
  const metadata: Record<string, string> = { ...userMetadata(options.metadata), format: format === 'torch' ? 'pt' : 'momentum-wasm', library: `momentum-wasm ${VERSION}`, architecture: JSON.stringify(arch) };
  const ours = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const p of model.parameters()) ours.set(p.name, { shape: p.shape.slice(), data: p.values.slice() });
  for (const t of model.stateTensors()) ours.set(t.name, { shape: t.shape.slice(), data: t.block.f32.slice() });
  const tensors: Array<[string, Tensor]> = [];
  if (format === 'torch') {
    const torch = torchPlan(arch);
    // the nn.Sequential to load it into, module by module with its constructor arguments
    metadata.torch_modules = JSON.stringify(torch.modules);
    for (const t of torch.tensors) {
      const data = t.ours === null ? (t.value ?? new Float32Array(Math.max(1, t.shape.reduce((a, b) => a * b, 1)))) : t.toTorch(ours.get(t.ours)!.data);
      tensors.push([t.file, { shape: t.shape, data }]);
    }
  } else {
    for (const [name, t] of ours) tensors.push([name, t]);
  }
  if (opt) {
    const state = opt.snapshot(); // throws for unsaveable (custom-function) schedules before anything is written
    metadata.optimizer = JSON.stringify(state);
    metadata.rng = String(model.shuffleState);
    const streams: Record<string, number> = {};
    model.net.forEach((l, i) => { if (l.rngState !== undefined) streams[String(i)] = l.rngState; });
    if (Object.keys(streams).length > 0) metadata.layer_rng = JSON.stringify(streams);
    // which parameters' state is in use (a PyTorch buffer not yet started begins from the gradient)
    metadata.optimizer_stepped = JSON.stringify(model.parameters().filter((p) => opt.stepped(p)).map((p) => p.name));
    for (const p of model.parameters()) {
      const held = opt.peekState(p);
      opt.stateNames.forEach((s, i) => {
        tensors.push([`optimizer/${p.name}/${STATE_FILE_NAMES[s] ?? s}`, { shape: p.shape.slice(), data: held ? held[i]! : new Float32Array(p.size) }]);
      });
    }
  }
  return writeSafetensors(tensors, metadata);
}

function userMetadata(given: unknown): Record<string, string> {
  if (given === undefined) return {};
  if (given === null || typeof given !== 'object' || Array.isArray(given)) throw new InvalidArgumentError('options.metadata', 'an object of string values', given);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(given)) {
    if (RESERVED_METADATA_KEYS.includes(k)) throw new InvalidArgumentError(`options.metadata.${k}`, `a key other than the library's own (${RESERVED_METADATA_KEYS.join(', ')})`, k);
    if (typeof v !== 'string') throw new InvalidArgumentError(`options.metadata.${k}`, 'a string', v);
    out[k] = v;
  }
  return out;
}

/** a JSON value stored as a __metadata__ string */
function metadataJson(key: string, text: string): unknown {
  try {
    return parseStrictJson(text);
  } catch (e) {
    throw new ModelFormatError(`__metadata__.${key} is not valid JSON: ${(e as Error).message}`);
  }
}

/** the architecture entry: ours, or the 0.1 form ({ inputSize, layers of { units, activation, bias } }) */
function parseArchitecture(text: string): SequentialConfig {
  const o = metadataJson('architecture', text) as (Partial<ArchJson> & { inputSize?: unknown }) | null;
  if (o === null || typeof o !== 'object' || !Array.isArray(o.layers)) throw new ModelFormatError('__metadata__.architecture is not an architecture object');
  const layers = o.layers.map((l) => (l !== null && typeof l === 'object' && !('type' in l) ? { ...(l as object), type: 'dense' } : l)) as LayerSpec[];
  const config: SequentialConfig = { layers, loss: o.loss as 'crossEntropy' | 'mse', seed: o.seed as number };
  try {
    if (o.inputShape !== undefined) {
      const s = o.inputShape;
      if (!Array.isArray(s) || (s.length !== 1 && s.length !== 3)) throw new Error('inputShape: expected [features] or [height, width, channels]');
      s.forEach((d, i) => positiveInt(`inputShape[${i}]`, d));
      return { ...config, inputShape: s };
    }
    return { ...config, inputShape: [positiveInt('inputSize', o.inputSize)] };
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

function parseLayerRng(text: string | undefined, layers: number): Map<number, number> {
  const out = new Map<number, number>();
  if (text === undefined) return out;
  const o = metadataJson('layer_rng', text) as Record<string, unknown> | null;
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new ModelFormatError('__metadata__.layer_rng is not an object of layer streams');
  for (const [k, v] of Object.entries(o)) {
    const i = Number(k);
    if (!Number.isInteger(i) || i < 0 || i >= layers || typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      throw new ModelFormatError(`__metadata__.layer_rng: entry ${JSON.stringify(k)} is not a layer index with a generator state`);
    }
    out.set(i, v);
  }
  return out;
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

/** options.architecture, held to k.sequential's rules: it decides which tensors the file must hold */
function architectureOption(a: unknown): SequentialConfig {
  const c = a as SequentialConfig | null;
  if (c === null || typeof c !== 'object' || !Array.isArray(c.layers)) {
    throw new InvalidArgumentError('options.architecture', 'a model config { inputShape or inputSize, layers } such as model.config', a);
  }
  const inputShape = c.inputShape !== undefined ? c.inputShape : [positiveInt('options.architecture.inputSize', c.inputSize)];
  if (!Array.isArray(inputShape) || !inputShape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new InvalidArgumentError('options.architecture.inputShape', '[features] or [height, width, channels] of positive integers', inputShape);
  }
  plan({ inputShape, layers: c.layers }, 'options.architecture');
  return { ...c, inputShape, inputSize: undefined };
}

export function loadModel(build: BuildModel, bytes: Uint8Array | ArrayBuffer, options: LoadOptions = {}): Loaded {
  if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer)) throw new InvalidArgumentError('bytes', 'a Uint8Array or ArrayBuffer with a safetensors file', bytes);
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'an object', options);
  const given = options.architecture === undefined ? undefined : architectureOption(options.architecture);
  const file = readSafetensors(bytes);
  const arch = file.metadata.architecture !== undefined ? parseArchitecture(file.metadata.architecture) : given;
  if (!arch) throw new ModelFormatError('no architecture in __metadata__; pass { architecture } to load a bare state dict');
  const archShape = { inputShape: arch.inputShape!, layers: arch.layers };
  let planned: Planned[];
  try {
    planned = plan(archShape, 'architecture').tensors;
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw new ModelFormatError(e.message);
    throw e;
  }
  const state = file.metadata.optimizer !== undefined ? parseOptimizer(file.metadata.optimizer) : null;

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

  // every expected tensor, in our layout, by our name
  const values = new Map<string, Float32Array>();
  const first = planned[0];
  const torch = first !== undefined && !file.tensors.has(first.name) && file.tensors.has('0.weight');
  if (torch) {
    for (const t of torchPlan(archShape).tensors) {
      if (t.ours === null) { if (file.tensors.has(t.file)) wanted.add(t.file); continue; }
      values.set(t.ours, t.fromTorch(take(t.file, t.shape)));
    }
  } else {
    for (const t of planned) values.set(t.name, take(t.name, t.shape));
  }
  for (const t of planned) {
    if (t.local === 'running_var') {
      const v = values.get(t.name)!;
      for (let i = 0; i < v.length; i++) if (v[i]! < 0) throw new ModelFormatError(`tensor '${t.name}' holds a negative variance (${v[i]}) at index ${i}`);
    }
  }
  const trainable = planned.filter((t) => t.trainable);
  const optimizer = state ? buildOptimizer(state) : undefined;
  const optState = optimizer ? trainable.map((t) => optimizer.stateNames.map((s) => take(`optimizer/${t.name}/${STATE_FILE_NAMES[s] ?? s}`, t.shape))) : [];
  for (const name of file.tensors.keys()) if (!wanted.has(name)) throw new ModelFormatError(`unexpected tensor '${name}' (not part of the architecture)`);
  let rngState: number | undefined;
  let layerRng = new Map<number, number>();
  let stepped: Set<string> | null = null;
  if (state) {
    const r = Number(file.metadata.rng);
    if (!Number.isInteger(r) || r < 0 || r > 0xffffffff) throw new ModelFormatError('__metadata__.rng is not a generator state');
    rngState = r;
    layerRng = parseLayerRng(file.metadata.layer_rng, arch.layers.length);
    // files of 0.1.0 have no list: every parameter had been stepped once the optimizer had
    if (file.metadata.optimizer_stepped !== undefined) {
      const names = metadataJson('optimizer_stepped', file.metadata.optimizer_stepped);
      const known = new Set(trainable.map((t) => t.name));
      if (!Array.isArray(names) || !names.every((n) => typeof n === 'string' && known.has(n))) {
        throw new ModelFormatError('__metadata__.optimizer_stepped is not a list of the model\'s parameter names');
      }
      stepped = new Set(names as string[]);
    }
  }

  // everything checked: only now does wasm memory get allocated, for tensors the file really holds
  let model: Sequential;
  try {
    model = build(arch);
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw new ModelFormatError(`architecture: ${e.message}`);
    throw e;
  }
  try {
    model.setWeights(trainable.map((t) => values.get(t.name)!));
    for (const s of model.stateTensors()) s.block.f32.set(values.get(s.name)!);
    const params = model.parameters();
    if (optimizer) optState.forEach((ts, i) => optimizer.restoreState(params[i]!, ts, stepped ? stepped.has(params[i]!.name) : optimizer.iterations > 0));
    if (rngState !== undefined) model.shuffleState = rngState;
    for (const [i, s] of layerRng) if (model.net[i]!.rngState !== undefined) model.net[i]!.rngState = s;
  } catch (e) {
    model.dispose();
    optimizer?.dispose();
    throw e;
  }
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(file.metadata)) if (!RESERVED_METADATA_KEYS.includes(k)) metadata[k] = v;
  return optimizer ? { model, optimizer, metadata } : { model, metadata };
}

// What every layer type implements. A layer spec is a plain, frozen, JSON-ready description made
// by a factory (dense(), conv2d(), …); its LayerType turns it into a live Layer on a model's
// memory. The model only chains layers: nothing outside a layer's own file knows what is in it.
//
// Shapes exclude the batch: [features] for vectors, [height, width, channels] for images, whose
// rows are stored NHWC, row-major.
import type { Runtime } from '../runtime/runtime.js';
import type { Parameter } from '../runtime/parameter.js';
import type { Block } from '../runtime/memory.js';
import type { Rng } from '../util/rng.js';

export type Shape = readonly number[];

export interface LayerSpec {
  readonly type: string;
}

/** The pointers (byte offsets) and sizes of one call, set by the model. */
export interface LayerCall {
  rows: number;
  /** input activations, rows × inputShape */
  x: number;
  /** output activations, rows × outputShape (x itself for in-place layers) */
  y: number;
  /** gradient w.r.t. the output; a layer may overwrite it */
  dy: number;
  /** where the gradient w.r.t. the input goes; 0 when nobody needs it (the first layer) */
  dx: number;
  /** this layer's own workspace (workspace(rows).persistent floats), kept from forward to backward */
  work: number;
  /** temporary floats (workspace(rows).scratch) shared by all layers, for the length of one call */
  scratch: number;
  /** batch statistics, dropout masks: training (trainBatch, fit) rather than inference */
  training: boolean;
  /** the last layer under a fused softmax + cross-entropy loss: its softmax is left to the loss,
   *  which writes the gradient w.r.t. the logits */
  logits: boolean;
}

/** A non-trainable tensor a layer keeps (batch norm's running statistics). */
export interface StateTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly block: Block;
}

export interface TensorInfo {
  name: string;
  shape: number[];
  /** a Parameter (stepped by optimizers), or state (running statistics) */
  trainable: boolean;
}

export interface Workspace {
  /** floats kept from forward to backward (masks, argmax indices, batch statistics) */
  persistent: number;
  /** temporary floats for one call, bounded independently of `rows` where the layer can */
  scratch: number;
}

export interface Layer {
  readonly spec: LayerSpec;
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  /** trainable tensors, in getWeights() order; names are '<layer name>/<tensor>' */
  readonly params: readonly Parameter[];
  /** non-trainable tensors: saved and loaded, never stepped by an optimizer */
  readonly state: readonly StateTensor[];
  /** output aliases the input, and the input gradient the output gradient (flatten) */
  readonly inPlace: boolean;
  workspace(rows: number): Workspace;
  forward(rt: Runtime, call: LayerCall): void;
  backward(rt: Runtime, call: LayerCall): void;
  /** after the optimizer committed a training step (the forward of `call` ran with training on):
   *  what the layer keeps from batches (running statistics, its random stream) moves on only here,
   *  so a step that diverges changes nothing */
  commit?(rt: Runtime, call: LayerCall): void;
  /** takes the per-feature mean and (biased) variance of its input over a dataset (model.adapt) */
  adapt?(mean: Float64Array, variance: Float64Array): void;
  /** a random stream the layer draws from while training (dropout); checkpoints store it */
  rngState?: number;
  dispose(): void;
}

/** How one of our tensors maps to PyTorch's nn.Sequential state dict. */
export interface TorchTensor {
  /** which of the layer's modules (0 = its first) holds it */
  module: number;
  /** the key in that module: 'weight', 'bias', 'running_mean', … */
  key: string;
  /** shape in PyTorch's layout */
  shape: number[];
  /** our tensor ('kernel', 'bias', 'gamma', …: the part after '/'), or null for a constant of PyTorch's own */
  ours: string | null;
  /** for a constant of PyTorch's own (ours null): its value, or zeros */
  value?: Float32Array;
  /** our layout → PyTorch's, and back */
  toTorch(d: Float32Array): Float32Array;
  fromTorch(d: Float32Array): Float32Array;
}

/** One module of torch.nn, with the constructor arguments that rebuild it (keyword: value). */
export interface TorchModule {
  type: string;
  args: Record<string, number | boolean | number[]>;
}

export interface TorchMapping {
  /** the nn.Sequential modules this layer becomes, in order (Conv2d, ReLU, …) */
  modules: TorchModule[];
  tensors: TorchTensor[];
  /** for 1-D outputs: the [H, W, C] image their features were flattened from (HWC order), so a
   *  following Linear can permute its inputs to PyTorch's CHW order; null otherwise */
  featuresFrom: readonly number[] | null;
}

/** The layout of a tensor in an exported ONNX graph: ours for images (NHWC, the rows predict
 *  takes), ONNX's (NCHW: what Conv and the pools take), or [batch, features] ('flat'). */
export type OnnxLayout = 'nhwc' | 'nchw' | 'flat';

/** A value of the ONNX graph (by name) and its layout. */
export interface OnnxValue {
  name: string;
  layout: OnnxLayout;
}

/** A node attribute; ONNX tells integers from floats, so the kind is spelled out. */
export type OnnxAttribute = { int: number } | { ints: readonly number[] } | { float: number };

/** What a layer's onnx() writes its part of the graph with. The names given here are local
 *  ('kernel', 'conv'): the graph puts the layer's own name in front ('conv2d_0/kernel'). */
export interface OnnxGraph {
  /** the value flowing into the layer */
  readonly input: OnnxValue;
  /** that image value in the given layout: a Transpose is added (once) where its layout differs */
  inputAs(layout: 'nhwc' | 'nchw'): string;
  /** a float32 initializer of the given dims (a copy of `data` is kept); returns its name */
  constant(name: string, dims: readonly number[], data: Float32Array): string;
  /** a node with one output, named `name`; returns that name */
  node(op: string, inputs: readonly string[], name: string, attributes?: Readonly<Record<string, OnnxAttribute>>): string;
}

export interface LayerType<S extends LayerSpec = LayerSpec> {
  readonly type: S['type'];
  /** the spec again, checked as its factory checks it (a hand-written or loaded object); throws */
  check(o: LayerSpec): S;
  /** throws InvalidArgumentError naming `where` (the layer) and what was expected */
  outputShape(spec: S, input: Shape, where: string): Shape;
  /** the tensors create() will allocate, by local name ('kernel', 'running_mean', …), without allocating */
  tensors(spec: S, input: Shape): TensorInfo[];
  /** allocates the layer's tensors (initialised from rng) for the given input shape */
  create(rt: Runtime, spec: S, input: Shape, name: string, rng: Rng, seed: number): Layer;
  /** PyTorch's view of the layer; featuresFrom as in TorchMapping, of the input */
  torch(spec: S, input: Shape, featuresFrom: readonly number[] | null, where: string): TorchMapping;
  /** writes the layer into an ONNX graph, for inference (predict's computation): `tensors` are the
   *  layer's current values by local name ('kernel', 'running_mean', …) in our layouts; returns
   *  the layer's output and its layout. Throws InvalidArgumentError naming `where` if it cannot. */
  onnx(spec: S, input: Shape, tensors: ReadonlyMap<string, Float32Array>, g: OnnxGraph, where: string): OnnxValue;
}

/** the product of the dimensions (a loop: layers call it in every step, and a reduce callback allocates) */
export function size(s: Shape): number {
  let n = 1;
  for (let i = 0; i < s.length; i++) n *= s[i]!;
  return n;
}

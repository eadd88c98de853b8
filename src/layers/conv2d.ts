// conv2d: y = activation(conv(x, K) + b) on NHWC images, K of shape [kh, kw, inChannels, filters]
// (TensorFlow's layout). Every product runs through the packed GEMM on im2col blocks of output
// positions (position p = (n·OH + oh)·OW + ow over the whole batch):
//   forward        Y[p0:p0+np] = col · K (+ b, relu in the GEMM epilogue)
//   filter grad    dK += colᵀ · dY[p0:p0+np];  db = column sums of dY
//   input grad     dcol = dY[p0:p0+np] · Kᵀ, then scattered back (col2im) into dx
// A 1x1 kernel with stride 1 and no padding needs no im2col: x itself is the column matrix.
// Where blocks of whole images fit (blockPlan), each block runs whole on one thread
// (assembly/conv_blocks.ts) and the filter and bias gradients are sums of per-group partials, in
// group order; else every kernel of every block is split on its own, in one block of at most
// COL_FLOATS floats whatever the batch. One input channel at stride 1 has its own direct kernels.
import { MODE_ACC, MODE_BIAS, MODE_ZERO } from '../runtime/abi.js';
import type { Runtime } from '../runtime/runtime.js';
import type { PartArgs } from '../runtime/dispatch.js';
import { Parameter } from '../runtime/parameter.js';
import { InvalidArgumentError } from '../util/errors.js';
import { positiveInt, oneOf, bool } from '../util/check.js';
import { ACTIVATIONS, activate, activateBackward, initUniform, onnxActivation, torchActivation, type Activation } from './activation.js';
import { pair, imageInput, type Size2 } from './shape-args.js';
import type { Layer, LayerCall, LayerType, Shape } from './layer.js';
import { ELEMENT_GRAIN, columnSums, perElement } from '../runtime/parts.js';
import { GEMM_MIN_MACS_PER_THREAD } from '../runtime/parallel-gemm.js';
import { THREAD_WORK_FLOATS } from '../runtime/dispatch.js';
import { CONV_DESCRIPTOR } from '../runtime/abi-layers.js';
import { Block } from '../runtime/memory.js';

/** the im2col block: 256 KiB, so a block and the GEMM's packed panels stay in L2; two of them are
 *  a thread's work space (the column block and the output block of conv_blocks.ts) */
export const COL_FLOATS = THREAD_WORK_FLOATS / 2;
/** Up to this many filters the forward GEMM runs transposed: with the filters along N most of
 *  each 8- or 12-wide tile would be padding (6 filters: half of it); along M, the tiles are full.
 *  Measured on LeNet's convolutions (6 and 16 filters): 1.5-3x faster; at 64 filters (13x13x32,
 *  3x3) 73-74% of the relaxed peak against 71%, in alternating runs. Wider layers keep A·B. */
const TRANSPOSE_UP_TO = 64;

export type Padding = 'valid' | 'same';

export interface Conv2dSpec {
  readonly type: 'conv2d';
  readonly filters: number;
  readonly kernelSize: readonly [number, number];
  readonly activation: Activation;
  readonly stride: readonly [number, number];
  readonly padding: Padding;
  readonly bias: boolean;
}

export interface Conv2dOptions {
  /** default 1 */
  stride?: Size2;
  /** 'valid' (default: no padding) or 'same' (output ceil(size / stride), padded as TensorFlow: the extra row/column at the bottom/right) */
  padding?: Padding;
  /** default true */
  bias?: boolean;
}

/** A 2-D convolution over [height, width, channels] inputs. */
export function conv2d(filters: number, kernelSize: Size2, activation: Activation = 'linear', options: Conv2dOptions = {}): Conv2dSpec {
  positiveInt('filters', filters);
  const k = pair('kernelSize', kernelSize);
  oneOf('activation', activation, ACTIVATIONS);
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'an object', options);
  const stride = pair('options.stride', options.stride ?? 1);
  const padding = oneOf('options.padding', options.padding ?? 'valid', ['valid', 'same'] as const);
  const bias = bool('options.bias', options.bias ?? true);
  return Object.freeze({ type: 'conv2d', filters, kernelSize: Object.freeze(k), activation, stride: Object.freeze(stride), padding, bias });
}

interface Geometry {
  H: number; W: number; C: number; KH: number; KW: number; SH: number; SW: number;
  PT: number; PL: number; OH: number; OW: number; F: number;
  /** KH·KW·C: the GEMM's depth */
  K: number;
}

/** How a convolution runs as whole blocks, one thread each (assembly/conv_blocks.ts): positions per
 *  block (whole images), blocks per filter-gradient partial, and flags. */
interface BlockPlan { block: number; group: number; flags: number }

/** The block plan, or null where the layer runs kernel by kernel, each split (the one-channel direct
 *  kernels; an image with more positions than one block holds, whose input gradient would come from
 *  two blocks; a thread scratch without the work space). A group's blocks hold at least K positions,
 *  so the partials take no more memory than the layer's output. */
function blockPlan(g: Geometry, workBytes: number): BlockPlan | null {
  const direct = isDirect(g);
  if (isOneChannel(g) || workBytes < THREAD_WORK_FLOATS * 4) return null;
  const per = g.OH * g.OW;
  const fit = Math.floor(COL_FLOATS / Math.max(g.K, g.F));
  if (per > fit) return null;
  const block = fit - (fit % per);
  const flags = (g.F <= TRANSPOSE_UP_TO ? CONV_DESCRIPTOR.TRANSPOSED : 0) | (direct ? CONV_DESCRIPTOR.DIRECT : 0);
  return { block, group: Math.ceil(g.K / block), flags };
}

/** the plan's descriptor, in wasm memory for the block kernels */
function describe(rt: Runtime, g: Geometry, plan: BlockPlan): Block {
  const d = new Block(rt.arena, CONV_DESCRIPTOR.INTS), v = d.i32, D = CONV_DESCRIPTOR;
  v[D.H] = g.H; v[D.W] = g.W; v[D.C] = g.C; v[D.KH] = g.KH; v[D.KW] = g.KW; v[D.SH] = g.SH; v[D.SW] = g.SW;
  v[D.PT] = g.PT; v[D.PL] = g.PL; v[D.OH] = g.OH; v[D.OW] = g.OW; v[D.F] = g.F;
  v[D.BLOCK] = plan.block; v[D.GROUP] = plan.group; v[D.FLAGS] = plan.flags;
  return d;
}

function isDirect(g: Geometry): boolean {
  return g.KH === 1 && g.KW === 1 && g.SH === 1 && g.SW === 1 && g.PT === 0 && g.PL === 0;
}

function isOneChannel(g: Geometry): boolean {
  return g.C === 1 && g.SH === 1 && g.SW === 1 && !isDirect(g);
}

/** TensorFlow's 'same': output ceil(n / s), total padding max((out − 1)·s + k − n, 0), the odd one at the end */
function axis(n: number, k: number, s: number, padding: Padding): { out: number; before: number } | null {
  if (padding === 'same') {
    const out = Math.ceil(n / s);
    return { out, before: Math.floor(Math.max((out - 1) * s + k - n, 0) / 2) };
  }
  if (k > n) return null;
  return { out: Math.floor((n - k) / s) + 1, before: 0 };
}

function geometry(spec: Conv2dSpec, input: Shape, where: string): Geometry {
  const [H, W, C] = imageInput(where, 'conv2d', input);
  const [KH, KW] = spec.kernelSize, [SH, SW] = spec.stride;
  const h = axis(H, KH, SH, spec.padding), w = axis(W, KW, SW, spec.padding);
  if (!h || !w) throw new InvalidArgumentError(where, `a kernel no larger than its input with padding 'valid' (kernel ${KH}x${KW}, input ${H}x${W}; use padding: 'same' or a smaller kernel)`);
  return { H, W, C, KH, KW, SH, SW, PT: h.before, PL: w.before, OH: h.out, OW: w.out, F: spec.filters, K: KH * KW * C };
}

/** the zeros added on each side: TensorFlow's 'same' puts the odd one at the bottom / right, and
 *  'valid' needs none ((OH − 1)·SH + KH ≤ H there) */
function pads(g: Geometry): { top: number; left: number; bottom: number; right: number } {
  const h = Math.max((g.OH - 1) * g.SH + g.KH - g.H, 0), w = Math.max((g.OW - 1) * g.SW + g.KW - g.W, 0);
  return { top: g.PT, left: g.PL, bottom: h - g.PT, right: w - g.PL };
}

/** our kernel [kh, kw, c, f] → PyTorch's and ONNX's [f, c, kh, kw] */
function toOihw(d: Float32Array, { KH, KW, C, F }: Geometry): Float32Array {
  const t = new Float32Array(d.length);
  for (let a = 0; a < KH; a++) for (let b = 0; b < KW; b++) for (let c = 0; c < C; c++) for (let f = 0; f < F; f++) t[((f * C + c) * KH + a) * KW + b] = d[((a * KW + b) * C + c) * F + f]!;
  return t;
}

function fromOihw(t: Float32Array, { KH, KW, C, F }: Geometry): Float32Array {
  const d = new Float32Array(t.length);
  for (let a = 0; a < KH; a++) for (let b = 0; b < KW; b++) for (let c = 0; c < C; c++) for (let f = 0; f < F; f++) d[((a * KW + b) * C + c) * F + f] = t[((f * C + c) * KH + a) * KW + b]!;
  return d;
}

export const CONV2D: LayerType<Conv2dSpec> = {
  type: 'conv2d',
  check: (o) => {
    const s = o as Partial<Conv2dSpec>;
    return conv2d(s.filters as number, s.kernelSize as Size2, s.activation as Activation, { stride: s.stride as Size2, padding: s.padding, bias: s.bias ?? true });
  },
  outputShape(spec, input, where) {
    const g = geometry(spec, input, where);
    return [g.OH, g.OW, g.F];
  },
  tensors: (spec, input) => {
    const g = geometry(spec, input, 'conv2d');
    return [
      { name: 'kernel', shape: [g.KH, g.KW, g.C, g.F], trainable: true },
      ...(spec.bias ? [{ name: 'bias', shape: [g.F], trainable: true }] : []),
    ];
  },
  create(rt, spec, input, name, rng) {
    const g = geometry(spec, input, name);
    const kernel = new Parameter(rt, [g.KH, g.KW, g.C, g.F], `${name}/kernel`);
    let bias: Parameter | null = null;
    try {
      bias = spec.bias ? new Parameter(rt, [g.F], `${name}/bias`) : null;
    } catch (e) {
      kernel.dispose();
      throw e;
    }
    // fans as Keras counts them: the receptive field times the channels in or out
    initUniform(kernel.value, g.K, g.KH * g.KW * g.F, spec.activation, () => rng.next());
    const plan = blockPlan(g, rt.threadScratchBytes - rt.exports.gemm_scratch_bytes());
    let descriptor: Block | null = null;
    if (plan) {
      try {
        descriptor = describe(rt, g, plan);
      } catch (e) {
        kernel.dispose();
        bias?.dispose();
        throw e;
      }
    }
    return new Conv2dLayer(spec, input, g, kernel, bias, rt.exports.conv_c1_pad_floats(g.OH, g.OW, g.KH, g.KW, g.F), plan, descriptor);
  },
  torch(spec, input, _from, where) {
    const g = geometry(spec, input, where);
    const act = torchActivation(spec.activation);
    // PyTorch's padding is symmetric; an odd total ('same') becomes nn.ZeroPad2d((left, right,
    // top, bottom)) in front of a padding-0 Conv2d
    const p = pads(g);
    const symmetric = p.top === p.bottom && p.left === p.right;
    const modules = [
      ...(symmetric ? [] : [{ type: 'ZeroPad2d', args: { padding: [p.left, p.right, p.top, p.bottom] } }]),
      { type: 'Conv2d', args: { in_channels: g.C, out_channels: g.F, kernel_size: [g.KH, g.KW], stride: [g.SH, g.SW], padding: symmetric ? [p.top, p.left] : [0, 0], bias: spec.bias } },
      ...act,
    ];
    const at = symmetric ? 0 : 1;
    const { KH, KW, C, F } = g;
    return {
      modules,
      featuresFrom: null,
      tensors: [
        { module: at, key: 'weight', shape: [F, C, KH, KW], ours: 'kernel', toTorch: (d) => toOihw(d, g), fromTorch: (t) => fromOihw(t, g) },
        ...(spec.bias ? [{ module: at, key: 'bias', shape: [F], ours: 'bias', toTorch: (d: Float32Array) => d.slice(), fromTorch: (d: Float32Array) => d.slice() }] : []),
      ],
    };
  },
  onnx(spec, input, tensors, g, where) {
    const geo = geometry(spec, input, where);
    const p = pads(geo);
    const b = spec.bias ? [g.constant('bias', [geo.F], tensors.get('bias')!)] : [];
    const kernel = g.constant('kernel', [geo.F, geo.C, geo.KH, geo.KW], toOihw(tensors.get('kernel')!, geo));
    // ONNX's pads are [top, left, bottom, right]: explicit, since auto_pad SAME_UPPER is legacy
    const y = g.node('Conv', [g.inputAs('nchw'), kernel, ...b], 'conv', {
      kernel_shape: { ints: [geo.KH, geo.KW] }, strides: { ints: [geo.SH, geo.SW] }, pads: { ints: [p.top, p.left, p.bottom, p.right] },
    });
    // softmax over the channels: NCHW's axis 1
    return { name: onnxActivation(g, spec.activation, y, 1), layout: 'nchw' };
  },
};

class Conv2dLayer implements Layer {
  readonly outputShape: Shape;
  readonly params: readonly Parameter[];
  readonly state = [];
  readonly inPlace = false;
  /** 1x1, stride 1, no padding: the input rows are already the column matrix */
  private readonly direct: boolean;
  /** forward as Yᵀ = Kᵀ·colᵀ (few filters), then transposed back */
  private readonly transposed: boolean;
  /** one input channel at stride 1: the direct kernels of conv_c1.ts for forward and filter gradient */
  private readonly oneChannel: boolean;
  /** output positions per im2col block */
  private readonly block: number;

  /** @param padFloats what the one-channel kernels need for one sample (conv_c1_pad_floats)
   *  @param plan whole blocks on one thread each, described in `descriptor`; null: kernel by kernel */
  constructor(readonly spec: Conv2dSpec, readonly inputShape: Shape, private readonly g: Geometry,
              private readonly kernel: Parameter, private readonly bias: Parameter | null, private readonly padFloats: number,
              private readonly plan: BlockPlan | null, private readonly descriptor: Block | null) {
    this.outputShape = [g.OH, g.OW, g.F];
    this.params = bias ? [kernel, bias] : [kernel];
    this.direct = isDirect(g);
    this.transposed = g.F <= TRANSPOSE_UP_TO;
    this.oneChannel = isOneChannel(g);
    // a multiple of 24 positions fills whole 8- and 12-wide tiles when positions run along N
    this.block = Math.max(1, Math.floor(COL_FLOATS / Math.max(g.K, g.F)));
    if (this.block > 24) this.block -= this.block % 24;
  }

  /** scratch: the im2col block, the transposed output block, the transposed filter gradient; or,
   *  with one channel, the direct kernels' padded sample (or an im2col block for the input
   *  gradient), then each sample's filter gradient */
  workspace(rows: number) {
    const g = this.g;
    // the block kernels' work space is each thread's own; the layer's scratch holds the partials
    if (this.plan) return { persistent: 0, scratch: this.groups(rows) * g.F * (g.K + 1) };
    const general = (this.direct ? 0 : this.block * g.K) + this.block * g.F + g.F * g.K;
    return { persistent: 0, scratch: this.oneChannel ? this.samplePartials() + rows * g.F * (g.K + 1) : general };
  }

  /** where the one-channel layer's per-sample filter gradients start in its scratch (floats) */
  private samplePartials(): number {
    return Math.max(this.padFloats, this.block * this.g.K);
  }

  /** filter-gradient partials of a batch of `rows` (the block plan's) */
  private groups(rows: number): number {
    const plan = this.plan!;
    return Math.ceil(Math.ceil((rows * this.g.OH * this.g.OW) / plan.block) / plan.group);
  }

  /** the column matrix of positions [p0, p0 + np): x itself for a 1x1 kernel, else an im2col block */
  private columns(rt: Runtime, c: LayerCall, p0: number, np: number): number {
    const g = this.g;
    if (this.direct) return c.x + p0 * g.K * 4;
    // each position's row of the block on one thread
    this.c = c; this.p0 = p0;
    rt.parallel('im2col', np, Math.ceil(ELEMENT_GRAIN / g.K), 1, this.im2colPart);
    return c.scratch;
  }

  // The calls being split: what the part functions below read. They are made once, so a training
  // step allocates nothing; a split runs to its end before the next one starts.
  private c: LayerCall | null = null;
  private p0 = 0; private np = 0; private sumGroups = 0; private sumFrom = 0; private col = 0; private first = 0;
  private yt = 0; private rows = 0; private cols = 0; private bias0 = 0; private relu0 = 0; private y = 0; private ldy = 0;

  private readonly blocksForwardPart: PartArgs = (lo, hi, scratch, out, at) => {
    const c = this.c!;
    out[at] = this.descriptor!.ptr; out[at + 1] = c.x; out[at + 2] = c.rows; out[at + 3] = this.kernel.valuePtr; out[at + 4] = this.bias0;
    out[at + 5] = this.relu0; out[at + 6] = c.y; out[at + 7] = lo; out[at + 8] = hi; out[at + 9] = scratch;
    return 10;
  };

  private readonly blocksBackwardPart: PartArgs = (lo, hi, scratch, out, at) => {
    const c = this.c!;
    out[at] = this.descriptor!.ptr; out[at + 1] = c.x; out[at + 2] = c.rows; out[at + 3] = this.kernel.valuePtr; out[at + 4] = c.dy;
    out[at + 5] = c.dx; out[at + 6] = c.scratch; out[at + 7] = lo; out[at + 8] = hi; out[at + 9] = this.bias ? 1 : 0; out[at + 10] = scratch;
    return 11;
  };

  private readonly gradSumPart: PartArgs = (lo, hi, _scratch, out, at) => {
    out[at] = this.sumFrom; out[at + 1] = this.sumGroups; out[at + 2] = this.g.F; out[at + 3] = this.g.K; out[at + 4] = lo; out[at + 5] = hi;
    out[at + 6] = this.kernel.gradPtr; out[at + 7] = this.bias ? this.bias.gradPtr : 0;
    return 8;
  };

  private readonly im2colPart: PartArgs = (lo, hi, _scratch, out, at) => {
    const c = this.c!;
    out[at] = c.x; this.geometryArgs(out, at + 1);
    out[at + 12] = this.p0 + lo; out[at + 13] = hi - lo; out[at + 14] = c.scratch + lo * this.g.K * 4;
    return 15;
  };

  private readonly col2imPart: PartArgs = (lo, hi, _scratch, out, at) => {
    const per = this.g.OH * this.g.OW, p0 = this.p0;
    const q0 = Math.max(p0, (this.first + lo) * per), q1 = Math.min(p0 + this.np, (this.first + hi) * per);
    out[at] = this.col + (q0 - p0) * this.g.K * 4; this.geometryArgs(out, at + 1);
    out[at + 12] = q0; out[at + 13] = q1 - q0; out[at + 14] = this.c!.dx;
    return 15;
  };

  private readonly untransposePart: PartArgs = (lo, hi, _scratch, out, at) => {
    out[at] = this.yt + lo * 4; out[at + 1] = this.rows; out[at + 2] = hi - lo; out[at + 3] = this.cols; out[at + 4] = this.bias0;
    out[at + 5] = this.relu0; out[at + 6] = this.y + lo * this.ldy * 4; out[at + 7] = this.ldy;
    return 8;
  };

  private readonly c1ForwardPart: PartArgs = (lo, hi, scratch, out, at) => {
    const g = this.g, c = this.c!;
    out[at] = c.x + lo * g.H * g.W * 4; out[at + 1] = hi - lo; out[at + 2] = g.H; out[at + 3] = g.W; out[at + 4] = g.KH;
    out[at + 5] = g.KW; out[at + 6] = g.PT; out[at + 7] = g.PL; out[at + 8] = g.OH; out[at + 9] = g.OW; out[at + 10] = g.F;
    out[at + 11] = this.kernel.valuePtr; out[at + 12] = this.bias0; out[at + 13] = this.relu0; out[at + 14] = c.y + lo * g.OH * g.OW * g.F * 4;
    out[at + 15] = scratch;
    return 16;
  };

  private readonly c1FilterGradPart: PartArgs = (lo, hi, scratch, out, at) => {
    const g = this.g, c = this.c!;
    out[at] = c.x; out[at + 1] = g.H; out[at + 2] = g.W; out[at + 3] = g.KH; out[at + 4] = g.KW; out[at + 5] = g.PT;
    out[at + 6] = g.PL; out[at + 7] = g.OH; out[at + 8] = g.OW; out[at + 9] = g.F; out[at + 10] = lo; out[at + 11] = hi;
    out[at + 12] = c.dy; out[at + 13] = c.scratch + this.samplePartials() * 4; out[at + 14] = this.bias ? 1 : 0; out[at + 15] = scratch;
    return 16;
  };

  /** H, W, C, KH, KW, SH, SW, PT, PL, OH, OW: the geometry as im2col and col2im_add take it */
  private geometryArgs(out: Float64Array, at: number): void {
    const g = this.g;
    out[at] = g.H; out[at + 1] = g.W; out[at + 2] = g.C; out[at + 3] = g.KH; out[at + 4] = g.KW; out[at + 5] = g.SH;
    out[at + 6] = g.SW; out[at + 7] = g.PT; out[at + 8] = g.PL; out[at + 9] = g.OH; out[at + 10] = g.OW;
  }

  /** dx += the block's column gradients (positions [p0, p0 + np) in `col`), split at image
   *  boundaries: the pixels of one image get their sums from one thread, in position order */
  private col2im(rt: Runtime, c: LayerCall, col: number, p0: number, np: number): void {
    const g = this.g, per = g.OH * g.OW;
    const first = Math.floor(p0 / per), images = Math.floor((p0 + np - 1) / per) - first + 1;
    this.c = c; this.col = col; this.p0 = p0; this.np = np; this.first = first;
    rt.parallel('col2im_add', images, Math.ceil(ELEMENT_GRAIN / (per * g.K)), 1, this.col2imPart);
  }

  /** Yᵀ block (F x np) back to NHWC rows with bias and relu, split by positions (yt's columns) */
  private untranspose(rt: Runtime, yt: number, rows: number, cols: number, bias: number, relu: number, y: number, ldy: number): void {
    this.yt = yt; this.rows = rows; this.cols = cols; this.bias0 = bias; this.relu0 = relu; this.y = y; this.ldy = ldy;
    rt.parallel('transpose_bias_relu', cols, Math.ceil(ELEMENT_GRAIN / rows), 4, this.untransposePart);
  }

  /** whether each thread's own scratch holds the one-channel kernels' padded sample */
  private padsPerThread(rt: Runtime): boolean {
    return this.padFloats * 4 <= rt.threadScratchBytes;
  }

  /** the one-channel forward, split by samples, each thread padding into its own scratch */
  private forwardOneChannel(rt: Runtime, c: LayerCall, bias: number, relu: number): void {
    const g = this.g, k = rt.exports;
    if (!this.padsPerThread(rt)) {
      k.conv_c1_forward(c.x, c.rows, g.H, g.W, g.KH, g.KW, g.PT, g.PL, g.OH, g.OW, g.F, this.kernel.valuePtr, bias, relu, c.y, c.scratch);
      return;
    }
    const macs = g.OH * g.OW * g.F * g.KH * g.KW;
    this.c = c; this.bias0 = bias; this.relu0 = relu;
    rt.parallel('conv_c1_forward', c.rows, Math.ceil(GEMM_MIN_MACS_PER_THREAD / macs), 1, this.c1ForwardPart);
  }

  /** the one-channel filter gradient: each sample's, split by samples (each thread padding into its
   *  own scratch), then added in sample order, split by kernel taps */
  private filterGradOneChannel(rt: Runtime, c: LayerCall): void {
    const g = this.g, k = rt.exports, partials = c.scratch + this.samplePartials() * 4;
    if (!this.padsPerThread(rt)) {
      k.conv_c1_filter_grad(c.x, g.H, g.W, g.KH, g.KW, g.PT, g.PL, g.OH, g.OW, g.F, 0, c.rows, c.dy, partials, this.bias ? 1 : 0, c.scratch);
    } else {
      const macs = g.OH * g.OW * g.KH * g.KW * g.F;
      this.c = c;
      rt.parallel('conv_c1_filter_grad', c.rows, Math.ceil(GEMM_MIN_MACS_PER_THREAD / macs), 1, this.c1FilterGradPart);
    }
    this.c = c;
    this.sumPartials(rt, partials, c.rows);
  }

  /** where the transposed blocks go, after the im2col block */
  private spare(c: LayerCall): number {
    return c.scratch + (this.direct ? 0 : this.block * this.g.K * 4);
  }

  forward(rt: Runtime, c: LayerCall): void {
    const k = rt.exports, g = this.g, F = g.F, K = g.K, act = this.spec.activation;
    const P = c.rows * g.OH * g.OW;
    const bias = this.bias ? this.bias.valuePtr : 0, relu = act === 'relu' ? 1 : 0;
    if (this.oneChannel) {
      this.forwardOneChannel(rt, c, bias, relu);
      if (!c.logits) activate(rt, act, c.y, P, F);
      return;
    }
    if (this.plan) {
      const blocks = Math.ceil(P / this.plan.block);
      this.c = c; this.bias0 = bias; this.relu0 = relu;
      rt.parallel('conv_blocks_forward', blocks, Math.ceil(GEMM_MIN_MACS_PER_THREAD / (this.plan.block * K * F)), 1, this.blocksForwardPart);
      if (!c.logits) activate(rt, act, c.y, P, F);
      return;
    }
    for (let p0 = 0; p0 < P; p0 += this.block) {
      const np = Math.min(this.block, P - p0);
      const col = this.columns(rt, c, p0, np), y = c.y + p0 * F * 4;
      if (this.transposed) {
        // Yᵀ (F x np) = Kᵀ·colᵀ: K is stored K x F, col np x K
        const yt = this.spare(c);
        rt.gemm(1, 1, F, np, K, this.kernel.valuePtr, F, col, K, yt, np, MODE_ZERO, 0, 0);
        this.untranspose(rt, yt, F, np, bias, relu, y, F);
      } else {
        rt.gemm(0, 0, np, F, K, col, K, this.kernel.valuePtr, F, y, F, this.bias ? MODE_BIAS : MODE_ZERO, bias, relu);
      }
    }
    if (!c.logits) activate(rt, act, c.y, P, F);
  }

  backward(rt: Runtime, c: LayerCall): void {
    const k = rt.exports, g = this.g, F = g.F, K = g.K;
    const P = c.rows * g.OH * g.OW;
    if (!c.logits) activateBackward(rt, this.spec.activation, c.y, c.dy, P, F);
    // the block kernels and the one-channel filter gradient sum the bias gradient with the filters'
    if (this.bias && !this.plan && !this.oneChannel) columnSums(rt, c.dy, P, F, this.bias.gradPtr);
    if (this.plan) {
      this.backwardBlocks(rt, c);
      return;
    }
    if (c.dx && !this.direct) perElement(rt, 'zero_f32', c.rows * g.H * g.W * g.C, c.dx);
    if (this.oneChannel) {
      this.filterGradOneChannel(rt, c);
      // the input gradient needs no im2col of x: dcol = dY·Kᵀ, scattered back block by block
      if (c.dx) {
        for (let p0 = 0; p0 < P; p0 += this.block) {
          const np = Math.min(this.block, P - p0);
          rt.gemm(0, 1, np, K, F, c.dy + p0 * F * 4, F, this.kernel.valuePtr, F, c.scratch, K, MODE_ZERO, 0, 0);
          this.col2im(rt, c, c.scratch, p0, np);
        }
      }
      return;
    }
    // dKᵀ (F x K) = Σ dYᵀ·col over the blocks: the filters along M, the deep sum over positions
    // along K, then one transpose into the gradient
    const dkt = this.spare(c) + this.block * F * 4;
    for (let p0 = 0; p0 < P; p0 += this.block) {
      const np = Math.min(this.block, P - p0);
      const dy = c.dy + p0 * F * 4;
      const col = this.columns(rt, c, p0, np);
      rt.gemm(1, 0, F, K, np, dy, F, col, K, dkt, K, p0 === 0 ? MODE_ZERO : MODE_ACC, 0, 0);
      if (!c.dx) continue;
      if (this.direct) {
        rt.gemm(0, 1, np, K, F, dy, F, this.kernel.valuePtr, F, c.dx + p0 * K * 4, K, MODE_ZERO, 0, 0);
      } else {
        rt.gemm(0, 1, np, K, F, dy, F, this.kernel.valuePtr, F, c.scratch, K, MODE_ZERO, 0, 0);
        this.col2im(rt, c, c.scratch, p0, np);
      }
    }
    this.untranspose(rt, dkt, F, K, 0, 0, this.kernel.gradPtr, F);
  }

  /** the block plan's backward: each group's partial and its images' input gradient on one thread,
   *  then the partials summed in group order into the filter gradient, split by its rows */
  private backwardBlocks(rt: Runtime, c: LayerCall): void {
    const g = this.g, plan = this.plan!, groups = this.groups(c.rows);
    this.c = c;
    const macs = plan.group * plan.block * g.K * g.F;
    rt.parallel('conv_blocks_backward', groups, Math.ceil(GEMM_MIN_MACS_PER_THREAD / macs), 1, this.blocksBackwardPart);
    this.sumPartials(rt, c.scratch, groups);
  }

  /** the filter gradient (and the bias's) = the sum of `count` partials in order, split by columns;
   *  a sum over fewer than 2^16 floats a part stays whole: the partials come from every thread's
   *  cache, and a split of LeNet's 38k took 36 µs against 21 whole */
  private sumPartials(rt: Runtime, partials: number, count: number): void {
    const g = this.g;
    this.sumGroups = count; this.sumFrom = partials;
    rt.parallel('conv_filter_grad_sum', g.K + (this.bias ? 1 : 0), Math.ceil(4 * ELEMENT_GRAIN / (g.F * count)), 4, this.gradSumPart);
  }

  dispose(): void {
    for (const p of this.params) p.dispose();
    this.descriptor?.free();
  }
}

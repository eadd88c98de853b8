// batchNorm: normalises over every axis but the last (channels; features of a vector), then
// scales by gamma and shifts by beta (trainable). Training uses the batch's mean and (biased)
// variance and moves the running statistics, running = momentum·running + (1 − momentum)·batch,
// once the step is committed; predict and evaluate use the running statistics. The running
// statistics are state: saved and loaded, never stepped by an optimizer.
import type { Runtime } from '../runtime/runtime.js';
import { normalizeRows } from '../runtime/parts.js';
import { Parameter } from '../runtime/parameter.js';
import { Block } from '../runtime/memory.js';
import { InvalidArgumentError } from '../util/errors.js';
import { finiteNumber } from '../util/check.js';
import { hwcToChw } from './dense.js';
import { size, type Layer, type LayerCall, type LayerType, type OnnxGraph, type OnnxValue, type Shape, type StateTensor, type TorchMapping } from './layer.js';

export interface BatchNormSpec {
  readonly type: 'batchNorm';
  readonly momentum: number;
  readonly epsilon: number;
}

export interface BatchNormOptions {
  /** weight of the old running statistics; default 0.99 (PyTorch's momentum is 1 − this) */
  momentum?: number;
  /** added to the variance; default 1e-3 */
  epsilon?: number;
}

export function batchNorm(options: BatchNormOptions = {}): BatchNormSpec {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'an object', options);
  const momentum = finiteNumber('options.momentum', options.momentum ?? 0.99, { min: 0, max: 1 });
  const epsilon = finiteNumber('options.epsilon', options.epsilon ?? 1e-3, { min: 0, minExclusive: true });
  return Object.freeze({ type: 'batchNorm', momentum, epsilon });
}

export function channels(input: Shape, where: string): number {
  if (input.length !== 1 && input.length !== 3) throw new InvalidArgumentError(where, `a [features] or [height, width, channels] input for batchNorm (got [${input.join(', ')}])`);
  return input[input.length - 1]!;
}

const same = (d: Float32Array) => d.slice();

export const BATCH_NORM: LayerType<BatchNormSpec> = {
  type: 'batchNorm',
  check: (o) => {
    const s = o as Partial<BatchNormSpec>;
    return batchNorm({ momentum: s.momentum, epsilon: s.epsilon });
  },
  outputShape: (_spec, input, where) => { channels(input, where); return input.slice(); },
  tensors: (_spec, input) => {
    const C = channels(input, 'batchNorm');
    return [
      { name: 'gamma', shape: [C], trainable: true },
      { name: 'beta', shape: [C], trainable: true },
      { name: 'running_mean', shape: [C], trainable: false },
      { name: 'running_var', shape: [C], trainable: false },
    ];
  },
  create(rt, spec, input, name) {
    const C = channels(input, name);
    const made: Array<Parameter | Block> = [];
    try {
      const gamma = new Parameter(rt, [C], `${name}/gamma`); made.push(gamma);
      const beta = new Parameter(rt, [C], `${name}/beta`); made.push(beta);
      const mean = new Block(rt.arena, C); made.push(mean);
      const variance = new Block(rt.arena, C); made.push(variance);
      gamma.value.fill(1);
      variance.f32.fill(1);
      return new BatchNormLayer(spec, input, C, gamma, beta, [
        { name: `${name}/running_mean`, shape: [C], block: mean },
        { name: `${name}/running_var`, shape: [C], block: variance },
      ]);
    } catch (e) {
      for (const m of made) if (m instanceof Parameter) m.dispose(); else m.free();
      throw e;
    }
  },
  torch: (spec, input, from) => torchBatchNorm(input, from, spec.epsilon, 1 - spec.momentum, { weight: 'gamma', bias: 'beta' }),
  onnx: (spec, input, tensors, g, where) => onnxStandardize(g, channels(input, where), tensors, spec.epsilon, { gamma: 'gamma', beta: 'beta' }),
};

/**
 * y = (x − mean) · gamma / √(variance + ε) + beta per channel, in ONNX nodes, in whatever layout
 * flows in: our tensors (by local name in `tensors`) broadcast against the last axis ([C]), or
 * against NCHW's axis 1 ([C, 1, 1]). It is batchnorm_forward's formula, (x − mean) first, rather
 * than ONNX's BatchNormalization: ONNX Runtime folds that into x·s + (beta − mean·s), which
 * cancels when |mean| ≫ std (measured: 1.3e-4 off at mean 5000, variance 4). ε is an initializer
 * of its own, the float32 the kernel gets; without `affine` (normalization) gamma is 1, beta 0.
 */
export function onnxStandardize(g: OnnxGraph, C: number, tensors: ReadonlyMap<string, Float32Array>, eps: number,
                                affine: { gamma: string; beta: string } | null, stats = { mean: 'running_mean', variance: 'running_var' }): OnnxValue {
  const layout = g.input.layout;
  const dims = layout === 'nchw' ? [C, 1, 1] : [C];
  const t = (name: string) => g.constant(name, dims, tensors.get(name)!);
  const std = g.node('Sqrt', [g.node('Add', [t(stats.variance), g.constant('epsilon', [], Float32Array.of(eps))], 'variance_plus_epsilon')], 'std');
  const centered = g.node('Sub', [g.input.name, t(stats.mean)], 'centered');
  if (!affine) return { name: g.node('Div', [centered, std], 'normalized'), layout };
  const scale = g.node('Div', [t(affine.gamma), std], 'scale');
  return { name: g.node('Add', [g.node('Mul', [centered, scale], 'scaled'), t(affine.beta)], 'shifted'), layout };
}

/**
 * PyTorch's BatchNorm2d (images) or BatchNorm1d (vectors) for per-channel statistics of ours
 * (`stats`: running_mean and running_var by default): `weight` and `bias` are our tensors, or constants (ones, zeros)
 * where the layer has none. A vector flattened from an image keeps our HWC order, so its
 * per-feature tensors are permuted to PyTorch's CHW order.
 */
export function torchBatchNorm(input: Shape, from: readonly number[] | null, eps: number, momentum: number,
                               affine: { weight: string; bias: string } | null, stats = { mean: 'running_mean', variance: 'running_var' }): TorchMapping {
  const C = channels(input, 'batchNorm');
  const perm = input.length === 1 && from ? hwcToChw(from) : null;
  const toTorch = perm ? (d: Float32Array) => { const t = new Float32Array(d.length); perm.forEach((j, i) => { t[j] = d[i]!; }); return t; } : same;
  const fromTorch = perm ? (t: Float32Array) => { const d = new Float32Array(t.length); perm.forEach((j, i) => { d[i] = t[j]!; }); return d; } : same;
  const t = (key: string, ours: string | null, value?: number) => ({
    module: 0, key, shape: [C], ours, toTorch, fromTorch, ...(value === undefined ? {} : { value: new Float32Array(C).fill(value) }),
  });
  return {
    modules: [{ type: input.length === 3 ? 'BatchNorm2d' : 'BatchNorm1d', args: { num_features: C, eps, momentum } }],
    featuresFrom: from,
    tensors: [
      affine ? t('weight', affine.weight) : t('weight', null, 1), affine ? t('bias', affine.bias) : t('bias', null, 0),
      t('running_mean', stats.mean), t('running_var', stats.variance),
      { module: 0, key: 'num_batches_tracked', shape: [], ours: null, toTorch: same, fromTorch: same },
    ],
  };
}

class BatchNormLayer implements Layer {
  readonly outputShape: Shape;
  readonly params: readonly Parameter[];
  readonly inPlace = false;
  /** positions per row: every one is normalised by its channel's statistics */
  private readonly perRow: number;
  constructor(readonly spec: BatchNormSpec, readonly inputShape: Shape, private readonly C: number,
              private readonly gamma: Parameter, private readonly beta: Parameter, readonly state: readonly StateTensor[]) {
    this.outputShape = inputShape.slice();
    this.params = [gamma, beta];
    this.perRow = size(inputShape) / C;
  }

  /** the batch's mean and variance, C floats each */
  workspace() {
    return { persistent: 2 * this.C, scratch: 0 };
  }

  forward(rt: Runtime, c: LayerCall): void {
    const k = rt.exports, C = this.C, M = c.rows * this.perRow;
    let mean = this.state[0]!.block.ptr, variance = this.state[1]!.block.ptr;
    if (c.training) {
      mean = c.work; variance = c.work + C * 4;
      k.batchnorm_stats(c.x, M, C, mean, variance);
    }
    normalizeRows(rt, c.x, M, C, mean, variance, this.gamma.valuePtr, this.beta.valuePtr, this.spec.epsilon, c.y);
  }

  backward(rt: Runtime, c: LayerCall): void {
    const C = this.C, M = c.rows * this.perRow;
    // without a consumer for dx the kernel may write it over dy
    rt.exports.batchnorm_backward(c.x, c.dy, M, C, c.work, c.work + C * 4, this.gamma.valuePtr, this.spec.epsilon,
      c.dx || c.dy, this.gamma.gradPtr, this.beta.gradPtr);
  }

  commit(rt: Runtime, c: LayerCall): void {
    rt.exports.batchnorm_running(this.state[0]!.block.ptr, this.state[1]!.block.ptr, c.work, c.work + this.C * 4, this.C, this.spec.momentum);
  }

  dispose(): void {
    for (const p of this.params) p.dispose();
    for (const s of this.state) s.block.free();
  }
}

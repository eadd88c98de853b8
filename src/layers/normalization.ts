// normalization: standardises every feature (the last axis: features of a vector, channels of an
// image) by a mean and variance that are part of the model: y = (x − mean) / √(variance + ε).
// They are state, not parameters: given to normalization({ mean, variance }), or measured from
// data by model.adapt(x), saved in the file, never stepped by an optimizer. Until then the layer
// is the identity (mean 0, variance 1). Its gradient is dy / √(variance + ε), per feature.
import type { Runtime } from '../runtime/runtime.js';
import { normalizeRows } from '../runtime/parts.js';
import { Block } from '../runtime/memory.js';
import { InvalidArgumentError } from '../util/errors.js';
import { channels, onnxStandardize, torchBatchNorm } from './batch-norm.js';
import { size, type Layer, type LayerCall, type LayerType, type Shape, type StateTensor } from './layer.js';

/** added to the variance, so a constant feature (variance 0) maps to 0 rather than NaN */
export const NORMALIZATION_EPSILON = 1e-7;

export interface NormalizationSpec {
  readonly type: 'normalization';
}

export interface NormalizationOptions {
  /** per feature (or one number for all); default: 0 until model.adapt(x) */
  mean?: ArrayLike<number> | number;
  /** per feature (or one number for all), ≥ 0; default: 1 until model.adapt(x) */
  variance?: ArrayLike<number> | number;
}

/** the values a spec starts from: kept off the JSON (the file stores them as tensors) */
const INITIAL = new WeakMap<NormalizationSpec, { mean?: Float64Array | number; variance?: Float64Array | number }>();

function values(name: string, v: ArrayLike<number> | number | undefined, nonNegative: boolean): Float64Array | number | undefined {
  if (v === undefined) return undefined;
  const ok = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && (!nonNegative || n >= 0);
  const expected = `a finite number${nonNegative ? ' >= 0' : ''} or an array of them`;
  if (typeof v === 'number') { if (!ok(v)) throw new InvalidArgumentError(name, expected, v); return v; }
  if (v === null || typeof v !== 'object' || typeof (v as ArrayLike<number>).length !== 'number' || v.length === 0) throw new InvalidArgumentError(name, expected, v);
  const a = Float64Array.from(v);
  a.forEach((n, i) => { if (!ok(n)) throw new InvalidArgumentError(`${name}[${i}]`, expected.replace(' or an array of them', ''), n); });
  return a;
}

/** Standardises each feature: (x − mean) / √(variance + 1e-7), with mean and variance given here or adapted from data. */
export function normalization(options: NormalizationOptions = {}): NormalizationSpec {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'an object', options);
  const mean = values('options.mean', options.mean, false), variance = values('options.variance', options.variance, true);
  const spec: NormalizationSpec = Object.freeze({ type: 'normalization' });
  if (mean !== undefined || variance !== undefined) INITIAL.set(spec, { mean, variance });
  return spec;
}

function initial(spec: NormalizationSpec, C: number, where: string): { mean: Float64Array; variance: Float64Array } {
  const given = INITIAL.get(spec) ?? {};
  const fill = (name: string, v: Float64Array | number | undefined, fallback: number) => {
    if (v === undefined) return new Float64Array(C).fill(fallback);
    if (typeof v === 'number') return new Float64Array(C).fill(v);
    if (v.length !== C) throw new InvalidArgumentError(where, `${C} values of ${name} (one per feature of the input [..., ${C}])`, `${v.length}`);
    return v;
  };
  return { mean: fill('mean', given.mean, 0), variance: fill('variance', given.variance, 1) };
}

export const NORMALIZATION: LayerType<NormalizationSpec> = {
  type: 'normalization',
  check: (o) => {
    const given = INITIAL.get(o as NormalizationSpec);
    return normalization(given ? { mean: given.mean, variance: given.variance } : {});
  },
  outputShape: (spec, input, where) => { initial(spec, channels(input, where), where); return input.slice(); },
  tensors: (_spec, input) => {
    const C = channels(input, 'normalization');
    return [{ name: 'mean', shape: [C], trainable: false }, { name: 'variance', shape: [C], trainable: false }];
  },
  create(rt, spec, input, name) {
    const C = channels(input, name);
    const init = initial(spec, C, name);
    const made: Block[] = [];
    try {
      const mk = () => { const b = new Block(rt.arena, C); made.push(b); return b; };
      const mean = mk(), variance = mk(), ones = mk(), zeros = mk();
      mean.f32.set(init.mean);
      variance.f32.set(init.variance);
      ones.f32.fill(1);
      return new NormalizationLayer(spec, input, C, [
        { name: `${name}/mean`, shape: [C], block: mean },
        { name: `${name}/variance`, shape: [C], block: variance },
      ], ones, zeros);
    } catch (e) {
      for (const b of made) b.free();
      throw e;
    }
  },
  // eval-mode batch norm with weight 1 and bias 0 computes exactly this
  torch: (_spec, input, from) => torchBatchNorm(input, from, NORMALIZATION_EPSILON, 0, null, { mean: 'mean', variance: 'variance' }),
  onnx: (_spec, input, tensors, g, where) => onnxStandardize(g, channels(input, where), tensors, NORMALIZATION_EPSILON, null, { mean: 'mean', variance: 'variance' }),
};

class NormalizationLayer implements Layer {
  readonly outputShape: Shape;
  readonly params = [];
  readonly inPlace = false;
  private readonly perRow: number;
  constructor(readonly spec: NormalizationSpec, readonly inputShape: Shape, private readonly C: number, readonly state: readonly StateTensor[],
              private readonly ones: Block, private readonly zeros: Block) {
    this.outputShape = inputShape.slice();
    this.perRow = size(inputShape) / C;
  }

  workspace() {
    return { persistent: 0, scratch: 0 };
  }

  forward(rt: Runtime, c: LayerCall): void {
    normalizeRows(rt, c.x, c.rows * this.perRow, this.C, this.state[0]!.block.ptr, this.state[1]!.block.ptr,
      this.ones.ptr, this.zeros.ptr, NORMALIZATION_EPSILON, c.y);
  }

  /** dx = dy / √(variance + ε): the forward's formula with mean 0 applied to dy */
  backward(rt: Runtime, c: LayerCall): void {
    if (!c.dx) return;
    normalizeRows(rt, c.dy, c.rows * this.perRow, this.C, this.zeros.ptr, this.state[1]!.block.ptr,
      this.ones.ptr, this.zeros.ptr, NORMALIZATION_EPSILON, c.dx);
  }

  /** the statistics of this layer's input over a whole dataset, measured by model.adapt */
  adapt(mean: Float64Array, variance: Float64Array): void {
    this.state[0]!.block.f32.set(mean);
    this.state[1]!.block.f32.set(variance);
  }

  dispose(): void {
    for (const s of this.state) s.block.free();
    this.ones.free();
    this.zeros.free();
  }
}

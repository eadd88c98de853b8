// dense: y = activation(x · W + b), W of shape [inputs, units]. Forward is one GEMM with bias and
// relu in its epilogue; backward dW = xᵀ·dz, db = column sums of dz, dx = dz·Wᵀ.
import { MODE_BIAS, MODE_ZERO } from '../runtime/abi.js';
import { Parameter } from '../runtime/parameter.js';
import { columnSums } from '../runtime/parts.js';
import { gemmCutInDepth, splitsDepth } from '../runtime/split-depth.js';
import { InvalidArgumentError } from '../util/errors.js';
import { positiveInt, oneOf, bool } from '../util/check.js';
import { ACTIVATIONS, activate, activateBackward, initUniform, onnxActivation, torchActivation, type Activation } from './activation.js';
import type { Runtime } from '../runtime/runtime.js';
import { size, type Layer, type LayerCall, type LayerType, type Shape } from './layer.js';

export interface DenseSpec {
  readonly type: 'dense';
  readonly units: number;
  readonly activation: Activation;
  readonly bias: boolean;
}

/** A fully connected layer: y = activation(x · W + b), W of shape [inputs, units]. */
export function dense(units: number, activation: Activation = 'linear', options: { bias?: boolean } = {}): DenseSpec {
  positiveInt('units', units);
  oneOf('activation', activation, ACTIVATIONS);
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'an object', options);
  const bias = bool('options.bias', options.bias ?? true);
  return Object.freeze({ type: 'dense', units, activation, bias });
}

export const DENSE: LayerType<DenseSpec> = {
  type: 'dense',
  check: (o) => {
    const s = o as Partial<DenseSpec>;
    return dense(s.units as number, s.activation as Activation, { bias: s.bias ?? true });
  },
  outputShape(spec, input, where) {
    if (input.length !== 1) {
      throw new InvalidArgumentError(where, `a 1-D input for dense (got shape [${input.join(', ')}]: put flatten() before it)`);
    }
    return [spec.units];
  },
  tensors: (spec, input) => [
    { name: 'kernel', shape: [size(input), spec.units], trainable: true },
    ...(spec.bias ? [{ name: 'bias', shape: [spec.units], trainable: true }] : []),
  ],
  create(rt, spec, input, name, rng) {
    const inSize = size(input), units = spec.units;
    const kernel = new Parameter(rt, [inSize, units], `${name}/kernel`);
    let bias: Parameter | null = null;
    try {
      bias = spec.bias ? new Parameter(rt, [units], `${name}/bias`) : null;
    } catch (e) {
      kernel.dispose();
      throw e;
    }
    initUniform(kernel.value, inSize, units, spec.activation, () => rng.next());
    return new DenseLayer(spec, input, inSize, kernel, bias);
  },
  torch(spec, input, featuresFrom) {
    const inSize = size(input), units = spec.units;
    const act = torchActivation(spec.activation);
    // PyTorch flattens NCHW as C, H, W: input feature (h, w, c) of ours is its (c, h, w)
    const perm = featuresFrom ? hwcToChw(featuresFrom) : null;
    return {
      modules: [{ type: 'Linear', args: { in_features: inSize, out_features: units, bias: spec.bias } }, ...act],
      featuresFrom: null,
      tensors: [
        {
          module: 0, key: 'weight', shape: [units, inSize], ours: 'kernel',
          toTorch: (d) => { const t = new Float32Array(d.length); for (let i = 0; i < inSize; i++) for (let u = 0; u < units; u++) t[u * inSize + (perm ? perm[i]! : i)] = d[i * units + u]!; return t; },
          fromTorch: (t) => { const d = new Float32Array(t.length); for (let i = 0; i < inSize; i++) for (let u = 0; u < units; u++) d[i * units + u] = t[u * inSize + (perm ? perm[i]! : i)]!; return d; },
        },
        ...(spec.bias ? [{ module: 0, key: 'bias', shape: [units], ours: 'bias', toTorch: (d: Float32Array) => d.slice(), fromTorch: (d: Float32Array) => d.slice() }] : []),
      ],
    };
  },
  onnx(spec, input, tensors, g) {
    // the input is [batch, features] in our order (flatten keeps HWC), so the kernel, [inputs,
    // units], is Gemm's B as it is
    const b = spec.bias ? [g.constant('bias', [spec.units], tensors.get('bias')!)] : [];
    const z = g.node('Gemm', [g.input.name, g.constant('kernel', [size(input), spec.units], tensors.get('kernel')!), ...b], 'gemm');
    return { name: onnxActivation(g, spec.activation, z, 1), layout: 'flat' };
  },
};

/** perm[i]: where feature i of an HWC-flattened [H, W, C] image sits in CHW order */
export function hwcToChw(shape: readonly number[]): Int32Array {
  const [H, W, C] = shape as [number, number, number];
  const perm = new Int32Array(H * W * C);
  for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) perm[(h * W + w) * C + c] = (c * H + h) * W + w;
  return perm;
}

class DenseLayer implements Layer {
  readonly outputShape: Shape;
  readonly params: readonly Parameter[];
  readonly state = [];
  readonly inPlace = false;
  constructor(readonly spec: DenseSpec, readonly inputShape: Shape, private readonly inSize: number,
              private readonly kernel: Parameter, private readonly bias: Parameter | null) {
    this.outputShape = [spec.units];
    this.params = bias ? [kernel, bias] : [kernel];
  }

  workspace(rows: number) {
    // a deep product's second half (split-depth.ts)
    return { persistent: 0, scratch: splitsDepth(this.inSize) ? rows * this.spec.units : 0 };
  }

  forward(rt: Runtime, c: LayerCall): void {
    const units = this.spec.units, act = this.spec.activation;
    const mode = this.bias ? MODE_BIAS : MODE_ZERO, bias = this.bias ? this.bias.valuePtr : 0, relu = act === 'relu' ? 1 : 0;
    // bias and relu run in the GEMM's epilogue (or in the addition of a deep product's halves); the
    // other activations are one pass after it
    if (splitsDepth(this.inSize)) gemmCutInDepth(rt, c.rows, units, this.inSize, c.x, this.kernel.valuePtr, c.y, mode, bias, relu, c.scratch);
    else rt.gemm(0, 0, c.rows, units, this.inSize, c.x, this.inSize, this.kernel.valuePtr, units, c.y, units, mode, bias, relu);
    if (!c.logits) activate(rt, act, c.y, c.rows, units);
  }

  backward(rt: Runtime, c: LayerCall): void {
    const units = this.spec.units, inSize = this.inSize;
    if (!c.logits) activateBackward(rt, this.spec.activation, c.y, c.dy, c.rows, units);
    rt.gemm(1, 0, inSize, units, c.rows, c.x, inSize, c.dy, units, this.kernel.gradPtr, units, MODE_ZERO, 0, 0);
    if (this.bias) columnSums(rt, c.dy, c.rows, units, this.bias.gradPtr);
    if (c.dx) rt.gemm(0, 1, c.rows, inSize, units, c.dy, units, this.kernel.valuePtr, units, c.dx, inSize, MODE_ZERO, 0, 0);
  }

  dispose(): void {
    for (const p of this.params) p.dispose();
  }
}

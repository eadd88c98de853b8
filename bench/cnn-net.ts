// The bench's convolutional network (LeNet-5 on MNIST digits), its exact FLOP count from the
// shapes, and the conv layers whose GFLOP/s the bench reports. Pure: no kernels, no timing.
//   conv 6 5x5 'same' relu → max pool 2 → conv 16 5x5 'valid' relu → max pool 2 → flatten
//   → dense 120 relu → dense 84 relu → dense 10 softmax; input 28x28x1, batch 64, SGD lr 0.01 momentum 0.9
import { conv2d, dense, flatten, maxPool2d, type LayerSpec } from '../src/index.js';
import { layerType } from '../src/layers/index.js';
import type { Conv2dSpec } from '../src/layers/conv2d.js';

export const CNN_INPUT = [28, 28, 1] as const;
export const CNN_BATCH = 64;
export const CNN_LR = 0.01;
export const CNN_MOMENTUM = 0.9;
export const CNN_LABEL = 'LeNet-5, 28x28x1';
export const CNN_LAYERS_LABEL = 'conv 6@5x5 same relu → max pool 2 → conv 16@5x5 valid relu → max pool 2 → flatten → dense 120 relu → dense 84 relu → dense 10 softmax';

export function cnnLayers(): LayerSpec[] {
  return [
    conv2d(6, 5, 'relu', { padding: 'same' }),
    maxPool2d(2),
    conv2d(16, 5, 'relu'),
    maxPool2d(2),
    flatten(),
    dense(120, 'relu'),
    dense(84, 'relu'),
    dense(10, 'softmax'),
  ];
}

/** One GEMM-shaped layer's products per sample: P output positions, depth K, F outputs. */
export interface LayerFlops {
  name: string;
  /** output positions per sample (1 for dense) */
  P: number;
  /** the dot products' depth: KH·KW·C for conv, inputs for dense */
  K: number;
  /** filters or units */
  F: number;
  /** 2·P·K·F: forward; the filter (weight) gradient and the input gradient cost the same each */
  perProduct: number;
  /** whether training computes this layer's input gradient (not for the first layer with weights) */
  inputGradient: boolean;
}

export interface NetFlops {
  layers: LayerFlops[];
  /** forward, per sample */
  forward: number;
  /** forward + weight gradients + input gradients (all but the first layer's), per sample */
  training: number;
  /** what is counted */
  counted: string;
}

/**
 * Multiply-adds (2 FLOPs each) of every conv2d and dense layer, from the shapes the library itself
 * derives (each LayerType's outputShape). Bias adds, activations, pooling and the loss are left out:
 * about 1% on this network.
 */
export function netFlops(inputShape: readonly number[], layers: readonly LayerSpec[]): NetFlops {
  let shape: readonly number[] = inputShape;
  const out: LayerFlops[] = [];
  layers.forEach((s, i) => {
    const { type, spec } = layerType(s, `layers[${i}]`);
    const next = type.outputShape(spec, shape, `layers[${i}]`);
    if (spec.type === 'conv2d') {
      const c = spec as Conv2dSpec;
      const [OH, OW, F] = next as [number, number, number];
      const K = c.kernelSize[0] * c.kernelSize[1] * shape[2]!;
      out.push({ name: `conv2d_${i} ${c.filters}@${c.kernelSize.join('x')} ${c.padding}`, P: OH * OW, K, F, perProduct: 2 * OH * OW * K * F, inputGradient: out.length > 0 });
    } else if (spec.type === 'dense') {
      const K = shape.reduce((a, b) => a * b, 1), F = next[0]!;
      out.push({ name: `dense_${i} ${F}`, P: 1, K, F, perProduct: 2 * K * F, inputGradient: out.length > 0 });
    }
    shape = next;
  });
  const forward = out.reduce((a, l) => a + l.perProduct, 0);
  const training = out.reduce((a, l) => a + l.perProduct * (l.inputGradient ? 3 : 2), 0);
  return { layers: out, forward, training, counted: 'multiply-adds of the conv and dense layers (2 FLOPs each): forward, weight gradients, and input gradients of all but the first layer; bias, activations, pooling and the loss not counted' };
}

/** A conv layer measured alone: batch 64, the three products timed separately (bench/conv-layers.ts). */
export interface ConvCase {
  name: string;
  input: readonly [number, number, number];
  filters: number;
  kernel: number;
  padding: 'same' | 'valid';
  /** the target applies (>= 70% of the in-run peak, relaxed build) */
  target: boolean;
  /** said under the table */
  note?: string;
}

export const CONV_CASES: readonly ConvCase[] = [
  { name: 'LeNet conv 1: 28x28x1, 6@5x5 same', input: [28, 28, 1], filters: 6, kernel: 5, padding: 'same', target: false,
    note: 'Training the CNN skips this layer\'s input gradient, which nothing below it needs; it is measured here for the table' },
  { name: 'LeNet conv 2: 14x14x6, 16@5x5 valid', input: [14, 14, 6], filters: 16, kernel: 5, padding: 'valid', target: false },
  { name: 'wider: 13x13x32, 64@3x3 valid', input: [13, 13, 32], filters: 64, kernel: 3, padding: 'valid', target: true },
];

/** P (positions over the whole batch), K and F of a conv case, and 2·P·K·F */
export function convCaseFlops(c: ConvCase, batch = CNN_BATCH): { P: number; K: number; F: number; flops: number; outShape: [number, number, number] } {
  const spec = conv2d(c.filters, c.kernel, 'relu', { padding: c.padding });
  const f = netFlops(c.input, [spec]).layers[0]!;
  const { type } = layerType(spec, c.name);
  const outShape = type.outputShape(spec, c.input, c.name) as [number, number, number];
  return { P: batch * f.P, K: f.K, F: f.F, flops: batch * f.perProduct, outShape };
}

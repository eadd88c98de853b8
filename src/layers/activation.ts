// The activations a dense or conv2d layer applies to its output, in place, and their derivatives
// from that output (enough for every activation here, so the pre-activation is never kept).
import type { Runtime } from '../runtime/runtime.js';
import { perElement, perRow } from '../runtime/parts.js';
import type { OnnxGraph, TorchModule } from './layer.js';

export const ACTIVATIONS = ['relu', 'sigmoid', 'tanh', 'linear', 'softmax'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** y = act(y) over rows × cols (softmax along each row of cols); relu runs in the GEMM epilogue */
export function activate(rt: Runtime, act: Activation, y: number, rows: number, cols: number): void {
  const n = rows * cols;
  switch (act) {
    case 'sigmoid': perElement(rt, 'sigmoid_forward', n, y, y); break;
    case 'tanh': perElement(rt, 'tanh_forward', n, y, y); break;
    case 'softmax': perRow(rt, 'softmax_forward', rows, cols, y, y); break;
    case 'relu': case 'linear': break;
  }
}

/** d (dL/dy) becomes dL/dz in place, from the layer's output y */
export function activateBackward(rt: Runtime, act: Activation, y: number, d: number, rows: number, cols: number): void {
  const n = rows * cols;
  switch (act) {
    case 'relu': perElement(rt, 'relu_backward', n, y, d, d); break;
    case 'sigmoid': perElement(rt, 'sigmoid_backward', n, y, d, d); break;
    case 'tanh': perElement(rt, 'tanh_backward', n, y, d, d); break;
    case 'softmax': perRow(rt, 'softmax_backward', rows, cols, y, d, d); break;
    case 'linear': break;
  }
}

/** PyTorch's module for the activation (softmax over the last axis: features, or channels of NCHW's dim 1), or none for linear */
export function torchActivation(act: Activation, channelsDim = 1): TorchModule[] {
  if (act === 'linear') return [];
  const type = { relu: 'ReLU', sigmoid: 'Sigmoid', tanh: 'Tanh', softmax: 'Softmax' }[act];
  return [{ type, args: act === 'softmax' ? { dim: channelsDim } : {} }];
}

/** the activation as an ONNX node on `x` (softmax along `axis`: 1, the features of [batch, features]
 *  or the channels of NCHW); linear adds none and gives `x` back */
export function onnxActivation(g: OnnxGraph, act: Activation, x: string, axis: number): string {
  if (act === 'linear') return x;
  const op = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh', softmax: 'Softmax' }[act];
  return g.node(op, [x], act, act === 'softmax' ? { axis: { int: axis } } : {});
}

/** He uniform for relu (limit √(6/fanIn)), Glorot uniform otherwise (limit √(6/(fanIn+fanOut))) */
export function initUniform(w: Float32Array, fanIn: number, fanOut: number, act: Activation, next: () => number): void {
  const limit = act === 'relu' ? Math.sqrt(6 / fanIn) : Math.sqrt(6 / (fanIn + fanOut));
  for (let i = 0; i < w.length; i++) w[i] = (2 * next() - 1) * limit;
}

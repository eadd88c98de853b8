// The activations a dense or conv2d layer applies to its output, in place, and their derivatives
// from that output (enough for every activation here, so the pre-activation is never kept).
import type { KernelExports } from '../runtime/abi.js';
import type { OnnxGraph, TorchModule } from './layer.js';

export const ACTIVATIONS = ['relu', 'sigmoid', 'tanh', 'linear', 'softmax'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** y = act(y) over rows × cols (softmax along each row of cols); relu runs in the GEMM epilogue */
export function activate(k: KernelExports, act: Activation, y: number, rows: number, cols: number): void {
  const n = rows * cols;
  switch (act) {
    case 'sigmoid': k.sigmoid_forward(y, y, n); break;
    case 'tanh': k.tanh_forward(y, y, n); break;
    case 'softmax': k.softmax_forward(y, y, rows, cols); break;
    case 'relu': case 'linear': break;
  }
}

/** d (dL/dy) becomes dL/dz in place, from the layer's output y */
export function activateBackward(k: KernelExports, act: Activation, y: number, d: number, rows: number, cols: number): void {
  const n = rows * cols;
  switch (act) {
    case 'relu': k.relu_backward(y, d, d, n); break;
    case 'sigmoid': k.sigmoid_backward(y, d, d, n); break;
    case 'tanh': k.tanh_backward(y, d, d, n); break;
    case 'softmax': k.softmax_backward(y, d, d, rows, cols); break;
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

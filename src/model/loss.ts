// The loss at the end of the chain: its value over a batch and its gradient w.r.t. the last
// layer's output (or, fused with a softmax, w.r.t. its logits).
import type { KernelExports } from '../runtime/abi.js';

export type LossName = 'crossEntropy' | 'mse';
export const LOSSES = ['crossEntropy', 'mse'] as const;

/**
 * y: rows × cols outputs (logits when fused); labels: class ids (indices) or rows × cols targets.
 * Writes the gradient into d and the count of correct argmax predictions (cross-entropy) at
 * `correct`; returns the mean loss.
 */
export function lossAndGradient(k: KernelExports, loss: LossName, fused: boolean, y: number, rows: number, cols: number,
                                labels: number, targets: number, indices: boolean, d: number, correct: number): number {
  if (fused) return k.softmax_cross_entropy(y, rows, cols, indices ? labels : targets, indices ? 1 : 0, d, correct);
  if (loss === 'crossEntropy') return k.cross_entropy(y, rows, cols, indices ? labels : targets, indices ? 1 : 0, d, correct);
  return k.mean_squared_error(y, targets, rows * cols, d);
}

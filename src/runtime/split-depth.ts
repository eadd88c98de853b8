// A product whose depth is cut in two: C = (A[:, :k]·B[:k, :] + bias) + A[:, k:]·B[k:, :], each half
// a GEMM of its own (the second into a partial buffer), then one addition per value (add_f32, with
// relu after it). A dense layer's forward product takes this form when its weights are deep
// (splitsDepth). Why: the weight-gradient product and the update split a weight matrix by rows,
// and on two threads each half of the depth (parallel-gemm.ts: depthCut) is then one thread's rows
// of W, of its gradient and of its velocity, from one step to the next. Split by output columns
// instead, the forward product had every thread read half of each row of W: half of W crossed
// between the cores twice a step, and the update, finding its rows in the other core's cache, ran
// at 0.4-0.5x of one thread's speed on two (README: Threads).
//
// One thread computes the same two sums and the same addition, so results are bitwise the same for
// any thread count (the promise of dispatch.ts).
import { ARGS, perElementArgs } from './parts.js';
import type { Runtime } from './runtime.js';

/** depths from which a dense layer's forward product is cut in two: each half is then at least 256
 *  deep, so the microkernel's stores of C stay few against its multiply-adds, and the extra pass
 *  over the output (M x N floats, against M x N x K multiply-adds) costs under 1% */
export const SPLIT_DEPTH_MIN = 512;

/** whether a forward product of depth K is cut in two */
export function splitsDepth(K: number): boolean {
  return K >= SPLIT_DEPTH_MIN;
}

/** C (M x N, row stride N) = relu?(A·B + bias), A M x K (row stride K), B K x N (row stride N), cut in
 *  depth; `partial`: M x N floats of scratch */
export function gemmCutInDepth(rt: Runtime, M: number, N: number, K: number, a: number, b: number, c: number,
  mode: number, bias: number, relu: number, partial: number): void {
  rt.gemmDepthHalves(M, N, K, a, K, b, N, c, N, mode, bias, partial);
  ARGS[0] = c; ARGS[1] = partial; ARGS[2] = M * N; ARGS[3] = relu;
  perElementArgs(rt, 'add_f32', 4, 2);
}

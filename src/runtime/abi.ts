// The wasm module's exports, typed. Pointers are byte offsets (numbers), booleans are 0/1. The
// bench build's extra kernels (assembly/bench.ts) are typed in bench/bench-kernels.ts.
import type { LayerKernelExports } from './abi-layers.js';

export interface KernelExports extends LayerKernelExports {
  memory: WebAssembly.Memory;
  heap_base(): number;
  gemm_scratch_bytes(): number;
  gemm(transA: number, transB: number, M: number, N: number, K: number, a: number, lda: number, b: number, ldb: number,
       c: number, ldc: number, mode: number, bias: number, scratch: number, relu?: number): void;
  /** gemm() without packing, bitwise the same result: for products too small to be worth packing (no scratch) */
  gemm_small(transA: number, transB: number, M: number, N: number, K: number, a: number, lda: number, b: number, ldb: number,
             c: number, ldc: number, mode: number, bias: number, relu: number): void;
  /** dst (cols x rows, stride ldd) = srcᵀ (src rows x cols, stride lds) + bias[row of src] (bias 0: none), relu'd when relu */
  transpose_bias_relu(src: number, rows: number, cols: number, lds: number, bias: number, relu: number, dst: number, ldd: number): void;
  /** floats of scratch the one-channel direct convolution needs (conv_c1.ts) */
  conv_c1_pad_floats(OH: number, OW: number, KH: number, KW: number, F: number): number;
  /** one input channel, stride 1: y = relu?(conv(x, w) + bias) directly (bias 0: none) */
  conv_c1_forward(x: number, rows: number, H: number, W: number, KH: number, KW: number, PT: number, PL: number, OH: number, OW: number,
                  F: number, w: number, bias: number, relu: number, y: number, pad: number): void;
  /** one input channel, stride 1: each sample's filter gradient (F rows of KH·KW taps, then the bias's part
   *  when withBias) for samples [n0, n1), written at partials + n·F·(KH·KW + 1) */
  conv_c1_filter_grad(x: number, H: number, W: number, KH: number, KW: number, PT: number, PL: number, OH: number, OW: number,
                      F: number, n0: number, n1: number, dy: number, partials: number, withBias: number, pad: number): void;
  /** c = c + p over n floats, then max(·, 0) when relu (the second half of a product cut in depth) */
  add_f32(c: number, p: number, n: number, relu: number): void;
  relu_forward(x: number, y: number, n: number): void;
  relu_backward(y: number, dy: number, dz: number, n: number): void;
  sigmoid_forward(x: number, y: number, n: number): void;
  sigmoid_backward(y: number, dy: number, dz: number, n: number): void;
  tanh_forward(x: number, y: number, n: number): void;
  tanh_backward(y: number, dy: number, dz: number, n: number): void;
  softmax_forward(x: number, y: number, rows: number, cols: number): void;
  softmax_backward(y: number, dy: number, dz: number, rows: number, cols: number): void;
  /** db[j] = Σ_i dy[i * ld + j] for j < cols */
  column_sums(dy: number, rows: number, cols: number, ld: number, db: number): void;
  softmax_cross_entropy(z: number, rows: number, cols: number, labels: number, indices: number, dz: number, correct: number): number;
  cross_entropy(p: number, rows: number, cols: number, labels: number, indices: number, dp: number, correct: number): number;
  mean_squared_error(y: number, t: number, n: number, dy: number): number;
  /** mode (guard.ts: UpdateMode) 1 writes the update and returns 1 (the divergence guard has shown it
   *  finite); 0 writes nothing and returns 1 when every new value would be finite; 2 is 0, then 1 only
   *  when that returned 1 (else it returns 0 and writes nothing). The same for sgd_torch and adam. */
  sgd_seed(w: number, v: number, g: number, n: number, lr: number, beta: number, nesterov: number,
           wd: number, decay: number, gscale: number, clip: number, mode: number): number;
  sgd_torch(w: number, b: number, g: number, n: number, lr: number, mu: number, damp: number, nesterov: number,
            wd: number, first: number, gscale: number, clip: number, mode: number): number;
  adam(w: number, m: number, v: number, g: number, n: number, lr: number, b1: number, b2: number, eps: number,
       wd: number, bc1: number, bc2: number, gscale: number, clip: number, mode: number): number;
  sum_squares(x: number, n: number): number;
  /** 1 when all n floats at x are finite */
  all_finite(x: number, n: number): number;
  /** bits of max |x[i]| over n floats, as an unsigned number (read it with >>> 0): below 0x7f800000 exactly when all are finite */
  max_abs_bits(x: number, n: number): number;
  /** bits of the largest of |w|, |g|, |s0| and s1 taken with its sign, over n elements (s0 = 0, s1 = 0: no such state);
   *  at or above 0x7f800000 when any is not finite or s1 holds a negative value */
  update_bound_bits(w: number, s0: number, s1: number, g: number, n: number): number;
  gather_rows(src: number, idx: number, count: number, width: number, dst: number): void;
}

/** the module's ABI_VERSION export must equal this (assembly/index.ts) */
export const ABI_VERSION = 9;

export const MODE_ZERO = 0;
export const MODE_ACC = 1;
export const MODE_BIAS = 2;

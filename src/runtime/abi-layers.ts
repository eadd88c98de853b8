// The wasm module's layer-kernel exports (assembly/conv.ts, pool.ts, norm.ts, dropout.ts), typed.
// Pointers are byte offsets (numbers), booleans are 0/1. Tensors are f32, NHWC, unless noted.
// Geometry: input H x W x C, kernel or pool KH x KW (PH x PW), strides SH, SW, padding top PT and
// left PL, output OH x OW; position p = (n*OH + oh)*OW + ow over the whole batch.
export interface LayerKernelExports {
  /** rows [0, np) of col (np x KH*KW*C, entries [kh][kw][c]) = receptive fields of positions [p0, p0+np), 0 in the padding */
  im2col(x: number, H: number, W: number, C: number, KH: number, KW: number, SH: number, SW: number, PT: number, PL: number,
         OH: number, OW: number, p0: number, np: number, col: number): void;
  /** the adjoint of im2col: dx += col rows [0, np) at the pixels they came from (the caller zeroes dx) */
  col2im_add(col: number, H: number, W: number, C: number, KH: number, KW: number, SH: number, SW: number, PT: number, PL: number,
             OH: number, OW: number, p0: number, np: number, dx: number): void;
  zero_f32(ptr: number, n: number): void;
  /** 'valid' max pooling; argmax (i32, one per output) = index of the max within its image (H x W x C), first on ties */
  max_pool_forward(x: number, rows: number, H: number, W: number, C: number, PH: number, PW: number, SH: number, SW: number,
                   OH: number, OW: number, y: number, argmax: number): void;
  /** per image (outPer values of dy and argmax, inPer of dx): dx = 0, then dx[argmax[i]] += dy[i] */
  max_pool_backward(dy: number, argmax: number, rows: number, outPer: number, dx: number, inPer: number): void;
  avg_pool_forward(x: number, rows: number, H: number, W: number, C: number, PH: number, PW: number, SH: number, SW: number,
                   OH: number, OW: number, y: number): void;
  /** zeroes dx itself, then accumulates (windows may overlap) */
  avg_pool_backward(dy: number, rows: number, H: number, W: number, C: number, PH: number, PW: number, SH: number, SW: number,
                    OH: number, OW: number, dx: number): void;
  /** per-channel mean and biased variance (divided by M >= 1) of an [M, C] view; f32 block sums added in f64 */
  batchnorm_stats(x: number, M: number, C: number, mean: number, variance: number): void;
  /** y = gamma (x - mean) / sqrt(var + eps) + beta; y may be x */
  batchnorm_forward(x: number, M: number, C: number, mean: number, variance: number, gamma: number, beta: number,
                    eps: number, y: number): void;
  /** training backward (batch statistics); dgamma, dbeta written, not accumulated; dx may be dy or x */
  batchnorm_backward(x: number, dy: number, M: number, C: number, mean: number, variance: number, gamma: number,
                     eps: number, dx: number, dgamma: number, dbeta: number): void;
  /** running = momentum running + (1 - momentum) batch */
  batchnorm_running(runMean: number, runVar: number, mean: number, variance: number, C: number, momentum: number): void;
  /** inverted dropout; mask[i] = 1/(1-rate) or 0 from a hash of (seed, counter, i0 + i) only; y = x * mask
   *  (i0: the index of x[0] in the whole tensor, for a part of it) */
  dropout_forward(x: number, y: number, mask: number, n: number, rate: number, seed: number, counter: number, i0: number): void;
  /** out = a * b elementwise (dropout backward: dx = dy * mask) */
  multiply_f32(a: number, b: number, out: number, n: number): void;
  /** a convolution's blocks [b0, b1) of output positions, each whole (conv_blocks.ts): y = relu?(conv(x) + bias);
   *  geo: the layer's descriptor (CONV_DESCRIPTOR), scratch: the thread's (GEMM space, then the work blocks) */
  conv_blocks_forward(geo: number, x: number, rows: number, kernel: number, bias: number, relu: number, y: number,
                      b0: number, b1: number, scratch: number): void;
  /** groups [g0, g1): each group's filter-gradient partial (F rows of K, then the bias's part when withBias)
   *  and, when dx is not 0, its images' input gradient */
  conv_blocks_backward(geo: number, x: number, rows: number, kernel: number, dy: number, dx: number, partials: number,
                       g0: number, g1: number, withBias: number, scratch: number): void;
  /** for the partials' columns [k0, k1): grad (K x F) and, at column K, bias = the sums of `groups` partials
   *  (F rows of K + 1 each), in group order */
  conv_filter_grad_sum(partials: number, groups: number, F: number, K: number, k0: number, k1: number, grad: number, bias: number): void;
}

/** a convolution descriptor's fields (i32 each), as assembly/conv_blocks.ts reads them */
export const CONV_DESCRIPTOR = {
  H: 0, W: 1, C: 2, KH: 3, KW: 4, SH: 5, SW: 6, PT: 7, PL: 8, OH: 9, OW: 10, F: 11, BLOCK: 12, GROUP: 13, FLAGS: 14, INTS: 16,
  TRANSPOSED: 1, DIRECT: 2,
} as const;

// The ABI: every export takes pointers (byte offsets into this module's memory), sizes and
// scalars, and returns a number. Nothing here allocates; TypeScript plans all memory. The bench's
// and the tests' own kernels (peak probe, microkernel loop, single-rule SGD) live in bench.ts.
export { gemm, gemm_scratch_bytes, MODE_ZERO, MODE_ACC, MODE_BIAS, GEMM_MR, GEMM_NR, GEMM_KC, GEMM_MC, GEMM_NC } from './gemm';
export { gemm_small } from './gemm_small';
export { add_f32 } from './add';
export {
  relu_forward, relu_backward, sigmoid_forward, sigmoid_backward, tanh_forward, tanh_backward,
  softmax_forward, softmax_backward, column_sums,
} from './activations';
export { softmax_cross_entropy, cross_entropy, mean_squared_error } from './loss';
export { sgd_seed, sgd_torch, adam, sum_squares } from './optim';
export { all_finite, max_abs_bits, update_bound_bits } from './finite';
export { gather_rows } from './copy';
export { im2col, col2im_add, zero_f32 } from './conv';
export { max_pool_forward, max_pool_backward, avg_pool_forward, avg_pool_backward } from './pool';
export { batchnorm_stats, batchnorm_forward, batchnorm_backward, batchnorm_running } from './norm';
export { dropout_forward, multiply_f32 } from './dropout';
export { transpose_bias_relu } from './transpose';
export { conv_blocks_forward, conv_blocks_backward, conv_filter_grad_sum } from './conv_blocks';
export { conv_c1_pad_floats, conv_c1_forward, conv_c1_filter_grad } from './conv_c1';

// first byte TypeScript may use: above the static data and the stack
export function heap_base(): usize {
  return __heap_base;
}

// The contract between this module and src/: bumped whenever an export's name, arguments or
// meaning changes, and checked by loadKernels, so a stale .wasm fails loudly instead of computing
// wrong results. Kept equal to ABI_VERSION in src/runtime/abi.ts.
export const ABI_VERSION: i32 = 9;

// which build this is, so a module handed in by the caller reports its own features
export const RELAXED_SIMD: bool = ASC_FEATURE_RELAXED_SIMD;

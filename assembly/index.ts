// The ABI: every export takes pointers (byte offsets into this module's memory), sizes and
// scalars, and returns a number. Nothing here allocates; TypeScript plans all memory.
export { gemm, gemm_scratch_bytes, MODE_ZERO, MODE_ACC, MODE_BIAS, GEMM_MR, GEMM_NR, GEMM_KC, GEMM_MC, GEMM_NC, gemm_microkernel_loop } from './gemm';
export {
  relu_forward, relu_backward, sigmoid_forward, sigmoid_backward, tanh_forward, tanh_backward,
  copy_f32, softmax_forward, softmax_backward, column_sums,
} from './activations';
export { softmax_cross_entropy, cross_entropy, mean_squared_error } from './loss';
export { sgd_plain, sgd_momentum, sgd_nesterov, sgd_seed, sgd_torch, adam, sum_squares, all_finite } from './optim';
export { gather_rows } from './copy';

// first byte TypeScript may use: above the static data and the stack
export function heap_base(): usize {
  return __heap_base;
}

// which build this is, so a module handed in by the caller reports its own features
export const RELAXED_SIMD: bool = ASC_FEATURE_RELAXED_SIMD;
export { peak_probe } from './peak';

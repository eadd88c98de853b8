// The bench and test entry (build/bench.wasm, build/bench-relaxed.wasm): every production export
// of index.ts, the same ABI_VERSION included, plus kernels that only the bench and the kernel
// tests call, kept out of the module users load.
export * from './index';
import { exp4, exp1 } from './exp';

// the peak probe: 12 independent multiply-add chains on registers (bench/peak.ts)
export { peak_probe } from './peak';
// the build's GEMM microkernel alone, n times over panels already packed (bench/microkernel.ts)
export { gemm_microkernel_loop } from './gemm';
// the single-rule SGD forms, checked against the oracle's update rules (test/kernels.test.ts)
export { sgd_plain, sgd_momentum, sgd_nesterov } from './optim';

// y = e^x elementwise through the inlined exp4 (bodies) and exp1 (tails) that sigmoid, tanh and
// softmax use, so their accuracy can be measured directly (test/exp.test.ts)
export function exp_forward(x: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(y + o, exp4(v128.load(x + o))); }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, exp1(load<f32>(x + o))); }
}

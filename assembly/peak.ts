// The in-run peak: 12 independent accumulators c += x * y on registers, no memory traffic. As in a
// GEMM microkernel, only the add (or the FMA) is on each chain, so this measures the engine's
// multiply-add throughput: the best a GEMM kernel could reach here. The bench reports against it.
// In the plain build binaryen merges the twelve identical products x * y into one per iteration,
// leaving 12 adds on the chains: the add pipes' ceiling, which on this core (as many multiply pipes
// as add pipes) is also that of a stream of distinct multiplies and adds (a += a * y on 12 chains
// measured 96-98% of it).
import { madd } from './simd';

const PROBE_OPERANDS = memory.data<f32>([0.999999, 0.999999, 0.999999, 0.999999, 1e-7, 1e-7, 1e-7, 1e-7]);

// 96 flops per iteration (12 chains x 4 lanes x mul+add)
export function peak_probe(iters: i32): f32 {
  // operands loaded from memory rather than written as constants: V8 13 rematerializes a constant
  // vector before every use inside the loop, and V8 11 moves any arithmetic on them into the loop
  const x = v128.load(PROBE_OPERANDS), y = v128.load(PROBE_OPERANDS, 16);
  let a0 = f32x4.splat(0.1), a1 = f32x4.splat(0.2), a2 = f32x4.splat(0.3), a3 = f32x4.splat(0.4);
  let a4 = f32x4.splat(0.5), a5 = f32x4.splat(0.6), a6 = f32x4.splat(0.7), a7 = f32x4.splat(0.8);
  let a8 = f32x4.splat(0.9), a9 = f32x4.splat(1.0), a10 = f32x4.splat(1.1), a11 = f32x4.splat(1.2);
  for (let i = 0; i < iters; i++) {
    a0 = madd(x, y, a0); a1 = madd(x, y, a1); a2 = madd(x, y, a2); a3 = madd(x, y, a3);
    a4 = madd(x, y, a4); a5 = madd(x, y, a5); a6 = madd(x, y, a6); a7 = madd(x, y, a7);
    a8 = madd(x, y, a8); a9 = madd(x, y, a9); a10 = madd(x, y, a10); a11 = madd(x, y, a11);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  const t = f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11));
  return f32x4.extract_lane(f32x4.add(s, t), 0);
}

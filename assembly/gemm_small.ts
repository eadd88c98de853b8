// Products too small for packing (the founding document's regression is 4x1x1): C = op(A)·op(B)
// per mode, element by element, with the same arithmetic as the packed GEMM (gemm.ts), so the
// result is bitwise what gemm() computes: each element starts from its mode's value (0, the bias,
// or C itself), takes the multiply-adds in k order with the build's madd, then relu. Four columns
// go together where four are left; a last column runs in lane 0 alone (madd on one lane is the
// same operation as on four). Small code, so an engine compiles it at once on its first call, and
// no packing, so a tiny product costs what its arithmetic costs.
import { madd } from './simd';
import { MODE_ACC, MODE_BIAS } from './gemm';

// @ts-ignore: decorator
@inline function op(t: bool, p: usize, ld: i32, r: i32, c: i32): f32 {
  return t ? load<f32>(p + ((<usize>c * ld + r) << 2)) : load<f32>(p + ((<usize>r * ld + c) << 2));
}

export function gemm_small(transA: bool, transB: bool, M: i32, N: i32, K: i32,
                           a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32,
                           mode: i32, bias: usize, relu: bool): void {
  const zero = f32x4.splat(0);
  for (let i = 0; i < M; i++) {
    const row = c + (<usize>i * ldc << 2);
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      const at = row + (<usize>j << 2);
      let acc = mode == MODE_ACC ? v128.load(at) : mode == MODE_BIAS ? v128.load(bias + (<usize>j << 2)) : zero;
      for (let k = 0; k < K; k++) {
        let bv: v128;
        if (transB) {
          bv = f32x4.splat(op(true, b, ldb, k, j));
          bv = f32x4.replace_lane(bv, 1, op(true, b, ldb, k, j + 1));
          bv = f32x4.replace_lane(bv, 2, op(true, b, ldb, k, j + 2));
          bv = f32x4.replace_lane(bv, 3, op(true, b, ldb, k, j + 3));
        } else {
          bv = v128.load(b + ((<usize>k * ldb + j) << 2));
        }
        acc = madd(f32x4.splat(op(transA, a, lda, i, k)), bv, acc);
      }
      if (relu) acc = f32x4.max(acc, zero);
      v128.store(at, acc);
    }
    for (; j < N; j++) {
      const at = row + (<usize>j << 2);
      let acc = f32x4.splat(mode == MODE_ACC ? load<f32>(at) : mode == MODE_BIAS ? load<f32>(bias + (<usize>j << 2)) : 0);
      for (let k = 0; k < K; k++) acc = madd(f32x4.splat(op(transA, a, lda, i, k)), f32x4.splat(op(transB, b, ldb, k, j)), acc);
      if (relu) acc = f32x4.max(acc, zero);
      store<f32>(at, f32x4.extract_lane(acc, 0));
    }
  }
}

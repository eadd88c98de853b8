// One source, two builds: the relaxed build turns every multiply-add into a real FMA
// (f32x4.relaxed_madd), the plain build keeps mul + add. The branch is on a compile-time
// constant, so each build contains only its own instruction.

// a * b + c on four lanes
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// 4x4 transpose of rows r0..r3 written to dst as four rows of the transpose (stride 16 bytes)
// @ts-ignore: decorator
@inline export function transpose4x4_store(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(dst, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 16);
  v128.store(dst, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 32);
  v128.store(dst, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 48);
}

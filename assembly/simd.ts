// One source, two builds: the relaxed build turns every multiply-add into a real FMA
// (f32x4.relaxed_madd), the plain build keeps mul + add. The branch is on a compile-time
// constant, so each build contains only its own instruction.

// a * b + c on four lanes
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

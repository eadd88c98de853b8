// exp on four lanes: Cody-Waite range reduction x = n*ln2 + r, a degree-6 polynomial for e^r
// on |r| <= ln2/2, and 2^n built in the exponent bits. Within 1 ulp of the correctly rounded e^x
// over the clamped range, on both builds (measured by test/exp.test.ts). Inputs are clamped to
// [-87.33654, 88] so 2^n stays a normal float: larger x give e^88 (~1.65e38, never inf), smaller
// x give e^-87.33654 (~2^-126, never 0 or a subnormal); NaN stays NaN.
import { madd } from './simd';

// @ts-ignore: decorator
@inline export function exp4(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.33654)), f32x4.splat(88.0));
  const n = f32x4.floor(madd(x, f32x4.splat(1.44269504), f32x4.splat(0.5)));
  let r = madd(n, f32x4.splat(-0.693359375), x);
  r = madd(n, f32x4.splat(2.12194440e-4), r);
  let p = f32x4.splat(1.9875691500e-4);
  p = madd(p, r, f32x4.splat(1.3981999507e-3));
  p = madd(p, r, f32x4.splat(8.3334519073e-3));
  p = madd(p, r, f32x4.splat(4.1665795894e-2));
  p = madd(p, r, f32x4.splat(1.6666665459e-1));
  p = madd(p, r, f32x4.splat(5.0000001201e-1));
  p = madd(p, f32x4.mul(r, r), f32x4.add(r, f32x4.splat(1)));
  // the clamp keeps n in [-126, 127], so 2^n is a normal float built from its exponent bits
  const pow = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, pow);
}

// scalar twin for tails, same polynomial so tails and bodies agree
// @ts-ignore: decorator
@inline export function exp1(x: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(x)), 0);
}

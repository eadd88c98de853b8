// Magnitude scans: the largest |x| of some float32 arrays, as its bit pattern. With the sign bit
// cleared, float32 bit patterns order like the magnitudes they encode, and every non-finite value
// (0x7f800000 and up) orders above every finite one, so one unsigned integer max per vector both
// bounds the data and finds any NaN or infinity: no float compare, no dependent add chain.
// The divergence guard (src/optim/guard.ts) turns the result into a bound on every new value of a
// step; trainBatch and fit check their inputs with it.

const MAGNITUDE: i32 = 0x7fffffff;
const NON_FINITE: u32 = 0x7f800000;

// @ts-ignore: decorator
@inline function magnitude(p: usize): v128 {
  return v128.and(v128.load(p), i32x4.splat(MAGNITUDE));
}

// @ts-ignore: decorator
@inline function lanes_max(a: v128): u32 {
  const b = i32x4.max_u(a, i32x4.shuffle(a, a, 2, 3, 0, 1));
  const c = i32x4.max_u(b, i32x4.shuffle(b, b, 1, 0, 3, 2));
  return <u32>i32x4.extract_lane(c, 0);
}

// the scalar tail: bits of |x|, or of x itself where `signed` (so a negative x orders above every finite value)
// @ts-ignore: decorator
@inline function tail_bits(p: usize, signed: bool): u32 {
  const b = load<u32>(p);
  return signed ? b : b & <u32>MAGNITUDE;
}

/** bits of max |x[i]| over n floats: below 0x7f800000 exactly when all are finite */
export function max_abs_bits(x: usize, n: i32): u32 {
  let a = i32x4.splat(0), b = i32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const q = x + (<usize>i << 2);
    a = i32x4.max_u(a, magnitude(q));
    b = i32x4.max_u(b, magnitude(q + 16));
  }
  for (; i + 4 <= n; i += 4) a = i32x4.max_u(a, magnitude(x + (<usize>i << 2)));
  let m = lanes_max(i32x4.max_u(a, b));
  for (; i < n; i++) m = max(m, tail_bits(x + (<usize>i << 2), false));
  return m;
}

/** 1 when every element is finite */
export function all_finite(x: usize, n: i32): i32 {
  return max_abs_bits(x, n) < NON_FINITE ? 1 : 0;
}

// One pass over a parameter's value w, gradient g and up to two state tensors s0, s1 (0: none).
// s1 is read with its sign (Adam's second moment must not be negative), the others as magnitudes.
// @ts-ignore: decorator
@inline function bound_vec(states: i32, w: usize, s0: usize, s1: usize, g: usize, q: usize): v128 {
  let t = i32x4.max_u(magnitude(w + q), magnitude(g + q));
  if (states >= 1) t = i32x4.max_u(t, magnitude(s0 + q));
  if (states >= 2) t = i32x4.max_u(t, v128.load(s1 + q));
  return t;
}

// @ts-ignore: decorator
@inline function bound_loop(states: i32, w: usize, s0: usize, s1: usize, g: usize, n: i32): u32 {
  // two vectors a step into two maxima: independent work for the core to overlap
  let a = i32x4.splat(0), b = i32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const q = <usize>i << 2;
    a = i32x4.max_u(a, bound_vec(states, w, s0, s1, g, q));
    b = i32x4.max_u(b, bound_vec(states, w, s0, s1, g, q + 16));
  }
  for (; i + 4 <= n; i += 4) a = i32x4.max_u(a, bound_vec(states, w, s0, s1, g, <usize>i << 2));
  let m = lanes_max(i32x4.max_u(a, b));
  for (; i < n; i++) {
    const q = <usize>i << 2;
    m = max(m, max(tail_bits(w + q, false), tail_bits(g + q, false)));
    if (states >= 1) m = max(m, tail_bits(s0 + q, false));
    if (states >= 2) m = max(m, tail_bits(s1 + q, true));
  }
  return m;
}

/** bits of the largest of |w|, |g|, |s0| and s1 (signed) over n elements; s0 = 0 and s1 = 0 mean no such
 *  state (s1 only with s0). At or above 0x7f800000: something is not finite, or s1 has a negative value. */
export function update_bound_bits(w: usize, s0: usize, s1: usize, g: usize, n: i32): u32 {
  if (s0 == 0) return bound_loop(0, w, 0, 0, g, n);
  if (s1 == 0) return bound_loop(1, w, s0, 0, g, n);
  return bound_loop(2, w, s0, s1, g, n);
}

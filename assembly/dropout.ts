// Inverted dropout with a counter-based mask: element i is kept or dropped by a hash of
// (seed, counter, i) alone, so the mask is the same for any split of the work, needs no state
// to carry between calls, and the backward pass is just dy * mask.
//
// The hash (murmur3's 32-bit finaliser fmix32, a bijection with full avalanche):
//   key  = fmix32(fmix32(seed) + counter)           once per call
//   h(i) = fmix32((i * 0x9E3779B9) ^ key)           per element, four lanes at a time
//   u(i) = (h(i) >>> 8) * 2^-24                     in [0, 1), exact in f32
// The golden-ratio multiply spreads consecutive i over all 32 bits before the xor, and the xor
// (not an add) keeps the masks of two counters from being shifted copies of each other.
// Element i is kept when u(i) >= rate: mask = 1/(1 - rate), else 0; y = x * mask. A call may
// cover a part of the tensor: i0 is the index of its first element in the whole, so the parts of a
// split (one a thread) draw exactly the masks of one call over everything.

const GOLDEN: u32 = 0x9E3779B9;

// @ts-ignore: decorator
@inline function fmix32(h: u32): u32 {
  h ^= h >>> 16; h *= 0x85EBCA6B;
  h ^= h >>> 13; h *= 0xC2B2AE35;
  return h ^ (h >>> 16);
}
// @ts-ignore: decorator
@inline function fmix32x4(h: v128): v128 {
  h = v128.xor(h, i32x4.shr_u(h, 16)); h = i32x4.mul(h, i32x4.splat(<i32>0x85EBCA6B));
  h = v128.xor(h, i32x4.shr_u(h, 13)); h = i32x4.mul(h, i32x4.splat(<i32>0xC2B2AE35));
  return v128.xor(h, i32x4.shr_u(h, 16));
}

export function dropout_forward(x: usize, y: usize, mask: usize, n: i32, rate: f32, seed: u32, counter: u32, i0: u32): void {
  const key = fmix32(fmix32(seed) + counter);
  const scale: f32 = 1 / (1 - rate); // never used when rate = 1: no u reaches 1
  const rateV = f32x4.splat(rate), scaleV = f32x4.splat(scale), zero = f32x4.splat(0);
  const keyV = i32x4.splat(<i32>key), unit = f32x4.splat(1.0 / 16777216.0);
  let iv = i32x4.mul(i32x4.add(i32x4(0, 1, 2, 3), i32x4.splat(<i32>i0)), i32x4.splat(<i32>GOLDEN)); // i * GOLDEN, advanced by 4 * GOLDEN
  const step = i32x4.splat(<i32>(4 * GOLDEN));
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const h = fmix32x4(v128.xor(iv, keyV));
    const u = f32x4.mul(f32x4.convert_i32x4_s(i32x4.shr_u(h, 8)), unit);
    const m = v128.bitselect(scaleV, zero, f32x4.ge(u, rateV));
    const o = <usize>i << 2;
    v128.store(mask + o, m);
    v128.store(y + o, f32x4.mul(v128.load(x + o), m));
    iv = i32x4.add(iv, step);
  }
  for (; i < n; i++) {
    const h = fmix32(((i0 + <u32>i) * GOLDEN) ^ key);
    const u = <f32>(h >>> 8) * <f32>(1.0 / 16777216.0);
    const m: f32 = u >= rate ? scale : 0;
    const o = <usize>i << 2;
    store<f32>(mask + o, m);
    store<f32>(y + o, load<f32>(x + o) * m);
  }
}

// out = a * b elementwise (dropout's backward: dx = dy * mask); out may be a or b
export function multiply_f32(a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(out + o, f32x4.mul(v128.load(a + o), v128.load(b + o))); }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(out + o, load<f32>(a + o) * load<f32>(b + o)); }
}

// Optimizer updates: one pass over a parameter's value / grad / state each.
// Every rule first forms the effective gradient the same way:
//   gg = clamp(g * gscale, -clip, clip) + wd * w
// (gscale: global-norm clipping factor from TypeScript, clip: value clipping, wd: coupled weight
// decay), then applies its own update. Each returns 1 when every new value is finite. With
// commit = false nothing is stored: the divergence guard dry-runs a step over every parameter
// and commits only if all of it is finite, so a failing step leaves the model untouched.
import { madd } from './simd';

// @ts-ignore: decorator
@inline function effective_grad(g: v128, w: v128, gscale: v128, clip: v128, nclip: v128, wd: v128): v128 {
  return madd(wd, w, f32x4.min(f32x4.max(f32x4.mul(g, gscale), nclip), clip));
}
// @ts-ignore: decorator
@inline function effective_grad1(g: f32, w: f32, gscale: f32, clip: f32, wd: f32): f32 {
  return Mathf.min(Mathf.max(g * gscale, -clip), clip) + wd * w;
}
// @ts-ignore: decorator
@inline function finite_flag(acc: v128, s: f32): i32 {
  // acc / s hold sums of (x - x): 0 for finite x, NaN for inf or NaN
  const t = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3) + s;
  return t == t ? 1 : 0;
}

// The seed's form (Keras): v = beta v - lr gg;  w = w (1 - decay) + v
// Nesterov:                v = beta v - lr gg;  w = w (1 - decay) + beta v - lr gg
// v = 0 (no velocity buffer) is plain gradient descent: w = w (1 - decay) - lr gg.
// decay = lr * decoupled weight decay.
// @ts-ignore: decorator
@inline function seed_loop(useV: bool, nesterov: bool, commit: bool, w: usize, v: usize, g: usize, n: i32,
                           lr: f32, beta: f32, wd: f32, decay: f32, gscale: f32, clip: f32): i32 {
  const nl = f32x4.splat(-lr), b = f32x4.splat(beta), wdv = f32x4.splat(wd), keep = f32x4.splat(1 - decay);
  const gs = f32x4.splat(gscale), cl = f32x4.splat(clip), ncl = f32x4.splat(-clip);
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const q = <usize>i << 2;
    const wv = v128.load(w + q);
    const gg = effective_grad(v128.load(g + q), wv, gs, cl, ncl, wdv);
    const ww = f32x4.mul(wv, keep);
    let wn: v128;
    if (useV) {
      const vn = madd(nl, gg, f32x4.mul(b, v128.load(v + q)));
      wn = nesterov ? f32x4.add(ww, madd(nl, gg, f32x4.mul(b, vn))) : f32x4.add(ww, vn);
      acc = f32x4.add(acc, f32x4.sub(vn, vn));
      if (commit) v128.store(v + q, vn);
    } else {
      wn = madd(nl, gg, ww);
    }
    acc = f32x4.add(acc, f32x4.sub(wn, wn));
    if (commit) v128.store(w + q, wn);
  }
  let s: f32 = 0;
  for (; i < n; i++) {
    const q = <usize>i << 2;
    const wv = load<f32>(w + q);
    const gg = effective_grad1(load<f32>(g + q), wv, gscale, clip, wd);
    const ww = wv * (1 - decay);
    let wn: f32;
    if (useV) {
      const vn = beta * load<f32>(v + q) - lr * gg;
      wn = nesterov ? ww + (beta * vn - lr * gg) : ww + vn;
      s += vn - vn;
      if (commit) store<f32>(v + q, vn);
    } else {
      wn = ww - lr * gg;
    }
    s += wn - wn;
    if (commit) store<f32>(w + q, wn);
  }
  return finite_flag(acc, s);
}

export function sgd_seed(w: usize, v: usize, g: usize, n: i32, lr: f32, beta: f32, nesterov: bool,
                         wd: f32, decay: f32, gscale: f32, clip: f32, commit: bool): i32 {
  // each combination is its own loop: the flags are constants inside it
  if (v == 0) return commit ? seed_loop(false, false, true, w, v, g, n, lr, beta, wd, decay, gscale, clip)
                               : seed_loop(false, false, false, w, v, g, n, lr, beta, wd, decay, gscale, clip);
  if (nesterov) return commit ? seed_loop(true, true, true, w, v, g, n, lr, beta, wd, decay, gscale, clip)
                              : seed_loop(true, true, false, w, v, g, n, lr, beta, wd, decay, gscale, clip);
  return commit ? seed_loop(true, false, true, w, v, g, n, lr, beta, wd, decay, gscale, clip)
                : seed_loop(true, false, false, w, v, g, n, lr, beta, wd, decay, gscale, clip);
}

// torch.optim.SGD: b = first ? gg : mu b + (1 - dampening) gg;  d = nesterov ? gg + mu b : b;  w = w - lr d
// (b = 0, no buffer: d = gg.)
// @ts-ignore: decorator
@inline function torch_loop(useB: bool, nesterov: bool, commit: bool, w: usize, b: usize, g: usize, n: i32,
                            lr: f32, mu: f32, damp: f32, wd: f32, first: bool, gscale: f32, clip: f32): i32 {
  const nl = f32x4.splat(-lr), m = f32x4.splat(mu), od = f32x4.splat(first ? 1 : 1 - damp), keepB = f32x4.splat(first ? 0 : mu);
  const wdv = f32x4.splat(wd), gs = f32x4.splat(gscale), cl = f32x4.splat(clip), ncl = f32x4.splat(-clip);
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const q = <usize>i << 2;
    const wv = v128.load(w + q);
    const gg = effective_grad(v128.load(g + q), wv, gs, cl, ncl, wdv);
    let d = gg;
    if (useB) {
      // first step: b = gg exactly (0 * b would turn an old inf into NaN, so select instead)
      const bn = first ? gg : madd(keepB, v128.load(b + q), f32x4.mul(od, gg));
      d = nesterov ? madd(m, bn, gg) : bn;
      acc = f32x4.add(acc, f32x4.sub(bn, bn));
      if (commit) v128.store(b + q, bn);
    }
    const wn = madd(nl, d, wv);
    acc = f32x4.add(acc, f32x4.sub(wn, wn));
    if (commit) v128.store(w + q, wn);
  }
  let s: f32 = 0;
  for (; i < n; i++) {
    const q = <usize>i << 2;
    const wv = load<f32>(w + q);
    const gg = effective_grad1(load<f32>(g + q), wv, gscale, clip, wd);
    let d = gg;
    if (useB) {
      const bn: f32 = first ? gg : mu * load<f32>(b + q) + (1 - damp) * gg;
      d = nesterov ? gg + mu * bn : bn;
      s += bn - bn;
      if (commit) store<f32>(b + q, bn);
    }
    const wn = wv - lr * d;
    s += wn - wn;
    if (commit) store<f32>(w + q, wn);
  }
  return finite_flag(acc, s);
}

export function sgd_torch(w: usize, b: usize, g: usize, n: i32, lr: f32, mu: f32, damp: f32, nesterov: bool,
                          wd: f32, first: bool, gscale: f32, clip: f32, commit: bool): i32 {
  if (b == 0) return commit ? torch_loop(false, false, true, w, b, g, n, lr, mu, damp, wd, first, gscale, clip)
                             : torch_loop(false, false, false, w, b, g, n, lr, mu, damp, wd, first, gscale, clip);
  if (nesterov) return commit ? torch_loop(true, true, true, w, b, g, n, lr, mu, damp, wd, first, gscale, clip)
                              : torch_loop(true, true, false, w, b, g, n, lr, mu, damp, wd, first, gscale, clip);
  return commit ? torch_loop(true, false, true, w, b, g, n, lr, mu, damp, wd, first, gscale, clip)
                : torch_loop(true, false, false, w, b, g, n, lr, mu, damp, wd, first, gscale, clip);
}

// torch.optim.Adam (L2 weight decay added to the gradient):
//   m = b1 m + (1 - b1) gg;  v = b2 v + (1 - b2) gg^2
//   w = w - (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps),  bc1 = 1 - b1^t, bc2 = 1 - b2^t
// @ts-ignore: decorator
@inline function adam_loop(commit: bool, w: usize, m: usize, v: usize, g: usize, n: i32, lr: f32, b1: f32, b2: f32,
                           eps: f32, wd: f32, bc1: f32, bc2: f32, gscale: f32, clip: f32): i32 {
  const step: f32 = lr / bc1, sbc2: f32 = Mathf.sqrt(bc2);
  const vb1 = f32x4.splat(b1), vob1 = f32x4.splat(1 - b1), vb2 = f32x4.splat(b2), vob2 = f32x4.splat(1 - b2);
  const vstep = f32x4.splat(-step), vsbc2 = f32x4.splat(sbc2), veps = f32x4.splat(eps);
  const wdv = f32x4.splat(wd), gs = f32x4.splat(gscale), cl = f32x4.splat(clip), ncl = f32x4.splat(-clip);
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const q = <usize>i << 2;
    const wv = v128.load(w + q);
    const gg = effective_grad(v128.load(g + q), wv, gs, cl, ncl, wdv);
    const mn = madd(vb1, v128.load(m + q), f32x4.mul(vob1, gg));
    const vn = madd(vb2, v128.load(v + q), f32x4.mul(vob2, f32x4.mul(gg, gg)));
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vn), vsbc2), veps);
    const wn = madd(vstep, f32x4.div(mn, denom), wv);
    acc = f32x4.add(acc, f32x4.add(f32x4.sub(wn, wn), f32x4.add(f32x4.sub(mn, mn), f32x4.sub(vn, vn))));
    if (commit) { v128.store(m + q, mn); v128.store(v + q, vn); v128.store(w + q, wn); }
  }
  let s: f32 = 0;
  for (; i < n; i++) {
    const q = <usize>i << 2;
    const wv = load<f32>(w + q);
    const gg = effective_grad1(load<f32>(g + q), wv, gscale, clip, wd);
    const mn = b1 * load<f32>(m + q) + (1 - b1) * gg;
    const vn = b2 * load<f32>(v + q) + (1 - b2) * (gg * gg);
    const wn = wv - step * (mn / (Mathf.sqrt(vn) / sbc2 + eps));
    s += (wn - wn) + ((mn - mn) + (vn - vn));
    if (commit) { store<f32>(m + q, mn); store<f32>(v + q, vn); store<f32>(w + q, wn); }
  }
  return finite_flag(acc, s);
}

export function adam(w: usize, m: usize, v: usize, g: usize, n: i32, lr: f32, b1: f32, b2: f32, eps: f32,
                     wd: f32, bc1: f32, bc2: f32, gscale: f32, clip: f32, commit: bool): i32 {
  return commit ? adam_loop(true, w, m, v, g, n, lr, b1, b2, eps, wd, bc1, bc2, gscale, clip)
                : adam_loop(false, w, m, v, g, n, lr, b1, b2, eps, wd, bc1, bc2, gscale, clip);
}

// The three rules of the founding document, as the general kernel with nothing else switched on:
// exported by bench.ts only, for the kernel tests that check sgd_seed's plain settings against the oracle.
export function sgd_plain(w: usize, g: usize, n: i32, lr: f32): void {
  sgd_seed(w, 0, g, n, lr, 0, false, 0, 0, 1, Infinity, true);
}
export function sgd_momentum(w: usize, v: usize, g: usize, n: i32, lr: f32, beta: f32): void {
  sgd_seed(w, v, g, n, lr, beta, false, 0, 0, 1, Infinity, true);
}
export function sgd_nesterov(w: usize, v: usize, g: usize, n: i32, lr: f32, beta: f32): void {
  sgd_seed(w, v, g, n, lr, beta, true, 0, 0, 1, Infinity, true);
}

// sum of squares (f64 accumulation per lane group): for global-norm clipping
export function sum_squares(x: usize, n: i32): f64 {
  let total: f64 = 0;
  let i = 0;
  while (i < n) {
    // f32x4 partial sums over chunks of 1024 keep float32 rounding small, then add in f64
    const end = min(n, i + 1024);
    let acc = f32x4.splat(0);
    for (; i + 4 <= end; i += 4) { const v = v128.load(x + (<usize>i << 2)); acc = madd(v, v, acc); }
    total += <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
    for (; i < end; i++) { const v = <f64>load<f32>(x + (<usize>i << 2)); total += v * v; }
  }
  return total;
}

// 1 when every element is finite
export function all_finite(x: usize, n: i32): i32 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) { const v = v128.load(x + (<usize>i << 2)); acc = f32x4.add(acc, f32x4.sub(v, v)); }
  let s: f32 = 0;
  for (; i < n; i++) { const v = load<f32>(x + (<usize>i << 2)); s += v - v; }
  return finite_flag(acc, s);
}

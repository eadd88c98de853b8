// Optimizer updates: one pass over a parameter's value / grad / state each.
// Every rule first forms the effective gradient the same way:
//   gg = clamp(g * gscale, -clip, clip) + wd * w
// (gscale: global-norm clipping factor from TypeScript, clip: value clipping, wd: coupled weight
// decay), then applies its own update.
//
// Each kernel runs in one of three modes. mode = 1 (COMMIT) writes the new values and checks nothing:
// the divergence guard (src/optim/guard.ts) has already shown that every one of them is finite.
// mode = 0 (DRY_RUN) writes nothing and returns 1 when every new value would be finite: the guard's
// exact answer, for small parameters and for the rare steps whose magnitude bound does not settle it.
// mode = 2 (CHECKED_COMMIT) is the two in one call: the dry run, then the commit only if it returned
// 1 (else 0, and nothing written). The guard uses it for a step's last parameter when that one
// takes the dry run: a small model's step makes one call less, in the interpreter at first.
//
// Without clipping (gscale 1, clip infinite; for the seed's rule also no decoupled decay) the commit
// skips the clamp: g * 1 and a clamp to [-inf, inf] give back every finite or infinite g bit for bit
// (and w * 1 every w), so the values written are the same.
// The clamps use pmin / pmax, which V8 compiles to one minps / maxps each: with the operands in this
// order they equal min / max whenever the bound (-clip or clip) is not NaN, NaN g included.
// Commits take two vectors a step (independent work for the core to overlap); each combination of
// flags is its own loop, the flags constants inside it.
import { madd } from './simd';

// @ts-ignore: decorator
@inline function clamp(x: v128, lo: v128, hi: v128): v128 {
  // pmax(x, lo) = x < lo ? lo : x;  pmin(y, hi) = hi < y ? hi : y
  return f32x4.pmin(f32x4.pmax(x, lo), hi);
}
// @ts-ignore: decorator
@inline function effective_grad(raw: bool, g: v128, w: v128, gscale: v128, clip: v128, nclip: v128, wd: v128): v128 {
  return madd(wd, w, raw ? g : clamp(f32x4.mul(g, gscale), nclip, clip));
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
// @ts-ignore: decorator
@inline function unclipped(gscale: f32, clip: f32): bool {
  return gscale == 1 && clip == Infinity;
}

// The seed's form (Keras): v = beta v - lr gg;  w = w (1 - decay) + v
// Nesterov:                v = beta v - lr gg;  w = w (1 - decay) + beta v - lr gg
// v = 0 (no velocity buffer) is plain gradient descent: w = w (1 - decay) - lr gg.
// decay = lr * decoupled weight decay; the raw variants have none (w * 1 is w, bit for bit).
// @ts-ignore: decorator
@inline function seed_vec(useV: bool, nesterov: bool, commit: bool, raw: bool, w: usize, v: usize, g: usize, q: usize,
                          nl: v128, b: v128, wdv: v128, keep: v128, gs: v128, cl: v128, ncl: v128): v128 {
  const wv = v128.load(w + q);
  const gg = effective_grad(raw, v128.load(g + q), wv, gs, cl, ncl, wdv);
  const ww = raw ? wv : f32x4.mul(wv, keep);
  let flags = f32x4.splat(0);
  let wn: v128;
  if (useV) {
    const vn = madd(nl, gg, f32x4.mul(b, v128.load(v + q)));
    wn = nesterov ? f32x4.add(ww, madd(nl, gg, f32x4.mul(b, vn))) : f32x4.add(ww, vn);
    if (commit) v128.store(v + q, vn);
    else flags = f32x4.sub(vn, vn);
  } else {
    wn = madd(nl, gg, ww);
  }
  if (commit) v128.store(w + q, wn);
  else flags = f32x4.add(flags, f32x4.sub(wn, wn));
  return flags;
}

// @ts-ignore: decorator
@inline function seed_loop(useV: bool, nesterov: bool, commit: bool, raw: bool, w: usize, v: usize, g: usize, n: i32,
                           lr: f32, beta: f32, wd: f32, decay: f32, gscale: f32, clip: f32): i32 {
  const nl = f32x4.splat(-lr), b = f32x4.splat(beta), wdv = f32x4.splat(wd), keep = f32x4.splat(1 - decay);
  const gs = f32x4.splat(gscale), cl = f32x4.splat(clip), ncl = f32x4.splat(-clip);
  let acc = f32x4.splat(0);
  let i = 0;
  if (commit) {
    for (; i + 8 <= n; i += 8) {
      const q = <usize>i << 2;
      seed_vec(useV, nesterov, true, raw, w, v, g, q, nl, b, wdv, keep, gs, cl, ncl);
      seed_vec(useV, nesterov, true, raw, w, v, g, q + 16, nl, b, wdv, keep, gs, cl, ncl);
    }
  }
  for (; i + 4 <= n; i += 4) {
    const flags = seed_vec(useV, nesterov, commit, raw, w, v, g, <usize>i << 2, nl, b, wdv, keep, gs, cl, ncl);
    if (!commit) acc = f32x4.add(acc, flags);
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
  return commit ? 1 : finite_flag(acc, s);
}

// one function per combination: velocity or none, Nesterov, commit or check, clamped or raw
function seed_gd_check(w: usize, v: usize, g: usize, n: i32, lr: f32, beta: f32, wd: f32, decay: f32, gscale: f32, clip: f32): i32 {
  return seed_loop(false, false, false, false, w, v, g, n, lr, beta, wd, decay, gscale, clip);
}
function seed_gd_commit(w: usize, v: usize, g: usize, n: i32, lr: f32, beta: f32, wd: f32, decay: f32, gscale: f32, clip: f32): i32 {
  return seed_loop(false, false, true, false, w, v, g, n, lr, beta, wd, decay, gscale, clip);
}
function seed_gd_commit_raw(w: usize, v: usize, g: usize, n: i32, lr: f32, beta: f32, wd: f32, decay: f32, gscale: f32, clip: f32): i32 {
  return seed_loop(false, false, true, true, w, v, g, n, lr, beta, wd, decay, gscale, clip);
}
function seed_momentum_check(w: usize, v: usize, g: usize, n: i32, lr: f32, beta: f32, wd: f32, decay: f32, gscale: f32, clip: f32): i32 {
  return seed_loop(true, false, false, false, w, v, g, n, lr, beta, wd, decay, gscale, clip);
}
function seed_momentum_commit(w: usize, v: usize, g: usize, n: i32, lr: f32, beta: f32, wd: f32, decay: f32, gscale: f32, clip: f32): i32 {
  return seed_loop(true, false, true, false, w, v, g, n, lr, beta, wd, decay, gscale, clip);
}
function seed_momentum_commit_raw(w: usize, v: usize, g: usize, n: i32, lr: f32, beta: f32, wd: f32, decay: f32, gscale: f32, clip: f32): i32 {
  return seed_loop(true, false, true, true, w, v, g, n, lr, beta, wd, decay, gscale, clip);
}
function seed_nesterov_check(w: usize, v: usize, g: usize, n: i32, lr: f32, beta: f32, wd: f32, decay: f32, gscale: f32, clip: f32): i32 {
  return seed_loop(true, true, false, false, w, v, g, n, lr, beta, wd, decay, gscale, clip);
}
function seed_nesterov_commit(w: usize, v: usize, g: usize, n: i32, lr: f32, beta: f32, wd: f32, decay: f32, gscale: f32, clip: f32): i32 {
  return seed_loop(true, true, true, false, w, v, g, n, lr, beta, wd, decay, gscale, clip);
}
function seed_nesterov_commit_raw(w: usize, v: usize, g: usize, n: i32, lr: f32, beta: f32, wd: f32, decay: f32, gscale: f32, clip: f32): i32 {
  return seed_loop(true, true, true, true, w, v, g, n, lr, beta, wd, decay, gscale, clip);
}

export function sgd_seed(w: usize, v: usize, g: usize, n: i32, lr: f32, beta: f32, nesterov: bool,
                         wd: f32, decay: f32, gscale: f32, clip: f32, mode: i32): i32 {
  if (mode == 2) {
    if (sgd_seed(w, v, g, n, lr, beta, nesterov, wd, decay, gscale, clip, 0) == 0) return 0;
    mode = 1;
  }
  const commit = mode != 0;
  const raw = unclipped(gscale, clip) && decay == 0;
  if (v == 0) {
    if (!commit) return seed_gd_check(w, v, g, n, lr, beta, wd, decay, gscale, clip);
    return raw ? seed_gd_commit_raw(w, v, g, n, lr, beta, wd, decay, gscale, clip) : seed_gd_commit(w, v, g, n, lr, beta, wd, decay, gscale, clip);
  }
  if (nesterov) {
    if (!commit) return seed_nesterov_check(w, v, g, n, lr, beta, wd, decay, gscale, clip);
    return raw ? seed_nesterov_commit_raw(w, v, g, n, lr, beta, wd, decay, gscale, clip) : seed_nesterov_commit(w, v, g, n, lr, beta, wd, decay, gscale, clip);
  }
  if (!commit) return seed_momentum_check(w, v, g, n, lr, beta, wd, decay, gscale, clip);
  return raw ? seed_momentum_commit_raw(w, v, g, n, lr, beta, wd, decay, gscale, clip) : seed_momentum_commit(w, v, g, n, lr, beta, wd, decay, gscale, clip);
}

// torch.optim.SGD: b = first ? gg : mu b + (1 - dampening) gg;  d = nesterov ? gg + mu b : b;  w = w - lr d
// (b = 0, no buffer: d = gg.)
// @ts-ignore: decorator
@inline function torch_vec(useB: bool, nesterov: bool, commit: bool, raw: bool, first: bool, w: usize, b: usize, g: usize, q: usize,
                           nl: v128, m: v128, od: v128, keepB: v128, wdv: v128, gs: v128, cl: v128, ncl: v128): v128 {
  const wv = v128.load(w + q);
  const gg = effective_grad(raw, v128.load(g + q), wv, gs, cl, ncl, wdv);
  let flags = f32x4.splat(0);
  let d = gg;
  if (useB) {
    // first step: b = gg exactly (0 * b would turn an old inf into NaN, so select instead)
    const bn = first ? gg : madd(keepB, v128.load(b + q), f32x4.mul(od, gg));
    d = nesterov ? madd(m, bn, gg) : bn;
    if (commit) v128.store(b + q, bn);
    else flags = f32x4.sub(bn, bn);
  }
  const wn = madd(nl, d, wv);
  if (commit) v128.store(w + q, wn);
  else flags = f32x4.add(flags, f32x4.sub(wn, wn));
  return flags;
}

// @ts-ignore: decorator
@inline function torch_loop(useB: bool, nesterov: bool, commit: bool, raw: bool, w: usize, b: usize, g: usize, n: i32,
                            lr: f32, mu: f32, damp: f32, wd: f32, first: bool, gscale: f32, clip: f32): i32 {
  const nl = f32x4.splat(-lr), m = f32x4.splat(mu), od = f32x4.splat(first ? 1 : 1 - damp), keepB = f32x4.splat(first ? 0 : mu);
  const wdv = f32x4.splat(wd), gs = f32x4.splat(gscale), cl = f32x4.splat(clip), ncl = f32x4.splat(-clip);
  let acc = f32x4.splat(0);
  let i = 0;
  if (commit) {
    for (; i + 8 <= n; i += 8) {
      const q = <usize>i << 2;
      torch_vec(useB, nesterov, true, raw, first, w, b, g, q, nl, m, od, keepB, wdv, gs, cl, ncl);
      torch_vec(useB, nesterov, true, raw, first, w, b, g, q + 16, nl, m, od, keepB, wdv, gs, cl, ncl);
    }
  }
  for (; i + 4 <= n; i += 4) {
    const flags = torch_vec(useB, nesterov, commit, raw, first, w, b, g, <usize>i << 2, nl, m, od, keepB, wdv, gs, cl, ncl);
    if (!commit) acc = f32x4.add(acc, flags);
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
  return commit ? 1 : finite_flag(acc, s);
}

function torch_gd_check(w: usize, b: usize, g: usize, n: i32, lr: f32, mu: f32, damp: f32, wd: f32, first: bool, gscale: f32, clip: f32): i32 {
  return torch_loop(false, false, false, false, w, b, g, n, lr, mu, damp, wd, first, gscale, clip);
}
function torch_gd_commit(w: usize, b: usize, g: usize, n: i32, lr: f32, mu: f32, damp: f32, wd: f32, first: bool, gscale: f32, clip: f32): i32 {
  return torch_loop(false, false, true, false, w, b, g, n, lr, mu, damp, wd, first, gscale, clip);
}
function torch_gd_commit_raw(w: usize, b: usize, g: usize, n: i32, lr: f32, mu: f32, damp: f32, wd: f32, first: bool, gscale: f32, clip: f32): i32 {
  return torch_loop(false, false, true, true, w, b, g, n, lr, mu, damp, wd, first, gscale, clip);
}
function torch_momentum_check(w: usize, b: usize, g: usize, n: i32, lr: f32, mu: f32, damp: f32, wd: f32, first: bool, gscale: f32, clip: f32): i32 {
  return torch_loop(true, false, false, false, w, b, g, n, lr, mu, damp, wd, first, gscale, clip);
}
function torch_momentum_commit(w: usize, b: usize, g: usize, n: i32, lr: f32, mu: f32, damp: f32, wd: f32, first: bool, gscale: f32, clip: f32): i32 {
  return torch_loop(true, false, true, false, w, b, g, n, lr, mu, damp, wd, first, gscale, clip);
}
function torch_momentum_commit_raw(w: usize, b: usize, g: usize, n: i32, lr: f32, mu: f32, damp: f32, wd: f32, first: bool, gscale: f32, clip: f32): i32 {
  return torch_loop(true, false, true, true, w, b, g, n, lr, mu, damp, wd, first, gscale, clip);
}
function torch_nesterov_check(w: usize, b: usize, g: usize, n: i32, lr: f32, mu: f32, damp: f32, wd: f32, first: bool, gscale: f32, clip: f32): i32 {
  return torch_loop(true, true, false, false, w, b, g, n, lr, mu, damp, wd, first, gscale, clip);
}
function torch_nesterov_commit(w: usize, b: usize, g: usize, n: i32, lr: f32, mu: f32, damp: f32, wd: f32, first: bool, gscale: f32, clip: f32): i32 {
  return torch_loop(true, true, true, false, w, b, g, n, lr, mu, damp, wd, first, gscale, clip);
}
function torch_nesterov_commit_raw(w: usize, b: usize, g: usize, n: i32, lr: f32, mu: f32, damp: f32, wd: f32, first: bool, gscale: f32, clip: f32): i32 {
  return torch_loop(true, true, true, true, w, b, g, n, lr, mu, damp, wd, first, gscale, clip);
}

export function sgd_torch(w: usize, b: usize, g: usize, n: i32, lr: f32, mu: f32, damp: f32, nesterov: bool,
                          wd: f32, first: bool, gscale: f32, clip: f32, mode: i32): i32 {
  if (mode == 2) {
    if (sgd_torch(w, b, g, n, lr, mu, damp, nesterov, wd, first, gscale, clip, 0) == 0) return 0;
    mode = 1;
  }
  const commit = mode != 0;
  const raw = unclipped(gscale, clip);
  if (b == 0) {
    if (!commit) return torch_gd_check(w, b, g, n, lr, mu, damp, wd, first, gscale, clip);
    return raw ? torch_gd_commit_raw(w, b, g, n, lr, mu, damp, wd, first, gscale, clip) : torch_gd_commit(w, b, g, n, lr, mu, damp, wd, first, gscale, clip);
  }
  if (nesterov) {
    if (!commit) return torch_nesterov_check(w, b, g, n, lr, mu, damp, wd, first, gscale, clip);
    return raw ? torch_nesterov_commit_raw(w, b, g, n, lr, mu, damp, wd, first, gscale, clip) : torch_nesterov_commit(w, b, g, n, lr, mu, damp, wd, first, gscale, clip);
  }
  if (!commit) return torch_momentum_check(w, b, g, n, lr, mu, damp, wd, first, gscale, clip);
  return raw ? torch_momentum_commit_raw(w, b, g, n, lr, mu, damp, wd, first, gscale, clip) : torch_momentum_commit(w, b, g, n, lr, mu, damp, wd, first, gscale, clip);
}

// torch.optim.Adam (L2 weight decay added to the gradient):
//   m = b1 m + (1 - b1) gg;  v = b2 v + (1 - b2) gg^2
//   w = w - (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps),  bc1 = 1 - b1^t, bc2 = 1 - b2^t
// @ts-ignore: decorator
@inline function adam_vec(commit: bool, raw: bool, w: usize, m: usize, v: usize, g: usize, q: usize, vb1: v128, vob1: v128,
                          vb2: v128, vob2: v128, vstep: v128, vsbc2: v128, veps: v128, wdv: v128, gs: v128, cl: v128, ncl: v128): v128 {
  const wv = v128.load(w + q);
  const gg = effective_grad(raw, v128.load(g + q), wv, gs, cl, ncl, wdv);
  const mn = madd(vb1, v128.load(m + q), f32x4.mul(vob1, gg));
  const vn = madd(vb2, v128.load(v + q), f32x4.mul(vob2, f32x4.mul(gg, gg)));
  const denom = f32x4.add(f32x4.div(f32x4.sqrt(vn), vsbc2), veps);
  const wn = madd(vstep, f32x4.div(mn, denom), wv);
  if (commit) { v128.store(m + q, mn); v128.store(v + q, vn); v128.store(w + q, wn); return f32x4.splat(0); }
  return f32x4.add(f32x4.sub(wn, wn), f32x4.add(f32x4.sub(mn, mn), f32x4.sub(vn, vn)));
}

// @ts-ignore: decorator
@inline function adam_loop(commit: bool, raw: bool, w: usize, m: usize, v: usize, g: usize, n: i32, lr: f32, b1: f32, b2: f32,
                           eps: f32, wd: f32, bc1: f32, bc2: f32, gscale: f32, clip: f32): i32 {
  const step: f32 = lr / bc1, sbc2: f32 = Mathf.sqrt(bc2);
  const vb1 = f32x4.splat(b1), vob1 = f32x4.splat(1 - b1), vb2 = f32x4.splat(b2), vob2 = f32x4.splat(1 - b2);
  const vstep = f32x4.splat(-step), vsbc2 = f32x4.splat(sbc2), veps = f32x4.splat(eps);
  const wdv = f32x4.splat(wd), gs = f32x4.splat(gscale), cl = f32x4.splat(clip), ncl = f32x4.splat(-clip);
  let acc = f32x4.splat(0);
  let i = 0;
  if (commit) {
    for (; i + 8 <= n; i += 8) {
      const q = <usize>i << 2;
      adam_vec(true, raw, w, m, v, g, q, vb1, vob1, vb2, vob2, vstep, vsbc2, veps, wdv, gs, cl, ncl);
      adam_vec(true, raw, w, m, v, g, q + 16, vb1, vob1, vb2, vob2, vstep, vsbc2, veps, wdv, gs, cl, ncl);
    }
  }
  for (; i + 4 <= n; i += 4) {
    const flags = adam_vec(commit, raw, w, m, v, g, <usize>i << 2, vb1, vob1, vb2, vob2, vstep, vsbc2, veps, wdv, gs, cl, ncl);
    if (!commit) acc = f32x4.add(acc, flags);
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
  return commit ? 1 : finite_flag(acc, s);
}

function adam_check(w: usize, m: usize, v: usize, g: usize, n: i32, lr: f32, b1: f32, b2: f32, eps: f32,
                    wd: f32, bc1: f32, bc2: f32, gscale: f32, clip: f32): i32 {
  return adam_loop(false, false, w, m, v, g, n, lr, b1, b2, eps, wd, bc1, bc2, gscale, clip);
}
function adam_commit(w: usize, m: usize, v: usize, g: usize, n: i32, lr: f32, b1: f32, b2: f32, eps: f32,
                     wd: f32, bc1: f32, bc2: f32, gscale: f32, clip: f32): i32 {
  return adam_loop(true, false, w, m, v, g, n, lr, b1, b2, eps, wd, bc1, bc2, gscale, clip);
}
function adam_commit_raw(w: usize, m: usize, v: usize, g: usize, n: i32, lr: f32, b1: f32, b2: f32, eps: f32,
                         wd: f32, bc1: f32, bc2: f32, gscale: f32, clip: f32): i32 {
  return adam_loop(true, true, w, m, v, g, n, lr, b1, b2, eps, wd, bc1, bc2, gscale, clip);
}

export function adam(w: usize, m: usize, v: usize, g: usize, n: i32, lr: f32, b1: f32, b2: f32, eps: f32,
                     wd: f32, bc1: f32, bc2: f32, gscale: f32, clip: f32, mode: i32): i32 {
  if (mode == 2) {
    if (adam(w, m, v, g, n, lr, b1, b2, eps, wd, bc1, bc2, gscale, clip, 0) == 0) return 0;
    mode = 1;
  }
  if (mode == 0) return adam_check(w, m, v, g, n, lr, b1, b2, eps, wd, bc1, bc2, gscale, clip);
  return unclipped(gscale, clip) ? adam_commit_raw(w, m, v, g, n, lr, b1, b2, eps, wd, bc1, bc2, gscale, clip)
                                 : adam_commit(w, m, v, g, n, lr, b1, b2, eps, wd, bc1, bc2, gscale, clip);
}

// The three rules of the founding document, as the general kernel with nothing else switched on:
// exported by bench.ts only, for the kernel tests that check sgd_seed's plain settings against the oracle.
export function sgd_plain(w: usize, g: usize, n: i32, lr: f32): void {
  sgd_seed(w, 0, g, n, lr, 0, false, 0, 0, 1, Infinity, 1);
}
export function sgd_momentum(w: usize, v: usize, g: usize, n: i32, lr: f32, beta: f32): void {
  sgd_seed(w, v, g, n, lr, beta, false, 0, 0, 1, Infinity, 1);
}
export function sgd_nesterov(w: usize, v: usize, g: usize, n: i32, lr: f32, beta: f32): void {
  sgd_seed(w, v, g, n, lr, beta, true, 0, 0, 1, Infinity, 1);
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

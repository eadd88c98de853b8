// Batch normalization over an [M, C] view (M = rows*H*W, channels last), four channels per f32x4
// with a scalar tail.
//
// Reductions over M (statistics, dgamma, dbeta) sweep a group of channels down all M rows,
// summing blocks of SUM_BLOCK rows in f32 lanes and adding the block sums into f64, in a fixed
// order: the error stays near f32 rounding for M up to ~1e6 and the result depends on nothing but
// the data. A group is 16 channels where C allows: one 64-byte line per row (for C a multiple of 16
// in a 64-byte aligned tensor, as the arena lays them out), so a sweep uses every line it loads
// whole, with four independent add chains; then groups of 4, then single channels.
// (Row-major sweeps would need C f64 totals of scratch, which the ABI does not pass.)
// Elementwise passes (forward, dx) go through tiles of TILE_ROWS rows, so each channel group's
// scale and shift (a sqrt and a division) are computed once per tile, not once per row.
import { madd } from './simd';

const SUM_BLOCK: i32 = 256;
const TILE_ROWS: i32 = 64;

const SUM: i32 = 0;         // Σ a
const DEVIATIONS: i32 = 1;  // Σ (a - center)
const SQUARES: i32 = 2;     // Σ (a - center)²
const PRODUCT: i32 = 3;     // Σ (a - center) b

// acc + one row's term of the sum `what`, four channels at byte offset o (k: their center)
// @ts-ignore: decorator
@inline function sum_term(what: i32, a: usize, b: usize, o: usize, k: v128, acc: v128): v128 {
  const v = v128.load(a + o);
  if (what == SUM) return f32x4.add(acc, v);
  const d = f32x4.sub(v, k);
  if (what == DEVIATIONS) return f32x4.add(acc, d);
  if (what == SQUARES) return madd(d, d, acc);
  return madd(d, v128.load(b + o), acc);
}

// f64 totals (lanes 0-1 in lo, 2-3 in hi) += an f32x4 block sum
// @ts-ignore: decorator
@inline function widen_lo(acc: v128): v128 { return f64x2.promote_low_f32x4(acc); }
// @ts-ignore: decorator
@inline function widen_hi(acc: v128): v128 { return f64x2.promote_low_f32x4(v128.shuffle<f32>(acc, acc, 2, 3, 0, 1)); }
// @ts-ignore: decorator
@inline function store_scaled(out: usize, lo: v128, hi: v128, scale: f64): void {
  const s = f64x2.splat(scale);
  const l = f32x4.demote_f64x2_zero(f64x2.mul(lo, s)), h = f32x4.demote_f64x2_zero(f64x2.mul(hi, s));
  v128.store(out, v128.shuffle<f32>(l, h, 0, 1, 4, 5));
}

// out[0 .. 4V) = scale * Σ over rows of the sum `what`, for channels c .. c + 4V of a and b ([M, C]);
// center: 4V floats. V is 1 or 4, a constant once inlined, so the V == 4 branches fold away.
// @ts-ignore: decorator
@inline function column_sums(what: i32, V: i32, a: usize, b: usize, M: i32, C: i32, c: i32, center: usize, scale: f64, out: usize): void {
  const stride = <usize>C << 2;
  const z = f32x4.splat(0), zd = f64x2.splat(0);
  const centered = what != SUM;
  const k0 = centered ? v128.load(center) : z, k1 = centered && V == 4 ? v128.load(center, 16) : z;
  const k2 = centered && V == 4 ? v128.load(center, 32) : z, k3 = centered && V == 4 ? v128.load(center, 48) : z;
  let lo0 = zd, hi0 = zd, lo1 = zd, hi1 = zd, lo2 = zd, hi2 = zd, lo3 = zd, hi3 = zd;
  for (let m0 = 0; m0 < M; m0 += SUM_BLOCK) {
    const m1 = min(M, m0 + SUM_BLOCK);
    let a0 = z, a1 = z, a2 = z, a3 = z;
    for (let m = m0, o = <usize>m0 * stride + (<usize>c << 2); m < m1; m++, o += stride) {
      a0 = sum_term(what, a, b, o, k0, a0);
      if (V == 4) {
        a1 = sum_term(what, a, b, o + 16, k1, a1);
        a2 = sum_term(what, a, b, o + 32, k2, a2);
        a3 = sum_term(what, a, b, o + 48, k3, a3);
      }
    }
    lo0 = f64x2.add(lo0, widen_lo(a0)); hi0 = f64x2.add(hi0, widen_hi(a0));
    if (V == 4) {
      lo1 = f64x2.add(lo1, widen_lo(a1)); hi1 = f64x2.add(hi1, widen_hi(a1));
      lo2 = f64x2.add(lo2, widen_lo(a2)); hi2 = f64x2.add(hi2, widen_hi(a2));
      lo3 = f64x2.add(lo3, widen_lo(a3)); hi3 = f64x2.add(hi3, widen_hi(a3));
    }
  }
  store_scaled(out, lo0, hi0, scale);
  if (V == 4) { store_scaled(out + 16, lo1, hi1, scale); store_scaled(out + 32, lo2, hi2, scale); store_scaled(out + 48, lo3, hi3, scale); }
}

// the same for one channel c (the tail)
// @ts-ignore: decorator
@inline function column_sum1(what: i32, a: usize, b: usize, M: i32, C: i32, c: i32, center: f32, scale: f64): f32 {
  const stride = <usize>C << 2;
  let total: f64 = 0;
  for (let m0 = 0; m0 < M; m0 += SUM_BLOCK) {
    const m1 = min(M, m0 + SUM_BLOCK);
    let acc: f32 = 0;
    for (let m = m0, o = <usize>m0 * stride + (<usize>c << 2); m < m1; m++, o += stride) {
      const v = load<f32>(a + o);
      if (what == SUM) acc += v;
      else if (what == DEVIATIONS) acc += v - center;
      else if (what == SQUARES) acc += (v - center) * (v - center);
      else acc += (v - center) * load<f32>(b + o);
    }
    total += <f64>acc;
  }
  return <f32>(total * scale);
}

// @ts-ignore: decorator
@inline function inv_std4(v: v128, eps: v128): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.sqrt(f32x4.add(v, eps)));
}

// mean and variance of channels c .. c + 4V (see batchnorm_stats)
// @ts-ignore: decorator
@inline function stats_group(V: i32, x: usize, M: i32, C: i32, c: i32, invM: f64, mean: usize, variance: usize): void {
  const q = <usize>c << 2;
  column_sums(DEVIATIONS, V, x, 0, M, C, c, x + q, invM, mean + q); // mean - first row
  for (let v = 0; v < V; v++) {
    const p = mean + q + (<usize>v << 4);
    v128.store(p, f32x4.add(v128.load(p), v128.load(x + q + (<usize>v << 4))));
  }
  column_sums(SQUARES, V, x, 0, M, C, c, mean + q, invM, variance + q);
}

// Per-channel mean and biased variance (divided by M; M >= 1), two passes. The first sums
// deviations from the first row, so a large common offset does not use up the f32 block sums'
// precision; the second sums squared deviations from the stored mean (no E[x²] - E[x]²
// cancellation).
export function batchnorm_stats(x: usize, M: i32, C: i32, mean: usize, variance: usize): void {
  const invM: f64 = 1.0 / <f64>M;
  let c = 0;
  for (; c + 16 <= C; c += 16) stats_group(4, x, M, C, c, invM, mean, variance);
  for (; c + 4 <= C; c += 4) stats_group(1, x, M, C, c, invM, mean, variance);
  for (; c < C; c++) {
    const o = <usize>c << 2;
    const shift = load<f32>(x + o);
    const mu = shift + column_sum1(DEVIATIONS, x, 0, M, C, c, shift, invM);
    store<f32>(mean + o, mu);
    store<f32>(variance + o, column_sum1(SQUARES, x, 0, M, C, c, mu, invM));
  }
}

// y = gamma (x - mean) / sqrt(var + eps) + beta; y may be x. Training passes the batch statistics,
// inference the running ones.
export function batchnorm_forward(x: usize, M: i32, C: i32, mean: usize, variance: usize, gamma: usize, beta: usize,
                                  eps: f32, y: usize): void {
  const epsv = f32x4.splat(eps);
  const stride = <usize>C << 2;
  for (let m0 = 0; m0 < M; m0 += TILE_ROWS) {
    const m1 = min(M, m0 + TILE_ROWS);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const q = <usize>c << 2;
      const mu = v128.load(mean + q), b = v128.load(beta + q);
      const scale = f32x4.mul(v128.load(gamma + q), inv_std4(v128.load(variance + q), epsv));
      // (x - mean) first: x*scale + shift would cancel when |mean| >> std
      for (let m = m0, o = <usize>m0 * stride + q; m < m1; m++, o += stride) {
        v128.store(y + o, madd(f32x4.sub(v128.load(x + o), mu), scale, b));
      }
    }
    for (; c < C; c++) {
      const q = <usize>c << 2;
      const mu = load<f32>(mean + q), b = load<f32>(beta + q);
      const scale = load<f32>(gamma + q) / Mathf.sqrt(load<f32>(variance + q) + eps);
      for (let m = m0, o = <usize>m0 * stride + q; m < m1; m++, o += stride) {
        store<f32>(y + o, (load<f32>(x + o) - mu) * scale + b);
      }
    }
  }
}

// dbeta = Σ dy and dgamma = invstd Σ dy (x - mean) for channels c .. c + 4V
// @ts-ignore: decorator
@inline function grad_sums_group(V: i32, x: usize, dy: usize, M: i32, C: i32, c: i32, mean: usize, variance: usize, eps: v128,
                                 dgamma: usize, dbeta: usize): void {
  const q = <usize>c << 2;
  column_sums(SUM, V, dy, 0, M, C, c, 0, 1, dbeta + q);
  column_sums(PRODUCT, V, x, dy, M, C, c, mean + q, 1, dgamma + q);
  for (let v = 0; v < V; v++) {
    const p = q + (<usize>v << 4);
    v128.store(dgamma + p, f32x4.mul(v128.load(dgamma + p), inv_std4(v128.load(variance + p), eps)));
  }
}

// Backward through the training forward (mean and var are the batch's own statistics, so their
// dependence on x is part of the gradient):
//   dbeta = Σ dy,  dgamma = Σ dy xhat,  dx = gamma invstd / M (M dy - dbeta - xhat dgamma)
// dgamma and dbeta are written, not accumulated. dx may be dy or x.
export function batchnorm_backward(x: usize, dy: usize, M: i32, C: i32, mean: usize, variance: usize, gamma: usize,
                                   eps: f32, dx: usize, dgamma: usize, dbeta: usize): void {
  const epsv = f32x4.splat(eps);
  const stride = <usize>C << 2;
  let c = 0;
  for (; c + 16 <= C; c += 16) grad_sums_group(4, x, dy, M, C, c, mean, variance, epsv, dgamma, dbeta);
  for (; c + 4 <= C; c += 4) grad_sums_group(1, x, dy, M, C, c, mean, variance, epsv, dgamma, dbeta);
  for (; c < C; c++) {
    const q = <usize>c << 2;
    store<f32>(dbeta + q, column_sum1(SUM, dy, 0, M, C, c, 0, 1));
    const invstd: f32 = 1 / Mathf.sqrt(load<f32>(variance + q) + eps);
    store<f32>(dgamma + q, column_sum1(PRODUCT, x, dy, M, C, c, load<f32>(mean + q), 1) * invstd);
  }
  // dx = a (dy - dbeta/M - (x - mean) k), a = gamma invstd, k = dgamma invstd / M
  const invM: f32 = 1 / <f32>M;
  const invMv = f32x4.splat(invM);
  for (let m0 = 0; m0 < M; m0 += TILE_ROWS) {
    const m1 = min(M, m0 + TILE_ROWS);
    c = 0;
    for (; c + 4 <= C; c += 4) {
      const q = <usize>c << 2;
      const mu = v128.load(mean + q);
      const invstd = inv_std4(v128.load(variance + q), epsv);
      const a = f32x4.mul(v128.load(gamma + q), invstd);
      const db = f32x4.mul(v128.load(dbeta + q), invMv);
      const negK = f32x4.neg(f32x4.mul(f32x4.mul(v128.load(dgamma + q), invstd), invMv));
      for (let m = m0, o = <usize>m0 * stride + q; m < m1; m++, o += stride) {
        const t = madd(f32x4.sub(v128.load(x + o), mu), negK, f32x4.sub(v128.load(dy + o), db));
        v128.store(dx + o, f32x4.mul(a, t));
      }
    }
    for (; c < C; c++) {
      const q = <usize>c << 2;
      const mu = load<f32>(mean + q);
      const invstd: f32 = 1 / Mathf.sqrt(load<f32>(variance + q) + eps);
      const a = load<f32>(gamma + q) * invstd;
      const db = load<f32>(dbeta + q) * invM;
      const k = load<f32>(dgamma + q) * invstd * invM;
      for (let m = m0, o = <usize>m0 * stride + q; m < m1; m++, o += stride) {
        store<f32>(dx + o, a * (load<f32>(dy + o) - db - (load<f32>(x + o) - mu) * k));
      }
    }
  }
}

// running = momentum running + (1 - momentum) batch, for the mean and the variance
export function batchnorm_running(runMean: usize, runVar: usize, mean: usize, variance: usize, C: i32, momentum: f32): void {
  const keep = f32x4.splat(momentum), take = f32x4.splat(1 - momentum);
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    const q = <usize>c << 2;
    v128.store(runMean + q, madd(keep, v128.load(runMean + q), f32x4.mul(take, v128.load(mean + q))));
    v128.store(runVar + q, madd(keep, v128.load(runVar + q), f32x4.mul(take, v128.load(variance + q))));
  }
  for (; c < C; c++) {
    const q = <usize>c << 2;
    store<f32>(runMean + q, momentum * load<f32>(runMean + q) + (1 - momentum) * load<f32>(mean + q));
    store<f32>(runVar + q, momentum * load<f32>(runVar + q) + (1 - momentum) * load<f32>(variance + q));
  }
}

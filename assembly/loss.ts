// Losses: each returns the mean loss (f64) and writes the gradient w.r.t. its input.
// Labels come either as integer class ids (i32, one per row) or as float targets (rows x cols).
import { row_max, exp_shifted, scale_row } from './activations';
import { madd } from './simd';

// Softmax + categorical cross-entropy, fused: loss_r = logsumexp(z_r) - <t_r, z_r> / sum(t_r)·sum(t_r),
// dlogits = (softmax(z) * sum(t) - t) / rows. `dz` may alias `z`. Writes the number of rows whose
// argmax matches the label's argmax to `correct` (an i32 slot) when it is not 0.
export function softmax_cross_entropy(z: usize, rows: i32, cols: i32, labels: usize, indices: bool,
                                      dz: usize, correct: usize): f64 {
  let total: f64 = 0;
  let hits = 0;
  const inv: f32 = <f32>(1.0 / <f64>rows);
  for (let r = 0; r < rows; r++) {
    const o = (<usize>r * cols) << 2;
    const zr = z + o, dr = dz + o;
    const mx = row_max(zr, cols);
    const arg = argmax(zr, cols);
    let target = 0;
    if (indices) {
      const lab = load<i32>(labels + (<usize>r << 2));
      target = lab;
      const zl = load<f32>(zr + (<usize>lab << 2));
      const s = exp_shifted(zr, dr, cols, mx);
      total += <f64>mx + Math.log(<f64>s) - <f64>zl;
      scale_row(dr, cols, inv / s);
      store<f32>(dr + (<usize>lab << 2), load<f32>(dr + (<usize>lab << 2)) - inv);
    } else {
      const tr = labels + o;
      target = argmax(tr, cols);
      let tsum: f64 = 0, tz: f64 = 0;
      for (let j = 0; j < cols; j++) {
        const t = <f64>load<f32>(tr + (<usize>j << 2));
        tsum += t;
        tz += t * <f64>load<f32>(zr + (<usize>j << 2));
      }
      const s = exp_shifted(zr, dr, cols, mx);
      total += tsum * (<f64>mx + Math.log(<f64>s)) - tz;
      const ps = <f32>(tsum / <f64>s) * inv;
      for (let j = 0; j < cols; j++) {
        const q = <usize>j << 2;
        store<f32>(dr + q, load<f32>(dr + q) * ps - load<f32>(tr + q) * inv);
      }
    }
    if (arg == target) hits++;
  }
  if (correct) store<i32>(correct, hits);
  return total / <f64>rows;
}

// Cross-entropy on probabilities that are already normalised (a last layer other than softmax):
// loss = mean_r -sum_j t_rj log max(p_rj, 1e-7), the clamp keeping log finite. dp is that loss's
// own derivative: -t / (p rows) where p >= 1e-7, and 0 where the clamp holds the loss constant.
export function cross_entropy(p: usize, rows: i32, cols: i32, labels: usize, indices: bool,
                              dp: usize, correct: usize): f64 {
  let total: f64 = 0;
  let hits = 0;
  const inv: f64 = 1.0 / <f64>rows;
  const eps: f32 = 1e-7;
  for (let r = 0; r < rows; r++) {
    const o = (<usize>r * cols) << 2;
    const pr = p + o, dr = dp + o;
    const arg = argmax(pr, cols);
    let target = 0;
    if (indices) target = load<i32>(labels + (<usize>r << 2));
    else target = argmax(labels + o, cols);
    for (let j = 0; j < cols; j++) {
      const q = <usize>j << 2;
      const t: f32 = indices ? (j == target ? 1 : 0) : load<f32>(labels + o + q);
      const pj = load<f32>(pr + q);
      const pv = Mathf.max(pj, eps);
      if (t != 0) total -= <f64>t * Math.log(<f64>pv);
      // `pj < eps` is false for NaN, so a NaN probability still reaches the gradient
      store<f32>(dr + q, pj < eps ? 0 : <f32>(-<f64>t / <f64>pv * inv));
    }
    if (arg == target) hits++;
  }
  if (correct) store<i32>(correct, hits);
  return total * inv;
}

// Mean squared error over all n elements: loss = sum (y - t)^2 / n, dy = 2 (y - t) / n.
export function mean_squared_error(y: usize, t: usize, n: i32, dy: usize): f64 {
  let total: f64 = 0;
  const s = f32x4.splat(<f32>(2.0 / <f64>n));
  const ss: f32 = <f32>(2.0 / <f64>n);
  let i = 0;
  while (i < n) {
    // f32x4 partial sums over chunks of 1024 (as sum_squares), added in f64: one accumulator over a
    // large output would end where a float32 ulp swallows the small terms, and the mean would drift
    const end = min(n, i + 1024);
    let acc = f32x4.splat(0);
    for (; i + 4 <= end; i += 4) {
      const q = <usize>i << 2;
      const d = f32x4.sub(v128.load(y + q), v128.load(t + q));
      acc = madd(d, d, acc);
      v128.store(dy + q, f32x4.mul(d, s));
    }
    total += <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
    for (; i < end; i++) {
      const q = <usize>i << 2;
      const d = load<f32>(y + q) - load<f32>(t + q);
      total += <f64>d * <f64>d;
      store<f32>(dy + q, d * ss);
    }
  }
  return total / <f64>n;
}

// index of the first maximum of a row
export function argmax(x: usize, cols: i32): i32 {
  let best = 0;
  let bv = load<f32>(x);
  for (let j = 1; j < cols; j++) {
    const v = load<f32>(x + (<usize>j << 2));
    if (v > bv) { bv = v; best = j; }
  }
  return best;
}

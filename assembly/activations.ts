// Activations, forward and backward side by side. Forward may run in place (y == x).
// Backward takes the forward *output* y (enough for every activation here), so the
// pre-activation never has to be kept. All loops: f32x4 body, scalar tail.
import { exp4, exp1 } from './exp';
import { madd } from './simd';

export function relu_forward(x: usize, y: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(y + o, f32x4.max(v128.load(x + o), zero)); }
  for (; i < n; i++) { const o = <usize>i << 2; const v = load<f32>(x + o); store<f32>(y + o, v > 0 ? v : 0); }
}
// relu'(z) is 1 where y = relu(z) > 0
export function relu_backward(y: usize, dy: usize, dz: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dz + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(y + o), zero)));
  }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(dz + o, load<f32>(y + o) > 0 ? load<f32>(dy + o) : 0); }
}

export function sigmoid_forward(x: usize, y: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(v128.load(x + o))))));
  }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, 1 / (1 + exp1(-load<f32>(x + o)))); }
}
// sigmoid'(z) = y (1 - y)
export function sigmoid_backward(y: usize, dy: usize, dz: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(y + o);
    v128.store(dz + o, f32x4.mul(v128.load(dy + o), f32x4.mul(v, f32x4.sub(one, v))));
  }
  for (; i < n; i++) { const o = <usize>i << 2; const v = load<f32>(y + o); store<f32>(dz + o, load<f32>(dy + o) * v * (1 - v)); }
}

// tanh(x) = sign(x) (1 - t) / (1 + t) with t = e^(-2|x|) <= 1: never overflows. Below |x| = 0.3
// that form cancels (1 - t is tiny), so an odd Taylor polynomial to x^9 takes over there
// (its first omitted term is below 2e-8 relative at 0.3).
// @ts-ignore: decorator
@inline function tanh_small(x: v128): v128 {
  const x2 = f32x4.mul(x, x);
  let p = f32x4.splat(62.0 / 2835.0);
  p = madd(p, x2, f32x4.splat(-17.0 / 315.0));
  p = madd(p, x2, f32x4.splat(2.0 / 15.0));
  p = madd(p, x2, f32x4.splat(-1.0 / 3.0));
  return madd(f32x4.mul(p, x2), x, x);
}
// Both forms run on |x| and take x's sign bit last, so tanh is exactly odd, tanh(-0) = -0 included
// (x + x * (p x^2) on x = -0 would give +0, since p < 0).
// @ts-ignore: decorator
@inline function tanh4(v: v128): v128 {
  const one = f32x4.splat(1);
  const a = f32x4.abs(v);
  const t = exp4(f32x4.mul(a, f32x4.splat(-2)));
  const m = f32x4.div(f32x4.sub(one, t), f32x4.add(one, t));
  const mag = v128.bitselect(tanh_small(a), m, f32x4.lt(a, f32x4.splat(0.3)));
  return v128.or(mag, v128.and(v, i32x4.splat(0x80000000)));
}
export function tanh_forward(x: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, tanh4(v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, f32x4.extract_lane(tanh4(f32x4.splat(load<f32>(x + o))), 0));
  }
}
// tanh'(z) = 1 - y^2
export function tanh_backward(y: usize, dy: usize, dz: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(y + o);
    v128.store(dz + o, f32x4.mul(v128.load(dy + o), f32x4.sub(one, f32x4.mul(v, v))));
  }
  for (; i < n; i++) { const o = <usize>i << 2; const v = load<f32>(y + o); store<f32>(dz + o, load<f32>(dy + o) * (1 - v * v)); }
}

// Row-wise softmax; subtracts the row max so exp never overflows.
export function softmax_forward(x: usize, y: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + ((<usize>r * cols) << 2);
    const yr = y + ((<usize>r * cols) << 2);
    const mx = row_max(xr, cols);
    const s = exp_shifted(xr, yr, cols, mx);
    scale_row(yr, cols, 1 / s);
  }
}
// dz = y * (dy - <dy, y>) per row (the softmax Jacobian-vector product)
export function softmax_backward(y: usize, dy: usize, dz: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const o = (<usize>r * cols) << 2;
    const yr = y + o, dyr = dy + o, dzr = dz + o;
    let acc = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= cols; j += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(yr + (<usize>j << 2)), v128.load(dyr + (<usize>j << 2))));
    let dot = hsum(acc);
    for (; j < cols; j++) dot += load<f32>(yr + (<usize>j << 2)) * load<f32>(dyr + (<usize>j << 2));
    const d = f32x4.splat(dot);
    j = 0;
    for (; j + 4 <= cols; j += 4) {
      const q = <usize>j << 2;
      v128.store(dzr + q, f32x4.mul(v128.load(yr + q), f32x4.sub(v128.load(dyr + q), d)));
    }
    for (; j < cols; j++) { const q = <usize>j << 2; store<f32>(dzr + q, load<f32>(yr + q) * (load<f32>(dyr + q) - dot)); }
  }
}

// ---- row helpers shared with loss.ts ----

// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

export function row_max(x: usize, cols: i32): f32 {
  let j = 0;
  let m: f32 = -Infinity;
  if (cols >= 4) {
    let mv = v128.load(x);
    for (j = 4; j + 4 <= cols; j += 4) mv = f32x4.max(mv, v128.load(x + (<usize>j << 2)));
    m = Mathf.max(Mathf.max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), Mathf.max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  }
  for (; j < cols; j++) m = Mathf.max(m, load<f32>(x + (<usize>j << 2)));
  return m;
}

// y = exp(x - mx), returns the row sum
export function exp_shifted(x: usize, y: usize, cols: i32, mx: f32): f32 {
  const m = f32x4.splat(mx);
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    const q = <usize>j << 2;
    const e = exp4(f32x4.sub(v128.load(x + q), m));
    v128.store(y + q, e);
    acc = f32x4.add(acc, e);
  }
  let s = hsum(acc);
  for (; j < cols; j++) { const q = <usize>j << 2; const e = exp1(load<f32>(x + q) - mx); store<f32>(y + q, e); s += e; }
  return s;
}

export function scale_row(y: usize, cols: i32, s: f32): void {
  const sv = f32x4.splat(s);
  let j = 0;
  for (; j + 4 <= cols; j += 4) { const q = <usize>j << 2; v128.store(y + q, f32x4.mul(v128.load(y + q), sv)); }
  for (; j < cols; j++) { const q = <usize>j << 2; store<f32>(y + q, load<f32>(y + q) * s); }
}

// db[j] = sum_i dy[i, j]: the bias gradient, summed down the rows four columns at a time
export function column_sums(dy: usize, rows: i32, cols: i32, ld: i32, db: usize): void {
  let j = 0;
  const step = <usize>ld << 2;
  for (; j + 4 <= cols; j += 4) {
    let acc = f32x4.splat(0);
    let p = dy + (<usize>j << 2);
    for (let i = 0; i < rows; i++) { acc = f32x4.add(acc, v128.load(p)); p += step; }
    v128.store(db + (<usize>j << 2), acc);
  }
  for (; j < cols; j++) {
    let s: f32 = 0;
    for (let i = 0; i < rows; i++) s += load<f32>(dy + ((<usize>i * ld + j) << 2));
    store<f32>(db + (<usize>j << 2), s);
  }
}

// Optimizer updates: one pass over a parameter's value / grad / velocity each.
// The seed's form is the default: v = beta v - lr g; w = w + v.
import { madd } from './simd';

// w = w - lr g
export function sgd_plain(w: usize, g: usize, n: i32, lr: f32): void {
  const nl = f32x4.splat(-lr);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const q = <usize>i << 2;
    v128.store(w + q, madd(nl, v128.load(g + q), v128.load(w + q)));
  }
  for (; i < n; i++) { const q = <usize>i << 2; store<f32>(w + q, load<f32>(w + q) - lr * load<f32>(g + q)); }
}

// v = beta v - lr g; w = w + v
export function sgd_momentum(w: usize, v: usize, g: usize, n: i32, lr: f32, beta: f32): void {
  const nl = f32x4.splat(-lr), b = f32x4.splat(beta);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const q = <usize>i << 2;
    const vn = madd(nl, v128.load(g + q), f32x4.mul(b, v128.load(v + q)));
    v128.store(v + q, vn);
    v128.store(w + q, f32x4.add(v128.load(w + q), vn));
  }
  for (; i < n; i++) {
    const q = <usize>i << 2;
    const vn = beta * load<f32>(v + q) - lr * load<f32>(g + q);
    store<f32>(v + q, vn);
    store<f32>(w + q, load<f32>(w + q) + vn);
  }
}

// Nesterov (Keras / Sutskever): v = beta v - lr g; w = w + beta v - lr g
export function sgd_nesterov(w: usize, v: usize, g: usize, n: i32, lr: f32, beta: f32): void {
  const nl = f32x4.splat(-lr), b = f32x4.splat(beta);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const q = <usize>i << 2;
    const gv = v128.load(g + q);
    const vn = madd(nl, gv, f32x4.mul(b, v128.load(v + q)));
    v128.store(v + q, vn);
    v128.store(w + q, f32x4.add(v128.load(w + q), madd(nl, gv, f32x4.mul(b, vn))));
  }
  for (; i < n; i++) {
    const q = <usize>i << 2;
    const gs = load<f32>(g + q);
    const vn = beta * load<f32>(v + q) - lr * gs;
    store<f32>(v + q, vn);
    store<f32>(w + q, load<f32>(w + q) + (beta * vn - lr * gs));
  }
}

// 1 when every element is finite: the divergence guard checks gradients before any update lands
export function all_finite(x: usize, n: i32): i32 {
  // x - x is 0 for finite x and NaN for inf/NaN; NaN != NaN
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) { const v = v128.load(x + (<usize>i << 2)); acc = f32x4.add(acc, f32x4.sub(v, v)); }
  let s: f32 = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < n; i++) { const v = load<f32>(x + (<usize>i << 2)); s += v - v; }
  return s == s ? 1 : 0;
}

// The second half of a product whose depth is cut in two (src/runtime/split-depth.ts): c = c + p,
// then max(·, 0) when relu. c holds the first half's sum (with the bias), p the second's; the
// one addition, in this order, is what every thread count computes for each value.
export function add_f32(c: usize, p: usize, n: i32, relu: bool): void {
  const zero = f32x4.splat(0);
  let i = 0;
  if (relu) {
    for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(c + o, f32x4.max(f32x4.add(v128.load(c + o), v128.load(p + o)), zero)); }
    for (; i < n; i++) { const o = <usize>i << 2; store<f32>(c + o, Mathf.max(load<f32>(c + o) + load<f32>(p + o), 0)); }
  } else {
    for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(c + o, f32x4.add(v128.load(c + o), v128.load(p + o))); }
    for (; i < n; i++) { const o = <usize>i << 2; store<f32>(c + o, load<f32>(c + o) + load<f32>(p + o)); }
  }
}

// Transposes with the per-row bias and relu of a layer's epilogue. A convolution with few filters
// runs its GEMM in the transposed orientation (Yᵀ = Kᵀ·colᵀ: the filters along M, the many
// output positions along N, so no tile is mostly padding), and this puts the result back in NHWC.

// dst (cols x rows, row stride ldd) = transpose of src (rows x cols, row stride lds), plus bias[r]
// on every element of source row r (bias 0: none), clamped at 0 when relu.
export function transpose_bias_relu(src: usize, rows: i32, cols: i32, lds: i32, bias: usize, relu: bool, dst: usize, ldd: i32): void {
  const zero = f32x4.splat(0);
  const ls = <usize>lds << 2, ld = <usize>ldd << 2;
  let r = 0;
  // 4 source rows at a time: 4x4 blocks transposed in registers
  for (; r + 4 <= rows; r += 4) {
    const b = bias ? v128.load(bias + (<usize>r << 2)) : zero;
    const s0 = src + <usize>r * ls;
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const o = <usize>c << 2;
      const t0 = v128.load(s0 + o), t1 = v128.load(s0 + ls + o), t2 = v128.load(s0 + 2 * ls + o), t3 = v128.load(s0 + 3 * ls + o);
      const x0 = v128.shuffle<f32>(t0, t1, 0, 4, 1, 5), x1 = v128.shuffle<f32>(t0, t1, 2, 6, 3, 7);
      const x2 = v128.shuffle<f32>(t2, t3, 0, 4, 1, 5), x3 = v128.shuffle<f32>(t2, t3, 2, 6, 3, 7);
      let y0 = f32x4.add(v128.shuffle<f32>(x0, x2, 0, 1, 4, 5), b), y1 = f32x4.add(v128.shuffle<f32>(x0, x2, 2, 3, 6, 7), b);
      let y2 = f32x4.add(v128.shuffle<f32>(x1, x3, 0, 1, 4, 5), b), y3 = f32x4.add(v128.shuffle<f32>(x1, x3, 2, 3, 6, 7), b);
      if (relu) { y0 = f32x4.max(y0, zero); y1 = f32x4.max(y1, zero); y2 = f32x4.max(y2, zero); y3 = f32x4.max(y3, zero); }
      const d = dst + <usize>c * ld + (<usize>r << 2);
      v128.store(d, y0); v128.store(d + ld, y1); v128.store(d + 2 * ld, y2); v128.store(d + 3 * ld, y3);
    }
    for (; c < cols; c++) {
      for (let q = 0; q < 4; q++) {
        let v = load<f32>(s0 + <usize>q * ls + (<usize>c << 2)) + (bias ? load<f32>(bias + (<usize>(r + q) << 2)) : 0);
        if (relu) v = max(v, 0);
        store<f32>(dst + <usize>c * ld + (<usize>(r + q) << 2), v);
      }
    }
  }
  for (; r < rows; r++) {
    const bv: f32 = bias ? load<f32>(bias + (<usize>r << 2)) : 0;
    const s = src + <usize>r * ls;
    for (let c = 0; c < cols; c++) {
      let v = load<f32>(s + (<usize>c << 2)) + bv;
      if (relu) v = max(v, 0);
      store<f32>(dst + <usize>c * ld + (<usize>r << 2), v);
    }
  }
}

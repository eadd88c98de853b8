// Direct convolution for one input channel at stride 1 (the first layer of a grayscale image
// model): there im2col + GEMM spend their time moving bytes (depth KH·KW, a handful of filters).
// Here the SIMD lanes run along four neighbouring output pixels of one row: at stride 1 their
// inputs under any kernel tap are four consecutive floats of the image row, and each filter's
// weight for that tap is one broadcast. One sample at a time, the image is first copied into a
// zero-padded buffer (`pad`: conv_c1_pad_floats floats), so the inner loops test no bounds.
//
// Geometry as in conv.ts (input H x W x 1, kernel KH x KW, padding top PT / left PL, output
// OH x OW x F); the padded image is Hp = OH - 1 + KH rows of Wp = OW - 1 + KW floats, plus slack
// so that a group of four pixels may run past the row end (those lanes are never stored, and in
// the filter gradient they meet zero gradients).
import { madd } from './simd';

// @ts-ignore: decorator
@inline function padded_width(OW: i32, KW: i32): i32 {
  return OW - 1 + KW;
}

// floats of `pad` the kernels need: the padded image, a slack row for the last pixel group, and
// the sample's output gradient transposed to filter-major rows of OW rounded up to 4
export function conv_c1_pad_floats(OH: i32, OW: i32, KH: i32, KW: i32, F: i32): i32 {
  const ow4 = (OW + 3) & ~3;
  return (OH - 1 + KH + 1) * padded_width(OW, KW) + 8 + F * OH * ow4;
}

// the sample at x (H x W) into pad at (PT, PL), zeros around it
function pad_sample(x: usize, H: i32, W: i32, PT: i32, PL: i32, Hp: i32, Wp: i32, pad: usize): void {
  memory.fill(pad, 0, <usize>((Hp + 1) * Wp + 8) << 2);
  for (let h = 0; h < H; h++) {
    const ph = h + PT;
    if (ph < 0 || ph >= Hp) continue;
    const w0 = max(0, -PL), w1 = min(W, Wp - PL); // columns that land inside the padded row
    if (w1 > w0) memory.copy(pad + (<usize>(ph * Wp + w0 + PL) << 2), x + (<usize>(h * W + w0) << 2), <usize>(w1 - w0) << 2);
  }
}

// y (rows x OH x OW x F) = relu?(conv(x, w) + bias); w is [KH, KW, 1, F]; bias 0: none
export function conv_c1_forward(x: usize, rows: i32, H: i32, W: i32, KH: i32, KW: i32, PT: i32, PL: i32, OH: i32, OW: i32,
                                F: i32, w: usize, bias: usize, relu: bool, y: usize, pad: usize): void {
  const Hp = OH - 1 + KH, Wp = padded_width(OW, KW);
  const zero = f32x4.splat(0);
  const rowb = <usize>Wp << 2, fb = <usize>F << 2;
  for (let n = 0; n < rows; n++) {
    pad_sample(x + (<usize>(n * H * W) << 2), H, W, PT, PL, Hp, Wp, pad);
    const yn = y + (<usize>(n * OH * OW * F) << 2);
    for (let oh = 0; oh < OH; oh++) {
      const prow = pad + <usize>oh * rowb;
      for (let ow = 0; ow < OW; ow += 4) {
        const valid = min(4, OW - ow);
        const src = prow + (<usize>ow << 2);
        const out = yn + <usize>(oh * OW + ow) * fb;
        // filters eight at a time: up to 8 accumulators of 4 pixels each, one chain per filter
        // (eight chains cover the FMA latency; the taps' broadcasts are loads from L1)
        for (let f = 0; f < F; f += 8) {
          const nf = min(8, F - f);
          let a0 = zero, a1 = zero, a2 = zero, a3 = zero, a4 = zero, a5 = zero, a6 = zero, a7 = zero;
          for (let kh = 0; kh < KH; kh++) {
            const s = src + <usize>kh * rowb;
            let wp = w + (<usize>(kh * KW * F + f) << 2);
            for (let kw = 0; kw < KW; kw++) {
              const xv = v128.load(s + (<usize>kw << 2));
              a0 = madd(xv, v128.load32_splat(wp), a0);
              if (nf > 1) a1 = madd(xv, v128.load32_splat(wp, 4), a1);
              if (nf > 2) a2 = madd(xv, v128.load32_splat(wp, 8), a2);
              if (nf > 3) a3 = madd(xv, v128.load32_splat(wp, 12), a3);
              if (nf > 4) a4 = madd(xv, v128.load32_splat(wp, 16), a4);
              if (nf > 5) a5 = madd(xv, v128.load32_splat(wp, 20), a5);
              if (nf > 6) a6 = madd(xv, v128.load32_splat(wp, 24), a6);
              if (nf > 7) a7 = madd(xv, v128.load32_splat(wp, 28), a7);
              wp += fb;
            }
          }
          // lanes are pixels: write each pixel's nf filters (NHWC)
          store_filters(out, fb, valid, f, min(nf, 4), a0, a1, a2, a3, bias, relu);
          if (nf > 4) store_filters(out, fb, valid, f + 4, nf - 4, a4, a5, a6, a7, bias, relu);
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function store_filters(out: usize, fb: usize, valid: i32, f: i32, nf: i32, a0: v128, a1: v128, a2: v128, a3: v128, bias: usize, relu: bool): void {
  for (let q = 0; q < valid; q++) {
    const o = out + <usize>q * fb + (<usize>f << 2);
    for (let j = 0; j < nf; j++) {
      const acc = j == 0 ? a0 : j == 1 ? a1 : j == 2 ? a2 : a3;
      let v: f32 = q == 0 ? f32x4.extract_lane(acc, 0) : q == 1 ? f32x4.extract_lane(acc, 1) : q == 2 ? f32x4.extract_lane(acc, 2) : f32x4.extract_lane(acc, 3);
      if (bias) v += load<f32>(bias + (<usize>(f + j) << 2));
      if (relu) v = max<f32>(v, 0);
      store<f32>(o + (<usize>j << 2), v);
    }
  }
}

// Each sample's own filter gradient, x-window · dy, for the samples [n0, n1): sample n's into
// partials + n·F·(KH·KW + 1) floats, filter-major (F rows of the KH·KW taps, then, when withBias,
// the bias gradient's part: the sum of the sample's dy for that filter); conv_filter_grad_sum (conv_blocks.ts)
// then adds the samples' in order into the [KH, KW, 1, F] gradient, so threads given ranges of
// samples give what one thread gives. dy is rows x OH x OW x F. Per sample, dy is transposed into
// pad (filter-major, rows padded with zeros to a multiple of 4 pixels), then each (filter, kernel
// row) sweeps the sample's pixels four at a time with one accumulator per kernel column.
export function conv_c1_filter_grad(x: usize, H: i32, W: i32, KH: i32, KW: i32, PT: i32, PL: i32, OH: i32, OW: i32,
                                    F: i32, n0: i32, n1: i32, dy: usize, partials: usize, withBias: bool, pad: usize): void {
  const ldp = KH * KW + 1;
  const Hp = OH - 1 + KH, Wp = padded_width(OW, KW);
  const ow4 = (OW + 3) & ~3;
  const rowb = <usize>Wp << 2;
  const dyt = pad + (<usize>((Hp + 1) * Wp + 8) << 2);
  for (let n = n0; n < n1; n++) {
    const dw = partials + (<usize>(n * F * ldp) << 2);
    pad_sample(x + (<usize>(n * H * W) << 2), H, W, PT, PL, Hp, Wp, pad);
    // dyt[f][oh][0..ow4) = dy[n, oh, ow, f], zeros past OW
    const dyn = dy + (<usize>(n * OH * OW * F) << 2);
    for (let f = 0; f < F; f++) {
      let sum: f32 = 0;
      for (let oh = 0; oh < OH; oh++) {
        const d = dyt + (<usize>((f * OH + oh) * ow4) << 2);
        for (let ow = 0; ow < ow4; ow++) {
          const v: f32 = ow < OW ? load<f32>(dyn + (<usize>((oh * OW + ow) * F + f) << 2)) : 0;
          store<f32>(d + (<usize>ow << 2), v);
          sum += v;
        }
      }
      if (withBias) store<f32>(dw + (<usize>(f * ldp + KH * KW) << 2), sum);
    }
    for (let f = 0; f < F; f++) {
      for (let kh = 0; kh < KH; kh++) {
        // kernel columns in groups of up to 8 accumulators
        for (let kw0 = 0; kw0 < KW; kw0 += 8) {
          const nk = min(8, KW - kw0);
          let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
          for (let oh = 0; oh < OH; oh++) {
            const g = dyt + (<usize>((f * OH + oh) * ow4) << 2);
            const s = pad + <usize>(oh + kh) * rowb + (<usize>kw0 << 2);
            for (let ow = 0; ow < ow4; ow += 4) {
              const gv = v128.load(g + (<usize>ow << 2));
              const p = s + (<usize>ow << 2);
              c0 = madd(v128.load(p), gv, c0);
              if (nk > 1) c1 = madd(v128.load(p, 4), gv, c1);
              if (nk > 2) c2 = madd(v128.load(p, 8), gv, c2);
              if (nk > 3) c3 = madd(v128.load(p, 12), gv, c3);
              if (nk > 4) c4 = madd(v128.load(p, 16), gv, c4);
              if (nk > 5) c5 = madd(v128.load(p, 20), gv, c5);
              if (nk > 6) c6 = madd(v128.load(p, 24), gv, c6);
              if (nk > 7) c7 = madd(v128.load(p, 28), gv, c7);
            }
          }
          for (let j = 0; j < nk; j++) {
            const c = j == 0 ? c0 : j == 1 ? c1 : j == 2 ? c2 : j == 3 ? c3 : j == 4 ? c4 : j == 5 ? c5 : j == 6 ? c6 : c7;
            store<f32>(dw + (<usize>(f * ldp + kh * KW + kw0 + j) << 2), hsum4(c));
          }
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function hsum4(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

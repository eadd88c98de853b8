// Max and average pooling, 'valid' windows (OH = floor((H - PH)/SH) + 1), NHWC. The C channels of
// a pixel are contiguous, so every loop runs four channels per f32x4 with a scalar tail; windows
// may overlap (stride < pool), so the backward passes accumulate.

// byte offset of x[n, ih, iw, 0]
// @ts-ignore: decorator
@inline function pixel(n: i32, ih: i32, iw: i32, H: i32, W: i32, C: i32): usize {
  return <usize>((n * H + ih) * W + iw) * <usize>C << 2;
}

// y = the window max per channel; argmax (i32) = the index of that max within its image's H x W x C
// values, the first in row-major window order on ties (a strict > never replaces an earlier equal
// value). Indices within the image, so a call over some of the images (a thread's part) writes
// exactly what a call over all of them writes there.
export function max_pool_forward(x: usize, rows: i32, H: i32, W: i32, C: i32, PH: i32, PW: i32, SH: i32, SW: i32,
                                 OH: i32, OW: i32, y: usize, argmax: usize): void {
  const lane = i32x4(0, 1, 2, 3);
  let out: usize = 0; // byte offset of the current output pixel in y and argmax
  for (let n = 0; n < rows; n++) {
    const xn = x + pixel(n, 0, 0, H, W, C);
    for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
      const ih0 = oh * SH, iw0 = ow * SW;
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        const first = (ih0 * W + iw0) * C + c;
        let best = v128.load(xn + (<usize>first << 2));
        let at = i32x4.add(i32x4.splat(first), lane);
        for (let ph = 0; ph < PH; ph++) for (let pw = 0; pw < PW; pw++) {
          const i = ((ih0 + ph) * W + iw0 + pw) * C + c;
          const v = v128.load(xn + (<usize>i << 2));
          const gt = f32x4.gt(v, best);
          best = v128.bitselect(v, best, gt);
          at = v128.bitselect(i32x4.add(i32x4.splat(i), lane), at, gt);
        }
        const o = out + (<usize>c << 2);
        v128.store(y + o, best);
        v128.store(argmax + o, at);
      }
      for (; c < C; c++) {
        let at = (ih0 * W + iw0) * C + c;
        let best = load<f32>(xn + (<usize>at << 2));
        for (let ph = 0; ph < PH; ph++) for (let pw = 0; pw < PW; pw++) {
          const i = ((ih0 + ph) * W + iw0 + pw) * C + c;
          const v = load<f32>(xn + (<usize>i << 2));
          if (v > best) { best = v; at = i; }
        }
        const o = out + (<usize>c << 2);
        store<f32>(y + o, best);
        store<i32>(argmax + o, at);
      }
      out += <usize>C << 2;
    }
  }
}

// per image: dx = 0, then dx[argmax[i]] += dy[i], each output's gradient to the input it took its
// max from; outPer and inPer are the values per image of dy (and argmax) and of dx
export function max_pool_backward(dy: usize, argmax: usize, rows: i32, outPer: i32, dx: usize, inPer: i32): void {
  memory.fill(dx, 0, <usize>(rows * inPer) << 2);
  for (let n = 0; n < rows; n++) {
    const dxn = dx + (<usize>(n * inPer) << 2), first = <usize>(n * outPer) << 2;
    for (let i = 0; i < outPer; i++) {
      const o = first + (<usize>i << 2);
      const d = dxn + (<usize>load<i32>(argmax + o) << 2);
      store<f32>(d, load<f32>(d) + load<f32>(dy + o));
    }
  }
}

export function avg_pool_forward(x: usize, rows: i32, H: i32, W: i32, C: i32, PH: i32, PW: i32, SH: i32, SW: i32,
                                 OH: i32, OW: i32, y: usize): void {
  const inv: f32 = 1 / <f32>(PH * PW);
  const invv = f32x4.splat(inv);
  let out = y;
  for (let n = 0; n < rows; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      let s = f32x4.splat(0);
      for (let ph = 0; ph < PH; ph++) for (let pw = 0; pw < PW; pw++) {
        s = f32x4.add(s, v128.load(x + pixel(n, oh * SH + ph, ow * SW + pw, H, W, C) + (<usize>c << 2)));
      }
      v128.store(out + (<usize>c << 2), f32x4.mul(s, invv));
    }
    for (; c < C; c++) {
      let s: f32 = 0;
      for (let ph = 0; ph < PH; ph++) for (let pw = 0; pw < PW; pw++) {
        s += load<f32>(x + pixel(n, oh * SH + ph, ow * SW + pw, H, W, C) + (<usize>c << 2));
      }
      store<f32>(out + (<usize>c << 2), s * inv);
    }
    out += <usize>C << 2;
  }
}

// dx = 0, then every input of a window gets dy/(PH*PW) of that window's output
export function avg_pool_backward(dy: usize, rows: i32, H: i32, W: i32, C: i32, PH: i32, PW: i32, SH: i32, SW: i32,
                                  OH: i32, OW: i32, dx: usize): void {
  memory.fill(dx, 0, <usize>(rows * H * W * C) << 2);
  const inv: f32 = 1 / <f32>(PH * PW);
  const invv = f32x4.splat(inv);
  let g = dy;
  for (let n = 0; n < rows; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const share = f32x4.mul(v128.load(g + (<usize>c << 2)), invv);
      for (let ph = 0; ph < PH; ph++) for (let pw = 0; pw < PW; pw++) {
        const d = dx + pixel(n, oh * SH + ph, ow * SW + pw, H, W, C) + (<usize>c << 2);
        v128.store(d, f32x4.add(v128.load(d), share));
      }
    }
    for (; c < C; c++) {
      const share = load<f32>(g + (<usize>c << 2)) * inv;
      for (let ph = 0; ph < PH; ph++) for (let pw = 0; pw < PW; pw++) {
        const d = dx + pixel(n, oh * SH + ph, ow * SW + pw, H, W, C) + (<usize>c << 2);
        store<f32>(d, load<f32>(d) + share);
      }
    }
    g += <usize>C << 2;
  }
}
